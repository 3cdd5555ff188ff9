#!/usr/bin/env python3
"""Independent check of a transparency log's public read path, written from the C2SP specs
(signed-note, tlog-checkpoint, tlog-tiles) and RFC 9162 alone, sharing no code with kyso.

It reads only `<base>/checkpoint` and `<base>/tile/...`, verifies the checkpoint's Ed25519
signature by the given verifier key, downloads every entry bundle, recomputes every leaf and
every full subtree hash, compares them with every hash tile the log serves, and recomputes the
root. Prints a JSON report; exits 0 when everything holds, 1 when something does not, 2 when
the log cannot be read.

It keeps every hash in memory (32 bytes per entry): a test tool for logs of test size, not an
auditor for a national log.

Usage: check_read_path.py --url BASE --key VERIFIER_KEY
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TILE_HEIGHT = 8  # tlog-tiles: tiles are 2^8 = 256 hashes wide
TILE_WIDTH = 1 << TILE_HEIGHT
# Largest download: a full entry bundle of 256 entries of at most 65535 bytes with their
# 2-byte length prefixes (a hash tile is 8 KiB, a checkpoint far less).
MAX_FETCH = TILE_WIDTH * (0xFFFF + 2)
# Most entries checked: keeps the in-memory hashes of a test log well under 100 MiB.
MAX_ENTRIES = 1 << 21
TIMEOUT_SECONDS = 30
SIG_TYPE_ED25519 = 0x01


class Unreadable(Exception):
    """The log could not be read (network error, missing file, malformed data)."""


def fetch(base, path, required=True):
    url = base.rstrip("/") + "/" + path
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as resp:
            data = resp.read(MAX_FETCH + 1)
    except urllib.error.HTTPError as e:
        if e.code == 404 and not required:
            return None
        raise Unreadable(f"GET {url}: HTTP {e.code}") from e
    except urllib.error.URLError as e:
        raise Unreadable(f"GET {url}: {e.reason}") from e
    if len(data) > MAX_FETCH:
        raise Unreadable(f"GET {url}: larger than {MAX_FETCH} bytes")
    return data


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves):
    """RFC 9162 section 2.1.1 MTH, iteratively: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    # Hash full power-of-two subtrees left to right, then fold them from the right.
    stack = []  # (height, hash)
    for h in leaves:
        node = (0, h)
        while stack and stack[-1][0] == node[0]:
            height, left = stack.pop()
            node = (height + 1, node_hash(left, node[1]))
        stack.append(node)
    root = stack.pop()[1]
    while stack:
        root = node_hash(stack.pop()[1], root)
    return root


def tile_index_path(n):
    """tlog-tiles index encoding: 3-digit groups, all but the last prefixed with 'x'."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g:03d}" for g in groups[:-1]] + [f"{groups[-1]:03d}"])


def tile_path(level, index, width):
    name = "entries" if level is None else str(level)
    path = f"tile/{name}/{tile_index_path(index)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def parse_vkey(vkey):
    parts = vkey.strip().split("+", 2)  # the base64 key may itself hold "+"
    if len(parts) != 3:
        raise Unreadable("the verifier key is not name+keyid+key")
    name, key_id, key_b64 = parts
    raw = base64.b64decode(key_b64, validate=True)
    if len(raw) != 33 or raw[0] != SIG_TYPE_ED25519:
        raise Unreadable("the verifier key is not an Ed25519 key")
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if bytes.fromhex(key_id) != expected:
        raise Unreadable("the verifier key's ID does not match its key")
    return name, expected, raw[1:]


def check_checkpoint(note, vkey):
    """Returns (origin, size, root, signed) from a signed checkpoint note."""
    text_bytes, sep, sigs = note.rpartition(b"\n\n")
    if not sep:
        raise Unreadable("the checkpoint has no signature block")
    text = text_bytes + b"\n"
    lines = text.decode("utf-8").split("\n")
    if len(lines) < 4 or not lines[1].isdigit() or (len(lines[1]) > 1 and lines[1][0] == "0"):
        raise Unreadable("malformed checkpoint body")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise Unreadable("the checkpoint root is not 32 bytes")
    name, key_id, public = parse_vkey(vkey)
    signed = False
    for line in sigs.decode("utf-8").splitlines():
        if not line.startswith("\u2014 "):
            raise Unreadable(f"malformed signature line {line!r}")
        sig_name, _, sig_b64 = line[2:].rpartition(" ")
        raw = base64.b64decode(sig_b64, validate=True)
        if sig_name != name or raw[:4] != key_id or len(raw) != 68:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text)
            signed = True
        except InvalidSignature:
            pass
    return origin, size, root, signed and origin == name


def decode_bundle(data, count):
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise Unreadable("truncated entry bundle")
        n = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + n > len(data):
            raise Unreadable("truncated entry bundle")
        entries.append(data[pos : pos + n])
        pos += n
    if len(entries) != count:
        raise Unreadable(f"entry bundle holds {len(entries)} entries, expected {count}")
    return entries


def check(base, vkey):
    report = {"problems": []}
    origin, size, root, signed = check_checkpoint(fetch(base, "checkpoint"), vkey)
    report.update(origin=origin, tree_size=size, signed_by_log_key=signed)
    if not signed:
        report["problems"].append("the checkpoint is not signed by the given key")
    if size > MAX_ENTRIES:
        raise Unreadable(f"the log has {size} entries, above this tool's {MAX_ENTRIES}")
    leaves = []
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        count = min(TILE_WIDTH, size - index * TILE_WIDTH)
        bundle = fetch(base, tile_path(None, index, count))
        leaves.extend(leaf_hash(e) for e in decode_bundle(bundle, count))
    report["entries_read"] = len(leaves)
    # Level l of the tiles holds the hashes of full subtrees of 256^l leaves.
    nodes, level, tiles = leaves, 0, 0
    while nodes:
        for index in range((len(nodes) + TILE_WIDTH - 1) // TILE_WIDTH):
            want = nodes[index * TILE_WIDTH : (index + 1) * TILE_WIDTH]
            path = tile_path(level, index, len(want))
            served = fetch(base, path, required=False)
            tiles += 1
            if served is None:
                report["problems"].append(f"{path} is missing")
            elif served != b"".join(want):
                report["problems"].append(f"{path} differs from the recomputed hashes")
        full = len(nodes) // TILE_WIDTH
        nodes = [tree_root(nodes[i * TILE_WIDTH : (i + 1) * TILE_WIDTH]) for i in range(full)]
        level += 1
    report["hash_tiles_checked"] = tiles
    computed = tree_root(leaves)
    report["root"] = base64.b64encode(computed).decode()
    if computed != root:
        report["problems"].append("the entries do not recompute the checkpoint's root")
    report["passed"] = not report["problems"]
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the log's tlog-tiles prefix URL")
    parser.add_argument("--key", required=True, help="the log's verifier key (name+id+key)")
    args = parser.parse_args()
    try:
        report = check(args.url, args.key)
    except (Unreadable, ValueError, UnicodeDecodeError) as e:
        print(json.dumps({"passed": False, "error": str(e)}))
        return 2
    print(json.dumps(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

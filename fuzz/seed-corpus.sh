#!/usr/bin/env bash
# Seeds the corpora of the fuzz targets whose first checks random bytes rarely pass: signed
# PDFs for `pades_verify` and `pdf_read`, and their CMS SignedData for `cms_parse`. Everything is
# made by kyso itself (a demo PKI, a generated one-page PDF signed at B-B and at B-T), so no
# opaque file is checked in. Run it once before `cargo fuzz run`; libFuzzer keeps what it
# finds next to the seeds.
#
#   fuzz/seed-corpus.sh [PATH_TO_KYSO]     # default: builds the release binary
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ]; then
  kyso=$1
else
  (cd "$here/.." && cargo build --release --quiet)
  kyso="${CARGO_TARGET_DIR:-$here/../target}/release/kyso"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$kyso" pki demo --out "$work/pki" >/dev/null
python3 - "$work/in.pdf" <<'PY'
import sys
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
out = bytearray(b"%PDF-1.7\n")
offsets = []
for i, body in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY
pki="$work/pki"
common=(--key "$pki/agency-signer.key.pem" --cert "$pki/agency-signer.pem"
        --chain "$pki/issuing-ca.pem" --offline)
"$kyso" sign "$work/in.pdf" -o "$work/b-b.pdf" "${common[@]}" --level B-B
"$kyso" sign "$work/in.pdf" -o "$work/b-t.pdf" "${common[@]}" --level B-T \
  --tsa-cert "$pki/tsa.pem" --tsa-key "$pki/tsa.key.pem"

for target in pades_verify pdf_read cms_parse; do
  mkdir -p "$here/corpus/$target"
done
for level in b-b b-t; do
  cp "$work/$level.pdf" "$here/corpus/pades_verify/seed-$level.pdf"
  cp "$work/$level.pdf" "$here/corpus/pdf_read/seed-$level.pdf"
  # The signature's /Contents, cut to its DER length (the placeholder pads it with zeros).
  python3 - "$work/$level.pdf" "$here/corpus/cms_parse/seed-$level.der" <<'PY'
import re, sys
pdf = open(sys.argv[1], "rb").read()
der = bytes.fromhex(re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", pdf).group(1).decode())
assert der[0] == 0x30 and der[1] & 0x80, "a long-form SEQUENCE"
n = der[1] & 0x7F
length = int.from_bytes(der[2:2 + n], "big")
open(sys.argv[2], "wb").write(der[:2 + n + length])
PY
done
echo "seeded: $(ls "$here/corpus/cms_parse" "$here/corpus/pades_verify" "$here/corpus/pdf_read" | grep -c seed-) files"

// kyso citizen page: checks in the browser what the server claims.
//
// 1. The ledger proof: each event's entry hashes (RFC 9162 §2.1.1 leaf hash) through its
//    inclusion proof (RFC 9162 §2.1.3.2) to the root of the signed checkpoint (C2SP
//    tlog-checkpoint), and the checkpoint carries a valid Ed25519 signature (C2SP signed-note)
//    of the log key. The entry must name SHA-256(document id of the URL).
// 2. The citizen's PDF: the SHA-256 of each revision prefix (the file up to each `%%EOF` and
//    the end-of-line after it) is computed locally and compared with the issued revision hash
//    of the proven entry. The file is never sent anywhere.
//
// The pure functions are exported for tests under Node (module.exports); in a browser the
// script wires itself to the page.
"use strict";

(function () {
  // Largest file hashed: above the service's 50 MB body limit, bounded so a huge file cannot
  // exhaust the phone's memory.
  const MAX_FILE_BYTES = 100 * 1024 * 1024;
  // Most revision ends tried in one file: a signed decision has a handful of revisions.
  const MAX_REVISIONS = 64;
  // Most proof hashes: a tree of at most 2^64 leaves has at most 64 levels.
  const MAX_PROOF_HASHES = 64;
  const SIG_TYPE_ED25519 = 0x01;
  const ENTRY_ISSUED = 1;
  const ENTRY_REVOKED = 2;
  const ENTRY_SUPERSEDED = 3;

  const enc = new TextEncoder();

  function subtle() {
    const c = globalThis.crypto;
    if (!c || !c.subtle) {
      throw new Error("nocrypto");
    }
    return c.subtle;
  }

  function b64decode(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  function concat(...parts) {
    const n = parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  async function sha256(bytes) {
    return new Uint8Array(await subtle().digest("SHA-256", bytes));
  }

  // RFC 9162 §2.1.1.
  function leafHash(data) {
    return sha256(concat(Uint8Array.of(0), data));
  }

  function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(1), left, right));
  }

  // RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null if the proof is malformed
  // for this index and size.
  async function rootFromInclusion(index, size, leaf, proof) {
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    if (fn > sn || proof.length > MAX_PROOF_HASHES) return null;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0n) return null;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) {
            fn >>= 1n;
            sn >>= 1n;
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  // C2SP signed-note verifier key: name+hex(key ID)+base64(type ‖ public key).
  function parseVerifierKey(vkey) {
    // The name and the hex key ID hold no "+"; the base64 key may.
    const a = vkey.indexOf("+");
    const b = vkey.indexOf("+", a + 1);
    if (a < 1 || b < 0) throw new Error("verifier key must have three parts");
    const name = vkey.slice(0, a);
    const idHex = vkey.slice(a + 1, b);
    const keyB64 = vkey.slice(b + 1);
    const raw = b64decode(keyB64);
    if (raw.length !== 33 || raw[0] !== SIG_TYPE_ED25519) {
      throw new Error("not an Ed25519 verifier key");
    }
    if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error("bad key ID");
    return { name, keyId: idHex, publicKey: raw.subarray(1) };
  }

  // Key ID: the first four bytes of SHA-256(name ‖ "\n" ‖ type ‖ public key).
  async function keyIdOf(name, publicKey) {
    const d = await sha256(concat(enc.encode(name + "\n"), Uint8Array.of(SIG_TYPE_ED25519), publicKey));
    return hex(d.subarray(0, 4));
  }

  // A signed note: text (ending in a newline), a blank line, signature lines "— name base64".
  function parseNote(note) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("no signature block");
    const text = note.slice(0, split + 1);
    const sigs = note
      .slice(split + 2)
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => {
        const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(l);
        if (!m) throw new Error("malformed signature line");
        const raw = b64decode(m[2]);
        return { name: m[1], keyId: hex(raw.subarray(0, 4)), signature: raw.subarray(4) };
      });
    return { text, sigs };
  }

  // C2SP tlog-checkpoint body: origin, size, base64 root, extension lines.
  function parseCheckpoint(text) {
    const lines = text.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      throw new Error("malformed checkpoint");
    }
    const root = b64decode(lines[2]);
    if (root.length !== 32) throw new Error("checkpoint root is not 32 bytes");
    return { origin: lines[0], size: BigInt(lines[1]), root };
  }

  // Ed25519 through WebCrypto. Returns true/false, or "unsupported" when the browser has no
  // Ed25519.
  async function ed25519Verify(publicKey, signature, message) {
    let key;
    try {
      key = await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      if (e && (e.name === "NotSupportedError" || e.name === "SyntaxError" || e.name === "TypeError")) {
        return "unsupported";
      }
      throw e;
    }
    return subtle().verify({ name: "Ed25519" }, key, signature, message);
  }

  // Checks the checkpoint's log signature: "ok", "bad" or "unsupported".
  async function checkSignature(noteText, vkey) {
    const key = parseVerifierKey(vkey);
    if ((await keyIdOf(key.name, key.publicKey)) !== key.keyId) return "bad";
    const note = parseNote(noteText);
    const cp = parseCheckpoint(note.text);
    if (cp.origin !== key.name) return "bad";
    const sig = note.sigs.find((s) => s.name === key.name && s.keyId === key.keyId);
    if (!sig || sig.signature.length !== 64) return "bad";
    const r = await ed25519Verify(key.publicKey, sig.signature, enc.encode(note.text));
    if (r === "unsupported") return r;
    return r ? "ok" : "bad";
  }

  // The fields of a kyso ledger entry (version 1) the page needs.
  function parseEntry(bytes) {
    if (bytes.length < 107 || bytes[0] !== 1) throw new Error("unknown entry version");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 106;
    const dec = new TextDecoder("utf-8", { fatal: true });
    const text = () => {
      if (o + 2 > bytes.length) throw new Error("truncated entry");
      const n = view.getUint16(o);
      o += 2;
      if (o + n > bytes.length) throw new Error("truncated entry");
      const s = dec.decode(bytes.subarray(o, o + n));
      o += n;
      return s;
    };
    return {
      kind: bytes[1],
      idHash: bytes.subarray(2, 34),
      revisionHash: bytes.subarray(34, 66),
      time: Number(view.getBigInt64(98)),
      agency: text(),
      number: text(),
      documentKind: text(),
    };
  }

  // Verifies the whole proof block of the page. Returns
  // { inclusion: bool, signature: "ok"|"bad"|"unsupported", idMatches: bool, entries, size }.
  async function verifyProofData(data) {
    const note = parseNote(data.checkpoint);
    const cp = parseCheckpoint(note.text);
    const idHash = await sha256(enc.encode(data.document_id));
    let inclusion = data.events.length > 0;
    let idMatches = true;
    const entries = [];
    for (const ev of data.events) {
      const bytes = b64decode(ev.entry);
      const leaf = await leafHash(bytes);
      const root = await rootFromInclusion(ev.index, cp.size, leaf, ev.proof.map(b64decode));
      if (!root || !equal(root, cp.root)) inclusion = false;
      const e = parseEntry(bytes);
      if (!equal(e.idHash, idHash)) idMatches = false;
      entries.push(e);
    }
    const signature = await checkSignature(data.checkpoint, data.log_key);
    return { inclusion, signature, idMatches, entries, size: cp.size };
  }

  // Where revisions may end: for each `%%EOF` marker (at most MAX_REVISIONS, in file order),
  // the offset right after it and, if an end-of-line (`\r\n`, `\n` or `\r`) follows, the
  // offset after that too, as kyso's PDF reader accepts both.
  function revisionEnds(bytes) {
    const out = [];
    for (let i = bytes.indexOf(0x25); i >= 0 && i + 5 <= bytes.length; i = bytes.indexOf(0x25, i + 1)) {
      if (bytes[i + 1] !== 0x25 || bytes[i + 2] !== 0x45 || bytes[i + 3] !== 0x4f || bytes[i + 4] !== 0x46) {
        continue;
      }
      if (out.length === MAX_REVISIONS) break;
      const marker = i + 5;
      const ends = [marker];
      if (bytes[marker] === 0x0d && bytes[marker + 1] === 0x0a) ends.push(marker + 2);
      else if (bytes[marker] === 0x0a || bytes[marker] === 0x0d) ends.push(marker + 1);
      out.push(ends);
    }
    return out;
  }

  // Compares the file with the issued revision hashes (hex). Returns { match: true, revision
  // (1-based), end, laterRevisions } for the first revision prefix whose SHA-256 is one of
  // them, else { match: false, revisions }.
  async function matchFile(bytes, revisionHashes) {
    const revisions = revisionEnds(bytes);
    for (let k = 0; k < revisions.length; k++) {
      for (const end of revisions[k]) {
        const h = hex(await sha256(bytes.subarray(0, end)));
        if (revisionHashes.includes(h)) {
          return { match: true, revision: k + 1, end, laterRevisions: revisions.length - k - 1 };
        }
      }
    }
    return { match: false, revisions: revisions.length };
  }

  const api = {
    MAX_FILE_BYTES,
    b64decode,
    hex,
    leafHash,
    rootFromInclusion,
    parseVerifierKey,
    keyIdOf,
    parseNote,
    parseCheckpoint,
    checkSignature,
    parseEntry,
    verifyProofData,
    revisionEnds,
    matchFile,
    ENTRY_ISSUED,
    ENTRY_REVOKED,
    ENTRY_SUPERSEDED,
  };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  }
  if (typeof document === "undefined") return;

  // ---- the page ----

  const vi = document.documentElement.lang !== "en";
  const say = (v, e) => (vi ? v : e);

  function show(el, result, text) {
    el.dataset.result = result;
    el.textContent = text;
  }

  function detail(list, ok, text) {
    const li = document.createElement("li");
    li.className = ok ? "ok" : "bad";
    li.textContent = (ok ? "✔ " : "✘ ") + text;
    list.appendChild(li);
  }

  let issuedHashes = [];

  async function runProof() {
    const block = document.getElementById("kyso-proof");
    const out = document.getElementById("proof-result");
    const list = document.getElementById("proof-details");
    if (!block || !out || !list) return;
    let data;
    try {
      data = JSON.parse(block.textContent);
    } catch (e) {
      show(out, "error", say("Dữ liệu chứng minh không đọc được.", "The proof data cannot be read."));
      return;
    }
    if (!globalThis.crypto || !globalThis.crypto.subtle) {
      show(
        out,
        "unsupported",
        say(
          "Trình duyệt này không cho phép kiểm tra mật mã trên trang này (cần HTTPS). Thông tin trên chỉ dựa vào lời của máy chủ.",
          "This browser does not allow cryptographic checks on this page (HTTPS is needed). The information above rests on the server's word only.",
        ),
      );
      return;
    }
    let r;
    try {
      r = await verifyProofData(data);
    } catch (e) {
      show(out, "fail", say("Kiểm tra thất bại: dữ liệu chứng minh sai định dạng.", "Check failed: the proof data is malformed."));
      return;
    }
    const shown = (f) => {
      // An empty value is not shown at all.
      const el = document.querySelector('[data-field="' + f + '"]');
      return el ? el.textContent : "";
    };
    const issued = r.entries.find((e) => e.kind === ENTRY_ISSUED);
    const fieldsMatch =
      !!issued && shown("agency") === issued.agency && shown("number") === issued.number && shown("kind") === issued.documentKind;
    const withdrawn = r.entries.some((e) => e.kind === ENTRY_REVOKED || e.kind === ENTRY_SUPERSEDED);
    const statusMatches = (document.documentElement.dataset.status === "revoked") === withdrawn;
    issuedHashes = r.entries.filter((e) => e.kind === ENTRY_ISSUED).map((e) => hex(e.revisionHash));

    detail(
      list,
      r.inclusion,
      say(
        "Bản ghi nằm trong sổ cái: bằng chứng bao hàm dẫn tới gốc của điểm kiểm tra (" + r.size + " bản ghi).",
        "The record is in the ledger: the inclusion proof leads to the checkpoint's root (" + r.size + " entries).",
      ),
    );
    detail(list, r.idMatches, say("Bản ghi thuộc về đúng mã văn bản trong đường dẫn.", "The record is about the document code in the link."));
    detail(list, fieldsMatch, say("Cơ quan, số và loại văn bản hiển thị khớp với bản ghi.", "The agency, number and kind shown match the record."));
    detail(list, statusMatches, say("Trạng thái hiển thị khớp với các sự kiện trong sổ cái.", "The status shown matches the ledger events."));
    if (r.signature === "unsupported") {
      const li = document.createElement("li");
      li.className = "warn";
      li.textContent = say(
        "⚠ Trình duyệt này không hỗ trợ Ed25519 nên chưa kiểm tra được chữ ký của điểm kiểm tra; phần đó dựa vào lời của máy chủ.",
        "⚠ This browser lacks Ed25519, so the checkpoint's signature was not checked; that part rests on the server's word.",
      );
      list.appendChild(li);
    } else {
      detail(list, r.signature === "ok", say("Điểm kiểm tra có chữ ký hợp lệ của khóa sổ cái.", "The checkpoint carries a valid signature of the ledger key."));
    }
    const li = document.createElement("li");
    li.className = "note";
    li.textContent = say(
      "Dựa vào lời của máy chủ: khóa sổ cái (hãy đối chiếu mã khóa in trên văn bản) và việc sổ cái không bị che giấu bản ghi thu hồi mới hơn điểm kiểm tra này.",
      "Resting on the server's word: the ledger key (compare the key ID printed on the document) and that no revocation newer than this checkpoint is withheld.",
    );
    list.appendChild(li);
    const allOk = r.inclusion && r.idMatches && fieldsMatch && statusMatches && r.signature !== "bad";
    if (!allOk) {
      show(out, "fail", say("Kiểm tra THẤT BẠI: trang này không khớp với sổ cái.", "Check FAILED: this page does not match the ledger."));
    } else if (r.signature === "unsupported") {
      show(out, "partial", say("Bằng chứng bao hàm hợp lệ; chữ ký chưa kiểm tra được (trình duyệt thiếu Ed25519).", "Inclusion proof valid; signature not checked (browser lacks Ed25519)."));
    } else {
      show(out, "ok", say("Trình duyệt đã kiểm tra: bản ghi có trong sổ cái đã ký.", "Your browser checked it: the record is in the signed ledger."));
    }
  }

  async function checkFile(file) {
    const out = document.getElementById("file-result");
    if (!out) return;
    if (file.size > MAX_FILE_BYTES) {
      show(out, "error", say("Tệp quá lớn để kiểm tra trên trình duyệt.", "The file is too large to check in the browser."));
      return;
    }
    if (issuedHashes.length === 0) {
      show(out, "error", say("Chưa có bản ghi đã kiểm tra để so sánh.", "No checked record to compare with."));
      return;
    }
    show(out, "working", say("Đang tính mã băm trên máy của bạn…", "Hashing on your device…"));
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const m = await matchFile(bytes, issuedHashes);
      if (!m.match) {
        show(
          out,
          "mismatch",
          say(
            "KHÔNG KHỚP: tệp này không chứa văn bản đã ban hành (có thể đã bị sửa đổi hoặc là văn bản khác).",
            "NO MATCH: this file does not contain the issued document (it may have been altered, or it is another document).",
          ),
        );
      } else if (m.laterRevisions === 0) {
        show(out, "match", say("KHỚP: tệp này đúng là văn bản đã ban hành.", "MATCH: this file is the issued document."));
      } else {
        show(
          out,
          "match",
          say(
            "KHỚP: tệp chứa nguyên vẹn văn bản đã ban hành, cộng " +
              m.laterRevisions +
              " phần bổ sung sau đó (thường là dữ liệu xác thực dài hạn). Trình duyệt không đánh giá nội dung phần bổ sung; để kiểm tra đầy đủ hãy dùng dịch vụ xác minh.",
            "MATCH: the file contains the issued document intact, plus " +
              m.laterRevisions +
              " later addition(s) (usually long-term validation data). The browser does not judge what they contain; use the verification service for a full check.",
          ),
        );
      }
    } catch (e) {
      show(out, "error", say("Không đọc được tệp.", "The file cannot be read."));
    }
  }

  function wire() {
    const proofDone = runProof();
    const input = document.getElementById("pdf-file");
    const zone = document.getElementById("drop-zone");
    if (input) {
      input.addEventListener("change", () => {
        if (input.files && input.files[0]) proofDone.then(() => checkFile(input.files[0]));
      });
    }
    if (zone) {
      zone.addEventListener("dragover", (e) => {
        e.preventDefault();
        zone.classList.add("over");
      });
      zone.addEventListener("dragleave", () => zone.classList.remove("over"));
      zone.addEventListener("drop", (e) => {
        e.preventDefault();
        zone.classList.remove("over");
        const f = e.dataTransfer && e.dataTransfer.files[0];
        if (f) proofDone.then(() => checkFile(f));
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();

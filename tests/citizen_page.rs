//! The citizen page served by `kyso serve` for documents appended to its ledger through the
//! CLI while it runs: the HTML (status, fields, escaping, languages, unknown and malformed ids,
//! headers, assets), the page script's checks run under Node on the proof data the page
//! carries (valid and tampered), and the page in headless Chromium with files chosen through
//! its file input (matching, extended, altered).

mod common;

use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::server::Server;
use kyso::http::document_id::DocumentId;
use kyso::ledger::Ed25519Signer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const AGENCY: &str = "Sở Tư pháp tỉnh <Thử> & \"nghiệm\"";

fn sha_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The file revisions of the test: three revisions ending in `\n`, `\r\n` and nothing.
fn revisions() -> Vec<Vec<u8>> {
    vec![
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nstartxref\n9\n%%EOF\n".to_vec(),
        b"2 0 obj\n<</Sig 1>>\nendobj\nstartxref\n40\n%%EOF\r\n".to_vec(),
        b"3 0 obj\n<</DSS 2>>\nendobj\nstartxref\n80\n%%EOF".to_vec(),
    ]
}

/// The issued revision: the first two revisions.
fn issued_revision() -> Vec<u8> {
    let r = revisions();
    [r[0].clone(), r[1].clone()].concat()
}

/// A running server whose ledger holds noise, an issued document and an issued-then-revoked
/// one, appended by `kyso ledger` while the server runs.
struct Fixture {
    server: Server,
    valid_id: String,
    revoked_id: String,
}

fn ledger(server: &Server, args: &[&str]) {
    let dir = server.data_dir.to_str().unwrap();
    common::kyso_ledger(&[args, &["--dir", dir]].concat());
}

fn append(server: &Server, event: &str, id: &str, revision: &str, reason: Option<&str>) {
    let cert = sha_hex(b"signer");
    let mut args = vec![
        "append",
        "--event",
        event,
        "--document-id",
        id,
        "--revision-sha256",
        revision,
        "--signer-cert-sha256",
        &cert,
        "--time",
        "2026-05-28T20:26:40Z",
        "--agency",
        AGENCY,
        "--number",
        "123/QĐ-STP",
        "--kind",
        "Quyết định",
    ];
    if let Some(r) = reason {
        args.extend(["--reason", r]);
    }
    ledger(server, &args);
}

fn fixture() -> Fixture {
    let server = Server::start_dev();
    let valid_id = DocumentId::random().unwrap().to_string();
    let revoked_id = DocumentId::random().unwrap().to_string();
    ledger(
        &server,
        &["bench-append", "--count", "150", "--batch", "10"],
    );
    append(
        &server,
        "issued",
        &valid_id,
        &sha_hex(&issued_revision()),
        None,
    );
    append(&server, "issued", &revoked_id, &sha_hex(b"other"), None);
    ledger(
        &server,
        &["bench-append", "--count", "150", "--batch", "10"],
    );
    append(
        &server,
        "revoked",
        &revoked_id,
        &sha_hex(b"other"),
        Some("Cấp nhầm"),
    );
    Fixture {
        server,
        valid_id,
        revoked_id,
    }
}

fn page(f: &Fixture, id: &str, query: &str) -> (u16, String) {
    let r = f.server.get(&format!("/v/{id}{query}"));
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{id}"
    );
    (r.status, r.text())
}

/// The proof data the page carries for its script.
fn proof_block(html: &str) -> Value {
    let start = html.find("id=\"kyso-proof\">").unwrap() + 16;
    let end = start + html[start..].find("</script>").unwrap();
    let block = &html[start..end];
    // Ledger text cannot close the script element: no raw '<', '>' or '&' inside.
    assert!(!block.contains('<') && !block.contains('>') && !block.contains('&'));
    serde_json::from_str(block).unwrap()
}

#[test]
fn page_shows_status_fields_and_escapes_ledger_text() {
    let f = fixture();
    let (status, html) = page(&f, &f.valid_id, "");
    assert_eq!(status, 200);
    assert!(
        html.contains("<html lang=\"vi\" data-status=\"valid\">"),
        "{html}"
    );
    assert!(html.contains("Văn bản hợp lệ"));
    assert!(html.contains("Sở Tư pháp tỉnh &lt;Thử&gt; &amp; &quot;nghiệm&quot;"));
    assert!(!html.contains("<Thử>"));
    assert!(html.contains("123/QĐ-STP") && html.contains("Quyết định"));
    // 2026-05-28 20:26:40 UTC is 03:26:40 the next day in Vietnam.
    assert!(html.contains("29/05/2026 03:26:40 +07:00"), "{html}");
    assert!(html.contains("href=\"?lang=en\""));
    let data = proof_block(&html);
    assert_eq!(data["document_id"], f.valid_id.as_str());
    assert_eq!(data["events"].as_array().unwrap().len(), 1);
    let r = f.server.get(&format!("/v/{}", f.valid_id));
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let (_, en) = page(&f, &f.valid_id, "?lang=en");
    assert!(en.contains("<html lang=\"en\" data-status=\"valid\">"));
    assert!(en.contains("Genuine document") && en.contains("Issuing agency"));

    let (status, html) = page(&f, &f.revoked_id, "");
    assert_eq!(status, 200);
    assert!(html.contains("data-status=\"revoked\""));
    assert!(html.contains("Văn bản đã bị thu hồi") && html.contains("Cấp nhầm"));
    assert_eq!(proof_block(&html)["events"].as_array().unwrap().len(), 2);

    let unknown = DocumentId::random().unwrap().to_string();
    for id in [unknown.as_str(), "not-an-id", "AAAA"] {
        let (status, html) = page(&f, id, "");
        assert_eq!(status, 404, "{id}");
        assert!(html.contains("data-status=\"unknown\""), "{id}");
        assert!(html.contains("Không tìm thấy văn bản"));
        assert!(!html.contains("kyso-proof") && !html.contains(id));
    }

    for (path, kind) in [
        ("/static/citizen.js", "text/javascript; charset=utf-8"),
        ("/static/citizen.css", "text/css; charset=utf-8"),
    ] {
        let r = f.server.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(kind));
        assert!(r.header("etag").is_some());
    }
}

fn node_results(cases: &Value) -> Option<Value> {
    if !common::have_tool("node") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.json");
    std::fs::write(&path, cases.to_string()).unwrap();
    let harness = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/citizen_harness.js");
    let out = Command::new("node")
        .arg(harness)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "node harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// Flips one bit of the base64 value at `pointer` in `v`.
fn flip(v: &mut Value, pointer: &str, byte: usize) {
    let slot = v.pointer_mut(pointer).unwrap();
    let mut raw = B64.decode(slot.as_str().unwrap()).unwrap();
    raw[byte] ^= 1;
    *slot = Value::String(B64.encode(raw));
}

#[test]
fn page_script_checks_ledger_proofs_and_files() {
    let f = fixture();
    let valid = proof_block(&page(&f, &f.valid_id, "").1);
    let revoked = proof_block(&page(&f, &f.revoked_id, "").1);

    let mut bad_proof = valid.clone();
    flip(&mut bad_proof, "/events/0/proof/0", 0);
    let mut bad_entry = valid.clone();
    flip(&mut bad_entry, "/events/0/entry", 40);
    let mut other_id = valid.clone();
    other_id["document_id"] = json!(f.revoked_id);
    let mut bad_sig = valid.clone();
    let cp = bad_sig["checkpoint"].as_str().unwrap().to_owned();
    let (text, sig) = cp.rsplit_once("\n\n").unwrap();
    let (name, b64sig) = sig.trim_end().rsplit_once(' ').unwrap();
    let mut raw = B64.decode(b64sig).unwrap();
    raw[10] ^= 1;
    bad_sig["checkpoint"] = json!(format!("{text}\n\n{name} {}\n", B64.encode(raw)));
    let mut other_key = valid.clone();
    let origin = valid["log_key"]
        .as_str()
        .unwrap()
        .split('+')
        .next()
        .unwrap();
    let stranger = Ed25519Signer::from_seed(origin, [9u8; 32]).unwrap();
    other_key["log_key"] = json!(stranger.verifier().to_key_string());

    let revs = revisions();
    let whole = revs.concat();
    let issued_only = [revs[0].clone(), revs[1].clone()].concat();
    let mut altered = whole.clone();
    altered[20] ^= 0x20;
    let first_only = revs[0].clone();
    let hashes = json!([sha_hex(&issued_only)]);
    let cases = json!({
        "proofs": {
            "valid": valid,
            "revoked": revoked,
            "bad_proof": bad_proof,
            "bad_entry": bad_entry,
            "other_id": other_id,
            "bad_sig": bad_sig,
            "other_key": other_key,
        },
        "files": {
            "issued_only": { "file": B64.encode(&issued_only), "hashes": hashes },
            "extended": { "file": B64.encode(&whole), "hashes": hashes },
            "altered": { "file": B64.encode(&altered), "hashes": hashes },
            "first_only": { "file": B64.encode(&first_only), "hashes": hashes },
        }
    });
    let Some(r) = node_results(&cases) else {
        return;
    };
    let size = f
        .server
        .get("/checkpoint")
        .text()
        .lines()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap();
    assert_eq!(r["valid"]["inclusion"], true, "{r}");
    assert_eq!(r["valid"]["signature"], "ok", "{r}");
    assert_eq!(r["valid"]["id_matches"], true);
    assert_eq!(r["valid"]["size"], size);
    assert_eq!(r["valid"]["kinds"], json!([1]));
    assert_eq!(r["valid"]["agency"], json!([AGENCY]));
    assert_eq!(
        r["valid"]["revision_hashes"],
        json!([sha_hex(&issued_only)])
    );
    assert_eq!(r["revoked"]["inclusion"], true, "{r}");
    assert_eq!(r["revoked"]["signature"], "ok");
    assert_eq!(r["revoked"]["kinds"], json!([1, 2]));
    assert_eq!(r["bad_proof"]["inclusion"], false, "{r}");
    assert_eq!(r["bad_proof"]["signature"], "ok");
    assert_eq!(r["bad_entry"]["inclusion"], false, "{r}");
    assert_eq!(r["other_id"]["inclusion"], true);
    assert_eq!(r["other_id"]["id_matches"], false, "{r}");
    assert_eq!(r["bad_sig"]["inclusion"], true);
    assert_eq!(r["bad_sig"]["signature"], "bad", "{r}");
    assert_eq!(r["other_key"]["signature"], "bad", "{r}");

    assert_eq!(r["issued_only"]["match"], true, "{r}");
    assert_eq!(r["issued_only"]["revision"], 2);
    assert_eq!(r["issued_only"]["laterRevisions"], 0);
    assert_eq!(r["issued_only"]["end"], issued_only.len());
    assert_eq!(r["extended"]["match"], true, "{r}");
    assert_eq!(r["extended"]["revision"], 2);
    assert_eq!(r["extended"]["laterRevisions"], 1);
    assert_eq!(r["altered"]["match"], false, "{r}");
    assert_eq!(r["altered"]["revisions"], 3);
    assert_eq!(r["first_only"]["match"], false, "{r}");
}

#[test]
fn page_script_in_headless_chromium() {
    let Some(browser) = common::webdriver::Browser::start() else {
        return;
    };
    let f = fixture();
    let revs = revisions();
    let dir = tempfile::tempdir().unwrap();
    let issued = dir.path().join("issued.pdf");
    std::fs::write(&issued, [revs[0].clone(), revs[1].clone()].concat()).unwrap();
    let extended = dir.path().join("extended.pdf");
    std::fs::write(&extended, revs.concat()).unwrap();
    let mut bytes = revs.concat();
    bytes[20] ^= 0x20;
    let altered = dir.path().join("altered.pdf");
    std::fs::write(&altered, bytes).unwrap();

    let page = f.server.url(&format!("/v/{}", f.valid_id));
    let pending = ["pending"];
    let working = ["", "working"];
    for (file, want) in [
        (&issued, "match"),
        (&extended, "match"),
        (&altered, "mismatch"),
    ] {
        browser.open(&page);
        assert_eq!(browser.attribute("html", "data-status").unwrap(), "valid");
        let proof = browser.wait_attribute("#proof-result", "data-result", &pending);
        assert_eq!(proof, "ok", "{}", browser.text("#proof-details"));
        browser.choose_file("#pdf-file", file);
        let got = browser.wait_attribute("#file-result", "data-result", &working);
        assert_eq!(
            got,
            want,
            "{}: {}",
            file.display(),
            browser.text("#file-result")
        );
    }
    browser.open(&f.server.url(&format!("/v/{}?lang=en", f.revoked_id)));
    assert_eq!(browser.attribute("html", "data-status").unwrap(), "revoked");
    assert_eq!(
        browser.wait_attribute("#proof-result", "data-result", &pending),
        "ok"
    );
    assert!(browser
        .text("#proof-result")
        .contains("Your browser checked it"));
}

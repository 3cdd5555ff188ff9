//! The citizen page without a server: the HTML rendered from real ledger events (status,
//! fields, escaping, languages), and the page script's checks run under Node against proofs,
//! checkpoints and files produced by the Rust ledger code — valid ones and tampered ones.

mod common;

use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use kyso::http::citizen::{render, CitizenView, Lang, Status};
use kyso::ledger::entry::{document_id_hash, Entry, EntryKind};
use kyso::ledger::log::{Found, Ledger, LedgerOptions};
use kyso::ledger::memory::MemoryStore;
use kyso::ledger::Ed25519Signer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "ledger.test.kyso.example/citizen";
const VALID_ID: &str = "K7Q2M4XW9D3RB6TF5HYJ8NPC2A";
const REVOKED_ID: &str = "B4ZT6Q8MRX2K5D7NCWHJ3P9F4E";
const AGENCY: &str = "Sở Tư pháp tỉnh <Thử> & \"nghiệm\"";

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn entry(kind: EntryKind, id: &str, revision: [u8; 32], time: i64) -> Entry {
    Entry {
        kind,
        document_id_hash: document_id_hash(id),
        revision_hash: revision,
        signer_cert_sha256: sha(b"signer"),
        time,
        agency: AGENCY.into(),
        document_number: "123/QĐ-STP".into(),
        document_kind: "Quyết định".into(),
        reason: (kind == EntryKind::Revoked).then(|| "Cấp nhầm".into()),
        superseded_by: None,
    }
}

/// The file revisions of the test: three revisions ending in `\n`, `\r\n` and nothing.
fn revisions() -> Vec<Vec<u8>> {
    vec![
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nstartxref\n9\n%%EOF\n".to_vec(),
        b"2 0 obj\n<</Sig 1>>\nendobj\nstartxref\n40\n%%EOF\r\n".to_vec(),
        b"3 0 obj\n<</DSS 2>>\nendobj\nstartxref\n80\n%%EOF".to_vec(),
    ]
}

struct Fixture {
    ledger: Ledger,
    issued_revision: [u8; 32],
}

/// A log with noise entries around an issued document, and an issued-then-revoked one.
fn fixture() -> Fixture {
    let store = MemoryStore::new();
    // A key whose base64 holds a '+', the separator of the key string's other parts.
    let signer = (0u8..=255)
        .map(|s| Ed25519Signer::from_seed(ORIGIN, [s; 32]).unwrap())
        .find(|k| k.verifier().to_key_string().matches('+').count() > 2)
        .unwrap();
    let ledger = Ledger::create(
        &store,
        Box::new(store.published()),
        ORIGIN,
        signer,
        LedgerOptions::default(),
    )
    .unwrap();
    let revs = revisions();
    let issued_revision = sha(&[revs[0].clone(), revs[1].clone()].concat());
    for i in 0..300u32 {
        let noise = format!("NOISE{i}");
        let e = entry(
            EntryKind::Issued,
            &noise,
            sha(noise.as_bytes()),
            1_780_000_000,
        );
        ledger.append(&e).unwrap();
        if i == 100 {
            let e = entry(EntryKind::Issued, VALID_ID, issued_revision, 1_780_000_000);
            ledger.append(&e).unwrap();
            let e = entry(EntryKind::Issued, REVOKED_ID, sha(b"other"), 1_780_000_000);
            ledger.append(&e).unwrap();
        }
    }
    let e = entry(EntryKind::Revoked, REVOKED_ID, sha(b"other"), 1_780_086_400);
    ledger.append(&e).unwrap();
    Fixture {
        ledger,
        issued_revision,
    }
}

fn view(f: &Fixture, lang: Lang, id: &str) -> CitizenView {
    let events: Vec<Found> = f.ledger.find_by_document_id(id).unwrap();
    CitizenView::new(lang, id, &events, &f.ledger.verifier().to_key_string())
}

#[test]
fn page_shows_status_fields_and_escapes_ledger_text() {
    let f = fixture();
    let valid = view(&f, Lang::Vi, VALID_ID);
    assert_eq!(valid.status, Status::Valid);
    let html = render(&valid);
    assert!(
        html.contains("<html lang=\"vi\" data-status=\"valid\">"),
        "{html}"
    );
    assert!(html.contains("Văn bản hợp lệ"));
    assert!(html.contains("Sở Tư pháp tỉnh &lt;Thử&gt; &amp; &quot;nghiệm&quot;"));
    assert!(!html.contains("<Thử>"));
    assert!(html.contains("123/QĐ-STP") && html.contains("Quyết định"));
    // 1_780_000_000 is 2026-05-28 20:26:40 UTC, 03:26:40 the next day in Vietnam.
    assert!(html.contains("29/05/2026 03:26:40 +07:00"), "{html}");
    assert!(html.contains("href=\"?lang=en\""));
    // The proof block cannot be closed by ledger text: no raw '<' inside the JSON.
    let start = html.find("id=\"kyso-proof\">").unwrap() + 16;
    let end = start + html[start..].find("</script>").unwrap();
    let block = &html[start..end];
    assert!(!block.contains('<') && !block.contains('>') && !block.contains('&'));
    let data: Value = serde_json::from_str(block).unwrap();
    assert_eq!(data["document_id"], VALID_ID);
    assert_eq!(data["events"].as_array().unwrap().len(), 1);

    let en = render(&view(&f, Lang::En, VALID_ID));
    assert!(en.contains("<html lang=\"en\" data-status=\"valid\">"));
    assert!(en.contains("Genuine document") && en.contains("Issuing agency"));

    let revoked = view(&f, Lang::Vi, REVOKED_ID);
    assert_eq!(revoked.status, Status::Revoked);
    let html = render(&revoked);
    assert!(html.contains("data-status=\"revoked\""));
    assert!(html.contains("Văn bản đã bị thu hồi") && html.contains("Cấp nhầm"));

    let unknown = view(&f, Lang::Vi, "AAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(unknown.status, Status::Unknown);
    let html = render(&unknown);
    assert!(html.contains("data-status=\"unknown\""));
    assert!(html.contains("Không tìm thấy văn bản"));
    assert!(!html.contains("kyso-proof"));
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

fn proof_json(v: &CitizenView) -> Value {
    serde_json::to_value(v.proof.as_ref().unwrap()).unwrap()
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
    let valid = proof_json(&view(&f, Lang::Vi, VALID_ID));
    let revoked = proof_json(&view(&f, Lang::Vi, REVOKED_ID));

    let mut bad_proof = valid.clone();
    flip(&mut bad_proof, "/events/0/proof/0", 0);
    let mut bad_entry = valid.clone();
    flip(&mut bad_entry, "/events/0/entry", 40);
    let mut other_id = valid.clone();
    other_id["document_id"] = json!(REVOKED_ID);
    let mut bad_sig = valid.clone();
    let cp = bad_sig["checkpoint"].as_str().unwrap().to_owned();
    let (text, sig) = cp.rsplit_once("\n\n").unwrap();
    let (name, b64sig) = sig.trim_end().rsplit_once(' ').unwrap();
    let mut raw = B64.decode(b64sig).unwrap();
    raw[10] ^= 1;
    bad_sig["checkpoint"] = json!(format!("{text}\n\n{name} {}\n", B64.encode(raw)));
    let mut other_key = valid.clone();
    let stranger = Ed25519Signer::from_seed(ORIGIN, [9u8; 32]).unwrap();
    other_key["log_key"] = json!(stranger.verifier().to_key_string());

    let revs = revisions();
    let whole = revs.concat();
    let issued_only = [revs[0].clone(), revs[1].clone()].concat();
    let mut altered = whole.clone();
    altered[20] ^= 0x20;
    let first_only = revs[0].clone();
    let hashes = json!([hex::encode(f.issued_revision)]);
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
    let size = f.ledger.signed_checkpoint().unwrap().checkpoint().size;
    assert_eq!(r["valid"]["inclusion"], true, "{r}");
    assert_eq!(r["valid"]["signature"], "ok", "{r}");
    assert_eq!(r["valid"]["id_matches"], true);
    assert_eq!(r["valid"]["size"], size);
    assert_eq!(r["valid"]["kinds"], json!([1]));
    assert_eq!(r["valid"]["agency"], json!([AGENCY]));
    assert_eq!(
        r["valid"]["revision_hashes"],
        json!([hex::encode(f.issued_revision)])
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

/// Serves the rendered pages of `views` at `/v/{id}` and the page assets, on a free port.
fn serve_views(views: Vec<(String, CitizenView)>) -> String {
    use axum::extract::Path as UrlPath;
    use axum::routing::get;
    use std::sync::Arc;

    let views = Arc::new(views);
    let app = axum::Router::new()
        .route(
            "/v/{id}",
            get(move |UrlPath(id): UrlPath<String>| {
                let views = Arc::clone(&views);
                async move {
                    let v = views.iter().find(|(i, _)| *i == id).map(|(_, v)| v);
                    kyso::http::citizen::page_response(v.unwrap())
                }
            }),
        )
        .route("/static/citizen.js", get(kyso::http::citizen::script))
        .route("/static/citizen.css", get(kyso::http::citizen::style));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

#[test]
fn page_script_in_headless_chromium() {
    let Some(browser) = common::webdriver::Browser::start() else {
        return;
    };
    let f = fixture();
    let base = serve_views(vec![
        (VALID_ID.into(), view(&f, Lang::Vi, VALID_ID)),
        (REVOKED_ID.into(), view(&f, Lang::En, REVOKED_ID)),
    ]);
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

    let page = format!("{base}/v/{VALID_ID}");
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
    browser.open(&format!("{base}/v/{REVOKED_ID}"));
    assert_eq!(browser.attribute("html", "data-status").unwrap(), "revoked");
    assert_eq!(
        browser.wait_attribute("#proof-result", "data-result", &pending),
        "ok"
    );
    assert!(browser
        .text("#proof-result")
        .contains("Your browser checked it"));
}

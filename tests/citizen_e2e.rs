//! The citizen's path end to end against a real `kyso serve`: sign the sample decision over
//! HTTP, read the QR code off the rendered page (pdftoppm + zbarimg), open that URL (valid),
//! check the proof in headless Chromium, choose the signed file (match), an altered copy
//! (mismatch) and a copy extended with validation data (still a match), then revoke the
//! document through the ledger CLI while the server runs: the page and `/v1/verify` say revoked.

mod common;

use std::path::Path;

use common::server::Server;
use common::webdriver::Browser;

fn data_status(html: &str) -> Option<&str> {
    let start = html.find("data-status=\"")? + 13;
    html.get(start..).and_then(|s| s.split('"').next())
}

/// The DER certificates of the development PKI, as validation data for an LTV-style update.
fn demo_certificates(data_dir: &Path) -> Vec<Vec<u8>> {
    let dir = data_dir.join(kyso::http::state::DEMO_PKI_DIR);
    let mut certs = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("demo PKI dir") {
        let p = entry.expect("entry").path();
        let is_cert = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".pem") && !n.contains("key"));
        if is_cert {
            let pem = std::fs::read(&p).expect("read");
            if let Ok(found) = kyso::pki::source::load_certificates(&pem) {
                certs.extend(found.iter().map(|c| c.der().to_vec()));
            }
        }
    }
    assert!(!certs.is_empty(), "no certificate in {}", dir.display());
    certs
}

/// Opens the page, waits for the in-browser proof check and returns its result.
fn open_and_check(browser: &Browser, url: &str, status: &str) {
    browser.open(url);
    assert_eq!(
        browser.attribute("html", "data-status").as_deref(),
        Some(status)
    );
    let proof = browser.wait_attribute("#proof-result", "data-result", &["pending"]);
    assert_eq!(proof, "ok", "{}", browser.text("#proof-details"));
}

fn choose(browser: &Browser, url: &str, file: &Path) -> (String, String) {
    open_and_check(browser, url, "valid");
    browser.choose_file("#pdf-file", file);
    let result = browser.wait_attribute("#file-result", "data-result", &["", "working"]);
    (result, browser.text("#file-result"))
}

#[test]
fn qr_link_page_browser_checks_and_revocation() {
    let Some(samples) = common::samples_dir() else {
        return;
    };
    let pdf = std::fs::read(samples.join("quyet-dinh-123-QD-UBND.pdf")).expect("sample");
    let server = Server::start_dev();
    let signed = server.sign(&pdf, "", &[]);
    let id = signed.header("kyso-document-id").expect("id").to_owned();
    let url = signed
        .header("kyso-verification-url")
        .expect("url")
        .to_owned();
    assert_eq!(url, format!("{}/v/{id}", server.public_base));

    let dir = tempfile::tempdir().expect("temp dir");
    let signed_path = dir.path().join("signed.pdf");
    std::fs::write(&signed_path, &signed.body).expect("write");
    let Some(codes) = common::qr::qr_codes(&signed_path) else {
        return;
    };
    assert_eq!(codes, vec![url.clone()], "the QR codes of the signed file");

    let path = url.strip_prefix(&server.base).expect("URL on this server");
    let page = server.get(path);
    assert_eq!(page.status, 200);
    assert_eq!(data_status(&page.text()), Some("valid"));

    let mut altered = signed.body.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x01;
    let altered_path = dir.path().join("altered.pdf");
    std::fs::write(&altered_path, &altered).expect("write");
    let extended = common::edit::add_dss(&signed.body, &demo_certificates(&server.data_dir));
    let extended_path = dir.path().join("extended.pdf");
    std::fs::write(&extended_path, &extended).expect("write");

    let Some(browser) = Browser::start() else {
        return;
    };
    let (result, text) = choose(&browser, &url, &signed_path);
    assert_eq!(result, "match", "{text}");
    let (result, text) = choose(&browser, &url, &altered_path);
    assert_eq!(result, "mismatch", "{text}");
    let (result, text) = choose(&browser, &url, &extended_path);
    assert_eq!(result, "match", "{text}");
    assert!(text.contains("1 phần bổ sung"), "{text}");

    // Revoke through the CLI while the server runs.
    let record = server.get(&format!("/v1/documents/{id}")).json();
    let issued = &record["issued"];
    let field = |k: &str| issued[k].as_str().expect(k).to_owned();
    let dir_arg = server.data_dir.to_str().expect("UTF-8 path").to_owned();
    common::kyso_ledger(&[
        "append",
        "--event",
        "revoked",
        "--document-id",
        &id,
        "--revision-sha256",
        &field("revision_sha256"),
        "--signer-cert-sha256",
        &field("signer_cert_sha256"),
        "--agency",
        &field("agency"),
        "--number",
        &field("document_number"),
        "--kind",
        &field("document_kind"),
        "--reason",
        "Thu hồi để kiểm thử",
        "--dir",
        &dir_arg,
    ]);
    let page = server.get(path);
    assert_eq!(page.status, 200);
    assert_eq!(data_status(&page.text()), Some("revoked"));
    assert!(page.text().contains("Thu hồi để kiểm thử"));
    assert_eq!(
        server.get(&format!("/v1/documents/{id}")).json()["status"],
        "revoked"
    );
    let report = server
        .post("/v1/verify", "application/pdf", &[], &signed.body)
        .json();
    assert_eq!(report["ledger_status"], "revoked", "{report}");
    assert_ne!(report["indication"], "TOTAL_PASSED", "{report}");
    open_and_check(&browser, &url, "revoked");
}

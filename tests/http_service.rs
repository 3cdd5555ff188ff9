//! The HTTP service end to end: a real `kyso serve` on a free port (development mode) signs,
//! records, serves the record, the checkpoint and the tiles, and refuses bad input with the
//! documented JSON errors while staying up.

mod common;

use common::sample_or_one_page as sample_pdf;

use common::server::{multipart, Server};
use sha2::{Digest, Sha256};

#[test]
fn sign_then_read_the_record_checkpoint_and_tiles() {
    let server = Server::start_dev();
    let pdf = sample_pdf();
    let r = server.sign(
        &pdf,
        "?document_number=123/QĐ-UBND&document_kind=Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh",
        &[],
    );
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let id = r
        .header("kyso-document-id")
        .expect("document id")
        .to_owned();
    assert_eq!(id.len(), 26, "{id}");
    assert!(id
        .chars()
        .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
    assert_eq!(r.header("kyso-ledger-index"), Some("0"));
    assert_eq!(
        r.header("kyso-verification-url"),
        Some(format!("{}/v/{id}", server.public_base).as_str())
    );
    assert!(r.body.starts_with(&pdf), "the original bytes are kept");
    let revision = hex::encode(Sha256::digest(&r.body));

    let rec = server.get(&format!("/v1/documents/{id}"));
    assert_eq!(rec.status, 200, "{}", rec.text());
    let rec = rec.json();
    assert_eq!(rec["status"], "valid");
    assert_eq!(rec["issued"]["revision_sha256"], revision);
    assert_eq!(rec["issued"]["document_number"], "123/QĐ-UBND");
    assert_eq!(rec["issued"]["document_kind"], "Quyết định");
    assert_eq!(rec["issued"]["agency"], "UBND tỉnh Đắk Lắk");
    assert_eq!(
        rec["document_id_sha256"],
        hex::encode(Sha256::digest(id.as_bytes()))
    );
    assert!(rec["checkpoint"].as_str().unwrap().contains("\n1\n"));

    let by_hash = server.get(&format!("/v1/documents/by-hash/{revision}"));
    assert_eq!(by_hash.status, 200);
    assert_eq!(by_hash.json()["issued"]["index"], 0);

    let cp = server.get("/checkpoint");
    assert_eq!(cp.status, 200);
    assert_eq!(cp.header("access-control-allow-origin"), Some("*"));
    assert!(
        cp.text().starts_with("kyso.localhost/development\n1\n"),
        "{}",
        cp.text()
    );
    let tile = server.get("/tile/0/000.p/1");
    assert_eq!(tile.status, 200);
    assert_eq!(tile.body.len(), 32);
    assert!(tile.header("cache-control").unwrap().contains("max-age=5"));
    let bundle = server.get("/tile/entries/000.p/1");
    assert_eq!(bundle.status, 200);
    assert_eq!(server.get("/tile/0/000.p/2").status, 404);
    assert_eq!(server.get("/tile/0/000").status, 404, "no full tile yet");
    assert_eq!(server.get("/tile/banana").code(), "bad_request");
}

#[test]
fn the_visible_block_carries_the_qr_link_and_the_ledger_key() {
    let server = Server::start_dev();
    let r = server.sign(&sample_pdf(), "", &[]);
    let id = r.header("kyso-document-id").unwrap().to_owned();
    let vkey = std::fs::read_to_string(server.data_dir.join("log.vkey")).unwrap();
    let key_id = vkey.trim().rsplit_once('+').unwrap().0.to_owned();
    // Both appear in the update's content (text is in the appearance stream as glyph ids, so
    // check what the signature dictionary and QR data make observable: the ledger entry and
    // the record).
    let rec = server.get(&format!("/v1/documents/{id}")).json();
    assert!(rec["log_verifier_key"]
        .as_str()
        .unwrap()
        .starts_with(&key_id));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signed.pdf");
    std::fs::write(&file, &r.body).unwrap();
    if let Some(codes) = common::qr::qr_codes(&file) {
        let want = format!("{}/v/{id}", server.public_base);
        assert!(codes.contains(&want), "QR codes found: {codes:?}");
    }
}

#[test]
fn every_route_is_in_the_openapi_document() {
    let server = Server::start_dev();
    let api = server.get("/openapi.json").json();
    let paths = api["paths"].as_object().expect("paths");
    for route in kyso::http::routes::ROUTES {
        let path = route.openapi_path();
        let method = route.method.as_str().to_ascii_lowercase();
        assert!(
            paths.get(&path).and_then(|p| p.get(&method)).is_some(),
            "{} {} is served but missing from /openapi.json",
            route.method,
            route.path
        );
        // The handler's own documentation names the same path as the router.
        let (documented, _, _) = (route.doc)();
        assert_eq!(documented, path, "the documented path of {}", route.path);
    }
}

#[test]
fn bad_input_gets_documented_json_errors_and_the_server_stays_up() {
    let mut server = Server::start_dev();
    let auth = server.auth();
    let a = [("Authorization", auth.as_str())];
    let check = |r: common::server::Reply, status: u16, code: &str| {
        assert_eq!(r.status, status, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.code(), code, "{}", r.text());
    };
    // Oversized, above the 50 MB default: declared in Content-Length, and sent in chunks
    // without a declared length.
    let limit = 50 * 1024 * 1024;
    let (status, text) = server.raw(
        &format!(
            "POST /v1/sign HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Type: application/pdf\r\nContent-Length: {}\r\n\r\n",
            limit + 1
        ),
        b"%PDF-1.7",
    );
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"code\":\"body_too_large\""), "{text}");
    let chunk = vec![b' '; 1024 * 1024];
    let mut chunked = Vec::new();
    for _ in 0..51 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = server.raw(
        &format!(
            "POST /v1/sign HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        &chunked,
    );
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"code\":\"body_too_large\""), "{text}");
    check(
        server.post("/v1/sign", "text/plain", &a, b"hello"),
        415,
        "unsupported_media_type",
    );
    check(
        server.post("/v1/sign", "application/pdf", &a, b"%PDF-1.7 garbage"),
        422,
        "unreadable_pdf",
    );
    check(
        server.post("/v1/sign", "application/pdf", &[], b"%PDF"),
        401,
        "unauthenticated",
    );
    check(
        server.post(
            "/v1/sign",
            "application/pdf",
            &[("Authorization", "Bearer kyso_nope")],
            b"%PDF",
        ),
        401,
        "unauthenticated",
    );
    let truncated = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 trunc";
    check(
        server.post(
            "/v1/sign",
            "multipart/form-data; boundary=XyZ",
            &a,
            truncated,
        ),
        400,
        "bad_request",
    );
    check(
        server.get("/v1/documents/AAAAAAAAAAAAAAAAAAAAAAAAAA"),
        404,
        "not_found",
    );
    check(
        server.get("/v1/documents/not-an-id"),
        400,
        "malformed_document_id",
    );
    check(
        server.get("/v1/documents/by-hash/abc"),
        400,
        "malformed_hash",
    );
    check(
        server.get(&format!("/v1/documents/by-hash/{}", "0".repeat(64))),
        404,
        "not_found",
    );
    check(server.get("/no/such/route"), 404, "not_found");
    check(server.get("/v1/documents/%FF%FE"), 400, "bad_request");
    check(server.get("/tile/0/%FF"), 400, "bad_request");
    check(server.get("/v1/sign"), 405, "method_not_allowed");
    check(
        server.post("/v1/verify", "application/pdf", &[], b"not a pdf at all"),
        422,
        "unreadable_pdf",
    );
    for query in [
        "visible=none",
        "colour=red",
        "signer=nobody",
        "document_number=%07",
    ] {
        let r = server.post(
            &format!("/v1/sign?{query}"),
            "application/pdf",
            &a,
            &common::pdf::one_page(),
        );
        check(r, 400, "bad_request");
    }
    assert!(server.is_running());
    assert_eq!(server.get("/healthz").status, 200);
    assert!(server.stop(), "clean exit on SIGTERM");
}

/// Adds a text annotation to the first page in a new incremental update.
fn add_annotation(signed: &[u8]) -> Vec<u8> {
    use kyso::pdf::{Dict, Object, PdfString};
    common::edit::update(signed, |doc, w| {
        let mut annot = Dict::new();
        annot.set("Type", Object::name("Annot"));
        annot.set("Subtype", Object::name("Text"));
        annot.set(
            "Rect",
            vec![
                Object::from(50i64),
                Object::from(50i64),
                Object::from(80i64),
                Object::from(80i64),
            ],
        );
        annot.set("Contents", PdfString::text("đã sửa"));
        common::edit::add_annotation(doc, w, annot);
    })
}

fn verify(server: &Server, pdf: &[u8]) -> serde_json::Value {
    let r = server.post("/v1/verify", "application/pdf", &[], pdf);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn verify_passes_a_signed_document_and_fails_it_once_annotated() {
    let server = Server::start_dev();
    let signed = server.sign(&sample_pdf(), "?document_number=7/QĐ", &[]);
    let id = signed.header("kyso-document-id").unwrap().to_owned();
    let report = verify(&server, &signed.body);
    assert_eq!(report["indication"], "TOTAL_PASSED", "{report:#}");
    assert_eq!(report["ledger_status"], "valid");
    let sig = &report["signatures"][0];
    assert_eq!(sig["ledger"]["known"], true);
    assert_eq!(sig["ledger"]["revoked"], false);
    assert_eq!(
        sig["ledger"]["record"]["document_id_sha256"],
        hex::encode(Sha256::digest(id.as_bytes()))
    );
    assert!(!sig["ledger"]["record"]["issued"]["inclusion_proof"].is_null());

    let annotated = add_annotation(&signed.body);
    let report = verify(&server, &annotated);
    assert_eq!(
        report["signatures"][0]["changes_after"], "ANNOTATIONS",
        "{report:#}"
    );
    assert_eq!(report["signatures"][0]["ledger"]["known"], true);
    // DocMDP alone allows annotations on an uncertified file: the ledger's lock fails it.
    assert_eq!(report["pdf_indication"], "TOTAL_PASSED", "{report:#}");
    assert_eq!(report["indication"], "TOTAL_FAILED", "{report:#}");
    assert!(!report["ledger_reasons"].as_array().unwrap().is_empty());

    // A signed PDF the ledger does not know is judged on the file alone.
    let unknown = verify(&server, &sample_pdf());
    assert_eq!(unknown["ledger_status"], "unknown");
}

#[test]
fn the_same_idempotency_key_gives_one_document_and_one_entry() {
    let server = Server::start_dev();
    let pdf = sample_pdf();
    let key = [("Idempotency-Key", "request-42")];
    let first = server.sign(&pdf, "?document_number=1", &key);
    let second = server.sign(&pdf, "?document_number=1", &key);
    assert_eq!(first.body, second.body, "the very same signed PDF");
    assert_eq!(
        first.header("kyso-document-id"),
        second.header("kyso-document-id")
    );
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    let cp = server.get("/checkpoint").text();
    assert_eq!(cp.lines().nth(1), Some("1"), "one ledger entry: {cp}");
    // The same key with another request is refused, not a second document.
    let auth = server.auth();
    let other = server.post(
        "/v1/sign?document_number=2",
        "application/pdf",
        &[("Authorization", auth.as_str()), key[0]],
        &pdf,
    );
    assert_eq!(other.status, 422, "{}", other.text());
    assert_eq!(other.code(), "idempotency_key_reused");
    // Without the key, a second document.
    let third = server.sign(&pdf, "?document_number=1", &[]);
    assert_ne!(
        third.header("kyso-document-id"),
        first.header("kyso-document-id")
    );
}

#[test]
fn a_document_revoked_with_the_ledger_cli_reads_revoked() {
    let server = Server::start_dev();
    let signed = server.sign(&sample_pdf(), "?document_number=9/QĐ&document_kind=QĐ", &[]);
    let id = signed.header("kyso-document-id").unwrap().to_owned();
    let rec = server.get(&format!("/v1/documents/{id}")).json();
    let issued = &rec["issued"];
    let dir = server.data_dir.to_str().unwrap().to_owned();
    let out = common::server::kyso(
        &[
            "ledger",
            "append",
            "--dir",
            &dir,
            "--event",
            "revoked",
            "--document-id",
            &id,
            "--revision-sha256",
            issued["revision_sha256"].as_str().unwrap(),
            "--signer-cert-sha256",
            issued["signer_cert_sha256"].as_str().unwrap(),
            "--agency",
            issued["agency"].as_str().unwrap(),
            "--number",
            "9/QĐ",
            "--kind",
            "QĐ",
            "--reason",
            "ban hành nhầm",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = server.get(&format!("/v1/documents/{id}")).json();
    assert_eq!(rec["status"], "revoked", "{rec:#}");
    assert_eq!(rec["events"].as_array().unwrap().len(), 2);
    assert_eq!(rec["events"][1]["reason"], "ban hành nhầm");
    let report = verify(&server, &signed.body);
    assert_eq!(report["ledger_status"], "revoked");
    assert_eq!(report["signatures"][0]["ledger"]["revoked"], true);
    assert_eq!(report["indication"], "TOTAL_FAILED");
}

#[test]
fn sign_with_multipart_metadata_and_validate_the_signer_chain() {
    let server = Server::start_dev();
    let pdf = sample_pdf();
    let (content_type, body) = multipart(
        r#"{"document_number": "55/QĐ-UBND", "document_kind": "Quyết định", "title": "Về việc cấp phép"}"#,
        &pdf,
    );
    let auth = server.auth();
    let r = server.post(
        "/v1/sign",
        &content_type,
        &[("Authorization", auth.as_str())],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.header("kyso-document-id").unwrap();
    let rec = server.get(&format!("/v1/documents/{id}")).json();
    assert_eq!(rec["issued"]["document_number"], "55/QĐ-UBND");

    let pki = server.demo_pki();
    let pem = |name: &str| std::fs::read_to_string(pki.join(name)).unwrap();
    let req = serde_json::json!({
        "chain": [pem("agency-signer.pem"), pem("issuing-ca.pem")],
    });
    let v = server.post(
        "/v1/certificates/validate",
        "application/json",
        &[],
        req.to_string().as_bytes(),
    );
    assert_eq!(v.status, 200, "{}", v.text());
    assert_eq!(v.json()["indication"], "TOTAL_PASSED", "{}", v.text());
    let revoked = serde_json::json!({
        "chain": [pem("revoked-signer.pem"), pem("issuing-ca.pem")],
        "revocation": "require",
    });
    let v = server.post(
        "/v1/certificates/validate",
        "application/json",
        &[],
        revoked.to_string().as_bytes(),
    );
    assert_eq!(v.json()["indication"], "TOTAL_FAILED", "{}", v.text());
    let bad = server.post(
        "/v1/certificates/validate",
        "application/json",
        &[],
        b"{\"chain\": [\"!!\"]}",
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "bad_request");
    let wrong = server.post("/v1/certificates/validate", "text/plain", &[], b"{}");
    assert_eq!(wrong.status, 415);
}

/// Every PDF under `dir`, recursively, sorted.
fn pdfs_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn published_attack_files_never_pass_nor_break_the_service() {
    let Some(conformance) = common::conformance_dir() else {
        return;
    };
    let files = pdfs_under(&conformance.join("pdf-attacks"));
    assert!(!files.is_empty(), "no attack files found");
    let mut server = Server::start_dev();
    let mut broken_tail = 0;
    for f in &files {
        let pdf = std::fs::read(f).unwrap();
        let r = server.post("/v1/verify", "application/pdf", &[], &pdf);
        // Every one is evaluated: a file whose appended revision cannot be read is judged on
        // its readable revisions (a verdict), not refused as unreadable.
        assert_eq!(r.status, 200, "{}: {}", f.display(), r.text());
        // None of them chains to the development anchors, and the ledger knows none.
        let report = r.json();
        assert_ne!(report["indication"], "TOTAL_PASSED", "{}", f.display());
        assert_eq!(report["ledger_status"], "unknown");
        if f.ends_with(
            "variant-2_replace-via-overwrite/4_original-document-shadowed-signed-manipulated.pdf",
        ) {
            broken_tail += 1;
            let s = &report["signatures"][0];
            assert_eq!(s["indication"], "TOTAL_FAILED", "{s:#}");
            assert_eq!(s["sub_indication"], "FORMAT_FAILURE", "{s:#}");
            assert_eq!(s["changes_after"], "OTHER", "{s:#}");
        }
        assert!(server.is_running(), "after {}", f.display());
    }
    assert_eq!(
        broken_tail, 1,
        "the file with a broken appended revision was checked"
    );
}

#[test]
fn concurrent_requests_with_one_idempotency_key_make_one_entry() {
    let server = Server::start_dev();
    let pdf = sample_pdf();
    let auth = server.auth();
    let replies: Vec<common::server::Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    server.post(
                        "/v1/sign",
                        "application/pdf",
                        &[
                            ("Authorization", auth.as_str()),
                            ("Idempotency-Key", "race"),
                        ],
                        &pdf,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ids = Vec::new();
    for r in &replies {
        match r.status {
            200 => ids.push(r.header("kyso-document-id").unwrap().to_owned()),
            409 => assert_eq!(r.code(), "idempotency_conflict"),
            other => panic!("status {other}: {}", r.text()),
        }
    }
    assert!(!ids.is_empty());
    ids.dedup();
    assert_eq!(ids.len(), 1, "one document: {ids:?}");
    let cp = server.get("/checkpoint").text();
    assert_eq!(cp.lines().nth(1), Some("1"), "one ledger entry: {cp}");
}

//! Long-term validation in the service: `POST /tsa` served by `kyso serve` (development mode:
//! the demo TSA certificate), and `POST /v1/sign` at B-T (the development default, stamped in
//! process) and B-LTA; `kyso verify` and pyHanko accept the files and the ledger knows the
//! signed revision, not the later `/DSS` and document-timestamp revisions.

mod common;

use common::sample_or_one_page as sample_pdf;

use std::path::Path;
use std::process::Command;

use common::server::{Reply, Server};
use kyso::cms::{
    timestamp_request, token_from_response, verify_timestamp_digest, ContentDigest, DigestAlgorithm,
};
use sha2::{Digest, Sha256};

#[test]
fn the_service_serves_the_demo_time_stamp_authority() {
    let server = Server::start_dev();
    let req =
        timestamp_request(DigestAlgorithm::Sha256, &[7; 32], Some(&[9, 9]), true).expect("request");
    let r = server.post("/tsa", "application/timestamp-query", &[], &req);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/timestamp-reply")
    );
    let token = token_from_response(&r.body).expect("granted");
    let report = verify_timestamp_digest(
        &token,
        &[ContentDigest {
            algorithm: DigestAlgorithm::Sha256,
            value: vec![7; 32],
        }],
        Some(&[9, 9]),
    )
    .expect("verify");
    assert!(report.is_valid(), "{:?}", report.problems);
    // The token is signed by the demo TSA certificate of the data directory.
    let tsa_pem = std::fs::read(server.demo_pki().join("tsa.pem")).expect("tsa.pem");
    let tsa_der = openssl::x509::X509::from_pem(&tsa_pem)
        .and_then(|c| c.to_der())
        .expect("tsa cert");
    assert!(
        token
            .windows(tsa_der.len())
            .any(|w| w == tsa_der.as_slice()),
        "the token does not carry the demo TSA certificate"
    );

    let wrong = server.post("/tsa", "application/json", &[], &req);
    assert_eq!(wrong.status, 415);
    assert_eq!(wrong.code(), "unsupported_media_type");
    let garbage = server.post("/tsa", "application/timestamp-query", &[], b"not DER");
    assert_eq!(garbage.status, 400);
    assert!(token_from_response(&garbage.body).is_err());
    let big = server.post(
        "/tsa",
        "application/timestamp-query",
        &[],
        &vec![0x30; kyso::cms::MAX_REQUEST_SIZE + 1],
    );
    assert_eq!(big.status, 413);
    assert_eq!(big.code(), "body_too_large");

    let limited: Option<Reply> = (0..400)
        .map(|_| server.post("/tsa", "application/timestamp-query", &[], &req))
        .find(|r| r.status == 429);
    let limited = limited.expect("no request was rate-limited");
    assert_eq!(limited.code(), "rate_limited");
    assert_eq!(limited.header("retry-after"), Some("1"));

    let api = server.get("/openapi.json").json();
    assert!(api["paths"]["/tsa"]["post"].is_object(), "{api:#}");
    // The server stayed up.
    assert_eq!(server.get("/healthz").status, 200);
}

/// `/ByteRange` of the first signature dictionary at or after `from`: the signed revision is
/// `b + c` bytes long.
fn signed_revision_len(pdf: &[u8], from: usize) -> usize {
    let text = String::from_utf8_lossy(pdf.get(from..).expect("offset"));
    let at = text.find("/ByteRange").expect("a signature");
    let rest = &text[at + "/ByteRange".len()..];
    let inside = &rest[rest.find('[').expect("[") + 1..rest.find(']').expect("]")];
    let n: Vec<usize> = inside
        .split_whitespace()
        .map(|v| v.parse().expect("number"))
        .collect();
    assert_eq!(n.len(), 4, "{inside}");
    n[2] + n[3]
}

fn kyso_verify(pki: &Path, file: &Path) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_kyso"))
        .arg("verify")
        .arg(file)
        .arg("--trust")
        .arg(pki.join("root-ca.pem"))
        .arg("--crl")
        .arg(pki.join("issuing-ca.crl.pem"))
        .arg("--crl")
        .arg(pki.join("root-ca.crl.pem"))
        .args(["--offline", "--json"])
        .output()
        .expect("kyso verify");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "kyso verify: {e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    assert_eq!(o.status.code(), Some(0), "{report:#}");
    report
}

fn pyhanko_validate(pki: &Path, file: &Path) -> String {
    let o = Command::new("pyhanko")
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(pki.join("root-ca.pem"))
        .arg("--trust-replace")
        .arg("--other-certs")
        .arg(pki.join("issuing-ca.pem"))
        .arg(file)
        .output()
        .expect("pyhanko");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.status.success(),
        "pyhanko rejects {}: {said}",
        file.display()
    );
    said
}

#[test]
fn sign_at_b_t_and_b_lta_through_the_api() {
    let tools = common::have_tool("pyhanko");
    let server = Server::start_dev();
    let pki = server.demo_pki();
    let pdf = sample_pdf();
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = server.auth();

    // The development default is B-T; B-LT from the multipart metadata; B-LTA from the query.
    let bt = server.sign(&pdf, "?document_number=1/QĐ", &[]);
    let (content_type, body) =
        common::server::multipart(r#"{"document_number": "2/QD", "level": "B-LT"}"#, &pdf);
    let blt = server.post(
        "/v1/sign",
        &content_type,
        &[("Authorization", auth.as_str())],
        &body,
    );
    assert_eq!(blt.status, 200, "{}", blt.text());
    let blta = server.sign(&pdf, "?document_number=3/QĐ&level=B-LTA", &[]);
    let bad = server.post(
        "/v1/sign?level=B-X",
        "application/pdf",
        &[("Authorization", auth.as_str())],
        &pdf,
    );
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(bad.code(), "bad_request");

    for (level, r) in [("B-T", &bt), ("B-LT", &blt), ("B-LTA", &blta)] {
        let id = r.header("kyso-document-id").expect("id").to_owned();
        assert!(r.body.starts_with(&pdf));
        let path = dir.path().join(format!("{level}.pdf"));
        std::fs::write(&path, &r.body).expect("write");

        let report = kyso_verify(&pki, &path);
        assert_eq!(report["level"], level, "{report:#}");
        assert_eq!(report["signatures"][0]["level"], level, "{report:#}");
        assert_eq!(
            report["signatures"][0]["time_source"], "signature_timestamp",
            "{report:#}"
        );

        // The ledger holds the signed revision's hash, whatever was appended after it.
        let signed_len = signed_revision_len(&r.body, pdf.len());
        let revision = hex::encode(Sha256::digest(&r.body[..signed_len]));
        let rec = server.get(&format!("/v1/documents/by-hash/{revision}"));
        assert_eq!(rec.status, 200, "{level}: {}", rec.text());
        let rec = rec.json();
        assert_eq!(rec["issued"]["revision_sha256"], revision);
        assert_eq!(
            rec["document_id_sha256"],
            hex::encode(Sha256::digest(id.as_bytes()))
        );
        if level == "B-T" {
            assert_eq!(signed_len, r.body.len(), "B-T adds no revision");
        } else {
            assert!(
                signed_len < r.body.len(),
                "{level} adds /DSS after the signature"
            );
            let whole = hex::encode(Sha256::digest(&r.body));
            assert_eq!(
                server.get(&format!("/v1/documents/by-hash/{whole}")).status,
                404,
                "the ledger must not record the /DSS revision"
            );
        }
        // The service's own verification finds the ledger entry.
        let v = server.post("/v1/verify", "application/pdf", &[], &r.body);
        assert_eq!(v.status, 200, "{}", v.text());
        let v = v.json();
        assert_eq!(v["signatures"][0]["ledger"]["known"], true, "{v:#}");
        assert_eq!(v["indication"], "TOTAL_PASSED", "{v:#}");

        if tools {
            let said = pyhanko_validate(&pki, &path);
            assert!(said.contains("Signature timestamp token"), "{said}");
            if level != "B-T" {
                assert!(said.contains("signature maintenance"), "{said}");
            }
        }
    }
}

//! `kyso cert verify` end to end: the built binary on a demo PKI generated into a temporary
//! directory. Exit codes: 0 valid, 1 not valid, 2 unreadable.

mod common;
#[path = "common/pki.rs"]
mod pki_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use time::OffsetDateTime;

/// The binary under test: `$KYSO_BIN` when set (to test a particular build), else the one cargo
/// built for this test run.
fn kyso_bin() -> PathBuf {
    std::env::var_os("KYSO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kyso")))
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    pki_common::write_demo(dir.path(), OffsetDateTime::now_utc());
    dir
}

fn kyso(dir: &Path, args: &[&str]) -> Output {
    Command::new(kyso_bin())
        .current_dir(dir)
        .env_remove("KYSO_CERTS_DIR")
        .args(args)
        .output()
        .expect("run kyso")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(out),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `cert verify LEAF` with the demo chain and anchor, plus `extra` arguments.
fn verify_with(dir: &Path, leaf: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "cert",
        "verify",
        leaf,
        "--chain",
        "issuing-ca.pem",
        "--trust",
        "root-ca.pem",
    ];
    args.extend_from_slice(extra);
    kyso(dir, &args)
}

/// `cert verify LEAF` with the demo chain, anchor and both CRLs, plus `extra` arguments.
fn verify(dir: &Path, leaf: &str, extra: &[&str]) -> Output {
    let mut args = vec!["--crl", "root-ca.crl.pem", "--crl", "issuing-ca.crl.pem"];
    args.extend_from_slice(extra);
    verify_with(dir, leaf, &args)
}

/// `verify LEAF --json` for a leaf that must not validate: exit code 1 and a report whose
/// reason names the certificate's `holder`.
fn rejected(dir: &Path, leaf: &str, holder: &str) -> Value {
    let out = verify(dir, leaf, &["--json"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let v = json(&out);
    assert!(
        v["reason"].as_str().is_some_and(|r| r.contains(holder)),
        "{v}"
    );
    v
}

/// The certificate in the PEM file `file` of `dir`.
fn pem_cert(dir: &Path, file: &str) -> openssl::x509::X509 {
    let pem = std::fs::read(dir.join(file)).expect("read");
    openssl::x509::X509::from_pem(&pem).expect("pem")
}

/// The serial number of `cert` in hex, as OpenSSL prints it.
fn serial_hex(cert: &openssl::x509::X509) -> String {
    cert.serial_number()
        .to_bn()
        .expect("bn")
        .to_hex_str()
        .expect("hex")
        .to_string()
}

#[test]
fn valid_agency_signer_exits_0_with_readable_text() {
    let dir = demo();
    let out = verify(dir.path(), "agency-signer.pem", &[]);
    let text = stdout(&out);
    assert_eq!(
        code(&out),
        0,
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Kết quả / Result: TOTAL_PASSED"), "{text}");
    assert!(text.contains("CN=UBND tỉnh Đắk Lắk"), "{text}");
    assert!(text.contains("DEMO RootCA chuyên dùng Chính phủ"), "{text}");
}

#[test]
fn json_report_has_the_fields_and_literal_diacritics() {
    let dir = demo();
    let out = verify(dir.path(), "person-signer.pem", &["--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let raw = stdout(&out);
    assert!(
        raw.contains("Nguyễn Văn An"),
        "not written literally: {raw}"
    );
    assert!(!raw.contains("\\u"), "escaped non-ASCII: {raw}");
    let v = json(&out);
    assert_eq!(v["indication"], "TOTAL_PASSED");
    assert!(v["sub_indication"].is_null());
    assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(v["warnings"].is_array());
    let path = v["path"].as_array().expect("path");
    assert_eq!(path.len(), 3, "{raw}");
    let leaf = pem_cert(dir.path(), "person-signer.pem");
    let digest = openssl::sha::sha256(&leaf.to_der().expect("der"));
    assert_eq!(path[0]["sha256"], hex::encode(digest));
    let serial = serial_hex(&leaf);
    assert_eq!(
        path[0]["serial"]
            .as_str()
            .map(|s| s.trim_start_matches('0').to_ascii_lowercase()),
        Some(serial.trim_start_matches('0').to_ascii_lowercase())
    );
    let subject = path[0]["subject"].as_str().expect("subject");
    assert!(subject.contains("CN=Nguyễn Văn An"), "{subject}");
    assert!(subject.contains("O=UBND tỉnh Đắk Lắk"), "{subject}");
    assert!(path[2]["subject"]
        .as_str()
        .is_some_and(|s| s.contains("DEMO RootCA chuyên dùng Chính phủ")));
}

#[test]
fn revoked_signer_exits_1_revoked() {
    let dir = demo();
    // The reason names the certificate.
    let v = rejected(dir.path(), "revoked-signer.pem", "Trần Thị Bình");
    assert_eq!(v["indication"], "TOTAL_FAILED");
    assert_eq!(v["sub_indication"], "REVOKED");
}

#[test]
fn expired_signer_exits_1() {
    let dir = demo();
    let v = rejected(dir.path(), "expired-signer.pem", "Lê Văn Cường");
    assert_ne!(v["indication"], "TOTAL_PASSED");
}

#[test]
fn validation_time_before_the_leaf_was_issued_fails() {
    let dir = demo();
    let out = verify(
        dir.path(),
        "agency-signer.pem",
        &["--json", "--at", "2000-01-01T00:00:00+07:00"],
    );
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_ne!(json(&out)["indication"], "TOTAL_PASSED");
}

#[test]
fn revocation_policy_decides_what_missing_status_means() {
    let dir = demo();
    let with = |policy: &str| {
        verify_with(
            dir.path(),
            "agency-signer.pem",
            &["--json", "--revocation", policy],
        )
    };
    let out = with("require");
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["indication"], "INDETERMINATE");
    assert_eq!(v["sub_indication"], "TRY_LATER");

    let out = with("soft-fail");
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(!json(&out)["warnings"]
        .as_array()
        .expect("warnings")
        .is_empty());

    let out = with("off");
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(!json(&out)["warnings"]
        .as_array()
        .expect("warnings")
        .is_empty());
}

#[test]
fn der_leaf_and_multi_certificate_chain_file_are_read() {
    let dir = demo();
    let der = pem_cert(dir.path(), "agency-signer.pem")
        .to_der()
        .expect("der");
    std::fs::write(dir.path().join("agency-signer.der"), der).expect("write");
    let out = kyso(
        dir.path(),
        &[
            "cert",
            "verify",
            "agency-signer.der",
            "--chain",
            "chain.pem",
            "--trust",
            "root-ca.pem",
            "--crl",
            "issuing-ca.crl.pem",
            "--crl",
            "root-ca.crl.pem",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn configured_anchors_are_used_without_trust() {
    let dir = demo();
    let args = [
        "cert",
        "verify",
        "agency-signer.pem",
        "--chain",
        "issuing-ca.pem",
        "--crl",
        "issuing-ca.crl.pem",
        "--crl",
        "root-ca.crl.pem",
    ];
    // No certs/ directory at all: unreadable, not trusted by default.
    let out = kyso(dir.path(), &args);
    assert_eq!(code(&out), 2, "{}", stdout(&out));

    let anchors = dir.path().join("certs/anchors");
    std::fs::create_dir_all(&anchors).expect("mkdir");
    let out = kyso(dir.path(), &args);
    assert_eq!(code(&out), 2, "empty anchors dir must not trust anything");

    std::fs::copy(
        dir.path().join("root-ca.pem"),
        anchors.join("demo-root-ca.pem"),
    )
    .expect("copy");
    let out = kyso(dir.path(), &args);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    // KYSO_CERTS_DIR points elsewhere: an anchors dir with an unrelated root.
    let other = tempfile::tempdir().expect("tempdir");
    let other_pki = tempfile::tempdir().expect("tempdir");
    pki_common::write_demo(other_pki.path(), OffsetDateTime::now_utc());
    std::fs::create_dir_all(other.path().join("anchors")).expect("mkdir");
    std::fs::copy(
        other_pki.path().join("root-ca.pem"),
        other.path().join("anchors/root.crt"),
    )
    .expect("copy");
    let out = Command::new(kyso_bin())
        .current_dir(dir.path())
        .env("KYSO_CERTS_DIR", other.path())
        .args(args)
        .arg("--json")
        .output()
        .expect("run");
    // The other root has the same name but another key: the chain does not verify to it.
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_ne!(json(&out)["indication"], "TOTAL_PASSED");
}

#[test]
fn unreadable_inputs_exit_2() {
    let dir = demo();
    std::fs::write(
        dir.path().join("garbage.pem"),
        b"\x00\x01 this is not a certificate",
    )
    .expect("write");
    std::fs::write(dir.path().join("empty.pem"), b"").expect("write");
    for leaf in ["garbage.pem", "empty.pem", "missing.pem"] {
        let out = verify(dir.path(), leaf, &[]);
        assert_eq!(code(&out), 2, "{leaf}: {}", stdout(&out));
        assert!(!out.stderr.is_empty(), "{leaf}: no message on stderr");
    }
    // A garbage CRL is unreadable too, not silently ignored.
    let out = verify(dir.path(), "agency-signer.pem", &["--crl", "garbage.pem"]);
    assert_eq!(code(&out), 2);
    let out = verify(dir.path(), "agency-signer.pem", &["--at", "yesterday"]);
    assert_eq!(code(&out), 2, "a bad --at is a usage error");
}

#[test]
fn profile_decides_whether_a_tsa_certificate_may_sign_documents() {
    let dir = demo();
    let out = verify(dir.path(), "tsa.pem", &["--json"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_eq!(json(&out)["sub_indication"], "CHAIN_CONSTRAINTS_FAILURE");
    let out = verify(dir.path(), "tsa.pem", &["--json", "--profile", "any"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

/// An OCSP response made by `openssl ocsp` acting as the demo responder, for `leaf`, from an
/// index in which `revoked-signer.pem` is revoked.
fn ocsp_response(dir: &Path, leaf: &str) -> String {
    let serial = |file: &str| serial_hex(&pem_cert(dir, file));
    let index = format!(
        "V\t301231000000Z\t\t{}\tunknown\t/CN=agency\nR\t301231000000Z\t200101000000Z,keyCompromise\t{}\tunknown\t/CN=revoked\n",
        serial("agency-signer.pem"),
        serial("revoked-signer.pem")
    );
    std::fs::write(dir.join("index.txt"), index).expect("index");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let req = format!("{leaf}.req.der");
    let resp = format!("{leaf}.ocsp.der");
    run(&[
        "ocsp",
        "-issuer",
        "issuing-ca.pem",
        "-cert",
        leaf,
        "-no_nonce",
        "-reqout",
        &req,
    ]);
    run(&[
        "ocsp",
        "-index",
        "index.txt",
        "-CA",
        "issuing-ca.pem",
        "-rsigner",
        "ocsp-responder.pem",
        "-rkey",
        "ocsp-responder.key.pem",
        "-ndays",
        "1",
        "-reqin",
        &req,
        "-respout",
        &resp,
    ]);
    resp
}

#[test]
fn ocsp_responses_from_the_demo_responder_are_used() {
    if !common::have_tool("openssl") {
        return;
    }
    let dir = demo();
    // Under `require` the leaf's status must come from the response, and the responder
    // (ocsp-nocheck, RFC 6960 §4.2.2.2.1) needs no status of its own.
    let policy = "require";
    let args = |leaf: &str, resp: &str| {
        verify_with(
            dir.path(),
            leaf,
            &[
                "--crl",
                "root-ca.crl.pem",
                "--ocsp",
                resp,
                "--revocation",
                policy,
                "--json",
            ],
        )
    };
    let good = ocsp_response(dir.path(), "agency-signer.pem");
    let out = args("agency-signer.pem", &good);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // The leaf's status is known from OCSP: no warning about it.
    let v = json(&out);
    let warnings = v["warnings"].as_array().expect("warnings");
    assert!(
        !warnings
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("MST:"))),
        "{v}"
    );

    let revoked = ocsp_response(dir.path(), "revoked-signer.pem");
    let out = args("revoked-signer.pem", &revoked);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_eq!(json(&out)["sub_indication"], "REVOKED");

    // A response about another certificate says nothing about this one.
    let out = args("revoked-signer.pem", &good);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert_eq!(json(&out)["sub_indication"], "TRY_LATER");

    // A file that is not an OCSP response is unreadable.
    let out = args("agency-signer.pem", "root-ca.pem");
    assert_eq!(code(&out), 2);
}

#[test]
fn several_crls_in_one_file_pem_or_der() {
    let dir = demo();
    let mut pem = std::fs::read(dir.path().join("root-ca.crl.pem")).expect("read");
    pem.extend(std::fs::read(dir.path().join("issuing-ca.crl.pem")).expect("read"));
    std::fs::write(dir.path().join("crls.pem"), &pem).expect("write");
    let mut der = Vec::new();
    for file in ["root-ca.crl.pem", "issuing-ca.crl.pem"] {
        let crl = std::fs::read(dir.path().join(file)).expect("read");
        let crl = openssl::x509::X509Crl::from_pem(&crl).expect("crl");
        der.extend(crl.to_der().expect("der"));
    }
    std::fs::write(dir.path().join("crls.der"), &der).expect("write");
    for crls in ["crls.pem", "crls.der"] {
        let run = |leaf: &str| {
            verify_with(
                dir.path(),
                leaf,
                &["--crl", crls, "--revocation", "require", "--json"],
            )
        };
        let out = run("agency-signer.pem");
        assert_eq!(code(&out), 0, "{crls}: {}", stdout(&out));
        let out = run("revoked-signer.pem");
        assert_eq!(code(&out), 1, "{crls}: {}", stdout(&out));
        assert_eq!(json(&out)["sub_indication"], "REVOKED", "{crls}");
    }
    // A DER file with trailing garbage after the CRLs is unreadable.
    der.extend_from_slice(b"\x30\x05ab");
    std::fs::write(dir.path().join("crls-bad.der"), &der).expect("write");
    let out = verify(dir.path(), "agency-signer.pem", &["--crl", "crls-bad.der"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
}

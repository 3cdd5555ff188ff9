//! `kyso pki demo`: the generated files exist and parse, OpenSSL validates the good signers and
//! rejects the revoked and the expired one with the CRLs, and the Vietnamese names survive.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso::pki::demo::names;
use openssl::nid::Nid;
use openssl::x509::X509;

const EXPECTED_FILES: &[&str] = &[
    "README.md",
    "root-ca.pem",
    "root-ca.key.pem",
    "issuing-ca.pem",
    "issuing-ca.key.pem",
    "chain.pem",
    "agency-signer.pem",
    "agency-signer.key.pem",
    "agency-signer-ec.pem",
    "agency-signer-ec.key.pem",
    "person-signer.pem",
    "person-signer.key.pem",
    "revoked-signer.pem",
    "revoked-signer.key.pem",
    "expired-signer.pem",
    "expired-signer.key.pem",
    "tsa.pem",
    "tsa.key.pem",
    "ocsp-responder.pem",
    "ocsp-responder.key.pem",
    "root-ca.crl.pem",
    "issuing-ca.crl.pem",
];

/// The binary under test: `$KYSO_BIN` when set (to test a particular build), else the one cargo
/// built for this test run.
fn kyso_bin() -> PathBuf {
    std::env::var_os("KYSO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kyso")))
}

fn run_demo(out: &Path) {
    let status = Command::new(kyso_bin())
        .args(["pki", "demo", "--out"])
        .arg(out)
        .status()
        .expect("run kyso");
    assert!(status.success(), "kyso pki demo failed: {status}");
}

fn load(dir: &Path, name: &str) -> X509 {
    let pem = std::fs::read(dir.join(name)).expect("read");
    X509::from_pem(&pem).expect("parse certificate")
}

/// Runs `openssl verify` with the full CRL check; returns (success, combined output).
fn openssl_verify(dir: &Path, leaf: &str) -> (bool, String) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "verify",
            "-CAfile",
            "root-ca.pem",
            "-untrusted",
            "issuing-ca.pem",
            "-crl_check_all",
            "-CRLfile",
            "root-ca.crl.pem",
            "-CRLfile",
            "issuing-ca.crl.pem",
            leaf,
        ])
        .output()
        .expect("run openssl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn demo_files_are_complete_and_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_demo(dir.path());
    for name in EXPECTED_FILES {
        let bytes =
            std::fs::read(dir.path().join(name)).unwrap_or_else(|e| panic!("{name} missing: {e}"));
        assert!(!bytes.is_empty(), "{name} is empty");
        if name.ends_with(".key.pem") {
            let key = openssl::pkey::PKey::private_key_from_pem(&bytes).expect("key parses");
            assert!(
                String::from_utf8_lossy(&bytes).starts_with("-----BEGIN PRIVATE KEY-----"),
                "{name} is not PKCS#8"
            );
            let cert = load(dir.path(), &name.replace(".key.pem", ".pem"));
            let public = cert.public_key().expect("public key");
            assert!(
                public.public_eq(&key),
                "{name} does not match its certificate"
            );
        } else if name.ends_with(".crl.pem") {
            openssl::x509::X509Crl::from_pem(&bytes).expect("CRL parses");
        } else if name.ends_with(".pem") {
            let certs = X509::stack_from_pem(&bytes).expect("certificates parse");
            assert!(!certs.is_empty(), "{name} holds no certificate");
        }
    }
    let readme = std::fs::read_to_string(dir.path().join("README.md")).expect("README");
    assert!(readme.contains("CHỈ DÙNG ĐỂ THỬ NGHIỆM"));
    assert!(readme.contains("FOR TESTING ONLY"));
    for name in EXPECTED_FILES.iter().filter(|n| **n != "README.md") {
        assert!(readme.contains(&format!("`{name}`")), "README omits {name}");
    }
}

#[test]
fn openssl_accepts_good_signers_and_rejects_revoked_and_expired() {
    if !common::have_tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    run_demo(dir.path());
    for good in [
        "agency-signer.pem",
        "agency-signer-ec.pem",
        "person-signer.pem",
        "tsa.pem",
        "ocsp-responder.pem",
    ] {
        let (ok, text) = openssl_verify(dir.path(), good);
        assert!(ok, "{good} rejected by openssl: {text}");
    }
    let (ok, text) = openssl_verify(dir.path(), "revoked-signer.pem");
    assert!(!ok && text.contains("certificate revoked"), "{text}");
    let (ok, text) = openssl_verify(dir.path(), "expired-signer.pem");
    assert!(!ok && text.contains("certificate has expired"), "{text}");
}

fn entry(cert: &X509, nid: Nid) -> String {
    let e = cert
        .subject_name()
        .entries_by_nid(nid)
        .next()
        .unwrap_or_else(|| panic!("no {nid:?}"));
    String::from_utf8(e.data().as_slice().to_vec()).expect("UTF-8 bytes")
}

#[test]
fn names_keep_their_diacritics_and_extensions_are_as_specified() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_demo(dir.path());
    let agency = load(dir.path(), "agency-signer.pem");
    assert_eq!(entry(&agency, Nid::COMMONNAME), names::AGENCY);
    assert_eq!(entry(&agency, Nid::ORGANIZATIONNAME), "UBND tỉnh Đắk Lắk");
    assert_eq!(entry(&agency, Nid::USERID), names::AGENCY_UID);
    assert_eq!(entry(&agency, Nid::LOCALITYNAME), "Buôn Ma Thuột");
    assert_eq!(entry(&agency, Nid::COUNTRYNAME), "VN");
    let person = load(dir.path(), "person-signer.pem");
    assert_eq!(entry(&person, Nid::COMMONNAME), "Nguyễn Văn An");
    assert!(entry(&person, Nid::USERID).starts_with("CCCD:"));
    let root = load(dir.path(), "root-ca.pem");
    assert!(entry(&root, Nid::COMMONNAME).contains("chuyên dùng Chính phủ"));
    assert!(entry(&root, Nid::ORGANIZATIONNAME).contains("DEMO"));

    // Every name attribute except C is a UTF8String (tag 12) in the DER.
    for file in ["agency-signer.pem", "person-signer.pem", "root-ca.pem"] {
        let der = load(dir.path(), file).to_der().expect("der");
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).expect("x509-parser");
        for attr in parsed.subject().iter_attributes() {
            let tag = attr.attr_value().header.tag().0;
            let is_country = attr.attr_type().to_id_string() == "2.5.4.6";
            assert_eq!(tag, if is_country { 19 } else { 12 }, "{file}");
        }
    }

    let ext = |file: &str, oid: &str| {
        let der = load(dir.path(), file).to_der().expect("der");
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).expect("x509-parser");
        parsed
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == oid)
            .map(|e| (e.critical, e.value.to_vec()))
    };
    let eku = "2.5.29.37";
    let (critical, value) = ext("tsa.pem", eku).expect("TSA EKU");
    assert!(critical, "TSA EKU must be critical (RFC 3161 §2.3)");
    // SEQUENCE { OID 1.3.6.1.5.5.7.3.8 }
    assert_eq!(value, [0x30, 0x0a, 0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 3, 8]);
    let (critical, value) = ext("agency-signer.pem", eku).expect("signer EKU");
    assert!(!critical);
    assert_eq!(
        value,
        [
            0x30, 0x14, 0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 3, 4, 0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 3,
            36
        ]
    );
    assert!(ext("ocsp-responder.pem", "1.3.6.1.5.5.7.48.1.5").is_some());
    for file in ["agency-signer.pem", "root-ca.pem", "tsa.pem"] {
        assert!(ext(file, "1.3.6.1.5.5.7.1.1").is_none(), "{file} has AIA");
        assert!(ext(file, "2.5.29.31").is_none(), "{file} has CRLDP");
    }
}

#[test]
fn unwritable_output_directory_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").expect("write");
    let out = Command::new(kyso_bin())
        .args(["pki", "demo", "--out"])
        .arg(&file)
        .output()
        .expect("run kyso");
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.is_empty());
}

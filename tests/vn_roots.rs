//! The Vietnamese government and national CA certificates (conformance data `vn-roots/`): they
//! parse (one is DER), their subjects print with the right diacritics, each issuing CA validates
//! to its own root and not to the other, and `certs/README.md` gives their true fingerprints.

mod common;

use std::path::PathBuf;

use kyso::pki::profile::Profile;
use kyso::pki::revocation::{RevocationData, RevocationPolicy};
use kyso::pki::{source, validate_chain, Certificate, TrustStore, ValidationOptions};
use kyso::verdict::{Indication, SubIndication};
use time::macros::datetime;
use time::OffsetDateTime;

/// (file, exact subject as kyso prints it, RFC 4514 order).
const SUBJECTS: [(&str, &str); 4] = [
    (
        "rootcag2.crt",
        "CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN",
    ),
    (
        "cpcag2.crt",
        "CN=CA phục vụ các cơ quan Nhà nước G2, O=Ban Cơ yếu Chính phủ, C=VN",
    ),
    (
        "vnrca256.crt",
        "CN=Vietnam National Root CA, OU=National Centre of Digital Signature Authentication, \
         O=Ministry of Information and Communications, C=VN",
    ),
    (
        "vnpt-ca-sha2.crt",
        "C=VN, O=VIETNAM POSTS AND TELECOMMUNICATIONS GROUP, CN=VNPT-CA SHA2",
    ),
];

fn roots_dir() -> Option<PathBuf> {
    Some(common::conformance_dir()?.join("vn-roots"))
}

fn load(dir: &std::path::Path, file: &str) -> Certificate {
    let data = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut certs = source::load_certificates(&data).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(certs.len(), 1, "{file} holds one certificate");
    certs.pop().expect("one certificate")
}

#[test]
fn all_four_parse_and_subjects_keep_their_diacritics() {
    let Some(dir) = roots_dir() else { return };
    let der = std::fs::read(dir.join("vnrca256.crt")).expect("read");
    assert!(!source::is_pem(&der), "vnrca256.crt is the DER one");
    for (file, subject) in SUBJECTS {
        let cert = load(&dir, file);
        assert_eq!(cert.display_subject(), subject, "{file}");
    }
    assert_eq!(
        load(&dir, "cpcag2.crt").display_issuer(),
        SUBJECTS[0].1,
        "cpcag2 is issued by RootCA G2"
    );
}

fn validate(
    leaf: &Certificate,
    anchor: &Certificate,
    time: OffsetDateTime,
) -> kyso::pki::report::ChainReport {
    let store = TrustStore::from_certificates([anchor.clone()]);
    let options = ValidationOptions {
        profile: Profile::Any,
        revocation_policy: RevocationPolicy::Off,
        ..ValidationOptions::new(time)
    };
    validate_chain(leaf, &[], &store, &RevocationData::default(), &options).expect("evaluable")
}

#[test]
fn each_issuing_ca_validates_to_its_root_only() {
    let Some(dir) = roots_dir() else { return };
    let rootcag2 = load(&dir, "rootcag2.crt");
    let cpcag2 = load(&dir, "cpcag2.crt");
    let vnrca = load(&dir, "vnrca256.crt");
    let vnpt = load(&dir, "vnpt-ca-sha2.crt");
    // Inside every certificate's validity (vnpt-ca-sha2: 2024-08-30 .. 2029-08-30).
    let t = datetime!(2026-01-15 09:00 +07:00);

    let r = validate(&cpcag2, &rootcag2, t);
    assert_eq!(r.indication, Indication::TotalPassed, "{r:?}");
    assert_eq!(r.path.len(), 2);
    assert_eq!(r.path[1].subject, SUBJECTS[0].1);

    let r = validate(&vnpt, &vnrca, t);
    assert_eq!(r.indication, Indication::TotalPassed, "{r:?}");

    // Crossed: no chain.
    let r = validate(&cpcag2, &vnrca, t);
    assert_ne!(r.indication, Indication::TotalPassed, "{r:?}");
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
    let r = validate(&vnpt, &rootcag2, t);
    assert_ne!(r.indication, Indication::TotalPassed, "{r:?}");

    // With both roots trusted, each CA still ends at its own root.
    let both = TrustStore::from_certificates([rootcag2.clone(), vnrca.clone()]);
    for (ca, root) in [(&cpcag2, &rootcag2), (&vnpt, &vnrca)] {
        let options = ValidationOptions {
            profile: Profile::Any,
            revocation_policy: RevocationPolicy::Off,
            ..ValidationOptions::new(t)
        };
        let r = validate_chain(ca, &[], &both, &RevocationData::default(), &options)
            .expect("evaluable");
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.reason);
        assert_eq!(
            r.path.last().map(|p| p.sha256.clone()),
            Some(root.sha256_hex())
        );
    }

    // Before VNPT-CA SHA2 was issued.
    let r = validate(&vnpt, &vnrca, datetime!(2023-01-01 00:00 UTC));
    assert_ne!(r.indication, Indication::TotalPassed, "{r:?}");
}

/// The SHA-256 fingerprints in certs/README.md are those of the real certificates.
#[test]
fn certs_readme_fingerprints_match() {
    let Some(dir) = roots_dir() else { return };
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs/README.md"))
            .expect("certs/README.md");
    let names = [
        ("rootcag2.crt", "| RootCA chuyên dùng Chính phủ G2 |"),
        ("vnrca256.crt", "| Vietnam National Root CA |"),
        ("cpcag2.crt", "| CA phục vụ các cơ quan Nhà nước G2 |"),
        ("vnpt-ca-sha2.crt", "| VNPT-CA SHA2 |"),
    ];
    for (file, row_start) in names {
        let cert = load(&dir, file);
        let fingerprint = cert
            .sha256()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let row = readme
            .lines()
            .find(|l| l.starts_with(row_start))
            .unwrap_or_else(|| panic!("certs/README.md has no row for {file}"));
        assert!(
            row.contains(&format!("`{fingerprint}`")),
            "{file}: README row does not give {fingerprint}: {row}"
        );
    }
}

//! The Vietnamese government and national CA certificates of `vn-roots/` (three PEM, one
//! DER): they parse, their subjects print with Vietnamese diacritics intact, and each issuing
//! CA validates to its own root — and not to the other, independent, root.

mod common;

use kyso::pki::profile::Profile;
use kyso::pki::source::load_certificates;
use kyso::pki::{
    validate_chain, Certificate, RevocationData, RevocationPolicy, TrustStore, ValidationOptions,
};
use kyso::verdict::{Indication, SubIndication};
use time::macros::datetime;

fn load(dir: &std::path::Path, file: &str) -> Certificate {
    let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut certs = load_certificates(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(certs.len(), 1, "{file} holds one certificate");
    certs.remove(0)
}

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::new(datetime!(2026-06-01 0:00 UTC));
    o.profile = Profile::Any;
    o.revocation_policy = RevocationPolicy::Off;
    o
}

#[test]
fn vietnamese_roots_parse_print_and_chain() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let dir = conf.join("vn-roots");
    let gov_root = load(&dir, "rootcag2.crt");
    let gov_ca = load(&dir, "cpcag2.crt");
    let nat_root = load(&dir, "vnrca256.crt");
    let vnpt = load(&dir, "vnpt-ca-sha2.crt");
    assert_eq!(
        gov_root.display_subject(),
        "CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN"
    );
    assert_eq!(
        gov_ca.display_subject(),
        "CN=CA phục vụ các cơ quan Nhà nước G2, O=Ban Cơ yếu Chính phủ, C=VN"
    );
    assert_eq!(
        nat_root.display_subject(),
        "CN=Vietnam National Root CA, OU=National Centre of Digital Signature Authentication, \
         O=Ministry of Information and Communications, C=VN"
    );
    assert_eq!(
        vnpt.display_subject(),
        "C=VN, O=VIETNAM POSTS AND TELECOMMUNICATIONS GROUP, CN=VNPT-CA SHA2"
    );

    let both = TrustStore::from_certificates([gov_root.clone(), nat_root.clone()]);
    let none = RevocationData::default();
    for (ca, root) in [(&gov_ca, &gov_root), (&vnpt, &nat_root)] {
        let r = validate_chain(ca, &[], &both, &none, &options()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.reason);
        assert_eq!(r.path.len(), 2);
        assert_eq!(
            r.path.last().map(|p| p.sha256.clone()),
            Some(root.sha256_hex())
        );
    }
    let only_national = TrustStore::from_certificates([nat_root.clone()]);
    let r = validate_chain(&gov_ca, &[], &only_national, &none, &options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.indication, Indication::Indeterminate);
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
}

//! Hostile certificate bytes: every truncation and thousands of single-byte corruptions of a
//! real chain either fail to parse with an error or validate to a non-passing report; nothing
//! panics and nothing corrupted passes.

mod common;

use kyso::pki::algorithm::AlgorithmPolicy;
use kyso::pki::profile::Profile;
use kyso::pki::source::load_certificates;
use kyso::pki::{
    validate_chain, Certificate, RevocationData, RevocationPolicy, TrustStore, ValidationOptions,
};
use time::macros::datetime;

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::new(datetime!(2022-01-01 0:00 UTC));
    o.profile = Profile::Any;
    o.algorithms = AlgorithmPolicy::pkits();
    o.revocation_policy = RevocationPolicy::Off;
    o
}

#[test]
fn truncated_and_corrupted_certificates_never_pass() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let certs = conf.join("pkits/certs");
    let read = |n: &str| std::fs::read(certs.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
    let anchor = Certificate::from_der(&read("TrustAnchorRootCertificate.crt"))
        .unwrap_or_else(|e| panic!("{e}"));
    let ca = Certificate::from_der(&read("GoodCACert.crt")).unwrap_or_else(|e| panic!("{e}"));
    let leaf_der = read("ValidCertificatePathTest1EE.crt");
    let store = TrustStore::from_certificates([anchor]);
    let inter = [ca];
    let data = RevocationData::default();
    let opts = options();

    let good = Certificate::from_der(&leaf_der).unwrap_or_else(|e| panic!("{e}"));
    let r = validate_chain(&good, &inter, &store, &data, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.is_valid(), "{}", r.reason);

    for len in 0..leaf_der.len() {
        let cut = leaf_der.get(..len).unwrap_or_default();
        assert!(
            Certificate::from_der(cut).is_err(),
            "truncation to {len} parsed"
        );
        let _ = load_certificates(cut);
    }

    // A fixed linear congruential sequence: reproducible without a random-number crate.
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut parsed = 0usize;
    for _ in 0..3000 {
        let mut bytes = leaf_der.clone();
        let pos = usize::try_from(next()).unwrap_or(0) % bytes.len();
        let flip = u8::try_from(next() % 255 + 1).unwrap_or(1);
        if let Some(b) = bytes.get_mut(pos) {
            *b ^= flip;
        }
        if let Ok(cert) = Certificate::from_der(&bytes) {
            parsed += 1;
            let r = validate_chain(&cert, &inter, &store, &data, &opts)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !r.is_valid(),
                "byte {pos} ^ {flip:#04x} still validates: {}",
                r.reason
            );
        }
    }
    eprintln!("{parsed} of 3000 corrupted certificates parsed; none validated");
}

//! Hostile and broken input to the certificate loader, the CRL parser and path building: each
//! ends with a clear error or a non-passing report in bounded time, never a panic.

#[path = "common/chains.rs"]
mod chains;
mod common;

use std::time::{Duration, Instant};

use chains::{ca_for_key, leaf, now, root, Chain, KysoInputs};
use kyso::pki::crl::Crl;
use kyso::pki::demo::{self, Attr, CertSpec, KeyKind, OpenSslEntropy, Role};
use kyso::pki::source;
use kyso::verdict::Indication;
use proptest::prelude::*;

/// Generous bound for one hostile input in an unoptimized test build on a slow machine; a
/// runaway (exponential path search, quadratic parsing) takes far longer.
const BOUND: Duration = Duration::from_secs(60);

fn demo_files() -> (Vec<u8>, Vec<u8>) {
    let pki = demo::generate(time::OffsetDateTime::now_utc(), &mut OpenSslEntropy).expect("demo");
    let cert = pki
        .file("agency-signer.pem")
        .expect("cert")
        .contents
        .clone();
    let crl = pki
        .file("issuing-ca.crl.pem")
        .expect("crl")
        .contents
        .clone();
    (cert, crl)
}

fn pem_body_der(pem: &[u8]) -> Vec<u8> {
    source::pem_blocks(pem)
        .expect("pem")
        .into_iter()
        .next()
        .expect("one block")
        .der
}

#[test]
fn empty_input_is_a_clear_error() {
    let e = source::load_certificates(b"").expect_err("empty");
    assert!(!e.to_string().is_empty());
    assert!(Crl::from_der(b"").is_err());
    assert!(source::load_certificates(b"   \n\t").is_err());
}

#[test]
fn truncated_certificates_and_crls_are_errors() {
    let (cert_pem, crl_pem) = demo_files();
    let cert_der = pem_body_der(&cert_pem);
    let crl_der = pem_body_der(&crl_pem);
    for len in 0..cert_der.len() {
        let cut = cert_der.get(..len).expect("prefix");
        assert!(
            source::load_certificates(cut).is_err(),
            "certificate truncated to {len} bytes was accepted"
        );
    }
    for len in 0..crl_der.len() {
        let cut = crl_der.get(..len).expect("prefix");
        assert!(
            Crl::from_der(cut).is_err(),
            "CRL truncated to {len} bytes accepted"
        );
    }
    // Truncated PEM: the END line is missing.
    let half = cert_pem.get(..cert_pem.len() / 2).expect("half");
    assert!(source::load_certificates(half).is_err());
}

#[test]
fn deeply_nested_der_is_an_error_not_a_stack_overflow() {
    // 100,000 nested indefinite-length SEQUENCEs, then the same with definite lengths.
    let mut indefinite = Vec::new();
    for _ in 0..100_000 {
        indefinite.extend_from_slice(&[0x30, 0x80]);
    }
    assert!(source::load_certificates(&indefinite).is_err());
    assert!(Crl::from_der(&indefinite).is_err());
    let mut nested: Vec<u8> = vec![0x05, 0x00];
    for _ in 0..20_000 {
        let len = nested.len();
        let mut next = vec![0x30, 0x84];
        next.extend_from_slice(&u32::try_from(len).expect("fits").to_be_bytes());
        next.extend(nested);
        nested = next;
    }
    assert!(source::load_certificates(&nested).is_err());
    assert!(Crl::from_der(&nested).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // A random string that is a well-formed certificate is beyond any real chance.
        prop_assert!(source::load_certificates(&bytes).is_err());
        let _ = Crl::from_der(&bytes);
    }

    #[test]
    fn random_bytes_in_a_sequence_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut der = vec![0x30, 0x82];
        der.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(0).to_be_bytes());
        der.extend_from_slice(&bytes);
        let _ = source::load_certificates(&der);
        let _ = Crl::from_der(&der);
        let mut pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
        pem.extend_from_slice(&bytes);
        pem.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
        let _ = source::load_certificates(&pem);
    }

    #[test]
    fn mutated_certificates_never_panic(pos in 0usize..1500, byte in any::<u8>()) {
        static CERT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let der = CERT.get_or_init(|| pem_body_der(&demo_files().0));
        let mut m = der.clone();
        if let Some(b) = m.get_mut(pos % der.len()) {
            *b = byte;
        }
        let _ = source::load_certificates(&m);
    }
}

/// 10,000 CA certificates of one name and key, issued by an untrusted root, in one PEM bundle:
/// it loads in bounded time, and path building over all of them as candidate issuers ends
/// without a valid chain (or with a size error) in bounded time.
#[test]
fn ten_thousand_certificate_bundle() {
    const COUNT: usize = 10_000;
    let t = now();
    let ghost_name = [(Attr::C, "VN"), (Attr::Cn, "Ghost Root")];
    let ghost = demo::issue(
        &CertSpec {
            subject: &ghost_name,
            role: Role::Root,
            key: KeyKind::EcP256,
            not_before: t - 86_400,
            not_after: t + 86_400,
        },
        None,
        &mut OpenSslEntropy,
    )
    .expect("ghost");
    let ca_name = [(Attr::C, "VN"), (Attr::Cn, "Many Names CA")];
    let ca_key = ec_key();
    let spec = CertSpec {
        subject: &ca_name,
        role: Role::IssuingCa { path_len: None },
        key: KeyKind::EcP256,
        not_before: t - 86_400,
        not_after: t + 86_400,
    };
    let mut pem = Vec::new();
    let mut first = None;
    for _ in 0..COUNT {
        let c = demo::issue_with_key(&spec, ca_key.clone(), Some(&ghost), &mut OpenSslEntropy)
            .expect("issue");
        pem.extend(c.cert.to_pem().expect("pem"));
        first.get_or_insert(c);
    }
    let issuer = first.expect("at least one");
    let signer = leaf("Lost signer", &issuer, t);
    let trusted = root("Unrelated trusted root", t);

    let start = Instant::now();
    let loaded = source::load_certificates(&pem);
    let load_time = start.elapsed();
    println!("loading {COUNT} certificates: {load_time:?}");
    assert!(load_time < BOUND);
    let loaded = loaded.expect("10,000 certificates are within the loader's bound");
    assert_eq!(loaded.len(), COUNT);

    let chain = Chain {
        leaf: signer.cert.clone(),
        intermediates: Vec::new(),
        anchors: vec![trusted.cert.clone()],
        crls: Vec::new(),
        time: t,
    };
    let mut inputs = KysoInputs::new(&chain);
    inputs.intermediates = loaded;
    let start = Instant::now();
    let result = inputs.validate();
    let elapsed = start.elapsed();
    println!("path building over {COUNT} candidates: {elapsed:?}: {result:?}",);
    assert!(elapsed < BOUND, "took {elapsed:?}");
    if let Ok(report) = result {
        assert_ne!(report.indication, Indication::TotalPassed);
    }
}

fn ec_key() -> openssl::pkey::PKey<openssl::pkey::Private> {
    use kyso::pki::demo::Entropy;
    OpenSslEntropy.key(KeyKind::EcP256).expect("key")
}

/// Two CAs that certify each other (A by B, B by A) form a loop. Without a trusted way out,
/// validation ends INDETERMINATE/FAILED in bounded time; with a cross-certificate of A by a
/// trusted root among the loop, the valid path is still found.
#[test]
fn cross_certification_loop_terminates() {
    let t = now();
    let a = root("Loop CA A", t);
    let b = root("Loop CA B", t);
    let a_by_b = ca_for_key("Loop CA A", &a, &b, t);
    let b_by_a = ca_for_key("Loop CA B", &b, &a, t);
    let signer = leaf("Looping signer", &a, t);
    let outside = root("Outside root", t);

    let chain = Chain {
        leaf: signer.cert.clone(),
        intermediates: vec![a_by_b.cert.clone(), b_by_a.cert.clone()],
        anchors: vec![outside.cert.clone()],
        crls: Vec::new(),
        time: t,
    };
    let start = Instant::now();
    let result = KysoInputs::new(&chain).validate();
    assert!(start.elapsed() < BOUND);
    println!("loop without exit: {result:?}");
    if let Ok(report) = &result {
        assert_ne!(report.indication, Indication::TotalPassed);
    }

    let trusted = root("Trusted root over the loop", t);
    let a_by_trusted = ca_for_key("Loop CA A", &a, &trusted, t);
    let chain = Chain {
        leaf: signer.cert.clone(),
        intermediates: vec![
            a_by_b.cert.clone(),
            b_by_a.cert.clone(),
            a_by_trusted.cert.clone(),
        ],
        anchors: vec![trusted.cert.clone()],
        crls: Vec::new(),
        time: t,
    };
    let start = Instant::now();
    let report = KysoInputs::new(&chain).validate().expect("evaluable");
    assert!(start.elapsed() < BOUND);
    assert_eq!(report.indication, Indication::TotalPassed, "{report:?}");
    assert_eq!(report.path.len(), 3, "{report:?}");
}

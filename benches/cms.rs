//! Cost of the CMS layer of a PAdES signature with an RSA-2048 key, next to its floor (one bare
//! RSA-2048 PKCS#1 signature): building the SignedData from a precomputed content digest, and
//! parsing and verifying it.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kyso::cms::{self, ContentDigest, DigestAlgorithm, PKeySigner, SignatureAlgorithm};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::{X509Builder, X509NameBuilder};

fn bench(c: &mut Criterion) {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", "Bench signer").expect("cn");
    let name = name.build();
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_u32(1)
        .expect("bn")
        .to_asn1_integer()
        .expect("serial");
    b.set_serial_number(&serial).expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(&name).expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    b.set_not_before(&Asn1Time::days_from_now(0).expect("time"))
        .expect("nb");
    b.set_not_after(&Asn1Time::days_from_now(1).expect("time"))
        .expect("na");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    let cert = b.build().to_der().expect("der");
    let digest: [u8; 32] = DigestAlgorithm::Sha256
        .digest(b"content")
        .expect("digest")
        .try_into()
        .expect("32 bytes");
    let signer = PKeySigner::new(key.clone(), SignatureAlgorithm::RsaPkcs1Sha256).expect("signer");

    c.bench_function("floor: bare RSA-2048 signature", |bench| {
        bench.iter(|| {
            let mut s = Signer::new(MessageDigest::sha256(), &key).expect("signer");
            s.update(black_box(&digest)).expect("update");
            s.sign_to_vec().expect("sign")
        })
    });
    c.bench_function("cms: sign_detached RSA-2048", |bench| {
        bench.iter(|| cms::sign_detached(black_box(digest), &cert, &[], &signer).expect("cms"))
    });
    let der = cms::sign_detached(digest, &cert, &[], &signer).expect("cms");
    let content_digest = [ContentDigest {
        algorithm: DigestAlgorithm::Sha256,
        value: digest.to_vec(),
    }];
    c.bench_function("cms: parse and verify RSA-2048", |bench| {
        bench.iter(|| {
            let report = cms::verify_detached(black_box(&der), &content_digest).expect("parse");
            assert!(report.is_intact());
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

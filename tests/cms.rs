//! CMS SignedData: kyso's detached signatures checked by kyso and by the `openssl cms` CLI,
//! `openssl cms` signatures (legacy style, with signing-time, DER and BER) checked by kyso,
//! tampering detected, and hostile input rejected without panics.

mod common;

use std::path::Path;
use std::process::Command;

use kyso::cms::{
    self, ContentDigest, DigestAlgorithm, EssStatus, PKeySigner, Problem, RawSigner,
    SignatureAlgorithm, SignatureScheme, SignedData,
};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Extension, X509NameBuilder, X509};

const CONTENT: &[u8] =
    b"%PDF-1.7 byte ranges of a decision, Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh";

fn rsa_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `key` named `cn` with `serial`, issued by `issuer` (self-signed when
/// `None`).
fn certificate(
    key: &PKey<Private>,
    cn: &str,
    serial: u32,
    issuer: Option<(&X509, &PKey<Private>)>,
    extra: Vec<X509Extension>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("C", "VN").unwrap();
    name.append_entry_by_text("O", "Kyso test").unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&*name, |(c, _)| c.subject_name()))
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    if issuer.is_none() {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
    } else {
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .non_repudiation()
                .build()
                .unwrap(),
        )
        .unwrap();
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| &**c), None))
        .unwrap();
    b.append_extension(ski).unwrap();
    if issuer.is_some() {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&b.x509v3_context(issuer.map(|(c, _)| &**c), None))
            .unwrap();
        b.append_extension(aki).unwrap();
    }
    for ext in extra {
        b.append_extension(ext).unwrap();
    }
    let signing_key = issuer.map_or(key, |(_, k)| k);
    b.sign(signing_key, MessageDigest::sha256()).unwrap();
    b.build()
}

struct Pki {
    root: X509,
    root_key: PKey<Private>,
}

impl Pki {
    fn new() -> Self {
        let root_key = rsa_key();
        let root = certificate(&root_key, "Kyso Test Root CA", 1, None, vec![]);
        Pki { root, root_key }
    }

    fn issue(&self, key: &PKey<Private>, cn: &str, serial: u32) -> X509 {
        certificate(key, cn, serial, Some((&self.root, &self.root_key)), vec![])
    }

    fn issue_with(
        &self,
        key: &PKey<Private>,
        cn: &str,
        serial: u32,
        extra: Vec<X509Extension>,
    ) -> X509 {
        certificate(key, cn, serial, Some((&self.root, &self.root_key)), extra)
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = DigestAlgorithm::Sha256.digest(data).unwrap();
    d.try_into().unwrap()
}

fn sign(content: &[u8], cert: &X509, signer: &dyn RawSigner, pki: &Pki) -> Vec<u8> {
    cms::sign_detached(
        sha256(content),
        &cert.to_der().unwrap(),
        &[pki.root.to_der().unwrap()],
        signer,
    )
    .unwrap()
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run openssl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

fn cases() -> Vec<(SignatureAlgorithm, PKey<Private>)> {
    vec![
        (SignatureAlgorithm::RsaPkcs1Sha256, rsa_key()),
        (SignatureAlgorithm::RsaPssSha256, rsa_key()),
        (SignatureAlgorithm::EcdsaP256Sha256, ec_key()),
    ]
}

#[test]
fn kyso_signatures_verify_with_kyso() {
    let pki = Pki::new();
    for (alg, key) in cases() {
        let cert = pki.issue(&key, "Nguyễn Văn A", 1000);
        let signer = PKeySigner::new(key, alg).unwrap();
        let der = sign(CONTENT, &cert, &signer, &pki);
        let report = cms::verify_detached_content(&der, CONTENT).unwrap();
        assert!(
            report.is_intact(),
            "{alg}: {:?}",
            report.signers[0].problems
        );
        let s = &report.signers[0];
        assert_eq!(s.ess, EssStatus::V2Match);
        assert_eq!(s.signing_time, None);
        assert!(s.signature_timestamps.is_empty());
        assert_eq!(s.digest_algorithm, Some(DigestAlgorithm::Sha256));
        assert_eq!(
            s.signer_certificate.as_deref(),
            Some(&cert.to_der().unwrap()[..])
        );
        assert!(report.certificates.contains(&pki.root.to_der().unwrap()));
        assert_eq!(report.certificates.len(), 2);
        let expected_scheme = match alg {
            SignatureAlgorithm::RsaPkcs1Sha256 => {
                SignatureScheme::RsaPkcs1(DigestAlgorithm::Sha256)
            }
            SignatureAlgorithm::RsaPssSha256 => SignatureScheme::RsaPss {
                digest: DigestAlgorithm::Sha256,
                mgf1_digest: DigestAlgorithm::Sha256,
                salt_len: 32,
            },
            _ => SignatureScheme::Ecdsa(DigestAlgorithm::Sha256),
        };
        assert_eq!(s.signature_scheme, Some(expected_scheme));
        // The same through a precomputed digest, as the PDF layer streams it.
        let digest = ContentDigest {
            algorithm: DigestAlgorithm::Sha256,
            value: sha256(CONTENT).to_vec(),
        };
        assert!(cms::verify_detached(&der, &[digest]).unwrap().is_intact());
        // Zero padding, as in a PDF /Contents placeholder, is accepted.
        let mut padded = der.clone();
        padded.resize(der.len() + 4096, 0);
        assert!(cms::verify_detached_content(&padded, CONTENT)
            .unwrap()
            .is_intact());
    }
}

#[test]
fn kyso_signatures_verify_with_openssl_and_carry_pades_attributes() {
    if !common::have_tool("openssl") {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &pki.root.to_pem().unwrap());
    let data = write(dir.path(), "data.bin", CONTENT);
    for (alg, key) in cases() {
        let cert = pki.issue(&key, "Signer", 2000);
        let der = sign(CONTENT, &cert, &PKeySigner::new(key, alg).unwrap(), &pki);
        let sig = write(dir.path(), "sig.der", &der);
        let (ok, text) = openssl_cms_verify(&sig, &data, &root);
        assert!(
            ok,
            "{alg}: openssl cms -verify rejected kyso's signature: {text}"
        );
        assert!(text.contains("Verification successful"), "{text}");

        let (ok, printed) = run(Command::new("openssl")
            .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in", &sig]));
        assert!(ok, "{printed}");
        assert!(
            !printed.contains("signingTime"),
            "{alg}: signing-time present"
        );
        assert!(
            !printed.contains("1.2.840.113549.1.9.5"),
            "{alg}: signing-time present"
        );
        assert!(
            printed.contains("1.2.840.113549.1.9.16.2.47"),
            "{alg}: no signingCertificateV2"
        );
        assert!(printed.contains("messageDigest"), "{printed}");
        assert!(printed.contains("contentType"), "{printed}");
        if alg == SignatureAlgorithm::RsaPssSha256 {
            assert!(printed.contains("rsassaPss"), "{printed}");
        }

        // openssl must reject the signature over other content.
        let other = write(dir.path(), "other.bin", b"another document");
        let (ok, _) = openssl_cms_verify(&sig, &other, &root);
        assert!(
            !ok,
            "{alg}: openssl accepted the signature over other content"
        );
    }
}

/// Position of `needle` in `haystack`.
/// `openssl cms -verify` of the detached DER signature `sig` over the file `content`, trusting
/// `root`.
fn openssl_cms_verify(sig: &str, content: &str, root: &str) -> (bool, String) {
    run(Command::new("openssl").args([
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        sig,
        "-content",
        content,
        "-CAfile",
        root,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ]))
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn tampering_is_detected() {
    let pki = Pki::new();
    for (alg, key) in cases() {
        let cert = pki.issue(&key, "Signer", 3000);
        let der = sign(CONTENT, &cert, &PKeySigner::new(key, alg).unwrap(), &pki);

        // One content byte changed: the message digest no longer matches.
        let mut content = CONTENT.to_vec();
        content[3] ^= 1;
        let report = cms::verify_detached_content(&der, &content).unwrap();
        let s = &report.signers[0];
        assert!(!report.is_intact());
        assert!(!s.digest_ok && s.signature_ok, "{alg}: {:?}", s.problems);
        assert!(s.problems.contains(&Problem::MessageDigestMismatch));

        // One signature byte changed.
        let signature = SignedData::parse(&der).unwrap().signer_infos[0]
            .signature
            .clone();
        let at = find(&der, &signature) + signature.len() - 2;
        let mut bad = der.clone();
        bad[at] ^= 0x40;
        let report = cms::verify_detached_content(&bad, CONTENT).unwrap();
        let s = &report.signers[0];
        assert!(s.digest_ok && !s.signature_ok, "{alg}: {:?}", s.problems);
        assert!(s.problems.contains(&Problem::SignatureInvalid));

        // One signed-attribute byte changed (inside the ESS certificate hash).
        let ess_hash = sha256(&cert.to_der().unwrap());
        let mut bad = der.clone();
        bad[find(&der, &ess_hash)] ^= 1;
        let report = cms::verify_detached_content(&bad, CONTENT).unwrap();
        let s = &report.signers[0];
        assert!(
            !s.signature_ok && s.ess == EssStatus::Mismatch,
            "{alg}: {:?}",
            s.problems
        );
    }
}

/// A certificate for a fresh key of the same type, with the same length as `original`, so that
/// it can replace it inside an encoded SignedData.
fn same_length_cert(pki: &Pki, original: &X509, alg: SignatureAlgorithm, serial: u32) -> X509 {
    let len = original.to_der().unwrap().len();
    for _ in 0..20 {
        let key = if alg == SignatureAlgorithm::EcdsaP256Sha256 {
            ec_key()
        } else {
            rsa_key()
        };
        let cert = pki.issue(&key, "Signer", serial);
        if cert.to_der().unwrap().len() == len {
            return cert;
        }
    }
    panic!("no certificate of the same length");
}

#[test]
fn swapped_signer_certificate_is_detected() {
    let pki = Pki::new();
    for (alg, key) in cases() {
        let cert = pki.issue(&key, "Signer", 4000);
        let cert_der = cert.to_der().unwrap();
        let der = sign(CONTENT, &cert, &PKeySigner::new(key, alg).unwrap(), &pki);

        // Another key's certificate with the same issuer and serial: the ESS binding and the
        // signature both fail.
        let twin = same_length_cert(&pki, &cert, alg, 4000).to_der().unwrap();
        let mut swapped = der.clone();
        let at = find(&der, &cert_der);
        swapped[at..at + cert_der.len()].copy_from_slice(&twin);
        let report = cms::verify_detached_content(&swapped, CONTENT).unwrap();
        let s = &report.signers[0];
        assert!(!report.is_intact());
        assert_eq!(s.ess, EssStatus::Mismatch, "{alg}");
        assert!(!s.signature_ok);
        assert_eq!(s.signer_certificate.as_deref(), Some(&twin[..]));

        // Another signer's certificate (other serial): the signer is not found.
        let other = same_length_cert(&pki, &cert, alg, 4001).to_der().unwrap();
        let mut swapped = der.clone();
        swapped[at..at + cert_der.len()].copy_from_slice(&other);
        let report = cms::verify_detached_content(&swapped, CONTENT).unwrap();
        let s = &report.signers[0];
        assert!(!report.is_intact());
        assert!(s.problems.contains(&Problem::SignerCertificateNotFound));
        assert!(!s.signature_ok);
    }
}

#[test]
fn remote_signing_in_two_steps() {
    let pki = Pki::new();
    let key = ec_key();
    let cert = pki.issue(&key, "Remote", 5000);
    let cert_der = cert.to_der().unwrap();
    let prepared = cms::prepare(&cms::SignRequest {
        content_digest: sha256(CONTENT),
        signer_certificate: &cert_der,
        chain: &[],
        algorithm: SignatureAlgorithm::EcdsaP256Sha256,
    })
    .unwrap();
    assert_eq!(
        prepared.digest_to_sign().unwrap(),
        sha256(prepared.signed_attributes_der()).to_vec()
    );
    // The "remote" side signs the digest only.
    let ec = key.ec_key().unwrap();
    let sig = openssl::ecdsa::EcdsaSig::sign(&prepared.digest_to_sign().unwrap(), &ec)
        .unwrap()
        .to_der()
        .unwrap();
    let der = prepared.assemble(&sig, None).unwrap();
    let report = cms::verify_detached_content(&der, CONTENT).unwrap();
    assert!(report.is_intact(), "{:?}", report.signers[0].problems);
    assert_eq!(report.certificates, vec![cert_der.clone()]);

    // The timestamp slot: a token (here any ContentInfo) comes back as an unsigned attribute
    // and does not disturb the signature.
    let token = sign(
        b"token stand-in",
        &cert,
        &PKeySigner::new(key, SignatureAlgorithm::EcdsaP256Sha256).unwrap(),
        &pki,
    );
    let with_ts = prepared.assemble(&sig, Some(&token)).unwrap();
    let report = cms::verify_detached_content(&with_ts, CONTENT).unwrap();
    assert!(report.is_intact());
    assert_eq!(report.signers[0].signature_timestamps, vec![token]);
    assert_eq!(report.signers[0].signature_value, sig);
    assert!(prepared.assemble(&sig, Some(b"\x30\x03\x02\x01")).is_err());
    assert!(prepared.assemble(&[], None).is_err());
}

#[test]
fn key_must_fit_algorithm() {
    assert!(PKeySigner::new(ec_key(), SignatureAlgorithm::RsaPkcs1Sha256).is_err());
    assert!(PKeySigner::new(rsa_key(), SignatureAlgorithm::EcdsaP256Sha256).is_err());
    let small = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
    assert!(PKeySigner::new(small, SignatureAlgorithm::RsaPssSha256).is_err());
    let p384 = EcKey::generate(&EcGroup::from_curve_name(Nid::SECP384R1).unwrap()).unwrap();
    assert!(PKeySigner::new(
        PKey::from_ec_key(p384).unwrap(),
        SignatureAlgorithm::EcdsaP256Sha256
    )
    .is_err());
}

/// `openssl cms -sign` output: like legacy `adbe.pkcs7.detached` signatures it carries
/// signing-time and no ESS attribute; `-stream` makes it BER with indefinite lengths.
#[test]
fn openssl_signatures_verify_with_kyso() {
    if !common::have_tool("openssl") {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "data.bin", CONTENT);
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(120);
    let variants: Vec<(&str, PKey<Private>, &[&str], DigestAlgorithm)> = vec![
        (
            "rsa",
            rsa_key(),
            &["-md", "sha256"],
            DigestAlgorithm::Sha256,
        ),
        (
            "rsa-pss",
            rsa_key(),
            &["-md", "sha256", "-keyopt", "rsa_padding_mode:pss"],
            DigestAlgorithm::Sha256,
        ),
        (
            "rsa-sha1",
            rsa_key(),
            &["-md", "sha1"],
            DigestAlgorithm::Sha1,
        ),
        (
            "rsa-sha512-ber",
            rsa_key(),
            &["-md", "sha512", "-stream"],
            DigestAlgorithm::Sha512,
        ),
        (
            "ecdsa-sha384",
            ec_key(),
            &["-md", "sha384"],
            DigestAlgorithm::Sha384,
        ),
        (
            "ecdsa-ber-skid",
            ec_key(),
            &["-md", "sha256", "-stream", "-keyid"],
            DigestAlgorithm::Sha256,
        ),
    ];
    for (name, key, args, digest) in variants {
        let cert = pki.issue(&key, "OpenSSL signer", 6000);
        let cert_pem = write(dir.path(), "signer.pem", &cert.to_pem().unwrap());
        let key_pem = write(
            dir.path(),
            "key.pem",
            &key.private_key_to_pem_pkcs8().unwrap(),
        );
        let out = dir.path().join("openssl.der");
        let (ok, text) = run(Command::new("openssl")
            .args(["cms", "-sign", "-binary", "-outform", "DER", "-in", &data])
            .args([
                "-signer",
                &cert_pem,
                "-inkey",
                &key_pem,
                "-out",
                out.to_str().unwrap(),
            ])
            .args(args));
        assert!(ok, "{name}: {text}");
        let der = std::fs::read(&out).unwrap();
        let report = cms::verify_detached_content(&der, CONTENT).unwrap();
        let s = &report.signers[0];
        assert!(s.is_intact(), "{name}: {:?}", s.problems);
        if name.contains("ber") {
            // `-stream` also embeds the content: reported, the signature itself still holds.
            assert_eq!(
                der.get(1),
                Some(&0x80),
                "{name}: expected indefinite length"
            );
            assert_eq!(report.problems, vec![Problem::NotDetached]);
        } else {
            assert!(report.is_intact(), "{name}: {:?}", report.problems);
        }
        assert_eq!(s.digest_algorithm, Some(digest), "{name}");
        let t = s.signing_time.expect("openssl adds signing-time");
        assert!(t >= before && t <= time::OffsetDateTime::now_utc() + time::Duration::seconds(5));
        assert_eq!(
            s.signer_certificate.as_deref(),
            Some(&cert.to_der().unwrap()[..])
        );
        if name.contains("pss") {
            assert!(matches!(
                s.signature_scheme,
                Some(SignatureScheme::RsaPss { .. })
            ));
        }
        if name.contains("ber") {
            assert_eq!(
                der.get(1),
                Some(&0x80),
                "{name}: expected indefinite length"
            );
        }
        let mut content = CONTENT.to_vec();
        content.push(b'!');
        let report = cms::verify_detached_content(&der, &content).unwrap();
        assert!(
            !report.is_intact() && !report.signers[0].digest_ok,
            "{name}"
        );
    }
}

#[test]
fn missing_digest_is_an_error_not_a_verdict() {
    let pki = Pki::new();
    let key = rsa_key();
    let cert = pki.issue(&key, "Signer", 7000);
    let der = sign(
        CONTENT,
        &cert,
        &PKeySigner::new(key, SignatureAlgorithm::RsaPkcs1Sha256).unwrap(),
        &pki,
    );
    let sha1 = ContentDigest {
        algorithm: DigestAlgorithm::Sha1,
        value: DigestAlgorithm::Sha1.digest(CONTENT).unwrap(),
    };
    assert_eq!(
        cms::verify_detached(&der, &[sha1]).unwrap_err(),
        cms::CmsError::DigestNotSupplied(DigestAlgorithm::Sha256)
    );
    assert_eq!(
        SignedData::parse(&der).unwrap().required_digests(),
        vec![DigestAlgorithm::Sha256]
    );
}

#[test]
fn hostile_input_is_rejected_cleanly() {
    use cms::CmsError;
    assert_eq!(SignedData::parse(&[]).unwrap_err(), CmsError::Empty);
    assert!(matches!(
        SignedData::parse(&[0, 0, 0]),
        Err(CmsError::Malformed(_))
    ));
    // Huge lengths.
    for bytes in [
        &[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF][..],
        &[0x30, 0x88, 1, 2, 3, 4, 5, 6, 7, 8],
        &[0x30, 0xFF],
    ] {
        assert!(
            matches!(SignedData::parse(bytes), Err(CmsError::Malformed(_))),
            "{bytes:?}"
        );
    }
    // Too large.
    let big = vec![0u8; cms::MAX_CMS_SIZE + 1];
    assert!(matches!(
        SignedData::parse(&big),
        Err(CmsError::TooLarge { .. })
    ));
    // Deep nesting, indefinite (the reader must walk it to find its end) and definite.
    let mut deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 10_000)
        .flatten()
        .collect();
    deep.extend(std::iter::repeat_n(0u8, 20_000));
    assert!(matches!(
        SignedData::parse(&deep),
        Err(CmsError::TooDeep(_))
    ));
    let mut nested = vec![0x05, 0x00];
    for _ in 0..5_000 {
        let mut outer = vec![0x30, 0x84];
        outer.extend_from_slice(&(nested.len() as u32).to_be_bytes());
        outer.extend_from_slice(&nested);
        nested = outer;
    }
    assert!(SignedData::parse(&nested).is_err());
    // Another content type.
    let data_ci = [
        0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
    ];
    assert!(matches!(
        SignedData::parse(&data_ci),
        Err(CmsError::NotSignedData(_))
    ));

    let pki = Pki::new();
    let key = rsa_key();
    let cert = pki.issue(&key, "Signer", 8000);
    let der = sign(
        CONTENT,
        &cert,
        &PKeySigner::new(key, SignatureAlgorithm::RsaPkcs1Sha256).unwrap(),
        &pki,
    );
    // Every truncation fails to parse.
    for len in 0..der.len() {
        assert!(
            SignedData::parse(&der[..len]).is_err(),
            "prefix of {len} bytes parsed"
        );
    }
    // Trailing bytes other than zeros are rejected.
    let mut trailing = der.clone();
    trailing.extend_from_slice(&[0, 0, 7]);
    assert_eq!(
        SignedData::parse(&trailing).unwrap_err(),
        CmsError::TrailingData
    );
    // Bytes that the signature, the digest or ESS protect: signed attributes, signature
    // value, signer certificate.
    let parsed = SignedData::parse(&der).unwrap();
    let si = &parsed.signer_infos[0];
    let attrs = &si.signed_attributes.as_ref().unwrap().received;
    let attrs_at = find(&der, &attrs[1..]) - 1;
    let sig_at = find(&der, &si.signature);
    let cert_der = cert.to_der().unwrap();
    let cert_at = find(&der, &cert_der);
    let covered = [
        attrs_at..attrs_at + attrs.len(),
        sig_at..sig_at + si.signature.len(),
        cert_at..cert_at + cert_der.len(),
    ];
    // Random bytes and random single-byte mutations: never a panic.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2_000 {
        let len = (next() % 4096) as usize;
        let random: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = cms::verify_detached_content(&random, CONTENT);
        let mut mutated = der.clone();
        let at = (next() as usize) % mutated.len();
        mutated[at] = next() as u8;
        if let Ok(report) = cms::verify_detached_content(&mutated, CONTENT) {
            if mutated != der && report.is_intact() {
                assert!(
                    !covered.iter().any(|r| r.contains(&at)),
                    "intact after mutating covered byte {at}"
                );
            }
        }
    }
}

// ---- RFC 3161 time-stamp tokens ----

struct Tsa {
    dir: tempfile::TempDir,
    pki: Pki,
    cert: X509,
    key: PKey<Private>,
}

impl Tsa {
    fn new() -> Self {
        let pki = Pki::new();
        let key = rsa_key();
        let eku = ExtendedKeyUsage::new()
            .critical()
            .time_stamping()
            .build()
            .unwrap();
        let cert = pki.issue_with(&key, "Kyso Test TSA", 9000, vec![eku]);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "tsa.pem", &cert.to_pem().unwrap());
        write(
            dir.path(),
            "tsakey.pem",
            &key.private_key_to_pem_pkcs8().unwrap(),
        );
        write(dir.path(), "root.pem", &pki.root.to_pem().unwrap());
        Tsa {
            dir,
            pki,
            cert,
            key,
        }
    }

    /// An `openssl ts -reply` configuration; `ess_alg` sha1 gives signingCertificate (v1),
    /// sha256 signingCertificateV2.
    fn config(&self, ess_alg: &str) -> String {
        let d = self.dir.path().to_str().unwrap();
        let text = format!(
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\nserial = {d}/serial\ncrypto_device = builtin\n\
             signer_cert = {d}/tsa.pem\nsigner_key = {d}/tsakey.pem\ncerts = {d}/root.pem\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
             accuracy = secs:1\nordering = yes\ntsa_name = yes\ness_cert_id_alg = {ess_alg}\n"
        );
        write(self.dir.path(), "ts.cnf", text.as_bytes())
    }

    /// `openssl ts -reply` to the DER request `query`.
    fn reply(&self, query: &[u8], ess_alg: &str) -> Vec<u8> {
        let cnf = self.config(ess_alg);
        let q = write(self.dir.path(), "req.tsq", query);
        let out = self.dir.path().join("resp.tsr");
        let (ok, text) = run(Command::new("openssl")
            .args(["ts", "-reply", "-config", &cnf, "-queryfile", &q, "-out"])
            .arg(&out));
        assert!(ok, "{text}");
        std::fs::read(out).unwrap()
    }
}

#[test]
fn openssl_timestamp_tokens_verify_with_kyso() {
    if !common::have_tool("openssl") {
        return;
    }
    let tsa = Tsa::new();
    let data = b"signature value being time-stamped";
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(120);
    for (alg, ess_alg, ess) in [
        (DigestAlgorithm::Sha256, "sha256", EssStatus::V2Match),
        (DigestAlgorithm::Sha512, "sha1", EssStatus::V1Match),
    ] {
        let nonce = [0x9Au8, 1, 2, 3, 4, 5, 6, 7];
        let request =
            cms::timestamp_request(alg, &alg.digest(data).unwrap(), Some(&nonce), true).unwrap();
        let response = tsa.reply(&request, ess_alg);
        let token = cms::token_from_response(&response).unwrap();
        let report = cms::verify_timestamp(&token, data, Some(&nonce)).unwrap();
        assert!(
            report.is_valid(),
            "{:?} {:?}",
            report.problems,
            report.cms.signers[0].problems
        );
        assert!(report.imprint_ok && report.tsa_certificate_ok);
        assert_eq!(report.nonce_ok, Some(true));
        assert_eq!(report.info.imprint_algorithm, Some(alg));
        assert_eq!(cms::read_tst_info(&token).unwrap(), report.info);
        assert_eq!(report.info.nonce.as_deref(), Some(&nonce[..]));
        assert_eq!(report.info.policy, "1.2.3.4.1");
        assert!(report.info.ordering);
        assert!(
            report.info.gen_time >= before
                && report.info.gen_time
                    <= time::OffsetDateTime::now_utc() + time::Duration::seconds(5)
        );
        let signer = &report.cms.signers[0];
        assert_eq!(signer.ess, ess);
        assert_eq!(
            signer.signer_certificate.as_deref(),
            Some(&tsa.cert.to_der().unwrap()[..])
        );
        assert!(report
            .cms
            .certificates
            .contains(&tsa.pki.root.to_der().unwrap()));

        // Another message: imprint mismatch. Another nonce: nonce mismatch.
        let other = cms::verify_timestamp(&token, b"another signature", Some(&nonce)).unwrap();
        assert!(!other.is_valid() && !other.imprint_ok);
        assert!(other
            .problems
            .contains(&cms::TimestampProblem::ImprintMismatch));
        let replay = cms::verify_timestamp(&token, data, Some(&[1, 2, 3])).unwrap();
        assert!(!replay.is_valid());
        assert_eq!(replay.nonce_ok, Some(false));
        assert!(replay
            .problems
            .contains(&cms::TimestampProblem::NonceMismatch));
        // The token is a CMS signature too: kyso's verifier sees it intact over its TSTInfo.
        let parsed = SignedData::parse(&token).unwrap();
        assert!(parsed.content.is_some());

        // A token put into a kyso signature as signature time-stamp comes back out.
        let key = ec_key();
        let cert = tsa.pki.issue(&key, "Signer", 9100);
        let cert_der = cert.to_der().unwrap();
        let prepared = cms::prepare(&cms::SignRequest {
            content_digest: sha256(CONTENT),
            signer_certificate: &cert_der,
            chain: &[],
            algorithm: SignatureAlgorithm::EcdsaP256Sha256,
        })
        .unwrap();
        let signature = PKeySigner::new(key, SignatureAlgorithm::EcdsaP256Sha256)
            .unwrap()
            .sign(prepared.signed_attributes_der())
            .unwrap();
        let sig_request =
            cms::timestamp_request(DigestAlgorithm::Sha256, &sha256(&signature), None, true)
                .unwrap();
        let sig_token = cms::token_from_response(&tsa.reply(&sig_request, ess_alg)).unwrap();
        let signed = prepared.assemble(&signature, Some(&sig_token)).unwrap();
        let report = cms::verify_detached_content(&signed, CONTENT).unwrap();
        assert!(report.is_intact());
        let s = &report.signers[0];
        assert_eq!(s.signature_timestamps, vec![sig_token.clone()]);
        let ts =
            cms::verify_timestamp(&s.signature_timestamps[0], &s.signature_value, None).unwrap();
        assert!(ts.is_valid(), "{:?}", ts.problems);
        assert_eq!(ts.nonce_ok, None);
    }
}

#[test]
fn timestamp_request_rejected_by_tsa() {
    if !common::have_tool("openssl") {
        return;
    }
    let tsa = Tsa::new();
    // SHA-1 is not among the TSA's accepted digests.
    let request = cms::timestamp_request(DigestAlgorithm::Sha1, &[0u8; 20], None, false).unwrap();
    let response = tsa.reply(&request, "sha256");
    assert!(matches!(
        cms::token_from_response(&response),
        Err(cms::CmsError::TimestampRejected { status: 2, .. })
    ));
}

/// TSA certificates whose extended key usage is not critical or absent: `openssl ts -reply`
/// refuses to sign with them, so the token is made with `openssl cms -sign` over a genuine
/// TSTInfo.
#[test]
fn timestamp_from_unfit_tsa_certificate_is_rejected() {
    if !common::have_tool("openssl") {
        return;
    }
    let tsa = Tsa::new();
    let data = b"time-stamped";
    let request =
        cms::timestamp_request(DigestAlgorithm::Sha256, &sha256(data), None, true).unwrap();
    let token = cms::token_from_response(&tsa.reply(&request, "sha256")).unwrap();
    let tst_info = SignedData::parse(&token).unwrap().content.unwrap();
    let tst = write(tsa.dir.path(), "tstinfo.der", &tst_info);
    let non_critical = ExtendedKeyUsage::new().time_stamping().build().unwrap();
    let cases = [
        (
            vec![non_critical],
            cms::TimestampProblem::TsaKeyUsageNotCritical,
        ),
        (vec![], cms::TimestampProblem::TsaNotForTimeStamping),
    ];
    for (i, (extensions, expected)) in cases.into_iter().enumerate() {
        let cert = tsa
            .pki
            .issue_with(&tsa.key, "Unfit TSA", 9200 + i as u32, extensions);
        let cert_pem = write(tsa.dir.path(), "unfit.pem", &cert.to_pem().unwrap());
        let key_pem = write(
            tsa.dir.path(),
            "unfitkey.pem",
            &tsa.key.private_key_to_pem_pkcs8().unwrap(),
        );
        let out = tsa.dir.path().join("unfit.der");
        let (ok, text) = run(Command::new("openssl")
            .args([
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-cades",
                "-outform",
                "DER",
            ])
            .args([
                "-econtent_type",
                "1.2.840.113549.1.9.16.1.4",
                "-md",
                "sha256",
            ])
            .args([
                "-in", &tst, "-signer", &cert_pem, "-inkey", &key_pem, "-out",
            ])
            .arg(&out));
        assert!(ok, "{text}");
        let forged = std::fs::read(&out).unwrap();
        let report = cms::verify_timestamp(&forged, data, None).unwrap();
        assert!(
            report.cms.signers[0].is_intact(),
            "{:?}",
            report.cms.signers[0].problems
        );
        assert!(report.imprint_ok);
        assert!(!report.tsa_certificate_ok && !report.is_valid());
        assert_eq!(report.problems, vec![expected]);
    }
    // A plain CMS signature is not a time-stamp token.
    let key = rsa_key();
    let cert = tsa.pki.issue(&key, "Signer", 9300);
    let plain = sign(
        CONTENT,
        &cert,
        &PKeySigner::with_default_algorithm(key).unwrap(),
        &tsa.pki,
    );
    assert_eq!(
        cms::verify_timestamp(&plain, CONTENT, None).unwrap_err(),
        cms::CmsError::NotTimestampToken
    );
}

/// kyso as the time-stamp authority: `openssl ts -verify` accepts its responses (RSA and ECDSA
/// TSA keys), and refuses them for other data; unsupported requests get RFC 3161 rejections.
#[test]
fn kyso_tsa_responses_verify_with_openssl() {
    if !common::have_tool("openssl") {
        return;
    }
    let tsa = Tsa::new();
    let d = tsa.dir.path();
    let data = write(d, "data.bin", CONTENT);
    let root = write(d, "root.pem", &tsa.pki.root.to_pem().unwrap());
    let ec = ec_key();
    let eku = ExtendedKeyUsage::new()
        .critical()
        .time_stamping()
        .build()
        .unwrap();
    let ec_cert = tsa.pki.issue_with(&ec, "Kyso Test TSA EC", 9400, vec![eku]);
    let keys = [
        (
            tsa.cert.clone(),
            PKeySigner::new(tsa.key.clone(), SignatureAlgorithm::RsaPkcs1Sha256).unwrap(),
        ),
        (
            ec_cert,
            PKeySigner::new(ec, SignatureAlgorithm::EcdsaP256Sha256).unwrap(),
        ),
    ];
    let now = time::OffsetDateTime::now_utc();
    for (serial, (cert, signer)) in keys.iter().enumerate() {
        let cert_der = cert.to_der().unwrap();
        let untrusted = write(d, "tsa-cert.pem", &cert.to_pem().unwrap());
        let authority = cms::TimestampAuthority {
            certificate: &cert_der,
            chain: &[tsa.pki.root.to_der().unwrap()],
            policy: "1.2.3.4.7",
            accuracy_seconds: Some(1),
        };
        let query = d.join("q.tsq");
        let (ok, text) = run(Command::new("openssl")
            .args(["ts", "-query", "-data", &data, "-sha256", "-cert", "-out"])
            .arg(&query));
        assert!(ok, "{text}");
        let request = std::fs::read(&query).unwrap();
        let serial_bytes = [0x80, serial as u8 + 1];
        let response = cms::respond(&request, &authority, signer, &serial_bytes, now).unwrap();
        let resp = write(d, "r.tsr", &response);
        let ts_verify = |input: [&str; 2]| {
            run(Command::new("openssl")
                .args([
                    "ts",
                    "-verify",
                    "-in",
                    &resp,
                    "-CAfile",
                    &root,
                    "-untrusted",
                    &untrusted,
                ])
                .args(input))
        };
        for check in [["-queryfile", query.to_str().unwrap()], ["-data", &data]] {
            let (ok, text) = ts_verify(check);
            assert!(
                ok && text.contains("Verification: OK"),
                "{}: {text}",
                signer.algorithm()
            );
        }
        let other = write(d, "other.bin", b"other data");
        let (ok, _) = ts_verify(["-data", &other]);
        assert!(!ok, "openssl accepted a token for other data");
        let (_, text) = run(Command::new("openssl").args(["ts", "-reply", "-in", &resp, "-text"]));
        assert!(text.contains("Status: Granted"), "{text}");
        assert!(text.contains("Policy OID: 1.2.3.4.7"), "{text}");
        assert!(text.contains("Serial number: 0x80"), "{text}");

        let token = cms::token_from_response(&response).unwrap();
        let nonce = cms::request_nonce(&request).unwrap();
        assert!(nonce.is_some());
        let report = cms::verify_timestamp(&token, CONTENT, nonce.as_deref()).unwrap();
        assert!(report.is_valid(), "{:?}", report.problems);
        assert_eq!(report.info.gen_time.unix_timestamp(), now.unix_timestamp());
        assert_eq!(report.cms.signers[0].ess, EssStatus::V2Match);
    }

    // Requests the authority refuses: SHA-1 imprint (badAlg), another policy, garbage.
    let (cert, signer) = &keys[0];
    let cert_der = cert.to_der().unwrap();
    let authority = cms::TimestampAuthority {
        certificate: &cert_der,
        chain: &[],
        policy: "1.2.3.4.7",
        accuracy_seconds: None,
    };
    let query = d.join("q1.tsq");
    let (ok, text) = run(Command::new("openssl")
        .args(["ts", "-query", "-data", &data, "-sha1", "-out"])
        .arg(&query));
    assert!(ok, "{text}");
    let sha1_request = std::fs::read(&query).unwrap();
    let (ok, text) = run(Command::new("openssl")
        .args([
            "ts",
            "-query",
            "-data",
            &data,
            "-sha256",
            "-tspolicy",
            "1.2.3.4.9",
            "-out",
        ])
        .arg(&query));
    assert!(ok, "{text}");
    let policy_request = std::fs::read(&query).unwrap();
    for (request, failure) in [
        (sha1_request, "unrecognized or unsupported algorithm"),
        (policy_request, "policy is not supported"),
        (
            b"not a request".to_vec(),
            "transaction not permitted or supported",
        ),
    ] {
        let response = cms::respond(&request, &authority, signer, &[1], now).unwrap();
        assert!(matches!(
            cms::token_from_response(&response),
            Err(cms::CmsError::TimestampRejected { status: 2, .. })
        ));
        let resp = write(d, "rejected.tsr", &response);
        let (_, text) = run(Command::new("openssl").args(["ts", "-reply", "-in", &resp, "-text"]));
        assert!(text.contains("Status: Rejected"), "{text}");
        assert!(text.to_lowercase().contains(failure), "{failure}: {text}");
    }
}

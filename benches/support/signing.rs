//! The in-process signing and verification the benchmarks measure (as `kyso sign` and
//! `kyso verify` do them), a demo PKI to sign with, and a throughput run on several threads.
#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kyso::cms::{PKeySigner, SignatureAlgorithm};
use kyso::pades::{self, SignOptions, VerifyOptions};
use kyso::pdf::{Document, FileSource};
use kyso::pki::crl::Crl;
use kyso::pki::demo::{self, OpenSslEntropy};
use kyso::pki::{source, RevocationData, RevocationPolicy, TrustStore};
use openssl::pkey::{PKey, Private};
use time::OffsetDateTime;

pub struct Keys {
    pub dir: PathBuf,
    pub key: PKey<Private>,
    pub cert: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
    pub trust: TrustStore,
}

pub fn keys(dir: &Path) -> Keys {
    let pki = demo::generate(OffsetDateTime::now_utc(), &mut OpenSslEntropy).expect("demo pki");
    for f in &pki.files {
        std::fs::write(dir.join(&f.name), &f.contents).expect("write pki");
    }
    let file = |n: &str| pki.file(n).expect(n).contents.clone();
    let der = |n: &str| -> Vec<Vec<u8>> {
        source::load_certificates(&file(n))
            .expect("certs")
            .iter()
            .map(|c| c.der().to_vec())
            .collect()
    };
    let mut trust = TrustStore::new();
    for c in source::load_certificates(&file("root-ca.pem")).expect("root") {
        trust.add(c);
    }
    Keys {
        dir: dir.to_path_buf(),
        key: PKey::private_key_from_pem(&file("agency-signer.key.pem")).expect("key"),
        cert: der("agency-signer.pem").remove(0),
        chain: der("issuing-ca.pem"),
        trust,
    }
}

pub fn kyso_sign(input: &Path, out: &Path, k: &Keys) {
    let signer =
        PKeySigner::new(k.key.clone(), SignatureAlgorithm::RsaPkcs1Sha256).expect("signer");
    let doc = Document::open(FileSource::new(File::open(input).expect("open")).expect("src"))
        .expect("pdf");
    let options = SignOptions {
        claimed_time: OffsetDateTime::now_utc(),
        reason: None,
        location: None,
        certify: None,
        field_name: None,
        appearance: None,
    };
    // As `kyso sign` does: the original is copied on one core while the other hashes it.
    let (signed, mut w) = std::thread::scope(|s| {
        let copier = s.spawn(|| {
            let mut w = File::create(out).expect("create");
            std::io::copy(&mut File::open(input).expect("open"), &mut w).expect("copy");
            w
        });
        let signed = pades::sign(&doc, &signer, &k.cert, &k.chain, &options).expect("sign");
        (signed, copier.join().expect("copy thread"))
    });
    w.write_all(&signed.update.bytes).expect("append");
    w.flush().expect("flush");
}

pub fn kyso_verify(path: &Path, trust: &TrustStore) {
    kyso_verify_with(
        path,
        trust,
        &RevocationData::default(),
        RevocationPolicy::Off,
    );
}

/// [`kyso_verify`] with revocation data given and checked under `policy`, as the service does.
pub fn kyso_verify_with(
    path: &Path,
    trust: &TrustStore,
    revocation: &RevocationData,
    policy: RevocationPolicy,
) {
    let doc = Document::open(FileSource::new(File::open(path).expect("open")).expect("src"))
        .expect("pdf");
    let options = VerifyOptions {
        now: OffsetDateTime::now_utc(),
        trust,
        revocation,
        revocation_policy: policy,
    };
    let report = pades::verify(&doc, &options).expect("verify");
    assert!(report.is_valid(), "{report:?}");
}

/// The CRL in a PEM file.
pub fn crl_from_pem(path: &Path) -> Crl {
    let pem = std::fs::read(path).expect("read CRL");
    let der = openssl::x509::X509Crl::from_pem(&pem)
        .and_then(|c| c.to_der())
        .expect("PEM CRL");
    Crl::from_der(&der).expect("CRL")
}

/// The trust anchors in a PEM file.
pub fn trust_from_pem(path: &Path) -> TrustStore {
    let pem = std::fs::read(path).expect("read anchors");
    let mut trust = TrustStore::new();
    for c in source::load_certificates(&pem).expect("anchors") {
        trust.add(c);
    }
    trust
}

/// Runs `op(thread, iteration)` on `threads` threads for `duration`; returns operations per
/// second over all threads.
pub fn throughput(threads: usize, duration: Duration, op: impl Fn(usize, u64) + Sync) -> f64 {
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (done, stop, op) = (&done, &stop, &op);
            s.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    op(t, i);
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Signing throughput of one file on `threads` threads, each writing its own output in `dir`.
pub fn sign_throughput(input: &Path, dir: &Path, k: &Keys, threads: usize, d: Duration) -> f64 {
    let outs: Vec<PathBuf> = (0..threads)
        .map(|t| dir.join(format!("throughput-{t}.pdf")))
        .collect();
    throughput(threads, d, |t, _| kyso_sign(input, &outs[t], k))
}

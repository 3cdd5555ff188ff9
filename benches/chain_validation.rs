//! Validation of a 3-certificate chain (signer, issuing CA, root anchor) with a CRL from each
//! CA: kyso against OpenSSL's `X509_verify_cert` on the same chain, the same CRLs and the same
//! time, in the same run. Inputs are parsed once on both sides (OpenSSL's store is built once);
//! what is timed is one full validation including both CRL checks.
//!
//! kyso remembers signatures it has verified (`pki::algorithm`, a bounded process-wide memo),
//! OpenSSL does not; so kyso is measured twice: `kyso_warm` validates the same chain again and
//! again (the memo answers), `kyso_cold` cycles through [`COLD_CHAINS`] distinct chains (every
//! certificate and CRL signature differs, and the memo is emptied before a chain comes round
//! again), which is the like-for-like comparison with OpenSSL.
//!
//! Run: `cargo bench --bench chain_validation`. After criterion's statistics it prints the
//! rates from an interleaved timing loop and the ratios kyso / OpenSSL (the target is >= 1).

#[path = "../tests/common/chains.rs"]
mod chains;

use std::hint::black_box;
use std::time::{Duration, Instant};

use chains::{crl, now, Chain, KysoInputs, OpenSslJudge, YEAR};
use criterion::{criterion_group, Criterion};
use kyso::pki::demo::{self, Attr, CertSpec, Entropy, Issued, KeyKind, OpenSslEntropy, Role};

/// Distinct chains for the cold measurement: each adds four signatures to kyso's memo, which
/// is emptied every `MAX_REMEMBERED_SIGNATURES` (4,096) entries, i.e. every 1,024 chains; with
/// 1,500 a chain's signatures are always gone when it comes round again.
const COLD_CHAINS: usize = 1_500;

struct Pki {
    root: Issued,
    ca_key: openssl::pkey::PKey<openssl::pkey::Private>,
    leaf_key: openssl::pkey::PKey<openssl::pkey::Private>,
    t: i64,
}

impl Pki {
    fn new() -> Pki {
        let t = now();
        Pki {
            root: chains::root("Bench Root", t),
            ca_key: OpenSslEntropy.key(KeyKind::Rsa2048).expect("key"),
            leaf_key: OpenSslEntropy.key(KeyKind::Rsa2048).expect("key"),
            t,
        }
    }

    /// A chain whose issuing CA certificate, leaf and CRLs are freshly signed (so all differ
    /// from any other chain's), for the same keys. `n` shifts the CRL times by seconds.
    fn chain(&self, n: i64) -> Chain {
        let t = self.t;
        let ca_name = [
            (Attr::C, "VN"),
            (Attr::O, "kyso test"),
            (Attr::Cn, "Bench CA"),
        ];
        let ca = demo::issue_with_key(
            &CertSpec {
                subject: &ca_name,
                role: Role::IssuingCa { path_len: Some(0) },
                key: KeyKind::Rsa2048,
                not_before: t - 2 * YEAR,
                not_after: t + 3 * YEAR,
            },
            self.ca_key.clone(),
            Some(&self.root),
            &mut OpenSslEntropy,
        )
        .expect("ca");
        let leaf_name = [
            (Attr::C, "VN"),
            (Attr::O, "UBND tỉnh Đắk Lắk"),
            (Attr::Cn, "Nguyễn Văn An"),
        ];
        let leaf = demo::issue_with_key(
            &CertSpec {
                subject: &leaf_name,
                role: Role::Signer,
                key: KeyKind::Rsa2048,
                not_before: t - YEAR,
                not_after: t + YEAR,
            },
            self.leaf_key.clone(),
            Some(&ca),
            &mut OpenSslEntropy,
        )
        .expect("leaf");
        Chain {
            leaf: leaf.cert.clone(),
            intermediates: vec![ca.cert.clone()],
            anchors: vec![self.root.cert.clone()],
            crls: vec![crl(&self.root, &[], t - n), crl(&ca, &[], t - n)],
            time: t,
        }
    }
}

struct Setup {
    chain: Chain,
    kyso: KysoInputs,
    openssl: OpenSslJudge,
    cold: Vec<KysoInputs>,
}

/// True under `cargo bench` (which passes `--bench`); `cargo test --all-targets` runs this
/// binary too, and then one quick pass over small inputs is enough.
fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn setup() -> Setup {
    let pki = Pki::new();
    let chain = pki.chain(0);
    let kyso = KysoInputs::new(&chain);
    let openssl = OpenSslJudge::new(&chain);
    let report = kyso.validate().expect("kyso evaluates the chain");
    assert!(
        report.is_valid(),
        "kyso must accept the bench chain: {report:?}"
    );
    let (ok, why) = openssl.verify(&chain);
    assert!(ok, "OpenSSL must accept the bench chain: {why}");
    let count = if benchmarking() { COLD_CHAINS } else { 2 };
    let cold: Vec<KysoInputs> = (1..=count)
        .map(|n| KysoInputs::new(&pki.chain(i64::try_from(n).unwrap_or(0))))
        .collect();
    for inputs in cold.iter().take(3) {
        assert!(inputs.validate().is_ok_and(|r| r.is_valid()));
    }
    Setup {
        chain,
        kyso,
        openssl,
        cold,
    }
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let mut g = c.benchmark_group("chain_validation_3_certs_2_crls");
    g.bench_function("kyso_warm", |b| b.iter(|| black_box(s.kyso.validate())));
    let mut next = s.cold.iter().cycle();
    g.bench_function("kyso_cold", |b| {
        b.iter(|| black_box(next.next().map(|k| k.validate())))
    });
    g.bench_function("openssl", |b| {
        b.iter(|| black_box(s.openssl.verify(&s.chain)))
    });
    g.finish();
}

/// Rates from alternating one-second rounds, so all sides see the same machine load.
fn ratio() {
    const ROUNDS: u32 = 5;
    const ROUND: Duration = Duration::from_secs(1);
    let s = setup();
    let mut cold = s.cold.iter().cycle();
    let mut counts = [0u64; 3];
    let mut times = [Duration::ZERO; 3];
    for _ in 0..ROUNDS {
        for side in 0..3 {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < ROUND {
                for _ in 0..16 {
                    match side {
                        0 => {
                            black_box(s.kyso.validate().ok());
                        }
                        1 => {
                            black_box(cold.next().map(|k| k.validate().ok()));
                        }
                        _ => {
                            black_box(s.openssl.verify(&s.chain));
                        }
                    }
                }
                n += 16;
            }
            counts[side] += n;
            times[side] += start.elapsed();
        }
    }
    let rate = |side: usize| counts[side] as f64 / times[side].as_secs_f64();
    let (warm, cold, o) = (rate(0), rate(1), rate(2));
    println!(
        "validations/s: kyso warm {warm:.0}, kyso cold {cold:.0}, OpenSSL {o:.0}; \
         ratio kyso/OpenSSL: warm {:.2}, cold {:.2}",
        warm / o,
        cold / o
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if benchmarking() {
        ratio();
    }
}

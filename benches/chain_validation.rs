//! Validation of a 3-certificate chain (signer, issuing CA, root anchor) with a CRL from each
//! CA: kyso against OpenSSL's `X509_verify_cert` on the same chain, the same CRLs and the same
//! time, in the same run. Inputs are parsed once on both sides (OpenSSL's store is built once);
//! what is timed is one full validation including both CRL checks.
//!
//! Run: `cargo bench --bench chain_validation`. After criterion's own statistics it prints both
//! rates from an interleaved timing loop and their ratio (kyso / OpenSSL; the target is >= 1).

#[path = "../tests/common/chains.rs"]
mod chains;

use std::hint::black_box;
use std::time::{Duration, Instant};

use chains::{ca, crl, leaf, now, root, Chain, KysoInputs, OpenSslJudge};
use criterion::{criterion_group, Criterion};

fn chain() -> Chain {
    let t = now();
    let r = root("Bench Root", t);
    let i = ca("Bench Issuing CA", &r, Some(0), t);
    let l = leaf("Nguyễn Văn An", &i, t);
    Chain {
        leaf: l.cert.clone(),
        intermediates: vec![i.cert.clone()],
        anchors: vec![r.cert.clone()],
        crls: vec![crl(&r, &[], t), crl(&i, &[], t)],
        time: t,
    }
}

fn bench(c: &mut Criterion) {
    let chain = chain();
    let kyso = KysoInputs::new(&chain);
    let openssl = OpenSslJudge::new(&chain);
    let report = kyso.validate().expect("kyso evaluates the chain");
    assert!(
        report.is_valid(),
        "kyso must accept the bench chain: {report:?}"
    );
    let (ok, why) = openssl.verify(&chain);
    assert!(ok, "OpenSSL must accept the bench chain: {why}");

    let mut g = c.benchmark_group("chain_validation_3_certs_2_crls");
    g.bench_function("kyso", |b| b.iter(|| black_box(kyso.validate())));
    g.bench_function("openssl", |b| b.iter(|| black_box(openssl.verify(&chain))));
    g.finish();
}

/// Rates from alternating one-second rounds, so both sides see the same machine load.
fn ratio() {
    const ROUNDS: u32 = 5;
    const ROUND: Duration = Duration::from_secs(1);
    let chain = chain();
    let kyso = KysoInputs::new(&chain);
    let openssl = OpenSslJudge::new(&chain);
    let mut counts = [0u64; 2];
    let mut times = [Duration::ZERO; 2];
    for _ in 0..ROUNDS {
        for side in 0..2 {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < ROUND {
                for _ in 0..16 {
                    if side == 0 {
                        black_box(kyso.validate().ok());
                    } else {
                        black_box(openssl.verify(&chain));
                    }
                }
                n += 16;
            }
            counts[side] += n;
            times[side] += start.elapsed();
        }
    }
    let rate = |side: usize| counts[side] as f64 / times[side].as_secs_f64();
    let (k, o) = (rate(0), rate(1));
    println!(
        "validations/s: kyso {k:.0}, OpenSSL {o:.0}; ratio kyso/OpenSSL = {:.2}",
        k / o
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratio();
}

//! Signing and verifying generated 1 MB and 50 MB PDFs: pyHanko (in-process, through
//! `support/pyhanko_bench.py`), the floor (one SHA-256 pass over the file plus one RSA-2048
//! signature) and kyso, side by side in the same run, with the ratios the issue asks for.
//!
//! With `--bench` it also measures throughput on one and two threads for 10 s each (the
//! in-process reference of the HTTP load test, `benches/load.rs`).
//!
//! `cargo bench --bench pades` runs the full set (pyHanko must be on PATH's `python3` or
//! `$KYSO_PYHANKO_PYTHON`); under `cargo test` one quick pass over 1 MB checks that it runs.

#[path = "support/big_pdf.rs"]
mod big_pdf;
#[path = "support/signing.rs"]
mod signing;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use sha2::{Digest, Sha256};

use signing::{keys, kyso_sign, kyso_verify, Keys};

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// One SHA-256 pass over the file (read in 1 MiB pieces) and one RSA-2048 signature.
fn floor(path: &Path, key: &PKey<Private>) {
    let mut f = File::open(path).expect("open");
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let digest = h.finalize();
    let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), key).expect("signer");
    s.update(&digest).expect("update");
    std::hint::black_box(s.sign_to_vec().expect("sign"));
}

fn pyhanko(mode: &str, pdf: &Path, k: &Keys, runs: usize) -> Option<f64> {
    let python = std::env::var("KYSO_PYHANKO_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support/pyhanko_bench.py");
    let out = Command::new(python)
        .arg(script)
        .arg(mode)
        .arg(pdf)
        .arg(k.dir.join("agency-signer.key.pem"))
        .arg(k.dir.join("agency-signer.pem"))
        .arg(k.dir.join("issuing-ca.pem"))
        .arg(k.dir.join("root-ca.pem"))
        .arg(runs.to_string())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("pyHanko {mode}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("tempdir");
    let k = keys(dir.path());
    let sizes: &[usize] = if full { &[1, 50] } else { &[1] };
    for &mb in sizes {
        let input = dir.path().join(format!("in-{mb}.pdf"));
        let mut w = BufWriter::new(File::create(&input).expect("create"));
        big_pdf::big_pdf(mb, &mut w).expect("generate");
        w.flush().expect("flush");
        drop(w);
        let signed = dir.path().join(format!("signed-{mb}.pdf"));
        let runs = if !full {
            1
        } else if mb > 10 {
            15
        } else {
            41
        };
        let floor_ms = median_ms(runs, || floor(&input, &k.key));
        let sign_ms = median_ms(runs, || kyso_sign(&input, &signed, &k));
        let verify_ms = median_ms(runs, || kyso_verify(&signed, &k.trust));
        println!(
            "{mb} MB: floor {floor_ms:.2} ms; kyso sign {sign_ms:.2} ms ({:.2}x floor), verify \
             {verify_ms:.2} ms ({:.2}x floor)",
            sign_ms / floor_ms,
            verify_ms / floor_ms
        );
        if full {
            let d = Duration::from_secs(10);
            let one = signing::sign_throughput(&input, dir.path(), &k, 1, d);
            let two = signing::sign_throughput(&input, dir.path(), &k, 2, d);
            let verify_two = signing::throughput(2, d, |_, _| kyso_verify(&signed, &k.trust));
            println!(
                "{mb} MB: in-process throughput: sign {one:.0}/s on one thread, {two:.0}/s on \
                 two; verify {verify_two:.0}/s on two"
            );
            let py_runs = if mb > 10 { 5 } else { 15 };
            match (
                pyhanko("sign", &input, &k, py_runs),
                pyhanko("verify", &signed, &k, py_runs),
            ) {
                (Some(ps), Some(pv)) => println!(
                    "{mb} MB: pyHanko sign {ps:.2} ms, verify {pv:.2} ms; kyso signs {:.1}x and \
                     verifies {:.1}x faster than pyHanko",
                    ps / sign_ms,
                    pv / verify_ms
                ),
                _ => println!("{mb} MB: pyHanko not available (set KYSO_PYHANKO_PYTHON)"),
            }
        }
    }
}

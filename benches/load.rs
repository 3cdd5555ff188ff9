//! HTTP load test of `kyso serve` (release build) with `wrk`: 32 concurrent clients for 30 s
//! signing a 1 MB PDF (`POST /v1/sign`), verifying a signed one (`POST /v1/verify`), and
//! reading a citizen page (`GET /v/{id}`). The reference is the same signing and verification
//! in-process on two threads (both cores of the machine, which the load generator shares with
//! the server), run just before and just after each HTTP run so that a drift in the shared
//! machine's speed shows instead of skewing the ratio. A last run posts a megabyte that is not
//! a PDF: the transport floor, what moving the bytes alone costs.
//!
//! `cargo bench --bench load` runs it (`wrk` must be installed: `apt-get install wrk`;
//! `KYSO_LOAD_SECONDS` and `KYSO_LOAD_CLIENTS` change the duration and the concurrency).
//! Under `cargo test` it only checks, without `wrk`, that one request of each kind succeeds.

#[path = "support/big_pdf.rs"]
mod big_pdf;
#[path = "../tests/common/server.rs"]
mod server;
#[path = "support/signing.rs"]
mod signing;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kyso::pki::{RevocationData, RevocationPolicy};
use server::{Options, Server};

/// One wrk run's figures.
#[derive(Debug, Default)]
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
}

fn millis(text: &str) -> Option<f64> {
    let (num, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    num.parse::<f64>().ok().map(|v| v * factor)
}

fn parse_wrk(out: &str) -> Load {
    let mut l = Load::default();
    for line in out.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => l.p50_ms = millis(v).unwrap_or(f64::NAN),
            ["99%", v] => l.p99_ms = millis(v).unwrap_or(f64::NAN),
            ["Requests/sec:", v] => l.requests_per_second = v.parse().unwrap_or(f64::NAN),
            [n, "requests", "in", ..] => l.requests = n.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", n] => l.errors += n.parse().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                l.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    l
}

/// Runs wrk against `url` with the Lua `script` (or a plain GET).
fn wrk(url: &str, script: Option<&Path>, seconds: u64, clients: u64) -> Load {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", &format!("-c{clients}"), &format!("-d{seconds}s")])
        .args(["--latency", "--timeout", "30s"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "wrk failed: {text}");
    parse_wrk(&text)
}

/// A wrk script posting `body` as a PDF with the bearer `token`.
fn post_script(dir: &Path, name: &str, body: &Path, token: &str) -> PathBuf {
    let path = dir.join(format!("{name}.lua"));
    let lua = format!(
        "local f = assert(io.open({body:?}, \"rb\"))\n\
         wrk.method = \"POST\"\n\
         wrk.body = f:read(\"*a\")\n\
         f:close()\n\
         wrk.headers[\"Content-Type\"] = \"application/pdf\"\n\
         wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
    );
    std::fs::write(&path, lua).expect("write wrk script");
    path
}

fn report(what: &str, l: &Load, reference: Option<f64>) {
    let ratio = reference
        .map(|r| {
            format!(
                ", {:.0}% of the in-process {r:.0}/s",
                100.0 * l.requests_per_second / r
            )
        })
        .unwrap_or_default();
    println!(
        "{what}: {:.0}/s over {} requests, {} errors, p50 {:.2} ms, p99 {:.2} ms{ratio}",
        l.requests_per_second, l.requests, l.errors, l.p50_ms, l.p99_ms
    );
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in-1mb.pdf");
    let mut w = BufWriter::new(File::create(&input).expect("create"));
    big_pdf::big_pdf(1, &mut w).expect("generate");
    w.flush().expect("flush");
    drop(w);
    let pdf = std::fs::read(&input).expect("read");

    // B-B by default, as the in-process reference signs (one RSA signature per document); the
    // development default B-T (a second RSA signature, the time stamp) is measured apart.
    let server = Server::start(Options {
        env: vec![
            ("RUST_LOG".into(), "warn".into()),
            ("KYSO_DEFAULT_LEVEL".into(), "B-B".into()),
        ],
        ..Options::default()
    });
    let signed = server.sign(&pdf, "", &[]);
    let page_url = signed
        .header("kyso-verification-url")
        .expect("verification URL")
        .to_owned();
    let signed_path = dir.path().join("signed-1mb.pdf");
    std::fs::write(&signed_path, &signed.body).expect("write");
    let token = server.token.clone().expect("development token");
    if !full {
        let verify = server.post("/v1/verify", "application/pdf", &[], &signed.body);
        assert_eq!(verify.status, 200, "{}", verify.text());
        let path = page_url
            .strip_prefix(&server.base)
            .expect("page on this server");
        assert_eq!(server.get(path).status, 200);
        println!(
            "load smoke run: sign, verify and page answer 200 (cargo bench --bench load for the \
             load test)"
        );
        return;
    }
    let seconds = env_u64("KYSO_LOAD_SECONDS", 30);
    let clients = env_u64("KYSO_LOAD_CLIENTS", 32);
    println!(
        "{clients} clients for {seconds} s each; server: {}",
        server.base
    );
    // The server's own file, anchors and CRLs, under its policy (development mode: the demo
    // CRLs, soft-fail): in-process verification does the same work.
    let pki = server.data_dir.join(kyso::http::state::DEMO_PKI_DIR);
    let trust = signing::trust_from_pem(&pki.join("root-ca.pem"));
    let revocation = RevocationData {
        crls: ["root-ca.crl.pem", "issuing-ca.crl.pem"]
            .iter()
            .map(|f| signing::crl_from_pem(&pki.join(f)))
            .collect(),
        ocsp: Vec::new(),
    };
    let k = signing::keys(dir.path());
    let d = Duration::from_secs(10);
    // The in-process signing writes its outputs to files: they are flushed before an HTTP run,
    // so that the kernel's writeback does not land on the server's ledger commits.
    let settle = || {
        let _ = Command::new("sync").status();
    };
    let sign_reference = || {
        let r = signing::sign_throughput(&input, dir.path(), &k, 2, d);
        settle();
        r
    };
    let verify_reference = || {
        signing::throughput(2, d, |_, _| {
            signing::kyso_verify_with(
                &signed_path,
                &trust,
                &revocation,
                RevocationPolicy::SoftFail,
            );
        })
    };
    // A shared machine's speed drifts: each HTTP run sits between two reference runs (the
    // server idle), and is compared with their mean.
    let sign_script = post_script(dir.path(), "sign", &input, &token);
    let sign_before = sign_reference();
    let sign_load = wrk(
        &format!("{}/v1/sign", server.base),
        Some(&sign_script),
        seconds,
        clients,
    );
    let sign_bt_load = wrk(
        &format!("{}/v1/sign?level=B-T", server.base),
        Some(&sign_script),
        seconds,
        clients,
    );
    let sign_after = sign_reference();
    let verify_script = post_script(dir.path(), "verify", &signed_path, &token);
    let verify_before = verify_reference();
    let verify_load = wrk(
        &format!("{}/v1/verify", server.base),
        Some(&verify_script),
        seconds,
        clients,
    );
    let verify_after = verify_reference();
    // The transport floor: the same megabyte posted and refused at once (422, not a PDF), so
    // what is left is moving the bytes through loopback TCP, HTTP and the body reader.
    let garbage = dir.path().join("not-a-pdf.bin");
    std::fs::write(&garbage, vec![0u8; pdf.len()]).expect("write");
    let floor_script = post_script(dir.path(), "floor", &garbage, &token);
    let floor = wrk(
        &format!("{}/v1/verify", server.base),
        Some(&floor_script),
        seconds,
        clients,
    );
    let page_load = wrk(&page_url, None, seconds, clients);
    drop(server);

    let sign_ref = (sign_before + sign_after) / 2.0;
    let verify_ref = (verify_before + verify_after) / 2.0;
    println!(
        "in-process on 2 threads: sign {sign_before:.0}/s before, {sign_after:.0}/s after; \
         verify {verify_before:.0}/s before, {verify_after:.0}/s after"
    );
    report("POST /v1/sign (1 MB)", &sign_load, Some(sign_ref));
    report(
        "POST /v1/sign?level=B-T (1 MB)",
        &sign_bt_load,
        Some(sign_ref),
    );
    report("POST /v1/verify (1 MB)", &verify_load, Some(verify_ref));
    report("GET /v/{id}", &page_load, None);
    // Were the server to do exactly the in-process work, plus moving the megabyte, both cores
    // busy: per request 2/reference + 2/floor seconds of CPU.
    let ceiling = |reference: f64| {
        100.0 * (2.0 / reference) / (2.0 / reference + 2.0 / floor.requests_per_second)
    };
    let verify_ceiling = ceiling(verify_ref);
    println!(
        "transport floor (1 MB posted, refused with 422): {:.0}/s, p50 {:.2} ms; the ceiling \
         it leaves: verify {verify_ceiling:.0}% of in-process (the upload only; signing also \
         returns the megabyte); /v1/verify reached {:.0}% of that ceiling",
        floor.requests_per_second,
        floor.p50_ms,
        100.0 * (100.0 * verify_load.requests_per_second / verify_ref) / verify_ceiling
    );
}

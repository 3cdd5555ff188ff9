//! The public read path checked by two independent clients: kyso's own `ledger audit --url`
//! and a checker written from the C2SP specs in Python (tests/tools/check_read_path.py), both
//! reading only `/checkpoint` and `/tile/...`: first tiles from `kyso ledger export` served by
//! `python3 -m http.server` (both clients must pass, and both must fail on a tampered tile, a
//! tampered bundle or the wrong key), then a running `kyso serve`.

mod common;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::kyso_ledger;
use serde_json::Value;

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/tools/check_read_path.py"
);

/// How long a started web server gets to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A child process killed (by its own id) when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < START_TIMEOUT, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether python3 with the `cryptography` package is available (a failure under CI).
fn have_python_checker() -> bool {
    if !common::have_tool("python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::missing("the Python package `cryptography` (pip install cryptography)");
    }
    ok
}

/// Runs the Python checker; returns its exit code and JSON report.
pub fn python_check(url: &str, key: &str) -> (i32, Value) {
    let out = Command::new("python3")
        .args([CHECKER, "--url", url, "--key", key])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "checker printed no JSON: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

/// Runs `kyso ledger audit --url`; returns its exit code and JSON report.
pub fn kyso_audit(url: &str, key: &str) -> (i32, Value) {
    let out = Command::new(KYSO)
        .args(["ledger", "audit", "--url", url, "--key", key])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), report)
}

fn serve_dir(dir: &Path) -> (Running, String) {
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--directory")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    wait_for_port(port);
    (running, format!("http://127.0.0.1:{port}"))
}

fn flip_last_byte(path: &Path) -> Vec<u8> {
    let original = std::fs::read(path).unwrap();
    let mut data = original.clone();
    let last = data.len() - 1;
    data[last] ^= 1;
    std::fs::write(path, data).unwrap();
    original
}

#[test]
fn exported_tiles_pass_both_checkers_and_tampering_fails_both() {
    if !have_python_checker() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let export = tmp.path().join("export");
    let d = data.to_str().unwrap();
    kyso_ledger(&[
        "init",
        "--dir",
        d,
        "--origin",
        "ledger.test.kyso.example/read-path",
    ]);
    // 700 entries: two full bundles, a partial one, and a level-1 tile.
    kyso_ledger(&[
        "bench-append",
        "--dir",
        d,
        "--count",
        "700",
        "--batch",
        "10",
    ]);
    kyso_ledger(&["export", "--dir", d, "--out", export.to_str().unwrap()]);
    let key = std::fs::read_to_string(data.join("log.vkey")).unwrap();
    let key = key.trim();
    let (_server, url) = serve_dir(&export);

    let (code, py) = python_check(&url, key);
    assert_eq!(code, 0, "{py}");
    assert_eq!(py["tree_size"], 700);
    assert_eq!(py["entries_read"], 700);
    assert_eq!(py["signed_by_log_key"], true);
    assert_eq!(py["hash_tiles_checked"], 4, "{py}");
    let (code, ours) = kyso_audit(&url, key);
    assert_eq!(code, 0, "{ours}");
    assert_eq!(
        ours["root"], py["root"],
        "the two checkers disagree on the root"
    );

    let stranger =
        "ledger.test.kyso.example/read-path+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (code, _) = python_check(&url, stranger);
    assert_ne!(code, 0);
    let other = tmp.path().join("other");
    let o = other.to_str().unwrap();
    kyso_ledger(&[
        "init",
        "--dir",
        o,
        "--origin",
        "ledger.test.kyso.example/read-path",
    ]);
    let other_key = std::fs::read_to_string(other.join("log.vkey")).unwrap();
    let (code, py) = python_check(&url, other_key.trim());
    assert_eq!(code, 1, "{py}");
    assert_eq!(py["signed_by_log_key"], false);
    let (code, _) = kyso_audit(&url, other_key.trim());
    assert_eq!(code, 1);

    let tile = export.join("tile/0/001");
    let original = flip_last_byte(&tile);
    let (code, py) = python_check(&url, key);
    assert_eq!(code, 1, "{py}");
    assert!(py["problems"].to_string().contains("tile/0/001"), "{py}");
    assert_eq!(kyso_audit(&url, key).0, 1);
    std::fs::write(&tile, original).unwrap();

    flip_last_byte(&export.join("tile/entries/002.p/188"));
    let (code, py) = python_check(&url, key);
    assert_eq!(code, 1, "{py}");
    assert_eq!(kyso_audit(&url, key).0, 1);
}

#[test]
fn a_running_kyso_serve_passes_both_checkers() {
    if !have_python_checker() {
        return;
    }
    let server = common::server::Server::start_dev();
    let d = server.data_dir.to_str().unwrap().to_owned();
    // Full and partial tiles: 300 entries through the CLI while the server runs, then
    // documents signed over HTTP.
    kyso_ledger(&[
        "bench-append",
        "--dir",
        &d,
        "--count",
        "300",
        "--batch",
        "20",
    ]);
    let pdf = common::pdf::build_pdf(
        common::pdf::HEADER_BINARY,
        &[
            "<</Type /Catalog /Pages 2 0 R>>",
            "<</Type /Pages /Kids [3 0 R] /Count 1>>",
            "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>",
        ],
        "",
    );
    for _ in 0..3 {
        server.sign(&pdf, "", &[]);
    }
    let key = std::fs::read_to_string(server.data_dir.join("log.vkey")).unwrap();
    let key = key.trim();
    let (code, py) = python_check(&server.base, key);
    assert_eq!(code, 0, "{py}");
    assert_eq!(py["tree_size"], 303, "{py}");
    assert_eq!(py["signed_by_log_key"], true);
    let (code, ours) = kyso_audit(&server.base, key);
    assert_eq!(code, 0, "{ours}");
    assert_eq!(ours["root"], py["root"]);
    assert_eq!(ours["tree_size"], 303);
}

//! Helpers shared by the integration tests: where the conformance data lives and how a missing
//! outside dependency is handled (a failure under `CI=true`, a printed skip elsewhere).
#![allow(dead_code)]

use std::path::PathBuf;

pub mod edit;
pub mod keys;
pub mod net;
pub mod pdf;
pub mod qr;
pub mod server;
pub mod webdriver;

/// True when running in CI, where a missing tool or data set is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The shared conformance data: `$KYSO_CONFORMANCE`, else `../shared/conformance` beside the
/// repository. `None` (after printing why) when absent outside CI; panics in CI.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KYSO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!("conformance data at {}", dir.display()));
        None
    }
}

/// The shared sample documents: `$KYSO_SAMPLES`, else `../shared/samples`.
pub fn samples_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KYSO_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples"));
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!("sample documents at {}", dir.display()));
        None
    }
}

/// Whether an outside program is on PATH; a missing one fails the test under CI.
pub fn have_tool(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(name).is_file()));
    if !found {
        missing(&format!("the program `{name}`"));
    }
    found
}

/// Reports a missing dependency: panics in CI, prints a skip notice elsewhere.
pub fn missing(what: &str) {
    if in_ci() {
        panic!("{what} is missing, and under CI=true that is a failure (run .ci/install-and-test)");
    }
    eprintln!("SKIPPED: {what} is missing (set CI=true to make this a failure)");
}

/// The strings of a JSON array (other items skipped); empty when `v` is absent or not an array.
pub fn json_strings(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a command to completion (it must start).
pub fn run(cmd: &mut std::process::Command) -> std::process::Output {
    cmd.output().expect("run command")
}

/// A finished command's standard output then standard error, as text.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `kyso sign INPUT -o OUT` with the demo signer `stem` of the demo PKI in `pki` (its key,
/// certificate and the issuing CA as chain); the caller adds the rest.
pub fn kyso_sign_command(
    kyso: &str,
    pki: &std::path::Path,
    stem: &str,
    input: &std::path::Path,
    out: &std::path::Path,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(kyso);
    cmd.arg("sign")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--key")
        .arg(pki.join(format!("{stem}.key.pem")))
        .arg("--cert")
        .arg(pki.join(format!("{stem}.pem")))
        .arg("--chain")
        .arg(pki.join("issuing-ca.pem"));
    cmd
}

/// Runs `kyso ledger ARGS`; panics unless it succeeds; returns its standard output.
pub fn kyso_ledger<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kyso"))
        .arg("ledger")
        .args(args)
        .output()
        .expect("run kyso ledger");
    assert!(
        out.status.success(),
        "kyso ledger {:?}: {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pyHanko's verdict (its exit code) on `file` with the demo PKI in `pki` (its root the only
/// trust anchor, its issuing CA as intermediate), revocation not checked; prints its output
/// when it rejects.
pub fn pyhanko_valid(pki: &std::path::Path, file: &std::path::Path) -> bool {
    let o = std::process::Command::new("pyhanko")
        .args(["sign", "validate", "--trust"])
        .arg(pki.join("root-ca.pem"))
        .args(["--trust-replace", "--other-certs"])
        .arg(pki.join("issuing-ca.pem"))
        .arg("--no-revocation-check")
        .arg(file)
        .output()
        .expect("pyhanko");
    if !o.status.success() {
        eprintln!(
            "pyhanko: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    o.status.success()
}

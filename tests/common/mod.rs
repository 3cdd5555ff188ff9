//! Helpers shared by the integration tests: where the conformance data lives and how a missing
//! outside dependency is handled (a failure under `CI=true`, a printed skip elsewhere).
#![allow(dead_code)]

use std::path::PathBuf;

pub mod keys;
pub mod pdf;
pub mod server;

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

//! Helpers shared by the integration tests: where the conformance data is, whether an outside
//! tool is present, and a freshly generated demo PKI on disk.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

use time::OffsetDateTime;

/// True when running under CI, where missing data or tools fail the test instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (returns `None` after a notice) or, under `CI=true`, fails.
fn missing(what: &str) -> Option<PathBuf> {
    assert!(
        !in_ci(),
        "{what} is missing and CI=true: failing instead of skipping"
    );
    eprintln!("NOTICE: {what} is missing; skipping this test");
    None
}

/// The conformance data directory: `$KYSO_CONFORMANCE`, else `../shared/conformance` next to
/// the crate.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KYSO_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!("conformance data ({})", dir.display()))
    }
}

/// A subdirectory of the conformance data, or `None` (skip) / panic (CI) when absent.
pub fn conformance(sub: &str) -> Option<PathBuf> {
    let dir = conformance_dir()?.join(sub);
    if dir.exists() {
        Some(dir)
    } else {
        missing(&format!("conformance data {}", dir.display()))
    }
}

/// Whether an outside program can be run; `None` (skip) / panic (CI) when not.
pub fn tool(name: &str) -> Option<PathBuf> {
    let ok = Command::new(name).arg("version").output().is_ok();
    if ok {
        Some(PathBuf::from(name))
    } else {
        missing(&format!("the `{name}` program"))
    }
}

/// Generates the demo PKI as of `now` into `dir` through the library.
pub fn write_demo(dir: &Path, now: OffsetDateTime) {
    let pki = kyso::pki::demo::generate(now, &mut kyso::pki::demo::OpenSslEntropy)
        .expect("demo PKI generation");
    for f in &pki.files {
        std::fs::write(dir.join(&f.name), &f.contents).expect("write demo file");
    }
}

//! Helpers for the pki tests: a freshly generated demo PKI on disk.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;

use time::OffsetDateTime;

/// Generates the demo PKI as of `now` into `dir` through the library.
pub fn write_demo(dir: &Path, now: OffsetDateTime) {
    let pki = kyso::pki::demo::generate(now, &mut kyso::pki::demo::OpenSslEntropy)
        .expect("demo PKI generation");
    for f in &pki.files {
        std::fs::write(dir.join(&f.name), &f.contents).expect("write demo file");
    }
}

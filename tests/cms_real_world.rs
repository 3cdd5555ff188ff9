//! CMS signatures made by other PDF signers (the files of the RUB-NDS attack demos: some
//! BER-encoded with indefinite lengths, some without signed attributes) get from kyso the same
//! cryptographic verdict as from `openssl cms -verify -noverify`. The byte ranges are found with
//! a plain pattern search: this test is about CMS, not PDF parsing.

mod common;

use std::path::Path;
use std::process::Command;

use kyso::cms::{self, ContentDigest};
use regex::bytes::Regex;

/// Every `(cms, digest input)` pair of the signatures in a PDF file.
fn signatures(pdf: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let re = Regex::new(r"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]").unwrap();
    re.captures_iter(pdf)
        .map(|c| {
            let n = |i: usize| -> usize { std::str::from_utf8(&c[i]).unwrap().parse().unwrap() };
            let (a, l1, b, l2) = (n(1), n(2), n(3), n(4));
            let hex_string = std::str::from_utf8(&pdf[a + l1..b]).unwrap().trim();
            let hex_digits = hex_string.trim_start_matches('<').trim_end_matches('>');
            let der = hex::decode(hex_digits).unwrap();
            let mut content = pdf[a..a + l1].to_vec();
            content.extend_from_slice(&pdf[b..b + l2]);
            (der, content)
        })
        .collect()
}

/// Whether `openssl cms -verify -noverify` (signature and digest, no chain) accepts it.
fn openssl_verifies(der: &[u8], content: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (sig, data) = (dir.path().join("sig.der"), dir.path().join("data.bin"));
    std::fs::write(&sig, der).unwrap();
    std::fs::write(&data, content).unwrap();
    Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-binary",
            "-noverify",
            "-inform",
            "DER",
            "-out",
            "/dev/null",
        ])
        .arg("-in")
        .arg(&sig)
        .arg("-content")
        .arg(&data)
        .output()
        .unwrap()
        .status
        .success()
}

fn pdfs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            pdfs(&path, out);
        } else if path.extension().is_some_and(|e| e == "pdf") {
            out.push(path);
        }
    }
}

#[test]
fn third_party_pdf_signatures_verify() {
    let Some(conformance) = common::conformance_dir() else {
        return;
    };
    if !common::have_tool("openssl") {
        return;
    }
    let mut files = Vec::new();
    pdfs(&conformance.join("pdf-attacks"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut ber = 0;
    let mut intact = 0;
    for file in &files {
        let pdf = std::fs::read(file).unwrap();
        for (der, content) in signatures(&pdf) {
            if der.get(1) == Some(&0x80) {
                ber += 1;
            }
            let report = cms::verify_detached_content(&der, &content)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(report.signers.len(), 1, "{}", file.display());
            let s = &report.signers[0];
            let openssl_ok = openssl_verifies(&der, &content);
            assert_eq!(
                s.is_intact(),
                openssl_ok,
                "{}: kyso and openssl disagree; kyso: {:?} {:?}",
                file.display(),
                report.problems,
                s.problems
            );
            if openssl_ok {
                intact += 1;
            }
            assert!(s.signer_certificate.is_some());
            // The same through a precomputed digest only.
            let algorithm = s.digest_algorithm.unwrap();
            let digest = ContentDigest {
                algorithm,
                value: algorithm.digest(&content).unwrap(),
            };
            let again = cms::verify_detached(&der, &[digest]).unwrap();
            assert_eq!(again.signers[0].is_intact(), openssl_ok);
            checked += 1;
        }
    }
    eprintln!("{checked} third-party signatures checked ({ber} BER), {intact} intact");
    assert!(checked >= 20, "only {checked} signatures found");
    assert!(
        intact >= 20 && intact < checked,
        "expected both intact and broken signatures"
    );
    assert!(ber > 0, "no BER-encoded signature among the samples");
}

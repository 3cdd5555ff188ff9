//! The published PDF attack files (shadow and certification attacks) through the reader:
//! every file opens, its revisions and signatures are found, and the byte ranges tell apart the
//! signed originals from the files manipulated after signing.

mod common;

use std::path::{Path, PathBuf};

use kyso::pdf::{check_byte_range, Document, ObjRef, PdfError};

fn pdfs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            pdfs(&p, out);
        } else if p.extension().is_some_and(|e| e == "pdf") {
            out.push(p);
        }
    }
}

#[test]
fn attack_files_are_read_and_their_byte_ranges_checked() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let mut files = Vec::new();
    pdfs(&conf.join("pdf-attacks"), &mut files);
    assert!(
        files.len() >= 30,
        "expected the attack corpus, found {} files",
        files.len()
    );
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.strip_prefix(&conf).unwrap().display().to_string();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let signed_original = file.starts_with("3_") || file.starts_with("02_");
        let manipulated =
            file.starts_with("4_") || file.starts_with("03_") || file.starts_with("04_");
        let doc = match Document::open(&bytes[..]) {
            Ok(doc) => doc,
            // One manipulated file has a startxref that points past the `xref` keyword: it is
            // refused as unreadable rather than searched for.
            Err(e @ PdfError::BadXref { .. }) if manipulated => {
                println!("{name}: refused: {e}");
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let revs: Vec<(u64, usize)> = doc
            .revisions()
            .iter()
            .map(|r| (r.end, r.changed.len()))
            .collect();
        println!(
            "{name}: revisions {revs:?}, diagnostics {:?}",
            doc.diagnostics()
        );
        let mut all_consistent = true;
        let mut last_covered = false;
        let sigs: Vec<(String, ObjRef)> = doc
            .signature_fields()
            .unwrap()
            .into_iter()
            .filter_map(|f| Some((f.name, f.value?)))
            .collect();
        for (field, sig) in &sigs {
            let check = check_byte_range(&doc, doc.last_revision(), *sig).unwrap();
            let covers = check.covered_end.and_then(|e| doc.revision_ending_at(e));
            println!(
                "   {field}: {:?} {:?} covers revision {covers:?}",
                check.byte_range, check.problems
            );
            all_consistent &= check.is_consistent();
            last_covered |= check.is_consistent() && covers == Some(doc.last_revision());
        }
        if signed_original {
            assert!(!sigs.is_empty(), "{name}: no signature found");
            assert!(
                all_consistent && last_covered,
                "{name}: the signed original should be fully covered"
            );
        }
        if manipulated {
            // What the signatures cover no longer matches the file: a later revision, a broken
            // range, or a cross-reference that needs repair.
            let looks_intact = all_consistent && last_covered && !doc.needs_repair();
            assert!(
                !looks_intact,
                "{name}: the manipulation is invisible at the PDF layer"
            );
        }
    }
}

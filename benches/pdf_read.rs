//! Opening a generated ~50 MB PDF from disk and walking its revisions, the reading part of
//! signing and verifying large decisions.

#[path = "support/big_pdf.rs"]
mod big_pdf;

use std::fs::File;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kyso::pdf::{Dict, Document, FileSource, IncrementalWriter, ObjRef, SignatureField};

fn walk(path: &std::path::Path) -> usize {
    let file = File::open(path).expect("open");
    let doc = Document::open(FileSource::new(file).expect("metadata")).expect("pdf");
    let mut n = 0;
    for rev in doc.revisions() {
        n += doc.pages_in(rev.index).expect("pages").len();
        for &num in &rev.changed {
            black_box(
                doc.object_in(rev.index, ObjRef::new(num, 0))
                    .expect("object"),
            );
        }
    }
    n
}

fn prepare_update(path: &std::path::Path) -> usize {
    let file = File::open(path).expect("open");
    let doc = Document::open(FileSource::new(file).expect("metadata")).expect("pdf");
    let mut w = IncrementalWriter::new(&doc).expect("writer");
    let sig = w
        .add_signature_dictionary(Dict::new(), 16_384)
        .expect("sig");
    w.add_signature_field(&SignatureField {
        name: "Sig1",
        page: 0,
        rect: [0.0; 4],
        appearance: None,
        value: Some(sig),
    })
    .expect("field");
    w.finish().expect("finish").bytes.len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.pdf");
    let mut out = std::io::BufWriter::new(File::create(&path).expect("create"));
    big_pdf::big_pdf(50, &mut out).expect("generate");
    drop(out);
    let size = std::fs::metadata(&path).expect("metadata").len();
    eprintln!("generated {} ({size} bytes)", path.display());
    let mut g = c.benchmark_group("pdf_50MB");
    g.sample_size(20);
    g.bench_function("open_and_walk_revisions", |b| {
        b.iter(|| black_box(walk(&path)))
    });
    g.bench_function("open_and_prepare_signature_update", |b| {
        b.iter(|| black_box(prepare_update(&path)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

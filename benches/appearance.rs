//! Drawing the visible signature block into an update: loading and parsing the system font,
//! then subsetting it, laying out the lines and the QR code, and writing the objects. The
//! service keeps the parsed font, so `with_loaded_font` is the per-signature cost.

#[path = "../tests/common/pdf.rs"]
mod test_pdf;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kyso::pades::appearance::SignatureAppearance;
use kyso::pades::fonts::FontChoice;
use kyso::pdf::{Document, IncrementalWriter};

/// A one-page A4 document with a classic xref table.
fn one_page() -> Vec<u8> {
    let bodies: [&[u8]; 3] = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89]>>",
    ];
    test_pdf::build_pdf(test_pdf::HEADER, &bodies, "")
}

fn appearance() -> SignatureAppearance {
    let mut a = SignatureAppearance::new(
        "Nguyễn Văn An",
        time::macros::datetime!(2026-11-27 08:30:00 UTC),
    );
    a.agency = Some("UBND tỉnh Đắk Lắk".into());
    a.qr_url = Some("https://xacthuc.daklak.gov.vn/v/ABCDEFGHIJKLMNOPQRSTUVWXYZ".into());
    a.ledger_key_id = Some("xacthuc.daklak.gov.vn+6d3c1a2b".into());
    a
}

fn bench(c: &mut Criterion) {
    let Ok(face) = FontChoice::default().load() else {
        eprintln!("SKIPPED: no system font (install fonts-dejavu-core)");
        return;
    };
    let pdf = one_page();
    let doc = Document::open(&pdf[..]).expect("pdf");
    let a = appearance();
    c.bench_function("appearance/with_loaded_font", |b| {
        b.iter(|| {
            let mut w = IncrementalWriter::new(&doc).expect("writer");
            let placed = a.add_with_font(&face, &doc, &mut w).expect("block");
            black_box((placed, w.finish().expect("update").bytes.len()))
        })
    });
    c.bench_function("appearance/loading_the_font", |b| {
        b.iter(|| {
            let mut w = IncrementalWriter::new(&doc).expect("writer");
            let placed = a.add_to(&doc, &mut w).expect("block");
            black_box((placed, w.finish().expect("update").bytes.len()))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Hostile and broken input: every case ends with a clear error (or a document flagged as
//! needing repair) in bounded time, never a panic.

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use common::pdf::stream;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use kyso::pdf::{Diagnostic, Document, IncrementalWriter, ObjRef, Object, PdfError};

/// Assembles a PDF with a classic xref table from object bodies numbered from 1; `trailer_extra`
/// is added to the trailer dictionary.
fn build_pdf(bodies: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    common::pdf::build_pdf(common::pdf::HEADER, bodies, trailer_extra)
}

fn minimal_with_content(content: Vec<u8>) -> Vec<u8> {
    build_pdf(
        &[
            b"<</Type /Catalog /Pages 2 0 R>>".to_vec(),
            b"<</Type /Pages /Kids [3 0 R] /Count 1>>".to_vec(),
            b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R>>".to_vec(),
            content,
        ],
        "",
    )
}

fn minimal() -> Vec<u8> {
    minimal_with_content(stream("", b"BT /F1 12 Tf (x) Tj ET"))
}

/// Bounded time is part of the contract; the budget is generous for debug builds on a busy
/// machine, and far below what unbounded work on these inputs would take.
fn assert_quick(start: Instant, what: &str) {
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{what} took {:?}",
        start.elapsed()
    );
}

/// `kyso verify` on a hostile file: it ends in bounded time with "not valid" (1) or "cannot be
/// read" (2) — never a pass, a panic (101) or a signal.
fn assert_verify_refuses(bytes: &[u8], what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.pdf");
    std::fs::write(&path, bytes).unwrap();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kyso"))
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert_quick(start, &format!("kyso verify on {what}"));
    let code = out.status.code();
    assert!(
        matches!(code, Some(1 | 2)),
        "kyso verify on {what} exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn minimal_document_opens_cleanly() {
    let bytes = minimal();
    let doc = Document::open(&bytes[..]).unwrap();
    assert!(!doc.needs_repair(), "{:?}", doc.diagnostics());
    let page = doc.pages().unwrap()[0];
    let content = doc.dict_in(0, &Object::Ref(page), "page").unwrap();
    let Object::Stream(s) = doc.resolve(content.get("Contents").unwrap()).unwrap() else {
        panic!("contents is not a stream");
    };
    assert_eq!(doc.stream_data(&s).unwrap(), b"BT /F1 12 Tf (x) Tj ET");
}

#[test]
fn encrypted_documents_are_refused() {
    if !common::have_tool("qpdf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("in.pdf"), dir.path().join("enc.pdf"));
    std::fs::write(&src, minimal()).unwrap();
    let status = Command::new("qpdf")
        .args(["--encrypt", "u", "o", "256", "--"])
        .arg(&src)
        .arg(&dst)
        .status()
        .unwrap();
    assert!(status.success());
    let enc = std::fs::read(&dst).unwrap();
    match Document::open(&enc[..]) {
        Err(e @ PdfError::Encrypted) => assert!(e.to_string().contains("not supported")),
        other => panic!("expected Encrypted, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn garbage_is_not_a_pdf() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in [0usize, 1, 5, 100, 4096, 100_000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        assert!(
            matches!(Document::open(&bytes[..]), Err(PdfError::NotPdf(_))),
            "len {len}"
        );
        let mut with_header = b"%PDF-1.7\n".to_vec();
        with_header.extend_from_slice(&bytes);
        assert!(
            Document::open(&with_header[..]).is_err(),
            "len {len} with header"
        );
    }
}

#[test]
fn every_truncation_fails_cleanly() {
    let bytes = minimal();
    for cut in 0..bytes.len() - 1 {
        let res = Document::open(&bytes[..cut]);
        assert!(res.is_err(), "truncated at {cut} of {} opened", bytes.len());
    }
    // Only the final end of line may go: the revision then ends right after %%EOF.
    let doc = Document::open(&bytes[..bytes.len() - 1]).unwrap();
    assert_eq!(doc.revisions()[0].end, bytes.len() as u64 - 1);
}

#[test]
fn million_objects_are_refused_quickly() {
    let start = Instant::now();
    let n = 1_000_000usize;
    let mut out = Vec::with_capacity(n * 50);
    out.extend_from_slice(b"%PDF-1.7\n");
    let mut offsets = Vec::with_capacity(n);
    for i in 1..=n {
        offsets.push(out.len());
        if i == 1 {
            out.extend_from_slice(b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n");
        } else {
            let _ = writeln!(out, "{i} 0 obj null endobj");
        }
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f\r\n", n + 1);
    for off in offsets {
        let _ = write!(out, "{off:010} 00000 n\r\n");
    }
    let _ = write!(
        out,
        "trailer\n<</Size {} /Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
        n + 1
    );
    let built = Instant::now();
    match Document::open(&out[..]) {
        Err(PdfError::LimitExceeded { .. }) => {}
        other => panic!("expected LimitExceeded, got {:?}", other.map(|_| ())),
    }
    assert_quick(built, "refusing a million objects");
    assert_verify_refuses(&out, "a million objects");
    let _ = start;
}

#[test]
fn million_objects_in_an_xref_stream_are_refused() {
    let mut out = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n".to_vec();
    let xref = out.len();
    let data = zlib(&vec![0u8; 7 * 1_000_001]);
    let _ = write!(out, "2 0 obj <</Type /XRef /Size 1000001 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length {}>>\nstream\n", data.len());
    out.extend_from_slice(&data);
    let _ = write!(out, "\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n");
    let start = Instant::now();
    assert!(matches!(
        Document::open(&out[..]),
        Err(PdfError::LimitExceeded { .. })
    ));
    assert_quick(start, "refusing a million-entry xref stream");
    assert_verify_refuses(&out, "a million-entry xref stream");
}

#[test]
fn deeply_nested_arrays_are_refused() {
    let deep = [vec![b'['; 100_000], vec![b']'; 100_000]].concat();
    // In an object: the document opens (objects are lazy), fetching it fails.
    let bytes = build_pdf(
        &[
            b"<</Type /Catalog /Pages 2 0 R /Deep 3 0 R>>".to_vec(),
            b"<</Type /Pages /Kids [] /Count 0>>".to_vec(),
            deep.clone(),
        ],
        "",
    );
    let doc = Document::open(&bytes[..]).unwrap();
    assert!(matches!(
        doc.object(ObjRef::new(3, 0)),
        Err(PdfError::LimitExceeded { .. })
    ));
    assert_verify_refuses(&bytes, "deeply nested arrays in an object");
    // In the trailer: opening fails.
    let bad_trailer = build_pdf(
        &[b"<</Type /Catalog>>".to_vec()],
        &format!(" /Deep {}", String::from_utf8_lossy(&deep)),
    );
    assert!(matches!(
        Document::open(&bad_trailer[..]),
        Err(PdfError::LimitExceeded { .. })
    ));
    assert_verify_refuses(&bad_trailer, "deeply nested arrays in the trailer");
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A zlib stream that inflates to `blocks` MiB of zeros: one sync-flushed deflate block of
/// 1 MiB repeated, then an empty final block and the Adler-32 of the whole.
fn zlib_bomb(blocks: u64) -> Vec<u8> {
    let mut c = flate2::Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(1 << 16);
    c.compress_vec(&vec![0u8; 1 << 20], &mut block, flate2::FlushCompress::Sync)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20);
    let mut out = vec![0x78, 0xda];
    for _ in 0..blocks {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&[0x03, 0x00]);
    let total = blocks << 20;
    let adler = ((total % 65_521) << 16 | 1) as u32;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

#[test]
fn bomb_helper_is_a_real_bomb() {
    // 4 MiB of zeros come back out, so the 4 GiB version below is a real 4 GiB.
    let bomb = zlib_bomb(4);
    let mut d = flate2::read::ZlibDecoder::new(&bomb[..]);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).unwrap();
    assert_eq!(out.len(), 4 << 20);
}

#[test]
fn decompression_bombs_are_cut_short() {
    let bomb = zlib_bomb(4096); // 4 GiB inflated
    assert!(bomb.len() < 8 << 20);
    let bytes = minimal_with_content(stream(" /Filter /FlateDecode", &bomb));
    let doc = Document::open(&bytes[..]).unwrap();
    let Object::Stream(s) = doc.object(ObjRef::new(4, 0)).unwrap() else {
        panic!("not a stream");
    };
    let start = Instant::now();
    assert!(matches!(
        doc.stream_data(&s),
        Err(PdfError::LimitExceeded { .. })
    ));
    assert_quick(start, "the bomb");
    assert_verify_refuses(&bytes, "a decompression bomb in a content stream");

    // As a cross-reference stream, the document does not open at all.
    let mut out = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n".to_vec();
    let xref = out.len();
    let _ = write!(out, "2 0 obj <</Type /XRef /Size 3 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length {}>>\nstream\n", bomb.len());
    out.extend_from_slice(&bomb);
    let _ = write!(out, "\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n");
    let start = Instant::now();
    assert!(matches!(
        Document::open(&out[..]),
        Err(PdfError::LimitExceeded { .. })
    ));
    assert_quick(start, "the xref-stream bomb");
    assert_verify_refuses(&out, "a decompression bomb as the xref stream");
}

#[test]
fn shifted_offsets_need_repair() {
    let text = String::from_utf8(minimal()).unwrap();
    // Object 1 starts at byte 9; an entry one byte off points into its header.
    assert!(text.contains("0000000009 00000 n"));
    let shifted = text.replace("0000000009 00000 n", "0000000010 00000 n");
    let doc = Document::open(shifted.as_bytes()).unwrap();
    assert!(doc.needs_repair());
    assert!(doc.diagnostics().iter().any(|d| matches!(
        d,
        Diagnostic::XrefEntryMismatch {
            num: 1,
            offset: 10,
            ..
        }
    )));
    assert!(doc.object(ObjRef::new(1, 0)).is_err());
    // Shifting the whole file by one space makes every offset point at the white space before
    // its target: readable only by skipping it, so the document needs repair.
    let mut moved = text.into_bytes();
    moved.insert(9, b' ');
    let doc = Document::open(&moved[..]).unwrap();
    assert!(doc.needs_repair());
    let imprecise = doc
        .diagnostics()
        .iter()
        .filter(|d| matches!(d, Diagnostic::ImpreciseOffset { .. }))
        .count();
    assert_eq!(
        imprecise,
        5,
        "the xref section and four objects: {:?}",
        doc.diagnostics()
    );
}

#[test]
fn wrong_size_needs_repair() {
    let bytes = String::from_utf8(minimal())
        .unwrap()
        .replace("/Size 5", "/Size 3");
    let doc = Document::open(bytes.as_bytes()).unwrap();
    assert!(doc.needs_repair());
    assert!(doc
        .diagnostics()
        .iter()
        .any(|d| matches!(d, Diagnostic::WrongSize { .. })));
    // Nothing is appended to a document that needs repair: its signature could never verify.
    assert!(IncrementalWriter::new(&doc).is_err());
}

#[test]
fn prev_loops_are_detected() {
    let good = minimal();
    let text = String::from_utf8(good).unwrap();
    let xref = text.rfind("xref\n0").unwrap();
    let looping = text.replace("/Root 1 0 R>>", &format!("/Root 1 0 R /Prev {xref}>>"));
    assert!(matches!(
        Document::open(looping.as_bytes()),
        Err(PdfError::XrefLoop(_))
    ));
}

#[test]
fn missing_eof_and_bad_startxref_fail() {
    let text = String::from_utf8(minimal()).unwrap();
    let no_eof = text.replace("%%EOF", "");
    assert!(matches!(
        Document::open(no_eof.as_bytes()),
        Err(PdfError::MissingStartxref)
    ));
    let xref = text.rfind("xref\n0").unwrap();
    let wrong = text.replace(
        &format!("startxref\n{xref}"),
        &format!("startxref\n{}", xref + 3),
    );
    assert!(matches!(
        Document::open(wrong.as_bytes()),
        Err(PdfError::BadXref { .. })
    ));
}

#[test]
fn stream_lengths_are_checked() {
    // An indirect /Length is followed.
    let data = b"0 0 m 10 10 l S";
    let indirect = [
        b"<</Length 5 0 R>>\nstream\n".as_slice(),
        data,
        b"\nendstream",
    ]
    .concat();
    let mut bodies = vec![
        b"<</Type /Catalog /Pages 2 0 R>>".to_vec(),
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>".to_vec(),
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R>>".to_vec(),
        indirect,
        data.len().to_string().into_bytes(),
    ];
    let bytes = build_pdf(&bodies, "");
    let doc = Document::open(&bytes[..]).unwrap();
    let Object::Stream(s) = doc.object(ObjRef::new(4, 0)).unwrap() else {
        panic!("not a stream");
    };
    assert_eq!(doc.stream_data(&s).unwrap(), data);
    // A /Length that does not reach endstream is an error, not a guess.
    bodies[4] = b"7".to_vec();
    let bytes = build_pdf(&bodies, "");
    let doc = Document::open(&bytes[..]).unwrap();
    assert!(matches!(
        doc.object(ObjRef::new(4, 0)),
        Err(PdfError::BadStreamLength { .. })
    ));
    // A /Length that refers to itself loops.
    bodies[4] = b"[5 0 R]".to_vec();
    bodies[3] = [
        b"<</Length 4 0 R>>\nstream\n".as_slice(),
        data,
        b"\nendstream",
    ]
    .concat();
    let bytes = build_pdf(&bodies, "");
    let doc = Document::open(&bytes[..]).unwrap();
    assert!(doc.object(ObjRef::new(4, 0)).is_err());
}

#[test]
fn unsupported_filters_are_reported() {
    let bytes = minimal_with_content(stream(
        " /Filter /LZWDecode",
        b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01",
    ));
    let doc = Document::open(&bytes[..]).unwrap();
    let Object::Stream(s) = doc.object(ObjRef::new(4, 0)).unwrap() else {
        panic!("not a stream");
    };
    assert!(matches!(doc.stream_data(&s), Err(PdfError::UnsupportedFilter(f)) if f == "LZWDecode"));
}

#[test]
fn page_tree_loops_are_detected() {
    let bytes = build_pdf(
        &[
            b"<</Type /Catalog /Pages 2 0 R>>".to_vec(),
            b"<</Type /Pages /Kids [2 0 R] /Count 1>>".to_vec(),
        ],
        "",
    );
    let doc = Document::open(&bytes[..]).unwrap();
    assert!(matches!(doc.pages(), Err(PdfError::Structure(_))));
}

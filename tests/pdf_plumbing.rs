//! The PDF layer against real files: hand-written, rewritten by qpdf (object streams,
//! linearization), and the LibreOffice sample; each gets an incremental update with a signature
//! field and placeholders, checked with qpdf, pdfsig and the reader itself.

mod common;

use common::pdf;

use std::path::Path;
use std::process::Command;

use kyso::pdf::{
    check_byte_range, Dict, Document, IncrementalUpdate, IncrementalWriter, ObjRef, Object,
    PdfString, SignatureField, XrefKind,
};

/// Assembles a PDF with a classic xref table and a file identifier from object bodies numbered
/// from 1.
fn build_pdf(bodies: &[&[u8]]) -> Vec<u8> {
    pdf::build_pdf(pdf::HEADER_BINARY, bodies, pdf::TRAILER_ID)
}

/// A one-page document with a line of text.
fn minimal_pdf() -> Vec<u8> {
    let content: &[u8] = b"BT /F1 24 Tf 72 720 Td (Quyet dinh so 123) Tj ET";
    let stream = pdf::stream("", content);
    build_pdf(&[
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources <</Font <</F1 5 0 R>>>>>>",
        &stream,
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
    ])
}

fn qpdf_variant(dir: &Path, input: &[u8], args: &[&str], name: &str) -> Vec<u8> {
    let src = dir.join(format!("{name}-in.pdf"));
    let dst = dir.join(format!("{name}.pdf"));
    std::fs::write(&src, input).unwrap();
    let status = Command::new("qpdf")
        .args(args)
        .arg(&src)
        .arg(&dst)
        .status()
        .unwrap();
    assert!(status.success(), "qpdf {args:?} failed");
    std::fs::read(&dst).unwrap()
}

fn qpdf_check(path: &Path) -> (bool, String) {
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code() == Some(0), text)
}

fn sig_entries() -> Dict {
    let mut d = Dict::new();
    d.set("Type", Object::name("Sig"));
    d.set("Filter", Object::name("Adobe.PPKLite"));
    d.set("SubFilter", Object::name("ETSI.CAdES.detached"));
    d.set("M", PdfString::literal(b"D:20261127090000+07'00'".to_vec()));
    d.set("Reason", PdfString::text("Phê duyệt quyết định"));
    d
}

/// Adds a signature field (visible with an appearance stream when `visible`) and returns the
/// update and the references of the signature dictionary and widget.
fn add_signature(bytes: &[u8], name: &str, visible: bool) -> (IncrementalUpdate, ObjRef, ObjRef) {
    let doc = Document::open(bytes).unwrap();
    let mut w = IncrementalWriter::new(&doc).unwrap();
    let sig = w.add_signature_dictionary(sig_entries(), 8192).unwrap();
    let (rect, appearance) = if visible {
        let mut ap = Dict::new();
        ap.set("Type", Object::name("XObject"));
        ap.set("Subtype", Object::name("Form"));
        ap.set(
            "BBox",
            vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Integer(200),
                Object::Integer(60),
            ],
        );
        ap.set("Resources", Dict::new());
        let content = b"0 0 1 RG 2 w 1 1 198 58 re S".to_vec();
        ([350.0, 50.0, 550.0, 110.0], Some(w.add_stream(ap, content)))
    } else {
        ([0.0; 4], None)
    };
    let field = SignatureField {
        name,
        page: 0,
        rect,
        appearance,
        value: Some(sig),
    };
    let widget = w.add_signature_field(&field).unwrap();
    (w.finish().unwrap(), sig, widget)
}

/// Runs the whole round trip on one input and returns the signed-once bytes.
fn round_trip(dir: &Path, name: &str, original: &[u8], expect_kind: XrefKind) {
    let doc = Document::open(original).unwrap_or_else(|e| panic!("{name}: open failed: {e}"));
    assert!(
        !doc.needs_repair(),
        "{name}: diagnostics {:?}",
        doc.diagnostics()
    );
    assert_eq!(
        doc.revisions().last().map(|r| r.kind),
        Some(expect_kind),
        "{name}: xref kind"
    );
    let last = doc.revisions().last().unwrap();
    assert_eq!(
        last.end,
        original.len() as u64,
        "{name}: last revision ends at end of file"
    );
    let (root, catalog) = doc.catalog().unwrap();
    assert_eq!(catalog.get_name("Type"), Some(&b"Catalog"[..]), "{name}");
    let pages = doc.pages().unwrap();
    assert!(!pages.is_empty(), "{name}: no pages");
    let first = doc.object(pages[0]).unwrap();
    assert_eq!(
        first.as_dict().and_then(|d| d.get_name("Type")),
        Some(&b"Page"[..]),
        "{name}"
    );
    let revisions_before = doc.revisions().len();

    let (mut update, sig, widget) = add_signature(
        original,
        "Signature1",
        name == "sample" || name == "classic",
    );
    let bytes = [original, &update.bytes].concat();
    assert!(
        bytes.starts_with(original),
        "{name}: original bytes are a prefix"
    );
    let ph = update.signature.unwrap();
    assert_eq!(
        ph.byte_range,
        [
            0,
            ph.contents_start,
            ph.contents_end,
            bytes.len() as u64 - ph.contents_end
        ]
    );
    assert_eq!(bytes[ph.contents_start as usize], b'<');
    assert_eq!(bytes[ph.contents_end as usize - 1], b'>');
    assert_eq!(ph.capacity(), 8192);

    // The signed parts of the update are what the byte range covers after the original.
    let (p1, p2) = update.signed_parts().unwrap();
    let covered = [
        &bytes[..ph.byte_range[1] as usize],
        &bytes[ph.byte_range[2] as usize..],
    ]
    .concat();
    assert_eq!(
        covered,
        [original, &update.bytes[p1], &update.bytes[p2]].concat()
    );

    // A fake signature goes in place without changing the length or the byte range.
    update.embed_signature(&[0xab; 100]).unwrap();
    update.embed_signature(&[0x30, 0x82, 0x01, 0x00]).unwrap();
    let start = (ph.contents_start - update.base_len) as usize;
    let hex = &update.bytes[start + 1..start + 1 + 2 * 8192];
    assert!(
        hex.starts_with(b"30820100") && hex[8..].iter().all(|&b| b == b'0'),
        "{name}: placeholder not cleared"
    );
    let bytes_signed = [original, &update.bytes].concat();
    assert_eq!(bytes_signed.len(), bytes.len());
    assert!(
        update.embed_signature(&vec![1u8; 8193]).is_err(),
        "{name}: oversize signature refused"
    );

    let out = dir.join(format!("{name}-updated.pdf"));
    std::fs::write(&out, &bytes).unwrap();
    let (ok, text) = qpdf_check(&out);
    assert!(ok, "{name}: qpdf --check failed:\n{text}");

    let pdfsig = Command::new("pdfsig").arg(&out).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&pdfsig.stdout),
        String::from_utf8_lossy(&pdfsig.stderr)
    );
    assert!(
        text.contains("Signature #1"),
        "{name}: pdfsig does not list the field:\n{text}"
    );
    assert!(
        !text.contains("Syntax Error"),
        "{name}: pdfsig reports syntax errors:\n{text}"
    );

    let again = Document::open(&bytes[..]).unwrap();
    assert!(!again.needs_repair(), "{name}: {:?}", again.diagnostics());
    let revs = again.revisions();
    assert_eq!(
        revs.len(),
        revisions_before + 1,
        "{name}: one more revision"
    );
    assert_eq!(
        revs[revs.len() - 2].end,
        original.len() as u64,
        "{name}: old revision end"
    );
    assert_eq!(
        revs[revs.len() - 1].end,
        bytes.len() as u64,
        "{name}: new revision end"
    );
    assert_eq!(
        revs[revs.len() - 1].kind,
        if expect_kind == XrefKind::Stream {
            XrefKind::Stream
        } else {
            XrefKind::Table
        }
    );
    let changed = &revs[revs.len() - 1].changed;
    assert!(
        changed.contains(&sig.num) && changed.contains(&widget.num),
        "{name}: changed {changed:?}"
    );

    // The page as of each revision: no widget before, the widget after.
    let last_rev = again.last_revision();
    let annots_of = |rev: usize| -> Vec<Object> {
        let page = again.dict_in(rev, &Object::Ref(pages[0]), "page").unwrap();
        match page.get("Annots") {
            None => Vec::new(),
            Some(a) => again
                .resolve_in(rev, a)
                .unwrap()
                .as_array()
                .unwrap()
                .to_vec(),
        }
    };
    assert!(
        !annots_of(last_rev - 1).contains(&Object::Ref(widget)),
        "{name}"
    );
    assert!(annots_of(last_rev).contains(&Object::Ref(widget)), "{name}");
    let (root2, cat2) = again.catalog().unwrap();
    assert_eq!(root2, root);
    let acroform = again
        .dict_in(last_rev, cat2.get("AcroForm").unwrap(), "acroform")
        .unwrap();
    assert_eq!(acroform.get_int("SigFlags"), Some(3));

    let fields = again.signature_fields().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f.name == "Signature1" && f.value == Some(sig) && f.field == widget),
        "{name}: {fields:?}"
    );
    assert!(again
        .signature_fields_in(last_rev - 1)
        .unwrap()
        .iter()
        .all(|f| f.name != "Signature1"));

    let check = check_byte_range(&again, last_rev, sig).unwrap();
    assert!(check.is_consistent(), "{name}: {check:?}");
    assert_eq!(check.byte_range, Some(ph.byte_range));
    assert_eq!(check.covered_end, Some(bytes.len() as u64));
    assert_eq!(again.revision_ending_at(bytes.len() as u64), Some(last_rev));

    // A second signature on top: three revisions, each ending where it should.
    let (update2, sig2, _) = add_signature(&bytes, "Signature2", false);
    let bytes2 = [&bytes[..], &update2.bytes].concat();
    let out2 = dir.join(format!("{name}-twice.pdf"));
    std::fs::write(&out2, &bytes2).unwrap();
    let (ok, text) = qpdf_check(&out2);
    assert!(
        ok,
        "{name}: qpdf --check failed on the second update:\n{text}"
    );
    let third = Document::open(&bytes2[..]).unwrap();
    assert_eq!(third.revisions().len(), revisions_before + 2);
    assert_eq!(
        third.revisions()[third.last_revision() - 1].end,
        bytes.len() as u64
    );
    assert!(check_byte_range(&third, third.last_revision(), sig2)
        .unwrap()
        .is_consistent());
    // The first signature's range still checks out, and ends at its revision's end.
    let first_check = check_byte_range(&third, third.last_revision(), sig).unwrap();
    assert!(first_check.is_consistent());
    assert_eq!(
        third.revision_ending_at(first_check.covered_end.unwrap()),
        Some(third.last_revision() - 1)
    );
    let pdfsig = Command::new("pdfsig").arg(&out2).output().unwrap();
    let text = String::from_utf8_lossy(&pdfsig.stdout);
    assert!(
        text.contains("Signature #2"),
        "{name}: pdfsig after two updates:\n{text}"
    );

    // pyHanko's strict reader (the one its validator uses) accepts both updates and sees the
    // same revisions and fields; it counts the first-page section of a linearized file as a
    // revision of its own, where kyso (like ISO 32000-1 Annex F) sees one revision.
    if let Some(listing) = pyhanko_listing(&out2) {
        let expected = revisions_before + 2 + usize::from(doc.is_linearized());
        assert!(
            listing.contains(&format!("revisions {expected}\n")),
            "{name}: pyHanko says\n{listing}"
        );
        assert!(
            listing.contains("field Signature1") && listing.contains("field Signature2"),
            "{name}: pyHanko says\n{listing}"
        );
    }
}

/// Reads `path` with pyHanko in strict mode and lists its revision count and signature fields;
/// `None` (after the notice of `common::missing`) when pyHanko is not installed.
fn pyhanko_listing(path: &Path) -> Option<String> {
    const SCRIPT: &str = r#"
import sys
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
with open(sys.argv[1], 'rb') as f:
    r = PdfFileReader(f, strict=True)
    print('revisions', r.xrefs.total_revisions)
    for name, value, ref in enumerate_sig_fields(r):
        print('field', name)
"#;
    let probe = Command::new("python3")
        .args(["-c", "import pyhanko"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        common::missing("pyHanko (python3 -c 'import pyhanko')");
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "pyHanko could not read {}:\n{text}",
        path.display()
    );
    Some(text)
}

fn tools() -> bool {
    common::have_tool("qpdf") && common::have_tool("pdfsig")
}

#[test]
fn classic_table() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    round_trip(dir.path(), "classic", &minimal_pdf(), XrefKind::Table);
}

#[test]
fn object_streams() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = qpdf_variant(
        dir.path(),
        &minimal_pdf(),
        &["--object-streams=generate"],
        "objstm",
    );
    let doc = Document::open(&v[..]).unwrap();
    let packed = doc.sections()[0]
        .entries()
        .iter()
        .filter(|(_, e)| matches!(e, kyso::pdf::XrefEntry::InStream { .. }))
        .count();
    assert!(packed > 0, "qpdf packed no object into an object stream");
    round_trip(dir.path(), "objstm", &v, XrefKind::Stream);
}

#[test]
fn linearized() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = qpdf_variant(dir.path(), &minimal_pdf(), &["--linearize"], "linearized");
    let doc = Document::open(&v[..]).unwrap();
    assert!(doc.is_linearized());
    assert_eq!(
        doc.revisions().len(),
        1,
        "a linearized file is one revision"
    );
    assert_eq!(doc.revisions()[0].section_count, 2);
    round_trip(dir.path(), "linearized", &v, XrefKind::Table);
}

#[test]
fn linearized_with_object_streams() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = qpdf_variant(
        dir.path(),
        &minimal_pdf(),
        &["--linearize", "--object-streams=generate"],
        "lin-objstm",
    );
    let doc = Document::open(&v[..]).unwrap();
    assert!(doc.is_linearized());
    assert_eq!(doc.revisions().len(), 1);
    round_trip(dir.path(), "lin-objstm", &v, XrefKind::Stream);
}

#[test]
fn libreoffice_sample() {
    if !tools() {
        return;
    }
    let Some(samples) = common::samples_dir() else {
        return;
    };
    let original = std::fs::read(samples.join("quyet-dinh-123-QD-UBND.pdf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kind = Document::open(&original[..])
        .unwrap()
        .revisions()
        .last()
        .unwrap()
        .kind;
    round_trip(dir.path(), "sample", &original, kind);
    assert_eq!(
        Document::open(&original[..])
            .unwrap()
            .pages()
            .unwrap()
            .len(),
        2
    );
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A hybrid-reference file (ISO 32000-1 §7.5.8.4): the minimal document, then an update whose
/// classic table has `/XRefStm` pointing at a PNG-predicted cross-reference stream that places
/// object 6 in an object stream.
fn hybrid_pdf() -> Vec<u8> {
    let mut out = minimal_pdf();
    let prev = out.windows(6).rposition(|w| w == b"xref\n0").unwrap();
    let objstm_body = b"6 0 <</Note (packed in an object stream)>>";
    let first = 4; // "6 0 " precedes the object
    let packed = zlib(objstm_body);
    let off7 = out.len();
    out.extend_from_slice(format!("7 0 obj\n<</Type /ObjStm /N 1 /First {first} /Filter /FlateDecode /Length {}>>\nstream\n", packed.len()).as_bytes());
    out.extend_from_slice(&packed);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let off1 = out.len();
    out.extend_from_slice(b"1 0 obj\n<</Type /Catalog /Pages 2 0 R /Extra 6 0 R>>\nendobj\n");
    // The xref stream: W [1 2 1], one row for object 6 (type 2, stream 7, index 0), PNG Up.
    let rows: [[u8; 4]; 1] = [[2, 0, 7, 0]];
    let mut predicted = Vec::new();
    let mut prev_row = [0u8; 4];
    for row in rows {
        predicted.push(2u8);
        for (i, b) in row.iter().enumerate() {
            predicted.push(b.wrapping_sub(prev_row[i]));
        }
        prev_row = row;
    }
    let xdata = zlib(&predicted);
    let off8 = out.len();
    out.extend_from_slice(
        format!(
            "8 0 obj\n<</Type /XRef /Size 9 /Index [6 1] /W [1 2 1] /Filter /FlateDecode /DecodeParms <</Predictor 12 /Columns 4>> /Length {}>>\nstream\n",
            xdata.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&xdata);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n0 2\n0000000000 65535 f\r\n{off1:010} 00000 n\r\n6 3\n0000000000 00001 f\r\n{off7:010} 00000 n\r\n{off8:010} 00000 n\r\ntrailer\n<</Size 9 /Root 1 0 R /Prev {prev} /XRefStm {off8} /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]>>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

#[test]
fn hybrid_reference_file() {
    if !tools() {
        return;
    }
    let bytes = hybrid_pdf();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hybrid.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let (ok, text) = qpdf_check(&path);
    assert!(ok, "the hand-made hybrid file itself is wrong:\n{text}");
    let doc = Document::open(&bytes[..]).unwrap();
    assert!(!doc.needs_repair(), "{:?}", doc.diagnostics());
    assert_eq!(doc.revisions().len(), 2);
    assert_eq!(doc.revisions()[1].kind, XrefKind::Hybrid);
    let (_, catalog) = doc.catalog().unwrap();
    let extra = doc
        .dict_in(1, catalog.get("Extra").unwrap(), "extra")
        .unwrap();
    assert_eq!(
        extra
            .get("Note")
            .and_then(Object::as_string)
            .map(|s| s.bytes.clone()),
        Some(b"packed in an object stream".to_vec())
    );
    // As of the original revision, object 6 does not exist.
    assert_eq!(doc.object_in(0, ObjRef::new(6, 0)).unwrap(), Object::Null);
    assert!(matches!(
        doc.locate(1, 6),
        Some((
            0,
            kyso::pdf::XrefEntry::InStream {
                stream: 7,
                index: 0
            }
        ))
    ));
    round_trip(dir.path(), "hybrid", &bytes, XrefKind::Hybrid);
}

#[test]
fn indirect_annots_and_fields_are_extended_in_place() {
    let content: &[u8] = b"BT /F1 24 Tf 72 720 Td (x) Tj ET";
    let stream = pdf::stream("", content);
    let original = build_pdf(&[
        b"<</Type /Catalog /Pages 2 0 R /AcroForm 6 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots 8 0 R /Resources <</Font <</F1 5 0 R>>>>>>",
        &stream,
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
        b"<</Fields 7 0 R /SigFlags 3>>",
        b"[]",
        b"[]",
    ]);
    let (update, sig, widget) = add_signature(&original, "Signature1", false);
    let bytes = [&original[..], &update.bytes].concat();
    let doc = Document::open(&bytes[..]).unwrap();
    let changed = &doc.revisions()[1].changed;
    // Only the two arrays change (plus the new objects); the page, catalog and AcroForm don't.
    assert_eq!(changed, &vec![7, 8, sig.num, widget.num], "changed objects");
    assert_eq!(
        doc.object(ObjRef::new(7, 0)).unwrap(),
        Object::Array(vec![Object::Ref(widget)])
    );
    assert_eq!(
        doc.object(ObjRef::new(8, 0)).unwrap(),
        Object::Array(vec![Object::Ref(widget)])
    );
    assert_eq!(
        doc.object_in(0, ObjRef::new(8, 0)).unwrap(),
        Object::Array(vec![])
    );

    // A second field with the same name is refused.
    let mut w = IncrementalWriter::new(&doc).unwrap();
    let field = SignatureField {
        name: "Signature1",
        page: 0,
        rect: [0.0; 4],
        appearance: None,
        value: None,
    };
    assert!(w.add_signature_field(&field).is_err());
    let field = SignatureField {
        name: "Signature1",
        page: 3,
        rect: [0.0; 4],
        appearance: None,
        value: None,
    };
    assert!(w.add_signature_field(&field).is_err(), "page out of range");

    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("indirect.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let (ok, text) = qpdf_check(&path);
    assert!(ok, "{text}");
}

#[test]
fn revision_ends_follow_the_eof_line_ending() {
    let base = minimal_pdf();
    let stem = &base[..base.len() - 1]; // without the final "\n"
    for ending in [&b""[..], b"\n", b"\r\n", b"\r"] {
        let original = [stem, ending].concat();
        let doc = Document::open(&original[..]).unwrap();
        assert!(
            doc.diagnostics().is_empty(),
            "{ending:?}: {:?}",
            doc.diagnostics()
        );
        assert_eq!(doc.revisions()[0].end, original.len() as u64, "{ending:?}");

        let (update, _, _) = add_signature(&original, "Signature1", false);
        let bytes = [&original[..], &update.bytes].concat();
        let again = Document::open(&bytes[..]).unwrap();
        // Without a final end of line, the update supplies one: the old revision's length is
        // then where its marker ends.
        assert_eq!(
            again.revisions()[0].marker_end,
            stem.len() as u64,
            "{ending:?}"
        );
        let expected_end = if ending.is_empty() {
            stem.len() + 1
        } else {
            original.len()
        };
        assert_eq!(again.revisions()[0].end, expected_end as u64, "{ending:?}");
        assert_eq!(
            again.revision_ending_at(original.len() as u64),
            Some(0),
            "{ending:?}"
        );
        assert_eq!(again.revisions()[1].end, bytes.len() as u64, "{ending:?}");
        assert!(
            !again.needs_repair(),
            "{ending:?}: {:?}",
            again.diagnostics()
        );
    }
    // Bytes after the last %%EOF line belong to no revision and are reported, not repaired.
    let trailing = [&base[..], b"junk"].concat();
    let doc = Document::open(&trailing[..]).unwrap();
    assert_eq!(doc.revisions()[0].end, base.len() as u64);
    assert!(matches!(
        doc.diagnostics(),
        [kyso::pdf::Diagnostic::TrailingBytes { count: 4, .. }]
    ));
}

#[test]
fn nested_signature_fields_get_qualified_names() {
    let original = build_pdf(&[
        b"<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields [4 0 R 6 0 R]>>>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>>",
        // A parent field carrying /FT for its kid, which is the signature field.
        b"<</T (Approvals) /FT /Sig /Kids [5 0 R]>>",
        b"<</T <FEFF0043006800ED006E0068>  /Parent 4 0 R /V 7 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0]>>",
        b"<</T (Text) /FT /Tx>>",
        b"<</Type /Sig /ByteRange [0 1 2 3] /Contents <00>>>",
    ]);
    let doc = Document::open(&original[..]).unwrap();
    let fields = doc.signature_fields().unwrap();
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0].name, "Approvals.Chính");
    assert_eq!(fields[0].field, ObjRef::new(5, 0));
    assert_eq!(fields[0].value, Some(ObjRef::new(7, 0)));
}

/// Signs `input` with pyHanko (a field named `field`, visible when `visible`), returning the
/// signed bytes.
fn pyhanko_sign(dir: &Path, input: &[u8], field: &str, visible: bool) -> Vec<u8> {
    let (key, cert) = (dir.join("k.pem"), dir.join("c.pem"));
    if !key.exists() {
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=Người ký thử",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let (src, dst) = (
        dir.join(format!("{field}-in.pdf")),
        dir.join(format!("{field}-out.pdf")),
    );
    std::fs::write(&src, input).unwrap();
    let spec = if visible {
        format!("1/50,50,250,120/{field}")
    } else {
        field.to_string()
    };
    let out = Command::new("pyhanko")
        .args(["sign", "addsig", "--field", &spec, "pemder", "--key"])
        .arg(&key)
        .arg("--cert")
        .arg(&cert)
        .arg("--no-pass")
        .arg(&src)
        .arg(&dst)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyhanko: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&dst).unwrap()
}

/// Documents signed by pyHanko: each signature's byte range is consistent and ends exactly at
/// the end of the revision that added it; kyso's own update on top still reads everywhere.
#[test]
fn pyhanko_signed_documents() {
    if !tools() || !common::have_tool("openssl") || !common::have_tool("pyhanko") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let classic = minimal_pdf();
    let objstm = qpdf_variant(
        dir.path(),
        &classic,
        &["--object-streams=generate"],
        "objstm",
    );
    for (name, original) in [("classic", classic), ("objstm", objstm)] {
        let once = pyhanko_sign(dir.path(), &original, "Sig1", true);
        let twice = pyhanko_sign(dir.path(), &once, "Sig2", false);
        assert!(
            twice.starts_with(&once) && once.starts_with(&original),
            "{name}: pyHanko updates incrementally"
        );
        let doc = Document::open(&twice[..]).unwrap();
        assert!(!doc.needs_repair(), "{name}: {:?}", doc.diagnostics());
        assert_eq!(doc.revisions().len(), 3, "{name}");
        let fields = doc.signature_fields().unwrap();
        assert_eq!(
            fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["Sig1", "Sig2"],
            "{name}"
        );
        for (i, f) in fields.iter().enumerate() {
            let sig = f.value.unwrap();
            let check = check_byte_range(&doc, doc.last_revision(), sig).unwrap();
            assert!(check.is_consistent(), "{name} {}: {check:?}", f.name);
            let covered = doc.revision_ending_at(check.covered_end.unwrap());
            assert_eq!(
                covered,
                Some(i + 1),
                "{name} {}: ends at the end of its own revision",
                f.name
            );
            assert!(doc.revisions()[i + 1].changed.contains(&sig.num), "{name}");
            let contents = doc.object(sig).unwrap();
            let cms = contents
                .as_dict()
                .and_then(|d| d.get("Contents"))
                .and_then(Object::as_string)
                .unwrap();
            assert_eq!(
                cms.bytes.first(),
                Some(&0x30),
                "{name}: /Contents holds a DER SEQUENCE"
            );
        }
        let kind = doc.revisions().last().unwrap().kind;
        round_trip(dir.path(), &format!("pyhanko-{name}"), &twice, kind);
    }
}

//! Hand-assembled PDF files for the tests and benches: object bodies numbered from 1, a classic
//! cross-reference table and a trailer whose /Root is object 1. Kept free of the rest of
//! `common` so a bench can include this file on its own.
#![allow(dead_code)]

/// The bare header line.
pub const HEADER: &[u8] = b"%PDF-1.7\n";

/// The header followed by the comment of four bytes above 127 that marks the file as binary
/// (ISO 32000-1 §7.5.2), as written by most producers.
pub const HEADER_BINARY: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

/// A trailer entry giving the file a fixed identifier (ISO 32000-1 §14.4).
pub const TRAILER_ID: &str =
    " /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]";

/// Assembles `header`, the objects `1 0 obj` … from `bodies`, a classic xref table and a
/// trailer with /Size and /Root 1 0 R followed by `trailer_extra` (raw dictionary entries).
pub fn build_pdf<B: AsRef<[u8]>>(header: &[u8], bodies: &[B], trailer_extra: &str) -> Vec<u8> {
    let mut out = header.to_vec();
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body.as_ref());
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", bodies.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {} /Root 1 0 R{trailer_extra}>>\nstartxref\n{xref}\n%%EOF\n",
            bodies.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object body with a direct /Length; `dict_extra` is added to its dictionary.
pub fn stream(dict_extra: &str, data: &[u8]) -> Vec<u8> {
    [
        format!("<</Length {}{dict_extra}>>\nstream\n", data.len()).as_bytes(),
        data,
        b"\nendstream",
    ]
    .concat()
}

/// The smallest useful document: a catalog, a page tree and one empty A4 page.
pub fn one_page() -> Vec<u8> {
    build_pdf(
        HEADER_BINARY,
        &[
            "<</Type /Catalog /Pages 2 0 R>>",
            "<</Type /Pages /Kids [3 0 R] /Count 1>>",
            "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>",
        ],
        "",
    )
}

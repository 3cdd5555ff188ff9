//! The one error type of the PDF layer.
//!
//! An error means the document (or the requested part of it) could not be read at all. Defects
//! that still let the document be read, but that a strict validator must not overlook, are
//! [`Diagnostic`](super::Diagnostic)s instead.

use thiserror::Error;

/// Why a PDF, or one of its objects, could not be read or written, or a resource to draw in
/// it (a font program, a PNG picture) could not be turned into PDF objects.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PdfError {
    /// Reading the underlying bytes failed (the source, not the PDF, is at fault).
    #[error("reading the document failed: {0}")]
    Io(#[from] std::io::Error),

    /// No `%PDF-` header in the first bytes (ISO 32000-1 §7.5.2): this is not a PDF.
    #[error("not a PDF file: {0}")]
    NotPdf(&'static str),

    /// The document is encrypted (`/Encrypt` in a trailer, ISO 32000-1 §7.6); kyso does not
    /// decrypt documents.
    #[error(
        "the document is encrypted, which is not supported / tài liệu được mã hoá, không hỗ trợ"
    )]
    Encrypted,

    /// No usable `startxref` / `%%EOF` at the end of the file (ISO 32000-1 §7.5.5). A missing
    /// end of file is never reconstructed by scanning.
    #[error("no startxref at the end of the file (truncated or not a PDF)")]
    MissingStartxref,

    /// A cross-reference section (table or stream, ISO 32000-1 §7.5.4 and §7.5.8) is malformed.
    #[error("malformed cross-reference section at byte {offset}: {reason}")]
    BadXref { offset: u64, reason: &'static str },

    /// The `/Prev` chain (§7.5.6) or `/XRefStm` pointers loop back to a section already read.
    #[error("the chain of cross-reference sections loops at byte {0}")]
    XrefLoop(u64),

    /// A syntax error in an object (§7.3).
    #[error("syntax error at byte {offset}: {reason}")]
    Syntax { offset: u64, reason: &'static str },

    /// An object's body does not start with the `N G obj` that the cross-reference promised.
    #[error("cross-reference entry for object {num} {gen} points at byte {offset}, where that object is not")]
    ObjectNotAtOffset { num: u32, gen: u16, offset: u64 },

    /// A stream's `/Length` (§7.3.8.2) does not lead to `endstream`.
    #[error("stream at byte {offset} has a /Length that does not end at endstream")]
    BadStreamLength { offset: u64 },

    /// A stream uses a filter (§7.4) that this reader does not decode.
    #[error("unsupported stream filter /{0}")]
    UnsupportedFilter(String),

    /// Compressed data is corrupt.
    #[error("corrupt compressed data: {0}")]
    Decompress(String),

    /// A bound of [`limits`](super::limits) was reached; the document is refused rather than
    /// processed without bound.
    #[error("limit exceeded: {what} (at most {limit})")]
    LimitExceeded { what: &'static str, limit: u64 },

    /// A reference chain (`1 0 R` whose target is `2 0 R` …) loops or is too long.
    #[error("reference chain through object {0} loops or is too long")]
    ReferenceLoop(u32),

    /// The document structure is not what the operation needs (no catalog, no such page…).
    #[error("unexpected document structure: {0}")]
    Structure(String),

    /// The bytes given as a font for a visible signature are not an OpenType/TrueType font
    /// that can be read.
    #[error("the font cannot be read: {0}")]
    BadFont(String),

    /// The font has no TrueType (`glyf`) outlines; `/FontFile2` (§9.9) carries only TrueType
    /// programs.
    #[error("the font {0} has no TrueType outlines (glyf table); choose a .ttf font")]
    NotTrueType(String),

    /// The font's OS/2 `fsType` forbids embedding or subsetting it.
    #[error("the licence of font {0} does not allow embedding a subset of it in a PDF")]
    EmbeddingForbidden(String),

    /// A character of the text has no glyph in the font. Drawing the `.notdef` box instead
    /// would silently print a wrong name on a legal document.
    #[error("the font {font} has no glyph for {ch:?} (U+{code:04X}) / phông chữ {font} không có ký tự {ch:?}", code = u32::from(*ch))]
    MissingGlyph { ch: char, font: String },

    /// The subsetter failed on this font.
    #[error("subsetting the font {font} failed: {reason}")]
    Subset { font: String, reason: String },

    /// The picture given for a visible signature is not a PNG that can be decoded.
    #[error("the image is not a readable PNG: {0}")]
    BadImage(String),

    /// A misuse of the writer API (e.g. two signature dictionaries in one update).
    #[error("invalid incremental update: {0}")]
    Writer(&'static str),
}

/// Result alias of the PDF layer.
pub type Result<T> = std::result::Result<T, PdfError>;

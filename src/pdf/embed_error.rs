//! The error of the embedding helpers ([`font`](super::font), [`image`](super::image)): a
//! resource given to be drawn in a visible signature could not be turned into PDF objects.
//!
//! Kept apart from [`PdfError`](super::PdfError), which is about reading and updating
//! documents, because these inputs are not PDFs: a font program and a PNG picture.

use thiserror::Error;

/// Why a font or an image could not be embedded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The bytes are not an OpenType/TrueType font that can be read.
    #[error("the font cannot be read: {0}")]
    BadFont(String),

    /// The font has no TrueType (`glyf`) outlines; `/FontFile2` (ISO 32000-1 §9.9) carries
    /// only TrueType programs.
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

    /// The image is not a PNG that can be decoded.
    #[error("the image is not a readable PNG: {0}")]
    BadImage(String),

    /// A bound of the embedding helpers was reached.
    #[error("limit exceeded: {what} (at most {limit})")]
    LimitExceeded { what: &'static str, limit: u64 },
}

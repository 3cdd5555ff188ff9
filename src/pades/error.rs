//! The one error type of `pades`: the input could not be evaluated or signed at all. A
//! signature that does not verify is a report value, never this error.

use crate::cms::CmsError;
use crate::pdf::PdfError;

/// Why a document could not be signed or read for verification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PadesError {
    /// The file is not a readable PDF (ISO 32000-1 §7.5), or is encrypted.
    #[error("PDF: {0}")]
    Pdf(#[from] PdfError),
    /// The CMS signature could not be built.
    #[error("CMS: {0}")]
    Cms(#[from] CmsError),
    /// The visible signature block cannot be drawn (no font with Vietnamese glyphs, a bad
    /// picture, a block too small).
    #[error("visible signature block: {0}")]
    Appearance(#[from] super::appearance::AppearanceError),
    /// No acceptable time-stamp token could be obtained (RFC 3161).
    #[error("time-stamp: {0}")]
    Timestamp(String),
    /// Reading the document's bytes failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A two-step signing state could not be read back (truncated, altered or not one).
    #[error("the prepared signing state is not usable: {0}")]
    PreparedState(String),
    /// The document given to complete a two-step signature is not the one prepared: its
    /// bytes hash to a different content digest.
    #[error(
        "tài liệu đã bị thay đổi sau khi chuẩn bị ký / the document differs from the one prepared \
         for signing"
    )]
    DocumentChanged,
    /// The external signature value does not verify with the signer certificate's key over
    /// the prepared signed attributes (RFC 5652 §5.6).
    #[error(
        "giá trị chữ ký không hợp lệ / the signature value does not verify with the signer \
         certificate over the prepared attributes (RFC 5652 §5.6)"
    )]
    SignatureRejected,
    /// The request cannot be honoured (e.g. certifying an already signed document,
    /// ISO 32000-1 §12.8.2.2: a certification signature must be the first one).
    #[error("{0}")]
    Refused(String),
}

//! Opening a document whose newest revision cannot be read, to judge the revisions before it.
//!
//! An incremental update appended after a signature is the attacker's part of the file. If that
//! part is malformed (a `startxref` that misses its section, say), refusing the whole file would
//! report "could not evaluate" for a document whose signed revision is intact: the verifier can
//! say more, namely that the signature holds for its revision and that what was appended cannot
//! be accounted for. [`open_salvaging`] gives the verifier the longest prefix of the file that
//! ends at an end-of-file marker and opens, and says where the unreadable bytes start. Nothing
//! is reconstructed: the prefix is read exactly as its own `startxref` says.

use std::io;

use super::document::Document;
use super::error::{PdfError, Result};
use super::source::{read_window, ByteSource};

/// Most earlier end-of-file markers tried as the end of the readable part. Each try opens the
/// prefix (reads its cross-reference chain), so the work stays bounded on a file with
/// thousands of planted markers; real documents have a few revisions.
pub const MAX_SALVAGE_ATTEMPTS: usize = 16;

/// Bytes read at a time while looking for end-of-file markers from the end.
const SCAN_WINDOW: usize = 64 * 1024;

const EOF_MARKER: &[u8] = b"%%EOF";

/// The first `len` bytes of a source.
#[derive(Debug, Clone, Copy)]
pub struct Prefix<S> {
    src: S,
    len: u64,
}

impl<S: ByteSource> ByteSource for Prefix<S> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        if end > self.len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.src.read_exact_at(offset, buf)
    }

    fn in_memory(&self, start: u64, end: u64) -> Option<&[u8]> {
        if end > self.len {
            return None;
        }
        self.src.in_memory(start, end)
    }

    fn for_each_piece<E: From<io::Error>>(
        &self,
        start: u64,
        end: u64,
        consume: impl FnMut(&[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if end > self.len && start < end {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        self.src.for_each_piece(start, end, consume)
    }
}

/// The unreadable end of a salvaged document.
#[derive(Debug)]
pub struct Damage {
    /// Length of the readable prefix: the unreadable bytes start here.
    pub readable_len: u64,
    /// Length of the whole file.
    pub total_len: u64,
    /// Why the whole file could not be opened.
    pub error: PdfError,
}

/// Whether an error of [`Document::open`] may come from a malformed appended revision, so that
/// an earlier revision is worth trying. Not when the file is not a PDF, is encrypted, could not
/// be read, or is too large: those hold for every prefix too, or retrying would multiply work
/// that a bound already refused.
fn salvageable(e: &PdfError) -> bool {
    !matches!(
        e,
        PdfError::Io(_)
            | PdfError::NotPdf(_)
            | PdfError::Encrypted
            | PdfError::LimitExceeded { .. }
    )
}

/// Ends (after the marker and its end-of-line) of the `%%EOF` markers that end before
/// `before`, newest first, at most [`MAX_SALVAGE_ATTEMPTS`].
fn earlier_ends<S: ByteSource + ?Sized>(src: &S, before: u64) -> Result<Vec<u64>> {
    let mut ends = Vec::new();
    let mut hi = before;
    let overlap = EOF_MARKER.len() as u64 - 1;
    while hi > 0 && ends.len() < MAX_SALVAGE_ATTEMPTS {
        let lo = hi.saturating_sub(SCAN_WINDOW as u64);
        // Read a little past `hi` so a marker straddling the window edge, and its end of line,
        // are seen once.
        let want = usize::try_from(hi - lo + overlap + 2).unwrap_or(SCAN_WINDOW);
        let window = read_window(src, lo, want)?;
        let mut found: Vec<u64> = window
            .windows(EOF_MARKER.len())
            .enumerate()
            .filter(|(_, w)| *w == EOF_MARKER)
            .map(|(i, _)| lo + i as u64)
            .filter(|&start| start < hi)
            .map(|start| {
                let after = usize::try_from(start - lo).unwrap_or(0) + EOF_MARKER.len();
                let eol = match (window.get(after), window.get(after + 1)) {
                    (Some(b'\r'), Some(b'\n')) => 2,
                    (Some(b'\r' | b'\n'), _) => 1,
                    _ => 0,
                };
                start + EOF_MARKER.len() as u64 + eol
            })
            .filter(|&end| end < before)
            .collect();
        found.reverse();
        ends.extend(found);
        hi = lo;
    }
    ends.truncate(MAX_SALVAGE_ATTEMPTS);
    Ok(ends)
}

/// Opens `src`; if that fails in a way an appended revision can cause, opens instead the
/// longest prefix that ends at an earlier `%%EOF` and opens, and reports the rest as
/// [`Damage`]. Fails with the whole file's error when no earlier revision opens.
pub fn open_salvaging<S: ByteSource + ?Sized>(
    src: &S,
) -> Result<(Document<Prefix<&S>>, Option<Damage>)> {
    let total_len = src.len();
    let error = match Document::open(Prefix {
        src,
        len: total_len,
    }) {
        Ok(doc) => return Ok((doc, None)),
        Err(e) if salvageable(&e) => e,
        Err(e) => return Err(e),
    };
    for end in earlier_ends(src, total_len)? {
        if let Ok(doc) = Document::open(Prefix { src, len: end }) {
            return Ok((
                doc,
                Some(Damage {
                    readable_len: end,
                    total_len,
                    error,
                }),
            ));
        }
    }
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let o1 = pdf.len();
        pdf.extend_from_slice(b"1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n");
        let o2 = pdf.len();
        pdf.extend_from_slice(b"2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n");
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!(
                "xref\n0 3\n0000000000 65535 f \n{o1:010} 00000 n \n{o2:010} 00000 n \n\
                 trailer\n<</Size 3/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        pdf
    }

    #[test]
    fn intact_file_opens_whole() {
        let pdf = minimal();
        let (doc, damage) = open_salvaging(pdf.as_slice()).unwrap();
        assert!(damage.is_none());
        assert_eq!(doc.len(), pdf.len() as u64);
    }

    #[test]
    fn broken_appended_revision_leaves_the_earlier_one() {
        let mut pdf = minimal();
        let first = pdf.len() as u64;
        let xref = pdf.len() + 1; // one byte off, like the published shadow attack file
        pdf.extend_from_slice(
            format!("xref\n0 1\n0000000000 65535 f \ntrailer\n<</Size 3/Root 1 0 R/Prev 9>>\nstartxref\n{xref}\n%%EOF\n")
                .as_bytes(),
        );
        assert!(Document::open(pdf.as_slice()).is_err());
        let (doc, damage) = open_salvaging(pdf.as_slice()).unwrap();
        let damage = damage.unwrap();
        assert_eq!(damage.readable_len, first);
        assert_eq!(damage.total_len, pdf.len() as u64);
        assert_eq!(doc.len(), first);
    }

    #[test]
    fn not_a_pdf_is_still_an_error() {
        assert!(matches!(
            open_salvaging(b"hello %%EOF\n".as_slice()),
            Err(PdfError::NotPdf(_))
        ));
    }
}

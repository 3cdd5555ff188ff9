//! Defects that leave a document readable but that a strict validator must not overlook.

use std::fmt;

/// One structural defect found while opening a document. None of them is repaired: the reader
/// keeps the document exactly as written and reports what a lenient reader would have fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// `%PDF-` does not start at byte 0 (ISO 32000-1 §7.5.2).
    HeaderNotAtStart {
        /// Where it starts.
        offset: u64,
    },
    /// Bytes follow the last `%%EOF` line; they belong to no revision.
    TrailingBytes {
        /// Where they start.
        offset: u64,
        /// How many.
        count: u64,
    },
    /// A cross-reference entry does not point at `N G obj` of its object (§7.5.4).
    XrefEntryMismatch {
        /// Object number.
        num: u32,
        /// Generation.
        gen: u16,
        /// The offset the entry gives.
        offset: u64,
    },
    /// A trailer's `/Size` is missing or not above every object number in use (§7.5.5).
    WrongSize {
        /// Revision index.
        revision: usize,
        /// The `/Size` given, if any.
        size: Option<i64>,
        /// The highest object number of the cross-reference sections up to that revision.
        highest_object: u32,
    },
    /// The `startxref` after a revision does not point at that revision's section.
    StartxrefMismatch {
        /// The section's offset.
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// No `startxref … %%EOF` follows a cross-reference section, so the revision's end is not
    /// marked.
    MissingEofMarker {
        /// Where the section ends.
        offset: u64,
    },
    /// An offset (of a cross-reference section or an object) points at white space before
    /// what it should point at exactly; readable, but only by skipping what the spec does not
    /// allow there.
    ImpreciseOffset {
        /// The offset given.
        declared: u64,
        /// What it should point at.
        what: &'static str,
    },
    /// A newer section lies before the section it continues, outside of linearization: the
    /// revisions do not follow each other in the file.
    SectionBeforePrev {
        /// Offset of the out-of-order section.
        offset: u64,
    },
}

impl Diagnostic {
    /// Whether a lenient reader would have to repair the structure to read the document as
    /// intended; such a document is never reported as validly signed.
    pub fn needs_repair(&self) -> bool {
        !matches!(self, Diagnostic::TrailingBytes { .. })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::HeaderNotAtStart { offset } => {
                write!(f, "%PDF- header at byte {offset}, not 0")
            }
            Diagnostic::TrailingBytes { offset, count } => {
                write!(f, "{count} bytes after the last %%EOF (from byte {offset})")
            }
            Diagnostic::XrefEntryMismatch { num, gen, offset } => {
                write!(f, "xref entry of object {num} {gen} points at byte {offset}, where that object is not")
            }
            Diagnostic::WrongSize {
                revision,
                size,
                highest_object,
            } => match size {
                Some(s) => write!(
                    f,
                    "revision {revision}: /Size {s} does not exceed object number {highest_object}"
                ),
                None => write!(f, "revision {revision}: trailer has no /Size"),
            },
            Diagnostic::StartxrefMismatch { expected, found } => {
                write!(
                    f,
                    "startxref {found} does not point at the cross-reference section at {expected}"
                )
            }
            Diagnostic::MissingEofMarker { offset } => write!(
                f,
                "no startxref/%%EOF after the section ending at byte {offset}"
            ),
            Diagnostic::ImpreciseOffset { declared, what } => {
                write!(
                    f,
                    "offset {declared} points at white space before its {what}"
                )
            }
            Diagnostic::SectionBeforePrev { offset } => {
                write!(
                    f,
                    "cross-reference section at byte {offset} lies before the section it continues"
                )
            }
        }
    }
}

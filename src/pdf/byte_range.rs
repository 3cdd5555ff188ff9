//! Checks of a signature dictionary's `/ByteRange` (ISO 32000-1 §12.8.1) against the file.

use super::error::{PdfError, Result};
use super::object::{ObjRef, Object};
use super::source::ByteSource;
use super::xref::XrefEntry;
use super::Document;

/// A defect of a byte range. Any of them means the signature does not cover what it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ByteRangeProblem {
    /// No `/ByteRange`.
    Missing,
    /// Not a direct array of exactly four non-negative integers.
    NotFourIntegers,
    /// The first range does not start at byte 0.
    DoesNotStartAtZero,
    /// The second range starts before the first one ends.
    Overlapping,
    /// A range extends past the end of the file.
    OutOfBounds,
    /// The signature dictionary is not stored uncompressed in the file (e.g. it is inside an
    /// object stream), so its `/Contents` cannot be the gap.
    DictionaryNotInFile,
    /// No `/Contents` string in the dictionary.
    NoContents,
    /// `/Contents` is a literal string, not a hex string.
    ContentsNotHex,
    /// The gap is not exactly this dictionary's `/Contents` hex string with its `<` and `>`.
    GapIsNotContents,
}

/// The result of checking a `/ByteRange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteRangeCheck {
    /// The four numbers, when they are four non-negative integers.
    pub byte_range: Option<[u64; 4]>,
    /// The excluded gap `[start, end)`, when the range is well-formed.
    pub gap: Option<(u64, u64)>,
    /// Where this dictionary's `/Contents` string lies, `[start, end)` including delimiters.
    pub contents: Option<(u64, u64)>,
    /// Where the covered bytes end (`offset + length` of the second range).
    pub covered_end: Option<u64>,
    /// Everything wrong; empty when the range is consistent.
    pub problems: Vec<ByteRangeProblem>,
}

impl ByteRangeCheck {
    /// Whether the range starts at 0, is in bounds, and leaves as its only gap the
    /// dictionary's own `/Contents` hex string.
    pub fn is_consistent(&self) -> bool {
        self.problems.is_empty()
    }

    /// The two covered ranges `[start, end)`, when the range is well-formed.
    pub fn ranges(&self) -> Option<[(u64, u64); 2]> {
        let [a, b, c, d] = self.byte_range?;
        Some([(a, a + b), (c, c.checked_add(d)?)])
    }
}

/// Checks the `/ByteRange` of the signature dictionary `sig` as of revision `rev`.
pub fn check_byte_range<S: ByteSource>(
    doc: &Document<S>,
    rev: usize,
    sig: ObjRef,
) -> Result<ByteRangeCheck> {
    let mut check = ByteRangeCheck {
        byte_range: None,
        gap: None,
        contents: None,
        covered_end: None,
        problems: Vec::new(),
    };
    let (dict, spans) = match doc.locate(rev, sig.num) {
        Some((_, XrefEntry::InFile { offset, gen })) if gen == sig.gen => {
            let (r, dict, spans) = doc.dict_spans_at(offset)?;
            if r != sig {
                return Err(PdfError::ObjectNotAtOffset {
                    num: sig.num,
                    gen: sig.gen,
                    offset,
                });
            }
            (dict, Some(spans))
        }
        _ => {
            check.problems.push(ByteRangeProblem::DictionaryNotInFile);
            let d = doc.dict_in(rev, &Object::Ref(sig), "the signature dictionary")?;
            (d, None)
        }
    };

    match dict.get("ByteRange") {
        None => check.problems.push(ByteRangeProblem::Missing),
        Some(Object::Array(items)) => {
            let nums: Option<Vec<u64>> = items
                .iter()
                .map(|o| o.as_int().and_then(|v| u64::try_from(v).ok()))
                .collect();
            match nums.as_deref() {
                Some(&[a, b, c, d]) => check.byte_range = Some([a, b, c, d]),
                _ => check.problems.push(ByteRangeProblem::NotFourIntegers),
            }
        }
        Some(_) => check.problems.push(ByteRangeProblem::NotFourIntegers),
    }
    if let Some([a, b, c, d]) = check.byte_range {
        if a != 0 {
            check.problems.push(ByteRangeProblem::DoesNotStartAtZero);
        }
        let first_end = a.checked_add(b);
        let second_end = c.checked_add(d);
        match (first_end, second_end) {
            (Some(fe), Some(se)) => {
                if c < fe {
                    check.problems.push(ByteRangeProblem::Overlapping);
                } else {
                    check.gap = Some((fe, c));
                }
                if se > doc.len() || fe > doc.len() {
                    check.problems.push(ByteRangeProblem::OutOfBounds);
                }
                check.covered_end = Some(se);
            }
            _ => check.problems.push(ByteRangeProblem::OutOfBounds),
        }
    }

    match (dict.get("Contents"), &spans) {
        (Some(Object::String(s)), Some(spans)) => {
            let span = spans
                .iter()
                .find(|(k, _, _)| k == b"Contents")
                .map(|(_, s, e)| (*s, *e));
            check.contents = span;
            if !s.hex {
                check.problems.push(ByteRangeProblem::ContentsNotHex);
            }
        }
        (Some(Object::String(s)), None) => {
            if !s.hex {
                check.problems.push(ByteRangeProblem::ContentsNotHex);
            }
        }
        _ => check.problems.push(ByteRangeProblem::NoContents),
    }
    if spans.is_some() && (check.gap.is_none() || check.gap != check.contents) {
        check.problems.push(ByteRangeProblem::GapIsNotContents);
    }
    Ok(check)
}

//! Cross-reference sections: classic tables (ISO 32000-1 §7.5.4), cross-reference streams
//! (§7.5.8) and hybrid files (§7.5.8.4), parsed into one index per section.

use super::error::{PdfError, Result};
use super::limits::{MAX_OBJECTS, MAX_OBJECT_BYTES};
use super::object::Dict;
use super::parse::{PErr, Parser};

/// The form a cross-reference section is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefKind {
    /// A classic `xref` table with a `trailer` dictionary.
    Table,
    /// A cross-reference stream (`/Type /XRef`).
    Stream,
    /// A classic table whose trailer's `/XRefStm` adds a cross-reference stream.
    Hybrid,
}

/// Where one object number is, according to one section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    /// The object number is free (deleted) as of this section.
    Free {
        /// The generation a future reuse would take.
        next_gen: u16,
    },
    /// The object is stored uncompressed at `offset`.
    InFile {
        /// Offset of its `N G obj` header.
        offset: u64,
        /// Its generation.
        gen: u16,
    },
    /// The object is the `index`-th object of object stream `stream` (generation 0).
    InStream {
        /// Object number of the object stream.
        stream: u32,
        /// Position within the stream.
        index: u32,
    },
}

/// One cross-reference section with its trailer.
#[derive(Debug, Clone)]
pub struct XrefSection {
    /// Offset of the section (`xref` keyword or the stream's object header).
    pub offset: u64,
    /// Table, stream, or hybrid.
    pub kind: XrefKind,
    /// The trailer dictionary (for a stream: the stream dictionary).
    pub trailer: Dict,
    /// Offset just past the section (after the trailer dictionary or `endobj`).
    pub end: u64,
    /// Entries sorted by object number, one per number.
    pub(crate) entries: Vec<(u32, XrefEntry)>,
}

impl XrefSection {
    /// The entry for `num`, if this section has one.
    pub fn entry(&self, num: u32) -> Option<XrefEntry> {
        self.entries
            .binary_search_by_key(&num, |(n, _)| *n)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, e)| *e)
    }

    /// All entries, sorted by object number.
    pub fn entries(&self) -> &[(u32, XrefEntry)] {
        &self.entries
    }

    /// Sorts the entries and refuses an object number listed twice with different values
    /// (readers would disagree on which one counts).
    pub(crate) fn normalize(&mut self) -> Result<()> {
        self.entries.sort_by_key(|(n, _)| *n);
        for pair in self.entries.windows(2) {
            if let [(a, ea), (b, eb)] = pair {
                if a == b && ea != eb {
                    return Err(PdfError::BadXref {
                        offset: self.offset,
                        reason: "object listed twice",
                    });
                }
            }
        }
        self.entries.dedup_by_key(|(n, _)| *n);
        Ok(())
    }
}

/// Outcome of trying to parse a classic table from a window.
pub(crate) enum TableParse {
    Done {
        entries: Vec<(u32, XrefEntry)>,
        trailer: Dict,
        consumed: usize,
    },
    NeedMore,
}

/// Parses `xref … trailer << … >>` from the start of `buf`. `budget` is how many more entries
/// the document may still have overall.
pub(crate) fn parse_table(
    buf: &[u8],
    at_eof: bool,
    offset: u64,
    budget: usize,
) -> Result<TableParse> {
    let bad = |reason| PdfError::BadXref { offset, reason };
    let mut p = Parser::new(buf, at_eof);
    let lift = |e: PErr| -> Result<TableParse> {
        match e {
            PErr::NeedMore => Ok(TableParse::NeedMore),
            PErr::Syntax(_, reason) => Err(bad(reason)),
            PErr::TooDeep(_) => Err(PdfError::LimitExceeded {
                what: "nesting depth",
                limit: super::limits::MAX_NESTING as u64,
            }),
        }
    };
    match p.eat_keyword(b"xref") {
        Ok(true) => {}
        Ok(false) => return Err(bad("expected `xref`")),
        Err(e) => return lift(e),
    }
    let mut entries = Vec::new();
    loop {
        match p.eat_keyword(b"trailer") {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return lift(e),
        }
        let (start, count) = match (p.unsigned(), p.unsigned()) {
            (Ok(s), Ok(c)) => (s, c),
            (Err(e), _) | (_, Err(e)) => return lift(e),
        };
        let end = start
            .checked_add(count)
            .ok_or(bad("subsection overflows"))?;
        if end > u64::from(MAX_OBJECTS) {
            return Err(PdfError::LimitExceeded {
                what: "objects in a cross-reference table",
                limit: u64::from(MAX_OBJECTS),
            });
        }
        if entries.len() as u64 + count > budget as u64 {
            return Err(PdfError::LimitExceeded {
                what: "cross-reference entries",
                limit: budget as u64,
            });
        }
        // A table row is 20 bytes; a window too short for the rows announced is extended
        // before parsing them, so a huge `count` costs one check, not a partial parse.
        let need = p.pos as u64 + count * 20;
        if need > buf.len() as u64 && !at_eof {
            if need > (MAX_OBJECT_BYTES as u64).max(20 * u64::from(MAX_OBJECTS) + 4096) {
                return Err(PdfError::LimitExceeded {
                    what: "cross-reference table size",
                    limit: u64::from(MAX_OBJECTS),
                });
            }
            return Ok(TableParse::NeedMore);
        }
        for num in start..end {
            let (off, gen) = match (p.unsigned(), p.unsigned()) {
                (Ok(o), Ok(g)) => (o, g),
                (Err(e), _) | (_, Err(e)) => return lift(e),
            };
            let gen = u16::try_from(gen).map_err(|_| bad("generation too large"))?;
            let entry = match (p.eat_keyword(b"n"), p.eat_keyword(b"f")) {
                (Ok(true), _) => XrefEntry::InFile { offset: off, gen },
                (Ok(false), Ok(true)) => XrefEntry::Free { next_gen: gen },
                (Err(e), _) | (_, Err(e)) => return lift(e),
                _ => return Err(bad("entry type is neither n nor f")),
            };
            // `end` is at most MAX_OBJECTS, so `num` fits in u32.
            entries.push((num as u32, entry));
        }
    }
    p.skip_ws();
    let trailer = match p.dict(0) {
        Ok(d) => d,
        Err(e) => return lift(e),
    };
    Ok(TableParse::Done {
        entries,
        trailer,
        consumed: p.pos,
    })
}

/// Decodes the entries of a cross-reference stream whose dictionary is `dict` and whose decoded
/// data is `data`.
pub(crate) fn stream_entries(
    dict: &Dict,
    data: &[u8],
    offset: u64,
    budget: usize,
) -> Result<Vec<(u32, XrefEntry)>> {
    let bad = |reason| PdfError::BadXref { offset, reason };
    let size = dict.get_int("Size").ok_or(bad("no /Size"))?;
    if size < 0 || size > i64::from(MAX_OBJECTS) {
        return Err(PdfError::LimitExceeded {
            what: "objects (/Size)",
            limit: u64::from(MAX_OBJECTS),
        });
    }
    let w: Vec<usize> = dict
        .get("W")
        .and_then(|o| o.as_array())
        .ok_or(bad("no /W"))?
        .iter()
        .map(|o| {
            o.as_int()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|v| *v <= 8)
        })
        .collect::<Option<_>>()
        .ok_or(bad("/W entries must be 0 to 8"))?;
    let [w0, w1, w2] = w.as_slice() else {
        return Err(bad("/W must have three entries"));
    };
    let (w0, w1, w2) = (*w0, *w1, *w2);
    let row = w0 + w1 + w2;
    if row == 0 {
        return Err(bad("/W is all zero"));
    }
    let index: Vec<i64> = match dict.get("Index") {
        None => vec![0, size],
        Some(o) => o
            .as_array()
            .ok_or(bad("/Index is not an array"))?
            .iter()
            .map(|o| o.as_int())
            .collect::<Option<_>>()
            .ok_or(bad("/Index holds a non-integer"))?,
    };
    if index.len() % 2 != 0 {
        return Err(bad("/Index has an odd length"));
    }
    let mut entries = Vec::new();
    let mut rows = data.chunks_exact(row);
    for pair in index.chunks_exact(2) {
        let (&start, &count) = match pair {
            [s, c] => (s, c),
            _ => return Err(bad("/Index pair")),
        };
        if start < 0 || count < 0 || start.saturating_add(count) > i64::from(MAX_OBJECTS) {
            return Err(PdfError::LimitExceeded {
                what: "objects in a cross-reference stream",
                limit: u64::from(MAX_OBJECTS),
            });
        }
        if entries.len() as i64 + count > budget as i64 {
            return Err(PdfError::LimitExceeded {
                what: "cross-reference entries",
                limit: budget as u64,
            });
        }
        for num in start..start + count {
            let r = rows
                .next()
                .ok_or(bad("stream data shorter than /Index announces"))?;
            let (f0, rest) = r.split_at(w0);
            let (f1, f2) = rest.split_at(w1);
            let kind = if w0 == 0 { 1 } else { be(f0) };
            let (a, b) = (be(f1), be(f2));
            let entry = match kind {
                0 => XrefEntry::Free {
                    next_gen: u16::try_from(b).unwrap_or(u16::MAX),
                },
                1 => XrefEntry::InFile {
                    offset: a,
                    gen: u16::try_from(b).map_err(|_| bad("generation too large"))?,
                },
                2 => XrefEntry::InStream {
                    stream: u32::try_from(a).map_err(|_| bad("object stream number too large"))?,
                    index: u32::try_from(b).map_err(|_| bad("object stream index too large"))?,
                },
                // Unknown types are references to the null object (§7.5.8.3).
                _ => XrefEntry::Free { next_gen: 0 },
            };
            // `start + count` is at most MAX_OBJECTS, so `num` fits in u32.
            entries.push((num as u32, entry));
        }
    }
    Ok(entries)
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b))
}

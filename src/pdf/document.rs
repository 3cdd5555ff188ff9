//! The lazy reader: locates the cross-reference sections, groups them into revisions, and parses
//! objects by number only when they are asked for.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::diagnostic::Diagnostic;
use super::error::{PdfError, Result};
use super::filter;
use super::limits::*;
use super::object::{is_whitespace, Dict, ObjRef, Object, Stream, StreamData};
use super::parse::{PErr, Parser};
use super::source::{read_window, ByteSource};
use super::xref::{self, TableParse, XrefEntry, XrefKind, XrefSection};

/// One revision: the original document or one incremental update (ISO 32000-1 §7.5.6).
///
/// A revision ends ([`end`](Self::end)) just after the end-of-line that follows its `%%EOF`
/// marker: after `\r\n`, `\n` or `\r` if one of those follows, else right after `%%EOF`. This is
/// the length a file had when that revision was written, and so the offset where a signature
/// covering exactly that revision ends. One ambiguity remains: a revision written without a
/// final end-of-line gets one from the next update (a comment runs to the end of the line, so
/// the update must start on a new one); its original length is then
/// [`marker_end`](Self::marker_end), right after `%%EOF`, and both offsets are accepted by
/// [`Document::revision_ending_at`]. A linearized original (two sections, two `%%EOF`) is one
/// revision that ends at its last `%%EOF`.
#[derive(Debug, Clone)]
pub struct Revision {
    /// Position, 0 for the original document.
    pub index: usize,
    /// Offset of the newest cross-reference section of this revision (what `startxref` says).
    pub xref_offset: u64,
    /// Offset just past this revision's `%%EOF` line (see above).
    pub end: u64,
    /// Offset just past the `%%EOF` marker itself (equal to `end` when no end-of-line follows).
    pub marker_end: u64,
    /// The form of its newest cross-reference section.
    pub kind: XrefKind,
    /// The trailer of its newest section.
    pub trailer: Dict,
    /// Object numbers this revision defines or redefines, sorted.
    pub changed: Vec<u32>,
    /// Object numbers this revision marks free (deleted), sorted; object 0 is left out.
    pub freed: Vec<u32>,
    /// Index of its newest section in [`Document::sections`].
    pub first_section: usize,
    /// How many sections it has (two for a linearized original, else one).
    pub section_count: usize,
}

/// Top-level entries of a dictionary in the file: key, and `[start, end)` of the value.
pub(crate) type DictSpans = Vec<(Vec<u8>, u64, u64)>;

/// A decoded object stream (§7.5.7).
struct ObjStm {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Loc {
    File(u64),
    Packed(u64, u32),
}

#[derive(Default)]
struct Caches {
    objects: HashMap<Loc, Object>,
    objstms: HashMap<u64, Arc<ObjStm>>,
    objstm_bytes: usize,
}

/// An opened PDF document. Holds the cross-reference index and small caches, never the file.
pub struct Document<S> {
    src: S,
    len: u64,
    startxref: u64,
    sections: Vec<XrefSection>,
    revisions: Vec<Revision>,
    diagnostics: Vec<Diagnostic>,
    diagnostics_dropped: usize,
    linearized: bool,
    caches: Mutex<Caches>,
    decoded_total: AtomicU64,
}

impl<S: ByteSource> Document<S> {
    /// Opens a document: reads the header, `startxref`, every cross-reference section of the
    /// `/Prev` chain, and checks that every in-file entry points at its object. Objects
    /// themselves are parsed later, on demand.
    ///
    /// Fails with [`PdfError::Encrypted`] for encrypted documents. Defects that leave the
    /// document readable are recorded in [`diagnostics`](Self::diagnostics); a document with
    /// one that [needs repair](Self::needs_repair) must not be reported as validly signed.
    pub fn open(src: S) -> Result<Self> {
        let len = src.len();
        let mut doc = Document {
            src,
            len,
            startxref: 0,
            sections: Vec::new(),
            revisions: Vec::new(),
            diagnostics: Vec::new(),
            diagnostics_dropped: 0,
            linearized: false,
            caches: Mutex::new(Caches::default()),
            decoded_total: AtomicU64::new(0),
        };
        doc.check_header()?;
        doc.startxref = doc.find_startxref()?;
        doc.read_chain()?;
        doc.linearized = doc.detect_linearized();
        doc.build_revisions()?;
        doc.check_sizes();
        doc.check_entries()?;
        Ok(doc)
    }

    /// Length of the document in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the document is empty (never true for an opened document).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The byte source the document is read from.
    pub fn source(&self) -> &S {
        &self.src
    }

    /// The value of the last `startxref`.
    pub fn startxref(&self) -> u64 {
        self.startxref
    }

    /// Whether the original document is linearized (§F).
    pub fn is_linearized(&self) -> bool {
        self.linearized
    }

    /// Cross-reference sections in chain order: the newest first, following `/Prev`.
    pub fn sections(&self) -> &[XrefSection] {
        &self.sections
    }

    /// Revisions, oldest (the original document) first.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The index of the newest revision.
    pub fn last_revision(&self) -> usize {
        self.revisions.len().saturating_sub(1)
    }

    /// The revision that ends exactly at `offset` (its [`end`](Revision::end) or its
    /// [`marker_end`](Revision::marker_end)), if any.
    pub fn revision_ending_at(&self, offset: u64) -> Option<usize> {
        self.revisions
            .iter()
            .position(|r| r.end == offset || r.marker_end == offset)
    }

    /// The newest trailer.
    pub fn trailer(&self) -> &Dict {
        self.revisions
            .last()
            .map(|r| &r.trailer)
            .unwrap_or_else(|| empty_dict())
    }

    /// Defects found while opening (the first [`MAX_DIAGNOSTICS`] of them).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether the structure is broken in a way a lenient reader would silently repair. Such a
    /// document can be read for display but a signature in it must not be TOTAL_PASSED.
    pub fn needs_repair(&self) -> bool {
        self.diagnostics_dropped > 0 || self.diagnostics.iter().any(Diagnostic::needs_repair)
    }

    /// The object `r` as of the newest revision; a missing or free object is `null` (§7.3.10).
    pub fn object(&self, r: ObjRef) -> Result<Object> {
        self.object_in(self.last_revision(), r)
    }

    /// The object `r` as it was in revision `rev` (later revisions ignored).
    pub fn object_in(&self, rev: usize, r: ObjRef) -> Result<Object> {
        let first = self
            .revisions
            .get(rev)
            .map(|r| r.first_section)
            .unwrap_or(usize::MAX);
        self.fetch(first, r, 0)
    }

    /// Where `num` is stored as of revision `rev`, with the index of the section that says so.
    pub fn locate(&self, rev: usize, num: u32) -> Option<(usize, XrefEntry)> {
        let first = self.revisions.get(rev)?.first_section;
        self.entry_from(first, num)
    }

    /// Follows references from `obj` (as of the newest revision) to a direct object.
    pub fn resolve(&self, obj: &Object) -> Result<Object> {
        self.resolve_in(self.last_revision(), obj)
    }

    /// Follows references from `obj` as of revision `rev`.
    pub fn resolve_in(&self, rev: usize, obj: &Object) -> Result<Object> {
        let mut cur = obj.clone();
        for _ in 0..MAX_REF_CHAIN {
            match cur {
                Object::Ref(r) => cur = self.object_in(rev, r)?,
                other => return Ok(other),
            }
        }
        Err(PdfError::ReferenceLoop(
            obj.as_ref().map(|r| r.num).unwrap_or(0),
        ))
    }

    /// The dictionary behind `obj` (resolved), or a structure error naming `what`.
    pub fn dict_in(&self, rev: usize, obj: &Object, what: &str) -> Result<Dict> {
        match self.resolve_in(rev, obj)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            _ => Err(PdfError::Structure(format!("{what} is not a dictionary"))),
        }
    }

    /// The catalog (`/Root`) of revision `rev`, with its reference.
    pub fn catalog_in(&self, rev: usize) -> Result<(ObjRef, Dict)> {
        let trailer = &self
            .revisions
            .get(rev)
            .ok_or_else(|| PdfError::Structure("no such revision".into()))?
            .trailer;
        let root = trailer
            .get_ref("Root")
            .ok_or_else(|| PdfError::Structure("trailer has no /Root reference".into()))?;
        let dict = self.dict_in(rev, &Object::Ref(root), "the catalog")?;
        Ok((root, dict))
    }

    /// The catalog of the newest revision.
    pub fn catalog(&self) -> Result<(ObjRef, Dict)> {
        self.catalog_in(self.last_revision())
    }

    /// The page objects of revision `rev` in order, walking the page tree (§7.7.3) with loop
    /// detection and the bounds [`MAX_PAGES`] and [`MAX_PAGE_TREE_DEPTH`].
    pub fn pages_in(&self, rev: usize) -> Result<Vec<ObjRef>> {
        let (_, catalog) = self.catalog_in(rev)?;
        let root = catalog
            .get_ref("Pages")
            .ok_or_else(|| PdfError::Structure("catalog has no /Pages reference".into()))?;
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            if !seen.insert(node) {
                return Err(PdfError::Structure(format!("page tree loops at {node}")));
            }
            if depth > MAX_PAGE_TREE_DEPTH {
                return Err(PdfError::LimitExceeded {
                    what: "page tree depth",
                    limit: MAX_PAGE_TREE_DEPTH as u64,
                });
            }
            let dict = self.dict_in(rev, &Object::Ref(node), "a page tree node")?;
            match dict.get_name("Type") {
                Some(b"Page") => {
                    pages.push(node);
                    if pages.len() > MAX_PAGES {
                        return Err(PdfError::LimitExceeded {
                            what: "pages",
                            limit: MAX_PAGES as u64,
                        });
                    }
                }
                Some(b"Pages") => {
                    let kids = self.resolve_in(rev, dict.get("Kids").unwrap_or(&Object::Null))?;
                    let kids = kids.as_array().ok_or_else(|| {
                        PdfError::Structure(format!("page tree node {node} has no /Kids array"))
                    })?;
                    for kid in kids.iter().rev() {
                        let kid = kid.as_ref().ok_or_else(|| {
                            PdfError::Structure("a /Kids entry is not a reference".into())
                        })?;
                        stack.push((kid, depth + 1));
                    }
                }
                _ => {
                    return Err(PdfError::Structure(format!(
                        "page tree node {node} has no /Type /Page(s)"
                    )))
                }
            }
        }
        Ok(pages)
    }

    /// The pages of the newest revision.
    pub fn pages(&self) -> Result<Vec<ObjRef>> {
        self.pages_in(self.last_revision())
    }

    /// The decoded data of a stream, within [`MAX_DECODED_STREAM`] and the document's total
    /// budget [`MAX_DECODED_TOTAL`].
    pub fn stream_data(&self, stream: &Stream) -> Result<Vec<u8>> {
        let raw = self.raw_stream_data(stream)?;
        let left = MAX_DECODED_TOTAL.saturating_sub(self.decoded_total.load(Ordering::Relaxed));
        let limit = MAX_DECODED_STREAM.min(left);
        let out = filter::decode(&stream.dict, &raw, limit).map_err(|e| match e {
            PdfError::LimitExceeded { .. } if limit < MAX_DECODED_STREAM => {
                PdfError::LimitExceeded {
                    what: "decoded bytes for the whole document",
                    limit: MAX_DECODED_TOTAL,
                }
            }
            other => other,
        })?;
        self.decoded_total
            .fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(out)
    }

    /// The encoded data of a stream, at most [`MAX_RAW_STREAM`] bytes.
    pub fn raw_stream_data(&self, stream: &Stream) -> Result<Vec<u8>> {
        self.read_range(stream.data.offset, stream.data.len)
    }

    /// `len` bytes at `offset`, at most [`MAX_RAW_STREAM`].
    pub fn read_range(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        if len > MAX_RAW_STREAM {
            return Err(PdfError::LimitExceeded {
                what: "bytes read at once",
                limit: MAX_RAW_STREAM,
            });
        }
        let end = offset.checked_add(len).filter(|e| *e <= self.len);
        if end.is_none() {
            return Err(PdfError::Structure(
                "range beyond the end of the file".into(),
            ));
        }
        // `len` is at most MAX_RAW_STREAM, which fits in usize.
        let mut buf = vec![0u8; len as usize];
        self.src.read_exact_at(offset, &mut buf)?;
        Ok(buf)
    }

    /// The object at `offset` (which must be in-file), with the spans of the top-level entries
    /// of its dictionary as absolute offsets: used to find where a signature's `/Contents`
    /// string lies.
    pub(crate) fn dict_spans_at(&self, offset: u64) -> Result<(ObjRef, Dict, DictSpans)> {
        let mut window = INITIAL_OBJECT_WINDOW;
        loop {
            let buf = read_window(&self.src, offset, window)?;
            let at_eof = offset + buf.len() as u64 >= self.len;
            let mut p = Parser::new(&buf, at_eof);
            let mut spans = Vec::new();
            let res = p.object_header().and_then(|r| {
                p.skip_ws();
                p.dict_with_spans(0, Some(&mut spans)).map(|d| (r, d))
            });
            match res {
                Ok((r, d)) => {
                    let spans = spans
                        .into_iter()
                        .map(|(k, s, e)| (k.0, offset + s as u64, offset + e as u64))
                        .collect();
                    return Ok((r, d, spans));
                }
                Err(PErr::NeedMore) => window = self.grow(window)?,
                Err(e) => return Err(lift(e, offset)),
            }
        }
    }

    fn grow(&self, window: usize) -> Result<usize> {
        if window >= MAX_OBJECT_BYTES {
            return Err(PdfError::LimitExceeded {
                what: "object size",
                limit: MAX_OBJECT_BYTES as u64,
            });
        }
        Ok((window * 2).min(MAX_OBJECT_BYTES))
    }

    fn note(&mut self, d: Diagnostic) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(d);
        } else {
            self.diagnostics_dropped += 1;
        }
    }

    fn check_header(&mut self) -> Result<()> {
        let head = read_window(&self.src, 0, HEADER_SEARCH)?;
        let pos = find(&head, b"%PDF-").ok_or(PdfError::NotPdf("no %PDF- header"))?;
        if pos != 0 {
            self.note(Diagnostic::HeaderNotAtStart { offset: pos as u64 });
        }
        Ok(())
    }

    fn find_startxref(&mut self) -> Result<u64> {
        let from = self.len.saturating_sub(TAIL_SEARCH as u64);
        let tail = read_window(&self.src, from, TAIL_SEARCH)?;
        let pos = rfind(&tail, b"startxref").ok_or(PdfError::MissingStartxref)?;
        let rest = tail.get(pos + 9..).unwrap_or_default();
        let mut p = Parser::new(rest, true);
        let value = p.unsigned().map_err(|_| PdfError::MissingStartxref)?;
        p.skip_ws_no_comments();
        if !rest.get(p.pos..).unwrap_or_default().starts_with(b"%%EOF") {
            return Err(PdfError::MissingStartxref);
        }
        let eof_end = from + (pos + 9 + p.pos + 5) as u64;
        let after = eol_len(&tail, pos + 9 + p.pos + 5);
        let trailing = self.len.saturating_sub(eof_end + after as u64);
        if trailing > 0 {
            self.note(Diagnostic::TrailingBytes {
                offset: eof_end + after as u64,
                count: trailing,
            });
        }
        if value >= self.len {
            return Err(PdfError::BadXref {
                offset: value,
                reason: "startxref points beyond the end of the file",
            });
        }
        Ok(value)
    }

    fn read_chain(&mut self) -> Result<()> {
        let mut seen = HashSet::new();
        let mut next = Some(self.startxref);
        let mut total = 0usize;
        while let Some(offset) = next {
            if !seen.insert(offset) {
                return Err(PdfError::XrefLoop(offset));
            }
            if self.sections.len() >= MAX_XREF_SECTIONS {
                return Err(PdfError::LimitExceeded {
                    what: "cross-reference sections",
                    limit: MAX_XREF_SECTIONS as u64,
                });
            }
            let budget = MAX_XREF_ENTRIES_TOTAL.saturating_sub(total);
            let (mut section, imprecise) = self.read_section(offset, budget)?;
            if imprecise {
                self.note(Diagnostic::ImpreciseOffset {
                    declared: offset,
                    what: "cross-reference section",
                });
            }
            if let Some(stm) = section.trailer.get("XRefStm") {
                let stm =
                    stm.as_int()
                        .and_then(|v| u64::try_from(v).ok())
                        .ok_or(PdfError::BadXref {
                            offset,
                            reason: "/XRefStm is not an offset",
                        })?;
                if !seen.insert(stm) {
                    return Err(PdfError::XrefLoop(stm));
                }
                let budget = budget.saturating_sub(section.entries.len());
                let (extra, imprecise) = self.read_section(stm, budget)?;
                if imprecise {
                    self.note(Diagnostic::ImpreciseOffset {
                        declared: stm,
                        what: "cross-reference stream",
                    });
                }
                if extra.kind != XrefKind::Stream {
                    return Err(PdfError::BadXref {
                        offset: stm,
                        reason: "/XRefStm does not point at a stream",
                    });
                }
                // The table's in-use entries win; the stream supplies the rest (§7.5.8.4).
                let mut merged = section.entries.clone();
                for (num, e) in extra.entries {
                    if !matches!(section.entry(num), Some(XrefEntry::InFile { .. })) {
                        merged.push((num, e));
                    }
                }
                merged.sort_by_key(|(n, _)| *n);
                dedup_prefer_used(&mut merged);
                section.entries = merged;
                section.kind = XrefKind::Hybrid;
            }
            if section.trailer.contains("Encrypt") {
                return Err(PdfError::Encrypted);
            }
            total += section.entries.len();
            next = match section.trailer.get("Prev") {
                None => None,
                Some(o) => Some(
                    o.as_int()
                        .and_then(|v| u64::try_from(v).ok())
                        .filter(|v| *v < self.len)
                        .ok_or(PdfError::BadXref {
                            offset,
                            reason: "/Prev is not an offset in the file",
                        })?,
                ),
            };
            self.sections.push(section);
        }
        Ok(())
    }

    /// Reads the section that `declared` (a `startxref`, `/Prev` or `/XRefStm` value) points
    /// at. White space before it is tolerated but reported by the `bool` (a lenient reader's
    /// repair, so the caller records a diagnostic); the section keeps its declared offset.
    fn read_section(&self, declared: u64, budget: usize) -> Result<(XrefSection, bool)> {
        let probe = read_window(&self.src, declared, 64)?;
        let lead = probe.iter().take_while(|b| is_whitespace(**b)).count();
        let mut section = self.read_section_at(declared + lead as u64, budget)?;
        section.offset = declared;
        Ok((section, lead > 0))
    }

    fn read_section_at(&self, offset: u64, budget: usize) -> Result<XrefSection> {
        let probe = read_window(&self.src, offset, 16)?;
        if probe.starts_with(b"xref") {
            let mut window = INITIAL_OBJECT_WINDOW;
            loop {
                let buf = read_window(&self.src, offset, window)?;
                let at_eof = offset + buf.len() as u64 >= self.len;
                match xref::parse_table(&buf, at_eof, offset, budget)? {
                    TableParse::Done {
                        entries,
                        trailer,
                        consumed,
                    } => {
                        let mut s = XrefSection {
                            offset,
                            kind: XrefKind::Table,
                            trailer,
                            end: offset + consumed as u64,
                            entries,
                        };
                        s.normalize()?;
                        return Ok(s);
                    }
                    TableParse::NeedMore => {
                        let cap = 20 * MAX_OBJECTS as usize + MAX_OBJECT_BYTES;
                        if window >= cap {
                            return Err(PdfError::LimitExceeded {
                                what: "cross-reference table size",
                                limit: cap as u64,
                            });
                        }
                        window = (window * 4).min(cap);
                    }
                }
            }
        }
        let (_, obj, end) = self
            .parse_at(offset, None, usize::MAX, 0)
            .map_err(|e| match e {
                PdfError::Syntax { .. } => PdfError::BadXref {
                    offset,
                    reason: "neither an xref table nor an xref stream",
                },
                other => other,
            })?;
        let Object::Stream(stream) = obj else {
            return Err(PdfError::BadXref {
                offset,
                reason: "startxref/Prev does not point at xref data",
            });
        };
        if stream.dict.get_name("Type") != Some(b"XRef") {
            return Err(PdfError::BadXref {
                offset,
                reason: "stream is not /Type /XRef",
            });
        }
        // Refuse an oversized index before inflating anything.
        match stream.dict.get_int("Size") {
            Some(size) if size > i64::from(MAX_OBJECTS) => {
                return Err(PdfError::LimitExceeded {
                    what: "objects (/Size)",
                    limit: u64::from(MAX_OBJECTS),
                })
            }
            _ => {}
        }
        let data = self.stream_data(&stream)?;
        let entries = xref::stream_entries(&stream.dict, &data, offset, budget)?;
        let mut s = XrefSection {
            offset,
            kind: XrefKind::Stream,
            trailer: stream.dict,
            end,
            entries,
        };
        s.normalize()?;
        Ok(s)
    }

    fn detect_linearized(&self) -> bool {
        let Ok(head) = read_window(&self.src, 0, INITIAL_OBJECT_WINDOW) else {
            return false;
        };
        let mut p = Parser::new(&head, false);
        p.skip_ws();
        if p.object_header().is_err() {
            return false;
        }
        matches!(p.object(0), Ok(Object::Dict(d)) if d.contains("Linearized"))
    }

    fn build_revisions(&mut self) -> Result<()> {
        // Group the chain (newest first) into revisions: a section that lies before the section
        // its /Prev names is the first-page section of a linearized file and belongs with it.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        let n = self.sections.len();
        while i < n {
            let mut count = 1;
            if let (Some(a), Some(b)) = (self.sections.get(i), self.sections.get(i + 1)) {
                if a.offset < b.offset {
                    if self.linearized && i + 2 == n {
                        count = 2;
                    } else {
                        let off = a.offset;
                        self.note(Diagnostic::SectionBeforePrev { offset: off });
                    }
                }
            }
            groups.push((i, count));
            i += count;
        }
        let mut revisions = Vec::with_capacity(groups.len());
        for (idx, &(first, count)) in groups.iter().rev().enumerate() {
            let group = self.sections.get(first..first + count).unwrap_or_default();
            let newest = group.first().ok_or(PdfError::BadXref {
                offset: 0,
                reason: "empty revision",
            })?;
            let last_in_file = group.iter().max_by_key(|s| s.offset).unwrap_or(newest);
            let (end, marker_end, diag) = self.revision_end(last_in_file.end, newest.offset)?;
            let mut changed = Vec::new();
            let mut freed = Vec::new();
            for s in group {
                for &(num, e) in &s.entries {
                    match e {
                        XrefEntry::Free { .. } if num != 0 => freed.push(num),
                        XrefEntry::Free { .. } => {}
                        _ => changed.push(num),
                    }
                }
            }
            changed.sort_unstable();
            changed.dedup();
            freed.sort_unstable();
            freed.dedup();
            revisions.push(Revision {
                index: idx,
                xref_offset: newest.offset,
                end,
                marker_end,
                kind: newest.kind,
                trailer: newest.trailer.clone(),
                changed,
                freed,
                first_section: first,
                section_count: count,
            });
            if let Some(d) = diag {
                self.note(d);
            }
        }
        for pair in revisions.windows(2) {
            if let [a, b] = pair {
                if b.end <= a.end {
                    let off = b.xref_offset;
                    self.note(Diagnostic::SectionBeforePrev { offset: off });
                }
            }
        }
        self.revisions = revisions;
        Ok(())
    }

    /// Finds `startxref N %%EOF` after a section ending at `section_end`; returns the revision
    /// end, the end of the marker, and a diagnostic if the marker is missing or `N` is not `expected`.
    fn revision_end(
        &self,
        section_end: u64,
        expected: u64,
    ) -> Result<(u64, u64, Option<Diagnostic>)> {
        let win = read_window(&self.src, section_end, EOF_SEARCH)?;
        let mut p = Parser::new(&win, true);
        p.skip_ws();
        if p.eat_keyword(b"endobj").unwrap_or(false) {
            p.skip_ws();
        }
        let ok = p.eat_keyword(b"startxref").unwrap_or(false);
        let value = if ok { p.unsigned().ok() } else { None };
        p.skip_ws_no_comments();
        let rest = win.get(p.pos..).unwrap_or_default();
        match value {
            Some(v) if rest.starts_with(b"%%EOF") => {
                let at = p.pos + 5;
                let end = section_end + (at + eol_len(&win, at)) as u64;
                let diag =
                    (v != expected).then_some(Diagnostic::StartxrefMismatch { expected, found: v });
                Ok((end, section_end + at as u64, diag))
            }
            _ => Ok((
                section_end,
                section_end,
                Some(Diagnostic::MissingEofMarker {
                    offset: section_end,
                }),
            )),
        }
    }

    fn check_sizes(&mut self) {
        let mut max_num = 0u32;
        let mut notes = Vec::new();
        for rev in &self.revisions {
            for s in self
                .sections
                .get(rev.first_section..rev.first_section + rev.section_count)
                .unwrap_or_default()
            {
                if let Some((n, _)) = s.entries.last() {
                    max_num = max_num.max(*n);
                }
            }
            match rev.trailer.get_int("Size") {
                Some(size) if size > i64::from(max_num) => {}
                size => notes.push(Diagnostic::WrongSize {
                    revision: rev.index,
                    size,
                    highest_object: max_num,
                }),
            }
        }
        for d in notes {
            self.note(d);
        }
    }

    /// Checks that every in-file entry of every section points at `N G obj` with its number.
    fn check_entries(&mut self) -> Result<()> {
        let mut targets: Vec<(u64, u32, u16)> = self
            .sections
            .iter()
            .flat_map(|s| s.entries.iter())
            .filter_map(|&(num, e)| match e {
                XrefEntry::InFile { offset, gen } => Some((offset, num, gen)),
                _ => None,
            })
            .collect();
        targets.sort_unstable();
        targets.dedup();
        let mut bad = Vec::new();
        let mut buf = [0u8; 48];
        for &(offset, num, gen) in &targets {
            let ok = if offset >= self.len {
                false
            } else {
                let n = usize::try_from((self.len - offset).min(buf.len() as u64)).unwrap_or(0);
                let slice = buf.get_mut(..n).unwrap_or_default();
                self.src.read_exact_at(offset, slice)?;
                let mut p = Parser::new(slice, false);
                matches!(p.object_header(), Ok(r) if r.num == num && r.gen == gen)
            };
            if !ok {
                bad.push(Diagnostic::XrefEntryMismatch { num, gen, offset });
            } else if !buf.first().is_some_and(u8::is_ascii_digit) {
                bad.push(Diagnostic::ImpreciseOffset {
                    declared: offset,
                    what: "object",
                });
            }
        }
        for d in bad {
            self.note(d);
        }
        Ok(())
    }

    fn entry_from(&self, first_section: usize, num: u32) -> Option<(usize, XrefEntry)> {
        self.sections
            .get(first_section..)?
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.entry(num).map(|e| (first_section + i, e)))
    }

    /// Fetches object `r` as seen from section `first` backwards.
    fn fetch(&self, first: usize, r: ObjRef, depth: usize) -> Result<Object> {
        if depth > MAX_REF_CHAIN {
            return Err(PdfError::ReferenceLoop(r.num));
        }
        let Some((_, entry)) = self.entry_from(first, r.num) else {
            return Ok(Object::Null);
        };
        match entry {
            XrefEntry::Free { .. } => Ok(Object::Null),
            XrefEntry::InFile { offset, gen } => {
                if gen != r.gen {
                    return Ok(Object::Null);
                }
                if let Some(o) = self.cache_get(Loc::File(offset)) {
                    return Ok(o);
                }
                let (_, obj, _) = self.parse_at(offset, Some(r), first, depth)?;
                self.cache_put(Loc::File(offset), &obj);
                Ok(obj)
            }
            XrefEntry::InStream { stream, index } => {
                if r.gen != 0 {
                    return Ok(Object::Null);
                }
                let stm_offset = match self.entry_from(first, stream) {
                    Some((_, XrefEntry::InFile { offset, gen: 0 })) => offset,
                    _ => return Err(PdfError::Structure(format!("object {} is in object stream {stream}, which is not an uncompressed object", r.num))),
                };
                if let Some(o) = self.cache_get(Loc::Packed(stm_offset, index)) {
                    return Ok(o);
                }
                let stm = self.objstm(stm_offset, stream, first, depth + 1)?;
                let &(num, off) = stm.offsets.get(index as usize).ok_or_else(|| {
                    PdfError::Structure(format!("object stream {stream} has no index {index}"))
                })?;
                if num != r.num {
                    return Err(PdfError::Structure(format!(
                        "object stream {stream} holds object {num} at index {index}, not {}",
                        r.num
                    )));
                }
                let start = stm.first.checked_add(off).filter(|s| *s <= stm.data.len());
                let body = start
                    .and_then(|s| stm.data.get(s..))
                    .ok_or(PdfError::Structure(format!(
                        "object stream {stream} offset out of range"
                    )))?;
                let mut p = Parser::new(body, true);
                let obj = p.object(0).map_err(|e| lift(e, stm_offset))?;
                self.cache_put(Loc::Packed(stm_offset, index), &obj);
                Ok(obj)
            }
        }
    }

    fn objstm(&self, offset: u64, num: u32, first: usize, depth: usize) -> Result<Arc<ObjStm>> {
        if let Some(s) = self
            .caches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .objstms
            .get(&offset)
        {
            return Ok(s.clone());
        }
        let (_, obj, _) = self.parse_at(offset, Some(ObjRef::new(num, 0)), first, depth)?;
        let Object::Stream(stream) = obj else {
            return Err(PdfError::Structure(format!(
                "object stream {num} is not a stream"
            )));
        };
        if stream.dict.get_name("Type") != Some(b"ObjStm") {
            return Err(PdfError::Structure(format!(
                "object {num} is not /Type /ObjStm"
            )));
        }
        let n = stream
            .dict
            .get_int("N")
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| PdfError::Structure(format!("object stream {num} has no /N")))?;
        if n > MAX_OBJSTM_OBJECTS {
            return Err(PdfError::LimitExceeded {
                what: "objects in an object stream",
                limit: MAX_OBJSTM_OBJECTS as u64,
            });
        }
        let first_off = stream
            .dict
            .get_int("First")
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| PdfError::Structure(format!("object stream {num} has no /First")))?;
        let data = self.stream_data(&stream)?;
        let header = data.get(..first_off).ok_or_else(|| {
            PdfError::Structure(format!("object stream {num}: /First beyond its data"))
        })?;
        let mut p = Parser::new(header, true);
        let mut offsets = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let (a, b) = (p.unsigned(), p.unsigned());
            match (a, b) {
                (Ok(a), Ok(b)) => offsets.push((
                    u32::try_from(a)
                        .map_err(|_| PdfError::Structure("object number too large".into()))?,
                    usize::try_from(b)
                        .map_err(|_| PdfError::Structure("offset too large".into()))?,
                )),
                _ => {
                    return Err(PdfError::Structure(format!(
                        "object stream {num} has a malformed header"
                    )))
                }
            }
        }
        let stm = Arc::new(ObjStm {
            data,
            first: first_off,
            offsets,
        });
        let mut c = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        if c.objstm_bytes + stm.data.len() > OBJSTM_CACHE_BYTES {
            c.objstms.clear();
            c.objstm_bytes = 0;
        }
        c.objstm_bytes += stm.data.len();
        c.objstms.insert(offset, stm.clone());
        Ok(stm)
    }

    fn cache_get(&self, loc: Loc) -> Option<Object> {
        self.caches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .objects
            .get(&loc)
            .cloned()
    }

    fn cache_put(&self, loc: Loc, obj: &Object) {
        let mut c = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        if c.objects.len() >= OBJECT_CACHE_ENTRIES {
            c.objects.clear();
        }
        c.objects.insert(loc, obj.clone());
    }

    /// Parses the indirect object at `offset`. `expect` is the reference the xref promised;
    /// indirect stream lengths are resolved from section `first` backwards. Returns the object
    /// and the offset just past `endobj`.
    fn parse_at(
        &self,
        offset: u64,
        expect: Option<ObjRef>,
        first: usize,
        depth: usize,
    ) -> Result<(ObjRef, Object, u64)> {
        let mut window = INITIAL_OBJECT_WINDOW;
        let (r, head, after) = loop {
            let buf = read_window(&self.src, offset, window)?;
            let at_eof = offset + buf.len() as u64 >= self.len;
            match parse_indirect(&buf, at_eof) {
                Ok(x) => break x,
                Err(PErr::NeedMore) => window = self.grow(window)?,
                Err(e) => return Err(lift(e, offset)),
            }
        };
        if let Some(e) = expect {
            if e != r {
                return Err(PdfError::ObjectNotAtOffset {
                    num: e.num,
                    gen: e.gen,
                    offset,
                });
            }
        }
        match head {
            Body::Plain(obj) => Ok((r, obj, offset + after as u64)),
            Body::Stream(dict) => {
                let data_offset = offset + after as u64;
                let len = match dict.get("Length") {
                    Some(Object::Integer(n)) => *n,
                    Some(Object::Ref(lr)) if first != usize::MAX => {
                        if *lr == r {
                            return Err(PdfError::ReferenceLoop(r.num));
                        }
                        self.fetch(first, *lr, depth + 1)?
                            .as_int()
                            .ok_or(PdfError::BadStreamLength { offset })?
                    }
                    _ => return Err(PdfError::BadStreamLength { offset }),
                };
                let len = u64::try_from(len).map_err(|_| PdfError::BadStreamLength { offset })?;
                let data_end = data_offset
                    .checked_add(len)
                    .filter(|e| *e <= self.len)
                    .ok_or(PdfError::BadStreamLength { offset })?;
                let tail = read_window(&self.src, data_end, 64)?;
                let mut p = Parser::new(&tail, true);
                p.skip_ws_no_comments();
                if !p.eat_keyword(b"endstream").unwrap_or(false) {
                    return Err(PdfError::BadStreamLength { offset });
                }
                if !p.eat_keyword(b"endobj").unwrap_or(false) {
                    return Err(PdfError::Syntax {
                        offset: data_end,
                        reason: "endstream not followed by endobj",
                    });
                }
                let stream = Stream {
                    dict,
                    data: StreamData {
                        offset: data_offset,
                        len,
                    },
                };
                Ok((r, Object::Stream(stream), data_end + p.pos as u64))
            }
        }
    }
}

enum Body {
    Plain(Object),
    Stream(Dict),
}

/// Parses `N G obj <object> endobj`, or up to the start of stream data; returns the bytes
/// consumed (for a stream: up to its first data byte).
fn parse_indirect(buf: &[u8], at_eof: bool) -> std::result::Result<(ObjRef, Body, usize), PErr> {
    let mut p = Parser::new(buf, at_eof);
    let r = p.object_header()?;
    let obj = p.object(0)?;
    if p.eat_keyword(b"endobj")? {
        return Ok((r, Body::Plain(obj), p.pos));
    }
    if p.eat_keyword(b"stream")? {
        let Object::Dict(dict) = obj else {
            return Err(PErr::Syntax(p.pos, "stream without a dictionary"));
        };
        // `stream` is followed by CRLF or LF, never CR alone (§7.3.8.1).
        match (p.peek(), buf.get(p.pos + 1)) {
            (Some(b'\n'), _) => p.pos += 1,
            (Some(b'\r'), Some(b'\n')) => p.pos += 2,
            (None, _) | (Some(b'\r'), None) if !at_eof => return Err(PErr::NeedMore),
            _ => {
                return Err(PErr::Syntax(
                    p.pos,
                    "`stream` not followed by an end of line",
                ))
            }
        }
        return Ok((r, Body::Stream(dict), p.pos));
    }
    Err(PErr::Syntax(p.pos, "expected `endobj` or `stream`"))
}

fn lift(e: PErr, base: u64) -> PdfError {
    match e {
        PErr::NeedMore => PdfError::Syntax {
            offset: base,
            reason: "object runs past the end of the file",
        },
        PErr::Syntax(pos, reason) => PdfError::Syntax {
            offset: base + pos as u64,
            reason,
        },
        PErr::TooDeep(_) => PdfError::LimitExceeded {
            what: "nesting depth of arrays and dictionaries",
            limit: MAX_NESTING as u64,
        },
    }
}

/// After merging a hybrid section, keeps one entry per number, preferring an in-use one.
fn dedup_prefer_used(entries: &mut Vec<(u32, XrefEntry)>) {
    let mut out: Vec<(u32, XrefEntry)> = Vec::with_capacity(entries.len());
    for &(num, e) in entries.iter() {
        match out.last_mut() {
            Some((n, prev)) if *n == num => {
                if matches!(prev, XrefEntry::Free { .. }) {
                    *prev = e;
                }
            }
            _ => out.push((num, e)),
        }
    }
    *entries = out;
}

fn empty_dict() -> &'static Dict {
    static EMPTY: std::sync::OnceLock<Dict> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Dict::new)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Length of the end-of-line at `at`: 2 for CRLF, 1 for LF or CR, else 0.
fn eol_len(buf: &[u8], at: usize) -> usize {
    match (buf.get(at), buf.get(at + 1)) {
        (Some(b'\r'), Some(b'\n')) => 2,
        (Some(b'\r'), _) | (Some(b'\n'), _) => 1,
        _ => 0,
    }
}

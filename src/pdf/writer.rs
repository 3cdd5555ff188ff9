//! Incremental updates (ISO 32000-1 §7.5.6): new and changed objects appended after the
//! original bytes, which are never modified, with a cross-reference section of the same kind as
//! the previous one and a trailer that continues the `/Prev` chain.

use std::collections::BTreeMap;
use std::ops::Range;

use super::error::{PdfError, Result};
use super::limits::{BYTE_RANGE_DIGITS, MAX_OBJECTS, MAX_SIGNATURE_CONTENTS};
use super::object::{write_dict, Dict, ObjRef, Object, PdfString};
use super::source::ByteSource;
use super::xref::XrefKind;
use super::Document;

/// An object waiting to be written.
#[derive(Debug, Clone)]
enum Pending {
    Object(u16, Object),
    Stream(u16, Dict, Vec<u8>),
    /// A signature dictionary with placeholders; the usize is the `/Contents` capacity in bytes.
    Signature(Dict, usize),
}

/// A signature form field to add (ISO 32000-1 §12.7.4.5), merged with its widget annotation.
#[derive(Debug, Clone)]
pub struct SignatureField<'a> {
    /// The field's partial name (`/T`), unique among the top-level fields.
    pub name: &'a str,
    /// Zero-based page index of the widget.
    pub page: usize,
    /// The widget rectangle in default user space; `[0 0 0 0]` for an invisible signature.
    pub rect: [f64; 4],
    /// The normal appearance stream (`/AP /N`), if the signature is drawn.
    pub appearance: Option<ObjRef>,
    /// The signature dictionary (`/V`), usually from
    /// [`IncrementalWriter::add_signature_dictionary`].
    pub value: Option<ObjRef>,
}

/// Collects the objects of one incremental update of `doc`.
pub struct IncrementalWriter<'d, S> {
    doc: &'d Document<S>,
    next_num: u32,
    pending: BTreeMap<u32, Pending>,
    signature: Option<u32>,
}

/// Where the signature placeholder ended up in the updated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignaturePlaceholder {
    /// The `/ByteRange` written: `[0, contents_start, contents_end, len - contents_end]`.
    pub byte_range: [u64; 4],
    /// Offset of the `<` that opens the `/Contents` hex string.
    pub contents_start: u64,
    /// Offset just past the `>` that closes it.
    pub contents_end: u64,
}

impl SignaturePlaceholder {
    /// How many bytes of signature the hex string can hold.
    pub fn capacity(&self) -> usize {
        usize::try_from(
            self.contents_end
                .saturating_sub(self.contents_start)
                .saturating_sub(2)
                / 2,
        )
        .unwrap_or(0)
    }
}

/// The bytes to append to the original document, and where its signature placeholder is.
#[derive(Debug, Clone)]
pub struct IncrementalUpdate {
    /// Length of the original document, i.e. the offset at which `bytes` start.
    pub base_len: u64,
    /// The bytes to append.
    pub bytes: Vec<u8>,
    /// The signature placeholder, if the update has a signature dictionary.
    pub signature: Option<SignaturePlaceholder>,
}

impl IncrementalUpdate {
    /// Length of the updated document.
    pub fn total_len(&self) -> u64 {
        self.base_len + self.bytes.len() as u64
    }

    /// The parts of [`bytes`](Self::bytes) covered by the byte range: the signed data is the
    /// original document, then `bytes[first]`, then `bytes[second]`.
    pub fn signed_parts(&self) -> Option<(Range<usize>, Range<usize>)> {
        let sig = self.signature?;
        let cs = usize::try_from(sig.contents_start.checked_sub(self.base_len)?).ok()?;
        let ce = usize::try_from(sig.contents_end.checked_sub(self.base_len)?).ok()?;
        if cs > ce || ce > self.bytes.len() {
            return None;
        }
        Some((0..cs, ce..self.bytes.len()))
    }

    /// Writes `signature` (DER) as hex into the `/Contents` placeholder, zero-padded. The
    /// length of the update does not change, so the byte range stays valid.
    pub fn embed_signature(&mut self, signature: &[u8]) -> Result<()> {
        let sig = self
            .signature
            .ok_or(PdfError::Writer("the update has no signature placeholder"))?;
        if signature.len() > sig.capacity() {
            return Err(PdfError::Writer(
                "signature larger than the /Contents placeholder",
            ));
        }
        let start = sig
            .contents_start
            .checked_sub(self.base_len)
            .and_then(|o| usize::try_from(o + 1).ok())
            .ok_or(PdfError::Writer("placeholder offset"))?;
        let hex = hex::encode_upper(signature);
        let slot = self
            .bytes
            .get_mut(start..start.saturating_add(2 * sig.capacity()))
            .ok_or(PdfError::Writer("placeholder outside the update"))?;
        // Zero first, so a shorter signature written after a longer one leaves no trace of it.
        slot.fill(b'0');
        let head = slot
            .get_mut(..hex.len())
            .ok_or(PdfError::Writer("placeholder outside the update"))?;
        head.copy_from_slice(hex.as_bytes());
        Ok(())
    }
}

impl<'d, S: ByteSource> IncrementalWriter<'d, S> {
    /// Starts an update of `doc`. Refuses a document that [needs repair](Document::needs_repair)
    /// (a signature on it would never verify) and one without `/Size` or `/Root` in its newest
    /// trailer, since the update could not continue it.
    pub fn new(doc: &'d Document<S>) -> Result<Self> {
        if let Some(d) = doc.diagnostics().iter().find(|d| d.needs_repair()) {
            return Err(PdfError::Structure(format!(
                "the document needs repair and cannot be updated: {d}"
            )));
        }
        let size = doc
            .trailer()
            .get_int("Size")
            .and_then(|s| u32::try_from(s).ok())
            .filter(|s| *s > 0 && *s <= MAX_OBJECTS)
            .ok_or_else(|| {
                PdfError::Structure(format!(
                    "newest trailer has no /Size between 1 and {MAX_OBJECTS}"
                ))
            })?;
        if doc.trailer().get_ref("Root").is_none() {
            return Err(PdfError::Structure(
                "newest trailer has no /Root reference".into(),
            ));
        }
        // New numbers start above every number any section uses, whatever /Size says.
        let highest = doc
            .sections()
            .iter()
            .filter_map(|s| s.entries().last())
            .map(|(n, _)| *n)
            .max()
            .unwrap_or(0);
        let next_num = size.max(highest.saturating_add(1));
        Ok(IncrementalWriter {
            doc,
            next_num,
            pending: BTreeMap::new(),
            signature: None,
        })
    }

    /// The catalog's reference, for updates that add catalog entries (`/Perms` of a
    /// certification signature, `/DSS`): read it with [`current`](Self::current), change it,
    /// and [`replace_object`](Self::replace_object) it.
    pub fn catalog_ref(&self) -> Result<ObjRef> {
        self.doc
            .trailer()
            .get_ref("Root")
            .ok_or_else(|| PdfError::Structure("newest trailer has no /Root reference".into()))
    }

    fn allocate(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next_num, 0);
        self.next_num += 1;
        r
    }

    /// Adds a new object and returns its reference.
    pub fn add_object(&mut self, obj: impl Into<Object>) -> ObjRef {
        let r = self.allocate();
        self.pending.insert(r.num, Pending::Object(0, obj.into()));
        r
    }

    /// Adds a new stream (e.g. an appearance form XObject or an image); `/Length` is set from
    /// `data`, which is written as given (already encoded if `dict` names a filter).
    pub fn add_stream(&mut self, dict: Dict, data: Vec<u8>) -> ObjRef {
        let r = self.allocate();
        self.pending.insert(r.num, Pending::Stream(0, dict, data));
        r
    }

    /// Gives object `r` a new body in this update.
    pub fn replace_object(&mut self, r: ObjRef, obj: impl Into<Object>) {
        self.pending
            .insert(r.num, Pending::Object(r.gen, obj.into()));
    }

    /// Adds the signature dictionary: `entries` (e.g. `/Type /Sig`, `/Filter`, `/SubFilter`,
    /// `/M`, `/Reason`) followed by a fixed-width `/ByteRange` placeholder and a `/Contents`
    /// hex string of `contents_capacity` zero bytes. Both are filled in by
    /// [`finish`](Self::finish) and [`IncrementalUpdate::embed_signature`]. One per update.
    pub fn add_signature_dictionary(
        &mut self,
        entries: Dict,
        contents_capacity: usize,
    ) -> Result<ObjRef> {
        if self.signature.is_some() {
            return Err(PdfError::Writer("one signature dictionary per update"));
        }
        if entries.contains("ByteRange") || entries.contains("Contents") {
            return Err(PdfError::Writer(
                "/ByteRange and /Contents are written by the writer",
            ));
        }
        if contents_capacity == 0 || contents_capacity > MAX_SIGNATURE_CONTENTS {
            return Err(PdfError::Writer("signature capacity out of range"));
        }
        let r = self.allocate();
        self.pending
            .insert(r.num, Pending::Signature(entries, contents_capacity));
        self.signature = Some(r.num);
        Ok(r)
    }

    /// The current body of `r`: pending in this update, else from the document.
    pub fn current(&self, r: ObjRef) -> Result<Object> {
        match self.pending.get(&r.num) {
            Some(Pending::Object(_, o)) => Ok(o.clone()),
            Some(Pending::Stream(..)) | Some(Pending::Signature(..)) => Err(PdfError::Writer(
                "a stream or signature added in this update cannot be edited",
            )),
            None => self.doc.object(r),
        }
    }

    fn current_dict(&self, r: ObjRef, what: &str) -> Result<Dict> {
        match self.current(r)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(_) => Err(PdfError::Structure(format!(
                "{what} is a stream, which cannot be rewritten"
            ))),
            _ => Err(PdfError::Structure(format!(
                "{what} ({r}) is not a dictionary"
            ))),
        }
    }

    /// Adds a signature field with its widget on a page: appends the widget to the page's
    /// `/Annots` (inline or indirect array, created if absent), and the field to the AcroForm's
    /// `/Fields` (AcroForm inline or indirect, created if absent) with `/SigFlags` 3
    /// (SignaturesExist, AppendOnly). Only the objects that must change are rewritten.
    pub fn add_signature_field(&mut self, field: &SignatureField<'_>) -> Result<ObjRef> {
        let pages = self.doc.pages()?;
        let page_ref = *pages.get(field.page).ok_or_else(|| {
            PdfError::Structure(format!(
                "no page {} (the document has {})",
                field.page + 1,
                pages.len()
            ))
        })?;
        let root = self.catalog_ref()?;
        let mut catalog = self.current_dict(root, "the catalog")?;

        let mut widget = Dict::new();
        widget.set("Type", Object::name("Annot"));
        widget.set("Subtype", Object::name("Widget"));
        widget.set("FT", Object::name("Sig"));
        widget.set("T", PdfString::text(field.name));
        // Print (4) + Locked (128): printed, and not movable or deletable in viewers.
        widget.set("F", 132i64);
        widget.set(
            "Rect",
            Object::Array(field.rect.iter().map(|v| Object::Real(*v)).collect()),
        );
        widget.set("P", page_ref);
        if let Some(ap) = field.appearance {
            let mut ap_dict = Dict::new();
            ap_dict.set("N", ap);
            widget.set("AP", ap_dict);
        }
        if let Some(v) = field.value {
            widget.set("V", v);
        }

        // AcroForm first: a duplicate field name is refused before anything is allocated.
        let acroform_slot = catalog.get("AcroForm").cloned();
        let mut acroform = match &acroform_slot {
            None | Some(Object::Null) => Dict::new(),
            Some(Object::Dict(d)) => d.clone(),
            Some(Object::Ref(r)) => self.current_dict(*r, "the AcroForm")?,
            Some(_) => {
                return Err(PdfError::Structure(
                    "/AcroForm is neither a dictionary nor a reference".into(),
                ))
            }
        };
        let fields_slot = acroform.get("Fields").cloned();
        let mut fields = match &fields_slot {
            None | Some(Object::Null) => Vec::new(),
            Some(Object::Array(a)) => a.clone(),
            Some(Object::Ref(r)) => match self.current(*r)? {
                Object::Array(a) => a,
                _ => return Err(PdfError::Structure("/Fields is not an array".into())),
            },
            Some(_) => return Err(PdfError::Structure("/Fields is not an array".into())),
        };
        for f in &fields {
            let name = match f {
                Object::Ref(r) => self
                    .current(*r)?
                    .as_dict()
                    .and_then(|d| d.get("T").cloned()),
                _ => None,
            };
            if name
                .as_ref()
                .and_then(Object::as_string)
                .map(|s| s.bytes.as_slice())
                == Some(PdfString::text(field.name).bytes.as_slice())
            {
                return Err(PdfError::Structure(format!(
                    "a field named {:?} already exists",
                    field.name
                )));
            }
        }

        let widget_ref = self.add_object(widget);

        // The page's /Annots.
        let mut page = self.current_dict(page_ref, "the page")?;
        match page.get("Annots").cloned() {
            None | Some(Object::Null) => {
                page.set("Annots", vec![Object::Ref(widget_ref)]);
                self.replace_object(page_ref, page);
            }
            Some(Object::Array(mut a)) => {
                a.push(Object::Ref(widget_ref));
                page.set("Annots", a);
                self.replace_object(page_ref, page);
            }
            Some(Object::Ref(r)) => match self.current(r)? {
                Object::Array(mut a) => {
                    a.push(Object::Ref(widget_ref));
                    self.replace_object(r, a);
                }
                _ => {
                    return Err(PdfError::Structure(
                        "the page's /Annots is not an array".into(),
                    ))
                }
            },
            Some(_) => {
                return Err(PdfError::Structure(
                    "the page's /Annots is not an array".into(),
                ))
            }
        }

        fields.push(Object::Ref(widget_ref));
        let mut fields_inline = true;
        if let Some(Object::Ref(r)) = fields_slot {
            self.replace_object(r, fields.clone());
            fields_inline = false;
        }
        if fields_inline {
            acroform.set("Fields", fields);
        }
        let flags = acroform.get_int("SigFlags").unwrap_or(0) | 3;
        let acroform_changed = fields_inline || acroform.get_int("SigFlags") != Some(flags);
        acroform.set("SigFlags", flags);
        match acroform_slot {
            Some(Object::Ref(r)) => {
                if acroform_changed {
                    self.replace_object(r, acroform);
                }
            }
            Some(Object::Dict(_)) => {
                catalog.set("AcroForm", acroform);
                self.replace_object(root, catalog);
            }
            _ => {
                let af = self.add_object(acroform);
                catalog.set("AcroForm", af);
                self.replace_object(root, catalog);
            }
        }
        Ok(widget_ref)
    }

    /// Serializes the update. The original bytes are not needed (only their length and last
    /// byte); the caller writes them unchanged, then [`IncrementalUpdate::bytes`].
    pub fn finish(mut self) -> Result<IncrementalUpdate> {
        let base = self.doc.len();
        let mut out = Vec::new();
        let mut last = [0u8; 1];
        if base > 0 {
            self.doc.source().read_exact_at(base - 1, &mut last)?;
        }
        if !matches!(last[0], b'\n' | b'\r') {
            out.push(b'\n');
        }
        let kind = self
            .doc
            .revisions()
            .last()
            .map(|r| r.kind)
            .unwrap_or(XrefKind::Table);
        let xref_stream = if kind == XrefKind::Stream {
            Some(self.allocate())
        } else {
            None
        };
        let mut offsets: BTreeMap<u32, (u64, u16)> = BTreeMap::new();
        let mut sig_spots: Option<(usize, usize, usize)> = None;
        for (num, p) in &self.pending {
            let gen = match p {
                Pending::Object(g, _) | Pending::Stream(g, _, _) => *g,
                Pending::Signature(..) => 0,
            };
            offsets.insert(*num, (base + out.len() as u64, gen));
            out.extend_from_slice(format!("{num} {gen} obj\n").as_bytes());
            match p {
                Pending::Object(_, o) => o.write_to(&mut out),
                Pending::Stream(_, d, data) => {
                    let mut d = d.clone();
                    d.set("Length", data.len() as i64);
                    write_dict(&d, &mut out);
                    out.extend_from_slice(b"\nstream\n");
                    out.extend_from_slice(data);
                    out.extend_from_slice(b"\nendstream");
                }
                Pending::Signature(d, cap) => {
                    let mut body = Vec::new();
                    write_dict(d, &mut body);
                    body.truncate(body.len().saturating_sub(2));
                    out.extend_from_slice(&body);
                    out.extend_from_slice(b"/ByteRange ");
                    let br = out.len();
                    out.extend_from_slice(byte_range_placeholder().as_bytes());
                    out.extend_from_slice(b"/Contents ");
                    let cs = out.len();
                    out.push(b'<');
                    out.resize(out.len() + 2 * cap, b'0');
                    out.push(b'>');
                    let ce = out.len();
                    out.extend_from_slice(b">>");
                    sig_spots = Some((br, cs, ce));
                }
            }
            out.extend_from_slice(b"\nendobj\n");
        }

        let prev = self.doc.startxref();
        let old = self.doc.trailer();
        let xref_offset = base + out.len() as u64;
        let mut trailer = Dict::new();
        let size = self.next_num.max(
            old.get_int("Size")
                .and_then(|s| u32::try_from(s).ok())
                .unwrap_or(0),
        );
        trailer.set("Size", i64::from(size));
        for key in ["Root", "Info", "ID"] {
            if let Some(v) = old.get(key) {
                trailer.set(key, v.clone());
            }
        }
        trailer.set("Prev", prev as i64);
        match xref_stream {
            None => write_table(&offsets, &trailer, &mut out),
            Some(r) => {
                offsets.insert(r.num, (xref_offset, 0));
                write_xref_stream(r, &offsets, trailer, base + out.len() as u64 + 64, &mut out);
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());

        let signature = match sig_spots {
            None => None,
            Some((br, cs, ce)) => {
                let total = base + out.len() as u64;
                let (cs_abs, ce_abs) = (base + cs as u64, base + ce as u64);
                let range = [0, cs_abs, ce_abs, total - ce_abs];
                let text = format_byte_range(&range);
                let slot = out
                    .get_mut(br..br + text.len())
                    .ok_or(PdfError::Writer("byte range placeholder"))?;
                slot.copy_from_slice(text.as_bytes());
                Some(SignaturePlaceholder {
                    byte_range: range,
                    contents_start: cs_abs,
                    contents_end: ce_abs,
                })
            }
        };
        Ok(IncrementalUpdate {
            base_len: base,
            bytes: out,
            signature,
        })
    }
}

/// `[0 0000000000 0000000000 0000000000]`: fixed width so the real values fit in place.
fn byte_range_placeholder() -> String {
    let zeros = "0".repeat(BYTE_RANGE_DIGITS);
    format!("[0 {zeros} {zeros} {zeros}]")
}

/// The actual byte range, left-aligned and padded with spaces to the placeholder's width.
fn format_byte_range(r: &[u64; 4]) -> String {
    let width = byte_range_placeholder().len();
    let mut s = format!("[{} {} {} {}", r[0], r[1], r[2], r[3]);
    while s.len() < width - 1 {
        s.push(' ');
    }
    s.push(']');
    s
}

/// Contiguous runs of object numbers, for `xref` subsections and `/Index`.
fn runs(offsets: &BTreeMap<u32, (u64, u16)>) -> Vec<(u32, Vec<(u64, u16)>)> {
    let mut out: Vec<(u32, Vec<(u64, u16)>)> = Vec::new();
    for (&num, &e) in offsets {
        match out.last_mut() {
            Some((start, items)) if *start + items.len() as u32 == num => items.push(e),
            _ => out.push((num, vec![e])),
        }
    }
    out
}

fn write_table(offsets: &BTreeMap<u32, (u64, u16)>, trailer: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"xref\n");
    for (start, items) in runs(offsets) {
        out.extend_from_slice(format!("{start} {}\n", items.len()).as_bytes());
        for (off, gen) in items {
            out.extend_from_slice(format!("{off:010} {gen:05} n\r\n").as_bytes());
        }
    }
    out.extend_from_slice(b"trailer\n");
    write_dict(trailer, out);
    out.push(b'\n');
}

fn write_xref_stream(
    r: ObjRef,
    offsets: &BTreeMap<u32, (u64, u16)>,
    mut dict: Dict,
    max_offset: u64,
    out: &mut Vec<u8>,
) {
    let width = (1..=8u32)
        .find(|w| *w == 8 || max_offset < 1u64 << (8 * w))
        .unwrap_or(8)
        .max(4);
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (start, items) in runs(offsets) {
        index.push(Object::Integer(i64::from(start)));
        index.push(Object::Integer(items.len() as i64));
        for (off, gen) in items {
            data.push(1u8);
            data.extend_from_slice(
                off.to_be_bytes()
                    .get(8 - width as usize..)
                    .unwrap_or_default(),
            );
            data.extend_from_slice(&gen.to_be_bytes());
        }
    }
    let size = dict.get_int("Size").unwrap_or(0).max(i64::from(r.num) + 1);
    dict.set("Size", size);
    dict.set("Type", Object::name("XRef"));
    dict.set("Index", index);
    dict.set(
        "W",
        vec![
            Object::Integer(1),
            Object::Integer(i64::from(width)),
            Object::Integer(2),
        ],
    );
    dict.set("Length", data.len() as i64);
    out.extend_from_slice(format!("{} 0 obj\n", r.num).as_bytes());
    write_dict(&dict, out);
    out.extend_from_slice(b"\nstream\n");
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
}

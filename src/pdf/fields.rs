//! The signature fields of an interactive form (ISO 32000-1 §12.7.3, §12.7.4.5).

use std::collections::HashSet;

use super::error::{PdfError, Result};
use super::limits::{MAX_FIELDS, MAX_FIELD_DEPTH};
use super::object::{ObjRef, Object};
use super::source::ByteSource;
use super::Document;

/// One signature field as of a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFieldInfo {
    /// The fully qualified name: the `/T` of the field and its ancestors joined by `.`, each
    /// decoded as a text string (UTF-16BE with a byte-order mark, else byte for byte).
    pub name: String,
    /// The field dictionary (also the widget when they are merged).
    pub field: ObjRef,
    /// The signature dictionary (`/V`), absent for an unsigned field.
    pub value: Option<ObjRef>,
}

impl<S: ByteSource> Document<S> {
    /// The signature fields (`/FT /Sig`, possibly inherited) of revision `rev`, walking the
    /// AcroForm's `/Fields` and their `/Kids` in order, with loop detection and the bounds
    /// [`MAX_FIELDS`] and [`MAX_FIELD_DEPTH`]. A document without an AcroForm has none.
    pub fn signature_fields_in(&self, rev: usize) -> Result<Vec<SignatureFieldInfo>> {
        let (_, catalog) = self.catalog_in(rev)?;
        let Some(af) = catalog.get("AcroForm") else {
            return Ok(Vec::new());
        };
        let af = match self.resolve_in(rev, af)? {
            Object::Dict(d) => d,
            Object::Null => return Ok(Vec::new()),
            _ => return Err(PdfError::Structure("/AcroForm is not a dictionary".into())),
        };
        let fields = match af.get("Fields") {
            None => return Ok(Vec::new()),
            Some(f) => self.resolve_in(rev, f)?,
        };
        let roots = fields
            .as_array()
            .ok_or_else(|| PdfError::Structure("/Fields is not an array".into()))?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        // (field, parent's qualified name, inherited /FT, depth); reversed so output keeps order.
        let mut stack: Vec<(ObjRef, String, Option<Vec<u8>>, usize)> = roots
            .iter()
            .rev()
            .filter_map(Object::as_ref)
            .map(|r| (r, String::new(), None, 0))
            .collect();
        while let Some((r, parent, inherited_ft, depth)) = stack.pop() {
            if depth > MAX_FIELD_DEPTH {
                return Err(PdfError::LimitExceeded {
                    what: "form field depth",
                    limit: MAX_FIELD_DEPTH as u64,
                });
            }
            if !seen.insert(r) {
                return Err(PdfError::Structure(format!("form field tree loops at {r}")));
            }
            if seen.len() > MAX_FIELDS {
                return Err(PdfError::LimitExceeded {
                    what: "form fields",
                    limit: MAX_FIELDS as u64,
                });
            }
            let d = self.dict_in(rev, &Object::Ref(r), "a form field")?;
            let partial = d
                .get("T")
                .and_then(Object::as_string)
                .map(|s| text_string(&s.bytes));
            let name = match (parent.is_empty(), partial) {
                (_, None) => parent.clone(),
                (true, Some(t)) => t,
                (false, Some(t)) => format!("{parent}.{t}"),
            };
            let ft = d.get_name("FT").map(<[u8]>::to_vec).or(inherited_ft);
            let kids = match d.get("Kids") {
                Some(k) => self.resolve_in(rev, k)?,
                None => Object::Null,
            };
            // Kids without /T are widgets of this field, not fields of their own.
            let field_kids: Vec<ObjRef> = match kids.as_array() {
                Some(items) => {
                    let mut v = Vec::new();
                    for k in items.iter().filter_map(Object::as_ref) {
                        let kd = self.dict_in(rev, &Object::Ref(k), "a form field")?;
                        if kd.contains("T") {
                            v.push(k);
                        }
                    }
                    v
                }
                None => Vec::new(),
            };
            if field_kids.is_empty() {
                if ft.as_deref() == Some(b"Sig") {
                    out.push(SignatureFieldInfo {
                        name,
                        field: r,
                        value: d.get_ref("V"),
                    });
                }
            } else {
                for k in field_kids.into_iter().rev() {
                    stack.push((k, name.clone(), ft.clone(), depth + 1));
                }
            }
        }
        Ok(out)
    }

    /// The signature fields of the newest revision.
    pub fn signature_fields(&self) -> Result<Vec<SignatureFieldInfo>> {
        self.signature_fields_in(self.last_revision())
    }
}

/// Decodes a text string (§7.9.2.2): UTF-16BE after a byte-order mark, else bytes as Latin-1
/// (PDFDocEncoding agrees with it on the printable range).
fn text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xfe, 0xff]) {
        Some(rest) => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| match c {
                    [a, b] => u16::from_be_bytes([*a, *b]),
                    _ => 0xfffd,
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

//! The interactive form's fields (ISO 32000-1 §12.7.3): walking the `/Fields` tree of the
//! AcroForm to find signature fields and the names in use.

use std::collections::HashSet;

use crate::pdf::{ByteSource, Dict, Document, ObjRef, Object, PdfError};

/// Most fields walked in one document: a decision carries a handful of signature fields; a
/// form with more than this is not something kyso signs or verifies.
pub const MAX_FIELDS: usize = 10_000;
/// Deepest `/Kids` nesting followed; real forms nest a few levels.
pub const MAX_FIELD_DEPTH: usize = 32;

/// One terminal field of the form.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    /// Fully qualified name (`parent.child`).
    pub name: String,
    /// The field dictionary, when indirect.
    pub field: Option<ObjRef>,
    /// The field type (`/FT`, inherited), e.g. `Sig`.
    pub field_type: Option<Vec<u8>>,
    /// The value (`/V`), when it is an indirect reference (as a signature value must be).
    pub value_ref: Option<ObjRef>,
    /// Whether `/V` is present at all.
    pub has_value: bool,
}

pub(super) fn text(obj: Option<&Object>) -> Option<String> {
    let s = obj?.as_string()?;
    let b = &s.bytes;
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(b.iter().map(|&c| char::from(c)).collect())
    }
}

/// The terminal fields of the form as of revision `rev`, in document order.
pub fn fields_in<S: ByteSource>(doc: &Document<S>, rev: usize) -> Result<Vec<FieldInfo>, PdfError> {
    let (_, catalog) = doc.catalog_in(rev)?;
    let Some(af) = catalog.get("AcroForm") else {
        return Ok(Vec::new());
    };
    let acroform = match doc.resolve_in(rev, af)? {
        Object::Dict(d) => d,
        _ => return Ok(Vec::new()),
    };
    let top = match acroform.get("Fields") {
        Some(f) => doc.resolve_in(rev, f)?,
        None => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // (object, parent name, inherited FT, depth)
    let mut stack: Vec<(Object, String, Option<Vec<u8>>, usize)> = top
        .as_array()
        .unwrap_or_default()
        .iter()
        .rev()
        .map(|o| (o.clone(), String::new(), None, 0))
        .collect();
    let mut visited = 0usize;
    while let Some((obj, parent, ft, depth)) = stack.pop() {
        visited += 1;
        if visited > MAX_FIELDS {
            return Err(PdfError::LimitExceeded {
                what: "form fields",
                limit: MAX_FIELDS as u64,
            });
        }
        if depth > MAX_FIELD_DEPTH {
            return Err(PdfError::LimitExceeded {
                what: "form field depth",
                limit: MAX_FIELD_DEPTH as u64,
            });
        }
        let field_ref = obj.as_ref();
        if let Some(r) = field_ref {
            if !seen.insert(r) {
                continue;
            }
        }
        let dict: Dict = match doc.resolve_in(rev, &obj)? {
            Object::Dict(d) => d,
            _ => continue,
        };
        let partial = text(dict.get("T"));
        let name = match (&partial, parent.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{parent}.{p}"),
            (None, _) => parent.clone(),
        };
        let ft = dict.get_name("FT").map(<[u8]>::to_vec).or(ft);
        let kids: Vec<Object> = match dict.get("Kids") {
            Some(k) => doc
                .resolve_in(rev, k)?
                .as_array()
                .unwrap_or_default()
                .to_vec(),
            None => Vec::new(),
        };
        // Kids that carry a /T are fields; kids without one are widgets of this field.
        let mut field_kids = Vec::new();
        for k in &kids {
            if let Object::Dict(kd) = doc.resolve_in(rev, k)? {
                if kd.contains("T") {
                    field_kids.push(k.clone());
                }
            }
        }
        if field_kids.is_empty() {
            out.push(FieldInfo {
                name,
                field: field_ref,
                field_type: ft,
                value_ref: dict.get("V").and_then(Object::as_ref),
                has_value: dict.get("V").is_some_and(|v| !matches!(v, Object::Null)),
            });
        } else {
            for k in field_kids.into_iter().rev() {
                stack.push((k, name.clone(), ft.clone(), depth + 1));
            }
        }
    }
    Ok(out)
}

/// The signature fields (`/FT /Sig`) of revision `rev`.
pub fn signature_fields<S: ByteSource>(
    doc: &Document<S>,
    rev: usize,
) -> Result<Vec<FieldInfo>, PdfError> {
    Ok(fields_in(doc, rev)?
        .into_iter()
        .filter(|f| f.field_type.as_deref() == Some(b"Sig"))
        .collect())
}

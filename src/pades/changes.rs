//! What changed after a signature, judged object by object against the allow-list of
//! DESIGN.md (in the manner of pyHanko's difference analysis): every object a later revision
//! defines is given a role from the revision before it (catalog, AcroForm, field list, page,
//! annotation list, form field, validation data…), and only the changes that role allows pass.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::fields::fields_in;
use crate::pdf::{ByteSource, Dict, Document, ObjRef, Object, PdfError, XrefEntry};

/// Most objects walked under `/DSS`: validation data for a few signatures holds tens of
/// certificates, CRLs and OCSP responses.
const MAX_DSS_OBJECTS: usize = 10_000;

/// Most revisions analysed after one signature. Each analysis walks the page tree of the
/// revision before it; a decision carries a few signatures, document timestamps and LTV
/// updates, so a file with more revisions than this after a signature is refused rather than
/// letting its work grow with revisions × pages × signatures.
pub const MAX_REVISIONS_AFTER: usize = 100;

/// The kinds of change after a signature, from harmless to fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Changes {
    None,
    /// Validation data (`/DSS`, `/VRI`) and document timestamps.
    LtvOnly,
    /// New signature fields signed in the same revision; existing fields filled.
    FormFill,
    /// Annotations other than signed signature widgets.
    Annotations,
    /// Anything else: the signature fails.
    Other,
}

/// The outcome of the analysis for one signature.
#[derive(Debug, Clone)]
pub struct ChangeAnalysis {
    /// The most serious kind of change found.
    pub level: Changes,
    /// Why the signature fails because of the changes (OTHER, or beyond the DocMDP
    /// permission), naming the object, page and key.
    pub violation: Option<String>,
    /// What was changed, for the report.
    pub notes: Vec<String>,
}

/// The certification signature's dictionary and DocMDP `/P` (ISO 32000-1 §12.8.2.2), from
/// the catalog's `/Perms`.
pub fn docmdp_permission<S: ByteSource>(
    doc: &Document<S>,
) -> Result<Option<(ObjRef, i64)>, PdfError> {
    let last = doc.last_revision();
    let (_, catalog) = doc.catalog_in(last)?;
    let Some(perms) = catalog.get("Perms") else {
        return Ok(None);
    };
    let perms = doc.dict_in(last, perms, "/Perms")?;
    let Some(sig_ref) = perms.get_ref("DocMDP") else {
        return Ok(None);
    };
    let sig = doc.dict_in(last, &Object::Ref(sig_ref), "the certification signature")?;
    let mut p = 2;
    for params in transform_params(doc, last, &sig, b"DocMDP")? {
        p = params.get_int("P").unwrap_or(2);
    }
    Ok(Some((sig_ref, p)))
}

/// The `/TransformParams` of the signature references (`/Reference`, ISO 32000-1 Table 253)
/// of signature dictionary `sig` whose `/TransformMethod` is `method`, in order.
fn transform_params<S: ByteSource>(
    doc: &Document<S>,
    rev: usize,
    sig: &Dict,
    method: &[u8],
) -> Result<Vec<Dict>, PdfError> {
    let mut out = Vec::new();
    if let Some(refs) = sig.get("Reference") {
        let refs = doc.resolve_in(rev, refs)?;
        for r in refs.as_array().unwrap_or_default() {
            let r = doc.dict_in(rev, r, "a signature reference")?;
            if r.get_name("TransformMethod") == Some(method) {
                if let Some(params) = r.get("TransformParams") {
                    out.push(doc.dict_in(rev, params, "/TransformParams")?);
                }
            }
        }
    }
    Ok(out)
}

/// Most field names read from one `/Fields` array of a lock: a form has at most
/// [`MAX_FIELDS`](super::fields::MAX_FIELDS) fields, so a longer list names nothing more.
const MAX_LOCKED_NAMES: usize = super::fields::MAX_FIELDS;

/// The fields a signature locks (FieldMDP, ISO 32000-1 §12.8.2.4 and Table 233): after the
/// signature, changing the value of a locked field fails it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldLock {
    /// `/Action /All`: every field.
    All,
    /// `/Action /Include`: the fields named (fully qualified names).
    Include(Vec<String>),
    /// `/Action /Exclude`: every field except those named.
    Exclude(Vec<String>),
}

impl FieldLock {
    /// Whether the field of this fully qualified name is locked. Naming a parent field locks
    /// its descendants too (§12.7.3.2: a name covers the subtree).
    pub fn locks(&self, name: &str) -> bool {
        let named = |list: &[String]| {
            list.iter().any(|n| {
                name == n
                    || name
                        .strip_prefix(n.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        };
        match self {
            FieldLock::All => true,
            FieldLock::Include(list) => named(list),
            FieldLock::Exclude(list) => !named(list),
        }
    }

    /// Both locks together: a field is locked if either locks it.
    fn union(self, other: FieldLock) -> FieldLock {
        match (self, other) {
            (FieldLock::All, _) | (_, FieldLock::All) => FieldLock::All,
            (FieldLock::Include(mut a), FieldLock::Include(b)) => {
                a.extend(b);
                FieldLock::Include(a)
            }
            (FieldLock::Exclude(a), FieldLock::Exclude(b)) => {
                FieldLock::Exclude(a.into_iter().filter(|n| b.contains(n)).collect())
            }
            (FieldLock::Include(inc), FieldLock::Exclude(exc))
            | (FieldLock::Exclude(exc), FieldLock::Include(inc)) => {
                FieldLock::Exclude(exc.into_iter().filter(|n| !inc.contains(n)).collect())
            }
        }
    }
}

/// Reads a lock dictionary or FieldMDP transform parameters (`/Action`, `/Fields`). An
/// action this reader does not know locks everything: a lock is never loosened by misreading.
fn read_lock<S: ByteSource>(
    doc: &Document<S>,
    rev: usize,
    d: &Dict,
) -> Result<FieldLock, PdfError> {
    let mut names = Vec::new();
    if let Some(fields) = d.get("Fields") {
        let fields = doc.resolve_in(rev, fields)?;
        for f in fields
            .as_array()
            .unwrap_or_default()
            .iter()
            .take(MAX_LOCKED_NAMES)
        {
            if let Some(name) = super::fields::text(Some(&doc.resolve_in(rev, f)?)) {
                names.push(name);
            }
        }
    }
    Ok(match d.get_name("Action") {
        Some(b"Include") => FieldLock::Include(names),
        Some(b"Exclude") => FieldLock::Exclude(names),
        _ => FieldLock::All,
    })
}

/// The lock of a signature field in revision `rev`: its `/Lock` dictionary and the FieldMDP
/// `/Reference` entries of its signature value, combined.
pub fn field_lock<S: ByteSource>(
    doc: &Document<S>,
    rev: usize,
    field: ObjRef,
) -> Result<Option<FieldLock>, PdfError> {
    let fd = doc.dict_in(rev, &Object::Ref(field), "a signature field")?;
    let mut lock: Option<FieldLock> = None;
    let mut add = |l: FieldLock| {
        lock = Some(match lock.take() {
            Some(prev) => prev.union(l),
            None => l,
        });
    };
    if let Some(l) = fd.get("Lock") {
        let l = doc.dict_in(rev, l, "a field lock (/Lock)")?;
        add(read_lock(doc, rev, &l)?);
    }
    if let Some(v) = fd.get("V") {
        if let Object::Dict(sig) = doc.resolve_in(rev, v)? {
            for p in transform_params(doc, rev, &sig, b"FieldMDP")? {
                add(read_lock(doc, rev, &p)?);
            }
        }
    }
    Ok(lock)
}

/// One finding: its level and a description naming what changed.
struct Change {
    level: Changes,
    what: String,
}

/// What the objects of a revision are.
struct Roles {
    catalog: ObjRef,
    acroform: Option<ObjRef>,
    fields_array: Option<ObjRef>,
    pages: HashMap<ObjRef, usize>,
    annots: HashMap<ObjRef, usize>,
    /// Form fields, with their fully qualified names.
    fields: HashMap<ObjRef, String>,
    dss: HashSet<ObjRef>,
    info: Option<ObjRef>,
}

fn roles<S: ByteSource>(doc: &Document<S>, rev: usize) -> Result<Roles, PdfError> {
    let (catalog, cat) = doc.catalog_in(rev)?;
    let acroform = cat.get_ref("AcroForm");
    let fields_array = match cat.get("AcroForm") {
        Some(af) => match doc.resolve_in(rev, af)? {
            Object::Dict(d) => d.get_ref("Fields"),
            _ => None,
        },
        None => None,
    };
    let mut pages = HashMap::new();
    let mut annots = HashMap::new();
    for (i, p) in doc.pages_in(rev)?.into_iter().enumerate() {
        pages.insert(p, i);
        let d = doc.dict_in(rev, &Object::Ref(p), "a page")?;
        if let Some(a) = d.get_ref("Annots") {
            annots.insert(a, i);
        }
    }
    let fields = fields_in(doc, rev)?
        .into_iter()
        .filter_map(|f| f.field.map(|r| (r, f.name)))
        .collect();
    let mut dss = HashSet::new();
    if let Some(d) = cat.get("DSS") {
        let mut stack = vec![d.clone()];
        while let Some(o) = stack.pop() {
            if dss.len() > MAX_DSS_OBJECTS {
                return Err(PdfError::LimitExceeded {
                    what: "objects under /DSS",
                    limit: MAX_DSS_OBJECTS as u64,
                });
            }
            match o {
                Object::Ref(r) if dss.insert(r) => {
                    let o = doc.object_in(rev, r)?;
                    if let Object::Dict(_) | Object::Array(_) = o {
                        stack.push(o);
                    }
                }
                Object::Array(items) => stack.extend(items),
                Object::Dict(d) => stack.extend(d.iter().map(|(_, v)| v.clone())),
                _ => {}
            }
        }
    }
    let info = doc
        .revisions()
        .get(rev)
        .and_then(|r| r.trailer.get_ref("Info"));
    Ok(Roles {
        catalog,
        acroform,
        fields_array,
        pages,
        annots,
        fields,
        dss,
        info,
    })
}

fn key_name(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

/// Keys whose values differ between two dictionaries.
fn changed_keys(old: &Dict, new: &Dict) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in new.iter() {
        let key = key_name(k.as_bytes());
        if old.get(&key) != Some(v) {
            out.push(key);
        }
    }
    for (k, _) in old.iter() {
        let key = key_name(k.as_bytes());
        if !new.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// The entries `new` adds to `old`, when `new` keeps every entry of `old` in place.
fn appended<'a>(old: &[Object], new: &'a [Object]) -> Option<&'a [Object]> {
    if new.len() >= old.len() && new.get(..old.len()) == Some(old) {
        new.get(old.len()..)
    } else {
        None
    }
}

/// Whether `num` is a new object in revision `k`.
fn is_new_in<S: ByteSource>(doc: &Document<S>, k: usize, num: u32) -> bool {
    let defined_before = k
        .checked_sub(1)
        .and_then(|p| doc.locate(p, num))
        .is_some_and(|(_, e)| !matches!(e, XrefEntry::Free { .. }));
    let changed_here = doc
        .revisions()
        .get(k)
        .is_some_and(|r| r.changed.binary_search(&num).is_ok());
    changed_here && !defined_before
}

/// Judges a new annotation (an entry added to a page's `/Annots`) or a new field.
fn judge_new_entry<S: ByteSource>(
    doc: &Document<S>,
    k: usize,
    entry: &Object,
    page: Option<usize>,
    as_field: bool,
) -> Result<Change, PdfError> {
    let where_ = match page {
        Some(p) => format!(" on page {}", p + 1),
        None => String::new(),
    };
    let name = entry
        .as_ref()
        .map(|r| format!("object {r}"))
        .unwrap_or_else(|| "a direct object".into());
    let d = match doc.resolve_in(k, entry)? {
        Object::Dict(d) => d,
        _ => {
            return Ok(Change {
                level: Changes::Other,
                what: format!("{name}{where_} added, not a dictionary"),
            })
        }
    };
    let subtype = d.get_name("Subtype").map(key_name);
    let ft = d.get_name("FT").map(key_name);
    let is_sig = ft.as_deref() == Some("Sig");
    if as_field && !is_sig {
        return Ok(Change {
            level: Changes::Other,
            what: format!(
                "a new form field ({name}, /FT {}) was added",
                ft.as_deref().unwrap_or("none")
            ),
        });
    }
    if is_sig || subtype.as_deref() == Some("Widget") {
        if let Some(v) = d.get_ref("V") {
            if is_new_in(doc, k, v.num) {
                let vd = doc.dict_in(k, &Object::Ref(v), "a signature value")?;
                let level = if vd.get_name("Type") == Some(b"DocTimeStamp") {
                    Changes::LtvOnly
                } else {
                    Changes::FormFill
                };
                return Ok(Change {
                    level,
                    what: format!("signature field {name}{where_} added and signed"),
                });
            }
            return Ok(Change {
                level: Changes::Other,
                what: format!(
                    "signature field {name}{where_} added with the value {v} of an earlier revision"
                ),
            });
        }
        let draws = d.contains("AP")
            && d.get("Rect")
                .and_then(Object::as_array)
                .map(|r| {
                    let n: Vec<f64> = r.iter().filter_map(Object::as_number).collect();
                    matches!(n[..], [a, b, c, e] if (c - a).abs() > 0.0 && (e - b).abs() > 0.0)
                })
                .unwrap_or(false);
        if draws {
            return Ok(Change {
                level: Changes::Annotations,
                what: format!(
                    "an unsigned signature widget {name}{where_} that draws on the page was \
                     added (an annotation, not form filling)"
                ),
            });
        }
        return Ok(Change {
            level: Changes::FormFill,
            what: format!("empty signature field {name}{where_} added"),
        });
    }
    Ok(Change {
        level: Changes::Annotations,
        what: format!(
            "annotation {name} (/Subtype {}){where_} added",
            subtype.as_deref().unwrap_or("none")
        ),
    })
}

/// Judges an array that may only grow (a page's `/Annots`, the AcroForm's `/Fields`).
#[allow(clippy::too_many_arguments)]
fn judge_growth<S: ByteSource>(
    doc: &Document<S>,
    k: usize,
    old: &Object,
    new: &Object,
    page: Option<usize>,
    as_field: bool,
    label: &str,
    out: &mut Vec<Change>,
) -> Result<(), PdfError> {
    let old = doc.resolve_in(k - 1, old)?;
    let new = doc.resolve_in(k, new)?;
    let old = old.as_array().unwrap_or_default();
    let new = new.as_array().unwrap_or_default();
    match appended(old, new) {
        Some(added) => {
            for e in added {
                out.push(judge_new_entry(doc, k, e, page, as_field)?);
            }
        }
        None => out.push(Change {
            level: Changes::Other,
            what: format!("{label}: existing entries were removed or replaced"),
        }),
    }
    Ok(())
}

fn judge_acroform<S: ByteSource>(
    doc: &Document<S>,
    k: usize,
    old: &Dict,
    new: &Dict,
    out: &mut Vec<Change>,
) -> Result<(), PdfError> {
    for key in changed_keys(old, new) {
        match key.as_str() {
            "Fields" => judge_growth(
                doc,
                k,
                old.get("Fields").unwrap_or(&Object::Null),
                new.get("Fields").unwrap_or(&Object::Null),
                None,
                true,
                "the AcroForm's /Fields",
                out,
            )?,
            "SigFlags" | "DR" | "DA" => {}
            other => out.push(Change {
                level: Changes::Other,
                what: format!("the AcroForm's /{other} changed"),
            }),
        }
    }
    Ok(())
}

/// Judges one object redefined in revision `k`.
fn judge_redefined<S: ByteSource>(
    doc: &Document<S>,
    k: usize,
    r: ObjRef,
    roles: &Roles,
    lock: Option<&FieldLock>,
    out: &mut Vec<Change>,
) -> Result<(), PdfError> {
    let prev = k - 1;
    let old = doc.object_in(prev, r)?;
    let new = doc.object_in(k, r)?;
    let same = match (&old, &new) {
        (Object::Stream(a), Object::Stream(b)) => {
            a.dict == b.dict && doc.raw_stream_data(a)? == doc.raw_stream_data(b)?
        }
        (a, b) => a == b,
    };
    if same {
        return Ok(());
    }
    let (od, nd) = match (&old, &new) {
        (Object::Dict(a), Object::Dict(b)) => (Some(a), Some(b)),
        _ => (None, None),
    };
    if r == roles.catalog {
        let (Some(od), Some(nd)) = (od, nd) else {
            out.push(other(format!("the catalog {r} changed type")));
            return Ok(());
        };
        for key in changed_keys(od, nd) {
            match key.as_str() {
                "DSS" => out.push(Change {
                    level: Changes::LtvOnly,
                    what: "validation data (/DSS) added".into(),
                }),
                "AcroForm" => {
                    let o = doc.resolve_in(prev, od.get("AcroForm").unwrap_or(&Object::Null))?;
                    let n = doc.resolve_in(k, nd.get("AcroForm").unwrap_or(&Object::Null))?;
                    let empty = Dict::new();
                    judge_acroform(
                        doc,
                        k,
                        o.as_dict().unwrap_or(&empty),
                        n.as_dict().unwrap_or(&empty),
                        out,
                    )?;
                }
                other_key => out.push(other(format!("the catalog's /{other_key} changed ({r})"))),
            }
        }
    } else if Some(r) == roles.acroform {
        match (od, nd) {
            (Some(o), Some(n)) => judge_acroform(doc, k, o, n, out)?,
            _ => out.push(other(format!("the AcroForm {r} changed type"))),
        }
    } else if Some(r) == roles.fields_array {
        judge_growth(
            doc,
            k,
            &old,
            &new,
            None,
            true,
            "the AcroForm's /Fields",
            out,
        )?;
    } else if let Some(&page) = roles.pages.get(&r) {
        let (Some(od), Some(nd)) = (od, nd) else {
            out.push(other(format!("page {} ({r}) changed type", page + 1)));
            return Ok(());
        };
        for key in changed_keys(od, nd) {
            if key == "Annots" {
                judge_growth(
                    doc,
                    k,
                    od.get("Annots").unwrap_or(&Object::Null),
                    nd.get("Annots").unwrap_or(&Object::Null),
                    Some(page),
                    false,
                    &format!("the annotations of page {}", page + 1),
                    out,
                )?;
            } else {
                out.push(other(format!("page {} ({r}): /{key} changed", page + 1)));
            }
        }
    } else if let Some(&page) = roles.annots.get(&r) {
        judge_growth(
            doc,
            k,
            &old,
            &new,
            Some(page),
            false,
            &format!("the annotations of page {} ({r})", page + 1),
            out,
        )?;
    } else if let Some(name) = roles.fields.get(&r) {
        let (Some(od), Some(nd)) = (od, nd) else {
            out.push(other(format!("form field {r} changed type")));
            return Ok(());
        };
        for key in changed_keys(od, nd) {
            // Its appearance shows the value: redrawing a locked field is changing it.
            if matches!(key.as_str(), "V" | "AP" | "AS") && lock.is_some_and(|l| l.locks(name)) {
                out.push(other(format!(
                    "trường {name:?} bị khoá bởi chữ ký (/Lock) / form field {name:?} ({r}) is \
                     locked by the signature (FieldMDP /Lock, ISO 32000-1 §12.8.2.4) and its \
                     /{key} was changed"
                )));
                continue;
            }
            match key.as_str() {
                "V" if od.get_name("FT") == Some(b"Sig")
                    && od.get("V").is_some_and(|v| !matches!(v, Object::Null)) =>
                {
                    out.push(other(format!(
                        "signature field {r}: its signature value (/V) was replaced or removed"
                    )));
                }
                "V" => {
                    let level = match nd.get_ref("V") {
                        Some(v)
                            if od.get_name("FT") == Some(b"Sig")
                                || nd.get_name("FT") == Some(b"Sig") =>
                        {
                            if is_new_in(doc, k, v.num) {
                                Changes::FormFill
                            } else {
                                Changes::Other
                            }
                        }
                        _ => Changes::FormFill,
                    };
                    out.push(Change {
                        level,
                        what: format!("form field {r} filled (/V)"),
                    });
                }
                "AP" | "AS" => out.push(Change {
                    level: Changes::FormFill,
                    what: format!("form field {r}: /{key} updated"),
                }),
                other_key => out.push(other(format!("form field {r}: /{other_key} changed"))),
            }
        }
    } else if roles.dss.contains(&r) {
        out.push(Change {
            level: Changes::LtvOnly,
            what: format!("validation data object {r} updated"),
        });
    } else if Some(r) == roles.info {
        out.push(Change {
            level: Changes::LtvOnly,
            what: format!("document information dictionary {r} updated"),
        });
    } else {
        out.push(other(format!(
            "object {r} was changed; it is not a catalog, form, page annotation list or \
             validation data object{}",
            describe(&old)
        )));
    }
    Ok(())
}

fn describe(o: &Object) -> String {
    let d = match o {
        Object::Dict(d) => d,
        Object::Stream(s) => &s.dict,
        _ => return String::new(),
    };
    match (d.get_name("Type"), d.get_name("Subtype")) {
        (Some(t), _) => format!(" (a /{})", key_name(t)),
        (None, Some(s)) => format!(" (a /{})", key_name(s)),
        (None, None) if matches!(o, Object::Stream(_)) => " (a stream, e.g. page content)".into(),
        _ => String::new(),
    }
}

fn other(what: String) -> Change {
    Change {
        level: Changes::Other,
        what,
    }
}

/// Judges revision `k` against revision `k - 1`; `signed_end` is where the signed bytes end.
fn judge_revision<S: ByteSource>(
    doc: &Document<S>,
    k: usize,
    signed_end: u64,
    lock: Option<&FieldLock>,
    out: &mut Vec<Change>,
) -> Result<(), PdfError> {
    let prev = k - 1;
    let roles = roles(doc, prev)?;
    let Some(rev) = doc.revisions().get(k) else {
        return Ok(());
    };
    for &num in &rev.freed {
        let existed = doc
            .locate(prev, num)
            .is_some_and(|(_, e)| !matches!(e, XrefEntry::Free { .. }));
        if existed {
            out.push(other(format!("object {num} was deleted in revision {k}")));
        }
    }
    for &num in &rev.changed {
        let new_entry = doc.locate(k, num).map(|(_, e)| e);
        let old_entry = doc.locate(prev, num).map(|(_, e)| e);
        if new_entry == old_entry {
            continue;
        }
        match new_entry {
            Some(XrefEntry::InFile { offset, .. }) if offset < signed_end => {
                out.push(other(format!(
                    "revision {k} points object {num} at offset {offset}, inside the signed \
                     bytes, at a body the signed revision's cross-reference table does not use"
                )));
                continue;
            }
            Some(XrefEntry::InStream { stream, .. })
                if rev.changed.binary_search(&stream).is_err() =>
            {
                out.push(other(format!(
                    "revision {k} points object {num} into object stream {stream} of an \
                     earlier revision"
                )));
                continue;
            }
            _ => {}
        }
        let gen = match new_entry {
            Some(XrefEntry::InFile { gen, .. }) => gen,
            _ => 0,
        };
        let existed = matches!(
            old_entry,
            Some(XrefEntry::InFile { .. }) | Some(XrefEntry::InStream { .. })
        );
        if existed {
            judge_redefined(doc, k, ObjRef::new(num, gen), &roles, lock, out)?;
        }
    }
    Ok(())
}

/// Analyses every revision after `signed_rev` and applies the DocMDP permission `docmdp`
/// (`None` for an uncertified document) and the field locks of the signature field
/// `signature_field` (its `/Lock`, and a FieldMDP reference of its signature), read in the
/// signed revision.
pub fn analyse_changes<S: ByteSource>(
    doc: &Document<S>,
    signed_rev: usize,
    docmdp: Option<i64>,
    signature_field: Option<ObjRef>,
) -> Result<ChangeAnalysis, PdfError> {
    let lock = match signature_field {
        Some(f) => field_lock(doc, signed_rev, f)?,
        None => None,
    };
    let lock = lock.as_ref();
    let signed_end = doc.revisions().get(signed_rev).map(|r| r.end).unwrap_or(0);
    let later = doc.revisions().len().saturating_sub(signed_rev + 1);
    if later > MAX_REVISIONS_AFTER {
        return Err(PdfError::LimitExceeded {
            what: "revisions after a signature",
            limit: MAX_REVISIONS_AFTER as u64,
        });
    }
    let mut changes = Vec::new();
    for k in signed_rev + 1..doc.revisions().len() {
        judge_revision(doc, k, signed_end, lock, &mut changes)?;
    }
    let level = changes
        .iter()
        .map(|c| c.level)
        .max()
        .unwrap_or(Changes::None);
    let worst = changes
        .iter()
        .filter(|c| c.level == level)
        .map(|c| c.what.clone())
        .collect::<Vec<_>>()
        .join("; ");
    let allowed = match docmdp {
        Some(1) => Changes::LtvOnly,
        Some(2) => Changes::FormFill,
        _ => Changes::Annotations,
    };
    let violation = if level == Changes::Other {
        Some(format!(
            "tài liệu bị sửa đổi sau khi ký / the document was modified after signing in a way \
             no signature allows: {worst}"
        ))
    } else if level > allowed {
        Some(format!(
            "tài liệu chứng nhận bị sửa đổi / the certified document (DocMDP P={}) does not \
             allow {:?} changes: {worst}",
            docmdp.unwrap_or(0),
            level
        ))
    } else {
        None
    };
    let mut notes: Vec<String> = Vec::new();
    for c in changes {
        if c.level > Changes::None && c.level < Changes::Other && !notes.contains(&c.what) {
            notes.push(c.what);
        }
    }
    Ok(ChangeAnalysis {
        level,
        violation,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Objects written as a revision: a body, its xref table, trailer and end of file.
    fn revision(pdf: &mut Vec<u8>, objects: &[(u32, &str)], size: u32, prev: Option<usize>) {
        let mut offsets = Vec::new();
        for (num, body) in objects {
            offsets.push((*num, pdf.len()));
            pdf.extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
        }
        let xref = pdf.len();
        let mut t = String::from("xref\n");
        if prev.is_none() {
            t.push_str("0 1\n0000000000 65535 f \n");
        }
        for (num, off) in offsets {
            t.push_str(&format!("{num} 1\n{off:010} 00000 n \n"));
        }
        let prev = prev.map(|p| format!("/Prev {p}")).unwrap_or_default();
        t.push_str(&format!(
            "trailer\n<</Size {size}/Root 1 0 R{prev}>>\nstartxref\n{xref}\n%%EOF\n"
        ));
        pdf.extend_from_slice(t.as_bytes());
    }

    /// A form with a signature field (object 4) carrying `lock`, and text fields `a` and
    /// `b`; then a revision that fills `changed` with a new value.
    fn filled_after_lock(lock: &str, changed: &str) -> ChangeAnalysis {
        filled_after_lock_with(lock, changed, &format!("<</FT/Tx/T({changed})/V(new)>>"))
    }

    /// As [`filled_after_lock`], the changed field redefined as `body`.
    fn filled_after_lock_with(lock: &str, changed: &str, body: &str) -> ChangeAnalysis {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        revision(
            &mut pdf,
            &[
                (1, "<</Type/Catalog/Pages 2 0 R/AcroForm 3 0 R>>"),
                (2, "<</Type/Pages/Kids[]/Count 0>>"),
                (3, "<</Fields[4 0 R 5 0 R 6 0 R]>>"),
                (4, &format!("<</FT/Sig/T(sig){lock}>>")),
                (5, "<</FT/Tx/T(a)/V(old)>>"),
                (6, "<</FT/Tx/T(b)/V(old)>>"),
            ],
            7,
            None,
        );
        let first_xref = pdf.windows(4).position(|w| w == b"xref").expect("xref");
        let num = if changed == "a" { 5 } else { 6 };
        revision(&mut pdf, &[(num, body)], 7, Some(first_xref));
        let doc = Document::open(pdf.as_slice()).expect("open");
        analyse_changes(&doc, 0, None, Some(ObjRef::new(4, 0))).expect("analyse")
    }

    #[test]
    fn without_a_lock_filling_a_field_is_form_fill() {
        let a = filled_after_lock("", "a");
        assert_eq!(a.level, Changes::FormFill);
        assert!(a.violation.is_none());
    }

    #[test]
    fn a_locked_field_changed_fails_naming_it() {
        for lock in [
            "/Lock<</Type/SigFieldLock/Action/All>>",
            "/Lock<</Type/SigFieldLock/Action/Include/Fields[(a)]>>",
            "/Lock<</Type/SigFieldLock/Action/Exclude/Fields[(b)]>>",
        ] {
            let a = filled_after_lock(lock, "a");
            assert_eq!(a.level, Changes::Other, "{lock}");
            let v = a.violation.expect("violation");
            assert!(
                v.contains("\"a\"") && v.contains("/Lock") && v.contains("/V"),
                "{lock}: {v}"
            );
        }
    }

    #[test]
    fn a_locked_field_redrawn_fails() {
        let a = filled_after_lock_with(
            "/Lock<</Type/SigFieldLock/Action/All>>",
            "a",
            "<</FT/Tx/T(a)/V(old)/AS/Other>>",
        );
        assert_eq!(a.level, Changes::Other);
        assert!(a.violation.expect("violation").contains("/AS"));
    }

    #[test]
    fn a_field_the_lock_leaves_open_may_be_filled() {
        for lock in [
            "/Lock<</Type/SigFieldLock/Action/Include/Fields[(a)]>>",
            "/Lock<</Type/SigFieldLock/Action/Exclude/Fields[(b)]>>",
        ] {
            let a = filled_after_lock(lock, "b");
            assert_eq!(a.level, Changes::FormFill, "{lock}");
            assert!(a.violation.is_none(), "{lock}");
        }
    }

    #[test]
    fn lock_names_cover_descendants_and_unions_only_tighten() {
        let inc = FieldLock::Include(vec!["a".into()]);
        assert!(inc.locks("a") && inc.locks("a.x") && !inc.locks("ab"));
        let exc = FieldLock::Exclude(vec!["a".into(), "b".into()]);
        assert!(!exc.locks("a") && exc.locks("c"));
        let both = exc.union(inc);
        assert!(both.locks("a") && !both.locks("b") && both.locks("c"));
    }
}

//! PDF objects (ISO 32000-1 §7.3) as owned values, and their serialization.

use std::fmt;

/// A reference to an indirect object: object number and generation (§7.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// Object number, at least 1 for a real object.
    pub num: u32,
    /// Generation number.
    pub gen: u16,
}

impl ObjRef {
    /// A reference to object `num` generation `gen`.
    pub fn new(num: u32, gen: u16) -> Self {
        ObjRef { num, gen }
    }
}

impl fmt::Display for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} R", self.num, self.gen)
    }
}

/// A name (§7.3.5), stored decoded: `#xx` escapes are already resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(pub Vec<u8>);

impl Name {
    /// The name made of the bytes of `s` (without the leading slash).
    pub fn new(s: &str) -> Self {
        Name(s.as_bytes().to_vec())
    }

    /// The decoded bytes of the name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A string (§7.3.4), stored decoded, remembering whether it was written in hex.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfString {
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// Whether it is (or will be) written as a hexadecimal string.
    pub hex: bool,
}

impl PdfString {
    /// A literal string.
    pub fn literal(bytes: impl Into<Vec<u8>>) -> Self {
        PdfString {
            bytes: bytes.into(),
            hex: false,
        }
    }

    /// A hexadecimal string.
    pub fn hex(bytes: impl Into<Vec<u8>>) -> Self {
        PdfString {
            bytes: bytes.into(),
            hex: true,
        }
    }

    /// A text string (§7.9.2.2): PDFDocEncoding-compatible ASCII as is, anything else as
    /// UTF-16BE with a byte-order mark, so Vietnamese diacritics survive.
    pub fn text(s: &str) -> Self {
        if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            PdfString::literal(s.as_bytes())
        } else {
            let mut bytes = vec![0xfe, 0xff];
            for unit in s.encode_utf16() {
                bytes.extend_from_slice(&unit.to_be_bytes());
            }
            PdfString::hex(bytes)
        }
    }
}

/// Where the data of a stream read from a document lies, still encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamData {
    /// Offset of the first data byte (just after the end of line that follows `stream`).
    pub offset: u64,
    /// Number of data bytes (the value of `/Length`).
    pub len: u64,
}

/// A stream read from a document: its dictionary, and where its data is. The data is read only
/// when asked for ([`Document::stream_data`](super::Document::stream_data)), so large images
/// never enter memory while a document is walked.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// The stream dictionary.
    pub dict: Dict,
    /// The location of the encoded data.
    pub data: StreamData,
}

/// A dictionary (§7.3.7). Keys are unique (the parser refuses duplicates, which readers
/// resolve differently); order of insertion is kept so rewritten objects stay recognizable.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dict(Vec<(Name, Object)>);

impl Dict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Dict(Vec::new())
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.0
            .iter()
            .find(|(k, _)| k.0 == key.as_bytes())
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, replacing an existing value in place.
    pub fn set(&mut self, key: &str, value: impl Into<Object>) {
        let value = value.into();
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k.0 == key.as_bytes()) {
            slot.1 = value;
        } else {
            self.0.push((Name::new(key), value));
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Object> {
        let pos = self.0.iter().position(|(k, _)| k.0 == key.as_bytes())?;
        Some(self.0.remove(pos).1)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Object)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the dictionary has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends an entry; `false` (and nothing changed) if the key is already present.
    pub(crate) fn push_unique(&mut self, key: Name, value: Object) -> bool {
        if self.0.iter().any(|(k, _)| *k == key) {
            return false;
        }
        self.0.push((key, value));
        true
    }

    /// The name value of `key`, if it is a name.
    pub fn get_name(&self, key: &str) -> Option<&[u8]> {
        self.get(key).and_then(Object::as_name)
    }

    /// The integer value of `key`, if it is an integer.
    pub fn get_int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Object::as_int)
    }

    /// The reference value of `key`, if it is a reference.
    pub fn get_ref(&self, key: &str) -> Option<ObjRef> {
        self.get(key).and_then(Object::as_ref)
    }
}

/// Any PDF object.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer (§7.3.3); values beyond `i64` are a syntax error.
    Integer(i64),
    /// A real number.
    Real(f64),
    /// A name.
    Name(Name),
    /// A string.
    String(PdfString),
    /// An array.
    Array(Vec<Object>),
    /// A dictionary.
    Dict(Dict),
    /// A stream (only as the value of an indirect object).
    Stream(Stream),
    /// An indirect reference.
    Ref(ObjRef),
}

impl Object {
    /// A name object.
    pub fn name(s: &str) -> Self {
        Object::Name(Name::new(s))
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The number (integer or real) as `f64`.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Object::Integer(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// The name bytes, if this is a name.
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(&n.0),
            _ => None,
        }
    }

    /// The reference, if this is one.
    pub fn as_ref(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }

    /// The dictionary, also of a stream.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_string(&self) -> Option<&PdfString> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the PDF syntax of this object. A [`Stream`] read from a document has no data in
    /// memory and cannot be written this way; it is written as its dictionary only, so callers
    /// write streams through the writer's `add_stream`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Bool(true) => out.extend_from_slice(b"true"),
            Object::Bool(false) => out.extend_from_slice(b"false"),
            Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Object::Real(r) => write_real(*r, out),
            Object::Name(n) => write_name(n, out),
            Object::String(s) => write_string(s, out),
            Object::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
            Object::Dict(d) => write_dict(d, out),
            Object::Stream(s) => write_dict(&s.dict, out),
            Object::Ref(r) => out.extend_from_slice(r.to_string().as_bytes()),
        }
    }

    /// The PDF syntax of this object.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

impl From<i64> for Object {
    fn from(v: i64) -> Self {
        Object::Integer(v)
    }
}
impl From<bool> for Object {
    fn from(v: bool) -> Self {
        Object::Bool(v)
    }
}
impl From<f64> for Object {
    fn from(v: f64) -> Self {
        Object::Real(v)
    }
}
impl From<ObjRef> for Object {
    fn from(v: ObjRef) -> Self {
        Object::Ref(v)
    }
}
impl From<Dict> for Object {
    fn from(v: Dict) -> Self {
        Object::Dict(v)
    }
}
impl From<Vec<Object>> for Object {
    fn from(v: Vec<Object>) -> Self {
        Object::Array(v)
    }
}
impl From<Name> for Object {
    fn from(v: Name) -> Self {
        Object::Name(v)
    }
}
impl From<PdfString> for Object {
    fn from(v: PdfString) -> Self {
        Object::String(v)
    }
}

pub(crate) fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(k, out);
        out.push(b' ');
        v.write_to(out);
    }
    out.extend_from_slice(b">>");
}

/// Reals are written without exponent (§7.3.3 has none), in the shortest form that reads back
/// as the same value, and always with a decimal point so they read back as reals.
fn write_real(r: f64, out: &mut Vec<u8>) {
    let r = if r.is_finite() { r } else { 0.0 };
    // Shortest text that reads back as the same f64 (Rust never uses an exponent here), so
    // that rewriting an object (a page gaining /Annots) leaves its other numbers unchanged;
    // a validator comparing revisions would otherwise see a changed /MediaBox.
    let mut s = format!("{r}");
    if !s.contains('.') {
        s.push_str(".0");
    }
    if s == "-0.0" {
        s = "0.0".to_string();
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_name(n: &Name, out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in &n.0 {
        let regular = (0x21..0x7f).contains(&b) && !is_delimiter(b) && b != b'#';
        if regular {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

fn write_string(s: &PdfString, out: &mut Vec<u8>) {
    if s.hex {
        out.push(b'<');
        out.extend_from_slice(hex::encode_upper(&s.bytes).as_bytes());
        out.push(b'>');
        return;
    }
    out.push(b'(');
    for &b in &s.bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
        }
    }
    out.push(b')');
}

/// PDF delimiter characters (§7.2.2).
pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// PDF white-space characters (§7.2.2).
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

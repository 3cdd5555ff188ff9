//! The object parser (ISO 32000-1 §7.2, §7.3) over a window of the file.
//!
//! The parser works on a slice that may stop before the end of the file; when it runs out of
//! bytes it answers [`PErr::NeedMore`] so the caller can read a larger window (up to
//! [`MAX_OBJECT_BYTES`](super::limits::MAX_OBJECT_BYTES)) and try again. It never guesses.

use super::limits::MAX_NESTING;
use super::object::{is_delimiter, is_whitespace, Dict, Name, ObjRef, Object, PdfString};

/// A parse failure, with the position in the window where it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PErr {
    /// The window ended before the object did, and more of the file exists.
    NeedMore,
    /// A syntax error at `pos`.
    Syntax(usize, &'static str),
    /// Arrays and dictionaries nest deeper than [`MAX_NESTING`].
    TooDeep(usize),
}

pub(crate) type PResult<T> = std::result::Result<T, PErr>;

/// A cursor over a window of the file.
pub(crate) struct Parser<'a> {
    buf: &'a [u8],
    pub(crate) pos: usize,
    /// Whether the window ends where the file ends (running out is then a syntax error).
    at_eof: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(buf: &'a [u8], at_eof: bool) -> Self {
        Parser {
            buf,
            pos: 0,
            at_eof,
        }
    }

    fn out_of_bytes(&self) -> PErr {
        if self.at_eof {
            PErr::Syntax(self.pos, "unexpected end of file")
        } else {
            PErr::NeedMore
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.buf.get(self.pos.checked_add(ahead)?).copied()
    }

    /// Skips white space and comments.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Skips white space only: `%%EOF` is a comment to the lexer but a marker to the trailer
    /// reader.
    pub(crate) fn skip_ws_no_comments(&mut self) {
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
    }

    /// The run of regular characters at the cursor (a keyword or number), without consuming it.
    /// Fails with `NeedMore` if the run touches the end of a partial window.
    fn regular_run(&self) -> PResult<&'a [u8]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| is_whitespace(b) || is_delimiter(b))
            .unwrap_or(rest.len());
        if len == rest.len() && !self.at_eof {
            return Err(PErr::NeedMore);
        }
        Ok(rest.get(..len).unwrap_or_default())
    }

    /// Consumes `kw` if the next token is exactly that keyword.
    pub(crate) fn eat_keyword(&mut self, kw: &[u8]) -> PResult<bool> {
        self.skip_ws();
        if self.peek().is_none() {
            return Err(self.out_of_bytes());
        }
        let run = self.regular_run()?;
        if run == kw {
            self.pos += kw.len();
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Reads a non-negative integer token (for object headers and xref tables).
    pub(crate) fn unsigned(&mut self) -> PResult<u64> {
        self.skip_ws();
        if self.peek().is_none() {
            return Err(self.out_of_bytes());
        }
        let run = self.regular_run()?;
        if run.is_empty() || run.len() > 19 || !run.iter().all(u8::is_ascii_digit) {
            return Err(PErr::Syntax(self.pos, "expected an unsigned integer"));
        }
        let mut v: u64 = 0;
        for &d in run {
            v = v * 10 + u64::from(d - b'0');
        }
        self.pos += run.len();
        Ok(v)
    }

    /// Reads `N G obj`, returning the reference.
    pub(crate) fn object_header(&mut self) -> PResult<ObjRef> {
        let num = self.unsigned()?;
        let gen = self.unsigned()?;
        if !self.eat_keyword(b"obj")? {
            return Err(PErr::Syntax(self.pos, "expected `obj`"));
        }
        let num =
            u32::try_from(num).map_err(|_| PErr::Syntax(self.pos, "object number too large"))?;
        let gen = u16::try_from(gen).map_err(|_| PErr::Syntax(self.pos, "generation too large"))?;
        Ok(ObjRef { num, gen })
    }

    /// Parses one direct object (arrays and dictionaries recursively).
    pub(crate) fn object(&mut self, depth: usize) -> PResult<Object> {
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(self.out_of_bytes());
        };
        match b {
            b'/' => Ok(Object::Name(self.name()?)),
            b'(' => Ok(Object::String(self.literal_string()?)),
            b'<' => match self.peek_at(1) {
                Some(b'<') => Ok(Object::Dict(self.dict(depth)?)),
                Some(_) => Ok(Object::String(self.hex_string()?)),
                None => Err(self.out_of_bytes()),
            },
            b'[' => self.array(depth),
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number_or_ref(),
            _ => {
                let run = self.regular_run()?;
                let obj = match run {
                    b"true" => Object::Bool(true),
                    b"false" => Object::Bool(false),
                    b"null" => Object::Null,
                    _ => return Err(PErr::Syntax(self.pos, "unexpected token")),
                };
                self.pos += run.len();
                Ok(obj)
            }
        }
    }

    fn enter(&self, depth: usize) -> PResult<usize> {
        let depth = depth + 1;
        if depth > MAX_NESTING {
            return Err(PErr::TooDeep(self.pos));
        }
        Ok(depth)
    }

    fn array(&mut self, depth: usize) -> PResult<Object> {
        let depth = self.enter(depth)?;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.out_of_bytes()),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Object::Array(items));
                }
                Some(_) => items.push(self.object(depth)?),
            }
        }
    }

    /// Parses `<< … >>`; the cursor is on the first `<`.
    pub(crate) fn dict(&mut self, depth: usize) -> PResult<Dict> {
        self.dict_with_spans(depth, None)
    }

    /// Parses a dictionary, recording for each top-level value where it starts and ends in the
    /// window (used to locate a signature's `/Contents` string exactly).
    pub(crate) fn dict_with_spans(
        &mut self,
        depth: usize,
        mut spans: Option<&mut Vec<(Name, usize, usize)>>,
    ) -> PResult<Dict> {
        let depth = self.enter(depth)?;
        if self.peek() != Some(b'<') || self.peek_at(1) != Some(b'<') {
            return Err(PErr::Syntax(self.pos, "expected `<<`"));
        }
        self.pos += 2;
        let mut dict = Dict::new();
        loop {
            self.skip_ws();
            match (self.peek(), self.peek_at(1)) {
                (None, _) | (Some(b'>'), None) => return Err(self.out_of_bytes()),
                (Some(b'>'), Some(b'>')) => {
                    self.pos += 2;
                    return Ok(dict);
                }
                (Some(b'/'), _) => {
                    let key = self.name()?;
                    self.skip_ws();
                    let start = self.pos;
                    let value = self.object(depth)?;
                    if let Some(spans) = spans.as_deref_mut() {
                        spans.push((key.clone(), start, self.pos));
                    }
                    if !dict.push_unique(key, value) {
                        return Err(PErr::Syntax(start, "duplicate dictionary key"));
                    }
                }
                _ => return Err(PErr::Syntax(self.pos, "dictionary key is not a name")),
            }
        }
    }

    fn name(&mut self) -> PResult<Name> {
        self.pos += 1;
        let run = self.regular_run()?;
        let mut out = Vec::with_capacity(run.len());
        let mut i = 0;
        while let Some(&b) = run.get(i) {
            if b == b'#' {
                let hi = run.get(i + 1).and_then(|&c| hex_val(c));
                let lo = run.get(i + 2).and_then(|&c| hex_val(c));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(PErr::Syntax(self.pos + i, "bad #xx escape in name")),
                }
                i += 3;
            } else {
                out.push(b);
                i += 1;
            }
        }
        self.pos += run.len();
        Ok(Name(out))
    }

    fn literal_string(&mut self) -> PResult<PdfString> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut open = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.out_of_bytes());
            };
            self.pos += 1;
            match b {
                b'(' => {
                    open += 1;
                    out.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Ok(PdfString::literal(out));
                    }
                    out.push(b);
                }
                b'\r' => {
                    // An unescaped end of line of any kind reads as a single LF (§7.3.4.2).
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.out_of_bytes());
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'(' | b')' | b'\\' => out.push(e),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    None if !self.at_eof => return Err(PErr::NeedMore),
                                    _ => break,
                                }
                            }
                            // High-order overflow of \ddd is ignored (§7.3.4.2).
                            out.push((v & 0xff) as u8);
                        }
                        // An unknown escape drops the backslash (§7.3.4.2).
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex_string(&mut self) -> PResult<PdfString> {
        self.pos += 1;
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        // A signature's /Contents is tens of kilobytes of hex: find its end first, then decode
        // it in one pass into a buffer of the right size.
        let Some(len) = rest.iter().position(|&b| b == b'>') else {
            if !self.at_eof {
                return Err(PErr::NeedMore);
            }
            decode_hex(rest, self.pos)?;
            self.pos = self.buf.len();
            return Err(self.out_of_bytes());
        };
        let out = decode_hex(rest.get(..len).unwrap_or_default(), self.pos)?;
        self.pos += len + 1;
        Ok(PdfString::hex(out))
    }

    fn number_or_ref(&mut self) -> PResult<Object> {
        let start = self.pos;
        let first = self.number()?;
        let Object::Integer(num) = first else {
            return Ok(first);
        };
        if num < 0 || num > i64::from(u32::MAX) {
            return Ok(first);
        }
        // Look ahead for `G R`; a partial window must be extended to decide.
        let after_first = self.pos;
        self.skip_ws();
        if self.peek().is_none() {
            if !self.at_eof {
                return Err(PErr::NeedMore);
            }
            self.pos = after_first;
            return Ok(first);
        }
        let Some(b'0'..=b'9') = self.peek() else {
            self.pos = after_first;
            return Ok(first);
        };
        let gen_start = self.pos;
        let run = self.regular_run()?;
        if !run.iter().all(u8::is_ascii_digit) || run.len() > 5 {
            self.pos = after_first;
            return Ok(first);
        }
        self.pos += run.len();
        let gen = run
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        self.skip_ws();
        if self.peek().is_none() && !self.at_eof {
            return Err(PErr::NeedMore);
        }
        if self.peek() == Some(b'R') {
            let next = self.peek_at(1);
            if next.is_none() && !self.at_eof {
                return Err(PErr::NeedMore);
            }
            if next.is_none_or(|c| is_whitespace(c) || is_delimiter(c)) {
                self.pos += 1;
                let gen = u16::try_from(gen)
                    .map_err(|_| PErr::Syntax(gen_start, "generation too large"))?;
                let num = u32::try_from(num)
                    .map_err(|_| PErr::Syntax(start, "object number too large"))?;
                return Ok(Object::Ref(ObjRef { num, gen }));
            }
        }
        self.pos = after_first;
        Ok(first)
    }

    fn number(&mut self) -> PResult<Object> {
        let start = self.pos;
        let run = self.regular_run()?;
        let (sign_len, body) = match run.first() {
            Some(b'+') | Some(b'-') => (1, run.get(1..).unwrap_or_default()),
            _ => (0, run),
        };
        let dots = body.iter().filter(|&&b| b == b'.').count();
        let digits = body.iter().filter(|b| b.is_ascii_digit()).count();
        if digits == 0 || dots > 1 || digits + dots != body.len() || run.len() > 64 {
            return Err(PErr::Syntax(start, "malformed number"));
        }
        let text = std::str::from_utf8(run).map_err(|_| PErr::Syntax(start, "malformed number"))?;
        self.pos += run.len();
        if dots == 0 {
            let _ = sign_len;
            text.parse::<i64>()
                .map(Object::Integer)
                .map_err(|_| PErr::Syntax(start, "integer out of range"))
        } else {
            let text = text.strip_prefix('+').unwrap_or(text);
            text.parse::<f64>()
                .map(Object::Real)
                .map_err(|_| PErr::Syntax(start, "malformed real number"))
        }
    }
}

/// What a byte is inside a hex string: its value, [`HEX_SPACE`] (white space, skipped) or
/// [`HEX_BAD`].
const HEX_CLASS: [u8; 256] = {
    let mut t = [HEX_BAD; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ' => HEX_SPACE,
            _ => HEX_BAD,
        };
        b += 1;
    }
    t
};
const HEX_SPACE: u8 = 0xFE;

/// The value of a hex digit.
fn hex_val(b: u8) -> Option<u8> {
    let v = HEX_CLASS[usize::from(b)];
    (v < 16).then_some(v)
}
const HEX_BAD: u8 = 0xFF;

/// Decodes the digits of a hex string (white space skipped, an odd last digit padded with 0);
/// `at` is the offset of `digits` in the window, for the error.
fn decode_hex(digits: &[u8], at: usize) -> PResult<Vec<u8>> {
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    let mut high: Option<u8> = None;
    for (i, &b) in digits.iter().enumerate() {
        match HEX_CLASS[usize::from(b)] {
            HEX_SPACE => {}
            HEX_BAD => return Err(PErr::Syntax(at + i, "bad hex digit in string")),
            v => match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            },
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Ok(out)
}

/// Parses a complete direct object from `bytes` (a whole window that ends with the object).
#[cfg(test)]
pub(crate) fn parse_direct(bytes: &[u8]) -> PResult<Object> {
    Parser::new(bytes, true).object(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Object {
        match parse_direct(s) {
            Ok(o) => o,
            Err(e) => panic!("{e:?} parsing {:?}", String::from_utf8_lossy(s)),
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(parse(b"null"), Object::Null);
        assert_eq!(parse(b" true "), Object::Bool(true));
        assert_eq!(parse(b"-17"), Object::Integer(-17));
        assert_eq!(parse(b"+17"), Object::Integer(17));
        assert_eq!(parse(b"-.5"), Object::Real(-0.5));
        assert_eq!(parse(b"4."), Object::Real(4.0));
        assert!(parse_direct(b"1.2.3").is_err());
        assert!(parse_direct(b"--4").is_err());
        assert!(parse_direct(b"99999999999999999999").is_err());
    }

    #[test]
    fn names_with_escapes() {
        assert_eq!(parse(b"/A#20B"), Object::Name(Name(b"A B".to_vec())));
        assert_eq!(
            parse(b"/Lime#20Green"),
            Object::Name(Name(b"Lime Green".to_vec()))
        );
        assert!(parse_direct(b"/A#2").is_err());
        assert!(parse_direct(b"/A#zz").is_err());
        assert_eq!(parse(b"/"), Object::Name(Name(Vec::new())));
    }

    #[test]
    fn literal_strings() {
        let s = parse(b"(a(b)c\\)\\n\\101\\0531\\\nx\r\ny)");
        assert_eq!(
            s.as_string().map(|s| s.bytes.clone()),
            Some(b"a(b)c)\nA+1x\ny".to_vec())
        );
        assert!(parse_direct(b"(unbalanced (").is_err());
    }

    #[test]
    fn hex_strings() {
        let s = parse(b"<48 65 6c6C 6>");
        assert_eq!(
            s.as_string().map(|s| s.bytes.clone()),
            Some(b"Hel\x6c\x60".to_vec())
        );
        assert!(parse_direct(b"<4G>").is_err());
    }

    #[test]
    fn long_hex_strings_with_white_space_and_windows() {
        let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
        let mut text = b"<".to_vec();
        for (i, b) in bytes.iter().enumerate() {
            text.extend_from_slice(format!("{b:02X}").as_bytes());
            if i % 7 == 0 {
                text.extend_from_slice(b"\r\n ");
            }
        }
        text.push(b'>');
        let s = parse(&text);
        assert_eq!(s.as_string().map(|s| s.bytes.clone()), Some(bytes));
        // Cut before its end: more is needed, or at the end of the file a syntax error.
        let cut = text.get(..text.len() / 2).unwrap_or_default();
        assert_eq!(Parser::new(cut, false).object(0), Err(PErr::NeedMore));
        assert!(matches!(
            Parser::new(cut, true).object(0),
            Err(PErr::Syntax(_, "unexpected end of file"))
        ));
        // A bad digit is reported where it is, whether or not the string ends.
        for window in [&b"<00 4G"[..], b"<00 4G>", b"<00 4G 11"] {
            assert_eq!(
                Parser::new(window, true).object(0),
                Err(PErr::Syntax(5, "bad hex digit in string")),
                "{window:?}"
            );
        }
    }

    #[test]
    fn arrays_dicts_refs() {
        let o = parse(b"<</A [1 2 0 R 3 /N (s)] /B <</C null>> /D 4 0 R>>");
        let d = o.as_dict().cloned().unwrap_or_default();
        assert_eq!(
            d.get("A"),
            Some(&Object::Array(vec![
                Object::Integer(1),
                Object::Ref(ObjRef::new(2, 0)),
                Object::Integer(3),
                Object::name("N"),
                Object::String(PdfString::literal(b"s".to_vec())),
            ]))
        );
        assert_eq!(d.get_ref("D"), Some(ObjRef::new(4, 0)));
        assert!(
            parse_direct(b"<</A 1 /A 2>>").is_err(),
            "duplicate keys are refused"
        );
    }

    #[test]
    fn partial_windows_ask_for_more() {
        let mut p = Parser::new(b"<</A 1 0", false);
        assert_eq!(p.object(0), Err(PErr::NeedMore));
        let mut p = Parser::new(b"[1 2", false);
        assert_eq!(p.object(0), Err(PErr::NeedMore));
        let mut p = Parser::new(b"[1 2", true);
        assert!(matches!(p.object(0), Err(PErr::Syntax(..))));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = vec![b'['; 100_000];
        assert!(matches!(parse_direct(&deep), Err(PErr::TooDeep(_))));
    }

    #[test]
    fn round_trip() {
        let src: &[u8] =
            b"<</Type/Annot/T(\\(x\\)\\001)/V<00FF>/N/A#20B/R 3 0 R/F [1 -2.5 true null]>>";
        let o = parse(src);
        assert_eq!(parse(&o.to_bytes()), o);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn object() -> impl Strategy<Value = Object> {
        let leaf = prop_oneof![
            Just(Object::Null),
            any::<bool>().prop_map(Object::Bool),
            any::<i64>().prop_map(Object::Integer),
            // Reals the writer can represent exactly: at most six decimals.
            (-1_000_000i64..1_000_000, 1u32..4)
                .prop_map(|(m, d)| Object::Real(m as f64 / 10f64.powi(d as i32))),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(|b| Object::Name(Name(b))),
            (proptest::collection::vec(any::<u8>(), 0..24), any::<bool>())
                .prop_map(|(bytes, hex)| Object::String(PdfString { bytes, hex })),
            (1u32..1000, 0u16..3).prop_map(|(n, g)| Object::Ref(ObjRef::new(n, g))),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Object::Array),
                proptest::collection::btree_map(
                    proptest::collection::vec(any::<u8>(), 1..6),
                    inner,
                    0..6
                )
                .prop_map(|m| {
                    let mut d = Dict::new();
                    for (k, v) in m {
                        d.push_unique(Name(k), v);
                    }
                    Object::Dict(d)
                }),
            ]
        })
    }

    proptest! {
        /// Whatever the writer produces, the parser reads back as the same object.
        #[test]
        fn write_then_parse_is_identity(o in object()) {
            let bytes = o.to_bytes();
            prop_assert_eq!(parse_direct(&bytes), Ok(o));
        }

        /// Arbitrary bytes never make the parser panic, and a partial window either parses or
        /// asks for more, never misreads.
        #[test]
        fn arbitrary_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let full = parse_direct(&bytes);
            let mut p = Parser::new(&bytes, false);
            if let Ok(partial) = p.object(0) {
                prop_assert_eq!(Ok(partial), full);
            }
        }
    }
}

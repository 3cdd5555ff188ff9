//! A minimal, bounded ASN.1 layer (ITU-T X.690): a reader that accepts BER definite and
//! indefinite lengths — real PDF signatures are not always DER — and a DER writer for the few
//! structures kyso builds.
//!
//! It is hand-written rather than taken from the `der` crate because the reader must tolerate
//! BER and keep the exact bytes of every element (certificates and signed attributes are
//! verified over their original encoding), and the strict typed decoders reject real-world
//! certificates that other verifiers accept.
//!
//! Invariant: every read is bounded by the input slice and by [`MAX_NESTING`]; no function
//! here panics on any input.

use super::CmsError;

/// Deepest constructed-element nesting the reader follows. A CMS SignedData with embedded
/// certificates nests about 12 levels (ContentInfo → SignedData → certificates → Certificate →
/// TBSCertificate → extensions → …); 40 leaves ample room while keeping the recursion that
/// finds the end of indefinite-length elements shallow.
pub const MAX_NESTING: usize = 40;

/// Universal tags used by CMS (X.690 §8).
pub mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;

    /// Context-specific tag `[n]`, constructed.
    pub const fn ctx_cons(n: u8) -> u8 {
        0xA0 | n
    }

    /// Context-specific tag `[n]`, primitive.
    pub const fn ctx_prim(n: u8) -> u8 {
        0x80 | n
    }
}

/// One element: its identifier octet, its content and its whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The identifier octet (class, constructed bit and a tag number below 31).
    pub tag: u8,
    /// The content octets; for an indefinite-length element, without the end-of-contents mark.
    pub content: &'a [u8],
    /// The complete encoding: identifier, length and content (and end-of-contents mark).
    pub raw: &'a [u8],
    /// Nesting level of this element, 0 at the top.
    depth: usize,
}

impl<'a> Tlv<'a> {
    /// Whether the constructed bit is set.
    pub fn is_constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// A reader over the children of a constructed element.
    pub fn children(&self) -> Result<Reader<'a>, CmsError> {
        if !self.is_constructed() {
            return Err(CmsError::Malformed("expected a constructed element"));
        }
        let depth = self
            .depth
            .checked_add(1)
            .ok_or(CmsError::TooDeep(MAX_NESTING))?;
        if depth > MAX_NESTING {
            return Err(CmsError::TooDeep(MAX_NESTING));
        }
        Ok(Reader {
            rest: self.content,
            depth,
        })
    }

    /// The content of a primitive element with the given tag.
    pub fn primitive(&self, expected: u8) -> Result<&'a [u8], CmsError> {
        if self.tag != expected {
            return Err(CmsError::Malformed("unexpected tag"));
        }
        Ok(self.content)
    }
}

/// Reads consecutive elements from a slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    depth: usize,
}

impl<'a> Reader<'a> {
    /// A reader over top-level elements.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            rest: bytes,
            depth: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The identifier octet of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element.
    pub fn read(&mut self) -> Result<Tlv<'a>, CmsError> {
        let (tlv, used) = parse_element(self.rest, self.depth)?;
        self.rest = self
            .rest
            .get(used..)
            .ok_or(CmsError::Malformed("length overflow"))?;
        Ok(tlv)
    }

    /// Reads the next element and checks its tag.
    pub fn read_tag(&mut self, expected: u8) -> Result<Tlv<'a>, CmsError> {
        let tlv = self.read()?;
        if tlv.tag != expected {
            return Err(CmsError::Malformed("unexpected tag"));
        }
        Ok(tlv)
    }

    /// Reads the next element if it carries the given tag.
    pub fn read_optional(&mut self, expected: u8) -> Result<Option<Tlv<'a>>, CmsError> {
        if self.peek_tag() == Some(expected) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails unless every element has been read.
    pub fn finish(&self) -> Result<(), CmsError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(CmsError::Malformed("unexpected extra element"))
        }
    }
}

/// Parses one element at the start of `bytes`; returns it and the number of bytes it spans.
fn parse_element(bytes: &[u8], depth: usize) -> Result<(Tlv<'_>, usize), CmsError> {
    let (&tag, after_tag) = bytes
        .split_first()
        .ok_or(CmsError::Malformed("truncated element"))?;
    if tag & 0x1F == 0x1F {
        return Err(CmsError::Malformed("high tag numbers are not used by CMS"));
    }
    let (&first_len, after_len0) = after_tag
        .split_first()
        .ok_or(CmsError::Malformed("truncated length"))?;
    let constructed = tag & 0x20 != 0;
    if first_len == 0x80 {
        if !constructed {
            return Err(CmsError::Malformed(
                "indefinite length on a primitive element",
            ));
        }
        let content_len = indefinite_content_len(after_len0, depth)?;
        let content = after_len0
            .get(..content_len)
            .ok_or(CmsError::Malformed("truncated element"))?;
        let total = content_len
            .checked_add(4)
            .ok_or(CmsError::Malformed("length overflow"))?;
        let raw = bytes
            .get(..total)
            .ok_or(CmsError::Malformed("truncated element"))?;
        return Ok((
            Tlv {
                tag,
                content,
                raw,
                depth,
            },
            total,
        ));
    }
    let (len, len_octets) = if first_len < 0x80 {
        (usize::from(first_len), 0usize)
    } else {
        let n = usize::from(first_len & 0x7F);
        if n > 4 {
            return Err(CmsError::Malformed("length does not fit in 32 bits"));
        }
        let octets = after_len0
            .get(..n)
            .ok_or(CmsError::Malformed("truncated length"))?;
        let len = octets
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, n)
    };
    let header = 2usize
        .checked_add(len_octets)
        .ok_or(CmsError::Malformed("length overflow"))?;
    let total = header
        .checked_add(len)
        .ok_or(CmsError::Malformed("length overflow"))?;
    let raw = bytes
        .get(..total)
        .ok_or(CmsError::Malformed("length runs past the end of the input"))?;
    let content = raw
        .get(header..)
        .ok_or(CmsError::Malformed("truncated element"))?;
    Ok((
        Tlv {
            tag,
            content,
            raw,
            depth,
        },
        total,
    ))
}

/// Length of the content of an indefinite-length element starting at `bytes` (just after its
/// length octet), excluding the end-of-contents mark.
fn indefinite_content_len(bytes: &[u8], depth: usize) -> Result<usize, CmsError> {
    let child_depth = depth.checked_add(1).ok_or(CmsError::TooDeep(MAX_NESTING))?;
    if child_depth > MAX_NESTING {
        return Err(CmsError::TooDeep(MAX_NESTING));
    }
    let mut offset = 0usize;
    loop {
        let rest = bytes
            .get(offset..)
            .ok_or(CmsError::Malformed("truncated element"))?;
        if rest.starts_with(&[0, 0]) {
            return Ok(offset);
        }
        let (_, used) = parse_element(rest, child_depth)?;
        offset = offset
            .checked_add(used)
            .ok_or(CmsError::Malformed("length overflow"))?;
    }
}

/// Reads the single top-level element of `bytes`; anything after it must be zero bytes (the
/// padding of a PDF `/Contents` string).
pub fn read_top_level(bytes: &[u8]) -> Result<Tlv<'_>, CmsError> {
    let (tlv, used) = parse_element(bytes, 0)?;
    let trailer = bytes.get(used..).unwrap_or_default();
    if trailer.iter().any(|&b| b != 0) {
        return Err(CmsError::TrailingData);
    }
    Ok(tlv)
}

/// Decodes a small non-negative INTEGER (versions, salt lengths).
pub fn small_uint(tlv: &Tlv<'_>) -> Result<u64, CmsError> {
    let content = tlv.primitive(tag::INTEGER)?;
    if content.is_empty() || content.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(CmsError::Malformed("expected a non-negative INTEGER"));
    }
    let significant: &[u8] = match content.iter().position(|&b| b != 0) {
        Some(i) => content.get(i..).unwrap_or_default(),
        None => &[],
    };
    if significant.len() > 8 {
        return Err(CmsError::Malformed("INTEGER too large"));
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// DER encoding of one element: identifier, minimal length, content.
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len().saturating_add(6));
    out.push(tag);
    push_length(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// DER SEQUENCE of already encoded elements.
pub fn der_sequence(parts: &[&[u8]]) -> Vec<u8> {
    der(tag::SEQUENCE, &parts.concat())
}

/// DER SET OF: the encodings sorted as octet strings (X.690 §11.6), under `set_tag` (SET, or the
/// IMPLICIT context tag that replaces it).
pub fn der_set_of(set_tag: u8, mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    der(set_tag, &parts.concat())
}

/// DER INTEGER holding a small non-negative value.
pub fn der_small_uint(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut content = Vec::with_capacity(9);
    if bytes.get(start).is_some_and(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(bytes.get(start..).unwrap_or_default());
    der(tag::INTEGER, &content)
}

fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let significant = bytes.get(start..).unwrap_or_default();
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_definite_and_indefinite() {
        let der_bytes = der_sequence(&[&der(tag::INTEGER, &[5]), &der(tag::NULL, &[])]);
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x05, 0x00, 0x00, 0x00];
        for bytes in [&der_bytes[..], &ber[..]] {
            let top = read_top_level(bytes).unwrap();
            let mut r = top.children().unwrap();
            assert_eq!(small_uint(&r.read().unwrap()).unwrap(), 5);
            assert_eq!(r.read().unwrap().tag, tag::NULL);
            r.finish().unwrap();
            assert_eq!(top.raw.len(), bytes.len());
        }
    }

    #[test]
    fn trailing_zeros_only() {
        let mut bytes = der(tag::SEQUENCE, &[]);
        bytes.extend_from_slice(&[0, 0, 0]);
        assert!(read_top_level(&bytes).is_ok());
        bytes.push(1);
        assert!(matches!(
            read_top_level(&bytes),
            Err(CmsError::TrailingData)
        ));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut bytes = der(tag::NULL, &[]);
        for _ in 0..100 {
            bytes = der(tag::SEQUENCE, &bytes);
        }
        let mut tlv = read_top_level(&bytes).unwrap();
        let mut result = Ok(());
        for _ in 0..100 {
            match tlv.children().and_then(|mut r| r.read()) {
                Ok(next) => tlv = next,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        assert!(matches!(result, Err(CmsError::TooDeep(_))));
        let indefinite: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 200).flatten().collect();
        assert!(matches!(
            read_top_level(&indefinite),
            Err(CmsError::TooDeep(_))
        ));
    }

    #[test]
    fn lengths_and_integers() {
        let long = der(tag::OCTET_STRING, &[7u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
        assert_eq!(der_small_uint(0), vec![2, 1, 0]);
        assert_eq!(der_small_uint(128), vec![2, 2, 0, 128]);
        assert!(read_top_level(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(read_top_level(&[0x04, 0x85, 1, 1, 1, 1, 1]).is_err());
    }
}

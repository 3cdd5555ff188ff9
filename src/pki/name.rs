//! Distinguished names (RFC 5280 §4.1.2.4) with the comparison rules of RFC 5280 §7.1.
//!
//! A [`Name`] keeps its DER for exact comparison and a canonical key computed once at parse time:
//! every RDN's attributes sorted, and every attribute value of a directory-string type decoded,
//! case folded and whitespace normalised (leading and trailing spaces removed, inner runs
//! collapsed to one space). Two names are equal when their canonical keys are, so name chaining
//! (RFC 5280 §6.1.3 (a)(4)) accepts the case and whitespace differences of PKITS §4.3 while
//! still telling apart names whose RDNs come in a different order.

use std::fmt;
use std::hash::{Hash, Hasher};

use x509_parser::asn1_rs::{Any, FromDer, Tag};
use x509_parser::x509::{AttributeTypeAndValue, RelativeDistinguishedName, X509Name};

use super::error::PkiError;
use super::source::der_tlv;

/// OID of the PKCS#9 emailAddress attribute (RFC 5280 §4.2.1.10 makes name constraints on
/// rfc822Name apply to it).
pub const OID_EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";

/// One attribute of an RDN.
#[derive(Clone, Debug)]
pub struct Attribute {
    oid: String,
    oid_der: Vec<u8>,
    tag: u32,
    value: Vec<u8>,
    text: Option<String>,
}

impl Attribute {
    /// Dotted OID of the attribute type.
    pub fn oid(&self) -> &str {
        &self.oid
    }

    /// The value as text, when it is one of the string types.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Raw value bytes (the content of the ASN.1 value, without its header).
    pub fn raw_value(&self) -> &[u8] {
        &self.value
    }

    fn canonical(&self, out: &mut String) {
        out.push_str(&self.oid);
        out.push('=');
        match &self.text {
            Some(t) => out.push_str(&normalise(t)),
            None => {
                out.push('#');
                out.push_str(&self.tag.to_string());
                out.push(':');
                out.push_str(&hex::encode(&self.value));
            }
        }
    }
}

/// A relative distinguished name: a set of attributes.
#[derive(Clone, Debug)]
pub struct Rdn {
    attrs: Vec<Attribute>,
}

impl Rdn {
    /// The attributes of this RDN, in encoding order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attrs
    }

    /// Converts an RDN parsed by x509-parser (for example a distribution point name relative to
    /// the CRL issuer, RFC 5280 §4.2.1.13).
    pub fn from_x509(rdn: &RelativeDistinguishedName<'_>) -> Rdn {
        Rdn {
            attrs: rdn.iter().map(attribute_from_x509).collect(),
        }
    }

    /// DER of the RDN (a SET OF AttributeTypeAndValue, in the original order; single-valued
    /// RDNs, the norm, need no reordering to be DER).
    pub fn to_der(&self) -> Vec<u8> {
        let mut set = Vec::new();
        for a in &self.attrs {
            let mut atv = der_tlv(0x06, &a.oid_der);
            let tag = u8::try_from(a.tag).unwrap_or(0x04);
            atv.extend(der_tlv(tag, &a.value));
            set.extend(der_tlv(0x30, &atv));
        }
        der_tlv(0x31, &set)
    }

    fn canonical(&self) -> String {
        let mut parts: Vec<String> = self
            .attrs
            .iter()
            .map(|a| {
                let mut s = String::new();
                a.canonical(&mut s);
                s
            })
            .collect();
        parts.sort();
        parts.join("+")
    }
}

/// An X.501 distinguished name.
#[derive(Clone, Debug)]
pub struct Name {
    der: Vec<u8>,
    rdns: Vec<Rdn>,
    key: String,
}

impl Name {
    /// Converts a name parsed by x509-parser.
    pub fn from_x509(name: &X509Name<'_>) -> Name {
        let rdns: Vec<Rdn> = name.iter_rdn().map(Rdn::from_x509).collect();
        Name::from_parts(name.as_raw().to_vec(), rdns)
    }

    /// Parses a DER-encoded Name.
    pub fn from_der(der: &[u8]) -> Result<Name, PkiError> {
        let (_, name) = X509Name::from_der(der)
            .map_err(|e| PkiError::BadCertificate(format!("bad distinguished name: {e}")))?;
        Ok(Name::from_x509(&name))
    }

    fn from_parts(der: Vec<u8>, rdns: Vec<Rdn>) -> Name {
        let key = rdns
            .iter()
            .map(Rdn::canonical)
            .collect::<Vec<_>>()
            .join(",");
        Name { der, rdns, key }
    }

    /// This name with one more RDN appended, as a distribution point name relative to the CRL
    /// issuer is formed (RFC 5280 §4.2.1.13). The DER is that of the original name with the
    /// RDN's encoding appended inside the outer SEQUENCE.
    pub fn with_rdn(&self, rdn: &Rdn) -> Name {
        let mut rdns = self.rdns.clone();
        rdns.push(rdn.clone());
        let mut content = der_content(&self.der).to_vec();
        content.extend(rdn.to_der());
        Name::from_parts(der_tlv(0x30, &content), rdns)
    }

    /// The DER encoding as it appeared in the certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RDN sequence, most significant first (encoding order).
    pub fn rdns(&self) -> &[Rdn] {
        &self.rdns
    }

    /// True for the empty name (no RDN).
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// RFC 5280 §7.1 comparison (same as `==`).
    pub fn matches(&self, other: &Name) -> bool {
        self.key == other.key
    }

    /// Byte-for-byte equality of the encodings.
    pub fn exactly_equals(&self, other: &Name) -> bool {
        self.der == other.der
    }

    /// True when `self` lies within the subtree rooted at `base`: the first RDNs of `self` equal
    /// all RDNs of `base` (RFC 5280 §4.2.1.10, directoryName constraints).
    pub fn is_within(&self, base: &Name) -> bool {
        if base.rdns.len() > self.rdns.len() {
            return false;
        }
        self.rdns
            .iter()
            .zip(base.rdns.iter())
            .all(|(a, b)| a.canonical() == b.canonical())
    }

    /// Values of every attribute with the given OID, as text.
    pub fn attribute_texts<'a>(&'a self, oid: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.rdns
            .iter()
            .flat_map(|r| r.attrs.iter())
            .filter(move |a| a.oid == oid)
            .filter_map(|a| a.text.as_deref())
    }

    /// The e-mail addresses held in emailAddress attributes.
    pub fn email_addresses(&self) -> impl Iterator<Item = &str> + '_ {
        self.attribute_texts(OID_EMAIL_ADDRESS)
    }

    /// Readable form in RFC 4514 order (least significant RDN first), with UTF-8 text written
    /// literally, e.g. `CN=Nguyễn Văn An, O=UBND tỉnh Đắk Lắk, C=VN`.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for (i, rdn) in self.rdns.iter().rev().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            for (j, a) in rdn.attrs.iter().enumerate() {
                if j > 0 {
                    out.push_str(" + ");
                }
                out.push_str(short_name(&a.oid).unwrap_or(&a.oid));
                out.push('=');
                match &a.text {
                    Some(t) => escape_into(t, &mut out),
                    None => {
                        out.push('#');
                        out.push_str(&hex::encode(&a.value));
                    }
                }
            }
        }
        out
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.key == other.key
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// The content octets of a DER TLV (empty when malformed).
fn der_content(der: &[u8]) -> &[u8] {
    let total = crate::pki::source::der_length(der).unwrap_or(0);
    let header = match der.get(1) {
        Some(&b) if b < 0x80 => 2,
        Some(&b) => 2 + usize::from(b & 0x7f),
        None => return &[],
    };
    der.get(header..total).unwrap_or_default()
}

fn attribute_from_x509(a: &AttributeTypeAndValue<'_>) -> Attribute {
    let any: &Any<'_> = a.attr_value();
    let tag = any.tag();
    let data: &[u8] = any.data;
    Attribute {
        oid: a.attr_type().to_id_string(),
        oid_der: a.attr_type().as_bytes().to_vec(),
        tag: tag.0,
        value: data.to_vec(),
        text: decode_string(tag, data),
    }
}

/// Decodes the directory-string types (and IA5String) to text; other types stay binary.
fn decode_string(tag: Tag, data: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_owned),
        // T.61 in theory; in practice Latin-1, which every certificate in the wild assumes.
        Tag::TeletexString => Some(data.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if data.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => {
            if data.len() % 4 != 0 {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// Case folding and whitespace normalisation used for comparison (a practical subset of the
/// RFC 4518 string preparation that RFC 5280 §7.1 refers to).
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn escape_into(t: &str, out: &mut String) {
    let last = t.chars().count().saturating_sub(1);
    for (i, c) in t.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
}

/// Short names of the usual attribute types (RFC 4514 §3 and common practice).
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        OID_EMAIL_ADDRESS => "emailAddress",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(tag: u8, inner: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, u8::try_from(inner.len()).unwrap_or(0)];
        v.extend_from_slice(inner);
        v
    }

    /// Builds a Name DER from (oid bytes, string tag, value) per RDN.
    fn name(rdns: &[&[(&[u8], u8, &str)]]) -> Name {
        let mut body = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, val) in rdn.iter() {
                let mut atv = seq(0x06, oid);
                atv.extend(seq(*tag, val.as_bytes()));
                set.extend(seq(0x30, &atv));
            }
            body.extend(seq(0x31, &set));
        }
        Name::from_der(&seq(0x30, &body)).unwrap_or_else(|e| panic!("{e}"))
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    const C: &[u8] = &[0x55, 0x04, 0x06];

    #[test]
    fn case_and_whitespace_are_ignored() {
        let a = name(&[&[(C, 19, "US")], &[(CN, 19, "Good  CA")]]);
        let b = name(&[&[(C, 19, "us")], &[(CN, 12, "  good ca ")]]);
        assert_eq!(a, b);
        assert!(!a.exactly_equals(&b));
    }

    #[test]
    fn rdn_order_matters() {
        let a = name(&[&[(C, 19, "US")], &[(O, 19, "Test")]]);
        let b = name(&[&[(O, 19, "Test")], &[(C, 19, "US")]]);
        assert_ne!(a, b);
    }

    #[test]
    fn multi_valued_rdn_is_a_set() {
        let a = name(&[&[(O, 19, "X"), (CN, 19, "Y")]]);
        let b = name(&[&[(CN, 19, "Y"), (O, 19, "X")]]);
        let c = name(&[&[(CN, 19, "Y")], &[(O, 19, "X")]]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn different_values_differ() {
        let a = name(&[&[(CN, 19, "A")]]);
        let b = name(&[&[(CN, 19, "B")]]);
        assert_ne!(a, b);
    }

    #[test]
    fn appended_rdn_is_valid_der() {
        let base = name(&[&[(C, 19, "US")], &[(O, 19, "Test")]]);
        let rel = name(&[&[(CN, 19, "CRL1")]]);
        let rdn = rel.rdns().first().cloned().unwrap_or_else(|| panic!("rdn"));
        let full = base.with_rdn(&rdn);
        let expect = name(&[&[(C, 19, "US")], &[(O, 19, "Test")], &[(CN, 19, "CRL1")]]);
        assert!(full.exactly_equals(&expect));
        assert_eq!(Name::from_der(full.der()).ok(), Some(expect));
    }

    #[test]
    fn subtree_and_display() {
        let base = name(&[&[(C, 19, "VN")], &[(O, 12, "UBND tỉnh Đắk Lắk")]]);
        let full = name(&[
            &[(C, 19, "VN")],
            &[(O, 12, "UBND tỉnh Đắk Lắk")],
            &[(CN, 12, "Nguyễn Văn An")],
        ]);
        assert!(full.is_within(&base));
        assert!(!base.is_within(&full));
        assert_eq!(
            full.display(),
            "CN=Nguyễn Văn An, O=UBND tỉnh Đắk Lắk, C=VN"
        );
    }
}

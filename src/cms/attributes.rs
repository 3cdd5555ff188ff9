//! CMS attributes (RFC 5652 §5.3, §11) and the ESS signing-certificate attributes (RFC 2634
//! §5.4, RFC 5035 §3) that bind a signature to its signer's certificate.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::algorithm::{AlgorithmId, DigestAlgorithm};
use super::asn1::{self, tag, Reader, Tlv};
use super::certificate::CertificateId;
use super::CmsError;

/// Most attributes accepted in one signed or unsigned attribute set. Signers use 3 to 6
/// (Adobe adds revocation archives, timestamps add one); 64 keeps a hostile set cheap.
pub const MAX_ATTRIBUTES: usize = 64;

/// Most values accepted in one attribute; RFC 5652 attributes kyso reads are single-valued,
/// and counter-signatures or timestamps are rarely more than a handful.
pub const MAX_ATTRIBUTE_VALUES: usize = 16;

/// One attribute: its type and the complete encodings of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// OID content octets of attrType.
    pub oid: Vec<u8>,
    /// The complete encoding of each attrValue.
    pub values: Vec<Vec<u8>>,
    /// The complete encoding of the Attribute SEQUENCE.
    pub raw: Vec<u8>,
}

/// Reads the SET OF Attribute under `tlv` (whatever its tag: `[0]`/`[1]` IMPLICIT or SET).
pub fn parse_attributes(tlv: &Tlv<'_>) -> Result<Vec<Attribute>, CmsError> {
    let mut r = tlv.children()?;
    let mut out = Vec::new();
    while !r.is_empty() {
        if out.len() >= MAX_ATTRIBUTES {
            return Err(CmsError::TooMany {
                what: "attributes",
                max: MAX_ATTRIBUTES,
            });
        }
        let attr = r.read_tag(tag::SEQUENCE)?;
        let mut a = attr.children()?;
        let oid = a.read_tag(tag::OID)?.content.to_vec();
        let set = a.read_tag(tag::SET)?;
        a.finish()?;
        let mut v = set.children()?;
        let mut values = Vec::new();
        while !v.is_empty() {
            if values.len() >= MAX_ATTRIBUTE_VALUES {
                return Err(CmsError::TooMany {
                    what: "attribute values",
                    max: MAX_ATTRIBUTE_VALUES,
                });
            }
            values.push(v.read()?.raw.to_vec());
        }
        out.push(Attribute {
            oid,
            values,
            raw: attr.raw.to_vec(),
        });
    }
    Ok(out)
}

/// DER Attribute with the given values (sorted, as SET OF requires).
pub fn encode_attribute(attr_oid: &[u8], values: Vec<Vec<u8>>) -> Vec<u8> {
    asn1::der_sequence(&[
        &asn1::der(tag::OID, attr_oid),
        &asn1::der_set_of(tag::SET, values),
    ])
}

/// DER SigningCertificateV2 naming `cert` by its SHA-256 hash and IssuerSerial; the hash
/// algorithm is the DEFAULT (SHA-256) and is therefore omitted, as DER requires.
pub fn signing_certificate_v2(cert: &CertificateId) -> Result<Vec<u8>, CmsError> {
    let hash = DigestAlgorithm::Sha256.digest(&cert.der)?;
    let general_names = asn1::der_sequence(&[&asn1::der(tag::ctx_cons(4), &cert.issuer)]);
    let issuer_serial =
        asn1::der_sequence(&[&general_names, &asn1::der(tag::INTEGER, &cert.serial)]);
    let cert_id = asn1::der_sequence(&[&asn1::der(tag::OCTET_STRING, &hash), &issuer_serial]);
    Ok(asn1::der_sequence(&[&asn1::der_sequence(&[&cert_id])]))
}

/// Outcome of comparing an ESS signing-certificate attribute with the signer's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EssStatus {
    /// Neither signing-certificate nor signing-certificate-v2 is present.
    Absent,
    /// signing-certificate (v1, SHA-1) names the signer's certificate.
    V1Match,
    /// signing-certificate-v2 names the signer's certificate.
    V2Match,
    /// An attribute is present but names another certificate, or cannot be read.
    Mismatch,
}

/// Checks a signing-certificate (`v2 == false`, RFC 2634 §5.4) or signing-certificate-v2
/// (RFC 5035 §3) value against the signer's certificate. Its first ESSCertID must identify
/// the signer (RFC 5035 §5.4).
pub fn check_signing_certificate(value: &[u8], cert: &CertificateId, v2: bool) -> bool {
    check_signing_certificate_inner(value, cert, v2).unwrap_or(false)
}

fn check_signing_certificate_inner(
    value: &[u8],
    cert: &CertificateId,
    v2: bool,
) -> Result<bool, CmsError> {
    let top = Reader::new(value).read_tag(tag::SEQUENCE)?;
    let mut s = top.children()?;
    let certs = s.read_tag(tag::SEQUENCE)?;
    let first = certs.children()?.read_tag(tag::SEQUENCE)?;
    let mut id = first.children()?;
    let digest = if v2 {
        match id.read_optional(tag::SEQUENCE)? {
            Some(alg) => {
                let alg = AlgorithmId::parse(&alg)?;
                match DigestAlgorithm::from_oid(&alg.oid) {
                    Some(d) => d,
                    None => return Ok(false),
                }
            }
            None => DigestAlgorithm::Sha256,
        }
    } else {
        DigestAlgorithm::Sha1
    };
    let hash = id.read_tag(tag::OCTET_STRING)?.content;
    if hash != digest.digest(&cert.der)?.as_slice() {
        return Ok(false);
    }
    if let Some(issuer_serial) = id.read_optional(tag::SEQUENCE)? {
        let mut is = issuer_serial.children()?;
        let names = is.read_tag(tag::SEQUENCE)?;
        let serial = is.read_tag(tag::INTEGER)?.content;
        if serial != cert.serial.as_slice() {
            return Ok(false);
        }
        let mut n = names.children()?;
        let mut issuer_found = false;
        while !n.is_empty() {
            let name = n.read()?;
            if name.tag == tag::ctx_cons(4) && name.content == cert.issuer.as_slice() {
                issuer_found = true;
            }
        }
        if !issuer_found {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Decodes a Time (RFC 5652 §11.3: UTCTime or GeneralizedTime). DER requires `Z` and seconds;
/// BER offsets and missing seconds are accepted because legacy signers write them.
pub fn parse_time(value: &[u8]) -> Result<OffsetDateTime, CmsError> {
    let tlv = Reader::new(value).read()?;
    let bad = CmsError::Malformed("invalid time value");
    let text = std::str::from_utf8(tlv.content).map_err(|_| bad.clone())?;
    let (year, rest) = match tlv.tag {
        tag::UTC_TIME => {
            let yy = digits(text, 0, 2).ok_or(bad.clone())?;
            // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
            let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
            (year, text.get(2..).ok_or(bad.clone())?)
        }
        tag::GENERALIZED_TIME => (
            digits(text, 0, 4).ok_or(bad.clone())?,
            text.get(4..).ok_or(bad.clone())?,
        ),
        _ => return Err(bad),
    };
    let field = |at: usize| digits(rest, at, 2).ok_or(bad.clone());
    let (month, day, hour, minute) = (field(0)?, field(2)?, field(4)?, field(6)?);
    let mut pos = 8;
    let mut second = 0;
    if let Some(s) = digits(rest, 8, 2) {
        second = s;
        pos = 10;
    }
    let mut nanos = 0u32;
    if tlv.tag == tag::GENERALIZED_TIME && matches!(rest.get(pos..pos + 1), Some("." | ",")) {
        pos += 1;
        let frac_len = rest
            .get(pos..)
            .unwrap_or_default()
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if frac_len == 0 {
            return Err(bad);
        }
        let mut scale = 100_000_000u32;
        for i in 0..frac_len.min(9) {
            nanos += digits(rest, pos + i, 1).ok_or(bad.clone())? * scale;
            scale /= 10;
        }
        pos += frac_len;
    }
    let offset = match rest.get(pos..) {
        Some("Z") => UtcOffset::UTC,
        Some(tz) if tz.len() == 5 && (tz.starts_with('+') || tz.starts_with('-')) => {
            let h = digits(tz, 1, 2).ok_or(bad.clone())?;
            let m = digits(tz, 3, 2).ok_or(bad.clone())?;
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let secs = sign * (h as i32 * 3600 + m as i32 * 60);
            UtcOffset::from_whole_seconds(secs).map_err(|_| bad.clone())?
        }
        _ => return Err(bad),
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(bad.clone())?;
    let date = Date::from_calendar_date(year as i32, month, day as u8).map_err(|_| bad.clone())?;
    let clock = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| bad.clone())?;
    Ok(PrimitiveDateTime::new(date, clock)
        .assume_offset(offset)
        .to_offset(UtcOffset::UTC))
}

/// The decimal number in `text[at..at + len]`, when those are all ASCII digits.
fn digits(text: &str, at: usize, len: usize) -> Option<u32> {
    let s = text.get(at..at.checked_add(len)?)?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(t: u8, s: &str) -> Result<OffsetDateTime, CmsError> {
        parse_time(&asn1::der(t, s.as_bytes()))
    }

    #[test]
    fn times() {
        let t = time(tag::UTC_TIME, "261127093000Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-27 9:30:00.0 +00:00:00");
        let t = time(tag::UTC_TIME, "991231235959Z").unwrap();
        assert_eq!(t.year(), 1999);
        let t = time(tag::GENERALIZED_TIME, "20261127163000.25+0700").unwrap();
        assert_eq!(t.to_string(), "2026-11-27 9:30:00.25 +00:00:00");
        let t = time(tag::UTC_TIME, "2611270930Z").unwrap();
        assert_eq!(t.second(), 0);
        for bad in [
            "",
            "26",
            "261327093000Z",
            "261127093000",
            "2611270930001Z",
            "26112709300aZ",
        ] {
            assert!(time(tag::UTC_TIME, bad).is_err(), "{bad}");
        }
        assert!(time(tag::GENERALIZED_TIME, "20261127093000.Z").is_err());
        assert!(time(tag::INTEGER, "261127093000Z").is_err());
    }
}

//! Parsing a CMS ContentInfo holding SignedData (RFC 5652 §3, §5) from any signer into owned
//! values, with every list bounded. BER is accepted (legacy PDF signers emit it); every element
//! keeps its original bytes where a signature covers them.

use super::algorithm::AlgorithmId;
use super::asn1::{self, tag, Reader, Tlv};
use super::attributes::{parse_attributes, Attribute};
use super::{oid, CmsError};

/// Largest CMS accepted, in bytes. PAdES signatures are a few KiB to a few hundred KiB; legacy
/// Adobe signatures may embed CRLs in a signed attribute, and national CRLs reach several MiB.
pub const MAX_CMS_SIZE: usize = 16 * 1024 * 1024;

/// Most certificates read from `certificates`. A chain is 2 to 5 certificates; some signers add
/// timestamp and OCSP responder chains. 64 is generous and bounds the signer search.
pub const MAX_CERTIFICATES: usize = 64;

/// Most revocation entries read from `crls`.
pub const MAX_CRLS: usize = 64;

/// Most SignerInfos read. PAdES requires exactly one; CMS allows parallel signers, rarely more
/// than two.
pub const MAX_SIGNER_INFOS: usize = 8;

/// Most entries read from `digestAlgorithms` (one per distinct signer digest).
pub const MAX_DIGEST_ALGORITHMS: usize = 8;

/// A parsed SignedData.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignedData {
    pub version: u64,
    pub digest_algorithms: Vec<AlgorithmId>,
    /// OID content octets of eContentType.
    pub content_type: Vec<u8>,
    /// eContent, when present (then the signature is not detached): the octets of the OCTET
    /// STRING, chunks of a BER constructed one joined.
    pub content: Option<Vec<u8>>,
    /// DER of each X.509 certificate in `certificates` (other certificate formats are skipped).
    pub certificates: Vec<Vec<u8>>,
    /// Encoding of each CertificateList in `crls` (other revocation formats are skipped).
    pub crls: Vec<Vec<u8>>,
    pub signer_infos: Vec<SignerInfo>,
}

/// How a SignerInfo names its certificate (RFC 5652 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerId {
    /// Complete encoding of the issuer Name and content octets of the serial number.
    IssuerAndSerialNumber {
        issuer: Vec<u8>,
        serial: Vec<u8>,
    },
    SubjectKeyIdentifier(Vec<u8>),
}

/// A parsed SignerInfo.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignerInfo {
    pub version: u64,
    pub sid: SignerId,
    pub digest_algorithm: AlgorithmId,
    /// The signed attributes, when present.
    pub signed_attributes: Option<SignedAttributes>,
    pub signature_algorithm: AlgorithmId,
    pub signature: Vec<u8>,
    pub unsigned_attributes: Vec<Attribute>,
}

/// Signed attributes with the bytes as they were received.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignedAttributes {
    pub attributes: Vec<Attribute>,
    /// The received encoding with its `[0]` tag replaced by SET, which is what a correct signer
    /// signed when its encoding was DER.
    pub received: Vec<u8>,
}

impl SignedAttributes {
    /// The DER re-encoding (RFC 5652 §5.4): the attributes sorted as a DER SET OF.
    pub fn der_encoding(&self) -> Vec<u8> {
        asn1::der_set_of(
            tag::SET,
            self.attributes.iter().map(|a| a.raw.clone()).collect(),
        )
    }

    /// The attributes of the given type.
    pub fn get<'s>(&'s self, attr_oid: &'s [u8]) -> impl Iterator<Item = &'s Attribute> + 's {
        self.attributes.iter().filter(move |a| a.oid == attr_oid)
    }
}

impl SignedData {
    /// Parses a DER (or BER) ContentInfo of type id-signedData. Zero bytes after it are
    /// accepted as padding (PDF `/Contents`), any other trailing byte is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, CmsError> {
        if bytes.is_empty() {
            return Err(CmsError::Empty);
        }
        if bytes.len() > MAX_CMS_SIZE {
            return Err(CmsError::TooLarge {
                len: bytes.len(),
                max: MAX_CMS_SIZE,
            });
        }
        let top = asn1::read_top_level(bytes)?;
        if top.tag != tag::SEQUENCE {
            return Err(CmsError::Malformed("ContentInfo is not a SEQUENCE"));
        }
        let mut ci = top.children()?;
        let content_type = ci.read_tag(tag::OID)?;
        if content_type.content != oid::SIGNED_DATA {
            return Err(CmsError::NotSignedData(oid::dotted(content_type.content)));
        }
        let explicit = ci.read_tag(tag::ctx_cons(0))?;
        ci.finish()?;
        let mut inner = explicit.children()?;
        let signed_data = inner.read_tag(tag::SEQUENCE)?;
        inner.finish()?;
        parse_signed_data(&signed_data)
    }
}

fn parse_signed_data(sd: &Tlv<'_>) -> Result<SignedData, CmsError> {
    let mut r = sd.children()?;
    let version = asn1::small_uint(&r.read()?)?;
    let digest_algorithms = bounded_list(
        &r.read_tag(tag::SET)?,
        MAX_DIGEST_ALGORITHMS,
        "digest algorithms",
        |t| AlgorithmId::parse(&t),
    )?;
    let encap = r.read_tag(tag::SEQUENCE)?;
    let mut e = encap.children()?;
    let content_type = e.read_tag(tag::OID)?.content.to_vec();
    let content = match e.read_optional(tag::ctx_cons(0))? {
        Some(explicit) => {
            let mut inner = explicit.children()?;
            let octets = inner.read()?;
            inner.finish()?;
            let mut out = Vec::new();
            octet_string(&octets, &mut out)?;
            Some(out)
        }
        None => None,
    };
    e.finish()?;
    let mut certificates = Vec::new();
    if let Some(set) = r.read_optional(tag::ctx_cons(0))? {
        let all = bounded_list(&set, MAX_CERTIFICATES, "certificates", Ok)?;
        certificates = all
            .into_iter()
            .filter(|t| t.tag == tag::SEQUENCE)
            .map(|t| t.raw.to_vec())
            .collect();
    }
    let mut crls = Vec::new();
    if let Some(set) = r.read_optional(tag::ctx_cons(1))? {
        let all = bounded_list(&set, MAX_CRLS, "CRLs", Ok)?;
        crls = all
            .into_iter()
            .filter(|t| t.tag == tag::SEQUENCE)
            .map(|t| t.raw.to_vec())
            .collect();
    }
    let signer_infos = bounded_list(
        &r.read_tag(tag::SET)?,
        MAX_SIGNER_INFOS,
        "signer infos",
        |t| parse_signer_info(&t),
    )?;
    r.finish()?;
    Ok(SignedData {
        version,
        digest_algorithms,
        content_type,
        content,
        certificates,
        crls,
        signer_infos,
    })
}

/// Appends the octets of an OCTET STRING, primitive or BER constructed (X.690 §8.7.3).
fn octet_string(tlv: &Tlv<'_>, out: &mut Vec<u8>) -> Result<(), CmsError> {
    match tlv.tag {
        tag::OCTET_STRING => {
            out.extend_from_slice(tlv.content);
            Ok(())
        }
        t if t == tag::OCTET_STRING | 0x20 => {
            let mut chunks = tlv.children()?;
            while !chunks.is_empty() {
                octet_string(&chunks.read()?, out)?;
            }
            Ok(())
        }
        _ => Err(CmsError::Malformed("eContent is not an OCTET STRING")),
    }
}

/// Reads the children of `tlv` with `item`, failing once more than `max` are present.
fn bounded_list<'a, T>(
    tlv: &Tlv<'a>,
    max: usize,
    what: &'static str,
    mut item: impl FnMut(Tlv<'a>) -> Result<T, CmsError>,
) -> Result<Vec<T>, CmsError> {
    let mut r: Reader<'a> = tlv.children()?;
    let mut out = Vec::new();
    while !r.is_empty() {
        if out.len() >= max {
            return Err(CmsError::TooMany { what, max });
        }
        out.push(item(r.read()?)?);
    }
    Ok(out)
}

fn parse_signer_info(si: &Tlv<'_>) -> Result<SignerInfo, CmsError> {
    if si.tag != tag::SEQUENCE {
        return Err(CmsError::Malformed("SignerInfo is not a SEQUENCE"));
    }
    let mut r = si.children()?;
    let version = asn1::small_uint(&r.read()?)?;
    let sid_tlv = r.read()?;
    let sid = match sid_tlv.tag {
        tag::SEQUENCE => {
            let mut s = sid_tlv.children()?;
            let issuer = s.read_tag(tag::SEQUENCE)?.raw.to_vec();
            let serial = s.read_tag(tag::INTEGER)?.content.to_vec();
            s.finish()?;
            SignerId::IssuerAndSerialNumber { issuer, serial }
        }
        t if t == tag::ctx_prim(0) => SignerId::SubjectKeyIdentifier(sid_tlv.content.to_vec()),
        _ => return Err(CmsError::Malformed("unknown SignerIdentifier")),
    };
    let digest_algorithm = AlgorithmId::parse(&r.read()?)?;
    let signed_attributes = match r.read_optional(tag::ctx_cons(0))? {
        Some(attrs) => {
            let attributes = parse_attributes(&attrs)?;
            let mut received = attrs.raw.to_vec();
            if let Some(first) = received.first_mut() {
                *first = tag::SET;
            }
            Some(SignedAttributes {
                attributes,
                received,
            })
        }
        None => None,
    };
    let signature_algorithm = AlgorithmId::parse(&r.read()?)?;
    let signature = r.read_tag(tag::OCTET_STRING)?.content.to_vec();
    let unsigned_attributes = match r.read_optional(tag::ctx_cons(1))? {
        Some(attrs) => parse_attributes(&attrs)?,
        None => Vec::new(),
    };
    r.finish()?;
    Ok(SignerInfo {
        version,
        sid,
        digest_algorithm,
        signed_attributes,
        signature_algorithm,
        signature,
        unsigned_attributes,
    })
}

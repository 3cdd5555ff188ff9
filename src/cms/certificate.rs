//! The few fields of an X.509 certificate (RFC 5280 §4.1) that CMS needs to name and find a
//! signer: issuer, serial number, subject key identifier. Path validation belongs to `pki`.

use super::asn1::{self, tag, Reader};
use super::{oid, CmsError};

/// A certificate's identifying fields, with its exact DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateId {
    /// The certificate exactly as it was encoded.
    pub der: Vec<u8>,
    /// The complete encoding of the issuer Name.
    pub issuer: Vec<u8>,
    /// The content octets of the serialNumber INTEGER.
    pub serial: Vec<u8>,
    /// The complete encoding of the subjectPublicKeyInfo: the signer's key is read from it
    /// alone, without decoding the whole certificate again.
    pub spki: Vec<u8>,
    /// The subjectKeyIdentifier extension's key identifier, when present.
    pub subject_key_id: Option<Vec<u8>>,
    /// The extendedKeyUsage extension, when present.
    pub ext_key_usage: Option<ExtKeyUsage>,
}

/// The extendedKeyUsage extension (RFC 5280 §4.2.1.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtKeyUsage {
    pub critical: bool,
    /// OID content octets of each KeyPurposeId.
    pub purposes: Vec<Vec<u8>>,
}

/// Most extensions read from one certificate; real certificates carry about ten.
pub const MAX_EXTENSIONS: usize = 64;

/// Most key purposes read from one extendedKeyUsage extension.
pub const MAX_KEY_PURPOSES: usize = 32;

impl CertificateId {
    /// Reads the identifying fields of a DER certificate.
    pub fn parse(der: &[u8]) -> Result<Self, CmsError> {
        let bad = |_| CmsError::BadCertificate;
        let cert = asn1::read_top_level(der).map_err(bad)?;
        if cert.tag != tag::SEQUENCE || cert.raw.len() != der.len() {
            return Err(CmsError::BadCertificate);
        }
        let mut c = cert.children().map_err(bad)?;
        let tbs = c.read_tag(tag::SEQUENCE).map_err(bad)?;
        let mut t = tbs.children().map_err(bad)?;
        t.read_optional(tag::ctx_cons(0)).map_err(bad)?;
        let serial = t.read_tag(tag::INTEGER).map_err(bad)?.content.to_vec();
        t.read_tag(tag::SEQUENCE).map_err(bad)?; // signature
        let issuer = t.read_tag(tag::SEQUENCE).map_err(bad)?.raw.to_vec();
        t.read_tag(tag::SEQUENCE).map_err(bad)?; // validity
        t.read_tag(tag::SEQUENCE).map_err(bad)?; // subject
        let spki = t.read_tag(tag::SEQUENCE).map_err(bad)?.raw.to_vec();
        t.read_optional(tag::ctx_prim(1)).map_err(bad)?;
        t.read_optional(tag::ctx_prim(2)).map_err(bad)?;
        let mut id = CertificateId {
            der: der.to_vec(),
            issuer,
            serial,
            spki,
            subject_key_id: None,
            ext_key_usage: None,
        };
        if let Some(ext) = t.read_optional(tag::ctx_cons(3)).map_err(bad)? {
            read_extensions(&mut ext.children().map_err(bad)?, &mut id).map_err(bad)?;
        }
        Ok(id)
    }

    /// DER IssuerAndSerialNumber (RFC 5652 §10.2.4) naming this certificate.
    pub fn issuer_and_serial_number(&self) -> Vec<u8> {
        asn1::der_sequence(&[&self.issuer, &asn1::der(tag::INTEGER, &self.serial)])
    }
}

fn read_extensions(explicit: &mut Reader<'_>, id: &mut CertificateId) -> Result<(), CmsError> {
    let extensions = explicit.read_tag(tag::SEQUENCE)?;
    let mut list = extensions.children()?;
    let mut count = 0usize;
    while !list.is_empty() {
        count += 1;
        if count > MAX_EXTENSIONS {
            return Err(CmsError::TooMany {
                what: "certificate extensions",
                max: MAX_EXTENSIONS,
            });
        }
        let ext = list.read_tag(tag::SEQUENCE)?;
        let mut e = ext.children()?;
        let ext_id = e.read_tag(tag::OID)?;
        let critical = match e.read_optional(tag::BOOLEAN)? {
            Some(b) => b.content.first().is_some_and(|&v| v != 0),
            None => false,
        };
        let value = e.read_tag(tag::OCTET_STRING)?;
        if ext_id.content == oid::SUBJECT_KEY_IDENTIFIER {
            let key_id = Reader::new(value.content).read_tag(tag::OCTET_STRING)?;
            id.subject_key_id = Some(key_id.content.to_vec());
        } else if ext_id.content == oid::EXT_KEY_USAGE {
            let seq = Reader::new(value.content).read_tag(tag::SEQUENCE)?;
            let mut p = seq.children()?;
            let mut purposes = Vec::new();
            while !p.is_empty() {
                if purposes.len() >= MAX_KEY_PURPOSES {
                    return Err(CmsError::TooMany {
                        what: "key purposes",
                        max: MAX_KEY_PURPOSES,
                    });
                }
                purposes.push(p.read_tag(tag::OID)?.content.to_vec());
            }
            id.ext_key_usage = Some(ExtKeyUsage { critical, purposes });
        }
    }
    Ok(())
}

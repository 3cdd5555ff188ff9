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
    /// The subjectKeyIdentifier extension's key identifier, when present.
    pub subject_key_id: Option<Vec<u8>>,
}

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
        t.read_tag(tag::SEQUENCE).map_err(bad)?; // subjectPublicKeyInfo
        t.read_optional(tag::ctx_prim(1)).map_err(bad)?;
        t.read_optional(tag::ctx_prim(2)).map_err(bad)?;
        let subject_key_id = match t.read_optional(tag::ctx_cons(3)).map_err(bad)? {
            Some(ext) => find_subject_key_id(&mut ext.children().map_err(bad)?).map_err(bad)?,
            None => None,
        };
        Ok(CertificateId {
            der: der.to_vec(),
            issuer,
            serial,
            subject_key_id,
        })
    }

    /// DER IssuerAndSerialNumber (RFC 5652 §10.2.4) naming this certificate.
    pub fn issuer_and_serial_number(&self) -> Vec<u8> {
        asn1::der_sequence(&[&self.issuer, &asn1::der(tag::INTEGER, &self.serial)])
    }
}

fn find_subject_key_id(explicit: &mut Reader<'_>) -> Result<Option<Vec<u8>>, CmsError> {
    let extensions = explicit.read_tag(tag::SEQUENCE)?;
    let mut list = extensions.children()?;
    while !list.is_empty() {
        let ext = list.read_tag(tag::SEQUENCE)?;
        let mut e = ext.children()?;
        let id = e.read_tag(tag::OID)?;
        e.read_optional(tag::BOOLEAN)?;
        let value = e.read_tag(tag::OCTET_STRING)?;
        if id.content == oid::SUBJECT_KEY_IDENTIFIER {
            let key_id = Reader::new(value.content).read_tag(tag::OCTET_STRING)?;
            return Ok(Some(key_id.content.to_vec()));
        }
    }
    Ok(None)
}

//! Building a detached CMS SignedData for PAdES baseline B-B (ETSI EN 319 142-1 §6.3, ETSI EN
//! 319 122-1 §5.2): signed attributes content-type, message-digest and ESS
//! signing-certificate-v2, and no signing-time (the claimed time lives in the PDF's `/M`).
//!
//! Signing is split in two steps so that the key can live elsewhere: [`prepare`] computes the
//! signed attributes and the digest to sign, [`PreparedSignature::assemble`] wraps a signature
//! value (and, later, a signature timestamp) into the final DER. [`sign_detached`] does both
//! with a [`RawSigner`].

use super::algorithm::{DigestAlgorithm, SignatureAlgorithm};
use super::asn1::{self, tag};
use super::attributes::{encode_attribute, signing_certificate_v2};
use super::certificate::CertificateId;
use super::parse::MAX_CERTIFICATES;
use super::signer::RawSigner;
use super::{oid, CmsError};

/// What to sign: the SHA-256 of the content (the caller hashes the PDF byte ranges as it
/// streams them) and the signer's certificates.
#[derive(Debug, Clone)]
pub struct SignRequest<'a> {
    /// SHA-256 of the detached content.
    pub content_digest: [u8; 32],
    /// DER of the signer's certificate.
    pub signer_certificate: &'a [u8],
    /// DER of the other certificates to embed (intermediates, possibly the root).
    pub chain: &'a [Vec<u8>],
    /// The algorithm the signature value will use.
    pub algorithm: SignatureAlgorithm,
}

/// Everything of a SignedData except the signature value.
#[derive(Debug, Clone)]
pub struct PreparedSignature {
    algorithm: SignatureAlgorithm,
    pub(super) signed_attributes: Vec<u8>,
    signer_id: Vec<u8>,
    certificates: Vec<Vec<u8>>,
    /// OID content octets of eContentType.
    content_type: &'static [u8],
    /// eContent, for encapsulated signatures (time-stamp tokens); `None` when detached.
    content: Option<Vec<u8>>,
}

/// Builds the signed attributes (DER SET OF, sorted) and collects the certificates.
pub fn prepare(request: &SignRequest<'_>) -> Result<PreparedSignature, CmsError> {
    let signer = Signer {
        certificate: request.signer_certificate,
        chain: request.chain,
        algorithm: request.algorithm,
        include_certificates: true,
    };
    prepare_with(oid::DATA, None, &request.content_digest, &signer)
}

/// Who signs a SignedData and which certificates go into it.
pub(super) struct Signer<'a> {
    pub certificate: &'a [u8],
    pub chain: &'a [Vec<u8>],
    pub algorithm: SignatureAlgorithm,
    /// Whether `certificates` is filled (a time-stamp request may not ask for them).
    pub include_certificates: bool,
}

/// Prepares a SignedData that encapsulates `content` of type `content_type` (an RFC 3161
/// TSTInfo).
pub(super) fn prepare_encapsulated(
    content_type: &'static [u8],
    content: Vec<u8>,
    signer: &Signer<'_>,
) -> Result<PreparedSignature, CmsError> {
    let digest = signer.algorithm.digest().digest(&content)?;
    prepare_with(content_type, Some(content), &digest, signer)
}

fn prepare_with(
    content_type: &'static [u8],
    content: Option<Vec<u8>>,
    content_digest: &[u8],
    signer: &Signer<'_>,
) -> Result<PreparedSignature, CmsError> {
    let id = CertificateId::parse(signer.certificate)?;
    let mut certificates: Vec<Vec<u8>> = vec![id.der.clone()];
    for cert in signer.chain {
        CertificateId::parse(cert)?;
        if !certificates.contains(cert) {
            certificates.push(cert.clone());
        }
    }
    if certificates.len() > MAX_CERTIFICATES {
        return Err(CmsError::TooMany {
            what: "certificates",
            max: MAX_CERTIFICATES,
        });
    }
    if !signer.include_certificates {
        certificates.clear();
    }
    let content_type_attr =
        encode_attribute(oid::CONTENT_TYPE, vec![asn1::der(tag::OID, content_type)]);
    let message_digest = encode_attribute(
        oid::MESSAGE_DIGEST,
        vec![asn1::der(tag::OCTET_STRING, content_digest)],
    );
    let ess = encode_attribute(
        oid::SIGNING_CERTIFICATE_V2,
        vec![signing_certificate_v2(&id)?],
    );
    let signed_attributes =
        asn1::der_set_of(tag::SET, vec![content_type_attr, message_digest, ess]);
    Ok(PreparedSignature {
        algorithm: signer.algorithm,
        signed_attributes,
        signer_id: id.issuer_and_serial_number(),
        certificates,
        content_type,
        content,
    })
}

impl PreparedSignature {
    /// The DER of the signed attributes as signed: a SET OF with the universal SET tag
    /// (RFC 5652 §5.4). A [`RawSigner`] signs exactly these bytes.
    pub fn signed_attributes_der(&self) -> &[u8] {
        &self.signed_attributes
    }

    /// The digest a remote signer signs (SHA-256 of [`Self::signed_attributes_der`]).
    pub fn digest_to_sign(&self) -> Result<Vec<u8>, CmsError> {
        self.algorithm.digest().digest(&self.signed_attributes)
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The DER ContentInfo holding the SignedData with `signature` as the signature value and,
    /// when given, a signature timestamp token (RFC 3161 appendix A, the PAdES B-T level) as
    /// unsigned attribute.
    pub fn assemble(
        &self,
        signature: &[u8],
        signature_timestamp: Option<&[u8]>,
    ) -> Result<Vec<u8>, CmsError> {
        if signature.is_empty() {
            return Err(CmsError::Signing("empty signature value".into()));
        }
        // [0] IMPLICIT replaces the SET tag of the signed attributes (RFC 5652 §5.3).
        let mut signed_attrs = self.signed_attributes.clone();
        if let Some(first) = signed_attrs.first_mut() {
            *first = tag::ctx_cons(0);
        }
        let mut signer_info = vec![
            asn1::der_small_uint(1),
            self.signer_id.clone(),
            DigestAlgorithm::Sha256.algorithm_identifier(),
            signed_attrs,
            self.algorithm.algorithm_identifier(),
            asn1::der(tag::OCTET_STRING, signature),
        ];
        if let Some(token) = signature_timestamp {
            let parsed = asn1::read_top_level(token)?;
            if parsed.tag != tag::SEQUENCE || parsed.raw.len() != token.len() {
                return Err(CmsError::Malformed(
                    "timestamp token is not one DER ContentInfo",
                ));
            }
            let attribute = encode_attribute(oid::SIGNATURE_TIME_STAMP_TOKEN, vec![token.to_vec()]);
            signer_info.push(asn1::der_set_of(tag::ctx_cons(1), vec![attribute]));
        }
        let signer_info = asn1::der(tag::SEQUENCE, &signer_info.concat());
        let mut encap = asn1::der(tag::OID, self.content_type);
        if let Some(content) = &self.content {
            let octets = asn1::der(tag::OCTET_STRING, content);
            encap.extend_from_slice(&asn1::der(tag::ctx_cons(0), &octets));
        }
        // RFC 5652 §5.1: version 3 when eContentType is not id-data, else 1.
        let version = if self.content_type == oid::DATA { 1 } else { 3 };
        let mut parts = vec![
            asn1::der_small_uint(version),
            asn1::der_set_of(
                tag::SET,
                vec![DigestAlgorithm::Sha256.algorithm_identifier()],
            ),
            asn1::der(tag::SEQUENCE, &encap),
        ];
        if !self.certificates.is_empty() {
            parts.push(asn1::der_set_of(
                tag::ctx_cons(0),
                self.certificates.clone(),
            ));
        }
        parts.push(asn1::der_set_of(tag::SET, vec![signer_info]));
        let signed_data = asn1::der(tag::SEQUENCE, &parts.concat());
        Ok(asn1::der_sequence(&[
            &asn1::der(tag::OID, oid::SIGNED_DATA),
            &asn1::der(tag::ctx_cons(0), &signed_data),
        ]))
    }
}

/// Prepares, signs with `signer` and assembles a detached SignedData (PAdES B-B, or B-T when a
/// timestamp token is added later through [`PreparedSignature::assemble`]).
pub fn sign_detached(
    content_digest: [u8; 32],
    signer_certificate: &[u8],
    chain: &[Vec<u8>],
    signer: &dyn RawSigner,
) -> Result<Vec<u8>, CmsError> {
    let prepared = prepare(&SignRequest {
        content_digest,
        signer_certificate,
        chain,
        algorithm: signer.algorithm(),
    })?;
    let signature = signer.sign(prepared.signed_attributes_der())?;
    prepared.assemble(&signature, None)
}

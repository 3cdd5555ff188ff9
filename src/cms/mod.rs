//! CMS SignedData (RFC 5652) for PDF signatures, with no knowledge of PDF: building detached
//! PAdES signatures (ETSI EN 319 142-1 baseline B-B, with a slot for the B-T signature
//! timestamp) and verifying signatures from any signer, including legacy
//! `adbe.pkcs7.detached` ones. A pure library: no I/O, no clock.
//!
//! Signing: [`prepare`] + a [`RawSigner`] (or a remote key) + [`PreparedSignature::assemble`],
//! or [`sign_detached`] in one call. Verifying: [`SignedData::parse`] then
//! [`SignedData::verify`] with the content digest, giving a [`CmsReport`]; the signer's chain is
//! then validated by `pki` from [`SignerReport::signer_certificate`] and
//! [`CmsReport::certificates`]. RFC 3161 time-stamp tokens: [`timestamp_request`],
//! [`token_from_response`], [`verify_timestamp`]; the authority side: [`respond`].

mod algorithm;
mod asn1;
mod attributes;
mod build;
mod certificate;
mod oid;
mod parse;
mod signer;
mod timestamp;
mod tsa;
mod verify;

pub use algorithm::{
    AlgorithmId, DigestAlgorithm, SignatureAlgorithm, SignatureScheme, PSS_SALT_LEN,
};
pub use asn1::MAX_NESTING;
pub use attributes::{Attribute, EssStatus, MAX_ATTRIBUTES, MAX_ATTRIBUTE_VALUES};
pub use build::{prepare, sign_detached, PreparedSignature, SignRequest};
pub use certificate::{CertificateId, ExtKeyUsage, MAX_EXTENSIONS, MAX_KEY_PURPOSES};
/// id-aa-signatureTimeStampToken (RFC 3161 appendix A), as OID content octets: the unsigned
/// attribute that carries a PAdES B-T signature timestamp.
pub use oid::SIGNATURE_TIME_STAMP_TOKEN;
pub use parse::{
    SignedAttributes, SignedData, SignerId, SignerInfo, MAX_CERTIFICATES, MAX_CMS_SIZE, MAX_CRLS,
    MAX_DIGEST_ALGORITHMS, MAX_SIGNER_INFOS,
};
pub use signer::{PKeySigner, RawSigner, MIN_RSA_BITS};
pub use timestamp::{
    read_tst_info, request_nonce, timestamp_request, token_from_response, verify_timestamp,
    verify_timestamp_digest, TimestampProblem, TimestampReport, TstInfo, MAX_NONCE_LEN,
};
pub use tsa::{
    issue_token, rejection, respond, TimestampAuthority, TimestampRequest, TsaFailure,
    MAX_REQUEST_SIZE, MAX_SERIAL_LEN,
};
pub use verify::{
    verify_detached, verify_detached_content, CmsReport, ContentDigest, Problem, SignerReport,
};

/// Why CMS bytes could not be evaluated (or a signature could not be made). A signature that
/// does not verify is not an error: it is a [`CmsReport`] with problems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    #[error("the CMS input is empty")]
    Empty,
    #[error("the CMS input is {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    #[error("malformed ASN.1 (ITU-T X.690): {0}")]
    Malformed(&'static str),
    #[error("ASN.1 nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("bytes other than zero padding follow the CMS structure")]
    TrailingData,
    #[error("content type {0} is not id-signedData (RFC 5652 §5.1)")]
    NotSignedData(String),
    #[error("more than {max} {what}")]
    TooMany { what: &'static str, max: usize },
    #[error("a certificate is not a well-formed X.509 certificate (RFC 5280 §4.1)")]
    BadCertificate,
    #[error("the key does not fit the signature algorithm {0}")]
    KeyMismatch(SignatureAlgorithm),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("cryptographic library error: {0}")]
    Crypto(String),
    #[error(
        "not an RFC 3161 time-stamp token (eContentType is not id-ct-TSTInfo, RFC 3161 §2.4.2)"
    )]
    NotTimestampToken,
    #[error(
        "the time-stamp authority refused the request: status {status} {text} (RFC 3161 §2.4.2)"
    )]
    TimestampRejected { status: u64, text: String },
    #[error("no content digest was supplied for {0}, which the signature uses")]
    DigestNotSupplied(DigestAlgorithm),
}

//! The time-stamp authority side of RFC 3161: read a TimeStampReq, answer with a
//! TimeStampResp holding a signed TSTInfo, or with a rejection naming the failure. Pure: the
//! time and the serial number are parameters, the key is a [`RawSigner`].

use time::{OffsetDateTime, UtcOffset};

use super::algorithm::{AlgorithmId, DigestAlgorithm};
use super::asn1::{self, tag};
use super::build::{prepare_encapsulated, Signer};
use super::signer::RawSigner;
use super::{oid, CmsError};

/// Longest serial number issued, in bytes: RFC 3161 §2.4.2 lets clients expect up to 160 bits.
pub const MAX_SERIAL_LEN: usize = 20;

/// Longest TimeStampReq read, in bytes. A request is a digest, a nonce and a few flags, about
/// 60 to 120 bytes; 4 KiB leaves room for extensions while bounding work on a public endpoint.
pub const MAX_REQUEST_SIZE: usize = 4096;

/// How the authority signs and what it states.
#[derive(Debug, Clone)]
pub struct TimestampAuthority<'a> {
    /// DER of the TSA certificate (with a critical timeStamping extended key usage).
    pub certificate: &'a [u8],
    /// DER of the certificates above it, included when the request asks for certificates.
    pub chain: &'a [Vec<u8>],
    /// Dotted OID of the TSA policy under which tokens are issued.
    pub policy: &'a str,
    /// Accuracy of `genTime`, in seconds, stated in the token when given.
    pub accuracy_seconds: Option<u32>,
}

/// A TimeStampReq (RFC 3161 §2.4.1) that the authority accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimestampRequest {
    pub imprint_algorithm: DigestAlgorithm,
    pub hashed_message: Vec<u8>,
    /// The policy asked for, dotted.
    pub policy: Option<String>,
    /// Content octets of the nonce INTEGER, copied to the token as received.
    pub nonce: Option<Vec<u8>>,
    pub cert_req: bool,
}

/// Why a request is refused: the PKIFailureInfo bits of RFC 3161 §2.4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsaFailure {
    /// The imprint algorithm is not accepted (SHA-256, SHA-384, SHA-512 are).
    BadAlg,
    /// The request cannot be read.
    BadRequest,
    /// The imprint's length does not fit its algorithm, or the nonce is unusable.
    BadDataFormat,
    /// A policy other than the authority's was asked for.
    UnacceptedPolicy,
    /// The request carries extensions, none of which the authority supports.
    UnacceptedExtension,
}

impl TsaFailure {
    /// The bit number in PKIFailureInfo.
    fn bit(self) -> usize {
        match self {
            TsaFailure::BadAlg => 0,
            TsaFailure::BadRequest => 2,
            TsaFailure::BadDataFormat => 5,
            TsaFailure::UnacceptedPolicy => 15,
            TsaFailure::UnacceptedExtension => 16,
        }
    }
}

impl TimestampRequest {
    /// Reads a DER TimeStampReq, checking it against the authority's policy.
    pub fn parse(der: &[u8], authority_policy: &str) -> Result<Self, TsaFailure> {
        if der.len() > MAX_REQUEST_SIZE {
            return Err(TsaFailure::BadRequest);
        }
        let request = parse_request(der).map_err(|_| TsaFailure::BadRequest)?;
        let (request, algorithm, extensions) = request;
        if extensions {
            return Err(TsaFailure::UnacceptedExtension);
        }
        let imprint_algorithm = match DigestAlgorithm::from_oid(&algorithm.oid) {
            Some(DigestAlgorithm::Sha1) | None => return Err(TsaFailure::BadAlg),
            Some(d) => d,
        };
        if algorithm
            .parameters
            .as_deref()
            .is_some_and(|p| p != [tag::NULL, 0])
        {
            return Err(TsaFailure::BadAlg);
        }
        if request.hashed_message.len() != imprint_algorithm.output_len() {
            return Err(TsaFailure::BadDataFormat);
        }
        if let Some(nonce) = &request.nonce {
            if nonce.is_empty()
                || nonce.len() > super::MAX_NONCE_LEN + 1
                || nonce.first().is_some_and(|b| b & 0x80 != 0)
            {
                return Err(TsaFailure::BadDataFormat);
            }
        }
        if request
            .policy
            .as_deref()
            .is_some_and(|p| p != authority_policy)
        {
            return Err(TsaFailure::UnacceptedPolicy);
        }
        Ok(TimestampRequest {
            imprint_algorithm,
            ..request
        })
    }
}

/// The request, its imprint algorithm and whether it has extensions.
fn parse_request(der: &[u8]) -> Result<(TimestampRequest, AlgorithmId, bool), CmsError> {
    let top = asn1::read_top_level(der)?;
    if top.tag != tag::SEQUENCE || top.raw.len() != der.len() {
        return Err(CmsError::Malformed("TimeStampReq is not one SEQUENCE"));
    }
    let mut r = top.children()?;
    if asn1::small_uint(&r.read()?)? != 1 {
        return Err(CmsError::Malformed("TimeStampReq version is not 1"));
    }
    let imprint = r.read_tag(tag::SEQUENCE)?;
    let mut m = imprint.children()?;
    let algorithm = AlgorithmId::parse(&m.read()?)?;
    let hashed_message = m.read_tag(tag::OCTET_STRING)?.content.to_vec();
    m.finish()?;
    let policy = r.read_optional(tag::OID)?.map(|o| oid::dotted(o.content));
    let nonce = r.read_optional(tag::INTEGER)?.map(|n| n.content.to_vec());
    let cert_req = match r.read_optional(tag::BOOLEAN)? {
        Some(b) => b.content.first().is_some_and(|&v| v != 0),
        None => false,
    };
    let extensions = r.read_optional(tag::ctx_cons(0))?.is_some();
    r.finish()?;
    let request = TimestampRequest {
        imprint_algorithm: DigestAlgorithm::Sha256,
        hashed_message,
        policy,
        nonce,
        cert_req,
    };
    Ok((request, algorithm, extensions))
}

/// Answers a DER TimeStampReq: a granted TimeStampResp whose token is signed by `signer` at
/// `gen_time` with serial number `serial` (big-endian, positive, unique per token), or a
/// rejection naming the failure. `Err` only when the authority itself fails (bad
/// configuration, signing error).
pub fn respond(
    request_der: &[u8],
    authority: &TimestampAuthority<'_>,
    signer: &dyn RawSigner,
    serial: &[u8],
    gen_time: OffsetDateTime,
) -> Result<Vec<u8>, CmsError> {
    match TimestampRequest::parse(request_der, authority.policy) {
        Ok(request) => {
            let token = issue_token(&request, authority, signer, serial, gen_time)?;
            let status = asn1::der_sequence(&[&asn1::der_small_uint(0)]);
            Ok(asn1::der_sequence(&[&status, &token]))
        }
        Err(failure) => Ok(rejection(failure)),
    }
}

/// A TimeStampResp with status rejection (2) and the failure bit set.
pub fn rejection(failure: TsaFailure) -> Vec<u8> {
    let bit = failure.bit();
    let mut bits = vec![0u8; bit / 8 + 1];
    if let Some(byte) = bits.last_mut() {
        *byte = 0x80 >> (bit % 8);
    }
    // DER named-bit list: trailing zero bits are dropped and counted as unused.
    let unused = 7 - (bit % 8) as u8;
    let mut content = vec![unused];
    content.extend_from_slice(&bits);
    let status = asn1::der_sequence(&[
        &asn1::der_small_uint(2),
        &asn1::der(tag::BIT_STRING, &content),
    ]);
    asn1::der_sequence(&[&status])
}

/// The DER ContentInfo of a time-stamp token for an accepted request.
pub fn issue_token(
    request: &TimestampRequest,
    authority: &TimestampAuthority<'_>,
    signer: &dyn RawSigner,
    serial: &[u8],
    gen_time: OffsetDateTime,
) -> Result<Vec<u8>, CmsError> {
    let policy = oid::from_dotted(authority.policy).ok_or(CmsError::Signing(
        "the TSA policy is not a dotted OID".into(),
    ))?;
    let magnitude = serial
        .iter()
        .position(|&b| b != 0)
        .and_then(|i| serial.get(i..))
        .ok_or(CmsError::Signing(
            "the serial number must be positive".into(),
        ))?;
    if magnitude.len() > MAX_SERIAL_LEN {
        return Err(CmsError::Signing(
            "the serial number exceeds 160 bits".into(),
        ));
    }
    let mut serial_content = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
        serial_content.push(0);
    }
    serial_content.extend_from_slice(magnitude);

    let imprint = asn1::der_sequence(&[
        &request.imprint_algorithm.algorithm_identifier(),
        &asn1::der(tag::OCTET_STRING, &request.hashed_message),
    ]);
    let mut tst_info = vec![
        asn1::der_small_uint(1),
        asn1::der(tag::OID, &policy),
        imprint,
        asn1::der(tag::INTEGER, &serial_content),
        asn1::der(
            tag::GENERALIZED_TIME,
            generalized_time(gen_time)?.as_bytes(),
        ),
    ];
    if let Some(seconds) = authority.accuracy_seconds {
        let accuracy = asn1::der_sequence(&[&asn1::der_small_uint(u64::from(seconds))]);
        tst_info.push(accuracy);
    }
    if let Some(nonce) = &request.nonce {
        tst_info.push(asn1::der(tag::INTEGER, nonce));
    }
    let tst_info = asn1::der(tag::SEQUENCE, &tst_info.concat());
    let prepared = prepare_encapsulated(
        oid::TST_INFO,
        tst_info,
        &Signer {
            certificate: authority.certificate,
            chain: authority.chain,
            algorithm: signer.algorithm(),
            include_certificates: request.cert_req,
        },
    )?;
    let signature = signer.sign(prepared.signed_attributes_der())?;
    prepared.assemble(&signature, None)
}

/// DER GeneralizedTime text (X.690 §11.7): UTC, whole seconds, `Z`.
fn generalized_time(t: OffsetDateTime) -> Result<String, CmsError> {
    let t = t.to_offset(UtcOffset::UTC);
    if !(0..=9999).contains(&t.year()) {
        return Err(CmsError::Signing("time outside years 0 to 9999".into()));
    }
    Ok(format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_bits() {
        let r = rejection(TsaFailure::BadAlg);
        assert!(r.ends_with(&[0x03, 0x02, 0x07, 0x80]));
        let r = rejection(TsaFailure::UnacceptedPolicy);
        assert!(r.ends_with(&[0x03, 0x03, 0x00, 0x00, 0x01]));
        let r = rejection(TsaFailure::UnacceptedExtension);
        assert!(r.ends_with(&[0x03, 0x04, 0x07, 0x00, 0x00, 0x80]));
    }

    #[test]
    fn request_checks() {
        let digest = [1u8; 32];
        let ok = crate::cms::timestamp_request(DigestAlgorithm::Sha256, &digest, Some(&[5]), true)
            .unwrap();
        let parsed = TimestampRequest::parse(&ok, "1.2.3").unwrap();
        assert_eq!(parsed.nonce, Some(vec![5]));
        assert!(parsed.cert_req);
        let sha1 =
            crate::cms::timestamp_request(DigestAlgorithm::Sha1, &[0; 20], None, false).unwrap();
        assert_eq!(
            TimestampRequest::parse(&sha1, "1.2.3"),
            Err(TsaFailure::BadAlg)
        );
        assert_eq!(
            TimestampRequest::parse(b"junk", "1.2.3"),
            Err(TsaFailure::BadRequest)
        );
        let mut trailing = ok.clone();
        trailing.push(0);
        assert_eq!(
            TimestampRequest::parse(&trailing, "1.2.3"),
            Err(TsaFailure::BadRequest)
        );
    }

    #[test]
    fn time_format() {
        let t = time::macros::datetime!(2026-11-27 16:30:05 +07:00);
        assert_eq!(generalized_time(t).unwrap(), "20261127093005Z");
    }
}

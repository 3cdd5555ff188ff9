//! RFC 3161 time-stamp tokens: building a request, reading a response, and verifying a token
//! (its CMS signature, its message imprint, its nonce and the TSA certificate's critical
//! timeStamping extended key usage). Whether the TSA's chain is trusted at `genTime` is decided
//! by `pki` from [`TimestampReport::cms`].

use time::OffsetDateTime;

use super::algorithm::{AlgorithmId, DigestAlgorithm};
use super::asn1::{self, tag};
use super::attributes::{parse_time, EssStatus};
use super::certificate::CertificateId;
use super::parse::SignedData;
use super::verify::{CmsReport, ContentDigest};
use super::{oid, CmsError};

/// Longest nonce accepted, in bytes. Clients use 64 to 160 bits; 32 bytes leaves room without
/// letting a token carry an arbitrary blob there.
pub const MAX_NONCE_LEN: usize = 32;

/// PKIStatus values that deliver a token (RFC 3161 §2.4.2): granted, grantedWithMods.
const STATUS_GRANTED_WITH_MODS: u64 = 1;

/// DER TimeStampReq (RFC 3161 §2.4.1) for `digest` (the hash of the data to time-stamp),
/// asking for the TSA certificate in the token (`certReq`) and carrying `nonce` (big-endian
/// unsigned), if any.
pub fn timestamp_request(
    algorithm: DigestAlgorithm,
    digest: &[u8],
    nonce: Option<&[u8]>,
    cert_req: bool,
) -> Result<Vec<u8>, CmsError> {
    if digest.len() != algorithm.output_len() {
        return Err(CmsError::Malformed(
            "digest length does not fit its algorithm",
        ));
    }
    let imprint = asn1::der_sequence(&[
        &algorithm.algorithm_identifier(),
        &asn1::der(tag::OCTET_STRING, digest),
    ]);
    let mut parts = vec![asn1::der_small_uint(1), imprint];
    if let Some(n) = nonce {
        let n = normalize_unsigned(n);
        if n.len() > MAX_NONCE_LEN {
            return Err(CmsError::TooMany {
                what: "nonce bytes",
                max: MAX_NONCE_LEN,
            });
        }
        let mut content = Vec::with_capacity(n.len() + 1);
        if n.first().is_none_or(|b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(n);
        parts.push(asn1::der(tag::INTEGER, &content));
    }
    if cert_req {
        parts.push(asn1::der(tag::BOOLEAN, &[0xFF]));
    }
    Ok(asn1::der(tag::SEQUENCE, &parts.concat()))
}

/// The magnitude of a big-endian unsigned integer without leading zeros.
fn normalize_unsigned(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// The token of a TimeStampResp (RFC 3161 §2.4.2), when its status grants one.
pub fn token_from_response(response: &[u8]) -> Result<Vec<u8>, CmsError> {
    let top = asn1::read_top_level(response)?;
    if top.tag != tag::SEQUENCE {
        return Err(CmsError::Malformed("TimeStampResp is not a SEQUENCE"));
    }
    let mut r = top.children()?;
    let status_info = r.read_tag(tag::SEQUENCE)?;
    let mut s = status_info.children()?;
    let status = asn1::small_uint(&s.read()?)?;
    if status > STATUS_GRANTED_WITH_MODS {
        let mut text = String::new();
        if let Some(strings) = s.read_optional(tag::SEQUENCE)? {
            let mut list = strings.children()?;
            while !list.is_empty() {
                let t = list.read()?;
                text.push_str(&String::from_utf8_lossy(t.content));
            }
        }
        return Err(CmsError::TimestampRejected { status, text });
    }
    let token = r.read_tag(tag::SEQUENCE)?;
    r.finish()?;
    Ok(token.raw.to_vec())
}

/// The fields of a TSTInfo (RFC 3161 §2.4.2) that validation uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TstInfo {
    /// Dotted OID of the TSA policy.
    pub policy: String,
    /// Algorithm of the message imprint, when supported.
    pub imprint_algorithm: Option<DigestAlgorithm>,
    pub hashed_message: Vec<u8>,
    /// Content octets of serialNumber.
    pub serial: Vec<u8>,
    pub gen_time: OffsetDateTime,
    pub ordering: bool,
    /// The nonce's magnitude (leading zeros removed), when present.
    pub nonce: Option<Vec<u8>>,
}

impl TstInfo {
    fn parse(der: &[u8]) -> Result<Self, CmsError> {
        let top = asn1::read_top_level(der)?;
        if top.tag != tag::SEQUENCE {
            return Err(CmsError::Malformed("TSTInfo is not a SEQUENCE"));
        }
        let mut r = top.children()?;
        if asn1::small_uint(&r.read()?)? != 1 {
            return Err(CmsError::Malformed("TSTInfo version is not 1"));
        }
        let policy = oid::dotted(r.read_tag(tag::OID)?.content);
        let imprint = r.read_tag(tag::SEQUENCE)?;
        let mut m = imprint.children()?;
        let algorithm = AlgorithmId::parse(&m.read()?)?;
        let hashed_message = m.read_tag(tag::OCTET_STRING)?.content.to_vec();
        m.finish()?;
        let serial = r.read_tag(tag::INTEGER)?.content.to_vec();
        let gen_time = parse_time(r.read_tag(tag::GENERALIZED_TIME)?.raw)?;
        r.read_optional(tag::SEQUENCE)?; // accuracy
        let ordering = r
            .read_optional(tag::BOOLEAN)?
            .is_some_and(|b| b.content.first().is_some_and(|&v| v != 0));
        let nonce = match r.read_optional(tag::INTEGER)? {
            Some(n) => {
                if n.content.first().is_some_and(|b| b & 0x80 != 0) {
                    return Err(CmsError::Malformed("negative nonce"));
                }
                Some(normalize_unsigned(n.content).to_vec())
            }
            None => None,
        };
        r.read_optional(tag::ctx_cons(0))?; // tsa name
        r.read_optional(tag::ctx_cons(1))?; // extensions
        r.finish()?;
        Ok(TstInfo {
            policy,
            imprint_algorithm: DigestAlgorithm::from_oid(&algorithm.oid),
            hashed_message,
            serial,
            gen_time,
            ordering,
            nonce,
        })
    }
}

/// A problem found in a time-stamp token, beyond those of its CMS signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampProblem {
    /// The token has not exactly one signer (RFC 3161 §2.4.2).
    SignerCount(usize),
    UnsupportedImprintAlgorithm,
    /// The message imprint is not the hash of the time-stamped data (RFC 3161 §2.4.2).
    ImprintMismatch,
    /// The nonce differs from the request's, or is missing (RFC 3161 §2.4.2).
    NonceMismatch,
    /// No ESS signing-certificate(-v2) attribute names the TSA certificate (RFC 3161 §2.4.1,
    /// RFC 5816).
    EssMissing,
    /// The TSA certificate has no extendedKeyUsage with exactly id-kp-timeStamping
    /// (RFC 3161 §2.3).
    TsaNotForTimeStamping,
    /// The TSA certificate's extendedKeyUsage is not critical (RFC 3161 §2.3).
    TsaKeyUsageNotCritical,
}

impl std::fmt::Display for TimestampProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimestampProblem::SignerCount(n) => write!(f, "{n} signers where RFC 3161 §2.4.2 requires one"),
            TimestampProblem::UnsupportedImprintAlgorithm => f.write_str("unsupported message imprint algorithm"),
            TimestampProblem::ImprintMismatch => {
                f.write_str("the message imprint is not the hash of the time-stamped data (RFC 3161 §2.4.2)")
            }
            TimestampProblem::NonceMismatch => f.write_str("the nonce differs from the request's (RFC 3161 §2.4.2)"),
            TimestampProblem::EssMissing => {
                f.write_str("no ESS signing-certificate attribute names the TSA certificate (RFC 3161 §2.4.1)")
            }
            TimestampProblem::TsaNotForTimeStamping => {
                f.write_str("the TSA certificate's extended key usage is not exactly timeStamping (RFC 3161 §2.3)")
            }
            TimestampProblem::TsaKeyUsageNotCritical => {
                f.write_str("the TSA certificate's extended key usage is not critical (RFC 3161 §2.3)")
            }
        }
    }
}

/// The outcome of verifying a time-stamp token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TimestampReport {
    pub info: TstInfo,
    /// The token's CMS signature: signer (TSA) certificate, embedded certificates, ESS.
    pub cms: CmsReport,
    pub imprint_ok: bool,
    /// `None` when no nonce was expected.
    pub nonce_ok: Option<bool>,
    /// The TSA certificate carries a critical extendedKeyUsage of exactly timeStamping.
    pub tsa_certificate_ok: bool,
    pub problems: Vec<TimestampProblem>,
}

impl TimestampReport {
    /// Signature, ESS binding, imprint, nonce and TSA key usage all hold (the TSA's chain is
    /// not considered).
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
            && self.cms.signers.len() == 1
            && self.cms.signers.iter().all(|s| s.is_intact())
    }
}

/// Verifies `token` (a ContentInfo) as a time-stamp of `data`: for PAdES B-T, `data` is the
/// signature value it time-stamps.
pub fn verify_timestamp(
    token: &[u8],
    data: &[u8],
    expected_nonce: Option<&[u8]>,
) -> Result<TimestampReport, CmsError> {
    let digests = DigestAlgorithm::ALL
        .iter()
        .map(|&algorithm| {
            Ok(ContentDigest {
                algorithm,
                value: algorithm.digest(data)?,
            })
        })
        .collect::<Result<Vec<_>, CmsError>>()?;
    verify_timestamp_digest(token, &digests, expected_nonce)
}

/// Verifies `token` against precomputed digests of the time-stamped data (for document
/// time-stamps, whose data is streamed). The digest in the token's imprint algorithm must be
/// among `digests`, or the imprint check fails.
pub fn verify_timestamp_digest(
    token: &[u8],
    digests: &[ContentDigest],
    expected_nonce: Option<&[u8]>,
) -> Result<TimestampReport, CmsError> {
    let (signed, info) = parse_token(token)?;
    let cms = signed
        .verify_encapsulated()?
        .ok_or(CmsError::NotTimestampToken)?;
    let mut problems = Vec::new();
    if cms.signers.len() != 1 {
        problems.push(TimestampProblem::SignerCount(cms.signers.len()));
    }
    let imprint_ok = match info.imprint_algorithm {
        Some(algorithm) => digests
            .iter()
            .any(|d| d.algorithm == algorithm && d.value == info.hashed_message),
        None => {
            problems.push(TimestampProblem::UnsupportedImprintAlgorithm);
            false
        }
    };
    if info.imprint_algorithm.is_some() && !imprint_ok {
        problems.push(TimestampProblem::ImprintMismatch);
    }
    let nonce_ok = expected_nonce.map(|n| info.nonce.as_deref() == Some(normalize_unsigned(n)));
    if nonce_ok == Some(false) {
        problems.push(TimestampProblem::NonceMismatch);
    }
    let mut tsa_certificate_ok = false;
    if let Some(signer) = cms.signers.first() {
        if signer.ess == EssStatus::Absent {
            problems.push(TimestampProblem::EssMissing);
        }
        if let Some(cert) = signer
            .signer_certificate
            .as_deref()
            .and_then(|c| CertificateId::parse(c).ok())
        {
            match cert.ext_key_usage {
                Some(eku) if eku.purposes == [oid::KP_TIME_STAMPING.to_vec()] => {
                    tsa_certificate_ok = eku.critical;
                    if !eku.critical {
                        problems.push(TimestampProblem::TsaKeyUsageNotCritical);
                    }
                }
                _ => problems.push(TimestampProblem::TsaNotForTimeStamping),
            }
        }
    }
    Ok(TimestampReport {
        info,
        cms,
        imprint_ok,
        nonce_ok,
        tsa_certificate_ok,
        problems,
    })
}

/// The TSTInfo of a token without verifying it: a caller that streams the time-stamped data
/// (a document time-stamp's byte ranges) learns from it which digest to compute.
pub fn read_tst_info(token: &[u8]) -> Result<TstInfo, CmsError> {
    parse_token(token).map(|(_, info)| info)
}

fn parse_token(token: &[u8]) -> Result<(SignedData, TstInfo), CmsError> {
    let signed = SignedData::parse(token)?;
    if signed.content_type != oid::TST_INFO {
        return Err(CmsError::NotTimestampToken);
    }
    let tst_der = signed
        .content
        .as_deref()
        .ok_or(CmsError::NotTimestampToken)?;
    let info = TstInfo::parse(tst_der)?;
    Ok((signed, info))
}

/// Reads the nonce back from a request built by [`timestamp_request`] (for tests and logs).
pub fn request_nonce(request: &[u8]) -> Result<Option<Vec<u8>>, CmsError> {
    let top = asn1::read_top_level(request)?;
    let mut r = top.children()?;
    r.read_tag(tag::INTEGER)?;
    r.read_tag(tag::SEQUENCE)?;
    r.read_optional(tag::OID)?;
    Ok(r.read_optional(tag::INTEGER)?
        .map(|n| normalize_unsigned(n.content).to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encoding() {
        let digest = [7u8; 32];
        let req =
            timestamp_request(DigestAlgorithm::Sha256, &digest, Some(&[0, 0x80, 1]), true).unwrap();
        assert_eq!(request_nonce(&req).unwrap(), Some(vec![0x80, 1]));
        // INTEGER 00 80 01: a leading zero keeps it positive.
        assert!(req.windows(5).any(|w| w == [0x02, 0x03, 0x00, 0x80, 0x01]));
        assert!(req.ends_with(&[0x01, 0x01, 0xFF]));
        assert!(timestamp_request(DigestAlgorithm::Sha256, &digest[..20], None, false).is_err());
        assert!(
            timestamp_request(DigestAlgorithm::Sha256, &digest, Some(&[1; 40]), false).is_err()
        );
        let plain = timestamp_request(DigestAlgorithm::Sha256, &digest, None, false).unwrap();
        assert_eq!(request_nonce(&plain).unwrap(), None);
    }

    #[test]
    fn rejected_response() {
        let status = asn1::der_sequence(&[
            &asn1::der_small_uint(2),
            &asn1::der_sequence(&[&asn1::der(0x0C, b"bad request")]),
        ]);
        let resp = asn1::der_sequence(&[&status]);
        assert_eq!(
            token_from_response(&resp).unwrap_err(),
            CmsError::TimestampRejected {
                status: 2,
                text: "bad request".into()
            }
        );
    }
}

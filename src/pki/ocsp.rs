//! OCSP responses (RFC 6960), parsed once into an owned [`OcspResponse`]. Only successful
//! responses of type id-pkix-ocsp-basic carry status; anything else is an error at parse time.
//! Whether a response may be believed — who signed it, whether it speaks about the certificate
//! in question, whether it is fresh — is decided by [`OcspResponse::status_for`].

use openssl::hash::MessageDigest;
use time::{Duration, OffsetDateTime};
use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};
use x509_parser::time::ASN1Time;
use x509_parser::x509::AlgorithmIdentifier;

use super::cert::{AlgorithmId, Certificate};
use super::crl::RevocationReason;
use super::error::PkiError;
use super::name::Name;
use super::source;
use super::validate::rfc3339;

/// Largest DER OCSP response decoded. Responses for one certificate are a few kilobytes even
/// with an embedded responder chain; 1 MiB is far above that and bounds work on hostile input.
pub const MAX_OCSP_DER_LEN: usize = 1024 * 1024;

/// Most SingleResponses kept from one response. Responders answer the certificates a client
/// asked about, in practice one; 256 covers batched requests.
pub const MAX_SINGLE_RESPONSES: usize = 256;

/// Clock difference tolerated between the responder and the validator when comparing
/// thisUpdate and nextUpdate with the validation time: a response made a moment ago by a
/// responder whose clock runs a little ahead is still good. Five minutes is the leeway OpenSSL's
/// `OCSP_check_validity` is usually given (`-validity_period 300`).
pub const MAX_OCSP_CLOCK_SKEW: Duration = Duration::minutes(5);

/// Most certificates embedded in one response. A delegated responder sends its own certificate,
/// sometimes with its issuer; 16 is ample.
pub const MAX_EMBEDDED_CERTS: usize = 16;

/// How long after its thisUpdate a response without nextUpdate is still believed. RFC 6960
/// §4.2.2.1 says such a response means "newer information is always available"; one day
/// matches the usual refresh period of OCSP responders and of CRLs of Vietnamese CAs.
pub const MAX_OCSP_AGE_WITHOUT_NEXT_UPDATE: Duration = Duration::days(1);

const OID_OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
const OID_OCSP_NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
const OID_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// ResponderID (RFC 6960 §4.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponderId {
    ByName(Name),
    /// SHA-1 of the responder's subjectPublicKey BIT STRING value.
    ByKey(Vec<u8>),
}

/// Hash algorithm of a CertID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertIdHash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl CertIdHash {
    fn from_oid(oid: &str) -> Option<CertIdHash> {
        Some(match oid {
            "1.3.14.3.2.26" => CertIdHash::Sha1,
            "2.16.840.1.101.3.4.2.1" => CertIdHash::Sha256,
            "2.16.840.1.101.3.4.2.2" => CertIdHash::Sha384,
            "2.16.840.1.101.3.4.2.3" => CertIdHash::Sha512,
            _ => return None,
        })
    }

    fn digest(self, data: &[u8]) -> Option<Vec<u8>> {
        let md = match self {
            CertIdHash::Sha1 => MessageDigest::sha1(),
            CertIdHash::Sha256 => MessageDigest::sha256(),
            CertIdHash::Sha384 => MessageDigest::sha384(),
            CertIdHash::Sha512 => MessageDigest::sha512(),
        };
        openssl::hash::hash(md, data).ok().map(|d| d.to_vec())
    }
}

/// CertID (RFC 6960 §4.1.1): which certificate a SingleResponse is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertId {
    pub hash: CertIdHash,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// DER INTEGER content octets of the serial number.
    pub serial: Vec<u8>,
}

impl CertId {
    /// Whether this CertID names `cert` issued by `issuer`.
    pub fn matches(&self, cert: &Certificate, issuer: &Certificate) -> bool {
        self.serial == cert.serial()
            && self.hash.digest(issuer.subject().der()).as_deref()
                == Some(self.issuer_name_hash.as_slice())
            && subject_public_key_bits(issuer)
                .and_then(|bits| self.hash.digest(&bits))
                .as_deref()
                == Some(self.issuer_key_hash.as_slice())
    }
}

/// CertStatus (RFC 6960 §4.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OcspCertStatus {
    Good,
    Revoked {
        at: OffsetDateTime,
        reason: Option<RevocationReason>,
    },
    Unknown,
}

/// SingleResponse (RFC 6960 §4.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleResponse {
    pub cert_id: CertId,
    pub status: OcspCertStatus,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    /// Dotted OIDs of critical singleExtensions kyso does not process.
    pub unknown_critical: Vec<String>,
}

/// A successful basic OCSP response. Invariant: the fields are exactly what `tbs` says.
#[derive(Clone, Debug)]
pub struct OcspResponse {
    tbs: Vec<u8>,
    signature_algorithm: AlgorithmId,
    signature: Vec<u8>,
    responder: ResponderId,
    produced_at: OffsetDateTime,
    responses: Vec<SingleResponse>,
    certs: Vec<Certificate>,
    unknown_critical: Vec<String>,
    /// The DER OCSPResponse as received, to archive it (a PDF's `/DSS`) byte for byte; empty
    /// for a response read from a bare BasicOCSPResponse.
    der: Vec<u8>,
}

fn bad(why: impl Into<String>) -> PkiError {
    PkiError::BadOcsp(why.into())
}

/// Reads one DER element; returns it, its full encoding, and the rest.
fn next<'a>(input: &'a [u8], what: &str) -> Result<(Any<'a>, &'a [u8], &'a [u8]), PkiError> {
    let (rest, any) = Any::from_der(input).map_err(|e| bad(format!("{what}: {e}")))?;
    let raw = input
        .get(..input.len().saturating_sub(rest.len()))
        .unwrap_or_default();
    Ok((any, raw, rest))
}

fn expect_universal<'a>(any: Any<'a>, tag: Tag, what: &str) -> Result<&'a [u8], PkiError> {
    if any.class() != Class::Universal || any.tag() != tag {
        return Err(bad(format!("{what}: unexpected tag")));
    }
    Ok(any.data)
}

fn is_context(any: &Any<'_>, n: u32) -> bool {
    any.class() == Class::ContextSpecific && any.tag() == Tag(n)
}

fn generalized_time(any: &Any<'_>, raw: &[u8], what: &str) -> Result<OffsetDateTime, PkiError> {
    if any.class() != Class::Universal || any.tag() != Tag::GeneralizedTime {
        return Err(bad(format!("{what}: not a GeneralizedTime")));
    }
    let (_, t) = ASN1Time::from_der(raw).map_err(|e| bad(format!("{what}: {e}")))?;
    Ok(t.to_datetime())
}

fn oid_string(any: &Any<'_>, what: &str) -> Result<String, PkiError> {
    any.clone()
        .oid()
        .map(|o| o.to_id_string())
        .map_err(|e| bad(format!("{what}: {e}")))
}

/// Extensions ::= SEQUENCE OF Extension; returns the OIDs of critical ones other than `known`.
fn critical_unknown(content: &[u8], known: &[&str]) -> Result<Vec<String>, PkiError> {
    let (seq, _, rest) = next(content, "extensions")?;
    if !rest.is_empty() || seq.tag() != Tag::Sequence {
        return Err(bad("extensions: not a SEQUENCE"));
    }
    let mut input = seq.data;
    let mut out = Vec::new();
    let mut count = 0usize;
    while !input.is_empty() {
        count += 1;
        if count > MAX_EXTENSIONS {
            return Err(bad(format!("more than {MAX_EXTENSIONS} extensions")));
        }
        let (ext, _, rest) = next(input, "extension")?;
        input = rest;
        let (oid_any, _, after_oid) = next(ext.data, "extension id")?;
        let oid = oid_string(&oid_any, "extension id")?;
        let (maybe_bool, _, _) = next(after_oid, "extension body")?;
        let critical = maybe_bool.tag() == Tag::Boolean
            && maybe_bool
                .clone()
                .bool()
                .map_err(|e| bad(format!("critical: {e}")))?;
        if critical && !known.contains(&oid.as_str()) {
            out.push(oid);
        }
    }
    Ok(out)
}

/// Most extensions read from one Extensions field; real responses carry at most a nonce and a
/// few informational extensions.
pub const MAX_EXTENSIONS: usize = 32;

impl OcspResponse {
    /// Decodes a DER OCSPResponse. A response whose responseStatus is not successful carries no
    /// status and is an error.
    pub fn from_der(der: &[u8]) -> Result<OcspResponse, PkiError> {
        if der.len() > MAX_OCSP_DER_LEN {
            return Err(PkiError::TooLarge(format!(
                "OCSP response of {} bytes exceeds {MAX_OCSP_DER_LEN}",
                der.len()
            )));
        }
        let (outer, _, rest) = next(der, "OCSPResponse")?;
        if !rest.is_empty() {
            return Err(bad("trailing bytes after the OCSPResponse"));
        }
        let body = expect_universal(outer, Tag::Sequence, "OCSPResponse")?;
        let (status, _, rest) = next(body, "responseStatus")?;
        let status = expect_universal(status, Tag::Enumerated, "responseStatus")?;
        match status {
            [0] => {}
            [code] => {
                let meaning = match code {
                    1 => "malformedRequest",
                    2 => "internalError",
                    3 => "tryLater",
                    5 => "sigRequired",
                    6 => "unauthorized",
                    _ => "an unknown status",
                };
                return Err(bad(format!(
                    "the responder answered {meaning} (RFC 6960 §4.2.1)"
                )));
            }
            _ => return Err(bad("responseStatus: malformed")),
        }
        let (bytes, _, _) = next(rest, "responseBytes")?;
        if !is_context(&bytes, 0) {
            return Err(bad("responseBytes missing"));
        }
        let (rb, _, _) = next(bytes.data, "ResponseBytes")?;
        let (rtype, _, rest) = next(rb.data, "responseType")?;
        if oid_string(&rtype, "responseType")? != OID_OCSP_BASIC {
            return Err(bad(
                "responseType is not id-pkix-ocsp-basic (RFC 6960 §4.2.1)",
            ));
        }
        let (resp, _, _) = next(rest, "response")?;
        let basic = expect_universal(resp, Tag::OctetString, "response")?;
        let mut parsed = Self::from_basic(basic)?;
        parsed.der = der.to_vec();
        Ok(parsed)
    }

    /// The DER OCSPResponse this response was read from.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    fn from_basic(der: &[u8]) -> Result<OcspResponse, PkiError> {
        let (outer, _, rest) = next(der, "BasicOCSPResponse")?;
        if !rest.is_empty() {
            return Err(bad("trailing bytes after the BasicOCSPResponse"));
        }
        let body = expect_universal(outer, Tag::Sequence, "BasicOCSPResponse")?;
        let (tbs_any, tbs_raw, rest) = next(body, "tbsResponseData")?;
        if tbs_any.tag() != Tag::Sequence {
            return Err(bad("tbsResponseData: not a SEQUENCE"));
        }
        let (_, alg_raw, rest) = next(rest, "signatureAlgorithm")?;
        let (_, alg) = AlgorithmIdentifier::from_der(alg_raw)
            .map_err(|e| bad(format!("signatureAlgorithm: {e}")))?;
        let signature_algorithm = AlgorithmId::from_x509(&alg);
        let (sig, _, rest) = next(rest, "signature")?;
        let sig = expect_universal(sig, Tag::BitString, "signature")?;
        let signature = match sig.split_first() {
            Some((0, bits)) => bits.to_vec(),
            _ => return Err(bad("signature: not a whole number of octets")),
        };
        let mut certs = Vec::new();
        if !rest.is_empty() {
            let (tagged, _, after) = next(rest, "certs")?;
            if !is_context(&tagged, 0) || !after.is_empty() {
                return Err(bad("unexpected data after the signature"));
            }
            let (list, _, after_list) = next(tagged.data, "certs")?;
            if list.tag() != Tag::Sequence || !after_list.is_empty() {
                return Err(bad("certs: not one SEQUENCE"));
            }
            let mut input = list.data;
            while !input.is_empty() {
                if certs.len() >= MAX_EMBEDDED_CERTS {
                    return Err(bad(format!(
                        "more than {MAX_EMBEDDED_CERTS} embedded certificates"
                    )));
                }
                let (_, raw, r) = next(input, "certificate")?;
                certs.push(Certificate::from_der(raw)?);
                input = r;
            }
        }
        let mut out = Self::from_tbs(tbs_any.data)?;
        out.tbs = tbs_raw.to_vec();
        out.signature_algorithm = signature_algorithm;
        out.signature = signature;
        out.certs = certs;
        Ok(out)
    }

    fn from_tbs(body: &[u8]) -> Result<OcspResponse, PkiError> {
        let (mut first, _, mut rest) = next(body, "ResponseData")?;
        if is_context(&first, 0) {
            let (v, _, _) = next(first.data, "version")?;
            if v.data != [0] {
                return Err(bad("unsupported ResponseData version"));
            }
            (first, _, rest) = next(rest, "responderID")?;
        }
        let responder = if is_context(&first, 1) {
            ResponderId::ByName(Name::from_der(first.data)?)
        } else if is_context(&first, 2) {
            let (k, _, _) = next(first.data, "byKey")?;
            ResponderId::ByKey(expect_universal(k, Tag::OctetString, "byKey")?.to_vec())
        } else {
            return Err(bad("responderID: neither byName nor byKey"));
        };
        let (produced, produced_raw, rest) = next(rest, "producedAt")?;
        let produced_at = generalized_time(&produced, produced_raw, "producedAt")?;
        let (list, _, rest) = next(rest, "responses")?;
        if list.tag() != Tag::Sequence {
            return Err(bad("responses: not a SEQUENCE"));
        }
        let mut responses = Vec::new();
        let mut input = list.data;
        while !input.is_empty() {
            if responses.len() >= MAX_SINGLE_RESPONSES {
                return Err(bad(format!(
                    "more than {MAX_SINGLE_RESPONSES} SingleResponses"
                )));
            }
            let (single, _, r) = next(input, "SingleResponse")?;
            responses.push(parse_single(single.data)?);
            input = r;
        }
        let mut unknown_critical = Vec::new();
        if !rest.is_empty() {
            let (ext, _, after) = next(rest, "responseExtensions")?;
            if !is_context(&ext, 1) || !after.is_empty() {
                return Err(bad("unexpected data in ResponseData"));
            }
            unknown_critical = critical_unknown(ext.data, &[OID_OCSP_NONCE])?;
        }
        Ok(OcspResponse {
            tbs: Vec::new(),
            signature_algorithm: AlgorithmId {
                oid: String::new(),
                params: None,
            },
            signature: Vec::new(),
            responder,
            produced_at,
            responses,
            certs: Vec::new(),
            unknown_critical,
            der: Vec::new(),
        })
    }

    /// The exact signed bytes (ResponseData).
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }

    /// The signature algorithm.
    pub fn signature_algorithm(&self) -> &AlgorithmId {
        &self.signature_algorithm
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    pub fn responder(&self) -> &ResponderId {
        &self.responder
    }

    pub fn produced_at(&self) -> OffsetDateTime {
        self.produced_at
    }

    pub fn responses(&self) -> &[SingleResponse] {
        &self.responses
    }

    /// Certificates the responder embedded (its own, possibly with its issuer).
    pub fn certs(&self) -> &[Certificate] {
        &self.certs
    }

    /// Dotted OIDs of critical responseExtensions kyso does not process.
    pub fn unknown_critical_extensions(&self) -> &[String] {
        &self.unknown_critical
    }

    /// Whether `candidate` is the certificate the ResponderID names.
    pub fn responder_is(&self, candidate: &Certificate) -> bool {
        match &self.responder {
            ResponderId::ByName(name) => candidate.subject().matches(name),
            ResponderId::ByKey(hash) => {
                subject_public_key_bits(candidate)
                    .and_then(|bits| CertIdHash::Sha1.digest(&bits))
                    .as_deref()
                    == Some(hash.as_slice())
            }
        }
    }

    /// The SingleResponse about `cert` issued by `issuer`, if any.
    pub fn single_for(&self, cert: &Certificate, issuer: &Certificate) -> Option<&SingleResponse> {
        self.responses
            .iter()
            .find(|s| s.cert_id.matches(cert, issuer))
    }
}

/// Most OCSP responses read from one input; one per certificate of a path is the norm.
pub const MAX_RESPONSES_PER_INPUT: usize = 1_000;

/// Loads every OCSP response held in `data`: PEM blocks labelled `OCSP RESPONSE` (other blocks
/// are skipped), or one or several concatenated DER responses. An input holding no response is
/// an error.
pub fn load_ocsp_responses(data: &[u8]) -> Result<Vec<OcspResponse>, PkiError> {
    source::load_der_objects(
        data,
        "OCSP RESPONSE",
        MAX_RESPONSES_PER_INPUT,
        ("OCSP response", "OCSP responses"),
        OcspResponse::from_der,
        PkiError::BadOcsp,
    )
}

/// Whether `responder` may sign OCSP responses about certificates issued by `issuer`
/// (RFC 6960 §4.2.2.2): it is the issuer itself, or it was issued directly by the issuer and
/// carries id-kp-OCSPSigning in its extended key usage. The caller still verifies that
/// `responder` is signed by `issuer` and validates it.
pub fn is_delegated_responder_for(responder: &Certificate, issuer: &Certificate) -> bool {
    responder.issuer().matches(issuer.subject())
        && responder
            .extensions()
            .ext_key_usage
            .as_ref()
            .is_some_and(|eku| eku.iter().any(|o| o == OID_OCSP_SIGNING))
}

/// The subjectPublicKey BIT STRING value of a certificate, which OCSP hashes for CertID
/// issuerKeyHash and ResponderID byKey (RFC 6960 §4.1.1, §4.2.1).
fn subject_public_key_bits(cert: &Certificate) -> Option<Vec<u8>> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(cert.spki()).ok()?;
    Some(spki.subject_public_key.data.to_vec())
}

/// Freshness of a SingleResponse at `time` (RFC 6960 §3.2 items 5 and 6, §4.2.2.1).
pub fn freshness_problem(single: &SingleResponse, time: OffsetDateTime) -> Option<String> {
    let skewed = time.checked_add(MAX_OCSP_CLOCK_SKEW).unwrap_or(time);
    if single.this_update > skewed {
        return Some(format!(
            "OCSP response thisUpdate {} is after the validation time {}",
            rfc3339(single.this_update),
            rfc3339(time)
        ));
    }
    match single.next_update {
        Some(next) if next.checked_add(MAX_OCSP_CLOCK_SKEW).is_some_and(|n| n < time) => Some(format!(
            "OCSP response is not recent enough: nextUpdate {} is before the validation time {}",
            rfc3339(next),
            rfc3339(time)
        )),
        Some(_) => None,
        None if single
            .this_update
            .checked_add(MAX_OCSP_AGE_WITHOUT_NEXT_UPDATE)
            .is_some_and(|limit| limit < time) =>
        {
            Some(format!(
                "OCSP response is not recent enough: thisUpdate {} without nextUpdate is older than {} at {}",
                rfc3339(single.this_update),
                MAX_OCSP_AGE_WITHOUT_NEXT_UPDATE,
                rfc3339(time)
            ))
        }
        None => None,
    }
}

fn parse_single(body: &[u8]) -> Result<SingleResponse, PkiError> {
    let (cert_id, _, rest) = next(body, "certID")?;
    let cert_id = parse_cert_id(cert_id.data)?;
    let (status_any, _, rest) = next(rest, "certStatus")?;
    let status = if is_context(&status_any, 0) {
        OcspCertStatus::Good
    } else if is_context(&status_any, 1) {
        let (t, t_raw, r) = next(status_any.data, "revocationTime")?;
        let at = generalized_time(&t, t_raw, "revocationTime")?;
        let mut reason = None;
        if !r.is_empty() {
            let (tagged, _, _) = next(r, "revocationReason")?;
            if !is_context(&tagged, 0) {
                return Err(bad("revocationReason: unexpected tag"));
            }
            let (e, _, _) = next(tagged.data, "revocationReason")?;
            let code = expect_universal(e, Tag::Enumerated, "revocationReason")?;
            reason = match code {
                [c] => RevocationReason::from_code(*c),
                _ => None,
            };
            if reason.is_none() {
                return Err(bad("revocationReason: unknown CRLReason"));
            }
        }
        OcspCertStatus::Revoked { at, reason }
    } else if is_context(&status_any, 2) {
        OcspCertStatus::Unknown
    } else {
        return Err(bad("certStatus: unexpected tag"));
    };
    let (t, t_raw, mut rest) = next(rest, "thisUpdate")?;
    let this_update = generalized_time(&t, t_raw, "thisUpdate")?;
    let mut next_update = None;
    let mut unknown_critical = Vec::new();
    while !rest.is_empty() {
        let (field, _, r) = next(rest, "SingleResponse field")?;
        rest = r;
        if is_context(&field, 0) && next_update.is_none() {
            let (n, n_raw, _) = next(field.data, "nextUpdate")?;
            next_update = Some(generalized_time(&n, n_raw, "nextUpdate")?);
        } else if is_context(&field, 1) {
            unknown_critical = critical_unknown(field.data, &[])?;
            if !rest.is_empty() {
                return Err(bad("unexpected data after singleExtensions"));
            }
        } else {
            return Err(bad("SingleResponse: unexpected field"));
        }
    }
    Ok(SingleResponse {
        cert_id,
        status,
        this_update,
        next_update,
        unknown_critical,
    })
}

fn parse_cert_id(body: &[u8]) -> Result<CertId, PkiError> {
    let (alg, _, rest) = next(body, "hashAlgorithm")?;
    let (alg_oid, _, _) = next(alg.data, "hashAlgorithm")?;
    let oid = oid_string(&alg_oid, "hashAlgorithm")?;
    let hash = CertIdHash::from_oid(&oid)
        .ok_or_else(|| bad(format!("CertID hash algorithm {oid} not supported")))?;
    let (n, _, rest) = next(rest, "issuerNameHash")?;
    let issuer_name_hash = expect_universal(n, Tag::OctetString, "issuerNameHash")?;
    let (k, _, rest) = next(rest, "issuerKeyHash")?;
    let issuer_key_hash = expect_universal(k, Tag::OctetString, "issuerKeyHash")?;
    let (s, _, rest) = next(rest, "serialNumber")?;
    let serial = expect_universal(s, Tag::Integer, "serialNumber")?;
    if !rest.is_empty() {
        return Err(bad("CertID: trailing data"));
    }
    Ok(CertId {
        hash,
        issuer_name_hash: issuer_name_hash.to_vec(),
        issuer_key_hash: issuer_key_hash.to_vec(),
        serial: serial.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::pki::rev_testkit::*;

    fn setup() -> (TestCert, TestCert, OffsetDateTime) {
        let ca = make_cert(CertSpec::ca("OCSP Test CA", 1), None);
        let leaf = make_cert(CertSpec::ee("Lê Văn Cường", 42), Some(&ca));
        (ca, leaf, fixed_time("2026-06-01T00:00:00Z"))
    }

    #[test]
    fn parses_a_basic_response() {
        let (ca, leaf, now) = setup();
        let singles = [
            Single {
                cert_id: cert_id(&ca, 42),
                status: 1,
                this_update: now,
                next_update: Some(now + Duration::hours(4)),
            },
            Single {
                cert_id: cert_id(&ca, 43),
                status: 0,
                this_update: now,
                next_update: None,
            },
        ];
        let der = ocsp_response(&ca, &ca.key, now, &singles, &[&leaf], false);
        let r = OcspResponse::from_der(&der).expect("parses");
        assert_eq!(r.produced_at(), now);
        assert!(r.responder_is(&ca.cert));
        assert!(!r.responder_is(&leaf.cert));
        assert_eq!(r.certs(), std::slice::from_ref(&leaf.cert));
        assert_eq!(r.responses().len(), 2);
        let s = r.single_for(&leaf.cert, &ca.cert).expect("about the leaf");
        assert_eq!(
            s.status,
            OcspCertStatus::Revoked {
                at: now,
                reason: Some(RevocationReason::KeyCompromise)
            }
        );
        assert_eq!(s.next_update, Some(now + Duration::hours(4)));
        assert_eq!(r.responses()[1].status, OcspCertStatus::Good);
        // The leaf is not its own issuer: no CertID matches that pair.
        assert!(r.single_for(&leaf.cert, &leaf.cert).is_none());
    }

    #[test]
    fn freshness_rules() {
        let (ca, _, now) = setup();
        let mk = |this_update, next_update| SingleResponse {
            cert_id: CertId {
                hash: CertIdHash::Sha1,
                issuer_name_hash: vec![],
                issuer_key_hash: vec![],
                serial: vec![1],
            },
            status: OcspCertStatus::Good,
            this_update,
            next_update,
            unknown_critical: vec![],
        };
        let _ = ca;
        assert_eq!(
            freshness_problem(
                &mk(now - Duration::hours(1), Some(now + Duration::hours(1))),
                now
            ),
            None
        );
        assert!(freshness_problem(&mk(now + Duration::hours(1), None), now).is_some());
        // A few minutes of clock difference are tolerated, no more.
        let minutes = Duration::minutes;
        assert_eq!(freshness_problem(&mk(now + minutes(2), None), now), None);
        let stale_by = |m| mk(now - Duration::hours(1), Some(now - minutes(m)));
        assert_eq!(freshness_problem(&stale_by(2), now), None);
        assert!(freshness_problem(&stale_by(10), now).is_some());
        assert!(freshness_problem(
            &mk(now - Duration::hours(2), Some(now - Duration::hours(1))),
            now
        )
        .is_some());
        assert_eq!(
            freshness_problem(&mk(now - Duration::hours(23), None), now),
            None
        );
        assert!(freshness_problem(&mk(now - Duration::hours(25), None), now).is_some());
    }

    #[test]
    fn unsuccessful_and_malformed_responses_are_errors() {
        let try_later = seq(&[enumerated(3)]);
        match OcspResponse::from_der(&try_later) {
            Err(PkiError::BadOcsp(why)) => assert!(why.contains("tryLater"), "{why}"),
            other => panic!("unexpected {other:?}"),
        }
        let (ca, _, now) = setup();
        let der = ocsp_response(
            &ca,
            &ca.key,
            now,
            &[Single {
                cert_id: cert_id(&ca, 1),
                status: 0,
                this_update: now,
                next_update: None,
            }],
            &[],
            false,
        );
        for len in 0..der.len() {
            assert!(
                OcspResponse::from_der(&der[..len]).is_err(),
                "truncated at {len}"
            );
        }
        assert!(OcspResponse::from_der(&[0x30, 0x80, 0, 0]).is_err());
    }

    /// A response made by OpenSSL's own responder (`openssl ocsp -index`, SHA-1 CertIDs, a
    /// nonce extension) parses and matches the certificate it was asked about.
    #[test]
    fn parses_a_response_from_the_openssl_responder() {
        if Command::new("openssl").arg("version").output().is_err() {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
                "the openssl CLI is required in CI"
            );
            eprintln!("skipping: the openssl CLI is not installed");
            return;
        }
        let (ca, leaf, _) = setup();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |n: &str| dir.path().join(n);
        std::fs::write(path("ca.pem"), ca.x509.to_pem().expect("pem")).expect("write");
        std::fs::write(
            path("ca.key"),
            ca.key.private_key_to_pem_pkcs8().expect("key"),
        )
        .expect("write");
        std::fs::write(path("leaf.pem"), leaf.x509.to_pem().expect("pem")).expect("write");
        // index.txt: status, expiry, revocation date,reason, serial (hex), file, subject.
        std::fs::write(
            path("index.txt"),
            "R\t400101000000Z\t260101000000Z,keyCompromise\t2A\tunknown\t/CN=leaf\n",
        )
        .expect("write");
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-reqout", "req.der",
        ]);
        run(&[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-CA",
            "ca.pem",
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "1",
            "-resp_key_id",
        ]);
        let der = std::fs::read(path("resp.der")).expect("read");
        let r = OcspResponse::from_der(&der).expect("OpenSSL's response parses");
        let s = r.single_for(&leaf.cert, &ca.cert).expect("about the leaf");
        assert_eq!(s.cert_id.hash, CertIdHash::Sha1);
        match s.status {
            OcspCertStatus::Revoked { at, reason } => {
                assert_eq!(at, fixed_time("2026-01-01T00:00:00Z"));
                assert_eq!(reason, Some(RevocationReason::KeyCompromise));
            }
            ref other => panic!("unexpected status {other:?}"),
        }
        assert!(s.next_update.is_some());
        assert!(matches!(r.responder(), ResponderId::ByKey(_)));
        assert!(r.responder_is(&ca.cert));
        assert!(!r.responder_is(&leaf.cert));
        assert!(r.unknown_critical_extensions().is_empty());
        let key = ca.cert.public_key().expect("key");
        crate::pki::algorithm::AlgorithmPolicy::default()
            .verify(r.tbs(), r.signature_algorithm(), r.signature(), key)
            .expect("OpenSSL's signature verifies over the bytes kyso kept");
    }
}

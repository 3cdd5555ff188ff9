//! Verifying a detached CMS SignedData against the digest of its content (RFC 5652 §5.6).
//! The outcome is a report: every check gives a value, and the problems found are listed.
//! Certificate-chain validation of the signer is left to `pki`, which receives the signer's
//! certificate and the embedded ones from the report.

use std::fmt;

use openssl::pkey::{Id, PKey};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::sign::RsaPssSaltlen;
use time::OffsetDateTime;

use super::algorithm::{DigestAlgorithm, SignatureScheme};
use super::asn1::{tag, Reader};
use super::attributes::{check_signing_certificate, parse_time, EssStatus};
use super::certificate::CertificateId;
use super::parse::{SignedData, SignerId, SignerInfo};
use super::{oid, CmsError};

/// The digest of the detached content in one algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDigest {
    pub algorithm: DigestAlgorithm,
    pub value: Vec<u8>,
}

/// A problem found while verifying; several may be reported for one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// eContent is present: the signature is not detached (ETSI EN 319 142-1 §6.3).
    NotDetached,
    /// eContentType is not id-data.
    ContentTypeNotData(String),
    /// SignedData holds no SignerInfo.
    NoSignerInfo,
    /// More than one SignerInfo (PAdES allows exactly one, ETSI EN 319 142-1 §6.3).
    SeveralSignerInfos(usize),
    /// No embedded certificate matches the SignerIdentifier (RFC 5652 §5.3).
    SignerCertificateNotFound,
    /// The matching certificate cannot be read by OpenSSL.
    SignerCertificateUnreadable,
    UnsupportedDigestAlgorithm(String),
    UnsupportedSignatureAlgorithm(String),
    /// The signature's digest differs from the SignerInfo's digestAlgorithm.
    DigestAlgorithmMismatch,
    /// Signed attributes lack message-digest, or carry it more than once or multi-valued
    /// (RFC 5652 §11.2).
    MessageDigestMissing,
    MessageDigestMismatch,
    /// Signed attributes lack content-type, or carry it more than once (RFC 5652 §11.1).
    ContentTypeAttributeMissing,
    ContentTypeAttributeMismatch,
    /// The signature value does not verify with the signer's public key.
    SignatureInvalid,
    /// The signature verifies only over the received, non-DER encoding of the signed attributes
    /// (RFC 5652 §5.4 asks for DER).
    SignedAttributesNotDer,
    /// No signed attributes: the signature covers the content digest directly.
    NoSignedAttributes,
    /// ESS signing-certificate(-v2) does not name the signer's certificate (RFC 5035 §5.4).
    EssMismatch,
    /// A signing-time attribute cannot be decoded or is repeated (RFC 5652 §11.3).
    SigningTimeMalformed,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotDetached => f.write_str("encapsulated content present: not a detached signature"),
            Problem::ContentTypeNotData(o) => write!(f, "encapsulated content type {o} is not id-data"),
            Problem::NoSignerInfo => f.write_str("no SignerInfo"),
            Problem::SeveralSignerInfos(n) => write!(f, "{n} SignerInfos where one is expected"),
            Problem::SignerCertificateNotFound => {
                f.write_str("the signer's certificate is not among the embedded certificates (RFC 5652 §5.3)")
            }
            Problem::SignerCertificateUnreadable => f.write_str("the signer's certificate cannot be read"),
            Problem::UnsupportedDigestAlgorithm(o) => write!(f, "unsupported digest algorithm {o}"),
            Problem::UnsupportedSignatureAlgorithm(o) => write!(f, "unsupported signature algorithm {o}"),
            Problem::DigestAlgorithmMismatch => {
                f.write_str("signature algorithm digest differs from the SignerInfo digest algorithm")
            }
            Problem::MessageDigestMissing => {
                f.write_str("message-digest attribute missing or not single-valued (RFC 5652 §11.2)")
            }
            Problem::MessageDigestMismatch => {
                f.write_str("message-digest does not match the content: the signed data was changed")
            }
            Problem::ContentTypeAttributeMissing => {
                f.write_str("content-type attribute missing or not single-valued (RFC 5652 §11.1)")
            }
            Problem::ContentTypeAttributeMismatch => {
                f.write_str("content-type attribute differs from eContentType (RFC 5652 §11.1)")
            }
            Problem::SignatureInvalid => f.write_str("the signature value does not verify"),
            Problem::SignedAttributesNotDer => {
                f.write_str("signed attributes are not DER-encoded (RFC 5652 §5.4)")
            }
            Problem::NoSignedAttributes => f.write_str("no signed attributes"),
            Problem::EssMismatch => f.write_str(
                "ESS signing-certificate attribute does not name the signer's certificate (RFC 5035 §5.4)",
            ),
            Problem::SigningTimeMalformed => f.write_str("signing-time attribute malformed (RFC 5652 §11.3)"),
        }
    }
}

/// The outcome for one SignerInfo.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignerReport {
    /// The SignerInfo's digest algorithm, when supported; its OID otherwise in `problems`.
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// The signature scheme, when supported.
    pub signature_scheme: Option<SignatureScheme>,
    /// message-digest equals the content digest (or, without signed attributes, the signature
    /// over the content digest verified).
    pub digest_ok: bool,
    /// content-type is present, single and equal to eContentType (true without signed
    /// attributes, where there is nothing to check).
    pub content_type_ok: bool,
    /// The signature value verifies with the signer certificate's key.
    pub signature_ok: bool,
    pub ess: EssStatus,
    /// DER of the signer's certificate, when found.
    pub signer_certificate: Option<Vec<u8>>,
    /// The signing-time attribute (legacy signatures; PAdES ones must not have it).
    pub signing_time: Option<OffsetDateTime>,
    /// Each id-aa-signatureTimeStampToken value (a ContentInfo), for RFC 3161 validation.
    pub signature_timestamps: Vec<Vec<u8>>,
    /// The signature value, which a signature timestamp's message imprint covers.
    pub signature_value: Vec<u8>,
    /// Everything found, including findings that leave the signature intact but that a policy
    /// may reject (no signed attributes, non-DER signed attributes, malformed signing-time).
    pub problems: Vec<Problem>,
}

impl SignerReport {
    /// Digest, content type, signature and ESS binding all hold (chain not considered).
    pub fn is_intact(&self) -> bool {
        self.digest_ok
            && self.content_type_ok
            && self.signature_ok
            && self.ess != EssStatus::Mismatch
    }
}

/// The outcome for a SignedData.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CmsReport {
    /// DER of every embedded certificate, for path building.
    pub certificates: Vec<Vec<u8>>,
    /// Every embedded CRL.
    pub crls: Vec<Vec<u8>>,
    /// One report per SignerInfo, in order.
    pub signers: Vec<SignerReport>,
    /// Problems of the SignedData as a whole.
    pub problems: Vec<Problem>,
}

impl CmsReport {
    /// Exactly one SignerInfo, intact, and no structural problem.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
            && self.signers.len() == 1
            && self.signers.iter().all(SignerReport::is_intact)
    }
}

impl SignedData {
    /// The digest algorithms the content must be hashed with to verify every SignerInfo.
    pub fn required_digests(&self) -> Vec<DigestAlgorithm> {
        let mut out: Vec<DigestAlgorithm> = Vec::new();
        for si in &self.signer_infos {
            if let Some(d) = DigestAlgorithm::from_oid(&si.digest_algorithm.oid) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }

    /// Verifies every SignerInfo against the content digests. `Err` only when a digest the
    /// signature needs (see [`Self::required_digests`]) was not supplied.
    pub fn verify(&self, digests: &[ContentDigest]) -> Result<CmsReport, CmsError> {
        let mut problems = Vec::new();
        if self.content.is_some() {
            problems.push(Problem::NotDetached);
        }
        if self.content_type != oid::DATA {
            problems.push(Problem::ContentTypeNotData(oid::dotted(&self.content_type)));
        }
        self.verify_signers(digests, problems)
    }

    /// Verifies every SignerInfo over the encapsulated content (an RFC 3161 token's TSTInfo).
    /// `None` when there is no eContent.
    pub(crate) fn verify_encapsulated(&self) -> Result<Option<CmsReport>, CmsError> {
        let Some(content) = &self.content else {
            return Ok(None);
        };
        let digests = self.digests_of(content)?;
        self.verify_signers(&digests, Vec::new()).map(Some)
    }

    /// `content` hashed with every digest algorithm the signers need.
    fn digests_of(&self, content: &[u8]) -> Result<Vec<ContentDigest>, CmsError> {
        self.required_digests()
            .into_iter()
            .map(|algorithm| {
                Ok(ContentDigest {
                    algorithm,
                    value: algorithm.digest(content)?,
                })
            })
            .collect()
    }

    fn verify_signers(
        &self,
        digests: &[ContentDigest],
        mut problems: Vec<Problem>,
    ) -> Result<CmsReport, CmsError> {
        match self.signer_infos.len() {
            0 => problems.push(Problem::NoSignerInfo),
            1 => {}
            n => problems.push(Problem::SeveralSignerInfos(n)),
        }
        let ids: Vec<CertificateId> = self
            .certificates
            .iter()
            .filter_map(|c| CertificateId::parse(c).ok())
            .collect();
        let signers = self
            .signer_infos
            .iter()
            .map(|si| verify_signer(self, si, &ids, digests))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CmsReport {
            certificates: self.certificates.clone(),
            crls: self.crls.clone(),
            signers,
            problems,
        })
    }
}

/// Parses `cms` and verifies it against the content digests.
pub fn verify_detached(cms: &[u8], digests: &[ContentDigest]) -> Result<CmsReport, CmsError> {
    SignedData::parse(cms)?.verify(digests)
}

/// Parses `cms` and verifies it against `content`, hashing it with whatever the signers need.
pub fn verify_detached_content(cms: &[u8], content: &[u8]) -> Result<CmsReport, CmsError> {
    let signed = SignedData::parse(cms)?;
    let digests = signed.digests_of(content)?;
    signed.verify(&digests)
}

fn find_signer<'c>(sid: &SignerId, ids: &'c [CertificateId]) -> Option<&'c CertificateId> {
    ids.iter().find(|c| match sid {
        SignerId::IssuerAndSerialNumber { issuer, serial } => {
            &c.issuer == issuer && &c.serial == serial
        }
        SignerId::SubjectKeyIdentifier(ski) => c.subject_key_id.as_ref() == Some(ski),
    })
}

fn verify_signer(
    sd: &SignedData,
    si: &SignerInfo,
    ids: &[CertificateId],
    digests: &[ContentDigest],
) -> Result<SignerReport, CmsError> {
    let mut report = SignerReport {
        digest_algorithm: DigestAlgorithm::from_oid(&si.digest_algorithm.oid),
        signature_scheme: None,
        digest_ok: false,
        content_type_ok: false,
        signature_ok: false,
        ess: EssStatus::Absent,
        signer_certificate: None,
        signing_time: None,
        signature_timestamps: si
            .unsigned_attributes
            .iter()
            .filter(|a| a.oid == oid::SIGNATURE_TIME_STAMP_TOKEN)
            .flat_map(|a| a.values.iter().cloned())
            .collect(),
        signature_value: si.signature.clone(),
        problems: Vec::new(),
    };
    let Some(digest_algorithm) = report.digest_algorithm else {
        report.problems.push(Problem::UnsupportedDigestAlgorithm(
            si.digest_algorithm.dotted(),
        ));
        return Ok(report);
    };
    let content_digest = digests
        .iter()
        .find(|d| d.algorithm == digest_algorithm)
        .ok_or(CmsError::DigestNotSupplied(digest_algorithm))?;
    report.signature_scheme =
        SignatureScheme::from_algorithm_identifier(&si.signature_algorithm, Some(digest_algorithm));

    let signer = find_signer(&si.sid, ids);
    report.signer_certificate = signer.map(|c| c.der.clone());
    if signer.is_none() {
        report.problems.push(Problem::SignerCertificateNotFound);
    }

    match &si.signed_attributes {
        Some(attrs) => {
            match attribute_is(
                attrs,
                oid::MESSAGE_DIGEST,
                tag::OCTET_STRING,
                &content_digest.value,
            ) {
                Some(ok) => {
                    report.digest_ok = ok;
                    if !ok {
                        report.problems.push(Problem::MessageDigestMismatch);
                    }
                }
                None => report.problems.push(Problem::MessageDigestMissing),
            }
            match attribute_is(attrs, oid::CONTENT_TYPE, tag::OID, &sd.content_type) {
                Some(ok) => {
                    report.content_type_ok = ok;
                    if !ok {
                        report.problems.push(Problem::ContentTypeAttributeMismatch);
                    }
                }
                None => report.problems.push(Problem::ContentTypeAttributeMissing),
            }
            if attrs.get(oid::SIGNING_TIME).next().is_some() {
                match single_value(attrs.get(oid::SIGNING_TIME)).map(parse_time) {
                    Some(Ok(t)) => report.signing_time = Some(t),
                    _ => report.problems.push(Problem::SigningTimeMalformed),
                }
            }
            if let Some(cert) = signer {
                report.ess = ess_status(attrs, cert);
                if report.ess == EssStatus::Mismatch {
                    report.problems.push(Problem::EssMismatch);
                }
            }
        }
        None => {
            report.content_type_ok = true;
            report.problems.push(Problem::NoSignedAttributes);
        }
    }

    let Some(scheme) = report.signature_scheme else {
        report.problems.push(Problem::UnsupportedSignatureAlgorithm(
            si.signature_algorithm.dotted(),
        ));
        return Ok(report);
    };
    if scheme.digest() != digest_algorithm {
        report.problems.push(Problem::DigestAlgorithmMismatch);
        return Ok(report);
    }
    let Some(cert) = signer else {
        return Ok(report);
    };
    // Through the typed readers: OpenSSL 3's generic decoder, which `X509::from_der` runs for
    // the key, costs more than the RSA verification itself.
    let Some(key) = crate::pki::algorithm::public_key_from_spki_der(&cert.spki) else {
        report.problems.push(Problem::SignerCertificateUnreadable);
        return Ok(report);
    };
    match &si.signed_attributes {
        Some(attrs) => {
            let der = attrs.der_encoding();
            let over_der =
                check_signature(&key, scheme, &digest_algorithm.digest(&der)?, &si.signature);
            report.signature_ok = over_der
                || (attrs.received != der && {
                    let received = digest_algorithm.digest(&attrs.received)?;
                    let ok = check_signature(&key, scheme, &received, &si.signature);
                    if ok {
                        report.problems.push(Problem::SignedAttributesNotDer);
                    }
                    ok
                });
        }
        None => {
            // RFC 5652 §5.4: without signed attributes the signature covers the content itself,
            // so a correct signature over the content digest is also the digest check.
            report.signature_ok =
                check_signature(&key, scheme, &content_digest.value, &si.signature);
            report.digest_ok = report.signature_ok;
        }
    }
    if !report.signature_ok {
        report.problems.push(Problem::SignatureInvalid);
    }
    Ok(report)
}

/// The only value of the only attribute in `attrs`, or `None` when absent, repeated or
/// multi-valued.
fn single_value<'a>(
    mut attrs: impl Iterator<Item = &'a super::attributes::Attribute>,
) -> Option<&'a [u8]> {
    let first = attrs.next()?;
    if attrs.next().is_some() || first.values.len() != 1 {
        return None;
    }
    first.values.first().map(Vec::as_slice)
}

/// Whether the single value of attribute `attr_oid` is a `value_tag` element with content
/// `expected`; `None` when the attribute is absent, repeated or multi-valued (as
/// [`single_value`]).
fn attribute_is(
    attrs: &super::parse::SignedAttributes,
    attr_oid: &[u8],
    value_tag: u8,
    expected: &[u8],
) -> Option<bool> {
    let value = single_value(attrs.get(attr_oid))?;
    let element = Reader::new(value).read_tag(value_tag).ok();
    Some(element.is_some_and(|t| t.content == expected))
}

fn ess_status(attrs: &super::parse::SignedAttributes, cert: &CertificateId) -> EssStatus {
    let v2: Vec<_> = attrs.get(oid::SIGNING_CERTIFICATE_V2).collect();
    let v1: Vec<_> = attrs.get(oid::SIGNING_CERTIFICATE).collect();
    if v2.is_empty() && v1.is_empty() {
        return EssStatus::Absent;
    }
    let all_match = |list: &[&super::attributes::Attribute], v2: bool| {
        list.iter().all(|a| {
            a.values.len() == 1
                && a.values
                    .iter()
                    .all(|v| check_signing_certificate(v, cert, v2))
        })
    };
    if !all_match(&v2, true) || !all_match(&v1, false) {
        return EssStatus::Mismatch;
    }
    if v2.is_empty() {
        EssStatus::V1Match
    } else {
        EssStatus::V2Match
    }
}

/// Verifies `signature` over a precomputed `digest` with OpenSSL; any OpenSSL error (malformed
/// signature, key of the wrong type) is a failed verification.
fn check_signature(
    key: &PKey<openssl::pkey::Public>,
    scheme: SignatureScheme,
    digest: &[u8],
    signature: &[u8],
) -> bool {
    let key_fits = match scheme {
        SignatureScheme::RsaPkcs1(_) | SignatureScheme::RsaPss { .. } => {
            key.id() == Id::RSA || key.id() == Id::RSA_PSS
        }
        SignatureScheme::Ecdsa(_) => key.id() == Id::EC,
    };
    if !key_fits {
        return false;
    }
    let attempt = || -> Result<bool, openssl::error::ErrorStack> {
        let mut ctx = PkeyCtx::new(key)?;
        ctx.verify_init()?;
        match scheme {
            SignatureScheme::RsaPkcs1(d) => {
                ctx.set_rsa_padding(Padding::PKCS1)?;
                ctx.set_signature_md(d.md())?;
            }
            SignatureScheme::RsaPss {
                digest,
                mgf1_digest,
                salt_len,
            } => {
                let salt = i32::try_from(salt_len).unwrap_or(i32::MAX);
                ctx.set_rsa_padding(Padding::PKCS1_PSS)?;
                ctx.set_signature_md(digest.md())?;
                ctx.set_rsa_mgf1_md(mgf1_digest.md())?;
                ctx.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt))?;
            }
            SignatureScheme::Ecdsa(d) => ctx.set_signature_md(d.md())?,
        }
        ctx.verify(digest, signature)
    };
    attempt().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::x509::{X509Builder, X509NameBuilder};

    use super::super::asn1::{self, tag};
    use super::super::{prepare, PKeySigner, RawSigner, SignRequest, SignatureAlgorithm};
    use super::*;

    /// A signer that sorted its signed attributes wrongly and signed that encoding: the
    /// signature holds over the received bytes only, which is reported.
    #[test]
    fn non_der_signed_attributes_are_reported() {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "unsorted").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        let serial = openssl::bn::BigNum::from_u32(7).unwrap();
        b.set_serial_number(&serial.to_asn1_integer().unwrap())
            .unwrap();
        b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let cert = b.build().to_der().unwrap();
        let content = b"content";
        let digest: [u8; 32] = DigestAlgorithm::Sha256
            .digest(content)
            .unwrap()
            .try_into()
            .unwrap();
        let mut prepared = prepare(&SignRequest {
            content_digest: digest,
            signer_certificate: &cert,
            chain: &[],
            algorithm: SignatureAlgorithm::EcdsaP256Sha256,
        })
        .unwrap();
        // Reverse the sorted attributes: still a SET, no longer DER.
        let set = asn1::read_top_level(prepared.signed_attributes_der()).unwrap();
        let mut r = set.children().unwrap();
        let mut attrs = Vec::new();
        while !r.is_empty() {
            attrs.push(r.read().unwrap().raw.to_vec());
        }
        attrs.reverse();
        prepared.signed_attributes = asn1::der(tag::SET, &attrs.concat());
        let signer = PKeySigner::new(key, SignatureAlgorithm::EcdsaP256Sha256).unwrap();
        let signature = signer.sign(prepared.signed_attributes_der()).unwrap();
        let der = prepared.assemble(&signature, None).unwrap();
        let report = verify_detached_content(&der, content).unwrap();
        let s = &report.signers[0];
        assert!(
            s.signature_ok && s.digest_ok && s.is_intact(),
            "{:?}",
            s.problems
        );
        assert!(s.problems.contains(&Problem::SignedAttributesNotDer));
        assert_eq!(s.ess, EssStatus::V2Match);
    }
}

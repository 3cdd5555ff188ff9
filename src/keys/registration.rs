//! The checks a certificate passes before a key may sign with it: it certifies this very key,
//! it validates to a configured trust anchor under the document-signing profile (RFC 5280 §6.1
//! and DESIGN.md's EKU and key-usage rules, revocation per the configured policy), and it is
//! within its validity period. Its expiry date feeds the 30-day warning of `/readyz` and the
//! metrics. Pure: the time is a parameter.

use time::{Duration, OffsetDateTime};

use super::error::KeysError;
use crate::pki::profile::Profile;
use crate::pki::{
    validate_chain, Certificate, RevocationData, RevocationPolicy, TrustStore, ValidationOptions,
};

/// Days before an active certificate's notAfter from which the service warns: a month leaves
/// time to request, obtain and register the next certificate from the government CA.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// What the checks need.
pub struct RegistrationInputs<'a> {
    /// The issued certificate.
    pub certificate: &'a Certificate,
    /// Intermediate certificates for path building.
    pub chain: &'a [Certificate],
    /// The key's SubjectPublicKeyInfo DER.
    pub public_key_spki: &'a [u8],
    /// The configured trust anchors.
    pub anchors: &'a TrustStore,
    /// CRLs and OCSP responses at hand.
    pub revocation: &'a RevocationData,
    /// The configured revocation policy.
    pub revocation_policy: RevocationPolicy,
    /// The time of the check.
    pub time: OffsetDateTime,
}

/// A certificate that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The certificate's notAfter.
    pub not_after: OffsetDateTime,
    /// SHA-256 of the certificate DER, hex.
    pub certificate_sha256: String,
    /// Warnings of the chain validation (e.g. revocation status unknown under soft-fail).
    pub warnings: Vec<String>,
    /// Days left when fewer than [`EXPIRY_WARNING_DAYS`] remain.
    pub expires_in_days: Option<i64>,
}

fn refuse(why: impl Into<String>) -> KeysError {
    KeysError::Registration(why.into())
}

/// Runs every check; `Err(KeysError::Registration)` names the first one that fails.
pub fn check_registration(inputs: &RegistrationInputs<'_>) -> Result<Registration, KeysError> {
    let cert = inputs.certificate;
    if cert.spki() != inputs.public_key_spki {
        return Err(refuse(
            "chứng thư số không khớp với khóa / the certificate certifies another key than this \
             one (RFC 5280 §4.1.2.7)",
        ));
    }
    if inputs.time < cert.not_before() {
        return Err(refuse(
            "chứng thư số chưa có hiệu lực / the certificate is not valid yet (RFC 5280 §4.1.2.5)",
        ));
    }
    if inputs.time > cert.not_after() {
        return Err(refuse(
            "chứng thư số đã hết hạn / the certificate has expired (RFC 5280 §4.1.2.5)",
        ));
    }
    let mut options = ValidationOptions::new(inputs.time);
    options.profile = Profile::DocumentSigning;
    options.revocation_policy = inputs.revocation_policy;
    let report = validate_chain(
        cert,
        inputs.chain,
        inputs.anchors,
        inputs.revocation,
        &options,
    )?;
    if !report.is_valid() {
        return Err(refuse(format!(
            "chuỗi chứng thư không hợp lệ / the chain does not validate for document signing: {}",
            report.reason
        )));
    }
    Ok(Registration {
        not_after: cert.not_after(),
        certificate_sha256: cert.sha256_hex(),
        warnings: report.warnings,
        expires_in_days: expiry_warning(cert.not_after(), inputs.time),
    })
}

/// Whole days until `not_after` when it is less than [`EXPIRY_WARNING_DAYS`] away from `now`
/// (0 on the last day, negative once expired); `None` while it is further.
pub fn expiry_warning(not_after: OffsetDateTime, now: OffsetDateTime) -> Option<i64> {
    let left = not_after - now;
    (left < Duration::days(EXPIRY_WARNING_DAYS)).then(|| left.whole_days())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn warning_starts_thirty_days_before_expiry() {
        let end = datetime!(2027-01-31 00:00 UTC);
        assert_eq!(expiry_warning(end, end - Duration::days(31)), None);
        assert_eq!(expiry_warning(end, end - Duration::days(30)), None);
        assert_eq!(
            expiry_warning(end, end - Duration::days(29)),
            Some(29)
        );
        assert_eq!(expiry_warning(end, end + Duration::days(2)), Some(-2));
    }
}

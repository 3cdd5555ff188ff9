//! The checks a certificate passes before a key may sign with it: it certifies this very key,
//! it validates to a configured trust anchor under the document-signing profile (RFC 5280 §6.1
//! and DESIGN.md's EKU and key-usage rules, revocation per the configured policy), and it is
//! within its validity period. Its expiry date feeds the 30-day warning of `/readyz` and the
//! metrics. Pure: the time is a parameter.

use sha2::{Digest, Sha256};
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
    /// SHA-256 (hex) of the key's SubjectPublicKeyInfo DER, as the key record holds it.
    pub public_key_sha256: &'a str,
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
    if hex::encode(Sha256::digest(cert.spki())) != inputs.public_key_sha256 {
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
    use crate::pki::demo::{self, OpenSslEntropy};
    use crate::pki::source::load_certificates;
    use openssl::pkey::PKey;
    use time::macros::datetime;

    fn demo_cert(pki: &demo::DemoPki, name: &str) -> Certificate {
        let file = pki.file(name).expect("generated");
        load_certificates(&file.contents)
            .expect("parses")
            .into_iter()
            .next()
            .expect("one")
    }

    fn key_hash(pki: &demo::DemoPki, name: &str) -> String {
        let file = pki.file(name).expect("generated");
        let key = PKey::private_key_from_pem(&file.contents).expect("key");
        hex::encode(Sha256::digest(key.public_key_to_der().expect("der")))
    }

    #[test]
    fn each_check_refuses_what_it_should() {
        let now = OffsetDateTime::now_utc();
        let pki = demo::generate(now, &mut OpenSslEntropy).expect("demo");
        let other = demo::generate(now, &mut OpenSslEntropy).expect("other demo");
        let anchors = TrustStore::from_certificates([demo_cert(&pki, "root-ca.pem")]);
        let issuing = [demo_cert(&pki, "issuing-ca.pem")];
        let revocation = RevocationData::default();
        let check = |cert: &str, key: &str, anchors: &TrustStore, time: OffsetDateTime| {
            let cert = demo_cert(&pki, cert);
            let hash = key_hash(&pki, key);
            check_registration(&RegistrationInputs {
                certificate: &cert,
                chain: &issuing,
                public_key_sha256: &hash,
                anchors,
                revocation: &revocation,
                revocation_policy: RevocationPolicy::SoftFail,
                time,
            })
        };
        let ok = check("agency-signer.pem", "agency-signer.key.pem", &anchors, now).expect("ok");
        assert_eq!(ok.expires_in_days, None);
        let refused = |r: Result<Registration, KeysError>, needle: &str| match r {
            Err(KeysError::Registration(why)) => assert!(why.contains(needle), "{why}"),
            other => panic!("expected a refusal about {needle}, got {other:?}"),
        };
        refused(
            check("agency-signer.pem", "person-signer.key.pem", &anchors, now),
            "another key",
        );
        refused(
            check(
                "expired-signer.pem",
                "expired-signer.key.pem",
                &anchors,
                now,
            ),
            "expired",
        );
        let foreign = TrustStore::from_certificates([demo_cert(&other, "root-ca.pem")]);
        refused(
            check("agency-signer.pem", "agency-signer.key.pem", &foreign, now),
            "does not validate",
        );
        refused(
            check("tsa.pem", "tsa.key.pem", &anchors, now),
            "does not validate",
        );
        let near_end = demo_cert(&pki, "agency-signer.pem").not_after() - Duration::days(10);
        let soon = check(
            "agency-signer.pem",
            "agency-signer.key.pem",
            &anchors,
            near_end,
        )
        .expect("still valid");
        assert_eq!(soon.expires_in_days, Some(10));
    }

    #[test]
    fn warning_starts_thirty_days_before_expiry() {
        let end = datetime!(2027-01-31 00:00 UTC);
        assert_eq!(expiry_warning(end, end - Duration::days(31)), None);
        assert_eq!(expiry_warning(end, end - Duration::days(30)), None);
        assert_eq!(expiry_warning(end, end - Duration::days(29)), Some(29));
        assert_eq!(expiry_warning(end, end + Duration::days(2)), Some(-2));
    }
}

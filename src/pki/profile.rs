//! [`Profile`]: what the end-entity certificate must allow, on top of RFC 5280.

use super::cert::{key_usage, oid, Certificate};

/// id-kp-documentSigning (RFC 9336).
pub const EKU_DOCUMENT_SIGNING: &str = "1.3.6.1.5.5.7.3.36";
/// id-kp-emailProtection (RFC 5280 §4.2.1.12).
pub const EKU_EMAIL_PROTECTION: &str = "1.3.6.1.5.5.7.3.4";
/// Adobe Authentic Documents Trust (PDF signing).
pub const EKU_ADOBE_PDF_SIGNING: &str = "1.2.840.113583.1.1.5";
/// id-kp-serverAuth.
pub const EKU_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
/// id-kp-clientAuth.
pub const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";

/// The EKUs DESIGN.md accepts for document signing (any one of them).
pub const DOCUMENT_SIGNING_EKUS: [&str; 4] = [
    EKU_DOCUMENT_SIGNING,
    EKU_EMAIL_PROTECTION,
    EKU_ADOBE_PDF_SIGNING,
    oid::ANY_EKU,
];

/// End-entity requirements (CLI `--profile document-signing|any`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Signing documents: key usage (if present) allows digitalSignature or nonRepudiation;
    /// the EKU, if present, includes one of [`DOCUMENT_SIGNING_EKUS`].
    #[default]
    DocumentSigning,
    /// No requirement beyond RFC 5280.
    Any,
}

/// Checks the end-entity certificate against the profile, an optional required EKU (the
/// certificate must then carry that EKU or anyExtendedKeyUsage, or have no EKU extension) and
/// required key usage bits (each must be set when the certificate has a keyUsage extension).
/// Returns the violated rule, if any.
pub fn check_end_entity(
    cert: &Certificate,
    profile: Profile,
    required_eku: Option<&str>,
    required_key_usage: u16,
) -> Result<(), String> {
    let ext = cert.extensions();
    if !cert.key_usage_allows(required_key_usage) {
        return Err(format!(
            "its key usage does not include every required bit ({required_key_usage:#06x}) \
             (RFC 5280 §4.2.1.3)"
        ));
    }
    if profile == Profile::DocumentSigning {
        if let Some(ku) = ext.key_usage {
            if ku & (key_usage::DIGITAL_SIGNATURE | key_usage::NON_REPUDIATION) == 0 {
                return Err(
                    "its key usage allows neither digitalSignature nor nonRepudiation, \
                            which signing a document needs (RFC 5280 §4.2.1.3)"
                        .into(),
                );
            }
        }
        if let Some(ekus) = &ext.ext_key_usage {
            if !ekus
                .iter()
                .any(|e| DOCUMENT_SIGNING_EKUS.contains(&e.as_str()))
            {
                return Err(format!(
                    "its extended key usage ({}) does not include documentSigning, \
                     emailProtection, Adobe PDF signing or anyExtendedKeyUsage \
                     (RFC 5280 §4.2.1.12)",
                    ekus.join(", ")
                ));
            }
        }
    }
    if let (Some(want), Some(ekus)) = (required_eku, &ext.ext_key_usage) {
        if !ekus.iter().any(|e| e == want || e == oid::ANY_EKU) {
            return Err(format!(
                "its extended key usage ({}) does not include the required {want} \
                 (RFC 5280 §4.2.1.12)",
                ekus.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::rev_testkit::{make_cert, oid as oid_der, seq, CertSpec};
    use super::*;
    use openssl::x509::extension::KeyUsage;

    fn ee_with(ekus: Option<&[&str]>, ku: Option<KeyUsage>) -> Certificate {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let mut spec = CertSpec::ee("Signer", 2);
        spec.key_usage = ku;
        if let Some(list) = ekus {
            let value = seq(&list.iter().map(|o| oid_der(o)).collect::<Vec<_>>());
            spec.extra.push((oid::EXT_KEY_USAGE, false, value));
        }
        make_cert(spec, Some(&root)).cert
    }

    #[test]
    fn document_signing_accepts_the_listed_ekus() {
        for eku in DOCUMENT_SIGNING_EKUS {
            let c = ee_with(Some(&[EKU_SERVER_AUTH, eku]), None);
            assert!(check_end_entity(&c, Profile::DocumentSigning, None, 0).is_ok());
        }
        let none = ee_with(None, None);
        assert!(check_end_entity(&none, Profile::DocumentSigning, None, 0).is_ok());
    }

    #[test]
    fn document_signing_rejects_tls_only_eku_and_wrong_key_usage() {
        let tls = ee_with(Some(&[EKU_SERVER_AUTH, EKU_CLIENT_AUTH]), None);
        assert!(check_end_entity(&tls, Profile::DocumentSigning, None, 0).is_err());
        assert!(check_end_entity(&tls, Profile::Any, None, 0).is_ok());
        let mut ku = KeyUsage::new();
        ku.critical().key_encipherment();
        let enc = ee_with(None, Some(ku));
        assert!(check_end_entity(&enc, Profile::DocumentSigning, None, 0).is_err());
        let mut ku = KeyUsage::new();
        ku.critical().non_repudiation();
        let nr = ee_with(None, Some(ku));
        assert!(check_end_entity(&nr, Profile::DocumentSigning, None, 0).is_ok());
    }

    #[test]
    fn required_eku_and_key_usage() {
        let tls = ee_with(Some(&[EKU_SERVER_AUTH]), None);
        assert!(check_end_entity(&tls, Profile::Any, Some(EKU_SERVER_AUTH), 0).is_ok());
        assert!(check_end_entity(&tls, Profile::Any, Some(EKU_CLIENT_AUTH), 0).is_err());
        let any = ee_with(Some(&[oid::ANY_EKU]), None);
        assert!(check_end_entity(&any, Profile::Any, Some(EKU_CLIENT_AUTH), 0).is_ok());
        let mut ku = KeyUsage::new();
        ku.critical().non_repudiation();
        let nr = ee_with(None, Some(ku));
        assert!(check_end_entity(&nr, Profile::Any, None, key_usage::DIGITAL_SIGNATURE).is_err());
    }
}

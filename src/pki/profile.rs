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

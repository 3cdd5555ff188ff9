//! [`ChainReport`]: the verdict of one chain validation, in the ETSI EN 319 102-1 vocabulary,
//! with a plain-language reason that names the certificate and the rule.

use serde::Serialize;
use time::OffsetDateTime;

use super::cert::Certificate;
use crate::verdict::{Indication, SubIndication};

/// One certificate of the built path, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathCert {
    /// Subject as readable text (UTF-8, diacritics intact).
    pub subject: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// SHA-256 fingerprint of the DER, lowercase hex.
    pub sha256: String,
}

impl PathCert {
    /// Describes a certificate.
    pub fn of(cert: &Certificate) -> PathCert {
        PathCert {
            subject: cert.display_subject(),
            serial: cert.serial_hex(),
            sha256: cert.sha256_hex(),
        }
    }
}

/// The result of validating a certificate chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE.
    pub indication: Indication,
    /// The ETSI sub-indication; `None` when passed.
    pub sub_indication: Option<SubIndication>,
    /// Plain-language reason naming the certificate and the rule (or saying why it passed).
    pub reason: String,
    /// Things that did not fail the validation but the reader should know.
    pub warnings: Vec<String>,
    /// The path that was validated, end-entity first, trust anchor last (empty when none was
    /// found).
    pub path: Vec<PathCert>,
    /// The time the chain was validated at (RFC 3339).
    #[serde(serialize_with = "rfc3339")]
    pub validation_time: OffsetDateTime,
}

impl ChainReport {
    /// True for TOTAL_PASSED.
    pub fn is_valid(&self) -> bool {
        self.indication == Indication::TotalPassed
    }
}

fn rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    let text = t
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

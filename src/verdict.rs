//! The verdict vocabulary of ETSI EN 319 102-1 (clause 5.1.3), shared by certificate-chain
//! validation and signature validation so that every report speaks the same words.

use serde::Serialize;

/// Main status indication (ETSI EN 319 102-1, table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// The checks could not conclude (missing data, unknown status); a later attempt may pass.
    Indeterminate,
    /// A check failed for good.
    TotalFailed,
}

impl Indication {
    /// The worse of two indications: failed beats indeterminate beats passed. A document's
    /// indication is the worst of its signatures'.
    pub fn worst(self, other: Indication) -> Indication {
        self.max(other)
    }
}

/// Sub-indications (ETSI EN 319 102-1, table 5). Only those kyso can produce are listed;
/// the enum is non-exhaustive so that new ones are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    // With TOTAL_FAILED.
    FormatFailure,
    HashFailure,
    SigCryptoFailure,
    Revoked,
    ExpiredNoPoe,
    NotYetValid,
    // With INDETERMINATE (some also with TOTAL_FAILED, as the standard allows).
    SigConstraintsFailure,
    ChainConstraintsFailure,
    CertificateChainGeneralFailure,
    CryptoConstraintsFailure,
    Expired,
    NoSignerCertificateFound,
    NoCertificateChainFound,
    RevokedNoPoe,
    RevokedCaNoPoe,
    OutOfBoundsNoPoe,
    OutOfBoundsNotRevoked,
    CryptoConstraintsFailureNoPoe,
    NoPoe,
    TryLater,
    SignedDataNotFound,
    GenericFailure,
}

//! The verification report (DESIGN.md, Verdicts): one entry per signature and document
//! timestamp, and the document's indication, the worst of them.

use serde::Serialize;

use super::changes::Changes;
use super::digest::RevisionHashes;
use super::ltv::Level;
use crate::pki::report::PathCert;
use crate::verdict::{Indication, SubIndication};

/// How much of the file a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Coverage {
    /// Up to the end of the file: nothing was added after it.
    EntireFile,
    /// Up to the end of a revision; later revisions were judged by the change analysis.
    EntireRevision,
    /// The covered bytes end elsewhere, or the gap is not the signature itself.
    Partial,
}

/// The signer's certificate, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerSummary {
    pub subject: String,
    pub serial: String,
    pub sha256: String,
}

/// The verdict on one signature or document timestamp.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// Fully qualified field name.
    pub field: String,
    /// `signature`, `certification` or `document_timestamp`.
    pub kind: &'static str,
    /// The `/SubFilter`.
    pub sub_filter: Option<String>,
    pub indication: Indication,
    pub sub_indication: Option<SubIndication>,
    /// Plain-language reason naming what failed (or why it passed).
    pub reason: String,
    pub warnings: Vec<String>,
    pub signer: Option<SignerSummary>,
    /// `/M` (or a legacy signing-time attribute): claimed by the signer, not trusted.
    pub claimed_time: Option<String>,
    /// The trusted time of a valid signature timestamp, if any.
    pub timestamp_time: Option<String>,
    /// The time the chain was validated at (RFC 3339).
    pub validation_time: String,
    /// The digest over the covered bytes matches and the signature value verifies.
    pub intact: bool,
    pub coverage: Coverage,
    pub changes_after: Changes,
    /// The DocMDP permission, for a certification signature.
    pub docmdp: Option<i64>,
    /// The covered revision (0 for the original document).
    pub revision: Option<usize>,
    /// The certification path, end entity first.
    pub path: Vec<PathCert>,
    /// The PAdES baseline level this signature reached, when it is TOTAL_PASSED.
    pub level: Option<Level>,
    /// Where `validation_time` comes from: `signature_timestamp`, `document_timestamp` (a
    /// later document timestamp proves the signature existed then) or `current_time`.
    pub time_source: &'static str,
    /// The trusted time behind `timestamp_time`, for the verifier's own use.
    #[serde(skip)]
    pub timestamp_at: Option<time::OffsetDateTime>,
    /// SHA-256 of the covered revision, computed in the pass that checked the digest; `None`
    /// when the signature's CMS could not be read or no revision is covered.
    #[serde(skip)]
    pub revision_hashes: Option<RevisionHashes>,
}

/// The verdict on a document.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentReport {
    /// The worst indication of its signatures; INDETERMINATE when it has none.
    pub indication: Indication,
    /// Problems of the file itself (structure that would need repair).
    pub warnings: Vec<String>,
    pub revisions: usize,
    pub signatures: Vec<SignatureReport>,
    /// The lowest PAdES level among the signatures (document timestamps aside), when every
    /// one of them is TOTAL_PASSED.
    pub level: Option<Level>,
}

impl DocumentReport {
    /// Every signature TOTAL_PASSED (and at least one).
    pub fn is_valid(&self) -> bool {
        self.indication == Indication::TotalPassed
    }
}

impl DocumentReport {
    /// Applies what [`open_salvaging`](crate::pdf::salvage::open_salvaging) found: the report
    /// was made on the readable prefix of a file whose later bytes cannot be read. Those bytes
    /// are a change after every signature that no allow-list can accept (DESIGN.md: objects the
    /// signed revision does not account for are OTHER), so every signature fails with
    /// FORMAT_FAILURE, and none covers the entire file.
    pub fn unreadable_tail(&mut self, damage: &crate::pdf::salvage::Damage) {
        let why = format!(
            "các byte từ {} đến {} (một phiên bản sửa đổi sau) không đọc được: {} / bytes {} to \
             {} (a later revision) cannot be read ({}), so the changes made after the signature \
             cannot be accounted for",
            damage.readable_len,
            damage.total_len,
            damage.error,
            damage.readable_len,
            damage.total_len,
            damage.error
        );
        for sig in &mut self.signatures {
            sig.changes_after = Changes::Other;
            if sig.coverage == Coverage::EntireFile {
                sig.coverage = Coverage::EntireRevision;
            }
            if sig.indication == Indication::TotalFailed {
                sig.warnings.push(why.clone());
            } else {
                let previous = std::mem::replace(&mut sig.reason, why.clone());
                sig.warnings.push(previous);
                sig.indication = Indication::TotalFailed;
                sig.sub_indication = Some(SubIndication::FormatFailure);
            }
        }
        if !self.signatures.is_empty() {
            self.indication = self.indication.worst(Indication::TotalFailed);
        }
        self.revisions += 1;
        self.warnings.push(why);
    }
}

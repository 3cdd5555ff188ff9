//! Verifies arbitrary bytes as a signed PDF: byte ranges, CMS, chains (against an empty trust
//! store) and the change analysis of every revision must never panic; the report, whatever it
//! says, must never be TOTAL_PASSED for a document that needs repair.
#![no_main]

use kyso::pades::{verify, VerifyOptions};
use kyso::pdf::Document;
use kyso::pki::{RevocationData, RevocationPolicy, TrustStore};
use kyso::verdict::Indication;
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::open(data) else {
        return;
    };
    let trust = TrustStore::new();
    let revocation = RevocationData::default();
    let options = VerifyOptions {
        now: OffsetDateTime::UNIX_EPOCH,
        trust: &trust,
        revocation: &revocation,
        revocation_policy: RevocationPolicy::SoftFail,
    };
    if let Ok(report) = verify(&doc, &options) {
        if doc.needs_repair() {
            assert_ne!(report.indication, Indication::TotalPassed);
        }
    }
});

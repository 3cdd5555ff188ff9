//! What the citizen page shows, built from a document's ledger events: the verdict, the issuing
//! record, any revocation, and the proof material the page's script re-checks in the browser.
//! No I/O: the handler looks the events up and hands them here.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Serialize;
use time::OffsetDateTime;

use crate::ledger::entry::{Entry, EntryKind};
use crate::ledger::log::Found;
use crate::pades::appearance::format_signing_time;

/// How the page shows times: Vietnam time with its offset, e.g. `27/11/2026 15:30:00 +07:00`.
const PAGE_TIME_FORMAT: &str = crate::pades::appearance::DEFAULT_TIME_FORMAT;

/// The language of the page. Vietnamese first; English on request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The language asked for by a `lang` query value; anything but `en` is Vietnamese.
    pub fn from_query(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// The BCP 47 tag for the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// The verdict the page's root element carries in `data-status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Issued and neither revoked nor superseded.
    Valid,
    /// Revoked or superseded after issuance.
    Revoked,
    /// The ledger holds no issuance of this id.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked => "revoked",
            Status::Unknown => "unknown",
        }
    }
}

/// A later event that ended the document's validity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// True when another document replaced this one, false for a plain revocation.
    pub superseded: bool,
    /// When, in Vietnam time.
    pub time: String,
    pub reason: Option<String>,
}

/// The issuing record as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub agency: String,
    pub document_number: String,
    pub document_kind: String,
    /// Issue time in Vietnam time.
    pub time: String,
    /// SHA-256 (hex) of the issued revision, which a dropped file is compared with.
    pub revision_sha256: String,
    pub ledger_index: u64,
}

/// One event and its inclusion proof, as the script reads them (base64 like the C2SP formats).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProofEvent {
    pub index: u64,
    /// The entry's canonical bytes (the Merkle leaf data).
    pub entry: String,
    /// The inclusion proof hashes, from the leaf up.
    pub proof: Vec<String>,
}

/// Everything the script needs to check the record without trusting the page's text.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProofData {
    /// The document id from the URL; the script checks that each entry names its SHA-256.
    pub document_id: String,
    /// The log's verifier key (C2SP signed-note `name+keyid+key`).
    pub log_key: String,
    /// The signed checkpoint note every proof leads to.
    pub checkpoint: String,
    pub events: Vec<ProofEvent>,
}

/// The page's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CitizenView {
    pub lang: Lang,
    pub status: Status,
    pub issued: Option<Issued>,
    pub withdrawal: Option<Withdrawal>,
    /// The log's origin and key ID (hex), which the paper copy's signature block also names.
    pub log_origin: String,
    pub log_key_id: String,
    pub proof: Option<ProofData>,
}

fn vietnam_time(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| format_signing_time(t, PAGE_TIME_FORMAT).ok())
        .unwrap_or_else(|| unix.to_string())
}

fn proof_event(f: &Found) -> Option<ProofEvent> {
    Some(ProofEvent {
        index: f.index,
        entry: B64.encode(f.proof.extra.as_deref()?),
        proof: f.proof.proof.iter().map(|h| B64.encode(h)).collect(),
    })
}

impl CitizenView {
    /// The view of document `document_id` from its ledger events (in log order), for the log
    /// whose verifier key is `log_key` (a C2SP key string `origin+keyid+key`).
    pub fn new(lang: Lang, document_id: &str, events: &[Found], log_key: &str) -> CitizenView {
        let mut parts = log_key.splitn(3, '+');
        let log_origin = parts.next().unwrap_or_default().to_owned();
        let log_key_id = parts.next().unwrap_or_default().to_owned();
        let issuance = events.iter().find(|f| f.entry.kind == EntryKind::Issued);
        let issued = issuance.map(|f| issued(f.index, &f.entry));
        let withdrawal = events
            .iter()
            .rev()
            .find(|f| matches!(f.entry.kind, EntryKind::Revoked | EntryKind::Superseded))
            .map(|f| Withdrawal {
                superseded: f.entry.kind == EntryKind::Superseded,
                time: vietnam_time(f.entry.time),
                reason: f.entry.reason.clone(),
            });
        let status = match (&issued, &withdrawal) {
            (None, _) => Status::Unknown,
            (Some(_), Some(_)) => Status::Revoked,
            (Some(_), None) => Status::Valid,
        };
        let proof = match (issuance, events.iter().map(proof_event).collect()) {
            (Some(first), Some(evs)) => Some(ProofData {
                document_id: document_id.to_owned(),
                log_key: log_key.to_owned(),
                checkpoint: first.proof.checkpoint.to_text(),
                events: evs,
            }),
            _ => None,
        };
        CitizenView {
            lang,
            status,
            issued,
            withdrawal,
            log_origin,
            log_key_id,
            proof,
        }
    }
}

fn issued(index: u64, e: &Entry) -> Issued {
    Issued {
        agency: e.agency.clone(),
        document_number: e.document_number.clone(),
        document_kind: e.document_kind.clone(),
        time: vietnam_time(e.time),
        revision_sha256: hex::encode(e.revision_hash),
        ledger_index: index,
    }
}

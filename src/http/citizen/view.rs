//! What the citizen page shows, built from a document's ledger record (the one the JSON route
//! `GET /v1/documents/{id}` returns): the verdict, the issuing record, any revocation, and the
//! proof material the page's script re-checks in the browser. No I/O.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::http::documents::{DocumentRecord, DocumentStatus, LedgerEvent};
use crate::ledger::EntryKind;
use crate::pades::appearance::{format_signing_time, DEFAULT_TIME_FORMAT};

/// The language of the page. Vietnamese first; English on request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The language asked for in a query string (`lang=en`); anything else is Vietnamese.
    pub fn from_query(query: Option<&str>) -> Lang {
        let asks_en = query.unwrap_or_default().split('&').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| k == "lang" && v.eq_ignore_ascii_case("en"))
        });
        if asks_en {
            Lang::En
        } else {
            Lang::Vi
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

/// An RFC 3339 time of the record in Vietnam time (as given when it does not parse).
fn vietnam_time(rfc3339: &str) -> String {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .and_then(|t| format_signing_time(t, DEFAULT_TIME_FORMAT).ok())
        .unwrap_or_else(|| rfc3339.to_owned())
}

fn proof_event(e: &LedgerEvent) -> ProofEvent {
    ProofEvent {
        index: e.index,
        entry: e.entry_base64.clone(),
        proof: e.inclusion_proof.clone(),
    }
}

impl CitizenView {
    /// The view of document `document_id` from its ledger record (`None`: the ledger does not
    /// know it) in the log whose verifier key is `log_key` (C2SP `origin+keyid+key`).
    pub fn new(
        lang: Lang,
        document_id: &str,
        record: Option<&DocumentRecord>,
        log_key: &str,
    ) -> CitizenView {
        let mut parts = log_key.splitn(3, '+');
        let log_origin = parts.next().unwrap_or_default().to_owned();
        let log_key_id = parts.next().unwrap_or_default().to_owned();
        let issued = record.and_then(|r| r.issued.as_ref()).map(|e| Issued {
            agency: e.agency.clone(),
            document_number: e.document_number.clone(),
            document_kind: e.document_kind.clone(),
            time: vietnam_time(&e.time),
            ledger_index: e.index,
        });
        let withdrawal = record
            .and_then(|r| {
                r.events
                    .iter()
                    .rev()
                    .find(|e| e.event != EntryKind::Issued.name())
            })
            .map(|e| Withdrawal {
                superseded: e.event == EntryKind::Superseded.name(),
                time: vietnam_time(&e.time),
                reason: e.reason.clone(),
            });
        let status = match (record.map(|r| r.status), &issued) {
            (Some(DocumentStatus::Valid), Some(_)) => Status::Valid,
            (Some(DocumentStatus::Revoked | DocumentStatus::Superseded), Some(_)) => {
                Status::Revoked
            }
            _ => Status::Unknown,
        };
        let proof = record.filter(|_| issued.is_some()).map(|r| ProofData {
            document_id: document_id.to_owned(),
            log_key: log_key.to_owned(),
            checkpoint: r.checkpoint.clone(),
            events: r.events.iter().map(proof_event).collect(),
        });
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

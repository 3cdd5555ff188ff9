//! Document records: what the ledger says about a document — its events with inclusion proofs
//! against one signed checkpoint, and its status. [`document_record`] is the one function the
//! JSON routes and the citizen page use.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use base64::Engine as _;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::document_id::{parse_sha256, DocumentId};
use super::error::{blocking, path_param, ApiError, ErrorBody};
use super::state::AppState;
use crate::ledger::log::Found;
use crate::ledger::{EntryKind, Hash};

/// What the ledger says about a document, latest event last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Issued and neither revoked nor superseded.
    Valid,
    /// Revoked by its issuer.
    Revoked,
    /// Replaced by another document.
    Superseded,
}

/// One ledger event about a document, with its proof.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerEvent {
    /// Position in the log.
    pub index: u64,
    /// `issued`, `revoked` or `superseded`.
    pub event: &'static str,
    /// SHA-256 (hex) of the signed revision: the file up to the end of the issuing signature's
    /// revision.
    pub revision_sha256: String,
    /// SHA-256 (hex) of the signer certificate (DER).
    pub signer_cert_sha256: String,
    /// Time of the event (RFC 3339, UTC).
    pub time: String,
    pub agency: String,
    pub document_number: String,
    pub document_kind: String,
    pub reason: Option<String>,
    /// SHA-256 (hex) of the id of the superseding document.
    pub superseded_by_id_sha256: Option<String>,
    /// The entry's canonical bytes (base64): its leaf in the Merkle tree.
    pub entry_base64: String,
    /// RFC 6962 inclusion proof against [`DocumentRecord::checkpoint`] (base64 hashes).
    pub inclusion_proof: Vec<String>,
    /// The same as a C2SP tlog-proof (offline proof) file.
    pub tlog_proof: String,
}

/// The record of one document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentRecord {
    pub status: DocumentStatus,
    /// SHA-256 (hex) of the document id (what the public log holds).
    pub document_id_sha256: String,
    /// The log's origin line.
    pub log_origin: String,
    /// The log's C2SP verifier key (Ed25519).
    pub log_verifier_key: String,
    /// The signed checkpoint (C2SP tlog-checkpoint) every proof leads to.
    pub checkpoint: String,
    /// The issuing event, when the ledger holds one.
    pub issued: Option<LedgerEvent>,
    /// Every event, in log order.
    pub events: Vec<LedgerEvent>,
}

fn event(f: &Found) -> LedgerEvent {
    let b64 = base64::engine::general_purpose::STANDARD;
    let e = &f.entry;
    LedgerEvent {
        index: f.index,
        event: e.kind.name(),
        revision_sha256: hex::encode(e.revision_hash),
        signer_cert_sha256: hex::encode(e.signer_cert_sha256),
        time: time::OffsetDateTime::from_unix_timestamp(e.time)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| e.time.to_string()),
        agency: e.agency.clone(),
        document_number: e.document_number.clone(),
        document_kind: e.document_kind.clone(),
        reason: e.reason.clone(),
        superseded_by_id_sha256: e.superseded_by.map(hex::encode),
        entry_base64: b64.encode(f.proof.extra.as_deref().unwrap_or_default()),
        inclusion_proof: f.proof.proof.iter().map(|h| b64.encode(h)).collect(),
        tlog_proof: f.proof.to_text(),
    }
}

/// Builds the record from the events of one document (found by its id hash). `None` when the
/// ledger knows nothing of it. Blocking.
pub fn record_from_events(
    state: &AppState,
    id_hash: &Hash,
    found: &[Found],
) -> Option<DocumentRecord> {
    let last = found.last()?;
    let status = if found.iter().any(|f| f.entry.kind == EntryKind::Revoked) {
        DocumentStatus::Revoked
    } else if found.iter().any(|f| f.entry.kind == EntryKind::Superseded) {
        DocumentStatus::Superseded
    } else {
        DocumentStatus::Valid
    };
    Some(DocumentRecord {
        status,
        document_id_sha256: hex::encode(id_hash),
        log_origin: state.ledger.identity().origin.clone(),
        log_verifier_key: state.ledger_verifier_key.clone(),
        checkpoint: last.proof.checkpoint.to_text(),
        issued: found
            .iter()
            .find(|f| f.entry.kind == EntryKind::Issued)
            .map(event),
        events: found.iter().map(event).collect(),
    })
}

/// The record of the document with this id: its ledger events with inclusion proofs, the
/// signed checkpoint they lead to, and its status; `None` when the ledger does not know it.
/// Used by `GET /v1/documents/{id}` and the citizen page.
pub async fn document_record(
    state: &AppState,
    id: DocumentId,
) -> Result<Option<DocumentRecord>, ApiError> {
    let state = state.clone();
    blocking(move || {
        let hash = id.ledger_hash();
        let found = state.reader().find_by_id_hash(&hash)?;
        Ok(record_from_events(&state, &hash, &found))
    })
    .await
}

/// The record of the document whose signed revision has this SHA-256. Blocking.
pub fn record_by_revision_hash(
    state: &AppState,
    revision: &Hash,
) -> Result<Option<DocumentRecord>, ApiError> {
    let found = state.reader().document_by_revision_hash(revision)?;
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let id_hash = first.entry.document_id_hash;
    Ok(record_from_events(state, &id_hash, &found))
}

fn not_found() -> ApiError {
    ApiError::NotFound("không có trong sổ cái / the ledger has no such document".into())
}

/// The ledger record of a document, by id.
#[utoipa::path(
    get,
    path = "/v1/documents/{id}",
    params(("id" = String, Path, description = "Document id: 26 characters of RFC 4648 base32")),
    responses(
        (status = 200, description = "The record with inclusion proofs", body = DocumentRecord),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "Unknown document", body = ErrorBody),
    ),
    tag = "documents"
)]
pub async fn get_by_id(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<DocumentRecord>, ApiError> {
    let id: DocumentId = path_param(id)?.parse()?;
    document_record(&state, id)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

/// The ledger record of a document, by the SHA-256 of its signed revision.
#[utoipa::path(
    get,
    path = "/v1/documents/by-hash/{sha256}",
    params(("sha256" = String, Path, description = "SHA-256 of the signed revision, 64 hex digits")),
    responses(
        (status = 200, description = "The record with inclusion proofs", body = DocumentRecord),
        (status = 400, description = "Malformed hash", body = ErrorBody),
        (status = 404, description = "Unknown document", body = ErrorBody),
    ),
    tag = "documents"
)]
pub async fn get_by_hash(
    State(state): State<AppState>,
    hash: Result<Path<String>, PathRejection>,
) -> Result<Json<DocumentRecord>, ApiError> {
    let hash = parse_sha256(&path_param(hash)?)?;
    blocking(move || record_by_revision_hash(&state, &hash))
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

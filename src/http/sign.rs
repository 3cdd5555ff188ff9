//! `POST /v1/sign`: signs a PDF with an agency's key, puts the QR link and the ledger key ID in
//! its visible block, and records it in the ledger (durably) before answering.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Query, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::auth::Caller;
use super::body::Buffers;
use super::document_id::DocumentId;
use super::error::{blocking, unreadable_pdf, ApiError, ErrorBody};
use super::metrics::Metrics;
use super::service_store::{Claim, PreparedSigning, Scope, ServiceStore};
use super::state::{AppState, Signer};
use super::trust::Trust;
use crate::fetch::{sign_at_level, LevelSources};
use crate::ledger::log::Ledger;
use crate::ledger::{Entry, EntryKind};
use crate::pades::appearance::{Placement, SignatureAppearance};
use crate::pades::{Level, PadesError, SignOptions, Timestamper};
use crate::pdf::{ByteSource, Document, Pieces};

/// Response header: the new document's id.
pub const DOCUMENT_ID_HEADER: HeaderName = HeaderName::from_static("kyso-document-id");
/// Response header: the ledger index of its `issued` entry.
pub const LEDGER_INDEX_HEADER: HeaderName = HeaderName::from_static("kyso-ledger-index");
/// Response header: the verification URL (the QR code's content).
pub const VERIFICATION_URL_HEADER: HeaderName = HeaderName::from_static("kyso-verification-url");
/// Response header set on a replayed idempotent response.
pub const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Request header making a retried request return the same document.
pub const IDEMPOTENCY_KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// Longest `Idempotency-Key`: a UUID or a client's request number fits many times over.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// After this many seconds an unfinished idempotent claim (its process died) may be taken
/// over: well beyond the request time limit, so a live signing is never duplicated.
pub const IDEMPOTENCY_STALE_SECS: i64 = 600;

/// Metadata of a signing request; every field optional. Given as query parameters, or as the
/// JSON part `metadata` of a multipart body (which then replaces the query parameters).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignParams {
    /// Signer name; default the only configured signer.
    pub signer: Option<String>,
    /// Document number (số ký hiệu), recorded in the ledger.
    pub document_number: Option<String>,
    /// Document kind (loại văn bản), recorded in the ledger.
    pub document_kind: Option<String>,
    /// Title; written as the signature's `/Reason` when no reason is given.
    pub title: Option<String>,
    /// `/Reason` of the signature.
    pub reason: Option<String>,
    /// `/Location` of the signature.
    pub location: Option<String>,
    /// Visible block: `auto` (bottom right of the last page) or `PAGE,X,Y,W,H` (points).
    pub visible: Option<String>,
    /// PAdES level: `B-B`, `B-T` (signature timestamp), `B-LT` (plus `/DSS` validation data)
    /// or `B-LTA` (plus a document timestamp); default the service's `default_level`.
    #[schema(value_type = Option<String>)]
    #[param(value_type = Option<String>)]
    pub level: Option<Level>,
}

/// What a completed signing returns.
struct Signed {
    id: String,
    index: u64,
    update: Vec<u8>,
}

/// A signed document and the ledger entry that issues it, before the entry is appended.
struct Issued {
    id: String,
    update: Vec<u8>,
    entry: Entry,
}

fn pades_error(e: PadesError) -> ApiError {
    ApiError::from(e)
}

/// The visible block's placement from the `visible` metadata field; every issued document
/// carries one.
pub fn placement(visible: Option<&str>) -> Result<Placement, ApiError> {
    let p = Placement::from_str(visible.unwrap_or("auto"))
        .map_err(|e| ApiError::BadRequest(format!("visible: {e}")))?;
    if p == Placement::None {
        return Err(ApiError::BadRequest(
            "visible=none is not allowed: every issued document carries its QR code and ledger key"
                .into(),
        ));
    }
    Ok(p)
}

/// Where a signing at `level` gets its timestamps and validation data: the service's
/// time-stamp authority, its anchors and CRLs (`trust`, a snapshot of `state.trust`), and its
/// fetcher.
pub(super) fn level_sources<'a>(
    state: &'a AppState,
    trust: &'a Trust,
    level: Level,
    now: OffsetDateTime,
) -> LevelSources<'a> {
    LevelSources {
        level,
        timestamper: state.timestamper.as_deref().map(|t| t as &dyn Timestamper),
        trust: &trust.anchors,
        supplied: &trust.revocation,
        fetcher: state.fetcher.as_ref(),
        now,
    }
}

/// Signs one document and makes the ledger entry that will issue it. Blocking (CPU).
fn sign_document(
    state: &AppState,
    signer: &Signer,
    pdf: &Pieces<Bytes>,
    params: &SignParams,
) -> Result<Issued, ApiError> {
    let placement = placement(params.visible.as_deref())?;
    let now = OffsetDateTime::now_utc();
    let key = signer.key();
    let mut entry = Entry {
        kind: EntryKind::Issued,
        document_id_hash: [0; 32],
        revision_hash: [0; 32],
        signer_cert_sha256: key.cert_sha256,
        time: now.unix_timestamp(),
        agency: signer.agency.clone(),
        document_number: params.document_number.clone().unwrap_or_default(),
        document_kind: params.document_kind.clone().unwrap_or_default(),
        reason: None,
        superseded_by: None,
    };
    entry
        .validate()
        .map_err(|e| ApiError::BadRequest(format!("metadata: {e}")))?;
    // Opened first so that an unreadable body is a 422 before a document id is drawn.
    let doc = Document::open(pdf).map_err(|e| unreadable_pdf(&e))?;
    let id = DocumentId::random()?;
    let mut appearance = SignatureAppearance::for_certificate(&key.parsed, now);
    appearance.agency = Some(signer.agency.clone());
    appearance.qr_url = Some(state.verification_url(&id));
    appearance.ledger_key_id = Some(state.ledger_key_id.clone());
    appearance.placement = placement;
    appearance.loaded_font = Some(state.font.clone());
    let options = SignOptions {
        claimed_time: now,
        reason: params.reason.clone().or_else(|| params.title.clone()),
        location: params.location.clone(),
        certify: None,
        field_name: None,
        appearance: Some(appearance),
    };
    let trust = state.trust.get();
    let sources = level_sources(
        state,
        &trust,
        params.level.unwrap_or(state.default_level),
        now,
    );
    let signed = sign_at_level(
        &doc,
        key.key.as_ref(),
        &key.certificate,
        &key.chain,
        &options,
        &sources,
    )
    .map_err(pades_error)?;
    for note in &signed.notes {
        tracing::warn!(note = %note, "validation data not archived");
    }
    // The ledger records the revision the signature covers, not the /DSS and document
    // timestamp revisions after it: a citizen's file extended later still matches it.
    entry.revision_hash = signed.revision_sha256;
    entry.document_id_hash = id.ledger_hash();
    Ok(Issued {
        id: id.to_string(),
        update: signed.tail(),
        entry,
    })
}

/// Signs one document and records it in the ledger. Blocking (CPU and ledger).
fn sign_and_record(
    state: &AppState,
    signer: &Signer,
    pdf: &Pieces<Bytes>,
    params: &SignParams,
) -> Result<Signed, ApiError> {
    let issued = sign_document(state, signer, pdf, params)?;
    let appended = state.ledger.append(&issued.entry)?;
    state.metrics.record_signature(appended.batch_entries);
    Ok(Signed {
        id: issued.id,
        index: appended.index,
        update: issued.update,
    })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(&IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .ok()
        .filter(|s| !s.is_empty() && s.len() <= MAX_IDEMPOTENCY_KEY_LEN)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
            ))
        })?;
    Ok(Some(s.to_owned()))
}

fn signed_response(
    state: &AppState,
    pdf: Pieces<Bytes>,
    s: Signed,
    replayed: bool,
) -> Result<Response, ApiError> {
    let body = Buffers::body(pdf.pieces().iter().cloned().chain([Bytes::from(s.update)]));
    let url = state.verification_url(&s.id);
    let hv = |v: &str| HeaderValue::from_str(v).map_err(ApiError::internal);
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        hv(&format!("attachment; filename=\"{}.pdf\"", s.id))?,
    );
    h.insert(DOCUMENT_ID_HEADER, hv(&s.id)?);
    h.insert(LEDGER_INDEX_HEADER, HeaderValue::from(s.index));
    h.insert(VERIFICATION_URL_HEADER, hv(&url)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if replayed {
        h.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    Ok(resp)
}

fn in_progress() -> ApiError {
    ApiError::IdempotencyConflict(
        "a request with this Idempotency-Key is being processed; retry shortly".into(),
    )
}

/// Where the ledger holds the entry that issues a prepared document, if it does.
fn issued_index(ledger: &Ledger, entry: &Entry) -> Result<Option<u64>, ApiError> {
    Ok(ledger
        .find_by_id_hash(&entry.document_id_hash)?
        .iter()
        .find(|f| f.entry == *entry)
        .map(|f| f.index))
}

/// Finishes a prepared idempotent signing found by a retry: completes the key with the ledger's
/// entry if an earlier attempt appended it before crashing, else appends it, which is left to
/// the key's owner (`may_append`): a request that merely found another one's prepared document
/// only completes what the ledger shows.
///
/// Each step is safe to repeat after a crash at any point: the document and its entry were
/// stored before the first append, and the ledger is consulted before every append a retry
/// makes.
fn finish_prepared(
    store: &ServiceStore,
    ledger: &Ledger,
    metrics: &Metrics,
    key: &[u8; 32],
    signing: PreparedSigning,
    may_append: bool,
) -> Result<Signed, ApiError> {
    let entry = Entry::decode(&signing.entry)?;
    match issued_index(ledger, &entry)? {
        Some(index) => complete_prepared(store, key, signing, index),
        None if !may_append => Err(in_progress()),
        None => append_prepared(store, ledger, metrics, key, &entry, signing),
    }
}

/// Appends the entry of a prepared document (stored under `key`), then completes the key.
fn append_prepared(
    store: &ServiceStore,
    ledger: &Ledger,
    metrics: &Metrics,
    key: &[u8; 32],
    entry: &Entry,
    signing: PreparedSigning,
) -> Result<Signed, ApiError> {
    match ledger.append(entry) {
        Ok(appended) => {
            metrics.record_signature(appended.batch_entries);
            complete_prepared(store, key, signing, appended.index)
        }
        Err(e) => {
            // Released only when the ledger shows the entry is not there; otherwise the claim
            // stays, and a retry completes or appends it.
            if matches!(issued_index(ledger, entry), Ok(None)) {
                if let Err(re) = store.release_idempotency(key) {
                    tracing::warn!(error = %re, "releasing an idempotency claim");
                }
            }
            Err(e.into())
        }
    }
}

/// Records that the prepared document under `key` is at ledger `index`, and answers it.
fn complete_prepared(
    store: &ServiceStore,
    key: &[u8; 32],
    signing: PreparedSigning,
    index: u64,
) -> Result<Signed, ApiError> {
    store.complete_idempotency(key, index)?;
    Ok(Signed {
        id: signing.document_id,
        index,
        update: signing.signed_update,
    })
}

/// Signs under an idempotency key: claims it, signs unless it was done, records the outcome.
fn sign_idempotent(
    state: &AppState,
    signer: &Signer,
    pdf: &Pieces<Bytes>,
    params: &SignParams,
    key: &[u8; 32],
) -> Result<(Signed, bool), ApiError> {
    let mut fp = Sha256::new();
    fp.update(pdf.sha256_state().map_err(ApiError::internal)?.finalize());
    fp.update(serde_json::to_vec(params).map_err(ApiError::internal)?);
    let fp: [u8; 32] = fp.finalize().into();
    match state
        .store
        .claim_idempotency(key, &fp, IDEMPOTENCY_STALE_SECS)?
    {
        Claim::Completed(r) => Ok((
            Signed {
                id: r.document_id,
                index: r.ledger_index,
                update: r.signed_update,
            },
            true,
        )),
        Claim::InProgress => Err(in_progress()),
        Claim::Mismatch => Err(ApiError::IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request (other PDF or metadata)".into(),
        )),
        Claim::Prepared { signing, takeover } => finish_prepared(
            &state.store,
            &state.ledger,
            &state.metrics,
            key,
            signing,
            takeover,
        )
        .map(|s| (s, true)),
        Claim::Claimed => {
            let prepared = sign_document(state, signer, pdf, params).and_then(|issued| {
                let signing = PreparedSigning {
                    document_id: issued.id,
                    signed_update: issued.update,
                    entry: issued.entry.encode()?,
                };
                state.store.prepare_idempotency(key, &signing)?;
                Ok((issued.entry, signing))
            });
            match prepared {
                // A new document: its random id cannot be in the ledger yet.
                Ok((entry, signing)) => append_prepared(
                    &state.store,
                    &state.ledger,
                    &state.metrics,
                    key,
                    &entry,
                    signing,
                )
                .map(|s| (s, false)),
                Err(e) => {
                    // Nothing reached the ledger. The failure is what the caller sees; a
                    // release failure only delays a retry until the claim goes stale.
                    if let Err(re) = state.store.release_idempotency(key) {
                        tracing::warn!(error = %re, "releasing an idempotency claim");
                    }
                    Err(e)
                }
            }
        }
    }
}

/// The JSON part `metadata` of a multipart signing request.
pub fn parse_metadata(bytes: &[u8]) -> Result<SignParams, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!("the metadata part is not valid JSON metadata: {e}"))
    })
}

/// The query string of a signing request (absent: every field unset). Uses axum's own query
/// deserializer, so the edge accepts exactly what the `Query` extractor would.
pub fn parse_query(query: Option<&str>) -> Result<SignParams, ApiError> {
    let uri: axum::http::Uri = match query {
        Some(q) => format!("/?{q}")
            .parse()
            .map_err(|e| ApiError::BadRequest(format!("query parameters: {e}")))?,
        None => axum::http::Uri::from_static("/"),
    };
    Query::<SignParams>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::BadRequest(format!("query parameters: {}", e.body_text())))
}

/// Sign a PDF.
#[utoipa::path(
    post,
    path = "/v1/sign",
    params(SignParams, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the same document")),
    request_body(content = Vec<u8>, description = "The PDF (application/pdf), or multipart/form-data with a JSON part `metadata` and a PDF part `file`", content_type = "application/pdf"),
    responses(
        (status = 200, description = "The signed PDF; headers Kyso-Document-Id, Kyso-Ledger-Index, Kyso-Verification-Url", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "Bad metadata", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not sign with this signer", body = ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not a PDF or multipart body", body = ErrorBody),
        (status = 422, description = "Unreadable PDF, signing refused, or Idempotency-Key used for another request", body = ErrorBody),
        (status = 503, description = "Busy; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "signing"
)]
pub async fn sign(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let query = parse_query(query.as_deref())?;
    // Authorize before reading a large body when the signer is already known (a multipart
    // body may still name it, and is checked once read).
    if let Ok(signer) = state.signer(query.signer.as_deref()) {
        caller.require(&Scope::Sign(signer.name.clone()))?;
    }

    let key = idempotency_key(&headers)?;
    let upload = super::body::read_pdf(req, state.limits.max_body_bytes).await?;
    let params = match &upload.metadata {
        Some(m) => parse_metadata(m)?,
        None => query,
    };
    let signer_name = state.signer(params.signer.as_deref())?.name.clone();
    caller.require(&Scope::Sign(signer_name.clone()))?;
    let key_hash = key.map(|k| {
        let mut h = Sha256::new();
        h.update(caller.0.id.as_bytes());
        h.update([0]);
        h.update(k.as_bytes());
        <[u8; 32]>::from(h.finalize())
    });
    let st = state.clone();
    let pdf = upload.pdf;
    let pdf2 = pdf.clone();
    let (signed, replayed) = blocking(move || {
        let signer = st.signer(Some(&signer_name))?;
        match key_hash {
            Some(k) => sign_idempotent(&st, signer, &pdf2, &params, &k),
            None => sign_and_record(&st, signer, &pdf2, &params).map(|s| (s, false)),
        }
    })
    .await?;
    signed_response(&state, pdf, signed, replayed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::entry::document_id_hash;
    use crate::ledger::log::LedgerOptions;
    use crate::ledger::memory::MemoryStore;
    use crate::ledger::note::Ed25519Signer;

    const ORIGIN: &str = "test.kyso.example/idempotency";

    /// A service store in a temporary directory, a ledger in memory, and metrics.
    fn fixture() -> (tempfile::TempDir, ServiceStore, Ledger, Metrics) {
        let dir = tempfile::tempdir().unwrap();
        let store = ServiceStore::open_sqlite(&dir.path().join("service.sqlite")).unwrap();
        let mem = MemoryStore::new();
        let signer = Ed25519Signer::from_seed(ORIGIN, [5u8; 32]).unwrap();
        let ledger = Ledger::create(
            &mem,
            Box::new(mem.published()),
            ORIGIN,
            signer,
            LedgerOptions::default(),
        )
        .unwrap();
        (dir, store, ledger, Metrics::default())
    }

    fn prepared(n: u8) -> PreparedSigning {
        let entry = Entry {
            kind: EntryKind::Issued,
            document_id_hash: document_id_hash(&format!("DOC{n}")),
            revision_hash: [n; 32],
            signer_cert_sha256: [1; 32],
            time: 1_790_000_000,
            agency: "UBND xã Thử".into(),
            document_number: format!("{n}/QĐ"),
            document_kind: "Quyết định".into(),
            reason: None,
            superseded_by: None,
        };
        PreparedSigning {
            document_id: format!("DOC{n}"),
            signed_update: vec![n; 3],
            entry: entry.encode().unwrap(),
        }
    }

    /// The entries the ledger holds for a prepared document.
    fn recorded(ledger: &Ledger, signing: &PreparedSigning) -> Vec<u64> {
        let entry = Entry::decode(&signing.entry).unwrap();
        let found = ledger.find_by_id_hash(&entry.document_id_hash).unwrap();
        found.iter().map(|f| f.index).collect()
    }

    #[test]
    fn a_retry_after_a_crash_before_the_ledger_append_issues_the_same_document_once() {
        let (_dir, store, ledger, metrics) = fixture();
        let (key, fp) = ([1u8; 32], [2u8; 32]);
        let signing = prepared(1);
        assert_eq!(
            store.claim_idempotency(&key, &fp, 600).unwrap(),
            Claim::Claimed
        );
        store.prepare_idempotency(&key, &signing).unwrap();
        // The request died here. Within the stale window a retry may not append.
        let waiting = Claim::Prepared {
            signing: signing.clone(),
            takeover: false,
        };
        assert_eq!(store.claim_idempotency(&key, &fp, 600).unwrap(), waiting);
        let early = finish_prepared(&store, &ledger, &metrics, &key, signing.clone(), false);
        assert!(matches!(early, Err(ApiError::IdempotencyConflict(_))));
        assert!(recorded(&ledger, &signing).is_empty());
        // Past it, the retry takes the claim over and issues the prepared document.
        let Claim::Prepared {
            signing: found,
            takeover: true,
        } = store.claim_idempotency(&key, &fp, -1).unwrap()
        else {
            panic!("the stale prepared claim is not taken over");
        };
        let done = finish_prepared(&store, &ledger, &metrics, &key, found, true).unwrap();
        assert_eq!(done.id, signing.document_id);
        assert_eq!(done.update, signing.signed_update);
        assert_eq!(recorded(&ledger, &signing), vec![done.index]);
        let Claim::Completed(record) = store.claim_idempotency(&key, &fp, 600).unwrap() else {
            panic!("not completed");
        };
        assert_eq!(record.document_id, signing.document_id);
        assert_eq!(record.ledger_index, done.index);
        assert_eq!(record.signed_update, signing.signed_update);
    }

    #[test]
    fn a_retry_after_a_crash_after_the_ledger_append_does_not_append_again() {
        let (_dir, store, ledger, metrics) = fixture();
        // Another document first, so that the index is not trivially 0.
        ledger
            .append(&Entry::decode(&prepared(9).entry).unwrap())
            .unwrap();
        // The request died after appending, before completing its key. Whether or not the retry
        // owns the claim, it finds the entry and completes with it.
        for (n, stale_after, takeover) in [(2u8, 600, false), (3, -1, true)] {
            let (key, fp) = ([n; 32], [4u8; 32]);
            let signing = prepared(n);
            assert_eq!(
                store.claim_idempotency(&key, &fp, 600).unwrap(),
                Claim::Claimed
            );
            store.prepare_idempotency(&key, &signing).unwrap();
            let appended = ledger
                .append(&Entry::decode(&signing.entry).unwrap())
                .unwrap();
            assert_eq!(
                store.claim_idempotency(&key, &fp, stale_after).unwrap(),
                Claim::Prepared {
                    signing: signing.clone(),
                    takeover
                }
            );
            let done = finish_prepared(&store, &ledger, &metrics, &key, signing.clone(), takeover)
                .unwrap();
            assert_eq!(done.index, appended.index);
            assert_eq!(recorded(&ledger, &signing), vec![appended.index]);
            let Claim::Completed(record) = store.claim_idempotency(&key, &fp, 600).unwrap() else {
                panic!("not completed");
            };
            assert_eq!(record.ledger_index, appended.index);
        }
    }

    #[test]
    fn metadata_from_the_query_or_the_json_part() {
        assert!(parse_query(None).unwrap().signer.is_none());
        let q = parse_query(Some(
            "signer=ubnd&document_number=12%2FQ%C4%90&visible=auto",
        ))
        .unwrap();
        assert_eq!(q.signer.as_deref(), Some("ubnd"));
        assert_eq!(q.document_number.as_deref(), Some("12/QĐ"));
        let j = parse_metadata(br#"{"document_number":"12/Q\u0110","signer":"ubnd"}"#).unwrap();
        assert_eq!(j.document_number, q.document_number);
        assert!(matches!(
            parse_query(Some("unknown=1")),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_metadata(br#"{"unknown":1}"#),
            Err(ApiError::BadRequest(_))
        ));
        assert!(placement(None).is_ok());
        assert!(placement(Some("none")).is_err());
        assert!(placement(Some("1,2,3")).is_err());
    }
}

//! Two-step (external) signing over HTTP, the pattern of remote-signing APIs:
//! `POST /v1/sign/prepare` takes the PDF and the signer's certificate chain and answers the
//! digest to sign with a session id; `POST /v1/sign/complete` takes the session id and the
//! signature value and answers the signed PDF. The agency then countersigns through
//! `POST /v1/sign`.
//!
//! Sessions are kept in the service store (SQLite, or the PostgreSQL database replicas share, so
//! any replica completes what another prepared), bound to the token that opened them, and
//! expire after [`SESSION_TTL`]; each is used once. The prepared document cannot be altered between
//! the calls: the client sends only the session id and the signature value, and completing
//! checks the value against the prepared attributes
//! ([`crate::pades::PreparedDocument::complete`]).

use std::str::FromStr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::service_store::{NewSession, ServiceStore};
use super::sign::level_sources;
use super::state::AppState;
use crate::cms::SignatureAlgorithm;
use crate::fetch::complete_at_level;
use crate::pades::appearance::{Placement, SignatureAppearance};
use crate::pades::{prepare_external, Level, PreparedDocument, SignOptions};
use crate::pdf::Document;
use crate::pki::source;

/// How long a prepared session waits for its signature value: long enough for a person to
/// confirm on a token or a phone, short enough that abandoned sessions do not pile up.
pub const SESSION_TTL: Duration = Duration::from_secs(600);

/// Most sessions open at once across replicas: each holds its PDF (up to the body limit).
pub const MAX_SESSIONS: usize = 64;

/// Longest signature value accepted: an RSA-4096 signature is 512 bytes.
const MAX_SIGNATURE_LEN: usize = 1024;

/// Random bytes of a session id.
const SESSION_ID_BYTES: usize = 16;

fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// What a session id is stored under: its SHA-256, so that reading the store does not give
/// usable ids.
fn session_hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn unknown_session() -> ApiError {
    ApiError::NotFound(
        "phiên ký không tồn tại hoặc đã hết hạn / no such signing session (unknown, used or \
         expired)"
            .into(),
    )
}

/// Stores a prepared signature for `owner`; answers its new session id.
fn open_session(
    store: &ServiceStore,
    owner: &str,
    pdf: &[u8],
    prepared: &PreparedDocument,
    level: Level,
    now: i64,
) -> Result<String, ApiError> {
    let mut id = [0u8; SESSION_ID_BYTES];
    openssl::rand::rand_bytes(&mut id).map_err(ApiError::internal)?;
    let id = hex::encode(id);
    let ttl = i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX);
    let prepared = prepared.to_bytes()?;
    let session = NewSession {
        id_hash: session_hash(&id),
        owner,
        expires_at: now.saturating_add(ttl),
        pdf,
        prepared: &prepared,
        level: level.name(),
    };
    if !store.open_session(&session, now, MAX_SESSIONS)? {
        return Err(ApiError::Overloaded);
    }
    Ok(id)
}

/// A session taken from the store: the PDF, the prepared signature and its level.
struct OpenSession {
    pdf: Vec<u8>,
    prepared: PreparedDocument,
    level: Level,
}

/// Takes the session `id` of `owner` if it exists and has not expired. Another token's
/// session is answered as unknown, not as forbidden: its existence is not revealed.
fn take_session(
    store: &ServiceStore,
    id: &str,
    owner: &str,
    now: i64,
) -> Result<OpenSession, ApiError> {
    let session = store
        .take_session(&session_hash(id), owner, now)?
        .ok_or_else(unknown_session)?;
    let prepared = PreparedDocument::from_bytes(&session.prepared).map_err(ApiError::internal)?;
    let level = Level::from_name(&session.level)
        .ok_or_else(|| ApiError::internal(format!("stored level {:?}", session.level)))?;
    Ok(OpenSession {
        pdf: session.pdf,
        prepared,
        level,
    })
}

/// What to prepare (the JSON `metadata` part of the multipart body).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareParams {
    /// PEM: the signer's certificate first, then its CA certificates.
    pub certificates: String,
    /// `rsa-pkcs1-sha256` or `ecdsa-p256-sha256`; default from the certificate's key.
    pub algorithm: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// `none` (default: the agency's block carries the QR code), `auto` or `PAGE,X,Y,W,H`.
    pub visible: Option<String>,
    /// PAdES level the completion reaches: `B-B` (default), `B-T` (the service's time-stamp
    /// authority stamps the signature value), `B-LT` (plus `/DSS`) or `B-LTA` (plus a document
    /// timestamp).
    #[schema(value_type = Option<String>)]
    pub level: Option<Level>,
}

/// A prepared session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Prepared {
    pub session: String,
    /// The SHA-256 digest to sign, base64. For RSA PKCS#1 v1.5 it goes in a DigestInfo
    /// (`openssl pkeyutl -sign -pkeyopt digest:sha256`); for ECDSA it is signed as is.
    pub digest: String,
    pub algorithm: String,
    /// Seconds left to complete.
    pub expires_in: u64,
}

/// The completion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    pub session: String,
    /// The signature value, base64 (PKCS#1 v1.5 block, or DER ECDSA-Sig-Value).
    pub signature: String,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

fn prepare_document(pdf: &[u8], params: &PrepareParams) -> Result<PreparedDocument, ApiError> {
    let mut certs = source::load_certificates(params.certificates.as_bytes())
        .map_err(|e| bad(format!("certificates: {e}")))?
        .into_iter();
    let cert = certs
        .next()
        .ok_or_else(|| bad("certificates: no certificate"))?;
    let chain: Vec<Vec<u8>> = certs.map(|c| c.der().to_vec()).collect();
    let algorithm = match &params.algorithm {
        Some(name) => SignatureAlgorithm::from_name(name)
            .ok_or_else(|| bad(format!("unknown algorithm {name:?}")))?,
        None if cert.public_key().is_some_and(|k| k.rsa().is_ok()) => {
            SignatureAlgorithm::RsaPkcs1Sha256
        }
        None => SignatureAlgorithm::EcdsaP256Sha256,
    };
    let now = OffsetDateTime::now_utc();
    let placement = Placement::from_str(params.visible.as_deref().unwrap_or("none"))
        .map_err(|e| bad(format!("visible: {e}")))?;
    let appearance = (placement != Placement::None).then(|| {
        let mut a = SignatureAppearance::for_certificate(&cert, now);
        a.placement = placement;
        a
    });
    let options = SignOptions {
        claimed_time: now,
        reason: params.reason.clone(),
        location: params.location.clone(),
        certify: None,
        field_name: None,
        appearance,
    };
    let doc = Document::open(pdf).map_err(|e| {
        ApiError::UnreadablePdf(format!("không đọc được tệp PDF / not a readable PDF: {e}"))
    })?;
    Ok(prepare_external(
        &doc,
        cert.der(),
        &chain,
        algorithm,
        &options,
    )?)
}

/// Prepare a signature by an outside key.
#[utoipa::path(
    post,
    path = "/v1/sign/prepare",
    request_body(content = Vec<u8>, description = "multipart/form-data: a JSON part `metadata` (PrepareParams) and a PDF part `file`", content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The digest to sign and the session", body = Prepared),
        (status = 400, description = "Bad metadata or certificates", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not multipart", body = ErrorBody),
        (status = 422, description = "Unreadable PDF, or signing refused", body = ErrorBody),
        (status = 503, description = "Too many open sessions", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "signing"
)]
pub async fn prepare(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> Result<Json<Prepared>, ApiError> {
    let upload = super::body::read_pdf(req, state.limits.max_body_bytes).await?;
    let metadata = upload
        .metadata
        .ok_or_else(|| bad("send multipart/form-data with a JSON part `metadata`"))?;
    let params: PrepareParams =
        serde_json::from_slice(&metadata).map_err(|e| bad(format!("metadata: {e}")))?;
    let pdf = super::body::joined(&upload.pdf);
    let st = state.clone();
    blocking(move || {
        let level = params.level.unwrap_or(Level::BB);
        if level >= Level::BT && st.timestamper.is_none() {
            return Err(ApiError::SigningRefused(format!(
                "{} needs a time-stamp authority, and none is configured",
                level.name()
            )));
        }
        let prepared = prepare_document(&pdf, &params)?;
        let digest = B64.encode(prepared.digest_to_sign());
        let algorithm = prepared.algorithm().name().to_owned();
        let session = open_session(&st.store, &caller.0.id, &pdf, &prepared, level, unix_now())?;
        Ok(Json(Prepared {
            session,
            digest,
            algorithm,
            expires_in: SESSION_TTL.as_secs(),
        }))
    })
    .await
}

/// Complete a prepared signature with its value; answers the signed PDF.
#[utoipa::path(
    post,
    path = "/v1/sign/complete",
    request_body = CompleteRequest,
    responses(
        (status = 200, description = "The signed PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Unknown, used or expired session", body = ErrorBody),
        (status = 422, description = "The signature value does not verify", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "signing"
)]
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CompleteRequest =
        serde_json::from_slice(&body).map_err(|e| bad(format!("completion: {e}")))?;
    let signature = B64
        .decode(req.signature.as_bytes())
        .map_err(|e| bad(format!("signature: not base64 ({e})")))?;
    if signature.is_empty() || signature.len() > MAX_SIGNATURE_LEN {
        return Err(bad(format!(
            "signature: 1 to {MAX_SIGNATURE_LEN} bytes expected"
        )));
    }
    let signed = blocking(move || {
        let session = take_session(&state.store, &req.session, &caller.0.id, unix_now())?;
        let doc = Document::open(&session.pdf[..]).map_err(ApiError::internal)?;
        let trust = state.trust.get();
        let sources = level_sources(&state, &trust, session.level, OffsetDateTime::now_utc());
        let signed = complete_at_level(&session.prepared, &doc, &signature, &sources)?;
        for note in &signed.notes {
            tracing::warn!(note = %note, "validation data not archived");
        }
        drop(doc);
        let mut pdf = session.pdf;
        pdf.extend_from_slice(&signed.signature);
        pdf.extend_from_slice(&signed.ltv);
        Ok(pdf)
    })
    .await?;
    let mut resp = (StatusCode::OK, signed).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::IncrementalUpdate;

    fn dummy(pki: &crate::pki::demo::DemoPki) -> PreparedDocument {
        let cert = pki.file("agency-signer.pem").expect("cert");
        let cert = source::load_certificates(&cert.contents).expect("parse");
        let cert = cert.first().expect("one");
        let update = IncrementalUpdate {
            base_len: 10,
            bytes: b"<0000>rest".to_vec(),
            signature: Some(crate::pdf::SignaturePlaceholder {
                byte_range: [0, 10, 16, 4],
                contents_start: 10,
                contents_end: 16,
            }),
        };
        let state = serde_json::json!({
            "version": 1, "base_len": 10, "update": B64.encode(&update.bytes),
            "contents_start": 10, "contents_end": 16, "field_name": "Sig1",
            "content_digest": "00".repeat(32), "certificate": B64.encode(cert.der()),
            "chain": [], "algorithm": "rsa-pkcs1-sha256"
        });
        PreparedDocument::from_bytes(state.to_string().as_bytes()).expect("state")
    }

    #[test]
    fn sessions_expire_belong_to_their_token_and_are_used_once() {
        let pki = crate::pki::demo::generate(
            OffsetDateTime::now_utc(),
            &mut crate::pki::demo::OpenSslEntropy,
        )
        .expect("demo");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ServiceStore::open_sqlite(&dir.path().join("service.sqlite")).expect("store");
        let t0 = 1_790_000_000;
        let prepared = dummy(&pki);
        let id = open_session(&store, "alice", b"%PDF", &prepared, Level::BT, t0).expect("open");
        assert!(
            take_session(&store, &id, "bob", t0).is_err(),
            "another token"
        );
        let taken = take_session(&store, &id, "alice", t0).expect("take");
        assert_eq!(taken.pdf, b"%PDF");
        assert_eq!(taken.prepared.digest_to_sign(), prepared.digest_to_sign());
        assert_eq!(taken.level, Level::BT);
        assert!(
            take_session(&store, &id, "alice", t0).is_err(),
            "used twice"
        );
        let id = open_session(&store, "alice", b"", &prepared, Level::BB, t0).expect("open");
        let ttl = i64::try_from(SESSION_TTL.as_secs()).expect("ttl");
        let late = t0 + ttl;
        assert!(take_session(&store, &id, "alice", late).is_err(), "expired");
        for _ in 0..MAX_SESSIONS {
            open_session(&store, "alice", b"", &prepared, Level::BB, t0).expect("open");
        }
        assert!(matches!(
            open_session(&store, "alice", b"", &prepared, Level::BB, t0),
            Err(ApiError::Overloaded)
        ));
        // Expired sessions make room again.
        assert!(open_session(&store, "alice", b"", &prepared, Level::BB, late).is_ok());
    }
}

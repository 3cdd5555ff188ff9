//! `/v1/admin/…`: keys (list, register a certificate, activate/rotate, retire), API tokens
//! (create, list, revoke) and the revocation or supersession of an issued document. Every route
//! needs a token with the `admin` scope ([`Admin`]); every action is recorded first in the
//! audit trail ([`super::audit_trail`]: who — the token's id and label, never its secret —,
//! what, when), chained into the ledger; key events (registration, activation, retirement)
//! are among them.
//!
//! Keys are generated on the host with `kyso keys generate` (loading a PKCS#11 module named by
//! a request would let a caller run any shared library); here they are registered, rotated and
//! retired. Activation swaps the signer's key in the running service atomically: a signing
//! that already took the old key finishes with it, the next one uses the new key.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::auth::Caller;
use super::document_id::DocumentId;
use super::documents::{document_record, DocumentRecord};
use super::error::{blocking, ApiError, ErrorBody};
use super::service_store::{Scope, TokenInfo};
use super::state::{registry_key, AppState};
use crate::cli::keys::KEYS_SUBDIR;
use crate::keys::{check_registration, KeyRecord, KeyState, RegistrationInputs, Registry};
use crate::ledger::entry::document_id_hash;
use crate::ledger::{Entry, EntryKind};
use crate::pki::source;

/// Largest certificate upload: a certificate with its chain in PEM is a few kilobytes.
const MAX_CERTIFICATE_UPLOAD: usize = 256 * 1024;

/// A caller whose token has the `admin` scope.
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(&Scope::Admin)?;
        Ok(Admin(caller))
    }
}

impl Admin {
    /// Records the action in the audit trail (ledger, then store) before it runs: an action
    /// that cannot be recorded does not run.
    pub(super) async fn audit(
        &self,
        state: &AppState,
        action: &'static str,
        object: &str,
    ) -> Result<(), ApiError> {
        let (state, actor, object) = (state.clone(), self.0 .0.clone(), object.to_owned());
        blocking(move || super::audit_trail::record(&state, &actor, action, &object)).await
    }
}

fn registry(state: &AppState) -> Result<Registry, ApiError> {
    Ok(Registry::open(&state.data_dir.join(KEYS_SUBDIR))?)
}

/// Every key record (locations and secret *sources* only; never a secret).
#[utoipa::path(
    get,
    path = "/v1/admin/keys",
    responses(
        (status = 200, description = "The key records"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list_keys(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Vec<KeyRecord>>, ApiError> {
    blocking(move || Ok(Json(registry(&state)?.records().to_vec()))).await
}

/// The outcome of a certificate registration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    pub key: String,
    pub certificate_sha256: String,
    pub not_after: String,
    pub warnings: Vec<String>,
    /// Days left when the certificate expires within 30 days.
    pub expires_in_days: Option<i64>,
}

/// Register the issued certificate of a pending key (PEM: the certificate, then its chain).
/// It must certify this key, validate to a configured anchor for document signing and not be
/// expired.
#[utoipa::path(
    post,
    path = "/v1/admin/keys/{id}/certificate",
    params(("id" = String, Path, description = "Key id")),
    request_body(content = String, description = "PEM certificates", content_type = "application/x-pem-file"),
    responses(
        (status = 200, description = "Registered", body = Registered),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 422, description = "Certificate refused", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn register_certificate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Registered>, ApiError> {
    if body.len() > MAX_CERTIFICATE_UPLOAD {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_CERTIFICATE_UPLOAD as u64,
        });
    }
    admin.audit(&state, "register-certificate", &id).await?;
    blocking(move || {
        let _guard = state.admin_lock.lock().map_err(ApiError::internal)?;
        let mut registry = registry(&state)?;
        let record = registry.get(&id)?.clone();
        let mut certs = source::load_certificates(&body)
            .map_err(|e| ApiError::BadRequest(format!("certificate: {e}")))?
            .into_iter();
        let cert = certs
            .next()
            .ok_or_else(|| ApiError::BadRequest("no certificate in the body".into()))?;
        let chain: Vec<_> = certs.collect();
        let trust = state.trust.get();
        let registration = check_registration(&RegistrationInputs {
            certificate: &cert,
            chain: &chain,
            public_key_sha256: &record.public_key_sha256,
            anchors: &trust.anchors,
            revocation: &trust.revocation,
            revocation_policy: state.revocation_policy,
            time: OffsetDateTime::now_utc(),
        })?;
        let pem = |c: &crate::pki::Certificate| -> Result<String, ApiError> {
            let x = openssl::x509::X509::from_der(c.der()).map_err(ApiError::internal)?;
            String::from_utf8(x.to_pem().map_err(ApiError::internal)?).map_err(ApiError::internal)
        };
        let chain_pem = chain.iter().map(pem).collect::<Result<Vec<_>, _>>()?;
        registry.import_certificate(&id, pem(&cert)?, chain_pem, &registration)?;
        Ok(Json(Registered {
            key: id,
            certificate_sha256: registration.certificate_sha256,
            not_after: registration
                .not_after
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(ApiError::internal)?,
            warnings: registration.warnings,
            expires_in_days: registration.expires_in_days,
        }))
    })
    .await
}

/// The outcome of an activation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Activated {
    pub signer: String,
    pub active: String,
    /// The key it replaced, now retired.
    pub retired: Option<String>,
}

/// Activate a key: it becomes its signer's key for new documents and the previous active key
/// is retired, in one step. Documents signed before keep verifying.
#[utoipa::path(
    post,
    path = "/v1/admin/keys/{id}/activate",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "Activated", body = Activated),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "The key cannot be activated from its state", body = ErrorBody),
        (status = 422, description = "No valid certificate", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn activate_key(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Activated>, ApiError> {
    admin.audit(&state, "activate-key", &id).await?;
    blocking(move || {
        let _guard = state.admin_lock.lock().map_err(ApiError::internal)?;
        let mut registry = registry(&state)?;
        let signer_name = registry.get(&id)?.signer.clone();
        let signer = state
            .signers
            .iter()
            .find(|s| s.name == signer_name)
            .ok_or_else(|| {
                ApiError::Conflict(format!(
                    "the running service has no signer {signer_name:?}: configure it, then \
                     restart"
                ))
            })?;
        // Open the key before the switch: a key that cannot sign never becomes active.
        let loaded = registry.load_signer(&id)?;
        if loaded.certificate.is_empty() {
            return Err(ApiError::Conflict(format!(
                "key {id} has no registered certificate"
            )));
        }
        let key = registry_key(loaded).map_err(ApiError::internal)?;
        let retired = registry.activate(&id, OffsetDateTime::now_utc().unix_timestamp())?;
        signer.rotate(key);
        Ok(Json(Activated {
            signer: signer_name,
            active: id,
            retired,
        }))
    })
    .await
}

/// Retire a key that is not active (an active key is replaced by activating its successor).
#[utoipa::path(
    post,
    path = "/v1/admin/keys/{id}/retire",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "Retired", body = KeyStateBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "The key is active, or already retired", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn retire_key(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<KeyStateBody>, ApiError> {
    admin.audit(&state, "retire-key", &id).await?;
    blocking(move || {
        let _guard = state.admin_lock.lock().map_err(ApiError::internal)?;
        let mut registry = registry(&state)?;
        if registry.get(&id)?.state == KeyState::Active {
            return Err(ApiError::Conflict(
                "this key is active: activate its successor instead (rotation)".into(),
            ));
        }
        registry.set_state(
            &id,
            KeyState::Retired,
            OffsetDateTime::now_utc().unix_timestamp(),
        )?;
        Ok(Json(KeyStateBody {
            key: id,
            state: KeyState::Retired.name(),
        }))
    })
    .await
}

/// A key and its new state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyStateBody {
    pub key: String,
    pub state: &'static str,
}

/// A token to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub label: String,
    /// `admin` or `sign:<signer>`.
    pub scopes: Vec<String>,
}

/// A created token: the secret is shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: String,
    pub label: String,
    pub scopes: Vec<String>,
    pub token: String,
}

/// Create an API token.
#[utoipa::path(
    post,
    path = "/v1/admin/tokens",
    request_body = NewTokenRequest,
    responses(
        (status = 200, description = "Created; the secret is shown once", body = CreatedToken),
        (status = 400, description = "Bad label or scope", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn create_token(
    State(state): State<AppState>,
    admin: Admin,
    body: Bytes,
) -> Result<Json<CreatedToken>, ApiError> {
    let req: NewTokenRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("token request: {e}")))?;
    let scopes = req
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()?;
    admin.audit(&state, "create-token", &req.label).await?;
    blocking(move || {
        let t = state.store.create_token(&req.label, &scopes)?;
        Ok(Json(CreatedToken {
            id: t.info.id.clone(),
            label: t.info.label.clone(),
            scopes: t.info.scopes.iter().map(ToString::to_string).collect(),
            token: t.secret,
        }))
    })
    .await
}

/// List API tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/v1/admin/tokens",
    responses(
        (status = 200, description = "Every token, revoked ones included"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    blocking(move || Ok(Json(state.store.list_tokens()?))).await
}

/// Revoke an API token.
#[utoipa::path(
    delete,
    path = "/v1/admin/tokens/{id}",
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No such unrevoked token", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    admin.audit(&state, "revoke-token", &id).await?;
    blocking(move || {
        if state.store.revoke_token(&id)? {
            Ok(axum::http::StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::NotFound(format!("no unrevoked token {id}")))
        }
    })
    .await
}

/// Why a document is revoked or superseded.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentAction {
    /// The reason, shown to citizens (Vietnamese first).
    pub reason: String,
    /// For a supersession: the id of the replacing document.
    pub superseded_by: Option<String>,
}

/// Revoke an issued document, or mark it superseded by another (with `superseded_by`): a
/// ledger entry with the reason and time; the citizen page and `/v1/verify` then say so.
#[utoipa::path(
    post,
    path = "/v1/admin/documents/{id}/revoke",
    params(("id" = String, Path, description = "Document id")),
    request_body = DocumentAction,
    responses(
        (status = 200, description = "The document's record after the event", body = DocumentRecord),
        (status = 400, description = "Bad id or reason", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 404, description = "Unknown document", body = ErrorBody),
        (status = 409, description = "Already revoked or superseded", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn revoke_document(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DocumentRecord>, ApiError> {
    let doc_id: DocumentId = id.parse()?;
    let action: DocumentAction = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("document action: {e}")))?;
    let replacement = match &action.superseded_by {
        Some(s) => Some(s.parse::<DocumentId>()?),
        None => None,
    };
    let what = if replacement.is_some() {
        "supersede-document"
    } else {
        "revoke-document"
    };
    admin.audit(&state, what, &doc_id.to_string()).await?;
    let st = state.clone();
    let id_text = doc_id.to_string();
    blocking(move || {
        let _guard = st.admin_lock.lock().map_err(ApiError::internal)?;
        let found = st.ledger.find_by_document_id(&id_text)?;
        let issued = found
            .iter()
            .find(|f| f.entry.kind == EntryKind::Issued)
            .ok_or_else(|| ApiError::NotFound("the ledger has no such document".into()))?;
        if found.iter().any(|f| f.entry.kind != EntryKind::Issued) {
            return Err(ApiError::Conflict(
                "the document is already revoked or superseded".into(),
            ));
        }
        let entry = Entry {
            kind: if replacement.is_some() {
                EntryKind::Superseded
            } else {
                EntryKind::Revoked
            },
            time: OffsetDateTime::now_utc().unix_timestamp(),
            reason: Some(action.reason),
            superseded_by: replacement.map(|r| document_id_hash(&r.to_string())),
            ..issued.entry.clone()
        };
        entry
            .validate()
            .map_err(|e| ApiError::BadRequest(format!("reason: {e}")))?;
        st.ledger.append(&entry)?;
        Ok(())
    })
    .await?;
    document_record(&state, doc_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("the ledger has no such document".into()))
}

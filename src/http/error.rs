//! The one error type of the HTTP layer and its mapping to status codes, in one place.
//!
//! Every error answers JSON `{"code": "...", "message": "..."}`. The `code` values are stable
//! (clients branch on them); the message is for people and may change. A verdict (a signature
//! that does not verify) is never an error: it is a 200 with a report.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Seconds a client is asked to wait (`Retry-After`) after a 503: long enough for a queue of
/// signings to drain, short enough that a retry does not look like an outage.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `unreadable_pdf`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// RFC 9110 §15.5.14: the body exceeds the configured limit.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: u64 },
    /// RFC 9110 §15.5.16: the content type is not one this route accepts.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is not a PDF that can be read (RFC 9110 §15.5.21, 422).
    #[error("{0}")]
    UnreadablePdf(String),
    /// The PDF was read, but signing it is refused (e.g. certified with DocMDP P=1).
    #[error("{0}")]
    SigningRefused(String),
    /// No such document, tile or route.
    #[error("{0}")]
    NotFound(String),
    /// A document id that is not 26 characters of RFC 4648 base32.
    #[error("{0}")]
    MalformedDocumentId(String),
    /// A SHA-256 that is not 64 hex digits.
    #[error("{0}")]
    MalformedHash(String),
    /// Any other malformed request: parameters, JSON, multipart.
    #[error("{0}")]
    BadRequest(String),
    /// No valid token (RFC 6750 §3.1 `invalid_token`).
    #[error("{0}")]
    Unauthenticated(String),
    /// A valid token without the scope the route needs (RFC 6750 §3.1 `insufficient_scope`).
    #[error("{0}")]
    Forbidden(String),
    /// A request with the same `Idempotency-Key` is being processed (retry shortly).
    #[error("{0}")]
    IdempotencyConflict(String),
    /// The request conflicts with the current state (RFC 9110 §15.5.10): a key that cannot
    /// change to the state asked, a document already revoked.
    #[error("{0}")]
    Conflict(String),
    /// A certificate refused at registration (not this key's, not trusted, expired).
    #[error("{0}")]
    CertificateRefused(String),
    /// The `Idempotency-Key` was used for a different request (retrying will not help).
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// RFC 9110 §15.5.6.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Past the in-flight limit and its queue.
    #[error("the service is busy; retry after {RETRY_AFTER_SECONDS} s")]
    Overloaded,
    /// The request took longer than the configured time limit.
    #[error("the request took longer than {seconds} s")]
    Timeout { seconds: u64 },
    /// A dependency (database, ledger) is unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of the service itself; the message is logged, not shown in full.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The status code and the stable code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::UnreadablePdf(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unreadable_pdf"),
            ApiError::SigningRefused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "signing_refused"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MalformedDocumentId(_) => (StatusCode::BAD_REQUEST, "malformed_document_id"),
            ApiError::MalformedHash(_) => (StatusCode::BAD_REQUEST, "malformed_hash"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::IdempotencyConflict(_) => (StatusCode::CONFLICT, "idempotency_conflict"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::CertificateRefused(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "certificate_refused")
            }
            ApiError::IdempotencyKeyReused(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::Timeout { .. } => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// An internal fault: logged here with its detail, answered with a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::Internal(detail.to_string())
    }
}

impl From<crate::ledger::LedgerError> for ApiError {
    fn from(e: crate::ledger::LedgerError) -> Self {
        use crate::ledger::LedgerError as L;
        match e {
            L::Storage(msg) => {
                tracing::error!(error = %msg, "ledger storage");
                ApiError::Unavailable("the ledger is unavailable; retry later".into())
            }
            other => ApiError::internal(format!("ledger: {other}")),
        }
    }
}

impl From<crate::keys::KeysError> for ApiError {
    fn from(e: crate::keys::KeysError) -> Self {
        use crate::keys::KeysError as K;
        match e {
            K::NotFound(m) => ApiError::NotFound(m),
            K::Registration(m) => ApiError::CertificateRefused(m),
            e @ K::Transition { .. } => ApiError::Conflict(e.to_string()),
            // Token, file and registry failures may name paths or devices: logged only.
            other => ApiError::internal(format!("keys: {other}")),
        }
    }
}

impl From<crate::pades::PadesError> for ApiError {
    fn from(e: crate::pades::PadesError) -> Self {
        use crate::pades::PadesError as P;
        match e {
            P::Pdf(p) => unreadable_pdf(&p),
            P::Refused(m) => ApiError::SigningRefused(m),
            P::Appearance(a) => ApiError::SigningRefused(format!("visible signature block: {a}")),
            e @ (P::DocumentChanged | P::SignatureRejected | P::PreparedState(_)) => {
                ApiError::SigningRefused(e.to_string())
            }
            other => ApiError::internal(format!("signing: {other}")),
        }
    }
}

/// The error for a body that is not a readable PDF (encrypted files named as such).
pub fn unreadable_pdf(e: &crate::pdf::PdfError) -> ApiError {
    match e {
        crate::pdf::PdfError::Encrypted => ApiError::UnreadablePdf(
            "tệp PDF được mã hóa, không hỗ trợ / encrypted PDF: not supported".into(),
        ),
        other => ApiError::UnreadablePdf(format!(
            "không đọc được tệp PDF / not a readable PDF: {other}"
        )),
    }
}

/// A path parameter, or a JSON 400 instead of axum's plain-text rejection (e.g. bytes that are
/// not UTF-8).
pub fn path_param(
    p: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, ApiError> {
    p.map(|axum::extract::Path(v)| v)
        .map_err(|e| ApiError::BadRequest(format!("path: {}", e.body_text())))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            // The detail of an internal fault may name files or database state.
            ApiError::Internal(_) => "internal error of the service (logged)".to_owned(),
            other => other.to_string(),
        };
        let body = ErrorBody {
            code: code.to_owned(),
            message,
        };
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        match self {
            ApiError::Overloaded | ApiError::Timeout { .. } | ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            ApiError::IdempotencyConflict(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            ApiError::Unauthenticated(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::Forbidden(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
                );
            }
            _ => {}
        }
        resp
    }
}

/// Runs CPU-bound or blocking work (signing, verifying, database calls) on the blocking pool,
/// never on the async workers. A panic of the work becomes an internal error, not a crash.
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("a worker task failed: {e}")))?
}

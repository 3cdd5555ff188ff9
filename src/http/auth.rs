//! Bearer-token authentication (RFC 6750 §2.1) against the service state store.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::{blocking, ApiError};
use super::service_store::{Scope, TokenInfo};
use super::state::AppState;

/// Longest `Authorization` header considered: a kyso token is 57 characters.
const MAX_AUTHORIZATION_LEN: usize = 512;

/// The authenticated caller of a request (any valid, unrevoked token).
#[derive(Debug, Clone)]
pub struct Caller(pub TokenInfo);

impl Caller {
    /// Fails with 403 unless the token has `scope`.
    pub fn require(&self, scope: &Scope) -> Result<(), ApiError> {
        if self.0.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this token does not have the scope {scope}"
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthenticated("an Authorization: Bearer token is required".into())
        })?;
        let secret = header
            .to_str()
            .ok()
            .filter(|h| h.len() <= MAX_AUTHORIZATION_LEN)
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated(
                    "malformed Authorization header: use Bearer <token>".into(),
                )
            })?
            .to_owned();
        let state = state.clone();
        let info = blocking(move || Ok(state.store.authenticate(&secret)?)).await?;
        info.map(Caller)
            .ok_or_else(|| ApiError::Unauthenticated("unknown or revoked token".into()))
    }
}

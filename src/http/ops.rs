//! Operations routes: health, readiness, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{blocking, ApiError, ErrorBody};
use super::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Alive", body = String)), tag = "operations")]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the ledger's store answers and its checkpoint verifies.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "Ready", body = String),
        (status = 503, description = "The ledger store is not reachable", body = ErrorBody),
    ),
    tag = "operations"
)]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    blocking(move || {
        state.reader().signed_checkpoint()?;
        Ok(())
    })
    .await?;
    Ok("ready\n")
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format 0.0.4", body = String)), tag = "operations")]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let st = state.clone();
    // The ledger size is omitted, not an error, when the store does not answer.
    let size = blocking(move || Ok(st.reader().signed_checkpoint()?.checkpoint().size))
        .await
        .ok();
    let text = state
        .metrics
        .render(size, state.gate.in_flight(state.limits.max_in_flight));
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

/// This API's OpenAPI 3.1 description, generated from the code.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI document", body = Object)), tag = "operations")]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::routes::openapi())
}

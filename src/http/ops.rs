//! Operations routes: health, readiness, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use time::OffsetDateTime;

use super::error::{blocking, ApiError, ErrorBody};
use super::state::AppState;
use crate::keys::expiry_warning;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Alive", body = String)), tag = "operations")]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Each signer's active certificate: (signer, seconds until notAfter, days left when within
/// the 30-day warning window).
fn certificate_expiry(state: &AppState, now: OffsetDateTime) -> Vec<(String, i64, Option<i64>)> {
    state
        .signers
        .iter()
        .map(|s| {
            let not_after = s.key().parsed.not_after();
            (
                s.name.clone(),
                (not_after - now).whole_seconds(),
                expiry_warning(not_after, now),
            )
        })
        .collect()
}

/// Readiness: the ledger's store answers and its checkpoint verifies, and no signer's active
/// certificate has expired. A certificate within 30 days of its end adds a warning line (the
/// service stays ready: renew and rotate).
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "Ready; `warning:` lines name certificates expiring within 30 days", body = String),
        (status = 503, description = "The ledger store is not reachable, or an active certificate has expired", body = ErrorBody),
    ),
    tag = "operations"
)]
pub async fn readyz(State(state): State<AppState>) -> Result<String, ApiError> {
    let st = state.clone();
    blocking(move || {
        st.reader().signed_checkpoint()?;
        Ok(())
    })
    .await?;
    let mut text = String::from("ready\n");
    for (signer, _, warning) in certificate_expiry(&state, OffsetDateTime::now_utc()) {
        match warning {
            Some(days) if days < 0 => {
                return Err(ApiError::Unavailable(format!(
                    "chứng thư số của {signer} đã hết hạn / the active certificate of signer \
                     {signer} has expired: register and activate a new key"
                )))
            }
            Some(days) => text.push_str(&format!(
                "warning: chứng thư số của {signer} hết hạn sau {days} ngày / the active \
                 certificate of signer {signer} expires in {days} days\n"
            )),
            None => {}
        }
    }
    Ok(text)
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format 0.0.4", body = String)), tag = "operations")]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let st = state.clone();
    // The ledger size is omitted, not an error, when the store does not answer.
    let size = blocking(move || Ok(st.reader().signed_checkpoint()?.checkpoint().size))
        .await
        .ok();
    let mut text = state
        .metrics
        .render(size, state.gate.in_flight(state.limits.max_in_flight));
    text.push_str(&expiry_metrics(&certificate_expiry(
        &state,
        OffsetDateTime::now_utc(),
    )));
    let mut resp = (StatusCode::OK, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

/// The certificate-expiry gauges in Prometheus text format.
fn expiry_metrics(expiry: &[(String, i64, Option<i64>)]) -> String {
    let mut out = String::from(
        "# HELP kyso_signer_certificate_expiry_seconds Seconds until the active certificate of a signer expires.\n\
         # TYPE kyso_signer_certificate_expiry_seconds gauge\n",
    );
    for (signer, seconds, _) in expiry {
        out.push_str(&format!(
            "kyso_signer_certificate_expiry_seconds{{signer=\"{signer}\"}} {seconds}\n"
        ));
    }
    out.push_str(
        "# HELP kyso_signer_certificate_expiring 1 when the active certificate of a signer expires within 30 days.\n\
         # TYPE kyso_signer_certificate_expiring gauge\n",
    );
    for (signer, _, warning) in expiry {
        out.push_str(&format!(
            "kyso_signer_certificate_expiring{{signer=\"{signer}\"}} {}\n",
            u8::from(warning.is_some())
        ));
    }
    out
}

/// This API's OpenAPI 3.1 description, generated from the code.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI document", body = Object)), tag = "operations")]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::routes::openapi())
}

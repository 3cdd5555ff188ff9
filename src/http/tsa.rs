//! `POST /tsa`: the built-in RFC 3161 time-stamp authority over HTTP (RFC 3161 §3.4). Public
//! and rate-limited. A request must be `application/timestamp-query`; the answer is an
//! `application/timestamp-reply` TimeStampResp (granted, or a rejection naming the failure;
//! HTTP 400 when the request cannot be read at all). Wrong media type (415), oversized body
//! (413) and rate limiting (429) answer JSON, since no TimeStampReq was received.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use time::OffsetDateTime;

use crate::cms::MAX_REQUEST_SIZE;
use crate::timestamping::{Answer, LocalAuthority};

/// Requests allowed in a burst: a signing batch time-stamps its documents back to back.
pub const RATE_BURST: f64 = 50.0;
/// Sustained requests per second over all clients: an RSA-2048 token costs about a
/// millisecond of one core, so 100/s keeps the endpoint from taking the machine away from
/// signing and verification.
pub const RATE_PER_SECOND: f64 = 100.0;

/// A token bucket over all clients of the endpoint.
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * RATE_PER_SECOND).min(RATE_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Clone)]
struct TsaState {
    authority: Arc<LocalAuthority>,
    bucket: Arc<Mutex<Bucket>>,
}

/// The `/tsa` route with its own state, to merge into the service's router.
pub fn routes(authority: Arc<LocalAuthority>) -> Router {
    let state = TsaState {
        authority,
        bucket: Arc::new(Mutex::new(Bucket {
            tokens: RATE_BURST,
            last: Instant::now(),
        })),
    };
    Router::new()
        .route("/tsa", post(timestamp))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_SIZE))
        .with_state(state)
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        body,
    )
        .into_response()
}

async fn timestamp(State(state): State<TsaState>, headers: HeaderMap, body: Bytes) -> Response {
    let allowed = state
        .bucket
        .lock()
        .map(|mut b| b.take(Instant::now()))
        .unwrap_or(false);
    if !allowed {
        let mut r = json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "quá nhiều yêu cầu, hãy thử lại sau / too many requests, try again later",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return r;
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some("application/timestamp-query") {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "yêu cầu phải là application/timestamp-query / the request must be \
             application/timestamp-query (RFC 3161 §3.4)",
        );
    }
    match state.authority.answer(&body, OffsetDateTime::now_utc()) {
        Ok(Answer::Granted(resp)) | Ok(Answer::Refused(resp)) => reply(StatusCode::OK, resp),
        Ok(Answer::Unreadable(resp)) => reply(StatusCode::BAD_REQUEST, resp),
        Err(e) => {
            tracing::error!("time-stamp authority: {e}");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "lỗi dịch vụ cấp dấu thời gian / the time-stamp authority failed",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_bucket_allows_a_burst_then_refills_at_the_rate() {
        let start = Instant::now();
        let mut b = Bucket {
            tokens: RATE_BURST,
            last: start,
        };
        let burst = (0..1000).take_while(|_| b.take(start)).count();
        assert_eq!(burst as f64, RATE_BURST);
        assert!(!b.take(start));
        // A tenth of a second later, about RATE_PER_SECOND / 10 more.
        let later = start + Duration::from_millis(100);
        let refilled = (0..1000).take_while(|_| b.take(later)).count();
        assert_eq!(refilled as f64, (RATE_PER_SECOND / 10.0).floor());
    }
}

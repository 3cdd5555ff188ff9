//! `POST /tsa`: the built-in RFC 3161 time-stamp authority over HTTP (RFC 3161 §3.4). Public
//! and rate-limited. A request must be `application/timestamp-query`; the answer is an
//! `application/timestamp-reply` TimeStampResp (granted, or a rejection naming the failure;
//! HTTP 400 when the request cannot be read at all). Wrong media type (415), oversized body
//! (413), rate limiting (429) and a service without a built-in authority (404) answer with the
//! service's JSON errors ([`ApiError`]), since no TimeStampReq was received.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use time::OffsetDateTime;

use super::error::{ApiError, ErrorBody};
use super::state::AppState;
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

/// The built-in authority as served: its key and the token bucket of its endpoint.
pub struct TsaEndpoint {
    authority: Arc<LocalAuthority>,
    bucket: Mutex<Bucket>,
}

impl std::fmt::Debug for TsaEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsaEndpoint")
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

impl TsaEndpoint {
    pub fn new(authority: Arc<LocalAuthority>) -> TsaEndpoint {
        TsaEndpoint {
            authority,
            bucket: Mutex::new(Bucket {
                tokens: RATE_BURST,
                last: Instant::now(),
            }),
        }
    }

    /// The authority, for signers in this process (no HTTP round trip).
    pub fn authority(&self) -> &Arc<LocalAuthority> {
        &self.authority
    }

    /// Answers one request: rate limit, media type, size, then the authority.
    async fn handle(&self, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
        let allowed = self
            .bucket
            .lock()
            .map(|mut b| b.take(Instant::now()))
            .unwrap_or(false);
        if !allowed {
            return Err(ApiError::RateLimited(
                "quá nhiều yêu cầu cấp dấu thời gian, hãy thử lại sau / too many time-stamp \
                 requests, try again later"
                    .into(),
            ));
        }
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        if media_type.as_deref() != Some("application/timestamp-query") {
            return Err(ApiError::UnsupportedMediaType(
                "yêu cầu phải là application/timestamp-query / the request must be \
                 application/timestamp-query (RFC 3161 §3.4)"
                    .into(),
            ));
        }
        let body = axum::body::to_bytes(body, MAX_REQUEST_SIZE)
            .await
            .map_err(|_| ApiError::BodyTooLarge {
                limit: u64::try_from(MAX_REQUEST_SIZE).unwrap_or(u64::MAX),
            })?;
        match self.authority.answer(&body, OffsetDateTime::now_utc()) {
            Ok(Answer::Granted(resp)) | Ok(Answer::Refused(resp)) => {
                Ok(reply(StatusCode::OK, resp))
            }
            Ok(Answer::Unreadable(resp)) => Ok(reply(StatusCode::BAD_REQUEST, resp)),
            Err(e) => Err(ApiError::internal(format!("time-stamp authority: {e}"))),
        }
    }
}

/// `/tsa` alone over one authority, for a time-stamp authority without the rest of the
/// service (tests, a separate TSA host); the same handling as the service's route.
pub fn routes(authority: Arc<LocalAuthority>) -> Router {
    let endpoint = Arc::new(TsaEndpoint::new(authority));
    Router::new().route(
        "/tsa",
        post(move |headers: HeaderMap, req: Request| async move {
            endpoint.handle(&headers, req.into_body()).await
        }),
    )
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        body,
    )
        .into_response()
}

/// Time-stamp a digest (RFC 3161).
#[utoipa::path(
    post,
    path = "/tsa",
    request_body(content = Vec<u8>, description = "A DER TimeStampReq (RFC 3161 §2.4.1)", content_type = "application/timestamp-query"),
    responses(
        (status = 200, description = "A TimeStampResp: granted, or rejected with its PKIFailureInfo", content_type = "application/timestamp-reply", body = Vec<u8>),
        (status = 400, description = "A TimeStampResp rejecting an unreadable request (badDataFormat)", content_type = "application/timestamp-reply", body = Vec<u8>),
        (status = 404, description = "This service has no built-in time-stamp authority", body = ErrorBody),
        (status = 413, description = "Body larger than a TimeStampReq can be", body = ErrorBody),
        (status = 415, description = "Not application/timestamp-query", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody),
    ),
    tag = "timestamping"
)]
pub async fn timestamp(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    match &state.tsa {
        Some(endpoint) => endpoint.handle(&headers, req.into_body()).await,
        None => Err(ApiError::NotFound(
            "this service has no built-in time-stamp authority (see [timestamping] in the \
             configuration)"
                .into(),
        )),
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

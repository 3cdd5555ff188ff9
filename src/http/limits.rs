//! Work limits and the per-request middleware: request ids, structured logs, metrics, the
//! request time limit, and the in-flight gate with its short queue (past it: 503).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::ApiError;
use super::state::AppState;

/// The response (and accepted request) header carrying the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id accepted from a client (a proxy's UUID fits); longer ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Admission of expensive requests: `max_in_flight` run at once, up to `queue` more wait for at
/// most `wait`; any further request is refused at once with 503 and `Retry-After`.
#[derive(Debug)]
pub struct Gate {
    permits: Semaphore,
    waiting: AtomicUsize,
    queue: usize,
    wait: Duration,
}

impl Gate {
    pub fn new(max_in_flight: usize, queue: usize, wait: Duration) -> Gate {
        Gate {
            permits: Semaphore::new(max_in_flight),
            waiting: AtomicUsize::new(0),
            queue,
            wait,
        }
    }

    /// A slot, or `Overloaded` when the queue is full or the wait is over.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        if let Ok(p) = self.permits.try_acquire() {
            return Ok(p);
        }
        let queued = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.queue).then_some(n + 1)
            });
        if queued.is_err() {
            return Err(ApiError::Overloaded);
        }
        let got = tokio::time::timeout(self.wait, self.permits.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match got {
            Ok(Ok(p)) => Ok(p),
            _ => Err(ApiError::Overloaded),
        }
    }

    /// Requests being processed now.
    pub fn in_flight(&self, max: usize) -> usize {
        max.saturating_sub(self.permits.available_permits())
    }
}

/// Middleware of the expensive routes: holds a gate slot for the whole request, body upload
/// included, so that memory is bounded by the limit.
pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.gate.enter().await {
        Ok(_permit) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn request_id(req: &Request) -> String {
    let given = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_REQUEST_ID_LEN
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    match given {
        Some(v) => v.to_owned(),
        None => {
            let mut b = [0u8; 8];
            // Without entropy the id is only less unique; the request still proceeds.
            let _ = openssl::rand::rand_bytes(&mut b);
            hex::encode(b)
        }
    }
}

/// Outermost middleware: request id, time limit, one log line and the metrics of each request.
/// Paths are logged as their route template, so document ids (capabilities) never reach logs.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".to_owned());
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let limit = state.limits.request_timeout;
    let fut = tracing::Instrument::instrument(next.run(req), span.clone());
    let mut resp = match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout {
            seconds: limit.as_secs(),
        }
        .into_response(),
    };
    let elapsed = started.elapsed();
    let status = resp.status();
    state
        .metrics
        .record_request(&route, method.as_str(), status.as_u16(), elapsed);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_queues_then_refuses() {
        let gate = Gate::new(1, 1, Duration::from_millis(50));
        let first = gate.enter().await.unwrap();
        // One waits (and times out), a second concurrent waiter is refused at once.
        let (a, b) = tokio::join!(gate.enter(), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            gate.enter().await
        });
        assert!(matches!(a, Err(ApiError::Overloaded)));
        assert!(matches!(b, Err(ApiError::Overloaded)));
        drop(first);
        assert!(gate.enter().await.is_ok());
    }
}

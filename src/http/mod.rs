//! The HTTP service. Only this layer knows status codes.
//!
//! One table of routes ([`routes::ROUTES`]) builds the router and the OpenAPI document; one
//! error type ([`error::ApiError`]) maps every failure to a status and a stable JSON code;
//! CPU-bound work (signing, verifying) and blocking I/O (databases) run on the blocking pool.

pub mod admin;
pub mod audit_trail;
pub mod auth;
pub mod body;
pub mod certificates;
pub mod citizen;
pub mod config;
pub mod document_id;
pub mod documents;
pub mod error;
pub mod external;
pub mod limits;
pub mod metrics;
pub mod ops;
pub mod routes;
pub mod service_store;
pub mod sign;
pub mod state;
pub mod tlog;
pub mod trust;
pub mod tsa;
pub mod verify;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;

pub use documents::{document_record, DocumentRecord, DocumentStatus, LedgerEvent};
pub use error::ApiError;
pub use state::AppState;

/// Builds the router over `state`. Kept apart from [`serve`] so tests can drive it directly.
pub fn router(state: AppState) -> Router {
    let mut r: Router<AppState> = Router::new();
    for route in routes::ROUTES {
        let mut handler = (route.handler)();
        if route.heavy {
            handler = handler.route_layer(from_fn_with_state(state.clone(), limits::gate));
        }
        r = r.route(route.path, handler);
    }
    let body_limit = usize::try_from(state.limits.max_body_bytes).unwrap_or(usize::MAX);
    r.fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn_with_state(state.clone(), limits::observe))
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::NotFound("no such route; see /openapi.json".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Serves on `listener` until Ctrl-C or SIGTERM; in-flight requests (signings included) finish
/// before it returns.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}

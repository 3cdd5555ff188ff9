//! The citizen's verification page, `GET /v/{id}`: the ledger record of a document in Vietnamese
//! (English on request), readable without JavaScript, and with JavaScript re-checked in the
//! browser (inclusion proof, checkpoint signature, the citizen's own PDF hashed locally).

pub mod assets;
pub mod page;
pub mod view;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub use page::render;
pub use view::{CitizenView, Lang, Status};

/// The page as an HTTP response: 404 for an unknown document (the page still explains it),
/// never cached (a revocation must show at once), never framed, and with no `Referer` leaving
/// it (the URL holds the document id, which is the capability to look the document up).
pub fn page_response(view: &CitizenView) -> Response {
    let status = match view.status {
        Status::Unknown => StatusCode::NOT_FOUND,
        Status::Valid | Status::Revoked => StatusCode::OK,
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                page::CONTENT_SECURITY_POLICY,
            ),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        render(view),
    )
        .into_response()
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response();
    if let Ok(etag) = HeaderValue::from_str(&assets::etag(body)) {
        resp.headers_mut().insert(header::ETAG, etag);
    }
    resp
}

/// `GET /static/citizen.js`: the page script.
pub async fn script() -> Response {
    asset(assets::CITIZEN_JS, "text/javascript; charset=utf-8")
}

/// `GET /static/citizen.css`: the page style sheet.
pub async fn style() -> Response {
    asset(assets::CITIZEN_CSS, "text/css; charset=utf-8")
}

//! The citizen's verification page, `GET /v/{id}`: the ledger record of a document in Vietnamese
//! (English on request), readable without JavaScript, and with JavaScript re-checked in the
//! browser (inclusion proof, checkpoint signature, the citizen's own PDF hashed locally).

pub mod assets;
pub mod page;
pub mod view;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::document_id::DocumentId;
use super::documents::document_record;
use super::state::AppState;

pub use page::render;
pub use view::{CitizenView, Lang, Status};

/// The citizen's page of a document, by the id in its QR code.
#[utoipa::path(
    get,
    path = "/v/{id}",
    params(
        ("id" = String, Path, description = "Document id: 26 characters of RFC 4648 base32"),
        ("lang" = Option<String>, Query, description = "`en` for English; Vietnamese otherwise"),
    ),
    responses(
        (status = 200, description = "The page (HTML); its root element has data-status=\"valid\" or \"revoked\"", content_type = "text/html"),
        (status = 404, description = "The page for an unknown or malformed id (HTML, data-status=\"unknown\")", content_type = "text/html"),
    ),
    tag = "citizen"
)]
pub async fn citizen_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = Lang::from_query(query.as_deref());
    // A mistyped or truncated id is, for a citizen, a document that cannot be found.
    let record = match id.parse::<DocumentId>() {
        Ok(doc) => match document_record(&state, doc).await {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        },
        Err(_) => None,
    };
    let view = CitizenView::new(lang, &id, record.as_ref(), &state.ledger_verifier_key);
    page_response(&view)
}

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

/// The citizen page's script (in-browser proof check, local file comparison).
#[utoipa::path(
    get,
    path = "/static/citizen.js",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")),
    tag = "citizen"
)]
pub async fn script() -> Response {
    asset(assets::CITIZEN_JS, "text/javascript; charset=utf-8")
}

/// The citizen page's style sheet.
#[utoipa::path(
    get,
    path = "/static/citizen.css",
    responses((status = 200, description = "CSS", content_type = "text/css")),
    tag = "citizen"
)]
pub async fn style() -> Response {
    asset(assets::CITIZEN_CSS, "text/css; charset=utf-8")
}

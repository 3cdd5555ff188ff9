//! The C2SP tlog-tiles read path: `GET /checkpoint` and `GET /tile/...`, with cache headers a
//! CDN or mirror can honour and CORS open to every origin (the data is public).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::{blocking, path_param, ApiError, ErrorBody};
use super::state::AppState;
use crate::ledger::tile::{parse_tile_path, TilePath};
use crate::ledger::LedgerError;

/// Full tiles never change (C2SP tlog-tiles): cacheable for a year, immutable.
pub const FULL_TILE_CACHE: &str = "public, max-age=31536000, immutable";

/// Partial tiles and the checkpoint move with every append: a short freshness lets mirrors
/// poll without serving stale data for long.
pub const MOVING_CACHE: &str = "public, max-age=5";

fn public(mut resp: Response, cache: &'static str, content_type: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// Reads the part of `GET /tile/<path>` after `/tile/`: the full tile path, checked to be
/// canonical, and the cache policy its response gets (full tiles are immutable, partial ones
/// move).
pub fn tile_request(path: &str) -> Result<(String, &'static str), ApiError> {
    let full_path = format!("tile/{path}");
    let tile = match parse_tile_path(&full_path) {
        Ok(TilePath::Hashes(t) | TilePath::Entries(t)) => t,
        Err(e) => return Err(ApiError::BadRequest(format!("not a tile path: {e}"))),
    };
    let cache = if tile.is_full() {
        FULL_TILE_CACHE
    } else {
        MOVING_CACHE
    };
    Ok((full_path, cache))
}

/// The latest signed checkpoint (C2SP tlog-checkpoint, a signed note).
#[utoipa::path(
    get,
    path = "/checkpoint",
    responses((status = 200, description = "The signed checkpoint note", content_type = "text/plain; charset=utf-8", body = String)),
    tag = "ledger"
)]
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let cp = blocking(move || Ok(state.reader().checkpoint()?)).await?;
    Ok(public(
        cp.into_response(),
        MOVING_CACHE,
        "text/plain; charset=utf-8",
    ))
}

/// A hash tile or entry bundle (C2SP tlog-tiles): `tile/<L>/<N>[.p/<W>]` or
/// `tile/entries/<N>[.p/<W>]`.
#[utoipa::path(
    get,
    path = "/tile/{path}",
    params(("path" = String, Path, description = "The tile path below /tile/, e.g. 0/x001/234.p/7 or entries/000")),
    responses(
        (status = 200, description = "The tile's bytes", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Not a tile path", body = ErrorBody),
        (status = 404, description = "No such tile (yet)", body = ErrorBody),
    ),
    tag = "ledger"
)]
pub async fn tile(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let path = path_param(path)?;
    let (full_path, cache) = tile_request(&path)?;
    let data = blocking(move || match state.reader().tile(&full_path) {
        Ok(d) => Ok(d),
        Err(e @ (LedgerError::Tile(_) | LedgerError::TooLarge(_))) => {
            Err(ApiError::BadRequest(format!("not a tile path: {e}")))
        }
        Err(other) => Err(other.into()),
    })
    .await?;
    let data = data.ok_or_else(|| ApiError::NotFound("no such tile (yet)".into()))?;
    Ok(public(
        data.into_response(),
        cache,
        "application/octet-stream",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_requests_are_canonical_and_cached_by_fullness() {
        assert_eq!(
            tile_request("0/x001/234").unwrap(),
            ("tile/0/x001/234".to_string(), FULL_TILE_CACHE)
        );
        assert_eq!(tile_request("entries/000.p/7").unwrap().1, MOVING_CACHE);
        for bad in [
            "",
            "0/x000/001",
            "0/1",
            "0/000.p/256",
            "0/000.p/0",
            "../etc",
            "9/000",
        ] {
            assert!(
                matches!(tile_request(bad), Err(ApiError::BadRequest(_))),
                "{bad}"
            );
        }
    }
}

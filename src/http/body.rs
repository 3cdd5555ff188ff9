//! Reading request bodies at the edge: the content type is checked (415), the size is bounded
//! (413), and a multipart body is split into its JSON metadata part and its PDF part.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;

use super::error::ApiError;

/// Largest JSON metadata part of a multipart request: a few short fields.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;

/// Most parts read from a multipart body: metadata and the PDF, with room for harmless extras.
pub const MAX_MULTIPART_PARTS: usize = 8;

/// A PDF upload, with the JSON metadata part of a multipart body if there was one.
pub struct Upload {
    pub pdf: Bytes,
    pub metadata: Option<Bytes>,
}

fn media_type(req: &Request) -> Option<String> {
    let ct = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    Some(
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

fn too_large(limit: u64) -> ApiError {
    ApiError::BodyTooLarge { limit }
}

/// Refuses at once a body whose declared `Content-Length` is above the limit.
fn refuse_declared_excess(req: &Request, limit: u64) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    Ok(())
}

/// Reads the whole body, at most `limit` bytes.
pub async fn read_limited(req: Request, limit: u64) -> Result<Bytes, ApiError> {
    refuse_declared_excess(&req, limit)?;
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|e| {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            if over {
                too_large(limit)
            } else {
                ApiError::BadRequest(format!("the request body could not be read: {e}"))
            }
        })
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    }
}

/// A PDF body (`application/pdf`), or with `multipart` a `multipart/form-data` body with a
/// part `metadata` (JSON) and a part `file` (the PDF; any part typed `application/pdf` also
/// counts).
pub async fn read_pdf(req: Request, limit: u64, multipart: bool) -> Result<Upload, ApiError> {
    match media_type(&req).as_deref() {
        Some("application/pdf") => Ok(Upload {
            pdf: read_limited(req, limit).await?,
            metadata: None,
        }),
        Some("multipart/form-data") if multipart => read_multipart(req, limit).await,
        other => Err(ApiError::UnsupportedMediaType(format!(
            "content type {}: send application/pdf{}",
            other.unwrap_or("(none)"),
            if multipart {
                " or multipart/form-data"
            } else {
                ""
            }
        ))),
    }
}

async fn read_multipart(req: Request, limit: u64) -> Result<Upload, ApiError> {
    refuse_declared_excess(&req, limit)?;
    let mut mp = Multipart::from_request(req, &()).await.map_err(|e| {
        ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    })?;
    let mut pdf = None;
    let mut metadata = None;
    let mut parts = 0usize;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        parts += 1;
        if parts > MAX_MULTIPART_PARTS {
            return Err(ApiError::BadRequest(format!(
                "more than {MAX_MULTIPART_PARTS} multipart parts"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let is_pdf = field.content_type() == Some("application/pdf");
        let data = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
        if name == "metadata" {
            if data.len() > MAX_METADATA_BYTES {
                return Err(ApiError::BadRequest(format!(
                    "the metadata part is larger than {MAX_METADATA_BYTES} bytes"
                )));
            }
            metadata = Some(data);
        } else if name == "file" || is_pdf {
            if pdf.is_some() {
                return Err(ApiError::BadRequest("more than one PDF part".into()));
            }
            pdf = Some(data);
        }
    }
    let pdf = pdf.ok_or_else(|| {
        ApiError::BadRequest("the multipart body has no PDF part (name it file)".into())
    })?;
    Ok(Upload { pdf, metadata })
}

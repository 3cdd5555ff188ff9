//! Reading request bodies at the edge: the content type is checked (415), the size is bounded
//! (413), and a multipart body is split into its JSON metadata part and its PDF part. And a
//! response body sent as several buffers, so that a signed PDF (the upload followed by its
//! update) is not copied to be joined.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use http_body_util::BodyExt;

use super::error::ApiError;
use crate::pdf::Pieces;

/// Largest JSON metadata part of a multipart request: a few short fields.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;

/// Most parts read from a multipart body: metadata and the PDF, with room for harmless extras.
pub const MAX_MULTIPART_PARTS: usize = 8;

/// A PDF upload, with the JSON metadata part of a multipart body if there was one.
pub struct Upload {
    pub pdf: Pieces<Bytes>,
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

/// Reads the whole body, at most `limit` bytes, as the chunks it arrived in (no copy).
pub async fn read_pieces(req: Request, limit: u64) -> Result<Pieces<Bytes>, ApiError> {
    refuse_declared_excess(&req, limit)?;
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = http_body_util::Limited::new(req.into_body(), max);
    let mut chunks = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large(limit)
            } else {
                ApiError::BadRequest(format!("the request body could not be read: {e}"))
            }
        })?;
        if let Ok(data) = frame.into_data() {
            chunks.push(data);
        }
    }
    Ok(Pieces::new(chunks))
}

/// Reads the whole body, at most `limit` bytes, into one buffer.
pub async fn read_limited(req: Request, limit: u64) -> Result<Bytes, ApiError> {
    Ok(joined(&read_pieces(req, limit).await?))
}

/// The body as one buffer: shared when it arrived in one chunk, else joined (a copy).
pub fn joined(pieces: &Pieces<Bytes>) -> Bytes {
    match pieces.pieces() {
        [one] => one.clone(),
        _ => Bytes::from(pieces.contiguous().into_owned()),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    }
}

/// A PDF body (`application/pdf`) as the chunks it arrived in: for a route that only reads it.
pub async fn read_pdf_pieces(req: Request, limit: u64) -> Result<Pieces<Bytes>, ApiError> {
    match media_type(&req).as_deref() {
        Some("application/pdf") => read_pieces(req, limit).await,
        other => Err(unsupported(other, "application/pdf")),
    }
}

fn unsupported(got: Option<&str>, accepted: &str) -> ApiError {
    ApiError::UnsupportedMediaType(format!(
        "content type {}: send {accepted}",
        got.unwrap_or("(none)")
    ))
}

/// A PDF body (`application/pdf`), or a `multipart/form-data` body with a
/// part `metadata` (JSON) and a part `file` (the PDF; any part typed `application/pdf` also
/// counts).
pub async fn read_pdf(req: Request, limit: u64) -> Result<Upload, ApiError> {
    match media_type(&req).as_deref() {
        Some("application/pdf") => Ok(Upload {
            pdf: read_pieces(req, limit).await?,
            metadata: None,
        }),
        Some("multipart/form-data") => read_multipart(req, limit).await,
        other => Err(unsupported(other, "application/pdf or multipart/form-data")),
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
    Ok(Upload {
        pdf: Pieces::new([pdf]),
        metadata,
    })
}

/// A response body made of buffers sent one after the other, with its exact length known (so
/// the response carries `Content-Length`).
pub struct Buffers(VecDeque<Bytes>);

impl Buffers {
    /// The body of `parts`, in order; empty parts are dropped.
    pub fn body(parts: impl IntoIterator<Item = Bytes>) -> Body {
        Body::new(Buffers(
            parts.into_iter().filter(|b| !b.is_empty()).collect(),
        ))
    }
}

impl http_body::Body for Buffers {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.get_mut()
                .0
                .pop_front()
                .map(|b| Ok(http_body::Frame::data(b))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.iter().map(|b| b.len() as u64).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn buffers_are_sent_in_order_with_their_exact_length() {
        let body = Buffers::body([
            Bytes::from_static(b"%PDF-1.7 original"),
            Bytes::new(),
            Bytes::from_static(b" update"),
        ]);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(24));
        let all = body.collect().await.expect("infallible").to_bytes();
        assert_eq!(&all[..], b"%PDF-1.7 original update");
    }
}

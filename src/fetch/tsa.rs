//! The RFC 3161 client over HTTP (RFC 3161 §3.4): POST a TimeStampReq as
//! `application/timestamp-query` with a fresh nonce, read the TimeStampResp, and accept the
//! token only when its imprint is the digest sent, its nonce is the one sent and its TSA
//! certificate carries the critical timeStamping extended key usage.

use std::time::Duration;

use super::http::HttpClient;
use super::FetchError;
use crate::cms::{
    timestamp_request, token_from_response, verify_timestamp_digest, ContentDigest, DigestAlgorithm,
};
use crate::pades::{PadesError, Timestamper};

/// Nonce length in bytes: 64 bits, what common clients send (RFC 3161 §2.4.1 asks for a large
/// random number).
const NONCE_LEN: usize = 8;

/// A time-stamp authority reached over HTTP.
#[derive(Debug, Clone)]
pub struct HttpTimestamper {
    url: String,
    client: HttpClient,
}

impl HttpTimestamper {
    pub fn new(url: &str, timeout: Duration) -> HttpTimestamper {
        HttpTimestamper {
            url: url.to_owned(),
            client: HttpClient::new(timeout),
        }
    }

    /// A checked token for `digest` (SHA-256 of the data to time-stamp).
    pub fn request(&self, digest: &[u8; 32]) -> Result<Vec<u8>, FetchError> {
        let bad = |message: String| FetchError::BadResponse {
            url: self.url.clone(),
            message,
        };
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce).map_err(|e| bad(e.to_string()))?;
        // A positive nonce without a leading zero octet.
        if let Some(first) = nonce.first_mut() {
            *first = (*first & 0x7F) | 0x01;
        }
        let request = timestamp_request(DigestAlgorithm::Sha256, digest, Some(&nonce), true)
            .map_err(|e| bad(e.to_string()))?;
        let (body, content_type) =
            self.client
                .post(&self.url, "application/timestamp-query", &request)?;
        if content_type
            .as_deref()
            .is_some_and(|ct| !ct.starts_with("application/timestamp-reply"))
        {
            return Err(bad(format!(
                "content type {} is not application/timestamp-reply (RFC 3161 §3.4)",
                content_type.unwrap_or_default()
            )));
        }
        let token = token_from_response(&body).map_err(|e| bad(e.to_string()))?;
        let report = verify_timestamp_digest(
            &token,
            &[ContentDigest {
                algorithm: DigestAlgorithm::Sha256,
                value: digest.to_vec(),
            }],
            Some(&nonce),
        )
        .map_err(|e| bad(e.to_string()))?;
        if !report.is_valid() {
            let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
            return Err(bad(format!(
                "the time-stamp token is not acceptable: {}",
                if problems.is_empty() {
                    "its signature does not verify".to_owned()
                } else {
                    problems.join("; ")
                }
            )));
        }
        Ok(token)
    }
}

impl Timestamper for HttpTimestamper {
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, PadesError> {
        self.request(digest)
            .map_err(|e| PadesError::Timestamp(e.to_string()))
    }
}

//! The network side of long-term validation, kept out of the pure libraries: HTTP fetching of
//! CRLs (from CRL distribution points) and OCSP responses (from the AIA extension) with
//! timeouts and a cache, and an RFC 3161 client. What is fetched is parsed by `pki` and
//! `cms`; nothing here judges validity beyond what the protocols require of a client (the
//! time-stamp's imprint, nonce and TSA key usage).

mod http;
mod level;
mod material;
mod revocation;
mod tsa;

pub use http::{HttpClient, DEFAULT_TIMEOUT, MAX_RESPONSE_BYTES};
pub use level::{complete_at_level, ltv_updates, sign_at_level, LevelSigned, LevelSources};
pub use material::{gather, Gathered};
pub use revocation::{
    CacheStats, FetchConfig, Fetched, RevocationFetcher, DEFAULT_MAX_AGE, MAX_REQUESTS_PER_FETCH,
};
pub use tsa::HttpTimestamper;

/// Why something could not be fetched. Each is "no data", never a verdict: the validation
/// that needed the data decides what its absence means (the revocation policy).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Only `http` and `https` URLs are fetched (RFC 5280 §4.2.1.13 and RFC 6960 appendix A
    /// name HTTP as the access method).
    #[error("{0}: not an http or https URL")]
    UnsupportedUrl(String),
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    /// The server answered something the protocol does not allow.
    #[error("{url}: {message}")]
    BadResponse { url: String, message: String },
    /// Offline mode: only supplied and embedded data are used.
    #[error("offline mode: {0} not fetched")]
    Offline(String),
}

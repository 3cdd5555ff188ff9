//! Fetching revocation data for (certificate, issuer) pairs: OCSP from the certificate's AIA
//! (RFC 6960 appendix A.1, HTTP POST), else CRLs from its distribution points (RFC 5280
//! §4.2.1.13, HTTP GET). Answers are cached until their nextUpdate, or for at most
//! [`FetchConfig::max_age`] when they carry none; a stale entry is never served. In offline
//! mode nothing is fetched and the validation relies on supplied and embedded data only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use openssl::hash::MessageDigest;
use openssl::ocsp::{OcspCertId, OcspRequest};
use openssl::x509::X509;
use time::OffsetDateTime;

use super::http::{HttpClient, DEFAULT_TIMEOUT};
use super::FetchError;
use crate::pki::cert::DistributionPointName;
use crate::pki::crl::{load_crls, Crl};
use crate::pki::ocsp::OcspResponse;
use crate::pki::{Certificate, GeneralName, RevocationData};

/// How long an answer without nextUpdate is reused: one hour, the default, short
/// enough that a revocation published since is seen the same day.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);

/// Most URLs of each kind tried per certificate: real certificates list one or two; the bound
/// keeps a hostile certificate from making the verifier fetch a long list.
const MAX_URLS_PER_CERT: usize = 3;

/// Most network requests one [`RevocationFetcher::fetch`] makes: a document's paths need a
/// handful; with the per-request timeout this bounds how long a hostile file full of
/// certificates pointing at slow servers can hold a verification (32 × 5 s).
pub const MAX_REQUESTS_PER_FETCH: u64 = 32;

/// Most cached answers: one per CRL URL and per (responder, certificate); a service validating
/// the documents of one province meets far fewer. The oldest entry goes first when full.
const MAX_CACHE_ENTRIES: usize = 10_000;

/// What the fetcher does.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long an answer without nextUpdate is reused.
    pub max_age: Duration,
    /// Fetch nothing.
    pub offline: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: DEFAULT_TIMEOUT,
            max_age: DEFAULT_MAX_AGE,
            offline: false,
        }
    }
}

/// Counters, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: u64,
    /// Network requests made (successful or not).
    pub requests: u64,
}

#[derive(Clone)]
enum Answer {
    Crl(Crl),
    Ocsp(OcspResponse),
}

struct Entry {
    answer: Answer,
    fresh_until: OffsetDateTime,
    stored_at: OffsetDateTime,
}

/// A fetcher with its cache; share one per process (it is `Sync`).
pub struct RevocationFetcher {
    config: FetchConfig,
    client: HttpClient,
    cache: Mutex<HashMap<String, Entry>>,
    stats: Mutex<CacheStats>,
}

/// What a fetch brought: the data to validate with, and what went wrong on the way.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub data: RevocationData,
    pub notes: Vec<String>,
}

impl RevocationFetcher {
    pub fn new(config: FetchConfig) -> RevocationFetcher {
        RevocationFetcher {
            client: HttpClient::new(config.timeout),
            config,
            cache: Mutex::new(HashMap::new()),
            stats: Mutex::new(CacheStats::default()),
        }
    }

    pub fn stats(&self) -> CacheStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// Revocation data for each (certificate, issuer) pair at `now`: an OCSP response when a
    /// responder gives one for exactly that certificate, else the CRLs of its distribution
    /// points.
    pub fn fetch(&self, pairs: &[(Certificate, Certificate)], now: OffsetDateTime) -> Fetched {
        let mut out = Fetched::default();
        let start = self.stats().requests;
        for (cert, issuer) in pairs {
            if self.stats().requests.saturating_sub(start) >= MAX_REQUESTS_PER_FETCH {
                out.notes.push(format!(
                    "stopped after {MAX_REQUESTS_PER_FETCH} requests; {} not looked up",
                    cert.display_subject()
                ));
                continue;
            }
            let mut covered = false;
            for url in cert.extensions().ocsp_urls.iter().take(MAX_URLS_PER_CERT) {
                match self.ocsp(url, cert, issuer, now) {
                    Ok(r) => {
                        out.data.ocsp.push(r);
                        covered = true;
                        break;
                    }
                    Err(e) => out.notes.push(e.to_string()),
                }
            }
            if covered {
                continue;
            }
            for url in crl_urls(cert).iter().take(MAX_URLS_PER_CERT) {
                match self.crl(url, now) {
                    Ok(c) => {
                        if !out.data.crls.iter().any(|k| k.sha256() == c.sha256()) {
                            out.data.crls.push(c);
                        }
                        break;
                    }
                    Err(e) => out.notes.push(e.to_string()),
                }
            }
        }
        out
    }

    fn cached(&self, key: &str, now: OffsetDateTime) -> Option<Answer> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(key).filter(|e| e.fresh_until > now)?;
        let answer = entry.answer.clone();
        drop(cache);
        if let Ok(mut s) = self.stats.lock() {
            s.hits += 1;
        }
        Some(answer)
    }

    fn store(
        &self,
        key: String,
        answer: Answer,
        next_update: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) {
        let cap = now + self.config.max_age;
        let fresh_until = next_update.unwrap_or(cap);
        if fresh_until <= now {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHE_ENTRIES && !cache.contains_key(&key) {
                let oldest = cache
                    .iter()
                    .min_by_key(|(_, e)| e.stored_at)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    cache.remove(&k);
                }
            }
            cache.insert(
                key,
                Entry {
                    answer,
                    fresh_until,
                    stored_at: now,
                },
            );
        }
    }

    fn request_made(&self) {
        if let Ok(mut s) = self.stats.lock() {
            s.requests += 1;
        }
    }

    fn crl(&self, url: &str, now: OffsetDateTime) -> Result<Crl, FetchError> {
        let key = format!("crl {url}");
        if let Some(Answer::Crl(c)) = self.cached(&key, now) {
            return Ok(c);
        }
        if self.config.offline {
            return Err(FetchError::Offline(url.to_owned()));
        }
        self.request_made();
        let body = self.client.get(url)?;
        let crl = load_crls(&body)
            .ok()
            .and_then(|v| v.into_iter().next())
            .ok_or_else(|| FetchError::BadResponse {
                url: url.to_owned(),
                message: "not a CRL (RFC 5280 §5)".into(),
            })?;
        self.store(key, Answer::Crl(crl.clone()), crl.next_update(), now);
        Ok(crl)
    }

    fn ocsp(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
        now: OffsetDateTime,
    ) -> Result<OcspResponse, FetchError> {
        let key = format!("ocsp {url} {}", cert.sha256_hex());
        if let Some(Answer::Ocsp(r)) = self.cached(&key, now) {
            return Ok(r);
        }
        if self.config.offline {
            return Err(FetchError::Offline(url.to_owned()));
        }
        let bad = |message: String| FetchError::BadResponse {
            url: url.to_owned(),
            message,
        };
        let request = ocsp_request(cert, issuer).map_err(|e| bad(e.to_string()))?;
        self.request_made();
        let (body, _) = self
            .client
            .post(url, "application/ocsp-request", &request)?;
        let response = OcspResponse::from_der(&body).map_err(|e| bad(e.to_string()))?;
        let single = response.single_for(cert, issuer).ok_or_else(|| {
            bad(
                "the OCSP response is not about the certificate asked for (RFC 6960 §4.2.2.3)"
                    .into(),
            )
        })?;
        let next = single.next_update;
        self.store(key, Answer::Ocsp(response.clone()), next, now);
        Ok(response)
    }
}

/// DER OCSPRequest for one certificate, SHA-1 CertID (RFC 6960 §4.1.1; what responders,
/// `openssl ocsp` included, index by).
fn ocsp_request(
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let subject = X509::from_der(cert.der())?;
    let issuer = X509::from_der(issuer.der())?;
    let id = OcspCertId::from_cert(MessageDigest::sha1(), &subject, &issuer)?;
    let mut request = OcspRequest::new()?;
    request.add_id(id)?;
    request.to_der()
}

/// The http(s) URIs of the certificate's CRL distribution points.
fn crl_urls(cert: &Certificate) -> Vec<String> {
    cert.extensions()
        .crl_distribution_points
        .iter()
        .filter_map(|dp| match &dp.name {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|n| match n {
            GeneralName::Uri(u) => Some(u.clone()),
            _ => None,
        })
        .collect()
}

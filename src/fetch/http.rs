//! A small blocking HTTP client with a global timeout and a bounded body, for CRLs, OCSP and
//! time-stamp requests.

use std::time::Duration;

use super::FetchError;

/// Time allowed for one request, connection included: revocation servers answer in well
/// under a second; five seconds tolerates a slow one without stalling a verification long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest response body read. CRLs of national CAs reach a few MB; 16 MB leaves room while
/// bounding memory per fetch (the CRL parser accepts more only from local files).
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// A blocking HTTP client.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl HttpClient {
    pub fn new(timeout: Duration) -> HttpClient {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .tls_config(tls)
            .build()
            .into();
        HttpClient { agent }
    }

    /// GET `url`; the body of a 200 answer.
    pub fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.get_optional(url, MAX_RESPONSE_BYTES)?
            .ok_or_else(|| FetchError::Status {
                url: url.to_owned(),
                status: 404,
            })
    }

    /// GET `url`; the body of a 200 answer of at most `limit` bytes, `None` on 404.
    pub fn get_optional(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, FetchError> {
        check_url(url)?;
        let resp = self.agent.get(url).call().map_err(|e| transport(url, e))?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        body(url, resp, limit).map(Some)
    }

    /// POST `body` as `content_type`; the body and content type of a 200 answer.
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        request: &[u8],
    ) -> Result<(Vec<u8>, Option<String>), FetchError> {
        check_url(url)?;
        let resp = self
            .agent
            .post(url)
            .header("Content-Type", content_type)
            .send(request)
            .map_err(|e| transport(url, e))?;
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((body(url, resp, MAX_RESPONSE_BYTES)?, ct))
    }
}

fn check_url(url: &str) -> Result<(), FetchError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(FetchError::UnsupportedUrl(url.to_owned()))
    }
}

fn transport(url: &str, e: ureq::Error) -> FetchError {
    FetchError::Transport {
        url: url.to_owned(),
        message: e.to_string(),
    }
}

fn body(
    url: &str,
    mut resp: ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<Vec<u8>, FetchError> {
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(FetchError::Status {
            url: url.to_owned(),
            status,
        });
    }
    resp.body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                url: url.to_owned(),
                limit,
            },
            other => transport(url, other),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_fetched() {
        let c = HttpClient::new(Duration::from_millis(100));
        assert!(matches!(
            c.get("ldap://example/cn=CA"),
            Err(FetchError::UnsupportedUrl(_))
        ));
        assert!(matches!(
            c.get("file:///etc/passwd"),
            Err(FetchError::UnsupportedUrl(_))
        ));
    }
}

//! The service configuration: a TOML file (every key documented in `docs/configuration.md`)
//! with environment-variable overrides, or, without a file, the development mode.
//!
//! Parsed at the edge into [`Config`]; [`Config::check_safe`] refuses the configurations that
//! would put demo keys or plain HTTP in front of the public.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::pades::Level;
use crate::pki::RevocationPolicy;

/// Default listen address: loopback, so that nothing is exposed by accident.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./kyso-data";

/// Default largest request body: 50 MB holds the largest scanned decisions with annexes seen in
/// one-stop-shop offices, and bounds the memory one request can take.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 50 * 1024 * 1024;

/// Default number of expensive requests (sign, verify, validate) processed at once. Signing a
/// decision takes about a millisecond of CPU; 64 keeps both cores busy under many clients while
/// bounding memory to 64 bodies (3.2 GB at the 50 MB maximum, far less for real decisions).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

/// Default number of expensive requests waiting for a slot before further ones get 503: a short
/// queue absorbs bursts without hiding overload behind growing latency.
pub const DEFAULT_QUEUE: usize = 128;

/// Default longest wait in the queue before a 503.
pub const DEFAULT_QUEUE_WAIT_SECS: u64 = 10;

/// Default time limit of a whole request: uploading 50 MB on a slow office link and signing it.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 120;

/// Longest signer name (it appears in token scopes and URLs).
pub const MAX_SIGNER_NAME: usize = 64;

/// Largest configuration file: a configuration is a few kilobytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Signer names: lower-case letters, digits and `-`, so they are safe in scopes and logs.
pub fn valid_signer_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_SIGNER_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Why the configuration is not usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    /// A configuration that would be unsafe in production; the message says what to change.
    #[error("refusing to start: {0}")]
    Dangerous(String),
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Where the ledger and the service state live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// SQLite files in the data directory (`ledger.sqlite`, `service.sqlite`).
    Sqlite { ledger: PathBuf },
    /// One PostgreSQL database for the ledger and the service state (replicas share it).
    Postgres { url: String },
}

/// One signing identity (an agency's key and certificate).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerConfig {
    /// Name used in `sign:<name>` scopes and the `signer` parameter.
    pub name: String,
    /// PEM file: the signer certificate first, then optionally its CA certificates.
    pub certificate: PathBuf,
    /// Further CA certificate files to embed.
    #[serde(default)]
    pub chain: Vec<PathBuf>,
    /// Unencrypted PKCS#8 PEM private key file.
    pub key: PathBuf,
    /// Agency name for the ledger and the visible block; default the certificate's O.
    pub agency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageFile {
    sqlite_path: Option<PathBuf>,
    postgres_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    origin: Option<String>,
    key_file: Option<PathBuf>,
    published_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFile {
    #[serde(default)]
    anchors: Vec<PathBuf>,
    #[serde(default)]
    crls: Vec<PathBuf>,
    #[serde(default)]
    ocsp: Vec<PathBuf>,
    revocation: Option<RevocationPolicy>,
    offline: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimestampingFile {
    certificate: Option<PathBuf>,
    #[serde(default)]
    chain: Vec<PathBuf>,
    key: Option<PathBuf>,
    policy: Option<String>,
    tsa_url: Option<String>,
    default_level: Option<Level>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_body_bytes: Option<u64>,
    max_in_flight: Option<usize>,
    queue: Option<usize>,
    queue_wait_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    public_base_url: Option<String>,
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    log_format: Option<LogFormat>,
    #[serde(default)]
    storage: StorageFile,
    #[serde(default)]
    ledger: LedgerFile,
    #[serde(default)]
    signers: Vec<SignerConfig>,
    #[serde(default)]
    trust: TrustFile,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    timestamping: TimestampingFile,
}

/// Work limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: u64,
    pub max_in_flight: usize,
    pub queue: usize,
    pub queue_wait: Duration,
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            queue: DEFAULT_QUEUE,
            queue_wait: Duration::from_secs(DEFAULT_QUEUE_WAIT_SECS),
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
        }
    }
}

/// Trust anchors and revocation data for verification.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    pub anchors: Vec<PathBuf>,
    pub crls: Vec<PathBuf>,
    pub ocsp: Vec<PathBuf>,
    pub revocation: RevocationPolicy,
    /// Use only configured and embedded revocation data; fetch nothing when signing at B-LT.
    pub offline: bool,
}

/// Where signature and document timestamps come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampSource {
    /// None: signing above B-B is refused, `/tsa` answers 404.
    None,
    /// The built-in authority (also served at `POST /tsa`).
    BuiltIn {
        /// PEM: the TSA certificate (critical timeStamping EKU), optionally followed by its CAs.
        certificate: PathBuf,
        chain: Vec<PathBuf>,
        /// Unencrypted PEM private key of the TSA certificate.
        key: PathBuf,
        /// TSA policy OID written in the tokens.
        policy: String,
    },
    /// An outside RFC 3161 authority over HTTP.
    External { url: String },
}

/// Time-stamping and the signing level of `POST /v1/sign`.
#[derive(Debug, Clone)]
pub struct TimestampingConfig {
    pub source: TimestampSource,
    /// The level of a request that names none.
    pub default_level: Level,
}

/// The ledger's identity and key.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// The origin line used when the log is created (fixed for ever afterwards).
    pub origin: String,
    pub key_file: PathBuf,
    pub published_file: PathBuf,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// True when no file was given: demo PKI, development token.
    pub development: bool,
    pub listen: SocketAddr,
    /// Base of the URLs printed in QR codes, without a trailing slash.
    pub public_base_url: String,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub storage: Storage,
    pub ledger: LedgerConfig,
    /// Empty in development mode (the demo signer is created at start).
    pub signers: Vec<SignerConfig>,
    pub trust: TrustConfig,
    pub limits: Limits,
    /// In development mode the built-in authority is set from the demo PKI at start.
    pub timestamping: TimestampingConfig,
}

/// The ledger origin of a development log.
pub const DEVELOPMENT_ORIGIN: &str = "kyso.localhost/development";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_listen(text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse().map_err(|_| {
        ConfigError::Invalid(format!(
            "listen address {text:?} is not ADDRESS:PORT (e.g. 127.0.0.1:8080)"
        ))
    })
}

fn check_base_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => Ok(trimmed.to_owned()),
        _ => Err(ConfigError::Invalid(format!(
            "public_base_url {url:?} must be an http:// or https:// URL without query"
        ))),
    }
}

fn positive<T: PartialOrd + Default + Copy>(
    v: Option<T>,
    default: T,
    what: &str,
) -> Result<T, ConfigError> {
    match v {
        None => Ok(default),
        Some(x) if x > T::default() => Ok(x),
        Some(_) => Err(ConfigError::Invalid(format!(
            "limits.{what} must be above 0"
        ))),
    }
}

impl Config {
    /// Reads the configuration: the file when given (else development mode), then the
    /// environment overrides `KYSO_LISTEN`, `KYSO_PUBLIC_BASE_URL`, `KYSO_DATA`,
    /// `KYSO_DATABASE_URL`, `KYSO_LOG_FORMAT`, `KYSO_TSA_URL` and `KYSO_DEFAULT_LEVEL`.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let parsed = match file {
            Some(path) => Some(read_file(path)?),
            None => None,
        };
        let development = parsed.is_none();
        let f = parsed.unwrap_or_default();
        let listen = parse_listen(
            &env("KYSO_LISTEN")
                .or(f.listen.clone())
                .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
        )?;
        let data_dir = env("KYSO_DATA")
            .map(PathBuf::from)
            .or(f.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let public_base_url = match env("KYSO_PUBLIC_BASE_URL").or(f.public_base_url.clone()) {
            Some(u) => check_base_url(&u)?,
            // Development: the base follows the listen address (fixed up once bound, for port 0).
            None if development => format!("http://{listen}"),
            None => {
                return Err(ConfigError::Invalid(
                    "public_base_url is required: the URL citizens reach, printed in QR codes"
                        .into(),
                ))
            }
        };
        let log_format = match env("KYSO_LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "KYSO_LOG_FORMAT={other:?}: use text or json"
                )))
            }
            None => f.log_format.unwrap_or_default(),
        };
        let storage = match env("KYSO_DATABASE_URL").or(f.storage.postgres_url.clone()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Storage::Postgres { url }
            }
            Some(_) => {
                return Err(ConfigError::Invalid(
                    "storage.postgres_url must start with postgres:// or postgresql://".into(),
                ))
            }
            None => Storage::Sqlite {
                ledger: f
                    .storage
                    .sqlite_path
                    .clone()
                    .unwrap_or_else(|| data_dir.join("ledger.sqlite")),
            },
        };
        let origin = match (&f.ledger.origin, development) {
            (Some(o), _) => o.clone(),
            (None, true) => DEVELOPMENT_ORIGIN.to_owned(),
            (None, false) => return Err(ConfigError::Invalid(
                "ledger.origin is required (e.g. \"ledger.example.gov.vn/kyso\"): it names the \
                     log for ever"
                    .into(),
            )),
        };
        let ledger = LedgerConfig {
            origin,
            key_file: f
                .ledger
                .key_file
                .clone()
                .unwrap_or_else(|| data_dir.join("log.key")),
            published_file: f
                .ledger
                .published_file
                .clone()
                .unwrap_or_else(|| data_dir.join("published.sqlite")),
        };
        if !development && f.signers.is_empty() {
            return Err(ConfigError::Invalid(
                "at least one [[signers]] entry is required".into(),
            ));
        }
        for (i, s) in f.signers.iter().enumerate() {
            if !valid_signer_name(&s.name) {
                return Err(ConfigError::Invalid(format!(
                    "signers[{i}].name {:?}: use 1 to {MAX_SIGNER_NAME} of a-z, 0-9 and -",
                    s.name
                )));
            }
            if f.signers.iter().take(i).any(|o| o.name == s.name) {
                return Err(ConfigError::Invalid(format!(
                    "two signers are named {:?}",
                    s.name
                )));
            }
        }
        if !development && f.trust.anchors.is_empty() {
            return Err(ConfigError::Invalid(
                "trust.anchors is empty: configure the root certificates verification trusts"
                    .into(),
            ));
        }
        let l = &f.limits;
        let limits = Limits {
            max_body_bytes: positive(l.max_body_bytes, DEFAULT_MAX_BODY_BYTES, "max_body_bytes")?,
            max_in_flight: positive(l.max_in_flight, DEFAULT_MAX_IN_FLIGHT, "max_in_flight")?,
            queue: l.queue.unwrap_or(DEFAULT_QUEUE),
            queue_wait: Duration::from_secs(positive(
                l.queue_wait_seconds,
                DEFAULT_QUEUE_WAIT_SECS,
                "queue_wait_seconds",
            )?),
            request_timeout: Duration::from_secs(positive(
                l.request_timeout_seconds,
                DEFAULT_REQUEST_TIMEOUT_SECS,
                "request_timeout_seconds",
            )?),
        };
        let timestamping = timestamping(&f.timestamping, development)?;
        Ok(Config {
            development,
            listen,
            public_base_url,
            data_dir,
            log_format,
            storage,
            ledger,
            signers: f.signers,
            trust: TrustConfig {
                anchors: f.trust.anchors,
                crls: f.trust.crls,
                ocsp: f.trust.ocsp,
                revocation: f.trust.revocation.unwrap_or_default(),
                offline: f.trust.offline.unwrap_or(false),
            },
            limits,
            timestamping,
        })
    }

    /// Refuses configurations that would be unsafe to expose: demo keys outside development on
    /// loopback, and a plain-HTTP public URL while listening on a non-loopback address.
    /// `demo_material` says whether any signer certificate or trust anchor is a demo one.
    pub fn check_safe(&self, demo_material: Option<&str>) -> Result<(), ConfigError> {
        let loopback = self.listen.ip().is_loopback();
        if self.development && !loopback {
            return Err(ConfigError::Dangerous(format!(
                "development mode signs with demo keys and must listen on a loopback address, not \
                 {}: set KYSO_LISTEN=127.0.0.1:PORT, or give a configuration file with the \
                 agency's real keys (kyso serve --config FILE)",
                self.listen
            )));
        }
        if !self.development {
            if let Some(what) = demo_material {
                return Err(ConfigError::Dangerous(format!(
                    "{what} is a demo certificate (its name says DEMO): configure the agency's \
                     real certificate and key, and the real trust anchors"
                )));
            }
        }
        if !loopback && self.public_base_url.starts_with("http://") {
            return Err(ConfigError::Dangerous(format!(
                "public_base_url {} is plain HTTP while listening on {}: citizens would get \
                 unauthenticated pages. Set public_base_url to an https:// URL (TLS terminated \
                 by a proxy in front of kyso), or listen on 127.0.0.1",
                self.public_base_url, self.listen
            )));
        }
        Ok(())
    }
}

/// The `[timestamping]` section with its overrides. Development mode defaults to B-T with the
/// demo authority (filled in at start, when the demo PKI exists).
fn timestamping(
    t: &TimestampingFile,
    development: bool,
) -> Result<TimestampingConfig, ConfigError> {
    let default_level = match env("KYSO_DEFAULT_LEVEL") {
        Some(v) => <Level as clap::ValueEnum>::from_str(&v, false).map_err(|_| {
            ConfigError::Invalid(format!(
                "KYSO_DEFAULT_LEVEL={v:?}: use B-B, B-T, B-LT or B-LTA"
            ))
        })?,
        None => t
            .default_level
            .unwrap_or(if development { Level::BT } else { Level::BB }),
    };
    let url = env("KYSO_TSA_URL").or(t.tsa_url.clone());
    let source =
        match (url, &t.certificate, &t.key) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => return Err(ConfigError::Invalid(
                "timestamping: give either tsa_url or the built-in authority's certificate and \
                 key, not both"
                    .into(),
            )),
            (Some(url), None, None) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::Invalid(format!(
                        "timestamping.tsa_url {url:?} must be an http:// or https:// URL"
                    )));
                }
                TimestampSource::External { url }
            }
            (None, Some(certificate), Some(key)) => TimestampSource::BuiltIn {
                certificate: certificate.clone(),
                chain: t.chain.clone(),
                key: key.clone(),
                policy: t
                    .policy
                    .clone()
                    .unwrap_or_else(|| crate::timestamping::DEFAULT_POLICY.to_owned()),
            },
            (None, None, None) => TimestampSource::None,
            (None, _, _) => {
                return Err(ConfigError::Invalid(
                    "timestamping: the built-in authority needs both certificate and key".into(),
                ))
            }
        };
    if source == TimestampSource::None && default_level >= Level::BT && !development {
        return Err(ConfigError::Invalid(format!(
            "timestamping.default_level = {:?} needs a time-stamp authority: configure \
             timestamping.tsa_url or timestamping.certificate and key",
            default_level.name()
        )));
    }
    Ok(TimestampingConfig {
        source,
        default_level,
    })
}

fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let err = |message: String| ConfigError::File {
        path: path.display().to_string(),
        message,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .len();
    if len > MAX_CONFIG_BYTES {
        return Err(err(format!("larger than {MAX_CONFIG_BYTES} bytes")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let mut parsed: ConfigFile = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    // Relative paths in the file are relative to the file, not to the working directory.
    let base = path.parent().unwrap_or(Path::new("."));
    let fix = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    if let Some(p) = parsed.data_dir.as_mut() {
        fix(p);
    }
    if let Some(p) = parsed.storage.sqlite_path.as_mut() {
        fix(p);
    }
    for p in [
        &mut parsed.ledger.key_file,
        &mut parsed.ledger.published_file,
    ]
    .into_iter()
    .flatten()
    {
        fix(p);
    }
    for p in [
        &mut parsed.timestamping.certificate,
        &mut parsed.timestamping.key,
    ]
    .into_iter()
    .flatten()
    {
        fix(p);
    }
    parsed.timestamping.chain.iter_mut().for_each(fix);
    for s in &mut parsed.signers {
        fix(&mut s.certificate);
        fix(&mut s.key);
        s.chain.iter_mut().for_each(fix);
    }
    for p in parsed
        .trust
        .anchors
        .iter_mut()
        .chain(parsed.trust.crls.iter_mut())
        .chain(parsed.trust.ocsp.iter_mut())
    {
        fix(p);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_names() {
        assert!(valid_signer_name("ubnd-dak-lak"));
        assert!(!valid_signer_name(""));
        assert!(!valid_signer_name("UBND"));
        assert!(!valid_signer_name("a:b"));
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://x.gov.vn/").unwrap(),
            "https://x.gov.vn"
        );
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("https://").is_err());
    }
}

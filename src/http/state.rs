//! The application state shared by every request, and how it is built at start: the ledger,
//! the signers, the trust configuration, the service state store, metrics and limits.
//!
//! Building it is blocking work (files, databases) done before the async runtime starts.

use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use openssl::pkey::PKey;
use sha2::{Digest, Sha256};

use super::config::{
    Config, ConfigError, Limits, SignerConfig, Storage, TimestampSource, TrustConfig,
};
use super::limits::Gate;
use super::metrics::Metrics;
use super::service_store::{Scope, ServiceStore};
use crate::cli::cert::{certificates as load_trust_file, trust_and_revocation, Unreadable};
use crate::cli::keys::KEYS_SUBDIR;
use crate::cli::ledger::load_or_create_log_key;
use crate::cli::sign::{certificates, read_small};
use crate::cms::{PKeySigner, RawSigner};
use crate::fetch::{FetchConfig, HttpTimestamper, RevocationFetcher, DEFAULT_TIMEOUT};
use crate::keys::{KeyState, LoadedSigner, Registry};
use crate::ledger::log::{Ledger, LedgerOptions, LogReader};
use crate::ledger::postgres::PostgresConnect;
use crate::ledger::sqlite::{SqliteConnect, SqlitePublished};
use crate::ledger::store::Connect;
use crate::ledger::{Hash, LedgerError};
use crate::pades::{Level, Timestamper};
use crate::pki::{Certificate, RevocationData, RevocationPolicy, TrustStore};
use crate::timestamping::{LocalAuthority, DEFAULT_POLICY};

/// Name of the development signer (the demo agency certificate).
pub const DEVELOPMENT_SIGNER: &str = "demo-agency";

/// Label of the development token; the token of an earlier start is revoked at each start.
pub const DEVELOPMENT_TOKEN_LABEL: &str = "development";

/// Subdirectory of the data directory holding the demo PKI in development mode.
pub const DEMO_PKI_DIR: &str = "demo-pki";

/// Read connections to the ledger store, used in turn by the read routes. Each has its own
/// connection and tile cache, so lookups and tiles are served in parallel on the blocking pool
/// (SQLite in WAL mode and PostgreSQL both serve concurrent readers); four keep two cores busy
/// without holding many database connections per replica.
pub const READ_CONNECTIONS: usize = 4;

/// The key a signer signs with, and its certificate. Replaced as a whole on rotation, so a
/// request that took one sees a consistent key, certificate and chain.
pub struct SignerKey {
    /// The key registry id, for keys from `<data dir>/keys/`; `None` for a configured file.
    pub key_id: Option<String>,
    pub key: Box<dyn RawSigner + Send + Sync>,
    /// The signer certificate (DER).
    pub certificate: Vec<u8>,
    pub parsed: Certificate,
    /// CA certificates embedded with the signature (DER).
    pub chain: Vec<Vec<u8>>,
    /// SHA-256 of the certificate DER, recorded in the ledger.
    pub cert_sha256: Hash,
}

/// One signing identity.
pub struct Signer {
    pub name: String,
    /// Agency recorded in the ledger.
    pub agency: String,
    active: RwLock<Arc<SignerKey>>,
}

impl Signer {
    /// A signer with its first active key.
    pub fn new(name: String, agency: String, key: SignerKey) -> Signer {
        Signer {
            name,
            agency,
            active: RwLock::new(Arc::new(key)),
        }
    }

    /// The active key at this instant; the caller signs a whole document with it.
    pub fn key(&self) -> Arc<SignerKey> {
        match self.active.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Makes `key` the active key: requests that start afterwards use it, requests already
    /// running finish with the key they took (rotation without a failed request).
    pub fn rotate(&self, key: SignerKey) {
        let next = Arc::new(key);
        match self.active.write() {
            Ok(mut k) => *k = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// Everything requests share. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The shared state itself.
pub struct Inner {
    /// Base of verification URLs, without a trailing slash.
    pub public_base_url: String,
    pub limits: Limits,
    /// The ledger, for appends.
    pub ledger: Ledger,
    readers: Vec<LogReader>,
    next_reader: AtomicUsize,
    /// `<origin>+<key ID hex>`: printed in every visible block.
    pub ledger_key_id: String,
    /// The log's C2SP verifier key string.
    pub ledger_verifier_key: String,
    pub signers: Vec<Signer>,
    /// The font of the visible blocks, loaded once at start.
    pub font: crate::pdf::font::FontFace,
    /// Trust anchors and revocation data: configured, plus those added by administrators.
    pub trust: super::trust::TrustState,
    pub revocation_policy: RevocationPolicy,
    pub store: ServiceStore,
    /// The data directory (key registry in its `keys/`).
    pub data_dir: std::path::PathBuf,
    /// Serializes admin changes to keys and documents within this process.
    pub admin_lock: std::sync::Mutex<()>,
    pub metrics: Metrics,
    pub gate: Gate,
    /// The built-in time-stamp authority served at `POST /tsa`, when configured.
    pub tsa: Option<super::tsa::TsaEndpoint>,
    /// What signature and document timestamps come from: the built-in authority in process,
    /// or an outside one over HTTP; `None` limits signing to B-B.
    pub timestamper: Option<Arc<dyn Timestamper + Send + Sync>>,
    /// The level of a signing request that names none.
    pub default_level: Level,
    /// Fetches revocation data for B-LT and B-LTA; `None` in offline mode.
    pub fetcher: Option<RevocationFetcher>,
}

/// A started state and, in development mode, the token printed once.
pub struct Bootstrapped {
    pub state: AppState,
    pub development_token: Option<String>,
}

fn cfg(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

fn is_demo(cert: &Certificate) -> bool {
    cert.display_subject().contains("DEMO")
}

fn load_signer(c: &SignerConfig) -> Result<Signer, ConfigError> {
    let pem = read_small(&c.key).map_err(cfg)?;
    let key = PKey::private_key_from_pem(&pem).map_err(|e| {
        cfg(format!(
            "{}: not an unencrypted PEM private key ({e})",
            c.key.display()
        ))
    })?;
    let key: Box<dyn RawSigner + Send + Sync> = Box::new(
        PKeySigner::with_default_algorithm(key)
            .map_err(|e| cfg(format!("{}: {e}", c.key.display())))?,
    );
    let mut file = certificates(&c.certificate).map_err(cfg)?.into_iter();
    let certificate = file
        .next()
        .ok_or_else(|| cfg(format!("{}: no certificate", c.certificate.display())))?;
    let mut chain: Vec<Vec<u8>> = file.collect();
    for p in &c.chain {
        chain.extend(certificates(p).map_err(cfg)?);
    }
    let parsed = Certificate::from_der(&certificate)
        .map_err(|e| cfg(format!("{}: {e}", c.certificate.display())))?;
    let public = key_public(&pem);
    let matches = match (parsed.public_key(), public.as_ref()) {
        (Some(cert_key), Some(key)) => cert_key.public_eq(key),
        _ => false,
    };
    if !matches {
        return Err(cfg(format!(
            "signer {}: the certificate {} does not match the key {}",
            c.name,
            c.certificate.display(),
            c.key.display()
        )));
    }
    let agency = c.agency.clone().unwrap_or_else(|| agency_of(&parsed));
    Ok(Signer::new(
        c.name.clone(),
        agency,
        SignerKey {
            key_id: None,
            key,
            cert_sha256: Sha256::digest(&certificate).into(),
            certificate,
            parsed,
            chain,
        },
    ))
}

/// The agency a certificate names (its organization), or its subject.
fn agency_of(parsed: &Certificate) -> String {
    crate::pades::appearance::SignatureAppearance::for_certificate(
        parsed,
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .agency
    .unwrap_or_else(|| parsed.display_subject())
}

/// A registry key as a signer key.
pub fn registry_key(loaded: LoadedSigner) -> Result<SignerKey, ConfigError> {
    let parsed = Certificate::from_der(&loaded.certificate)
        .map_err(|e| cfg(format!("key {}: {e}", loaded.key_id)))?;
    Ok(SignerKey {
        key_id: Some(loaded.key_id),
        key: loaded.signer,
        cert_sha256: Sha256::digest(&loaded.certificate).into(),
        certificate: loaded.certificate,
        parsed,
        chain: loaded.chain,
    })
}

/// Applies the active keys of the key registry in `<data dir>/keys/`: a signer the
/// configuration names takes its registry key (the rotated one); a signer known only to the
/// registry is added.
fn apply_registry(data_dir: &Path, signers: &mut Vec<Signer>) -> Result<(), ConfigError> {
    let dir = data_dir.join(KEYS_SUBDIR);
    if !dir.join(crate::keys::REGISTRY_FILE).is_file() {
        return Ok(());
    }
    let registry = Registry::open(&dir).map_err(|e| cfg(e.to_string()))?;
    for record in registry.records() {
        if record.state != KeyState::Active {
            continue;
        }
        if !super::config::valid_signer_name(&record.signer) {
            return Err(cfg(format!(
                "key {}: signer name {:?} is not a valid signer name",
                record.id, record.signer
            )));
        }
        let loaded = registry
            .load_signer(&record.id)
            .map_err(|e| cfg(format!("key {}: {e}", record.id)))?;
        let key = registry_key(loaded)?;
        match signers.iter().find(|s| s.name == record.signer) {
            Some(s) => s.rotate(key),
            None => {
                let agency = agency_of(&key.parsed);
                signers.push(Signer::new(record.signer.clone(), agency, key));
            }
        }
    }
    Ok(())
}

/// The public half of a PEM private key.
fn key_public(pem: &[u8]) -> Option<PKey<openssl::pkey::Public>> {
    let key = PKey::private_key_from_pem(pem).ok()?;
    PKey::public_key_from_der(&key.public_key_to_der().ok()?).ok()
}

/// In development mode: the demo PKI in the data directory (generated on first start), the
/// demo agency as the only signer and the demo root as the only anchor.
fn development_material(config: &mut Config) -> Result<(), ConfigError> {
    let dir = config.data_dir.join(DEMO_PKI_DIR);
    if !dir.join("agency-signer.pem").is_file() {
        let pki = crate::pki::demo::generate(
            time::OffsetDateTime::now_utc(),
            &mut crate::pki::demo::OpenSslEntropy,
        )
        .map_err(|e| cfg(format!("demo PKI: {e}")))?;
        crate::cli::pki::write_demo(&pki, &dir).map_err(cfg)?;
    }
    config.signers = vec![SignerConfig {
        name: DEVELOPMENT_SIGNER.to_owned(),
        certificate: dir.join("agency-signer.pem"),
        chain: vec![dir.join("issuing-ca.pem")],
        key: dir.join("agency-signer.key.pem"),
        agency: None,
    }];
    config.trust = TrustConfig {
        anchors: vec![dir.join("root-ca.pem")],
        crls: vec![dir.join("root-ca.crl.pem"), dir.join("issuing-ca.crl.pem")],
        ocsp: Vec::new(),
        revocation: config.trust.revocation,
        // The demo certificates name no reachable CRL or OCSP server; the demo CRLs are given.
        offline: true,
    };
    if config.timestamping.source == TimestampSource::None {
        config.timestamping.source = TimestampSource::BuiltIn {
            certificate: dir.join("tsa.pem"),
            chain: vec![dir.join("issuing-ca.pem")],
            key: dir.join("tsa.key.pem"),
            policy: DEFAULT_POLICY.to_owned(),
        };
    }
    Ok(())
}

/// The built-in authority (when configured) and the timestamper signing uses.
#[allow(clippy::type_complexity)]
fn timestamping(
    source: &TimestampSource,
) -> Result<
    (
        Option<Arc<LocalAuthority>>,
        Option<Arc<dyn Timestamper + Send + Sync>>,
    ),
    ConfigError,
> {
    match source {
        TimestampSource::None => Ok((None, None)),
        TimestampSource::External { url } => Ok((
            None,
            Some(Arc::new(HttpTimestamper::new(url, DEFAULT_TIMEOUT))),
        )),
        TimestampSource::BuiltIn {
            certificate,
            chain,
            key,
            policy,
        } => {
            let mut chain_pem = Vec::new();
            for p in chain {
                chain_pem.extend(read_small(p).map_err(cfg)?);
                chain_pem.push(b'\n');
            }
            let authority = LocalAuthority::from_pem(
                &read_small(certificate).map_err(cfg)?,
                &chain_pem,
                &read_small(key).map_err(cfg)?,
                policy,
            )
            .map_err(|e| {
                cfg(format!(
                    "timestamping: the authority {} / {}: {e}",
                    certificate.display(),
                    key.display()
                ))
            })?;
            let authority = Arc::new(authority);
            let timestamper: Arc<dyn Timestamper + Send + Sync> = authority.clone();
            Ok((Some(authority), Some(timestamper)))
        }
    }
}

fn open_ledger(config: &Config) -> Result<(Ledger, Vec<LogReader>), ConfigError> {
    let connect: Box<dyn Connect> = match &config.storage {
        Storage::Sqlite { ledger } => Box::new(SqliteConnect::new(ledger.clone())),
        Storage::Postgres { url } => Box::new(PostgresConnect::new(url.clone())),
    };
    let lc = &config.ledger;
    if let Some(parent) = lc.published_file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| cfg(format!("{}: {e}", parent.display())))?;
    }
    let published = || -> Result<Box<SqlitePublished>, ConfigError> {
        Ok(Box::new(
            SqlitePublished::open(&lc.published_file)
                .map_err(|e| cfg(format!("{}: {e}", lc.published_file.display())))?,
        ))
    };
    let has_log = connect
        .connect()
        .and_then(|mut s| s.identity())
        .map_err(|e| cfg(format!("ledger store: {e}")))?
        .is_some();
    if !has_log && !lc.key_file.exists() {
        tracing::info!(origin = %lc.origin, "creating the ledger and its key");
    } else if has_log && !lc.key_file.exists() {
        return Err(cfg(format!(
            "the ledger exists but its key file {} is missing: configure ledger.key_file",
            lc.key_file.display()
        )));
    }
    let key = load_or_create_log_key(&lc.key_file, &lc.origin).map_err(cfg)?;
    let options = LedgerOptions::default();
    let opened = if has_log {
        Ledger::open(connect.as_ref(), published()?, key, None, options)
    } else {
        match Ledger::create(
            connect.as_ref(),
            published()?,
            &lc.origin,
            key.clone(),
            options,
        ) {
            // Another replica created it a moment ago.
            Err(LedgerError::LogExists) => {
                Ledger::open(connect.as_ref(), published()?, key, None, options)
            }
            other => other,
        }
    };
    let ledger = opened.map_err(|e| cfg(format!("ledger: {e}")))?;
    let readers = (0..READ_CONNECTIONS)
        .map(|_| LogReader::open(connect.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cfg(format!("ledger: {e}")))?;
    Ok((ledger, readers))
}

fn load_trust(t: &TrustConfig) -> Result<(TrustStore, RevocationData), ConfigError> {
    trust_and_revocation(&t.anchors, &t.crls, &t.ocsp).map_err(|Unreadable(m)| cfg(m))
}

/// The first demo certificate among the signers, anchors and the built-in time-stamp
/// authority, named for the refusal message.
fn demo_material(
    signers: &[Signer],
    anchors: &[std::path::PathBuf],
    timestamping: &TimestampSource,
) -> Result<Option<String>, ConfigError> {
    if let Some(s) = signers.iter().find(|s| is_demo(&s.key().parsed)) {
        return Ok(Some(format!("the certificate of signer {}", s.name)));
    }
    for path in anchors {
        let certs = load_trust_file(path).map_err(|Unreadable(m)| cfg(m))?;
        if certs.iter().any(is_demo) {
            return Ok(Some(format!("the trust anchor {}", path.display())));
        }
    }
    if let TimestampSource::BuiltIn { certificate, .. } = timestamping {
        let certs = load_trust_file(certificate).map_err(|Unreadable(m)| cfg(m))?;
        if certs.first().is_some_and(is_demo) {
            return Ok(Some(format!(
                "the time-stamp authority certificate {}",
                certificate.display()
            )));
        }
    }
    Ok(None)
}

/// Builds the state from a loaded configuration; `public_base_url` is final (in development
/// mode it names the bound port).
pub fn bootstrap(mut config: Config) -> Result<Bootstrapped, ConfigError> {
    config.check_safe(None)?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| cfg(format!("{}: {e}", config.data_dir.display())))?;
    if config.development {
        development_material(&mut config)?;
    }
    let mut signers = config
        .signers
        .iter()
        .map(load_signer)
        .collect::<Result<Vec<_>, _>>()?;
    apply_registry(&config.data_dir, &mut signers)?;
    config.check_safe(
        demo_material(&signers, &config.trust.anchors, &config.timestamping.source)?.as_deref(),
    )?;
    let (anchors, revocation) = load_trust(&config.trust)?;
    let trust = super::trust::with_added(&config.data_dir, anchors, revocation).map_err(cfg)?;
    // Every issued document has a visible block: without a font, refuse to start rather than
    // fail every signing.
    let font = crate::pades::fonts::FontChoice::default()
        .load()
        .map_err(|e| cfg(e.to_string()))?;
    let store = match &config.storage {
        Storage::Sqlite { .. } => {
            ServiceStore::open_sqlite(&config.data_dir.join("service.sqlite"))
        }
        Storage::Postgres { url } => ServiceStore::open_postgres(url),
    }
    .map_err(|e| cfg(e.to_string()))?;
    let (ledger, readers) = open_ledger(&config)?;
    let verifier = ledger.verifier().to_key_string();
    write_verifier_key(&config.data_dir, &verifier)?;
    let ledger_key_id = verifier
        .rsplit_once('+')
        .map(|(head, _)| head.to_owned())
        .unwrap_or_else(|| verifier.clone());
    let development_token = if config.development {
        store
            .revoke_tokens_labelled(DEVELOPMENT_TOKEN_LABEL)
            .map_err(|e| cfg(e.to_string()))?;
        let t = store
            .create_token(
                DEVELOPMENT_TOKEN_LABEL,
                &[Scope::Sign(DEVELOPMENT_SIGNER.to_owned())],
            )
            .map_err(|e| cfg(e.to_string()))?;
        Some(t.secret)
    } else {
        None
    };
    let (authority, timestamper) = timestamping(&config.timestamping.source)?;
    let fetcher = (!config.trust.offline).then(|| RevocationFetcher::new(FetchConfig::default()));
    let limits = config.limits;
    let inner = Inner {
        public_base_url: config.public_base_url.clone(),
        limits,
        ledger,
        readers,
        next_reader: AtomicUsize::new(0),
        ledger_key_id,
        ledger_verifier_key: verifier,
        signers,
        font,
        trust: super::trust::TrustState::new(trust),
        revocation_policy: config.trust.revocation,
        store,
        data_dir: config.data_dir.clone(),
        admin_lock: std::sync::Mutex::new(()),
        metrics: Metrics::default(),
        gate: Gate::new(limits.max_in_flight, limits.queue, limits.queue_wait),
        tsa: authority.map(super::tsa::TsaEndpoint::new),
        timestamper,
        default_level: config.timestamping.default_level,
        fetcher,
    };
    Ok(Bootstrapped {
        state: AppState(Arc::new(inner)),
        development_token,
    })
}

/// `log.vkey` in the data directory, for auditors and `kyso ledger audit --key`.
fn write_verifier_key(dir: &Path, vkey: &str) -> Result<(), ConfigError> {
    let path = dir.join("log.vkey");
    std::fs::write(&path, format!("{vkey}\n")).map_err(|e| cfg(format!("{}: {e}", path.display())))
}

impl Inner {
    /// A read connection to the ledger (in turn).
    pub fn reader(&self) -> &LogReader {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len().max(1);
        self.readers.get(i).unwrap_or(&self.ledger)
    }

    /// The signer a request names, or the only one when it names none.
    pub fn signer(&self, name: Option<&str>) -> Result<&Signer, super::error::ApiError> {
        use super::error::ApiError;
        match name {
            Some(n) => self
                .signers
                .iter()
                .find(|s| s.name == n)
                .ok_or_else(|| ApiError::BadRequest(format!("no signer is named {n:?}"))),
            None => match self.signers.as_slice() {
                [only] => Ok(only),
                _ => Err(ApiError::BadRequest(
                    "several signers are configured: name one with the signer parameter".into(),
                )),
            },
        }
    }

    /// The verification URL of a document (the QR code's content).
    pub fn verification_url(&self, id: &dyn std::fmt::Display) -> String {
        format!("{}/v/{id}", self.public_base_url)
    }
}

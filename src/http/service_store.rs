//! The service's own state, apart from the ledger: API tokens and `Idempotency-Key` records.
//!
//! It lives where the deployment keeps its data: a SQLite file in the data directory, or tables
//! in the configured PostgreSQL database so that every replica sees the same tokens and the same
//! idempotency records. All methods block: call them from the blocking pool.
//!
//! Tokens: a secret of 256 random bits, shown once at creation; only its SHA-256 is stored, and
//! the comparison with a presented token's hash is done in constant time.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use data_encoding::BASE32_NOPAD;
use rusqlite::OptionalExtension;
use sha2::{Digest, Sha256};

/// Random bytes of a token secret: 256 bits, beyond any guessing.
pub const TOKEN_SECRET_BYTES: usize = 32;

/// Prefix of every token secret, so a leaked one is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "kyso_";

/// Longest token label: a short human description, not a document.
pub const MAX_TOKEN_LABEL: usize = 200;

/// How long SQLite waits for another process's write lock before failing: the CLI and the
/// service share the data directory, and their transactions last milliseconds.
const SQLITE_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why the state store could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceStoreError {
    #[error("service state database: {0}")]
    Database(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for ServiceStoreError {
    fn from(e: rusqlite::Error) -> Self {
        ServiceStoreError::Database(e.to_string())
    }
}

impl From<postgres::Error> for ServiceStoreError {
    fn from(e: postgres::Error) -> Self {
        ServiceStoreError::Database(e.to_string())
    }
}

impl From<ServiceStoreError> for super::error::ApiError {
    fn from(e: ServiceStoreError) -> Self {
        match e {
            ServiceStoreError::Database(msg) => {
                tracing::error!(error = %msg, "service state store");
                super::error::ApiError::Unavailable(
                    "the service state database is unavailable; retry later".into(),
                )
            }
            ServiceStoreError::Invalid(msg) => super::error::ApiError::BadRequest(msg),
        }
    }
}

type Result<T> = std::result::Result<T, ServiceStoreError>;

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Sign with the named signer.
    Sign(String),
    /// Everything under `/v1/admin/`.
    Admin,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Sign(s) => write!(f, "sign:{s}"),
            Scope::Admin => f.write_str("admin"),
        }
    }
}

impl FromStr for Scope {
    type Err = ServiceStoreError;

    fn from_str(s: &str) -> Result<Scope> {
        match s.split_once(':') {
            None if s == "admin" => Ok(Scope::Admin),
            Some(("sign", name)) if super::config::valid_signer_name(name) => {
                Ok(Scope::Sign(name.to_owned()))
            }
            _ => Err(ServiceStoreError::Invalid(format!(
                "unknown scope {s:?}: use admin or sign:<signer>"
            ))),
        }
    }
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// Public identifier (for listing and revoking).
    pub id: String,
    pub label: String,
    #[serde(serialize_with = "scopes_text")]
    pub scopes: Vec<Scope>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once revoked.
    pub revoked_at: Option<i64>,
}

fn scopes_text<S: serde::Serializer>(
    scopes: &[Scope],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(scopes.iter().map(ToString::to_string))
}

impl TokenInfo {
    pub fn allows(&self, scope: &Scope) -> bool {
        self.revoked_at.is_none() && self.scopes.contains(scope)
    }
}

/// One stored audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    /// The canonical JSON of the record, as hashed into the ledger.
    pub record: String,
    pub ledger_index: u64,
}

/// A token just created: the secret is shown to its owner once and never stored.
pub struct NewToken {
    pub info: TokenInfo,
    pub secret: String,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// A completed idempotent signing: enough to answer a retry with the very same document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub document_id: String,
    pub ledger_index: u64,
    /// The incremental update appended to the request's PDF (the signed PDF is the request
    /// body followed by these bytes).
    pub signed_update: Vec<u8>,
}

/// A signed document not yet known to be in the ledger. Stored under its key before the ledger
/// append, so that whatever step a crash interrupts, a retry finishes this very document rather
/// than issuing a second one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedSigning {
    pub document_id: String,
    /// The incremental update appended to the request's PDF.
    pub signed_update: Vec<u8>,
    /// The ledger entry (its canonical encoding) that issues the document.
    pub entry: Vec<u8>,
}

/// A two-step signing session being opened. Its id is stored hashed, like a token.
pub struct NewSession<'a> {
    pub id_hash: [u8; 32],
    pub owner: &'a str,
    pub expires_at: i64,
    pub pdf: &'a [u8],
    /// [`crate::pades::PreparedDocument::to_bytes`].
    pub prepared: &'a [u8],
    /// The PAdES level to complete it at ([`crate::pades::Level::name`]).
    pub level: &'a str,
}

/// A two-step signing session as stored: the PDF it was prepared on, and the prepared state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub pdf: Vec<u8>,
    pub prepared: Vec<u8>,
    pub level: String,
}

/// A session deleted as it was taken, kept only if it had not expired by `now`.
fn unexpired(taken: Option<(i64, StoredSession)>, now: i64) -> Option<StoredSession> {
    taken.and_then(|(expires_at, session)| (expires_at > now).then_some(session))
}

/// The outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key: do the work, then complete or release it.
    Claimed,
    /// The work was done: answer with this.
    Completed(IdempotencyRecord),
    /// An earlier request signed this document; its ledger entry may or may not have been
    /// appended. `takeover`: that request's claim went stale and now belongs to this one, which
    /// may append the entry; otherwise it may only complete what the ledger already holds.
    Prepared {
        signing: PreparedSigning,
        takeover: bool,
    },
    /// Another request (maybe on another replica) is doing it now.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn split_scopes(text: &str) -> Result<Vec<Scope>> {
    text.split_whitespace().map(Scope::from_str).collect()
}

fn join_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    openssl::rand::rand_bytes(&mut b).map_err(|e| ServiceStoreError::Database(e.to_string()))?;
    Ok(b)
}

/// The SQL backends; each method is one short transaction.
trait Backend: Send {
    fn insert_token(&mut self, info: &TokenInfo, hash: &[u8; 32]) -> Result<()>;
    fn token_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<(TokenInfo, Vec<u8>)>>;
    fn tokens(&mut self) -> Result<Vec<TokenInfo>>;
    fn revoke(&mut self, id: &str, now: i64) -> Result<bool>;
    fn revoke_labelled(&mut self, label: &str, now: i64) -> Result<u64>;
    fn claim(
        &mut self,
        key: &[u8; 32],
        fp: &[u8; 32],
        now: i64,
        stale_before: i64,
    ) -> Result<Claim>;
    fn prepare(&mut self, key: &[u8; 32], signing: &PreparedSigning) -> Result<()>;
    fn complete(&mut self, key: &[u8; 32], ledger_index: u64) -> Result<()>;
    fn release(&mut self, key: &[u8; 32]) -> Result<()>;
    fn insert_audit(&mut self, record: &str, ledger_index: i64) -> Result<()>;
    /// Drops expired sessions, then stores this one unless `max` are open; `false` when full.
    fn insert_session(&mut self, session: &NewSession<'_>, now: i64, max: i64) -> Result<bool>;
    /// Deletes and returns the session if `owner` opened it and it has not expired.
    fn take_session(
        &mut self,
        id_hash: &[u8; 32],
        owner: &str,
        now: i64,
    ) -> Result<Option<StoredSession>>;
    fn audit_records(&mut self) -> Result<Vec<(i64, String, i64)>>;
}

/// The store: one connection, used by one request at a time (its transactions are short).
pub struct ServiceStore {
    backend: Mutex<Box<dyn Backend>>,
}

impl fmt::Debug for ServiceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceStore")
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl ServiceStore {
    /// Opens (creating the tables if needed) a SQLite file.
    pub fn open_sqlite(path: &Path) -> Result<ServiceStore> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SQLITE_SCHEMA)?;
        // A file made before prepared signings were recorded lacks their column.
        let has_pending: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('kyso_idempotency') \
             WHERE name = 'pending_entry'",
            [],
            |r| r.get(0),
        )?;
        if !has_pending {
            conn.execute_batch("ALTER TABLE kyso_idempotency ADD COLUMN pending_entry BLOB")?;
        }
        Ok(ServiceStore {
            backend: Mutex::new(Box::new(Sqlite(conn))),
        })
    }

    /// Opens (creating the tables if needed) the tables in a PostgreSQL database.
    pub fn open_postgres(url: &str) -> Result<ServiceStore> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)?;
        let mut tx = client.transaction()?;
        // Replicas starting together must not race on CREATE TABLE.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PG_SCHEMA_LOCK])?;
        tx.batch_execute(PG_SCHEMA)?;
        tx.commit()?;
        Ok(ServiceStore {
            backend: Mutex::new(Box::new(Pg(client))),
        })
    }

    fn backend(&self) -> MutexGuard<'_, Box<dyn Backend>> {
        self.backend.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores an audit record (canonical JSON) whose hash the ledger holds at `ledger_index`.
    pub fn insert_audit(&self, record: &str, ledger_index: u64) -> Result<()> {
        self.backend()
            .insert_audit(record, index_to_db(ledger_index)?)
    }

    /// Every stored audit record: (sequence number, record, ledger index), in order.
    pub fn audit_records(&self) -> Result<Vec<AuditRow>> {
        self.backend()
            .audit_records()?
            .into_iter()
            .map(|(seq, record, index)| {
                Ok(AuditRow {
                    seq,
                    record,
                    ledger_index: index_from_db(Some(index))?,
                })
            })
            .collect()
    }

    /// Creates a token with these scopes; the secret is in the result only.
    pub fn create_token(&self, label: &str, scopes: &[Scope]) -> Result<NewToken> {
        if label.len() > MAX_TOKEN_LABEL || label.chars().any(char::is_control) {
            return Err(ServiceStoreError::Invalid(format!(
                "a token label is at most {MAX_TOKEN_LABEL} bytes without control characters"
            )));
        }
        if scopes.is_empty() {
            return Err(ServiceStoreError::Invalid("a token needs a scope".into()));
        }
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            BASE32_NOPAD.encode(&random_bytes::<TOKEN_SECRET_BYTES>()?)
        );
        let info = TokenInfo {
            id: hex::encode(random_bytes::<8>()?),
            label: label.to_owned(),
            scopes: scopes.to_vec(),
            created_at: now(),
            revoked_at: None,
        };
        self.backend()
            .insert_token(&info, &sha256(secret.as_bytes()))?;
        Ok(NewToken { info, secret })
    }

    /// Every token, revoked ones included.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        self.backend().tokens()
    }

    /// Revokes a token; `false` if there is none with this id (or it was already revoked).
    pub fn revoke_token(&self, id: &str) -> Result<bool> {
        self.backend().revoke(id, now())
    }

    /// Revokes every token with this label (the development token of an earlier start).
    pub fn revoke_tokens_labelled(&self, label: &str) -> Result<u64> {
        self.backend().revoke_labelled(label, now())
    }

    /// The token a presented secret belongs to, if it exists and is not revoked.
    pub fn authenticate(&self, secret: &str) -> Result<Option<TokenInfo>> {
        let presented = sha256(secret.as_bytes());
        let Some((info, stored)) = self.backend().token_by_hash(&presented)? else {
            return Ok(None);
        };
        let same = stored.len() == presented.len() && openssl::memcmp::eq(&stored, &presented);
        Ok((same && info.revoked_at.is_none()).then_some(info))
    }

    /// Claims an idempotency key for a request with this fingerprint. A claim older than
    /// `stale_after_secs` that never completed (its process died) may be taken over.
    pub fn claim_idempotency(
        &self,
        key: &[u8; 32],
        fingerprint: &[u8; 32],
        stale_after_secs: i64,
    ) -> Result<Claim> {
        let t = now();
        self.backend()
            .claim(key, fingerprint, t, t.saturating_sub(stale_after_secs))
    }

    /// Records the signed document of a claimed key; durable when it returns, before its ledger
    /// entry is appended.
    pub fn prepare_idempotency(&self, key: &[u8; 32], signing: &PreparedSigning) -> Result<()> {
        self.backend().prepare(key, signing)
    }

    /// Records that the prepared document's ledger entry is at `ledger_index`: a retry is then
    /// answered with it.
    pub fn complete_idempotency(&self, key: &[u8; 32], ledger_index: u64) -> Result<()> {
        self.backend().complete(key, ledger_index)
    }

    /// Stores a two-step signing session, durable when it returns, so that any replica can
    /// complete it; `false` when `max` unexpired sessions are open.
    pub fn open_session(&self, session: &NewSession<'_>, now: i64, max: usize) -> Result<bool> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.backend().insert_session(session, now, max)
    }

    /// Takes a session once: deleted as it is read, so two replicas cannot both complete it.
    /// `None` when unknown, expired, used, or opened by another token.
    pub fn take_session(
        &self,
        id_hash: &[u8; 32],
        owner: &str,
        now: i64,
    ) -> Result<Option<StoredSession>> {
        self.backend().take_session(id_hash, owner, now)
    }

    /// Gives a claimed key up (the work failed before anything reached the ledger), so that a
    /// retry can do it.
    pub fn release_idempotency(&self, key: &[u8; 32]) -> Result<()> {
        self.backend().release(key)
    }
}

const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kyso_api_tokens (
    id TEXT PRIMARY KEY,
    token_sha256 BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS kyso_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record TEXT NOT NULL,
    ledger_index INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kyso_idempotency (
    key_sha256 BLOB PRIMARY KEY,
    fingerprint BLOB NOT NULL,
    claimed_at INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    document_id TEXT,
    ledger_index INTEGER,
    signed_update BLOB,
    pending_entry BLOB
);
CREATE TABLE IF NOT EXISTS kyso_sign_sessions (
    id_sha256 BLOB PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    pdf BLOB NOT NULL,
    prepared BLOB NOT NULL,
    level TEXT NOT NULL
);
";

/// Advisory lock key serializing schema creation between replicas ("kysoSvc1").
const PG_SCHEMA_LOCK: i64 = 0x6b79_736f_5376_6331;

const PG_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kyso_api_tokens (
    id TEXT PRIMARY KEY,
    token_sha256 BYTEA NOT NULL UNIQUE,
    label TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE IF NOT EXISTS kyso_audit (
    seq BIGSERIAL PRIMARY KEY,
    record TEXT NOT NULL,
    ledger_index BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS kyso_idempotency (
    key_sha256 BYTEA PRIMARY KEY,
    fingerprint BYTEA NOT NULL,
    claimed_at BIGINT NOT NULL,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    document_id TEXT,
    ledger_index BIGINT,
    signed_update BYTEA
);
ALTER TABLE kyso_idempotency ADD COLUMN IF NOT EXISTS pending_entry BYTEA;
CREATE TABLE IF NOT EXISTS kyso_sign_sessions (
    id_sha256 BYTEA PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    pdf BYTEA NOT NULL,
    prepared BYTEA NOT NULL,
    level TEXT NOT NULL
);
";

fn index_to_db(i: u64) -> Result<i64> {
    i64::try_from(i).map_err(|_| ServiceStoreError::Invalid("ledger index out of range".into()))
}

fn index_from_db(i: Option<i64>) -> Result<u64> {
    i.and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| ServiceStoreError::Database("stored ledger index is invalid".into()))
}

/// An idempotency row as read for a claim.
struct IdempotencyRow {
    fingerprint: Vec<u8>,
    claimed_at: i64,
    done: bool,
    document_id: Option<String>,
    ledger_index: Option<i64>,
    signed_update: Option<Vec<u8>>,
    pending_entry: Option<Vec<u8>>,
}

/// The columns of [`IdempotencyRow`], in its order.
const IDEMPOTENCY_COLUMNS: &str =
    "fingerprint, claimed_at, done, document_id, ledger_index, signed_update, pending_entry";

/// Decides a claim from the existing row, and whether the claim is taken over (its
/// `claimed_at` must then become now).
fn judge(fp: &[u8; 32], row: IdempotencyRow, stale_before: i64) -> Result<(Claim, bool)> {
    if row.fingerprint != fp.as_slice() {
        return Ok((Claim::Mismatch, false));
    }
    let stale = row.claimed_at < stale_before;
    if row.done {
        return Ok((
            Claim::Completed(IdempotencyRecord {
                document_id: row.document_id.unwrap_or_default(),
                ledger_index: index_from_db(row.ledger_index)?,
                signed_update: row.signed_update.unwrap_or_default(),
            }),
            false,
        ));
    }
    if let (Some(document_id), Some(entry)) = (row.document_id, row.pending_entry) {
        let signing = PreparedSigning {
            document_id,
            signed_update: row.signed_update.unwrap_or_default(),
            entry,
        };
        return Ok((
            Claim::Prepared {
                signing,
                takeover: stale,
            },
            stale,
        ));
    }
    if stale {
        return Ok((Claim::Claimed, true));
    }
    Ok((Claim::InProgress, false))
}

struct Sqlite(rusqlite::Connection);

impl Sqlite {
    fn token_row(
        row: &rusqlite::Row<'_>,
    ) -> rusqlite::Result<(String, String, String, i64, Option<i64>)> {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ))
    }
}

fn token_info(t: (String, String, String, i64, Option<i64>)) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: t.0,
        label: t.1,
        scopes: split_scopes(&t.2)?,
        created_at: t.3,
        revoked_at: t.4,
    })
}

impl Backend for Sqlite {
    fn insert_audit(&mut self, record: &str, ledger_index: i64) -> Result<()> {
        self.0.execute(
            "INSERT INTO kyso_audit (record, ledger_index) VALUES (?1, ?2)",
            rusqlite::params![record, ledger_index],
        )?;
        Ok(())
    }

    fn audit_records(&mut self) -> Result<Vec<(i64, String, i64)>> {
        let mut stmt = self
            .0
            .prepare("SELECT seq, record, ledger_index FROM kyso_audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn insert_token(&mut self, info: &TokenInfo, hash: &[u8; 32]) -> Result<()> {
        self.0.execute(
            "INSERT INTO kyso_api_tokens (id, token_sha256, label, scopes, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                info.id,
                hash.as_slice(),
                info.label,
                join_scopes(&info.scopes),
                info.created_at
            ],
        )?;
        Ok(())
    }

    fn token_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<(TokenInfo, Vec<u8>)>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT id, label, scopes, created_at, revoked_at, token_sha256 \
             FROM kyso_api_tokens WHERE token_sha256 = ?1",
        )?;
        let mut rows = stmt.query([hash.as_slice()])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let stored: Vec<u8> = row.get(5)?;
        Ok(Some((token_info(Self::token_row(row)?)?, stored)))
    }

    fn tokens(&mut self) -> Result<Vec<TokenInfo>> {
        let mut stmt = self.0.prepare(
            "SELECT id, label, scopes, created_at, revoked_at FROM kyso_api_tokens ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], Self::token_row)?;
        rows.map(|r| token_info(r?)).collect()
    }

    fn revoke(&mut self, id: &str, now: i64) -> Result<bool> {
        let n = self.0.execute(
            "UPDATE kyso_api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            rusqlite::params![id, now],
        )?;
        Ok(n > 0)
    }

    fn revoke_labelled(&mut self, label: &str, now: i64) -> Result<u64> {
        let n = self.0.execute(
            "UPDATE kyso_api_tokens SET revoked_at = ?2 WHERE label = ?1 AND revoked_at IS NULL",
            rusqlite::params![label, now],
        )?;
        Ok(n as u64)
    }

    fn claim(
        &mut self,
        key: &[u8; 32],
        fp: &[u8; 32],
        now: i64,
        stale_before: i64,
    ) -> Result<Claim> {
        let tx = self
            .0
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO kyso_idempotency (key_sha256, fingerprint, claimed_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key_sha256) DO NOTHING",
            rusqlite::params![key.as_slice(), fp.as_slice(), now],
        )?;
        if inserted == 1 {
            tx.commit()?;
            return Ok(Claim::Claimed);
        }
        let row = tx.query_row(
            &format!("SELECT {IDEMPOTENCY_COLUMNS} FROM kyso_idempotency WHERE key_sha256 = ?1"),
            [key.as_slice()],
            |r| {
                Ok(IdempotencyRow {
                    fingerprint: r.get(0)?,
                    claimed_at: r.get(1)?,
                    done: r.get(2)?,
                    document_id: r.get(3)?,
                    ledger_index: r.get(4)?,
                    signed_update: r.get(5)?,
                    pending_entry: r.get(6)?,
                })
            },
        )?;
        let (claim, taken_over) = judge(fp, row, stale_before)?;
        if taken_over {
            tx.execute(
                "UPDATE kyso_idempotency SET claimed_at = ?2 WHERE key_sha256 = ?1",
                rusqlite::params![key.as_slice(), now],
            )?;
        }
        tx.commit()?;
        Ok(claim)
    }

    fn prepare(&mut self, key: &[u8; 32], signing: &PreparedSigning) -> Result<()> {
        self.0.execute(
            "UPDATE kyso_idempotency SET document_id = ?2, signed_update = ?3, pending_entry = ?4 \
             WHERE key_sha256 = ?1 AND done = 0",
            rusqlite::params![
                key.as_slice(),
                signing.document_id,
                signing.signed_update,
                signing.entry
            ],
        )?;
        Ok(())
    }

    fn complete(&mut self, key: &[u8; 32], ledger_index: u64) -> Result<()> {
        self.0.execute(
            "UPDATE kyso_idempotency SET done = 1, ledger_index = ?2, pending_entry = NULL \
             WHERE key_sha256 = ?1",
            rusqlite::params![key.as_slice(), index_to_db(ledger_index)?],
        )?;
        Ok(())
    }

    fn release(&mut self, key: &[u8; 32]) -> Result<()> {
        self.0.execute(
            "DELETE FROM kyso_idempotency WHERE key_sha256 = ?1 AND done = 0",
            [key.as_slice()],
        )?;
        Ok(())
    }

    fn insert_session(&mut self, session: &NewSession<'_>, now: i64, max: i64) -> Result<bool> {
        let tx = self
            .0
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM kyso_sign_sessions WHERE expires_at <= ?1",
            [now],
        )?;
        let open: i64 =
            tx.query_row("SELECT COUNT(*) FROM kyso_sign_sessions", [], |r| r.get(0))?;
        if open >= max {
            tx.commit()?;
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO kyso_sign_sessions (id_sha256, owner, expires_at, pdf, prepared, level) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                session.id_hash.as_slice(),
                session.owner,
                session.expires_at,
                session.pdf,
                session.prepared,
                session.level
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn take_session(
        &mut self,
        id_hash: &[u8; 32],
        owner: &str,
        now: i64,
    ) -> Result<Option<StoredSession>> {
        let taken = self
            .0
            .query_row(
                "DELETE FROM kyso_sign_sessions WHERE id_sha256 = ?1 AND owner = ?2 \
                 RETURNING expires_at, pdf, prepared, level",
                rusqlite::params![id_hash.as_slice(), owner],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        StoredSession {
                            pdf: r.get(1)?,
                            prepared: r.get(2)?,
                            level: r.get(3)?,
                        },
                    ))
                },
            )
            .optional()?;
        Ok(unexpired(taken, now))
    }
}

struct Pg(postgres::Client);

fn pg_token(row: &postgres::Row) -> Result<TokenInfo> {
    token_info((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
    ))
}

impl Backend for Pg {
    fn insert_audit(&mut self, record: &str, ledger_index: i64) -> Result<()> {
        self.0.execute(
            "INSERT INTO kyso_audit (record, ledger_index) VALUES ($1, $2)",
            &[&record, &ledger_index],
        )?;
        Ok(())
    }

    fn audit_records(&mut self) -> Result<Vec<(i64, String, i64)>> {
        Ok(self
            .0
            .query(
                "SELECT seq, record, ledger_index FROM kyso_audit ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn insert_token(&mut self, info: &TokenInfo, hash: &[u8; 32]) -> Result<()> {
        self.0.execute(
            "INSERT INTO kyso_api_tokens (id, token_sha256, label, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &info.id,
                &hash.as_slice(),
                &info.label,
                &join_scopes(&info.scopes),
                &info.created_at,
            ],
        )?;
        Ok(())
    }

    fn token_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<(TokenInfo, Vec<u8>)>> {
        let row = self.0.query_opt(
            "SELECT id, label, scopes, created_at, revoked_at, token_sha256 \
             FROM kyso_api_tokens WHERE token_sha256 = $1",
            &[&hash.as_slice()],
        )?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((pg_token(&r)?, r.try_get(5)?))),
        }
    }

    fn tokens(&mut self) -> Result<Vec<TokenInfo>> {
        self.0
            .query(
                "SELECT id, label, scopes, created_at, revoked_at FROM kyso_api_tokens ORDER BY created_at, id",
                &[],
            )?
            .iter()
            .map(pg_token)
            .collect()
    }

    fn revoke(&mut self, id: &str, now: i64) -> Result<bool> {
        let n = self.0.execute(
            "UPDATE kyso_api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &now],
        )?;
        Ok(n > 0)
    }

    fn revoke_labelled(&mut self, label: &str, now: i64) -> Result<u64> {
        Ok(self.0.execute(
            "UPDATE kyso_api_tokens SET revoked_at = $2 WHERE label = $1 AND revoked_at IS NULL",
            &[&label, &now],
        )?)
    }

    fn claim(
        &mut self,
        key: &[u8; 32],
        fp: &[u8; 32],
        now: i64,
        stale_before: i64,
    ) -> Result<Claim> {
        let mut tx = self.0.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO kyso_idempotency (key_sha256, fingerprint, claimed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key_sha256) DO NOTHING",
            &[&key.as_slice(), &fp.as_slice(), &now],
        )?;
        if inserted == 1 {
            tx.commit()?;
            return Ok(Claim::Claimed);
        }
        // The row lock makes a stale take-over happen once across replicas.
        let r = tx.query_one(
            &format!(
                "SELECT {IDEMPOTENCY_COLUMNS} FROM kyso_idempotency WHERE key_sha256 = $1 \
                 FOR UPDATE"
            ),
            &[&key.as_slice()],
        )?;
        let row = IdempotencyRow {
            fingerprint: r.try_get(0)?,
            claimed_at: r.try_get(1)?,
            done: r.try_get(2)?,
            document_id: r.try_get(3)?,
            ledger_index: r.try_get(4)?,
            signed_update: r.try_get(5)?,
            pending_entry: r.try_get(6)?,
        };
        let (claim, taken_over) = judge(fp, row, stale_before)?;
        if taken_over {
            tx.execute(
                "UPDATE kyso_idempotency SET claimed_at = $2 WHERE key_sha256 = $1",
                &[&key.as_slice(), &now],
            )?;
        }
        tx.commit()?;
        Ok(claim)
    }

    fn prepare(&mut self, key: &[u8; 32], signing: &PreparedSigning) -> Result<()> {
        self.0.execute(
            "UPDATE kyso_idempotency SET document_id = $2, signed_update = $3, pending_entry = $4 \
             WHERE key_sha256 = $1 AND NOT done",
            &[
                &key.as_slice(),
                &signing.document_id,
                &signing.signed_update,
                &signing.entry,
            ],
        )?;
        Ok(())
    }

    fn complete(&mut self, key: &[u8; 32], ledger_index: u64) -> Result<()> {
        self.0.execute(
            "UPDATE kyso_idempotency SET done = TRUE, ledger_index = $2, pending_entry = NULL \
             WHERE key_sha256 = $1",
            &[&key.as_slice(), &index_to_db(ledger_index)?],
        )?;
        Ok(())
    }

    fn release(&mut self, key: &[u8; 32]) -> Result<()> {
        self.0.execute(
            "DELETE FROM kyso_idempotency WHERE key_sha256 = $1 AND NOT done",
            &[&key.as_slice()],
        )?;
        Ok(())
    }

    fn insert_session(&mut self, session: &NewSession<'_>, now: i64, max: i64) -> Result<bool> {
        let mut tx = self.0.transaction()?;
        // Serializes the count and the insert across replicas.
        tx.execute("LOCK TABLE kyso_sign_sessions IN EXCLUSIVE MODE", &[])?;
        tx.execute(
            "DELETE FROM kyso_sign_sessions WHERE expires_at <= $1",
            &[&now],
        )?;
        let open: i64 = tx
            .query_one("SELECT COUNT(*) FROM kyso_sign_sessions", &[])?
            .try_get(0)?;
        if open >= max {
            tx.commit()?;
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO kyso_sign_sessions (id_sha256, owner, expires_at, pdf, prepared, level) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &session.id_hash.as_slice(),
                &session.owner,
                &session.expires_at,
                &session.pdf,
                &session.prepared,
                &session.level,
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn take_session(
        &mut self,
        id_hash: &[u8; 32],
        owner: &str,
        now: i64,
    ) -> Result<Option<StoredSession>> {
        let row = self.0.query_opt(
            "DELETE FROM kyso_sign_sessions WHERE id_sha256 = $1 AND owner = $2 \
             RETURNING expires_at, pdf, prepared, level",
            &[&id_hash.as_slice(), &owner],
        )?;
        let taken = row
            .map(|r| -> Result<_> {
                Ok((
                    r.try_get::<_, i64>(0)?,
                    StoredSession {
                        pdf: r.try_get(1)?,
                        prepared: r.try_get(2)?,
                        level: r.try_get(3)?,
                    },
                ))
            })
            .transpose()?;
        Ok(unexpired(taken, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ServiceStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = ServiceStore::open_sqlite(&dir.path().join("service.sqlite")).unwrap();
        (dir, s)
    }

    #[test]
    fn tokens_authenticate_until_revoked() {
        let (_d, s) = store();
        let t = s
            .create_token("test", &[Scope::Sign("agency".into())])
            .unwrap();
        assert!(t.secret.starts_with(TOKEN_PREFIX));
        let info = s.authenticate(&t.secret).unwrap().unwrap();
        assert!(info.allows(&Scope::Sign("agency".into())));
        assert!(!info.allows(&Scope::Admin));
        assert!(s.authenticate("kyso_WRONG").unwrap().is_none());
        assert!(s.revoke_token(&t.info.id).unwrap());
        assert!(s.authenticate(&t.secret).unwrap().is_none());
        assert_eq!(s.list_tokens().unwrap().len(), 1);
    }

    #[test]
    fn idempotency_claims() {
        let (_d, s) = store();
        let (k, fp, other) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        assert_eq!(s.claim_idempotency(&k, &fp, 60).unwrap(), Claim::Claimed);
        assert_eq!(s.claim_idempotency(&k, &fp, 60).unwrap(), Claim::InProgress);
        assert_eq!(
            s.claim_idempotency(&k, &other, 60).unwrap(),
            Claim::Mismatch
        );
        // A claim older than the staleness bound is taken over.
        assert_eq!(s.claim_idempotency(&k, &fp, -10).unwrap(), Claim::Claimed);
        let signing = PreparedSigning {
            document_id: "X".into(),
            signed_update: vec![1, 2, 3],
            entry: vec![4, 5],
        };
        s.prepare_idempotency(&k, &signing).unwrap();
        assert_eq!(
            s.claim_idempotency(&k, &fp, 60).unwrap(),
            Claim::Prepared {
                signing: signing.clone(),
                takeover: false
            }
        );
        s.complete_idempotency(&k, 7).unwrap();
        let rec = IdempotencyRecord {
            document_id: "X".into(),
            ledger_index: 7,
            signed_update: vec![1, 2, 3],
        };
        assert_eq!(
            s.claim_idempotency(&k, &fp, 60).unwrap(),
            Claim::Completed(rec.clone())
        );
        // A completed key is final: neither preparing again nor staleness changes it.
        s.prepare_idempotency(
            &k,
            &PreparedSigning {
                document_id: "Y".into(),
                ..signing
            },
        )
        .unwrap();
        assert_eq!(
            s.claim_idempotency(&k, &fp, -10).unwrap(),
            Claim::Completed(rec)
        );
        let k2 = [9u8; 32];
        assert_eq!(s.claim_idempotency(&k2, &fp, 60).unwrap(), Claim::Claimed);
        s.release_idempotency(&k2).unwrap();
        assert_eq!(s.claim_idempotency(&k2, &fp, 60).unwrap(), Claim::Claimed);
    }

    #[test]
    fn a_file_without_the_prepared_signing_column_gains_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.sqlite");
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE kyso_idempotency (key_sha256 BLOB PRIMARY KEY, fingerprint BLOB NOT \
             NULL, claimed_at INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, document_id \
             TEXT, ledger_index INTEGER, signed_update BLOB)",
        )
        .unwrap();
        drop(old);
        let s = ServiceStore::open_sqlite(&path).unwrap();
        let (k, fp) = ([1u8; 32], [2u8; 32]);
        assert_eq!(s.claim_idempotency(&k, &fp, 60).unwrap(), Claim::Claimed);
        let signing = PreparedSigning {
            document_id: "X".into(),
            signed_update: vec![1],
            entry: vec![2],
        };
        s.prepare_idempotency(&k, &signing).unwrap();
        drop(s);
        let s = ServiceStore::open_sqlite(&path).unwrap();
        assert_eq!(
            s.claim_idempotency(&k, &fp, -1).unwrap(),
            Claim::Prepared {
                signing,
                takeover: true
            }
        );
    }

    #[test]
    fn scopes_parse() {
        assert_eq!("admin".parse::<Scope>().unwrap(), Scope::Admin);
        assert_eq!(
            "sign:a-b".parse::<Scope>().unwrap(),
            Scope::Sign("a-b".into())
        );
        assert!("sign:".parse::<Scope>().is_err());
        assert!("root".parse::<Scope>().is_err());
    }
}

//! `kyso ledger`: create a log, append document events, look them up with proofs, print the
//! checkpoint, verify an offline proof, audit a log through its tiles, export the tiles.
//!
//! A data directory (default `./kyso-data`) holds the SQLite ledger `ledger.sqlite`, the
//! published-checkpoint record `published.sqlite` and the log key `log.key` (its verifier key in
//! `log.vkey`). `--store postgres://…` puts the log in PostgreSQL instead; the key and the
//! published record stay in the data directory.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::{EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID};
use crate::ledger::audit::{audit, AuditReport, TileSource};
use crate::ledger::checkpoint::SignedCheckpoint;
use crate::ledger::entry::{document_id_hash, Entry, EntryKind};
use crate::ledger::log::{Found, Ledger, LedgerOptions, LogReader};
use crate::ledger::merkle::{leaf_hash, Hash};
use crate::ledger::note::{Ed25519Signer, Ed25519Verifier, MAX_NOTE_SIZE};
use crate::ledger::postgres::PostgresConnect;
use crate::ledger::sqlite::{SqliteConnect, SqlitePublished};
use crate::ledger::store::Connect;
use crate::ledger::tile::{Tile, TILE_HEIGHT, TILE_WIDTH};
use crate::ledger::tlog_proof::{TlogProof, MAX_TLOG_PROOF_SIZE};
use crate::ledger::LedgerError;

/// Largest tile or bundle an auditor downloads: a full bundle of 256 entries of at most
/// 65,535 bytes each, with their 2-byte length prefixes.
const MAX_TILE_FETCH: u64 = 256 * (65_535 + 2);

/// Time limit of one HTTP request of an audit: a tile is at most ~16 MiB.
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest key file read (a C2SP key string is under 400 bytes).
const MAX_KEY_FILE: u64 = 4096;

#[derive(Args, Debug)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Args, Debug, Clone)]
struct StoreArgs {
    /// Data directory: SQLite ledger, published checkpoint, log key.
    #[arg(long, env = "KYSO_DATA", default_value = "./kyso-data")]
    dir: PathBuf,
    /// PostgreSQL store (postgres://user@host:port/db) instead of the SQLite file.
    #[arg(long, env = "KYSO_LEDGER_STORE")]
    store: Option<String>,
    /// The published-checkpoint record (default: <dir>/published.sqlite). Keep it apart from
    /// the database backups.
    #[arg(long)]
    published: Option<PathBuf>,
    /// The log's signer key file (default: <dir>/log.key).
    #[arg(long, env = "KYSO_LEDGER_KEY")]
    signing_key: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EventKind {
    Issued,
    Revoked,
    Superseded,
}

#[derive(Args, Debug)]
struct EntryArgs {
    /// What happened to the document.
    #[arg(long, value_enum, default_value = "issued")]
    event: EventKind,
    /// The document id (the QR-code capability); only its SHA-256 goes into the log.
    #[arg(long, required_unless_present = "document_id_hash")]
    document_id: Option<String>,
    /// The SHA-256 of the document id, in hex, when the id itself is not at hand.
    #[arg(long, conflicts_with = "document_id")]
    document_id_hash: Option<String>,
    /// SHA-256 (hex) of the signed revision of the document.
    #[arg(long, alias = "document-sha256")]
    revision_sha256: String,
    /// SHA-256 (hex) of the signer certificate (DER).
    #[arg(long)]
    signer_cert_sha256: String,
    /// Time of the event, RFC 3339 (default: now).
    #[arg(long)]
    time: Option<String>,
    /// Issuing agency.
    #[arg(long)]
    agency: String,
    /// Document number.
    #[arg(long)]
    number: String,
    /// Document kind.
    #[arg(long)]
    kind: String,
    /// Reason (revocation, supersession).
    #[arg(long)]
    reason: Option<String>,
    /// Id of the document that supersedes this one.
    #[arg(long)]
    superseded_by: Option<String>,
}

#[derive(Subcommand, Debug)]
enum LedgerCommand {
    /// Create a new log with a fixed origin and a new Ed25519 key (or --signing-key).
    Init {
        #[command(flatten)]
        store: StoreArgs,
        /// The log's origin line, e.g. "ledger.example.gov.vn/kyso" (fixed for ever).
        #[arg(long)]
        origin: String,
    },
    /// Append a document event; prints its index and the checkpoint covering it.
    Append {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        entry: EntryArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Look up a document's events by id or by SHA-256, with an inclusion proof.
    Get {
        #[command(flatten)]
        store: StoreArgs,
        /// The document id (its SHA-256 is looked up).
        #[arg(long, required_unless_present = "hash", conflicts_with = "hash")]
        id: Option<String>,
        /// The document's SHA-256 (hex).
        #[arg(long)]
        hash: Option<String>,
        /// Print every event as JSON instead of the latest event's tlog-proof.
        #[arg(long)]
        json: bool,
        /// Write the latest event's c2sp.org/tlog-proof@v1 file here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the latest signed checkpoint.
    Checkpoint {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Verify a c2sp.org/tlog-proof@v1 file offline against the log's verifier key.
    VerifyProof {
        /// The proof file.
        file: PathBuf,
        /// The log's verifier key: the key string or a file holding it.
        #[arg(long)]
        key: String,
        /// Also require the entry to be about this document id.
        #[arg(long)]
        id: Option<String>,
        /// Also require the entry to be about this document SHA-256 (hex).
        #[arg(long)]
        hash: Option<String>,
    },
    /// Audit a log through its tiles: recompute every hash, check the signature, and check
    /// consistency with an earlier checkpoint.
    Audit {
        /// A kyso data directory, or a directory of exported tiles.
        #[arg(long, required_unless_present = "url", conflicts_with = "url")]
        dir: Option<PathBuf>,
        /// The log's HTTP base URL (C2SP tlog-tiles prefix).
        #[arg(long)]
        url: Option<String>,
        /// The log's verifier key: the key string or a file holding it.
        #[arg(long)]
        key: String,
        /// An earlier checkpoint of this log kept by the auditor.
        #[arg(long)]
        since: Option<PathBuf>,
        /// Also check the service's admin audit trail (in the data directory `--dir`, or the
        /// PostgreSQL store of KYSO_DATABASE_URL) against the log's audit entries: an altered
        /// or deleted record is a problem.
        #[arg(long = "admin-trail", requires = "dir")]
        admin_trail: bool,
        /// The PostgreSQL service store holding the audit trail.
        #[arg(
            long = "database-url",
            env = "KYSO_DATABASE_URL",
            requires = "admin_trail"
        )]
        database_url: Option<String>,
    },
    /// Write the checkpoint and every tile as static files (for a web server or a CDN).
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Append synthetic entries, printing each acknowledged one (crash and load tests).
    #[command(hide = true)]
    BenchAppend {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value_t = 1000)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        threads: u64,
        /// Entries per append request.
        #[arg(long, default_value_t = 1)]
        batch: u64,
    },
}

/// Runs a `kyso ledger` sub-command.
pub fn run(args: LedgerArgs) -> u8 {
    match dispatch(args.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kyso ledger: {e}");
            EXIT_UNREADABLE
        }
    }
}

fn dispatch(cmd: LedgerCommand) -> Result<u8, String> {
    match cmd {
        LedgerCommand::Init { store, origin } => init(&store, &origin),
        LedgerCommand::Append { store, entry, json } => append(&store, &entry, json),
        LedgerCommand::Get {
            store,
            id,
            hash,
            json,
            out,
        } => get(&store, id.as_deref(), hash.as_deref(), json, out.as_deref()),
        LedgerCommand::Checkpoint { store } => {
            let reader = open_reader(&store)?;
            print!(
                "{}",
                String::from_utf8_lossy(&reader.checkpoint().map_err(s)?)
            );
            Ok(EXIT_VALID)
        }
        LedgerCommand::VerifyProof {
            file,
            key,
            id,
            hash,
        } => verify_proof(&file, &key, id.as_deref(), hash.as_deref()),
        LedgerCommand::Audit {
            dir,
            url,
            key,
            since,
            admin_trail,
            database_url,
        } => {
            let trail = admin_trail.then_some(database_url);
            run_audit(
                dir.as_deref(),
                url.as_deref(),
                &key,
                since.as_deref(),
                trail,
            )
        }
        LedgerCommand::Export { store, out } => export(&store, &out),
        LedgerCommand::BenchAppend {
            store,
            count,
            threads,
            batch,
        } => bench_append(&store, count, threads, batch),
    }
}

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn connector(store: &StoreArgs, must_exist: bool) -> Result<Box<dyn Connect>, String> {
    if let Some(url) = &store.store {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Box::new(PostgresConnect::new(url.clone())));
        }
        return Err(format!("--store must be a postgres:// URL, not {url:?}"));
    }
    let path = store.dir.join("ledger.sqlite");
    if must_exist && !path.exists() {
        return Err(format!(
            "no ledger at {}: create one with `kyso ledger init`",
            path.display()
        ));
    }
    Ok(Box::new(SqliteConnect::new(path)))
}

fn published(store: &StoreArgs) -> Result<Box<SqlitePublished>, String> {
    let path = store
        .published
        .clone()
        .unwrap_or_else(|| store.dir.join("published.sqlite"));
    Ok(Box::new(SqlitePublished::open(&path).map_err(s)?))
}

fn key_path(store: &StoreArgs) -> PathBuf {
    store
        .signing_key
        .clone()
        .unwrap_or_else(|| store.dir.join("log.key"))
}

fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut data = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if data.len() as u64 > limit {
        return Err(format!("{} is larger than {limit} bytes", path.display()));
    }
    Ok(data)
}

fn load_signer(store: &StoreArgs) -> Result<Ed25519Signer, String> {
    load_log_key(&key_path(store))
}

/// Reads a log signer key file (a C2SP signer key string).
pub(crate) fn load_log_key(path: &Path) -> Result<Ed25519Signer, String> {
    let text = read_small(path, MAX_KEY_FILE)?;
    Ed25519Signer::parse(String::from_utf8_lossy(&text).trim())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The log key at `path`, or a new Ed25519 key named `origin` written there (owner-only) when
/// the file does not exist. Shared by `kyso ledger init` and the first start of `kyso serve`.
pub(crate) fn load_or_create_log_key(path: &Path, origin: &str) -> Result<Ed25519Signer, String> {
    if path.exists() {
        return load_log_key(path);
    }
    let mut seed = [0u8; 32];
    openssl::rand::rand_bytes(&mut seed).map_err(s)?;
    let signer = Ed25519Signer::from_seed(origin, seed).map_err(s)?;
    write_private(path, format!("{}\n", signer.to_key_string()).as_bytes())?;
    Ok(signer)
}

/// A verifier key given as the key string itself or as a file holding it.
fn load_verifier(key: &str) -> Result<Ed25519Verifier, String> {
    let path = Path::new(key);
    let text = if path.is_file() {
        String::from_utf8_lossy(&read_small(path, MAX_KEY_FILE)?).into_owned()
    } else {
        key.to_owned()
    };
    Ed25519Verifier::parse(text.trim()).map_err(s)
}

fn open_ledger(store: &StoreArgs) -> Result<Ledger, String> {
    let connect = connector(store, true)?;
    Ledger::open(
        connect.as_ref(),
        published(store)?,
        load_signer(store)?,
        None,
        LedgerOptions::default(),
    )
    .map_err(s)
}

fn open_reader(store: &StoreArgs) -> Result<LogReader, String> {
    let connect = connector(store, true)?;
    LogReader::open(connect.as_ref(), &LedgerOptions::default()).map_err(s)
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn init(store: &StoreArgs, origin: &str) -> Result<u8, String> {
    fs::create_dir_all(&store.dir).map_err(|e| format!("{}: {e}", store.dir.display()))?;
    let signer = load_or_create_log_key(&key_path(store), origin)?;
    let vkey = signer.verifier().to_key_string();
    let connect = connector(store, false)?;
    let ledger = Ledger::create(
        connect.as_ref(),
        published(store)?,
        origin,
        signer,
        LedgerOptions::default(),
    )
    .map_err(s)?;
    fs::write(store.dir.join("log.vkey"), format!("{vkey}\n")).map_err(s)?;
    println!("created log {origin}");
    println!("verifier key: {vkey}");
    print!(
        "{}",
        String::from_utf8_lossy(&ledger.checkpoint().map_err(s)?)
    );
    Ok(EXIT_VALID)
}

fn parse_hash(what: &str, hex_text: &str) -> Result<Hash, String> {
    let bytes = hex::decode(hex_text.trim()).map_err(|e| format!("{what}: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{what}: expected 32 bytes (64 hex digits)"))
}

fn parse_time(text: Option<&str>) -> Result<i64, String> {
    match text {
        None => Ok(time::OffsetDateTime::now_utc().unix_timestamp()),
        Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map(|d| d.unix_timestamp())
            .map_err(|e| format!("--time {t:?}: {e}")),
    }
}

fn build_entry(a: &EntryArgs) -> Result<Entry, String> {
    let id_hash = match (&a.document_id, &a.document_id_hash) {
        (Some(id), _) => document_id_hash(id),
        (None, Some(h)) => parse_hash("--document-id-hash", h)?,
        (None, None) => return Err("give --document-id or --document-id-hash".into()),
    };
    let entry = Entry {
        kind: match a.event {
            EventKind::Issued => EntryKind::Issued,
            EventKind::Revoked => EntryKind::Revoked,
            EventKind::Superseded => EntryKind::Superseded,
        },
        document_id_hash: id_hash,
        revision_hash: parse_hash("--revision-sha256", &a.revision_sha256)?,
        signer_cert_sha256: parse_hash("--signer-cert-sha256", &a.signer_cert_sha256)?,
        time: parse_time(a.time.as_deref())?,
        agency: a.agency.clone(),
        document_number: a.number.clone(),
        document_kind: a.kind.clone(),
        reason: a.reason.clone(),
        superseded_by: a.superseded_by.as_deref().map(document_id_hash),
    };
    entry.validate().map_err(s)?;
    Ok(entry)
}

fn append(store: &StoreArgs, args: &EntryArgs, as_json: bool) -> Result<u8, String> {
    let entry = build_entry(args)?;
    let ledger = open_ledger(store)?;
    let done = ledger.append(&entry).map_err(s)?;
    let checkpoint = String::from_utf8_lossy(&done.checkpoint).into_owned();
    if as_json {
        println!(
            "{}",
            json!({ "index": done.index, "checkpoint": checkpoint })
        );
    } else {
        println!("index {}", done.index);
        print!("{checkpoint}");
    }
    Ok(EXIT_VALID)
}

fn entry_json(e: &Entry) -> serde_json::Value {
    json!({
        "event": e.kind.name(),
        "document_id_sha256": hex::encode(e.document_id_hash),
        "revision_sha256": hex::encode(e.revision_hash),
        "signer_cert_sha256": hex::encode(e.signer_cert_sha256),
        "time": e.time,
        "agency": e.agency,
        "document_number": e.document_number,
        "document_kind": e.document_kind,
        "reason": e.reason,
        "superseded_by_id_sha256": e.superseded_by.map(hex::encode),
    })
}

fn found_json(f: &Found) -> serde_json::Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({
        "index": f.index,
        "entry": entry_json(&f.entry),
        "entry_base64": f.proof.extra.as_deref().map(|e| b64.encode(e)),
        "inclusion_proof": f.proof.proof.iter().map(|h| b64.encode(h)).collect::<Vec<_>>(),
        "checkpoint": f.proof.checkpoint.to_text(),
        "tlog_proof": f.proof.to_text(),
    })
}

fn get(
    store: &StoreArgs,
    id: Option<&str>,
    hash: Option<&str>,
    as_json: bool,
    out: Option<&Path>,
) -> Result<u8, String> {
    let reader = open_reader(store)?;
    let found = match (id, hash) {
        (Some(id), _) => reader.find_by_document_id(id).map_err(s)?,
        (None, Some(h)) => reader
            .find_by_document_hash(&parse_hash("--hash", h)?)
            .map_err(s)?,
        (None, None) => return Err("give --id or --hash".into()),
    };
    let Some(latest) = found.last() else {
        eprintln!("không có trong sổ cái / not found in the ledger");
        return Ok(EXIT_INVALID);
    };
    if let Some(path) = out {
        fs::write(path, latest.proof.to_text()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if as_json {
        let all: Vec<_> = found.iter().map(found_json).collect();
        println!("{}", serde_json::Value::Array(all));
    } else {
        for other in found.iter().take(found.len().saturating_sub(1)) {
            eprintln!(
                "earlier event: index {} {}",
                other.index,
                other.entry.kind.name()
            );
        }
        print!("{}", latest.proof.to_text());
    }
    Ok(EXIT_VALID)
}

fn verify_proof(
    file: &Path,
    key: &str,
    id: Option<&str>,
    hash: Option<&str>,
) -> Result<u8, String> {
    let verifier = load_verifier(key)?;
    let proof = TlogProof::parse(&read_small(file, MAX_TLOG_PROOF_SIZE as u64)?).map_err(s)?;
    let Some(data) = proof.extra.as_deref() else {
        return Err("the proof carries no entry (extra line): nothing to verify".into());
    };
    let entry = Entry::decode(data).map_err(s)?;
    let report = proof.verify_entry(data, &verifier, &[]).map_err(s)?;
    let mut problems = Vec::new();
    if !report.inclusion.is_valid() {
        problems.push("the inclusion proof does not lead to the checkpoint's root".to_owned());
    }
    if !report.log_signature {
        problems.push("the checkpoint is not signed by the given log key".to_owned());
    }
    if let Some(id) = id {
        if entry.document_id_hash != document_id_hash(id) {
            problems.push("the entry is about another document id".to_owned());
        }
    }
    if let Some(h) = hash {
        if entry.revision_hash != parse_hash("--hash", h)? {
            problems.push("the entry is about another document hash".to_owned());
        }
    }
    println!(
        "{}",
        json!({
            "valid": problems.is_empty(),
            "index": proof.index,
            "tree_size": proof.checkpoint.checkpoint().size,
            "origin": proof.checkpoint.checkpoint().origin,
            "entry": entry_json(&entry),
            "problems": problems,
        })
    );
    Ok(if problems.is_empty() {
        EXIT_VALID
    } else {
        EXIT_INVALID
    })
}

/// Exported tiles in a directory (`checkpoint`, `tile/...`).
struct DirSource(PathBuf);

impl TileSource for DirSource {
    fn checkpoint(&mut self) -> Result<Vec<u8>, LedgerError> {
        read_small(&self.0.join("checkpoint"), MAX_NOTE_SIZE as u64).map_err(LedgerError::Storage)
    }

    fn fetch(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let p = self.0.join(path);
        if !p.exists() {
            return Ok(None);
        }
        read_small(&p, MAX_TILE_FETCH)
            .map(Some)
            .map_err(LedgerError::Storage)
    }
}

/// A log served over HTTP(S) at a tlog-tiles prefix.
struct HttpSource {
    client: crate::fetch::HttpClient,
    base: String,
}

impl HttpSource {
    fn new(base: &str) -> Self {
        HttpSource {
            client: crate::fetch::HttpClient::new(HTTP_TIMEOUT),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn get(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        let url = format!("{}/{path}", self.base);
        self.client
            .get_optional(&url, limit)
            .map_err(|e| LedgerError::Storage(format!("GET {e}")))
    }
}

impl TileSource for HttpSource {
    fn checkpoint(&mut self) -> Result<Vec<u8>, LedgerError> {
        self.get("checkpoint", MAX_NOTE_SIZE as u64)?
            .ok_or_else(|| LedgerError::Storage(format!("{}/checkpoint: not found", self.base)))
    }

    fn fetch(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.get(path, MAX_TILE_FETCH)
    }
}

/// `trail`: check the admin audit trail too, from the data directory's service store or the
/// PostgreSQL one named.
fn run_audit(
    dir: Option<&Path>,
    url: Option<&str>,
    key: &str,
    since: Option<&Path>,
    trail: Option<Option<String>>,
) -> Result<u8, String> {
    let verifier = load_verifier(key)?;
    let since = since
        .map(|p| {
            read_small(p, MAX_NOTE_SIZE as u64).and_then(|b| {
                SignedCheckpoint::parse(&b).map_err(|e| format!("{}: {e}", p.display()))
            })
        })
        .transpose()?;
    let mut source: Box<dyn TileSource> = match (dir, url) {
        (Some(d), _) if d.join("checkpoint").is_file() => Box::new(DirSource(d.to_owned())),
        (Some(d), _) => {
            let store = StoreArgs {
                dir: d.to_owned(),
                store: None,
                published: None,
                signing_key: None,
            };
            Box::new(open_reader(&store)?)
        }
        (None, Some(u)) => Box::new(HttpSource::new(u)),
        (None, None) => return Err("give --dir or --url".into()),
    };
    let mut report = audit(source.as_mut(), &verifier, since.as_ref()).map_err(s)?;
    if let (Some(database_url), Some(d)) = (trail, dir) {
        let problems = admin_trail_problems(d, database_url.as_deref(), report.size)?;
        report.problems.extend(problems);
    }
    print_audit(&report);
    Ok(if report.passed() {
        EXIT_VALID
    } else {
        EXIT_INVALID
    })
}

/// Compares the admin audit records of the service store with the audit entries among the
/// first `size` entries of the log in the data directory `dir`.
fn admin_trail_problems(
    dir: &Path,
    database_url: Option<&str>,
    size: u64,
) -> Result<Vec<String>, String> {
    use crate::http::audit_trail::check_trail;
    use crate::http::service_store::ServiceStore;
    let reader = open_reader(&StoreArgs {
        dir: dir.to_owned(),
        store: None,
        published: None,
        signing_key: None,
    })?;
    let mut ledger = Vec::new();
    for index in 0..size {
        let entry = Entry::decode(&reader.entry(index).map_err(s)?).map_err(s)?;
        if entry.kind == EntryKind::Audit {
            ledger.push((index, entry.document_id_hash));
        }
    }
    let store = match database_url {
        Some(url) => ServiceStore::open_postgres(url),
        None => ServiceStore::open_sqlite(&dir.join("service.sqlite")),
    }
    .map_err(s)?;
    let rows: Vec<_> = store
        .audit_records()
        .map_err(s)?
        .into_iter()
        .filter(|r| r.ledger_index < size)
        .collect();
    Ok(check_trail(&rows, &ledger))
}

fn print_audit(r: &AuditReport) {
    let b64 = base64::engine::general_purpose::STANDARD;
    println!(
        "{}",
        json!({
            "passed": r.passed(),
            "origin": r.origin,
            "tree_size": r.size,
            "root": b64.encode(r.root),
            "signed_by_log_key": r.signed_by_log_key,
            "entries_read": r.entries_read,
            "hash_tiles_checked": r.hash_tiles_checked,
            "consistent_since_size": r.since_size,
            "problems": r.problems,
        })
    );
}

fn export(store: &StoreArgs, out: &Path) -> Result<u8, String> {
    let reader = open_reader(store)?;
    let checkpoint = reader.checkpoint().map_err(s)?;
    let size = SignedCheckpoint::parse(&checkpoint)
        .map_err(s)?
        .checkpoint()
        .size;
    let width = u64::from(TILE_WIDTH);
    let mut files = 0u64;
    let mut put = |path: String| -> Result<(), String> {
        let data = reader
            .tile(&path)
            .map_err(s)?
            .ok_or_else(|| format!("{path} is missing from the store"))?;
        let dest = out.join(&path);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&dest, data).map_err(|e| format!("{}: {e}", dest.display()))?;
        files += 1;
        Ok(())
    };
    for level in 0u8..=crate::ledger::tile::MAX_TILE_LEVEL {
        let nodes = size >> (u32::from(level) * TILE_HEIGHT);
        if nodes == 0 {
            break;
        }
        for index in 0..nodes.div_ceil(width) {
            let w = (nodes - index * width).min(width);
            let tile = Tile::new(level, index, u16::try_from(w).map_err(s)?).map_err(s)?;
            put(tile.path())?;
            if level == 0 {
                put(tile.entries_path().map_err(s)?)?;
            }
        }
    }
    fs::write(out.join("checkpoint"), &checkpoint).map_err(s)?;
    println!("exported {files} tiles and the checkpoint of size {size}");
    Ok(EXIT_VALID)
}

fn synthetic_entry(n: u64) -> Result<Entry, String> {
    let mut id = [0u8; 16];
    openssl::rand::rand_bytes(&mut id).map_err(s)?;
    let id = hex::encode(id);
    Ok(Entry {
        kind: EntryKind::Issued,
        document_id_hash: document_id_hash(&id),
        revision_hash: document_id_hash(&format!("{id}/revision")),
        signer_cert_sha256: document_id_hash("bench signer"),
        time: 1_780_000_000 + i64::try_from(n).unwrap_or(0),
        agency: "Sở Tư pháp tỉnh Thử nghiệm".into(),
        document_number: format!("{n}/QĐ-BENCH"),
        document_kind: "Quyết định".into(),
        reason: None,
        superseded_by: None,
    })
}

fn bench_append(store: &StoreArgs, count: u64, threads: u64, batch: u64) -> Result<u8, String> {
    let ledger = open_ledger(store)?;
    let per_thread = count.div_ceil(threads.max(1));
    let batch = batch.max(1);
    let out = std::sync::Mutex::new(std::io::stdout());
    let result: Result<(), String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let ledger = &ledger;
                let out = &out;
                scope.spawn(move || -> Result<(), String> {
                    let mut done = 0u64;
                    while done < per_thread {
                        let n = batch.min(per_thread - done);
                        let entries = (0..n)
                            .map(|i| synthetic_entry(t * per_thread + done + i))
                            .collect::<Result<Vec<_>, _>>()?;
                        let ack = ledger.append_all(&entries).map_err(s)?;
                        let size = SignedCheckpoint::parse(&ack.checkpoint)
                            .map_err(s)?
                            .checkpoint()
                            .size;
                        let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                        for (i, e) in entries.iter().enumerate() {
                            let data = e.encode().map_err(s)?;
                            writeln!(
                                o,
                                "acked {} {} {size}",
                                ack.index + i as u64,
                                hex::encode(leaf_hash(&data))
                            )
                            .map_err(s)?;
                        }
                        o.flush().map_err(s)?;
                        done += n;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err("append thread panicked".into()))
        })
    });
    result?;
    let b64 = base64::engine::general_purpose::STANDARD;
    println!("checkpoint {}", b64.encode(ledger.checkpoint().map_err(s)?));
    Ok(EXIT_VALID)
}

//! `kyso cert verify`: validates a certificate chain from files and prints the report.
//!
//! Trust anchors come from `--trust` files or, without any, from the configured directory:
//! every `*.pem`, `*.crt`, `*.cer` and `*.der` file in `anchors/` under `$KYSO_CERTS_DIR`, or
//! under `certs/` in the working directory when that variable is unset (see `certs/README.md`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::EXIT_UNREADABLE;
use crate::pki::crl::Crl;
use crate::pki::ocsp::OcspResponse;
use crate::pki::profile::Profile;
use crate::pki::report::ChainReport;
use crate::pki::revocation::{RevocationData, RevocationPolicy};
use crate::pki::{source, Certificate, PkiError, TrustStore, ValidationOptions};

/// Environment variable naming the trust configuration directory.
pub const CERTS_DIR_ENV: &str = "KYSO_CERTS_DIR";
/// The trust configuration directory when [`CERTS_DIR_ENV`] is unset, relative to the working
/// directory.
pub const DEFAULT_CERTS_DIR: &str = "certs";
/// The subdirectory of the trust configuration that holds the anchors.
pub const ANCHORS_SUBDIR: &str = "anchors";
/// File extensions read as anchors in the anchors directory.
const ANCHOR_EXTENSIONS: [&str; 4] = ["pem", "crt", "cer", "der"];
/// Most files read from the anchors directory: a deployment trusts a handful of roots; a
/// directory with more files than this is a misconfiguration, not a trust list.
const MAX_ANCHOR_FILES: usize = 1_000;
/// Largest file read from the command line or the anchors directory, the loaders' own bound.
const MAX_FILE_BYTES: u64 = source::MAX_INPUT_BYTES as u64;

#[derive(Args, Debug)]
pub struct CertArgs {
    #[command(subcommand)]
    command: CertCommand,
}

#[derive(Subcommand, Debug)]
enum CertCommand {
    /// Validate a certificate chain (RFC 5280) for document signing. Exit 0 valid, 1 not valid,
    /// 2 input unreadable.
    Verify(VerifyArgs),
}

/// Trust anchors and revocation data from the command line.
#[derive(Args, Debug)]
pub(super) struct TrustArgs {
    /// Trust anchors; without any, the anchors configured in the certs directory are used.
    #[arg(long = "trust", value_name = "FILE")]
    pub(super) trust: Vec<PathBuf>,
    /// CRLs (PEM or DER; several per file allowed).
    #[arg(long = "crl", value_name = "FILE")]
    pub(super) crl: Vec<PathBuf>,
    /// OCSP responses (DER, or PEM labelled OCSP RESPONSE).
    #[arg(long = "ocsp", value_name = "FILE")]
    pub(super) ocsp: Vec<PathBuf>,
}

impl TrustArgs {
    /// The anchors and the revocation data (see [`trust_and_revocation`]).
    pub(super) fn load(&self) -> Result<(TrustStore, RevocationData), Unreadable> {
        trust_and_revocation(&self.trust, &self.crl, &self.ocsp)
    }
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// The end-entity certificate (PEM or DER). Further certificates in the same file are used
    /// as intermediates.
    leaf: PathBuf,
    /// Intermediate certificates (PEM, DER or PKCS#7; several per file allowed).
    #[arg(long = "chain", value_name = "FILE")]
    chain: Vec<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    /// Validation time (RFC 3339, e.g. 2026-01-31T09:00:00+07:00); default now.
    #[arg(long, value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// End-entity requirements.
    #[arg(long, value_enum, default_value = "document-signing")]
    profile: Profile,
    /// What an unknown revocation status means.
    #[arg(long, value_enum, default_value = "soft-fail")]
    revocation: RevocationPolicy,
    /// Print the report as JSON (UTF-8, non-ASCII written literally).
    #[arg(long)]
    json: bool,
}

/// The current time to the second: reports quote it, and sub-second digits only add noise.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

pub(super) fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("not an RFC 3339 time: {e}"))
}

pub fn run(args: CertArgs) -> u8 {
    match args.command {
        CertCommand::Verify(a) => verify(&a),
    }
}

/// Why the command could not evaluate anything: the message names the file.
pub(crate) struct Unreadable(pub(crate) String);

fn verify(args: &VerifyArgs) -> u8 {
    let outcome = inputs(args).and_then(|(leaf, intermediates, store, revocation)| {
        let options = ValidationOptions {
            profile: args.profile,
            revocation_policy: args.revocation,
            ..ValidationOptions::new(args.at.unwrap_or_else(now))
        };
        crate::pki::validate_chain(&leaf, &intermediates, &store, &revocation, &options)
            .map_err(|e| Unreadable(format!("the chain could not be evaluated: {e}")))
    });
    match outcome {
        Ok(report) => {
            super::print_report("cert verify", &report, report.is_valid(), args.json, human)
        }
        Err(Unreadable(msg)) => {
            eprintln!("kyso cert verify: {msg}");
            EXIT_UNREADABLE
        }
    }
}

type Inputs = (Certificate, Vec<Certificate>, TrustStore, RevocationData);

fn inputs(args: &VerifyArgs) -> Result<Inputs, Unreadable> {
    let mut leaf_file = certificates(&args.leaf)?.into_iter();
    let leaf = leaf_file.next().ok_or_else(|| {
        Unreadable(format!(
            "{}: no certificate in the file",
            args.leaf.display()
        ))
    })?;
    let mut intermediates: Vec<Certificate> = leaf_file.collect();
    for path in &args.chain {
        intermediates.extend(certificates(path)?);
    }
    let (store, revocation) = args.trust.load()?;
    Ok((leaf, intermediates, store, revocation))
}

/// The trust anchors (`--trust` files, else the configured `certs/anchors/`) and the revocation
/// data (`--crl`, `--ocsp` files) shared by `kyso cert verify` and `kyso verify`.
pub(crate) fn trust_and_revocation(
    trust: &[PathBuf],
    crl: &[PathBuf],
    ocsp: &[PathBuf],
) -> Result<(TrustStore, RevocationData), Unreadable> {
    let store = if trust.is_empty() {
        configured_anchors()?
    } else {
        let mut store = TrustStore::new();
        for path in trust {
            for cert in certificates(path)? {
                store.add(cert);
            }
        }
        store
    };
    let mut revocation = RevocationData::default();
    for path in crl {
        for der in objects(path, "X509 CRL")? {
            let crl = Crl::from_der(&der).map_err(|e| unreadable(path, &e))?;
            revocation.crls.push(crl);
        }
    }
    for path in ocsp {
        for der in objects(path, "OCSP RESPONSE")? {
            let resp = OcspResponse::from_der(&der).map_err(|e| unreadable(path, &e))?;
            revocation.ocsp.push(resp);
        }
    }
    Ok((store, revocation))
}

pub(super) fn unreadable(path: &Path, e: &PkiError) -> Unreadable {
    Unreadable(format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, Unreadable> {
    let len = std::fs::metadata(path)
        .map_err(|e| Unreadable(format!("{}: {e}", path.display())))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(Unreadable(format!(
            "{}: larger than {MAX_FILE_BYTES} bytes",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| Unreadable(format!("{}: {e}", path.display())))
}

pub(crate) fn certificates(path: &Path) -> Result<Vec<Certificate>, Unreadable> {
    let data = read(path)?;
    source::load_certificates(&data).map_err(|e| unreadable(path, &e))
}

/// The DER objects of a file: the PEM blocks with `label`, or the concatenated DER objects.
pub(super) fn objects(path: &Path, label: &str) -> Result<Vec<Vec<u8>>, Unreadable> {
    let data = read(path)?;
    if source::is_pem(&data) {
        let blocks = source::pem_blocks(&data).map_err(|e| unreadable(path, &e))?;
        let ders: Vec<Vec<u8>> = blocks
            .into_iter()
            .filter(|b| b.label == label)
            .map(|b| b.der)
            .collect();
        if ders.is_empty() {
            return Err(Unreadable(format!(
                "{}: no PEM block labelled {label}",
                path.display()
            )));
        }
        return Ok(ders);
    }
    let mut out = Vec::new();
    let mut rest = data.as_slice();
    while !rest.is_empty() {
        let len = source::der_length(rest)
            .ok_or_else(|| Unreadable(format!("{}: neither PEM nor DER", path.display())))?;
        if out.len() >= source::MAX_OBJECTS_PER_INPUT {
            return Err(Unreadable(format!(
                "{}: more than {} objects",
                path.display(),
                source::MAX_OBJECTS_PER_INPUT
            )));
        }
        let (obj, tail) = rest
            .split_at_checked(len)
            .ok_or_else(|| Unreadable(format!("{}: truncated DER object", path.display())))?;
        out.push(obj.to_vec());
        rest = tail;
    }
    if out.is_empty() {
        return Err(Unreadable(format!("{}: empty file", path.display())));
    }
    Ok(out)
}

/// The trust configuration directory (see the module documentation).
pub fn certs_dir() -> PathBuf {
    std::env::var_os(CERTS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CERTS_DIR))
}

/// The anchors configured in `<certs dir>/anchors/`, read in file-name order.
pub(super) fn configured_anchors() -> Result<TrustStore, Unreadable> {
    let dir = certs_dir().join(ANCHORS_SUBDIR);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        Unreadable(format!(
            "no --trust given and the anchors directory {} cannot be read ({e}); \
             see certs/README.md",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Unreadable(format!("{}: {e}", dir.display())))?
            .path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ANCHOR_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if wanted && path.is_file() {
            if files.len() >= MAX_ANCHOR_FILES {
                return Err(Unreadable(format!(
                    "{}: more than {MAX_ANCHOR_FILES} anchor files",
                    dir.display()
                )));
            }
            files.push(path);
        }
    }
    files.sort();
    let mut store = TrustStore::new();
    for path in &files {
        for cert in certificates(path)? {
            store.add(cert);
        }
    }
    if store.is_empty() {
        return Err(Unreadable(format!(
            "no --trust given and no trust anchor is installed in {}; see certs/README.md",
            dir.display()
        )));
    }
    Ok(store)
}

/// The report as plain text, Vietnamese labels first.
fn human(report: &ChainReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "Kết quả / Result: {}", word(&report.indication));
    if let Some(sub) = &report.sub_indication {
        let _ = writeln!(s, "Chỉ báo phụ / Sub-indication: {}", word(sub));
    }
    let _ = writeln!(s, "Lý do / Reason: {}", report.reason);
    let _ = writeln!(
        s,
        "Thời điểm kiểm tra / Validation time: {}",
        report
            .validation_time
            .format(&Rfc3339)
            .unwrap_or_else(|_| report.validation_time.to_string())
    );
    if !report.warnings.is_empty() {
        let _ = writeln!(s, "Cảnh báo / Warnings:");
        for w in &report.warnings {
            let _ = writeln!(s, "  - {w}");
        }
    }
    if report.path.is_empty() {
        let _ = writeln!(s, "Đường dẫn / Path: (không có / none)");
    } else {
        let _ = writeln!(s, "Đường dẫn / Path:");
        for (i, c) in report.path.iter().enumerate() {
            let _ = writeln!(s, "  {}. {}", i.saturating_add(1), c.subject);
            let _ = writeln!(s, "     serial {}", c.serial);
            let _ = writeln!(s, "     sha256 {}", c.sha256);
        }
    }
    s
}

/// The serialized (SCREAMING_SNAKE_CASE) name of a verdict value, so the text output uses the
/// same words as the JSON.
pub(super) fn word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}

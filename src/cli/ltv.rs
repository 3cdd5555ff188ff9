//! `kyso ltv extend FILE`: adds validation data (`/DSS`) and a fresh document timestamp to a
//! signed PDF in one more incremental update, so it keeps verifying after the last
//! timestamp's certificate expires. The bytes already in the file are never rewritten, so the
//! hashes recorded for its earlier revisions (ledger entries) still match. Also the options
//! that `kyso sign` shares for timestamps and validation data.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::cert::{trust_and_revocation, Unreadable};
use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::fetch::{ltv_updates, FetchConfig, HttpTimestamper, LevelSources, RevocationFetcher};
use crate::pades::{self, Level, Timestamper};
use crate::pdf::Document;
use crate::pki::{RevocationData, RevocationPolicy};
use crate::timestamping::{LocalAuthority, DEFAULT_POLICY};

/// Largest PDF extended in memory: far above any decision; the bound stops a wrong path to a
/// huge file from exhausting memory.
const MAX_EXTEND_BYTES: u64 = 1 << 30;

/// Where time-stamps come from.
#[derive(Args, Debug, Clone, Default)]
pub struct TsaArgs {
    /// URL of an RFC 3161 time-stamp authority (HTTP POST application/timestamp-query).
    #[arg(long = "tsa", value_name = "URL")]
    pub tsa: Option<String>,
    /// Time-stamp in process with this TSA certificate (PEM; development mode and closed
    /// deployments), with --tsa-key.
    #[arg(long = "tsa-cert", value_name = "FILE", conflicts_with = "tsa")]
    pub tsa_cert: Option<PathBuf>,
    /// The in-process TSA's private key (PEM).
    #[arg(long = "tsa-key", value_name = "FILE", requires = "tsa_cert")]
    pub tsa_key: Option<PathBuf>,
    /// The in-process TSA's CA certificates (PEM).
    #[arg(long = "tsa-chain", value_name = "FILE", requires = "tsa_cert")]
    pub tsa_chain: Option<PathBuf>,
    /// Seconds allowed for each network request (time-stamp, OCSP, CRL).
    #[arg(long = "timeout", default_value_t = 5)]
    pub timeout: u64,
}

impl TsaArgs {
    pub fn timestamper(&self) -> Result<Option<Box<dyn Timestamper>>, String> {
        if let Some(url) = &self.tsa {
            return Ok(Some(Box::new(HttpTimestamper::new(
                url,
                Duration::from_secs(self.timeout),
            ))));
        }
        let (Some(cert), Some(key)) = (&self.tsa_cert, &self.tsa_key) else {
            return Ok(None);
        };
        let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let chain = match &self.tsa_chain {
            Some(p) => read(p)?,
            None => Vec::new(),
        };
        let authority = LocalAuthority::from_pem(&read(cert)?, &chain, &read(key)?, DEFAULT_POLICY)
            .map_err(|e| format!("{}: {e}", cert.display()))?;
        Ok(Some(Box::new(authority)))
    }
}

/// Where validation data come from.
#[derive(Args, Debug, Clone, Default)]
pub struct MaterialArgs {
    /// Trust anchors the paths are built to; default the configured anchors.
    #[arg(long = "trust", value_name = "FILE")]
    pub trust: Vec<PathBuf>,
    /// CRLs to archive (PEM or DER).
    #[arg(long = "crl", value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// OCSP responses to archive (DER).
    #[arg(long = "ocsp", value_name = "FILE")]
    pub ocsp: Vec<PathBuf>,
    /// Fetch nothing: use only the CRLs and OCSP responses given.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Args, Debug)]
pub struct LtvArgs {
    #[command(subcommand)]
    command: LtvCommand,
}

#[derive(Subcommand, Debug)]
enum LtvCommand {
    /// Add validation data and a fresh document timestamp (B-LTA) to a signed PDF, in place
    /// or into --out; the earlier bytes stay identical.
    Extend(ExtendArgs),
}

#[derive(Args, Debug)]
struct ExtendArgs {
    /// The signed PDF.
    file: PathBuf,
    /// Write the extended PDF here instead of appending to FILE.
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    #[command(flatten)]
    tsa: TsaArgs,
    #[command(flatten)]
    material: MaterialArgs,
}

pub fn run(args: LtvArgs) -> u8 {
    match args.command {
        LtvCommand::Extend(a) => match extend(&a) {
            Ok(out) => {
                println!(
                    "Đã bổ sung dữ liệu kiểm tra dài hạn / extended: {}",
                    out.display()
                );
                EXIT_VALID
            }
            Err(msg) => {
                eprintln!("kyso ltv extend: {msg}");
                EXIT_UNREADABLE
            }
        },
    }
}

/// The bytes to append to `bytes` for `material` and a document timestamp from `tsa`.
pub fn extension_of(
    bytes: &[u8],
    material: &MaterialArgs,
    tsa: &TsaArgs,
    with_document_timestamp: bool,
) -> Result<Vec<u8>, String> {
    let (store, supplied) = trust_and_revocation(&material.trust, &material.crl, &material.ocsp)
        .map_err(|Unreadable(m)| m)?;
    let fetcher = RevocationFetcher::new(FetchConfig {
        timeout: Duration::from_secs(tsa.timeout),
        offline: material.offline,
        ..FetchConfig::default()
    });
    let timestamper = tsa.timestamper()?;
    if with_document_timestamp && timestamper.is_none() {
        return Err("a document timestamp needs --tsa URL or --tsa-cert/--tsa-key".into());
    }
    let sources = LevelSources {
        level: if with_document_timestamp {
            Level::BLta
        } else {
            Level::BLt
        },
        timestamper: timestamper.as_deref(),
        trust: &store,
        supplied: &supplied,
        fetcher: Some(&fetcher),
        now: OffsetDateTime::now_utc(),
    };
    let (tail, notes) = ltv_updates(bytes, &sources).map_err(|e| e.to_string())?;
    for n in notes {
        eprintln!("Cảnh báo / warning: {n}");
    }
    let wanted = if with_document_timestamp {
        Level::BLta
    } else {
        Level::BLt
    };
    let reached = level_reached(&[bytes, &tail].concat(), material)?;
    if reached.is_none_or(|l| l < wanted) {
        eprintln!(
            "Cảnh báo / warning: dữ liệu lưu kèm chưa đủ để đạt {} / the archived data do not \
             reach {} (reached: {}): give --crl/--ocsp or certificates with CRL/OCSP URLs",
            wanted.name(),
            wanted.name(),
            reached.map_or("none", Level::name)
        );
    }
    Ok(tail)
}

/// The PAdES level `bytes` reaches with only its embedded data, under the `require` policy.
fn level_reached(bytes: &[u8], material: &MaterialArgs) -> Result<Option<Level>, String> {
    let (store, _) = trust_and_revocation(&material.trust, &[], &[]).map_err(|Unreadable(m)| m)?;
    let doc = Document::open(bytes).map_err(|e| e.to_string())?;
    let report = pades::verify(
        &doc,
        &pades::VerifyOptions {
            now: OffsetDateTime::now_utc(),
            trust: &store,
            revocation: &RevocationData::default(),
            revocation_policy: RevocationPolicy::Require,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(report.level)
}

fn extend(args: &ExtendArgs) -> Result<PathBuf, String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let len = std::fs::metadata(&args.file)
        .map_err(|e| io(&args.file, e))?
        .len();
    if len > MAX_EXTEND_BYTES {
        return Err(format!(
            "{}: larger than {MAX_EXTEND_BYTES} bytes",
            args.file.display()
        ));
    }
    let bytes = std::fs::read(&args.file).map_err(|e| io(&args.file, e))?;
    let tail = extension_of(&bytes, &args.material, &args.tsa, true)?;
    let out = args.out.clone().unwrap_or_else(|| args.file.clone());
    let mut file = if args.out.is_some() {
        let mut f = std::fs::File::create(&out).map_err(|e| io(&out, e))?;
        f.write_all(&bytes).map_err(|e| io(&out, e))?;
        f
    } else {
        std::fs::OpenOptions::new()
            .append(true)
            .open(&out)
            .map_err(|e| io(&out, e))?
    };
    file.write_all(&tail).map_err(|e| io(&out, e))?;
    file.sync_all().map_err(|e| io(&out, e))?;
    Ok(out)
}

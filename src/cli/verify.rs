//! `kyso verify`: verifies every signature and document timestamp of a PDF. Exit 0 only when
//! every one is TOTAL_PASSED, 1 otherwise, 2 when the file cannot be read as a PDF.

use std::fs::File;
use std::path::PathBuf;

use clap::Args;
use time::OffsetDateTime;

use super::cert::{parse_time, trust_and_revocation, word, Unreadable};
use super::EXIT_UNREADABLE;
use crate::fetch::{gather, FetchConfig, RevocationFetcher};
use crate::pades::{self, DocumentReport, VerifyOptions};
use crate::pdf::salvage::open_salvaging;
use crate::pdf::{FileSource, PdfError};
use crate::pki::{RevocationData, RevocationPolicy, TrustStore};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The PDF to verify.
    file: PathBuf,
    /// Trust anchors; without any, the anchors configured in the certs directory are used.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// CRLs (PEM or DER).
    #[arg(long = "crl", value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// OCSP responses (DER, or PEM labelled OCSP RESPONSE).
    #[arg(long = "ocsp", value_name = "FILE")]
    ocsp: Vec<PathBuf>,
    /// The current time for signatures without a trusted timestamp (RFC 3339); default now.
    #[arg(long, value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// What an unknown revocation status means.
    #[arg(long, value_enum, default_value = "soft-fail")]
    revocation: RevocationPolicy,
    /// Print the report as JSON (UTF-8, non-ASCII written literally).
    #[arg(long)]
    json: bool,
    /// Fetch nothing: use only the revocation data given and embedded in the file. Without
    /// it, CRLs and OCSP responses are fetched from the URLs in the certificates.
    #[arg(long)]
    offline: bool,
    /// Seconds allowed for each revocation fetch.
    #[arg(long = "timeout", default_value_t = 5)]
    timeout: u64,
}

fn inputs(args: &VerifyArgs) -> Result<(TrustStore, RevocationData), Unreadable> {
    trust_and_revocation(&args.trust, &args.crl, &args.ocsp)
}

pub fn run(args: VerifyArgs) -> u8 {
    let (store, revocation) = match inputs(&args) {
        Ok(x) => x,
        Err(Unreadable(msg)) => {
            eprintln!("kyso verify: {msg}");
            return EXIT_UNREADABLE;
        }
    };
    let src = match File::open(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|f| FileSource::new(f).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("kyso verify: {}: {msg}", args.file.display());
            return EXIT_UNREADABLE;
        }
    };
    let (doc, damage) = match open_salvaging(&src) {
        Ok(d) => d,
        Err(e) => {
            let msg = match e {
                PdfError::Encrypted => "tệp PDF được mã hóa, không hỗ trợ / encrypted PDF: \
                                        not supported"
                    .to_string(),
                other => format!("không đọc được tệp PDF / not a readable PDF: {other}"),
            };
            eprintln!("kyso verify: {}: {msg}", args.file.display());
            return EXIT_UNREADABLE;
        }
    };
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let revocation = if args.offline || args.revocation == RevocationPolicy::Off {
        revocation
    } else {
        let fetcher = RevocationFetcher::new(FetchConfig {
            timeout: std::time::Duration::from_secs(args.timeout),
            ..FetchConfig::default()
        });
        let found = gather(&doc, &store, &revocation, Some(&fetcher), now);
        found.revocation
    };
    let options = VerifyOptions {
        now,
        trust: &store,
        revocation: &revocation,
        revocation_policy: args.revocation,
    };
    let mut report = match pades::verify(&doc, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kyso verify: {}: {e}", args.file.display());
            return EXIT_UNREADABLE;
        }
    };
    if let Some(d) = &damage {
        report.unreadable_tail(d);
    }
    super::print_report("verify", &report, report.is_valid(), args.json, human)
}

fn human(report: &DocumentReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "Kết quả / Result: {}", word(&report.indication));
    if let Some(level) = report.level {
        let _ = writeln!(s, "Mức PAdES / PAdES level: {}", level.name());
    }
    for w in &report.warnings {
        let _ = writeln!(s, "Cảnh báo / Warning: {w}");
    }
    for sig in &report.signatures {
        let _ = writeln!(
            s,
            "\n[{}] {} — {}",
            sig.field,
            sig.kind,
            word(&sig.indication)
        );
        if let Some(sub) = &sig.sub_indication {
            let _ = writeln!(s, "  Chỉ báo phụ / Sub-indication: {}", word(sub));
        }
        let _ = writeln!(s, "  Lý do / Reason: {}", sig.reason);
        if let Some(signer) = &sig.signer {
            let _ = writeln!(s, "  Người ký / Signer: {}", signer.subject);
        }
        if let Some(t) = &sig.claimed_time {
            let _ = writeln!(s, "  Thời gian ký (tự khai) / Claimed time: {t}");
        }
        if let Some(t) = &sig.timestamp_time {
            let _ = writeln!(s, "  Dấu thời gian / Timestamp: {t}");
        }
        let _ = writeln!(
            s,
            "  Thời điểm kiểm tra / Validated at: {} ({})",
            sig.validation_time, sig.time_source
        );
        if let Some(level) = sig.level {
            let _ = writeln!(s, "  Mức PAdES / PAdES level: {}", level.name());
        }
        let _ = writeln!(
            s,
            "  Phạm vi / Coverage: {}; thay đổi sau đó / changes after: {}",
            word(&sig.coverage),
            word(&sig.changes_after)
        );
        for w in &sig.warnings {
            let _ = writeln!(s, "  Cảnh báo / Warning: {w}");
        }
    }
    s
}

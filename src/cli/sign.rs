//! `kyso sign`: adds a PAdES signature to a PDF in an incremental update.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Args, ValueEnum};
use openssl::pkey::{Id, PKey};
use time::OffsetDateTime;

use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::cms::{PKeySigner, SignatureAlgorithm};
use crate::pades::appearance::{Placement, SignatureAppearance};
use crate::pades::{self, Certification, SignOptions};
use crate::pdf::{Document, FileSource};
use crate::pki::{source, Certificate};

/// Largest key or certificate file read: far above any PEM chain, small enough to refuse a
/// wrong path pointing at a large file.
const MAX_CREDENTIAL_BYTES: u64 = 1 << 20;

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The PDF to sign.
    input: PathBuf,
    /// Where to write the signed PDF (may be the input itself).
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// The private key (PEM, unencrypted).
    #[arg(long)]
    key: PathBuf,
    /// The signer's certificate (PEM or DER).
    #[arg(long)]
    cert: PathBuf,
    /// Further certificates to embed (intermediate CAs).
    #[arg(long = "chain", value_name = "FILE")]
    chain: Vec<PathBuf>,
    /// The reason for signing (`/Reason`).
    #[arg(long)]
    reason: Option<String>,
    /// The place of signing (`/Location`).
    #[arg(long)]
    location: Option<String>,
    /// The visible signature block: auto (bottom right of the last page), none, or
    /// PAGE,X,Y,W,H (page from 1, points).
    #[arg(long, default_value = "auto")]
    visible: String,
    /// URL for the QR code of the visible block.
    #[arg(long = "qr-url")]
    qr_url: Option<String>,
    /// Certify the document: 1 no changes allowed, 2 form filling and signing allowed.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    certify: Option<u8>,
    /// Signature algorithm for an RSA key (ECDSA keys always use ECDSA with SHA-256).
    #[arg(long, value_enum, default_value = "pkcs1")]
    rsa_padding: RsaPadding,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RsaPadding {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Pkcs1,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt.
    Pss,
}

pub fn run(args: SignArgs) -> u8 {
    match sign(&args) {
        Ok(field) => {
            println!(
                "Đã ký / signed: {} (trường / field {field})",
                args.out.display()
            );
            EXIT_VALID
        }
        Err(msg) => {
            eprintln!("kyso sign: {msg}");
            EXIT_UNREADABLE
        }
    }
}

pub(crate) fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if len > MAX_CREDENTIAL_BYTES {
        return Err(format!(
            "{}: larger than {MAX_CREDENTIAL_BYTES} bytes",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let data = read_small(path)?;
    let certs = source::load_certificates(&data).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(certs.iter().map(|c| c.der().to_vec()).collect())
}

fn sign(args: &SignArgs) -> Result<String, String> {
    let key_pem = read_small(&args.key)?;
    let key = PKey::private_key_from_pem(&key_pem).map_err(|e| {
        format!(
            "{}: not an unencrypted PEM private key ({e})",
            args.key.display()
        )
    })?;
    let algorithm = match (key.id(), args.rsa_padding) {
        (Id::RSA, RsaPadding::Pkcs1) => SignatureAlgorithm::RsaPkcs1Sha256,
        (Id::RSA, RsaPadding::Pss) => SignatureAlgorithm::RsaPssSha256,
        _ => SignatureAlgorithm::EcdsaP256Sha256,
    };
    let signer =
        PKeySigner::new(key, algorithm).map_err(|e| format!("{}: {e}", args.key.display()))?;
    let mut cert_file = certificates(&args.cert)?.into_iter();
    let cert = cert_file
        .next()
        .ok_or_else(|| format!("{}: no certificate", args.cert.display()))?;
    let mut chain: Vec<Vec<u8>> = cert_file.collect();
    for p in &args.chain {
        chain.extend(certificates(p)?);
    }
    let placement = Placement::from_str(&args.visible).map_err(|e| format!("--visible: {e}"))?;
    if args.qr_url.is_some() && placement == Placement::None {
        return Err("--qr-url needs a visible signature block".into());
    }

    let file = File::open(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let src = FileSource::new(file).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let doc = Document::open(src).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let now = OffsetDateTime::now_utc();
    let appearance = if placement == Placement::None {
        None
    } else {
        let parsed =
            Certificate::from_der(&cert).map_err(|e| format!("{}: {e}", args.cert.display()))?;
        let mut a = SignatureAppearance::for_certificate(&parsed, now);
        a.qr_url = args.qr_url.clone();
        a.placement = placement;
        Some(a)
    };
    let options = SignOptions {
        claimed_time: now,
        reason: args.reason.clone(),
        location: args.location.clone(),
        certify: match args.certify {
            Some(1) => Some(Certification::NoChanges),
            Some(_) => Some(Certification::FormFilling),
            None => None,
        },
        field_name: None,
        appearance,
    };
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile_in(dir)?;
    // The original bytes go into the output unchanged, so one core copies them (inside the
    // kernel) while the other hashes them for the signature.
    let (signed, copied) = std::thread::scope(|s| {
        let copier = s.spawn(|| copy_original(&args.input, &tmp));
        let signed = pades::sign(&doc, &signer, &cert, &chain, &options);
        (signed, copier.join())
    });
    let result = (|| -> Result<String, String> {
        let signed = signed.map_err(|e| format!("{}: {e}", args.input.display()))?;
        let io = |e: std::io::Error| format!("{}: {e}", args.out.display());
        let mut file = copied
            .map_err(|_| "the copying thread panicked".to_string())?
            .map_err(io)?;
        file.write_all(&signed.update.bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &args.out).map_err(io)?;
        Ok(signed.field_name)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Copies `input` to a new file at `tmp` and returns it positioned at its end. The signed file
/// is built in a temporary file renamed into place, so that a failure never leaves a
/// half-written output (and signing in place works).
fn copy_original(input: &Path, tmp: &Path) -> std::io::Result<File> {
    let mut from = File::open(input)?;
    let mut to = File::create(tmp)?;
    std::io::copy(&mut from, &mut to)?;
    Ok(to)
}

fn tempfile_in(dir: &Path) -> Result<PathBuf, String> {
    let mut suffix = [0u8; 8];
    openssl::rand::rand_bytes(&mut suffix).map_err(|e| e.to_string())?;
    Ok(dir.join(format!(".kyso-sign-{}.tmp", hex::encode(suffix))))
}

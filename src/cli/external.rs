//! `kyso external prepare|complete`: two-step signing with a key kyso never touches (a USB
//! token driven by another program, a remote-signing service). `prepare` writes the digest to
//! sign and a state file; `complete` takes the state, the same PDF and the signature value and
//! writes the signed PDF (see [`crate::pades::PreparedDocument`]).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use time::OffsetDateTime;

use super::sign::{
    certificates, copy_original, finish_output, open_pdf, read_small, sign_options, temp_beside,
    Extension, LevelArgs, LookArgs,
};
use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::cms::SignatureAlgorithm;
use crate::pades::{prepare_external, PreparedDocument, MAX_STATE_SIZE};

#[derive(Args, Debug)]
pub struct ExternalArgs {
    #[command(subcommand)]
    command: ExternalCommand,
}

#[derive(Subcommand, Debug)]
enum ExternalCommand {
    /// Prepare the signature of a PDF: write the SHA-256 digest to sign and the state.
    Prepare(PrepareArgs),
    /// Complete a prepared signature with the signature value over the digest.
    Complete(CompleteArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`openssl pkeyutl -sign -pkeyopt digest:sha256`).
    RsaPkcs1Sha256,
    /// ECDSA P-256 with SHA-256, DER signature value.
    EcdsaP256Sha256,
}

#[derive(Args, Debug)]
struct PrepareArgs {
    /// The PDF to sign.
    input: PathBuf,
    /// The signer's certificate (PEM or DER); further certificates in the file are embedded.
    #[arg(long)]
    cert: PathBuf,
    /// Further certificates to embed.
    #[arg(long = "chain", value_name = "FILE")]
    chain: Vec<PathBuf>,
    /// The signature algorithm the key holder uses; default from the certificate's key.
    #[arg(long, value_enum)]
    algorithm: Option<Algorithm>,
    #[command(flatten)]
    look: LookArgs,
    /// Where to write the state (JSON) that `complete` needs.
    #[arg(long)]
    state: PathBuf,
    /// Where to write the 32-byte digest to sign (binary).
    #[arg(long)]
    digest: PathBuf,
}

#[derive(Args, Debug)]
struct CompleteArgs {
    /// The same PDF that was prepared.
    input: PathBuf,
    /// The state written by `prepare`.
    #[arg(long)]
    state: PathBuf,
    /// The signature value (binary: PKCS#1 v1.5 block, or DER ECDSA-Sig-Value).
    #[arg(long)]
    signature: PathBuf,
    /// Where to write the signed PDF.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    #[command(flatten)]
    level: LevelArgs,
}

pub fn run(args: ExternalArgs) -> u8 {
    let outcome = match &args.command {
        ExternalCommand::Prepare(a) => prepare(a),
        ExternalCommand::Complete(a) => complete(a),
    };
    match outcome {
        Ok(msg) => {
            println!("{msg}");
            EXIT_VALID
        }
        Err(msg) => {
            eprintln!("kyso external: {msg}");
            EXIT_UNREADABLE
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn prepare(args: &PrepareArgs) -> Result<String, String> {
    let mut certs = certificates(&args.cert)?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", args.cert.display()));
    }
    let cert = certs.remove(0);
    for p in &args.chain {
        certs.extend(certificates(p)?);
    }
    let algorithm = match args.algorithm {
        Some(Algorithm::RsaPkcs1Sha256) => SignatureAlgorithm::RsaPkcs1Sha256,
        Some(Algorithm::EcdsaP256Sha256) => SignatureAlgorithm::EcdsaP256Sha256,
        None => {
            let x509 = openssl::x509::X509::from_der(&cert).map_err(|e| e.to_string())?;
            let key = x509.public_key().map_err(|e| e.to_string())?;
            if key.rsa().is_ok() {
                SignatureAlgorithm::RsaPkcs1Sha256
            } else {
                SignatureAlgorithm::EcdsaP256Sha256
            }
        }
    };
    let doc = open_pdf(&args.input)?;
    let options = sign_options(&args.look, &cert, OffsetDateTime::now_utc())?;
    let prepared = prepare_external(&doc, &cert, &certs, algorithm, &options)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let digest = prepared.digest_to_sign();
    write(&args.digest, &digest)?;
    write(
        &args.state,
        &prepared.to_bytes().map_err(|e| e.to_string())?,
    )?;
    Ok(hex::encode(digest))
}

fn complete(args: &CompleteArgs) -> Result<String, String> {
    let io = |e: std::io::Error| format!("{}: {e}", args.state.display());
    if std::fs::metadata(&args.state).map_err(io)?.len() > MAX_STATE_SIZE as u64 {
        return Err(format!(
            "{}: larger than {MAX_STATE_SIZE} bytes",
            args.state.display()
        ));
    }
    let state = std::fs::read(&args.state).map_err(io)?;
    let prepared = PreparedDocument::from_bytes(&state).map_err(|e| e.to_string())?;
    let signature = read_small(&args.signature)?;
    let doc = open_pdf(&args.input)?;
    let timestamper = args.level.signature_timestamper()?;
    let signed = prepared
        .complete_timestamped(&doc, &signature, timestamper.as_deref())
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let tmp = temp_beside(&args.out)?;
    let copied = copy_original(&args.input, &tmp);
    let extend = |signed_file: &[u8]| args.level.extend(signed_file);
    let extension: Option<&Extension<'_>> = args.level.extends().then_some(&extend);
    let field = finish_output(&tmp, copied, Ok(signed), extension, &args.out)?;
    Ok(format!(
        "Đã ký / signed: {} (trường / field {field})",
        args.out.display()
    ))
}

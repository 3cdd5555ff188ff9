//! `kyso sign`: adds a PAdES signature to a PDF in an incremental update.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::{Args, ValueEnum};
use openssl::pkey::{Id, PKey};
use time::OffsetDateTime;

use super::keys::{secret_source, PassphraseArgs, TokenArgs};
use super::ltv::{extension_of, MaterialArgs, TsaArgs};
use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::cms::{PKeySigner, RawSigner, SignatureAlgorithm};
use crate::keys::{decrypt_key_file, Registry, Token};
use crate::pades::appearance::{Placement, SignatureAppearance};
use crate::pades::{self, Certification, Level, SignOptions, SignedUpdate, Timestamper};
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
    /// The private key: PEM, or an encrypted PKCS#8 file with --passphrase-env/-file.
    #[arg(long, conflicts_with_all = ["key_id", "module"])]
    key: Option<PathBuf>,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// A key in a PKCS#11 token: its label (CKA_LABEL), with --pkcs11-module, --token and
    /// --pin-env/--pin-file.
    #[arg(long = "key-label", requires = "module")]
    key_label: Option<String>,
    #[command(flatten)]
    token: TokenArgs,
    /// A key of the registry in the data directory (`kyso keys list`); its certificate and
    /// chain come from the registry.
    #[arg(long = "key-id", conflicts_with = "module")]
    key_id: Option<String>,
    /// Data directory holding the key registry (for --key-id).
    #[arg(long, env = "KYSO_DATA", default_value = "./kyso-data")]
    dir: PathBuf,
    /// The signer's certificate (PEM or DER); not needed with --key-id.
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Further certificates to embed (intermediate CAs).
    #[arg(long = "chain", value_name = "FILE")]
    chain: Vec<PathBuf>,
    #[command(flatten)]
    look: LookArgs,
    /// Signature algorithm for an RSA key (ECDSA keys always use ECDSA with SHA-256).
    #[arg(long, value_enum, default_value = "pkcs1")]
    rsa_padding: RsaPadding,
    #[command(flatten)]
    level: LevelArgs,
}

/// The PAdES level and where its timestamps and validation data come from: shared by
/// `kyso sign` and `kyso external complete`.
#[derive(Args, Debug)]
pub(super) struct LevelArgs {
    /// PAdES baseline level: B-B; B-T adds a signature timestamp (needs a TSA); B-LT adds the
    /// validation data (/DSS); B-LTA adds a document timestamp over them.
    #[arg(long, value_enum, default_value = "B-B")]
    level: Level,
    #[command(flatten)]
    tsa: TsaArgs,
    #[command(flatten)]
    material: MaterialArgs,
}

impl LevelArgs {
    /// The signature's timestamper: none below B-T; from B-T on the configured authority, or
    /// an error saying how to give one.
    pub(super) fn signature_timestamper(&self) -> Result<Option<Box<dyn Timestamper>>, String> {
        if self.level < Level::BT {
            return Ok(None);
        }
        match self.tsa.timestamper()? {
            Some(t) => Ok(Some(t)),
            None => Err(format!(
                "--level {} needs a time-stamp authority: --tsa URL or --tsa-cert/--tsa-key",
                self.level.name()
            )),
        }
    }

    /// What B-LT and B-LTA append to the signed file: its validation data, then the document
    /// timestamp.
    pub(super) fn extend(&self, signed_file: &[u8]) -> Result<Vec<u8>, String> {
        extension_of(
            signed_file,
            &self.material,
            &self.tsa,
            self.level == Level::BLta,
        )
    }

    /// Whether the level adds updates after the signature.
    pub(super) fn extends(&self) -> bool {
        self.level >= Level::BLt
    }
}

/// What the signature says and shows: shared by `kyso sign` and `kyso external prepare`.
#[derive(Args, Debug)]
pub(super) struct LookArgs {
    /// The reason for signing (`/Reason`).
    #[arg(long)]
    pub(super) reason: Option<String>,
    /// The place of signing (`/Location`).
    #[arg(long)]
    pub(super) location: Option<String>,
    /// The visible signature block: auto (bottom right of the last page), none, or
    /// PAGE,X,Y,W,H (page from 1, points).
    #[arg(long, default_value = "auto")]
    pub(super) visible: String,
    /// URL for the QR code of the visible block.
    #[arg(long = "qr-url")]
    pub(super) qr_url: Option<String>,
    /// Certify the document: 1 no changes allowed, 2 form filling and signing allowed.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub(super) certify: Option<u8>,
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

/// The signing key with its certificate and chain, from whichever source the options name.
fn credentials(args: &SignArgs) -> Result<Credentials, String> {
    let mut chain: Vec<Vec<u8>> = Vec::new();
    let (signer, mut cert_file): (Box<dyn RawSigner>, Vec<Vec<u8>>) = if let Some(id) = &args.key_id
    {
        let registry =
            Registry::open(&args.dir.join(super::keys::KEYS_SUBDIR)).map_err(|e| e.to_string())?;
        let loaded = registry.load_signer(id).map_err(|e| e.to_string())?;
        if loaded.certificate.is_empty() {
            return Err(format!(
                "key {id} has no certificate yet (kyso keys import)"
            ));
        }
        let mut certs = vec![loaded.certificate];
        certs.extend(loaded.chain);
        (loaded.signer, certs)
    } else if let Some(token) = args.token.config()? {
        let label = args
            .key_label
            .as_deref()
            .ok_or("a PKCS#11 key needs --key-label")?;
        let signer = Token::open(&token)
            .and_then(|t| t.signer(label))
            .map_err(|e| e.to_string())?;
        (Box::new(signer), cert_chain(args)?)
    } else {
        let path = args
            .key
            .as_ref()
            .ok_or("give --key FILE, --key-id ID, or a PKCS#11 key (--pkcs11-module ...)")?;
        let key_pem = read_small(path)?;
        let passphrase = secret_source(
            &args.passphrase.passphrase_env,
            &args.passphrase.passphrase_file,
        );
        let key = match passphrase {
            Some(source) => {
                let pass = source.read().map_err(|e| e.to_string())?;
                decrypt_key_file(&key_pem, &pass).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => PKey::private_key_from_pem(&key_pem).map_err(|e| {
                format!(
                    "{}: not an unencrypted PEM private key (an encrypted one needs \
                     --passphrase-env or --passphrase-file) ({e})",
                    path.display()
                )
            })?,
        };
        let algorithm = match (key.id(), args.rsa_padding) {
            (Id::RSA, RsaPadding::Pkcs1) => SignatureAlgorithm::RsaPkcs1Sha256,
            (Id::RSA, RsaPadding::Pss) => SignatureAlgorithm::RsaPssSha256,
            _ => SignatureAlgorithm::EcdsaP256Sha256,
        };
        let signer =
            PKeySigner::new(key, algorithm).map_err(|e| format!("{}: {e}", path.display()))?;
        (Box::new(signer), cert_chain(args)?)
    };
    if cert_file.is_empty() {
        return Err("no signer certificate".into());
    }
    let cert = cert_file.remove(0);
    chain.extend(cert_file);
    for p in &args.chain {
        chain.extend(certificates(p)?);
    }
    Ok(Credentials {
        signer,
        cert,
        chain,
    })
}

/// The certificates of `--cert`, the signer's first.
fn cert_chain(args: &SignArgs) -> Result<Vec<Vec<u8>>, String> {
    let path = args
        .cert
        .as_ref()
        .ok_or("--cert is needed with --key or a PKCS#11 key")?;
    let certs = certificates(path)?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", path.display()));
    }
    Ok(certs)
}

struct Credentials {
    signer: Box<dyn RawSigner>,
    cert: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

fn sign(args: &SignArgs) -> Result<String, String> {
    let Credentials {
        signer,
        cert,
        chain,
    } = credentials(args)?;
    let timestamper = args.level.signature_timestamper()?;
    let doc = open_pdf(&args.input)?;
    let options = sign_options(&args.look, &cert, OffsetDateTime::now_utc())?;
    let tmp = temp_beside(&args.out)?;
    // The original bytes go into the output unchanged, so one core copies them (inside the
    // kernel) while the other hashes them for the signature.
    let (signed, copied) = std::thread::scope(|s| {
        let copier = s.spawn(|| copy_original(&args.input, &tmp));
        let signed = pades::sign_timestamped(
            &doc,
            signer.as_ref(),
            &cert,
            &chain,
            &options,
            timestamper.as_deref(),
        );
        (signed, copier.join())
    });
    let copied =
        copied.unwrap_or_else(|_| Err(std::io::Error::other("the copying thread panicked")));
    let signed = signed.map_err(|e| format!("{}: {e}", args.input.display()));
    let extend = |signed_file: &[u8]| args.level.extend(signed_file);
    let extension: Option<&Extension<'_>> = args.level.extends().then_some(&extend);
    finish_output(&tmp, copied, signed, extension, &args.out)
}

/// Computes, from the whole signed file, the bytes to append to it (B-LT validation data and
/// the B-LTA document timestamp).
pub(super) type Extension<'a> = dyn Fn(&[u8]) -> Result<Vec<u8>, String> + 'a;

/// Appends the signed update to the copy of the original at `tmp`, then the `extension` of the
/// signed file if any, and renames it to `out`; removes `tmp` on any failure. Returns the
/// signature field's name.
pub(super) fn finish_output(
    tmp: &Path,
    copied: std::io::Result<File>,
    signed: Result<SignedUpdate, String>,
    extension: Option<&Extension<'_>>,
    out: &Path,
) -> Result<String, String> {
    let result = (|| -> Result<String, String> {
        let signed = signed?;
        let io = |e: std::io::Error| format!("{}: {e}", out.display());
        let mut file = copied.map_err(io)?;
        file.write_all(&signed.update.bytes).map_err(io)?;
        if let Some(extend) = extension {
            file.sync_all().map_err(io)?;
            let bytes = std::fs::read(tmp).map_err(io)?;
            file.write_all(&extend(&bytes)?).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        std::fs::rename(tmp, out).map_err(io)?;
        Ok(signed.field_name)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// A fresh temporary file name in the directory of `out`.
pub(super) fn temp_beside(out: &Path) -> Result<PathBuf, String> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile_in(dir)
}

/// Opens the PDF at `path`.
pub(super) fn open_pdf(path: &Path) -> Result<Document<FileSource>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let src = FileSource::new(file).map_err(|e| format!("{}: {e}", path.display()))?;
    Document::open(src).map_err(|e| format!("{}: {e}", path.display()))
}

/// The signature options of `look` for the signer certificate `cert` (DER) at `now`.
pub(super) fn sign_options(
    look: &LookArgs,
    cert: &[u8],
    now: OffsetDateTime,
) -> Result<SignOptions, String> {
    let placement = Placement::from_str(&look.visible).map_err(|e| format!("--visible: {e}"))?;
    if look.qr_url.is_some() && placement == Placement::None {
        return Err("--qr-url needs a visible signature block".into());
    }

    let appearance = if placement == Placement::None {
        None
    } else {
        let parsed = Certificate::from_der(cert).map_err(|e| format!("signer certificate: {e}"))?;
        let mut a = SignatureAppearance::for_certificate(&parsed, now);
        a.qr_url = look.qr_url.clone();
        a.placement = placement;
        Some(a)
    };
    Ok(SignOptions {
        claimed_time: now,
        reason: look.reason.clone(),
        location: look.location.clone(),
        certify: match look.certify {
            Some(1) => Some(Certification::NoChanges),
            Some(_) => Some(Certification::FormFilling),
            None => None,
        },
        field_name: None,
        appearance,
    })
}

/// Copies `input` to a new file at `tmp` and returns it positioned at its end. The signed file
/// is built in a temporary file renamed into place, so that a failure never leaves a
/// half-written output (and signing in place works).
pub(super) fn copy_original(input: &Path, tmp: &Path) -> std::io::Result<File> {
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

//! `kyso keys`: generate a signing key (encrypted file or PKCS#11 token), write its
//! certificate request, import the issued certificate after the registration checks, list,
//! activate (rotate) and retire keys. The registry lives in `<dir>/keys/` (see
//! [`crate::keys::Registry`]).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use time::OffsetDateTime;

use super::cert::{certificates, TrustArgs};
use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::keys::{
    certificate_request, check_registration, KeyKind, KeyState, KeysError, RegistrationInputs,
    Registry, ScryptCost, SecretSource, SubjectFields, Token, TokenConfig,
};
use crate::pki::revocation::RevocationPolicy;

/// The keys directory inside the data directory.
pub const KEYS_SUBDIR: &str = "keys";

#[derive(Args, Debug)]
pub struct KeysArgs {
    /// Data directory; the keys are in its `keys/` subdirectory.
    #[arg(long, env = "KYSO_DATA", default_value = "./kyso-data", global = true)]
    dir: PathBuf,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Generate a key for a signer, in an encrypted file or inside a PKCS#11 token (state
    /// pending). Prints the key id.
    Generate(GenerateArgs),
    /// Write a certificate request (PKCS#10) signed by the key.
    Csr(CsrArgs),
    /// Import the issued certificate of a pending key, after checking that it matches the
    /// key, validates to a trust anchor for document signing and has not expired.
    Import(ImportArgs),
    /// List the keys.
    List(ListArgs),
    /// Make a key its signer's active key; the previous active key is retired in the same
    /// step.
    Activate(KeyRef),
    /// Retire a key: it signs nothing more; what it signed keeps verifying.
    Retire(KeyRef),
    /// Mark a key compromised.
    Compromised(KeyRef),
    /// Show the token's protection attributes of a PKCS#11 key (sensitive, extractable).
    Protection(KeyRef),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Algorithm {
    /// RSA-2048, signing with PKCS#1 v1.5 and SHA-256.
    Rsa2048,
    /// ECDSA on P-256 with SHA-256.
    EcP256,
}

/// Where a secret comes from: exactly one of the environment variable or the file.
#[derive(Args, Debug, Clone)]
pub(super) struct PinArgs {
    /// Environment variable holding the token's user PIN.
    #[arg(long = "pin-env", value_name = "VAR", conflicts_with = "pin_file")]
    pub(super) pin_env: Option<String>,
    /// File holding the token's user PIN.
    #[arg(long = "pin-file", value_name = "FILE")]
    pub(super) pin_file: Option<PathBuf>,
}

/// Where a key-file passphrase comes from.
#[derive(Args, Debug, Clone)]
pub(super) struct PassphraseArgs {
    /// Environment variable holding the key file's passphrase.
    #[arg(
        long = "passphrase-env",
        value_name = "VAR",
        conflicts_with = "passphrase_file"
    )]
    pub(super) passphrase_env: Option<String>,
    /// File holding the key file's passphrase.
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub(super) passphrase_file: Option<PathBuf>,
}

/// The secret source named by an `--X-env` / `--X-file` pair, if any.
pub(super) fn secret_source(env: &Option<String>, file: &Option<PathBuf>) -> Option<SecretSource> {
    match (env, file) {
        (Some(v), _) => Some(SecretSource::Env(v.clone())),
        (None, Some(f)) => Some(SecretSource::File(f.clone())),
        (None, None) => None,
    }
}

/// A PKCS#11 token on the command line.
#[derive(Args, Debug, Clone)]
pub(super) struct TokenArgs {
    /// The PKCS#11 module (shared library), e.g. /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long = "pkcs11-module", value_name = "FILE")]
    pub(super) module: Option<PathBuf>,
    /// The token's label.
    #[arg(long, requires = "module")]
    pub(super) token: Option<String>,
    #[command(flatten)]
    pub(super) pin: PinArgs,
}

impl TokenArgs {
    /// The token configuration, when a module is given.
    pub(super) fn config(&self) -> Result<Option<TokenConfig>, String> {
        let Some(module) = &self.module else {
            return Ok(None);
        };
        let token = self
            .token
            .clone()
            .ok_or("--pkcs11-module needs --token LABEL")?;
        let pin = secret_source(&self.pin.pin_env, &self.pin.pin_file)
            .ok_or("a PKCS#11 token needs --pin-env VAR or --pin-file FILE")?;
        Ok(Some(TokenConfig {
            module: module.clone(),
            token,
            pin,
        }))
    }
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// The signer (agency) the key belongs to.
    #[arg(long)]
    signer: String,
    #[arg(long, value_enum, default_value = "rsa2048")]
    algorithm: Algorithm,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

#[derive(Args, Debug)]
struct KeyRef {
    /// The key id (see `kyso keys list`).
    #[arg(long = "key")]
    key: String,
}

#[derive(Args, Debug)]
struct CsrArgs {
    #[command(flatten)]
    key: KeyRef,
    /// commonName (CN): the agency or person, in Vietnamese.
    #[arg(long)]
    cn: String,
    /// organizationName (O).
    #[arg(long)]
    o: Option<String>,
    /// organizationalUnitName (OU).
    #[arg(long)]
    ou: Option<String>,
    /// localityName (L).
    #[arg(long)]
    l: Option<String>,
    /// stateOrProvinceName (ST): the province.
    #[arg(long)]
    st: Option<String>,
    /// userId (UID): tax code or citizen id, as the CA writes it (e.g. MST:...).
    #[arg(long)]
    uid: Option<String>,
    /// Where to write the request (PEM).
    #[arg(long, short = 'o')]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct ImportArgs {
    #[command(flatten)]
    key: KeyRef,
    /// The issued certificate (PEM or DER); further certificates in the file form the chain.
    #[arg(long)]
    cert: PathBuf,
    /// Intermediate certificates.
    #[arg(long = "chain", value_name = "FILE")]
    chain: Vec<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    /// What an unknown revocation status means.
    #[arg(long, value_enum, default_value = "soft-fail")]
    revocation: RevocationPolicy,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: KeysArgs) -> u8 {
    let keys_dir = args.dir.join(KEYS_SUBDIR);
    let outcome = match &args.command {
        KeysCommand::Generate(a) => generate(&keys_dir, a),
        KeysCommand::Csr(a) => csr(&keys_dir, a),
        KeysCommand::Import(a) => import(&keys_dir, a),
        KeysCommand::List(a) => list(&keys_dir, a),
        KeysCommand::Activate(k) => activate(&keys_dir, &k.key),
        KeysCommand::Retire(k) => set_state(&keys_dir, &k.key, KeyState::Retired),
        KeysCommand::Compromised(k) => set_state(&keys_dir, &k.key, KeyState::Compromised),
        KeysCommand::Protection(k) => protection(&keys_dir, &k.key),
    };
    match outcome {
        Ok(()) => EXIT_VALID,
        Err(msg) => {
            eprintln!("kyso keys: {msg}");
            EXIT_UNREADABLE
        }
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn text(e: KeysError) -> String {
    e.to_string()
}

fn generate(dir: &Path, args: &GenerateArgs) -> Result<(), String> {
    if !crate::http::config::valid_signer_name(&args.signer) {
        return Err(format!(
            "--signer {:?}: a signer name is 1 to {} of a-z, 0-9 and - (it appears in \
             token scopes sign:<signer>)",
            args.signer,
            crate::http::config::MAX_SIGNER_NAME
        ));
    }
    let kind = match args.algorithm {
        Algorithm::Rsa2048 => KeyKind::Rsa2048,
        Algorithm::EcP256 => KeyKind::EcP256,
    };
    let mut registry = Registry::open(dir).map_err(text)?;
    let now = now().unix_timestamp();
    let passphrase = secret_source(
        &args.passphrase.passphrase_env,
        &args.passphrase.passphrase_file,
    );
    let record = match (args.token.config()?, passphrase) {
        (Some(token), None) => registry
            .generate_token_key(&args.signer, kind, token, now)
            .map_err(text)?,
        (None, Some(passphrase)) => registry
            .generate_file_key(&args.signer, kind, passphrase, ScryptCost::STANDARD, now)
            .map_err(text)?,
        (Some(_), Some(_)) => {
            return Err("give either a PKCS#11 token or a key-file passphrase, not both".into())
        }
        (None, None) => {
            return Err(
                "give --pkcs11-module/--token/--pin-env for a token key, or \
                        --passphrase-env/--passphrase-file for an encrypted key file"
                    .into(),
            )
        }
    };
    println!("{}", record.id);
    Ok(())
}

fn csr(dir: &Path, args: &CsrArgs) -> Result<(), String> {
    let registry = Registry::open(dir).map_err(text)?;
    let loaded = registry.load_signer(&args.key.key).map_err(text)?;
    let subject = SubjectFields {
        common_name: args.cn.clone(),
        organization: args.o.clone(),
        organizational_unit: args.ou.clone(),
        locality: args.l.clone(),
        province: args.st.clone(),
        uid: args.uid.clone(),
    };
    let pem =
        certificate_request(&subject, &loaded.public_key, loaded.signer.as_ref()).map_err(text)?;
    std::fs::write(&args.out, pem).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "Đã ghi yêu cầu cấp chứng thư / certificate request written: {}",
        args.out.display()
    );
    Ok(())
}

fn import(dir: &Path, args: &ImportArgs) -> Result<(), String> {
    let mut registry = Registry::open(dir).map_err(text)?;
    let record = registry.get(&args.key.key).map_err(text)?.clone();
    let mut file = certificates(&args.cert).map_err(|e| e.0)?.into_iter();
    let cert = file
        .next()
        .ok_or_else(|| format!("{}: no certificate", args.cert.display()))?;
    let mut chain: Vec<_> = file.collect();
    for p in &args.chain {
        chain.extend(certificates(p).map_err(|e| e.0)?);
    }
    let (anchors, revocation) = args.trust.load().map_err(|e| e.0)?;
    let registration = check_registration(&RegistrationInputs {
        certificate: &cert,
        chain: &chain,
        public_key_sha256: &record.public_key_sha256,
        anchors: &anchors,
        revocation: &revocation,
        revocation_policy: args.revocation,
        time: now(),
    })
    .map_err(text)?;
    let pem = |c: &crate::pki::Certificate| {
        openssl::x509::X509::from_der(c.der())
            .and_then(|x| x.to_pem())
            .map_err(|e| e.to_string())
            .and_then(|p| String::from_utf8(p).map_err(|e| e.to_string()))
    };
    let chain_pem = chain.iter().map(pem).collect::<Result<Vec<_>, _>>()?;
    registry
        .import_certificate(&args.key.key, pem(&cert)?, chain_pem, &registration)
        .map_err(text)?;
    for w in &registration.warnings {
        eprintln!("cảnh báo / warning: {w}");
    }
    if let Some(days) = registration.expires_in_days {
        eprintln!("cảnh báo / warning: chứng thư số hết hạn sau {days} ngày / the certificate expires in {days} days");
    }
    println!(
        "Đã nhập chứng thư / certificate imported for key {} (sha256 {})",
        args.key.key, registration.certificate_sha256
    );
    Ok(())
}

fn list(dir: &Path, args: &ListArgs) -> Result<(), String> {
    let registry = Registry::open(dir).map_err(text)?;
    if args.json {
        let json = serde_json::to_string_pretty(registry.records()).map_err(|e| e.to_string())?;
        println!("{json}");
        return Ok(());
    }
    for r in registry.records() {
        let place = match &r.storage {
            crate::keys::KeyStorage::File { file, .. } => format!("file {file}"),
            crate::keys::KeyStorage::Pkcs11 { token, label } => {
                format!("pkcs11 {}/{label}", token.token)
            }
        };
        println!(
            "{}  {:<11} {:<18} {:<20} {}  {}",
            r.id,
            r.state.name(),
            r.algorithm,
            r.signer,
            place,
            r.certificate_sha256
                .as_deref()
                .unwrap_or("(no certificate)")
        );
    }
    Ok(())
}

fn activate(dir: &Path, id: &str) -> Result<(), String> {
    let mut registry = Registry::open(dir).map_err(text)?;
    // Opening the key proves it is usable before any document depends on it.
    registry.load_signer(id).map_err(text)?;
    let previous = registry
        .activate(id, now().unix_timestamp())
        .map_err(text)?;
    match previous {
        Some(p) => println!("Đã kích hoạt / activated {id}; đã thôi dùng / retired {p}"),
        None => println!("Đã kích hoạt / activated {id}"),
    }
    Ok(())
}

fn set_state(dir: &Path, id: &str, state: KeyState) -> Result<(), String> {
    let mut registry = Registry::open(dir).map_err(text)?;
    registry
        .set_state(id, state, now().unix_timestamp())
        .map_err(text)?;
    println!("{id}: {state}");
    Ok(())
}

fn protection(dir: &Path, id: &str) -> Result<(), String> {
    let registry = Registry::open(dir).map_err(text)?;
    let record = registry.get(id).map_err(text)?;
    let crate::keys::KeyStorage::Pkcs11 { token, label } = &record.storage else {
        return Err(format!("key {id} is not in a PKCS#11 token"));
    };
    let p = Token::open(token)
        .and_then(|t| t.protection(label))
        .map_err(text)?;
    let json = serde_json::to_string(&p).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}

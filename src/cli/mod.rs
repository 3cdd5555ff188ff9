//! Command-line interface. Each sub-command lives in its own file and returns the process exit
//! code; this file only dispatches.
//!
//! Exit codes shared by every command that judges something: 0 valid, 1 not valid (the report
//! says why), 2 the input could not be read or the command could not run.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin;
pub(crate) mod cert;
mod external;
pub(crate) mod keys;
pub(crate) mod ledger;
mod ltv;
pub(crate) mod pki;
mod serve;
pub(crate) mod sign;
mod verify;

/// Exit code for "the input was evaluated and is valid".
pub const EXIT_VALID: u8 = 0;
/// Exit code for "the input was evaluated and is not valid".
pub const EXIT_INVALID: u8 = 1;
/// Exit code for "the input could not be read or evaluated".
pub const EXIT_UNREADABLE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "kyso",
    version,
    about = "Ký số: sign and verify PDF decisions, validate certificate chains, keep a verifiable ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Administer a service: API tokens (also with no server, from the data directory), keys,
    /// document revocation.
    Admin(Box<admin::AdminArgs>),
    /// Run the HTTP service.
    Serve(serve::ServeArgs),
    /// The verifiable ledger of issued documents.
    Ledger(Box<ledger::LedgerArgs>),
    /// Certificates: validate a chain.
    Cert(cert::CertArgs),
    /// Demo PKI for testing.
    Pki(pki::PkiArgs),
    /// Signing keys: generate (file or PKCS#11 token), request and import certificates,
    /// activate, retire.
    Keys(keys::KeysArgs),
    /// Two-step signing with an outside key: prepare (digest to sign), complete (signature
    /// value).
    External(external::ExternalArgs),
    /// Sign a PDF (PAdES).
    Sign(Box<sign::SignArgs>),
    /// Verify the signatures of a PDF. Exit 0 all valid, 1 not, 2 unreadable.
    Verify(verify::VerifyArgs),
    /// Long-term validation: extend a signed PDF with validation data and a timestamp.
    Ltv(ltv::LtvArgs),
}

/// Parses the command line, runs the command and maps its outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Admin(args) => admin::run(*args),
        Command::Serve(args) => serve::run(args),
        Command::Ledger(args) => ledger::run(*args),
        Command::Cert(args) => cert::run(args),
        Command::Pki(args) => pki::run(args),
        Command::Keys(args) => keys::run(args),
        Command::External(args) => external::run(args),
        Command::Sign(args) => sign::run(*args),
        Command::Verify(args) => verify::run(args),
        Command::Ltv(args) => ltv::run(args),
    };
    ExitCode::from(code)
}

/// Prints a verdict report on standard output — pretty JSON when `json`, else the command's
/// plain-text rendering — and returns the exit code for its validity.
fn print_report<R: serde::Serialize>(
    command: &str,
    report: &R,
    valid: bool,
    json: bool,
    human: impl FnOnce(&R) -> String,
) -> u8 {
    use std::io::Write as _;
    let text = if json {
        match serde_json::to_string_pretty(report) {
            Ok(j) => j + "\n",
            Err(e) => {
                eprintln!("kyso {command}: cannot serialize the report: {e}");
                return EXIT_UNREADABLE;
            }
        }
    } else {
        human(report)
    };
    // A closed pipe (`| head`) is not worth a panic; the exit code still tells.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if valid {
        EXIT_VALID
    } else {
        EXIT_INVALID
    }
}

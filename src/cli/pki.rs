//! `kyso pki demo --out DIR`: writes a freshly generated demo PKI (see [`crate::pki::demo`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::pki::demo::{self, OpenSslEntropy};

#[derive(Args, Debug)]
pub struct PkiArgs {
    #[command(subcommand)]
    command: PkiCommand,
}

#[derive(Subcommand, Debug)]
enum PkiCommand {
    /// Write a demo PKI (root, issuing CA, signers, TSA, OCSP responder, CRLs) for testing only.
    Demo(DemoArgs),
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Directory to write into; created if absent. Existing files of the same names are
    /// overwritten.
    #[arg(long)]
    out: PathBuf,
    /// Write this OCSP responder URL into the end-entity certificates (AIA), for tests of
    /// revocation fetching.
    #[arg(long = "ocsp-url", value_name = "URL")]
    ocsp_url: Option<String>,
    /// Write `<URL>/issuing-ca.crl` and `<URL>/root-ca.crl` as CRL distribution points, and
    /// the DER CRLs to serve there, for tests of revocation fetching.
    #[arg(long = "crl-url", value_name = "URL")]
    crl_url: Option<String>,
}

pub fn run(args: PkiArgs) -> u8 {
    match args.command {
        PkiCommand::Demo(a) => run_demo(&a),
    }
}

fn run_demo(args: &DemoArgs) -> u8 {
    let options = demo::DemoOptions {
        ocsp_url: args.ocsp_url.clone(),
        crl_base_url: args.crl_url.clone(),
    };
    let pki = match demo::generate_with(OffsetDateTime::now_utc(), &mut OpenSslEntropy, &options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kyso pki demo: {e}");
            return EXIT_UNREADABLE;
        }
    };
    if let Err(msg) = write_demo(&pki, &args.out) {
        eprintln!("kyso pki demo: {msg}");
        return EXIT_UNREADABLE;
    }
    println!(
        "Đã tạo PKI thử nghiệm (CHỈ ĐỂ THỬ NGHIỆM) trong / demo PKI (FOR TESTING ONLY) written to {}",
        args.out.display()
    );
    EXIT_VALID
}

/// Writes every file of a demo PKI into `dir` (created if absent); private keys are readable
/// by their owner only. Shared by `kyso pki demo` and the development mode of `kyso serve`.
pub(crate) fn write_demo(pki: &demo::DemoPki, dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for file in &pki.files {
        let path = dir.join(&file.name);
        write_file(&path, &file.contents, file.name.ends_with(".key.pem"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes `contents`; private keys are readable by their owner only.
fn write_file(path: &std::path::Path, contents: &[u8], private: bool) -> std::io::Result<()> {
    std::fs::write(path, contents)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(())
}

//! `kyso serve`: runs the HTTP service until interrupted.
//!
//! Without `--config` it runs in development mode (see `docs/configuration.md`). Before the
//! service answers it prints, on standard output, where it listens and — in development mode,
//! once — the development API token. Logs go to standard error and never contain the token.

use std::path::PathBuf;

use clap::Args;

use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::http::config::{Config, LogFormat};
use crate::http::state::{bootstrap, DEVELOPMENT_SIGNER};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// TOML configuration file; without it, development mode (demo keys, loopback only).
    #[arg(long, env = "KYSO_CONFIG")]
    config: Option<PathBuf>,
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests in one process) is harmless: the first one stays.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub fn run(args: ServeArgs) -> u8 {
    match start(&args) {
        Ok(()) => EXIT_VALID,
        Err(msg) => {
            eprintln!("kyso serve: {msg}");
            EXIT_UNREADABLE
        }
    }
}

fn start(args: &ServeArgs) -> Result<(), String> {
    let mut config = Config::load(args.config.as_deref()).map_err(|e| e.to_string())?;
    init_logs(config.log_format);
    config.check_safe(None).map_err(|e| e.to_string())?;
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    if config.development && std::env::var_os("KYSO_PUBLIC_BASE_URL").is_none() {
        // The base follows the bound address (port 0 picks a free one).
        config.public_base_url = format!("http://{local}");
    }
    let development = config.development;
    let base = config.public_base_url.clone();
    let started = bootstrap(config).map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;

    println!("kyso listening on http://{local}");
    println!("public base URL: {base}");
    println!("health: http://{local}/healthz");
    if development {
        println!("development mode: demo keys, signer {DEVELOPMENT_SIGNER} (never expose this)");
    }
    if let Some(token) = &started.development_token {
        println!("development API token: {token}");
    }
    // Printed last: scripts may read up to this line.
    println!("API description: http://{local}/openapi.json");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let state = started.state;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        crate::http::serve(listener, state.clone()).await
    });
    // Blocking work still running (a signing past the last response) finishes here.
    drop(runtime);
    // The last reference to the ledger: its sequencer commits what is queued, then stops.
    drop(state);
    tracing::info!("stopped; the ledger is flushed");
    served.map_err(|e| e.to_string())
}

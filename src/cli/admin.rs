//! `kyso admin`: the administration of a kyso service. With `--url` it calls the admin API
//! (`/v1/admin/…`) with the token read from `--token-env`; without, it works on the data
//! directory's service store directly, with no server: that is how the first admin token is
//! created (`kyso admin tokens create --label ops --scope admin`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{EXIT_UNREADABLE, EXIT_VALID};
use crate::http::service_store::{Scope, ServiceStore};

/// Longest answer read from the service: key and token lists are small.
const MAX_RESPONSE_BYTES: u64 = 16 << 20;

#[derive(Args, Debug)]
pub struct AdminArgs {
    /// The service's base URL (e.g. https://kyso.example.vn); without it, the data directory
    /// is administered directly (tokens only).
    #[arg(long, global = true)]
    url: Option<String>,
    /// Environment variable holding an admin token (for --url).
    #[arg(long = "token-env", default_value = "KYSO_ADMIN_TOKEN", global = true)]
    token_env: String,
    /// Data directory (without --url).
    #[arg(long, env = "KYSO_DATA", default_value = "./kyso-data", global = true)]
    dir: PathBuf,
    /// PostgreSQL service store (without --url), instead of `<dir>/service.sqlite`.
    #[arg(long = "database-url", env = "KYSO_DATABASE_URL", global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Signing keys of the running service (with --url).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Revoke an issued document, or mark it superseded (with --url).
    Revoke(RevokeArgs),
}

#[derive(Subcommand, Debug)]
enum TokensCommand {
    /// Create a token; its secret is printed once.
    Create {
        #[arg(long)]
        label: String,
        /// `admin` or `sign:<signer>`; repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: String },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// List key records.
    List,
    /// Register the issued certificate (PEM, then its chain) of a pending key.
    Register {
        id: String,
        #[arg(long)]
        cert: PathBuf,
    },
    /// Activate a key (rotation: the previous key is retired).
    Activate { id: String },
    /// Retire a key that is not active.
    Retire { id: String },
}

#[derive(Args, Debug)]
struct RevokeArgs {
    /// The document id.
    id: String,
    /// The reason (shown to citizens).
    #[arg(long)]
    reason: String,
    /// The id of the document that replaces it (supersession instead of revocation).
    #[arg(long = "superseded-by")]
    superseded_by: Option<String>,
}

pub fn run(args: AdminArgs) -> u8 {
    let outcome = match &args.url {
        Some(url) => remote(&args, url),
        None => local(&args),
    };
    match outcome {
        Ok(text) => {
            println!("{text}");
            EXIT_VALID
        }
        Err(msg) => {
            eprintln!("kyso admin: {msg}");
            EXIT_UNREADABLE
        }
    }
}

fn local(args: &AdminArgs) -> Result<String, String> {
    let AdminCommand::Tokens(command) = &args.command else {
        return Err(
            "keys and documents are administered through the service: give --url \
                    (or use `kyso keys` on the server's data directory)"
                .into(),
        );
    };
    let store = match &args.database_url {
        Some(url) => ServiceStore::open_postgres(url),
        None => {
            std::fs::create_dir_all(&args.dir)
                .map_err(|e| format!("{}: {e}", args.dir.display()))?;
            ServiceStore::open_sqlite(&args.dir.join("service.sqlite"))
        }
    }
    .map_err(|e| e.to_string())?;
    match command {
        TokensCommand::Create { label, scopes } => {
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<Scope>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let t = store
                .create_token(label, &scopes)
                .map_err(|e| e.to_string())?;
            eprintln!(
                "token {} ({label}); the secret below is shown once, keep it safe",
                t.info.id
            );
            Ok(t.secret)
        }
        TokensCommand::List => {
            let list = store.list_tokens().map_err(|e| e.to_string())?;
            serde_json::to_string_pretty(&list).map_err(|e| e.to_string())
        }
        TokensCommand::Revoke { id } => match store.revoke_token(id) {
            Ok(true) => Ok(format!("revoked {id}")),
            Ok(false) => Err(format!("no unrevoked token {id}")),
            Err(e) => Err(e.to_string()),
        },
    }
}

fn remote(args: &AdminArgs, url: &str) -> Result<String, String> {
    let token = std::env::var(&args.token_env)
        .map_err(|_| format!("set the admin token in ${}", args.token_env))?;
    let base = url.trim_end_matches('/');
    let (method, path, body): (&str, String, Option<Vec<u8>>) = match &args.command {
        AdminCommand::Tokens(TokensCommand::Create { label, scopes }) => (
            "POST",
            "/v1/admin/tokens".into(),
            Some(
                serde_json::to_vec(&serde_json::json!({"label": label, "scopes": scopes}))
                    .map_err(|e| e.to_string())?,
            ),
        ),
        AdminCommand::Tokens(TokensCommand::List) => ("GET", "/v1/admin/tokens".into(), None),
        AdminCommand::Tokens(TokensCommand::Revoke { id }) => {
            ("DELETE", format!("/v1/admin/tokens/{id}"), None)
        }
        AdminCommand::Keys(KeysCommand::List) => ("GET", "/v1/admin/keys".into(), None),
        AdminCommand::Keys(KeysCommand::Register { id, cert }) => (
            "POST",
            format!("/v1/admin/keys/{id}/certificate"),
            Some(super::sign::read_small(cert)?),
        ),
        AdminCommand::Keys(KeysCommand::Activate { id }) => {
            ("POST", format!("/v1/admin/keys/{id}/activate"), None)
        }
        AdminCommand::Keys(KeysCommand::Retire { id }) => {
            ("POST", format!("/v1/admin/keys/{id}/retire"), None)
        }
        AdminCommand::Revoke(r) => (
            "POST",
            format!("/v1/admin/documents/{}/revoke", r.id),
            Some(
                serde_json::to_vec(&serde_json::json!({
                    "reason": r.reason,
                    "superseded_by": r.superseded_by,
                }))
                .map_err(|e| e.to_string())?,
            ),
        ),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(body.unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let mut response = agent.run(request).map_err(|e| format!("{base}: {e}"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
        .map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!("{status}: {text}"))
    }
}

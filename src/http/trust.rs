//! The service's trust configuration at run time: the configured anchors and revocation data,
//! plus the anchors and CRLs an administrator adds through `/v1/admin/trust/…`. Additions are
//! kept in the data directory (`trust/anchors/<sha256>.pem`, `trust/crls/<sha256>.crl`) and
//! loaded again at start; the whole configuration is replaced atomically, so a validation runs
//! against one consistent snapshot.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::admin::Admin;
use super::error::{blocking, ApiError, ErrorBody};
use super::state::AppState;
use crate::pki::crl::Crl;
use crate::pki::{source, Certificate, RevocationData, TrustStore};

/// Subdirectories of the data directory for the added anchors and CRLs.
pub const ANCHORS_DIR: &str = "trust/anchors";
pub const CRLS_DIR: &str = "trust/crls";

/// Largest upload: a CRL of a national CA can reach a few megabytes.
const MAX_TRUST_UPLOAD: usize = 16 << 20;

/// Most files loaded from each directory: a deployment trusts a handful of roots and keeps a
/// CRL per CA; more files than this is a misconfiguration.
const MAX_TRUST_FILES: usize = 1_000;

/// One consistent trust configuration.
pub struct Trust {
    pub anchors: TrustStore,
    pub revocation: RevocationData,
    /// SHA-256 (hex) of the anchors added at run time (the configured ones cannot be removed
    /// here).
    pub added: Vec<String>,
}

/// The current configuration, swapped whole.
pub struct TrustState(RwLock<Arc<Trust>>);

impl TrustState {
    pub fn new(trust: Trust) -> TrustState {
        TrustState(RwLock::new(Arc::new(trust)))
    }

    /// The configuration at this instant.
    pub fn get(&self) -> Arc<Trust> {
        match self.0.read() {
            Ok(t) => Arc::clone(&t),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    fn set(&self, trust: Trust) {
        let next = Arc::new(trust);
        match self.0.write() {
            Ok(mut t) => *t = next,
            Err(p) => *p.into_inner() = next,
        }
    }
}

fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_file() {
            out.push(path);
        }
        if out.len() > MAX_TRUST_FILES {
            return Err(format!(
                "{}: more than {MAX_TRUST_FILES} files",
                dir.display()
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// Adds the anchors and CRLs kept in `data_dir` to the configured ones.
pub fn with_added(
    data_dir: &Path,
    mut anchors: TrustStore,
    mut revocation: RevocationData,
) -> Result<Trust, String> {
    let mut added = Vec::new();
    for path in files(&data_dir.join(ANCHORS_DIR))? {
        let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for cert in
            source::load_certificates(&data).map_err(|e| format!("{}: {e}", path.display()))?
        {
            added.push(cert.sha256_hex());
            anchors.add(cert);
        }
    }
    for path in files(&data_dir.join(CRLS_DIR))? {
        let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        revocation
            .crls
            .push(Crl::from_der(&data).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok(Trust {
        anchors,
        revocation,
        added,
    })
}

/// One trust anchor, as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnchorInfo {
    pub subject: String,
    pub sha256: String,
    pub not_after: i64,
    /// Added through the admin API (removable there), not configured.
    pub added: bool,
}

fn list(trust: &Trust) -> Vec<AnchorInfo> {
    trust
        .anchors
        .anchors()
        .iter()
        .map(|c| AnchorInfo {
            subject: c.display_subject(),
            sha256: c.sha256_hex(),
            not_after: c.not_after().unix_timestamp(),
            added: trust.added.contains(&c.sha256_hex()),
        })
        .collect()
}

/// The trust anchors in use.
#[utoipa::path(
    get,
    path = "/v1/admin/trust/anchors",
    responses(
        (status = 200, description = "The anchors", body = Vec<AnchorInfo>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn list_anchors(State(state): State<AppState>, _admin: Admin) -> Json<Vec<AnchorInfo>> {
    Json(list(&state.trust.get()))
}

fn too_large(body: &Bytes) -> Result<(), ApiError> {
    if body.len() > MAX_TRUST_UPLOAD {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_TRUST_UPLOAD as u64,
        });
    }
    Ok(())
}

/// Writes `data` under `dir/name` (created), atomically.
fn keep(dir: &Path, name: &str, data: &[u8]) -> Result<(), ApiError> {
    std::fs::create_dir_all(dir).map_err(ApiError::internal)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, data).map_err(ApiError::internal)?;
    std::fs::rename(&tmp, dir.join(name)).map_err(ApiError::internal)
}

/// Add trust anchors (PEM or DER CA certificates); in effect at once and after a restart.
#[utoipa::path(
    post,
    path = "/v1/admin/trust/anchors",
    request_body(content = String, description = "PEM certificates", content_type = "application/x-pem-file"),
    responses(
        (status = 200, description = "The anchors now in use", body = Vec<AnchorInfo>),
        (status = 400, description = "Not CA certificates", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn add_anchors(
    State(state): State<AppState>,
    admin: Admin,
    body: Bytes,
) -> Result<Json<Vec<AnchorInfo>>, ApiError> {
    too_large(&body)?;
    let certs = source::load_certificates(&body)
        .map_err(|e| ApiError::BadRequest(format!("certificates: {e}")))?;
    if certs.is_empty() || certs.iter().any(|c| !c.is_ca()) {
        return Err(ApiError::BadRequest(
            "a trust anchor must be a CA certificate (basicConstraints cA, RFC 5280 §4.2.1.9)"
                .into(),
        ));
    }
    let names: Vec<String> = certs.iter().map(Certificate::sha256_hex).collect();
    admin
        .audit(&state, "add-trust-anchors", &names.join(","))
        .await?;
    blocking(move || {
        let _guard = state.admin_lock.lock().map_err(ApiError::internal)?;
        let current = state.trust.get();
        let mut anchors = current.anchors.clone();
        let mut added = current.added.clone();
        for cert in certs {
            let x = openssl::x509::X509::from_der(cert.der()).map_err(ApiError::internal)?;
            let pem = x.to_pem().map_err(ApiError::internal)?;
            keep(
                &state.data_dir.join(ANCHORS_DIR),
                &format!("{}.pem", cert.sha256_hex()),
                &pem,
            )?;
            if !added.contains(&cert.sha256_hex()) {
                added.push(cert.sha256_hex());
            }
            anchors.add(cert);
        }
        let next = Trust {
            anchors,
            revocation: current.revocation.clone(),
            added,
        };
        let listed = list(&next);
        state.trust.set(next);
        Ok(Json(listed))
    })
    .await
}

/// Remove an anchor added through the API (configured anchors are changed in the config).
#[utoipa::path(
    delete,
    path = "/v1/admin/trust/anchors/{sha256}",
    params(("sha256" = String, Path, description = "SHA-256 of the anchor certificate, hex")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 404, description = "No anchor added through the API has this hash", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn remove_anchor(
    State(state): State<AppState>,
    admin: Admin,
    UrlPath(sha256): UrlPath<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    admin.audit(&state, "remove-trust-anchor", &sha256).await?;
    blocking(move || {
        let _guard = state.admin_lock.lock().map_err(ApiError::internal)?;
        let current = state.trust.get();
        if !current.added.contains(&sha256) {
            return Err(ApiError::NotFound(
                "no anchor added through the API has this SHA-256".into(),
            ));
        }
        std::fs::remove_file(
            state
                .data_dir
                .join(ANCHORS_DIR)
                .join(format!("{sha256}.pem")),
        )
        .map_err(ApiError::internal)?;
        let anchors = TrustStore::from_certificates(
            current
                .anchors
                .anchors()
                .iter()
                .filter(|c| c.sha256_hex() != sha256)
                .cloned(),
        );
        state.trust.set(Trust {
            anchors,
            revocation: current.revocation.clone(),
            added: current
                .added
                .iter()
                .filter(|h| **h != sha256)
                .cloned()
                .collect(),
        });
        Ok(axum::http::StatusCode::NO_CONTENT)
    })
    .await
}

/// Upload a CRL (DER or PEM); used by every later validation. Its signature and issuer are
/// checked when a validation uses it, so a forged CRL revokes nothing.
#[utoipa::path(
    post,
    path = "/v1/admin/trust/crls",
    request_body(content = Vec<u8>, description = "A CRL, DER or PEM", content_type = "application/pkix-crl"),
    responses(
        (status = 200, description = "Stored", body = CrlInfo),
        (status = 400, description = "Not a CRL", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token lacks the admin scope", body = ErrorBody),
        (status = 413, description = "Too large", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "admin"
)]
pub async fn add_crl(
    State(state): State<AppState>,
    admin: Admin,
    body: Bytes,
) -> Result<Json<CrlInfo>, ApiError> {
    too_large(&body)?;
    let der = if source::is_pem(&body) {
        source::pem_blocks(&body)
            .map_err(|e| ApiError::BadRequest(format!("CRL: {e}")))?
            .into_iter()
            .find(|b| b.label == "X509 CRL")
            .map(|b| b.der)
            .ok_or_else(|| ApiError::BadRequest("no PEM block labelled X509 CRL".into()))?
    } else {
        body.to_vec()
    };
    let crl = Crl::from_der(&der).map_err(|e| ApiError::BadRequest(format!("CRL: {e}")))?;
    let sha256 = hex::encode(Sha256::digest(&der));
    admin.audit(&state, "add-crl", &sha256).await?;
    blocking(move || {
        let _guard = state.admin_lock.lock().map_err(ApiError::internal)?;
        keep(
            &state.data_dir.join(CRLS_DIR),
            &format!("{sha256}.crl"),
            &der,
        )?;
        let current = state.trust.get();
        let mut revocation = current.revocation.clone();
        revocation.crls.push(crl);
        state.trust.set(Trust {
            anchors: current.anchors.clone(),
            revocation,
            added: current.added.clone(),
        });
        Ok(Json(CrlInfo { sha256 }))
    })
    .await
}

/// A stored CRL.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrlInfo {
    pub sha256: String,
}

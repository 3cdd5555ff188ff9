//! Gathering what a B-LT `/DSS` must hold for a document: the certification paths of every
//! certificate its signatures and timestamps carry, and revocation data for each certificate
//! of those paths (supplied by the caller, or fetched).

use time::OffsetDateTime;

use super::revocation::RevocationFetcher;
use crate::pades::{certificates_in, path_of, revocation_pairs, ValidationMaterial};
use crate::pdf::{ByteSource, Document};
use crate::pki::profile::Profile;
use crate::pki::{Certificate, RevocationData, TrustStore};

/// The validation data found for a document.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    /// What to archive in `/DSS`.
    pub material: ValidationMaterial,
    /// The supplied and fetched revocation data, parsed.
    pub revocation: RevocationData,
    /// Fetches that failed, paths that did not build.
    pub notes: Vec<String>,
}

/// Builds the paths of the certificates in `doc` to `trust` and collects revocation data for
/// them at `now`: `supplied` first, then what `fetcher` (if any) brings.
pub fn gather<S: ByteSource>(
    doc: &Document<S>,
    trust: &TrustStore,
    supplied: &RevocationData,
    fetcher: Option<&RevocationFetcher>,
    now: OffsetDateTime,
) -> Gathered {
    let mut out = Gathered::default();
    let pool: Vec<Certificate> = certificates_in(doc)
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    let mut path_certs: Vec<Certificate> = Vec::new();
    let mut pairs: Vec<(Certificate, Certificate)> = Vec::new();
    for cert in &pool {
        // A path is built while the certificate is valid, so that an expired signer's
        // issuers are still found.
        let at = if cert.is_valid_at(now) {
            now
        } else {
            cert.not_after()
        };
        let path = path_of(cert, &pool, trust, at, Profile::Any);
        if path.is_empty() {
            out.notes.push(format!(
                "no path to a trust anchor for {}",
                cert.display_subject()
            ));
        }
        for pair in revocation_pairs(&path) {
            if !pairs
                .iter()
                .any(|(c, i)| c.sha256() == pair.0.sha256() && i.sha256() == pair.1.sha256())
            {
                pairs.push(pair);
            }
        }
        for c in path {
            if !path_certs.iter().any(|k| k.sha256() == c.sha256()) {
                path_certs.push(c);
            }
        }
    }
    out.revocation = supplied.clone();
    if let Some(f) = fetcher {
        let fetched = f.fetch(&pairs, now);
        out.revocation.crls.extend(fetched.data.crls);
        out.revocation.ocsp.extend(fetched.data.ocsp);
        out.notes.extend(fetched.notes);
    }
    out.material.certs = path_certs.iter().map(|c| c.der().to_vec()).collect();
    // Merged, so that a CRL both supplied and fetched is archived once.
    out.material
        .merge(ValidationMaterial::from_revocation(&out.revocation));
    out
}

//! The revocation side of NIST PKITS, run through `pki::revocation` alone: for every case that
//! checks revocation (all but the 25 whose `revocation` is `false`), the path is built naively
//! (issuer by name and signature, up to the trust anchor), the status of each certificate is
//! asked of `certificate_status` with the case's CRLs plus the anchor's, and the outcome is
//! compared with the case's expected error class:
//! - `RevokedError` → some certificate is `Revoked`;
//! - `InsufficientRevinfoError`, `StaleRevinfoError` → some certificate is `Unknown`, none revoked;
//! - no error → every certificate is `Good`;
//! - any other class (a path-validation failure) → not a revocation case, not judged here.
//!
//! The complete RFC 5280 validation of the same cases, revocation included, is `tests/pkits.rs`.
//! CRL signers other than the path issuer are validated by a small stand-in of the path
//! validator: a naive path to the anchor whose certificates are all `Good` themselves.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

use kyso::pki::algorithm::AlgorithmPolicy;
use kyso::pki::crl::Crl;
use kyso::pki::revocation::{certificate_status, CertStatus, RevocationData, SignerValidator};
use kyso::pki::{Budget, Certificate};
use time::OffsetDateTime;

/// Validation time: inside every PKITS certificate's validity (2010–2030) and before every
/// CRL's nextUpdate except the deliberately stale ones.
const TIME: &str = "2020-06-01T00:00:00Z";

/// Deepest naive path tried; PKITS paths have at most six certificates below the anchor.
const MAX_DEPTH: usize = 8;

/// Deepest nesting of CRL-signer validations; PKITS needs two (a CRL signer whose own CRL is
/// signed by the CA).
const MAX_SIGNER_NESTING: usize = 4;

struct Case {
    id: String,
    cert: String,
    other_certs: Vec<String>,
    crls: Vec<String>,
    error_class: Option<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("pkits.json")).expect("pkits.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("pkits.json is JSON");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    json.as_array()
        .expect("a list of cases")
        .iter()
        .filter(|c| c["revocation"] != serde_json::Value::Bool(false))
        .map(|c| Case {
            id: c["id"].as_str().unwrap_or_default().to_owned(),
            cert: c["cert"].as_str().unwrap_or_default().to_owned(),
            other_certs: strings(&c["other_certs"]),
            crls: strings(&c["crls"]),
            error_class: c["error"]["class"].as_str().map(str::to_owned),
        })
        .collect()
}

fn load_cert(dir: &Path, name: &str) -> Certificate {
    let der = std::fs::read(dir.join("certs").join(name)).expect("certificate file");
    Certificate::from_der(&der).expect("PKITS certificate parses")
}

fn load_crl(dir: &Path, name: &str) -> Crl {
    let der = std::fs::read(dir.join("crls").join(name)).expect("CRL file");
    Crl::from_der(&der).expect("PKITS CRL parses")
}

fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Some(key) = issuer.public_key() else {
        return false;
    };
    AlgorithmPolicy::pkits()
        .verify(
            cert.tbs(),
            cert.signature_algorithm(),
            cert.signature(),
            key,
        )
        .is_ok()
}

/// `cert` followed by its issuers up to and including the anchor, found depth first.
fn build(
    cert: &Certificate,
    pool: &[Certificate],
    anchor: &Certificate,
) -> Option<Vec<Certificate>> {
    fn walk(path: &mut Vec<Certificate>, pool: &[Certificate], anchor: &Certificate) -> bool {
        let Some(last) = path.last().cloned() else {
            return false;
        };
        if last.issuer().matches(anchor.subject()) && signed_by(&last, anchor) {
            path.push(anchor.clone());
            return true;
        }
        if path.len() >= MAX_DEPTH {
            return false;
        }
        for candidate in pool {
            if path.contains(candidate)
                || !candidate.subject().matches(last.issuer())
                || !signed_by(&last, candidate)
            {
                continue;
            }
            path.push(candidate.clone());
            if walk(path, pool, anchor) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = vec![cert.clone()];
    walk(&mut path, pool, anchor).then_some(path)
}

struct Env {
    pool: Vec<Certificate>,
    anchor: Certificate,
    data: Rc<RevocationData>,
    time: OffsetDateTime,
    nesting: usize,
}

impl Env {
    /// Status of every certificate of the path below the anchor.
    fn statuses(&mut self, path: &[Certificate], budget: &mut Budget) -> Vec<CertStatus> {
        let pool = self.pool.clone();
        let data = Rc::clone(&self.data);
        let policy = AlgorithmPolicy::pkits();
        let out = path
            .windows(2)
            .filter_map(|w| match w {
                [cert, issuer] => Some(certificate_status(
                    cert, issuer, &data, &pool, self.time, &policy, self, budget,
                )),
                _ => None,
            })
            .collect();
        out
    }
}

impl SignerValidator for Env {
    fn validate_signer(
        &mut self,
        candidate: &Certificate,
        _time: OffsetDateTime,
        budget: &mut Budget,
    ) -> bool {
        if candidate == &self.anchor {
            return true;
        }
        if self.nesting >= MAX_SIGNER_NESTING {
            return false;
        }
        let Some(path) = build(candidate, &self.pool, &self.anchor) else {
            return false;
        };
        self.nesting += 1;
        let ok = self
            .statuses(&path, budget)
            .iter()
            .all(|s| *s == CertStatus::Good);
        self.nesting -= 1;
        ok
    }
}

#[test]
fn pkits_revocation_cases() {
    let Some(conformance) = common::conformance_dir() else {
        return;
    };
    let dir = conformance.join("pkits");
    let anchor = load_cert(&dir, "TrustAnchorRootCertificate.crt");
    let time =
        OffsetDateTime::parse(TIME, &time::format_description::well_known::Rfc3339).expect("time");
    let mut judged = 0;
    let mut failures = BTreeMap::new();
    for case in cases(&dir) {
        let expected = match case.error_class.as_deref() {
            None => "good",
            Some("RevokedError") => "revoked",
            Some("InsufficientRevinfoError" | "StaleRevinfoError") => "unknown",
            Some(_) => continue,
        };
        let leaf = load_cert(&dir, &case.cert);
        let pool: Vec<Certificate> = case
            .other_certs
            .iter()
            .map(|n| load_cert(&dir, n))
            .collect();
        let mut crls: Vec<Crl> = case.crls.iter().map(|n| load_crl(&dir, n)).collect();
        crls.push(load_crl(&dir, "TrustAnchorRootCRL.crl"));
        let Some(path) = build(&leaf, &pool, &anchor) else {
            failures.insert(case.id.clone(), "no naive path".to_owned());
            continue;
        };
        let mut full_pool = pool.clone();
        full_pool.push(anchor.clone());
        let mut env = Env {
            pool: full_pool,
            anchor: anchor.clone(),
            data: Rc::new(RevocationData {
                crls,
                ocsp: Vec::new(),
            }),
            time,
            nesting: 0,
        };
        let mut budget = Budget::default();
        let statuses = env.statuses(&path, &mut budget);
        let got = if statuses
            .iter()
            .any(|s| matches!(s, CertStatus::Revoked { .. }))
        {
            "revoked"
        } else if statuses
            .iter()
            .any(|s| matches!(s, CertStatus::Unknown { .. }))
        {
            "unknown"
        } else {
            "good"
        };
        judged += 1;
        if got != expected {
            failures.insert(
                case.id.clone(),
                format!("expected {expected}, got {statuses:?}"),
            );
        }
    }
    println!(
        "PKITS revocation: {judged} cases judged, {} disagree",
        failures.len()
    );
    assert!(failures.is_empty(), "disagreements: {failures:#?}");
    assert!(judged >= 140, "only {judged} cases judged");
}

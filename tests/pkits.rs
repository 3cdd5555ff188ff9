//! NIST PKITS (2011 edition) through `validate_chain`: all 246 cases of `pkits/pkits.json`.
//!
//! How each field of a case is read:
//! - `cert`: the end-entity certificate, a DER file in `certs/`.
//! - `other_certs`: the untrusted intermediates offered to the path builder (DER in `certs/`).
//!   `path_intermediates`, when present, names the subset the suite expects in the path; the
//!   builder finds paths itself, so it is not used.
//! - `crls`: CRLs in `crls/` (DER). The trust anchor's own CRL, `TrustAnchorRootCRL.crl`, is
//!   always added: the anchor issues the first intermediate, whose status it covers.
//! - The trust anchor is always `certs/TrustAnchorRootCertificate.crt`.
//! - `params`: the RFC 5280 §6.1.1 inputs `user_initial_policy_set`,
//!   `initial_explicit_policy`, `initial_policy_mapping_inhibit`, `initial_any_policy_inhibit`
//!   (absent: any policy, all flags false).
//! - `revocation: false`: revocation policy `off`; absent: `require` (unknown status fails).
//! - `error` absent: the result must be TOTAL_PASSED. `error.class`: `PathValidationError` →
//!   any non-passed result other than REVOKED; `RevokedError` → TOTAL_FAILED/REVOKED;
//!   `InsufficientRevinfoError` and `StaleRevinfoError` → any non-passed result.
//!   `error.msg_regex` is another validator's wording and is not compared.
//! - `id`, `name`, `path_len`: reporting only.
//!
//! Validation time 2022-01-01T00:00:00Z (the PKITS certificates run 2010–2030), the PKITS
//! algorithm policy (SHA-1, RSA-1024, DSA-1024), profile `Any`, no RFC 5280 §4 strictness.

mod common;

use std::path::Path;

use kyso::pki::algorithm::AlgorithmPolicy;
use kyso::pki::crl::Crl;
use kyso::pki::profile::Profile;
use kyso::pki::{
    validate_chain, Certificate, PolicyOptions, RevocationData, RevocationPolicy, TrustStore,
    ValidationOptions,
};
use kyso::verdict::{Indication, SubIndication};
use serde_json::Value;
use time::macros::datetime;

fn read(dir: &Path, sub: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(sub).join(name)).unwrap_or_else(|e| panic!("{sub}/{name}: {e}"))
}

/// Runs one case; returns `Err(explanation)` when the result disagrees with the suite.
fn run_case(dir: &Path, case: &Value) -> Result<(), String> {
    let cert = |name: &str| Certificate::from_der(&read(dir, "certs", name));
    let anchor = cert("TrustAnchorRootCertificate.crt").map_err(|e| format!("anchor: {e}"))?;
    let anchors = TrustStore::from_certificates([anchor]);
    let expected = case
        .get("error")
        .and_then(|e| e.get("class"))
        .and_then(Value::as_str);
    let leaf_name = case.get("cert").and_then(Value::as_str).unwrap_or_default();
    let outcome = (|| {
        let leaf = cert(leaf_name)?;
        let mut inter = Vec::new();
        for name in common::json_strings(case.get("other_certs")) {
            inter.push(cert(&name)?);
        }
        let mut crls = Vec::new();
        let mut crl_names = common::json_strings(case.get("crls"));
        crl_names.push("TrustAnchorRootCRL.crl".into());
        for name in crl_names {
            crls.push(Crl::from_der(&read(dir, "crls", &name))?);
        }
        let params = case.get("params");
        let flag = |k: &str| {
            params
                .and_then(|p| p.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let mut opts = ValidationOptions::new(datetime!(2022-01-01 0:00 UTC));
        opts.profile = Profile::Any;
        opts.algorithms = AlgorithmPolicy::pkits();
        opts.revocation_policy = match case.get("revocation").and_then(Value::as_bool) {
            Some(false) => RevocationPolicy::Off,
            _ => RevocationPolicy::Require,
        };
        opts.policy = PolicyOptions {
            user_initial_policy_set: common::json_strings(
                params.and_then(|p| p.get("user_initial_policy_set")),
            ),
            initial_explicit_policy: flag("initial_explicit_policy"),
            initial_policy_mapping_inhibit: flag("initial_policy_mapping_inhibit"),
            initial_any_policy_inhibit: flag("initial_any_policy_inhibit"),
        };
        let data = RevocationData {
            crls,
            ..Default::default()
        };
        validate_chain(&leaf, &inter, &anchors, &data, &opts)
    })();
    let report = match outcome {
        Ok(r) => r,
        Err(e) => {
            // Unreadable input counts as "not valid" only where the suite expects a plain
            // path-validation error.
            return match expected {
                Some("PathValidationError") => Ok(()),
                _ => Err(format!("could not evaluate: {e}")),
            };
        }
    };
    let got = format!(
        "{:?}/{:?}: {}",
        report.indication, report.sub_indication, report.reason
    );
    let ok = match expected {
        None => report.indication == Indication::TotalPassed,
        Some("RevokedError") => report.sub_indication == Some(SubIndication::Revoked),
        Some("PathValidationError") => {
            report.indication != Indication::TotalPassed
                && report.sub_indication != Some(SubIndication::Revoked)
        }
        Some(_) => report.indication != Indication::TotalPassed,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {}, got {got}",
            expected.unwrap_or("valid")
        ))
    }
}

#[test]
fn pkits_all_cases_agree() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let dir = conf.join("pkits");
    let text = std::fs::read_to_string(dir.join("pkits.json"))
        .unwrap_or_else(|e| panic!("pkits.json: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cases.len(), 246, "pkits.json should hold 246 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
        let id = case.get("id").and_then(Value::as_str).unwrap_or("?");
        if let Err(why) = run_case(&dir, case) {
            failures.push(format!("{id} {name}: {why}"));
        }
    }
    for f in &failures {
        eprintln!("DISAGREE {f}");
    }
    let passed = cases.len() - failures.len();
    eprintln!("PKITS: {passed}/{} cases agree", cases.len());
    assert!(
        failures.is_empty(),
        "{} PKITS cases disagree",
        failures.len()
    );
}

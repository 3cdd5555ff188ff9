//! x509-limbo: every case of `x509-limbo/limbo.json` through `validate_chain`, compared with
//! the checked-in list of known disagreements `tests/limbo-disagreements.txt`.
//!
//! How each case is read:
//! - `trusted_certs` → the trust store; `untrusted_intermediates` → intermediates;
//!   `peer_certificate` → the end-entity certificate (all PEM).
//! - `validation_time` (RFC 3339) → the validation time; `null` → now.
//! - `extended_key_usage` → the EKU the end-entity must allow (serverAuth, clientAuth, …);
//!   `key_usage` → key usage bits it must allow.
//! - `crls` (PEM) → revocation data, with the revocation policy `require`; without CRLs the
//!   policy is `off` (the cases carry no other revocation data).
//! - `max_chain_depth` → the most intermediates (self-issued ones not counted).
//! - `expected_peer_name(s)`, `validation_kind` and `signature_algorithms` (always empty):
//!   host-name matching is out of scope and they are not used.
//! - `expected_result`: SUCCESS must give TOTAL_PASSED, FAILURE anything else (an input kyso
//!   cannot even parse counts as FAILURE).
//!
//! The validation runs with the RFC 5280 §4 profile rules (`strict`), kyso's default
//! algorithm policy (RSA ≥ 2048, P-256/P-384, SHA-256 and above) and profile `Any`.
//!
//! The disagreements file has two sections, `[rfc5280]` (every family other than `webpki::`,
//! at most 10 entries allowed) and `[webpki]` (CA/Browser Forum rules; counted, not
//! required). Each line is `<case id> <one-line reason>`. The test fails when a case disagrees
//! and is not listed, or is listed but agrees.

mod common;

use std::collections::BTreeMap;

use kyso::pki::algorithm::AlgorithmPolicy;
use kyso::pki::cert::key_usage;
use kyso::pki::crl::Crl;
use kyso::pki::profile::Profile;
use kyso::pki::source::{load_certificates, pem_blocks};
use kyso::pki::{
    validate_chain, Certificate, PkiError, RevocationData, RevocationPolicy, TrustStore,
    ValidationOptions,
};
use kyso::verdict::Indication;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Most disagreements allowed outside `webpki::`.
const MAX_LISTED_RFC5280: usize = 10;

fn eku_oid(name: &str) -> Option<&'static str> {
    Some(match name {
        "serverAuth" => "1.3.6.1.5.5.7.3.1",
        "clientAuth" => "1.3.6.1.5.5.7.3.2",
        "codeSigning" => "1.3.6.1.5.5.7.3.3",
        "emailProtection" => "1.3.6.1.5.5.7.3.4",
        "timeStamping" => "1.3.6.1.5.5.7.3.8",
        "OCSPSigning" => "1.3.6.1.5.5.7.3.9",
        "anyExtendedKeyUsage" => "2.5.29.37.0",
        _ => return None,
    })
}

fn ku_bit(name: &str) -> u16 {
    match name {
        "digitalSignature" => key_usage::DIGITAL_SIGNATURE,
        "contentCommitment" | "nonRepudiation" => key_usage::NON_REPUDIATION,
        "keyEncipherment" => key_usage::KEY_ENCIPHERMENT,
        "dataEncipherment" => key_usage::DATA_ENCIPHERMENT,
        "keyAgreement" => key_usage::KEY_AGREEMENT,
        "keyCertSign" => key_usage::KEY_CERT_SIGN,
        "cRLSign" => key_usage::CRL_SIGN,
        _ => 0,
    }
}

fn certs(list: &[String]) -> Result<Vec<Certificate>, PkiError> {
    let mut out = Vec::new();
    for p in list {
        out.extend(load_certificates(p.as_bytes())?);
    }
    Ok(out)
}

/// Runs one case: `Ok(passed?)`, or the report text for the failure message.
fn run(case: &Value) -> (bool, String) {
    let outcome = (|| -> Result<kyso::pki::ChainReport, String> {
        let e = |e: PkiError| e.to_string();
        let anchors = TrustStore::from_certificates(
            certs(&common::json_strings(case.get("trusted_certs"))).map_err(e)?,
        );
        let inter = certs(&common::json_strings(case.get("untrusted_intermediates"))).map_err(e)?;
        let peer = case
            .get("peer_certificate")
            .and_then(Value::as_str)
            .ok_or("no peer certificate")?;
        let leaf = load_certificates(peer.as_bytes())
            .map_err(e)?
            .into_iter()
            .next()
            .ok_or("empty peer certificate")?;
        let mut crls = Vec::new();
        for p in common::json_strings(case.get("crls")) {
            for b in pem_blocks(p.as_bytes()).map_err(e)? {
                crls.push(Crl::from_der(&b.der).map_err(e)?);
            }
        }
        let time = match case.get("validation_time").and_then(Value::as_str) {
            Some(t) => OffsetDateTime::parse(t, &Rfc3339).map_err(|x| x.to_string())?,
            None => OffsetDateTime::now_utc(),
        };
        let mut opts = ValidationOptions::new(time);
        opts.profile = Profile::Any;
        opts.algorithms = AlgorithmPolicy::default();
        opts.strict = true;
        opts.revocation_policy = if crls.is_empty() {
            RevocationPolicy::Off
        } else {
            RevocationPolicy::Require
        };
        let ekus: Vec<String> = common::json_strings(case.get("extended_key_usage"));
        if let Some(first) = ekus.first() {
            opts.required_eku = Some(eku_oid(first).ok_or("unknown EKU name")?.to_owned());
        }
        opts.required_key_usage = common::json_strings(case.get("key_usage"))
            .iter()
            .fold(0, |acc, k| acc | ku_bit(k));
        opts.max_intermediates = case
            .get("max_chain_depth")
            .and_then(Value::as_u64)
            .and_then(|d| usize::try_from(d).ok());
        let data = RevocationData {
            crls,
            ..Default::default()
        };
        validate_chain(&leaf, &inter, &anchors, &data, &opts).map_err(e)
    })();
    match outcome {
        Ok(r) => (
            r.indication == Indication::TotalPassed,
            format!("{:?}/{:?}: {}", r.indication, r.sub_indication, r.reason),
        ),
        Err(e) => (false, format!("not evaluated: {e}")),
    }
}

/// The listed disagreements: section name → (case id → reason).
fn listed(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_owned();
            continue;
        }
        let (id, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(!reason.trim().is_empty(), "disagreement {id} has no reason");
        out.entry(section.clone())
            .or_default()
            .insert(id.to_owned(), reason.trim().to_owned());
    }
    out
}

#[test]
fn limbo_cases_agree_except_listed() {
    let Some(conf) = common::conformance_dir() else {
        return;
    };
    let text = std::fs::read_to_string(conf.join("x509-limbo/limbo.json"))
        .unwrap_or_else(|e| panic!("limbo.json: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let cases = doc
        .get("testcases")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("limbo.json has no testcases"));
    assert_eq!(cases.len(), 208, "limbo.json should hold 208 cases");
    let list_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/limbo-disagreements.txt"),
    )
    .unwrap_or_else(|e| panic!("tests/limbo-disagreements.txt: {e}"));
    let list = listed(&list_text);
    let empty = BTreeMap::new();
    let required = list.get("rfc5280").unwrap_or(&empty);
    let webpki = list.get("webpki").unwrap_or(&empty);
    assert!(
        list.keys().all(|k| k == "rfc5280" || k == "webpki"),
        "unknown section in the disagreements file"
    );
    assert!(
        required.keys().all(|id| !id.starts_with("webpki::"))
            && webpki.keys().all(|id| id.starts_with("webpki::")),
        "a disagreement is listed in the wrong section"
    );
    assert!(
        required.len() <= MAX_LISTED_RFC5280,
        "{} non-webpki disagreements listed, at most {MAX_LISTED_RFC5280} allowed",
        required.len()
    );

    let mut problems = Vec::new();
    let (mut agree, mut web_agree, mut web_total) = (0usize, 0usize, 0usize);
    let mut seen = std::collections::BTreeSet::new();
    for case in cases {
        let id = case
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let want = case.get("expected_result").and_then(Value::as_str) == Some("SUCCESS");
        let (got, detail) = run(case);
        let agrees = got == want;
        let is_web = id.starts_with("webpki::");
        let is_listed = required.contains_key(&id) || webpki.contains_key(&id);
        if is_web {
            web_total += 1;
            web_agree += usize::from(agrees);
        }
        agree += usize::from(agrees);
        seen.insert(id.clone());
        let want_text = if want { "SUCCESS" } else { "FAILURE" };
        if !agrees && !is_listed {
            problems.push(format!(
                "DISAGREE (unlisted) {id}: expected {want_text}, got {detail}"
            ));
        } else if agrees && is_listed {
            problems.push(format!("AGREES but listed {id}: remove it from the list"));
        }
    }
    for id in required.keys().chain(webpki.keys()) {
        if !seen.contains(id) {
            problems.push(format!("listed case {id} does not exist"));
        }
    }
    for p in &problems {
        eprintln!("{p}");
    }
    eprintln!(
        "limbo: {agree}/{} cases agree; webpki:: {web_agree}/{web_total}; other families {}/{} \
         ({} listed)",
        cases.len(),
        agree - web_agree,
        cases.len() - web_total,
        required.len()
    );
    assert!(problems.is_empty(), "{} limbo problems", problems.len());
}

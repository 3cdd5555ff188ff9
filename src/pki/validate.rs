//! RFC 5280 §6.1 processing of one candidate path at a given time, and the public entry point
//! [`validate_chain`], which lets [`super::build`] find candidate paths and runs each through
//! [`check_path`] until one passes.

use time::OffsetDateTime;

use super::algorithm::{effective_key, AlgorithmPolicy, SignatureError};
use super::budget::Budget;
use super::cert::{key_usage, oid, Certificate};
use super::conformance::{profile_violation, Role};
use super::error::PkiError;
use super::name_constraints::{NameConstraintState, NameConstraintViolation};
use super::policy::PolicyTree;
use super::profile::{check_end_entity, Profile};
use super::report::ChainReport;
use super::revocation::{CertStatus, RevocationData, RevocationPolicy};
use super::store::TrustStore;
use crate::verdict::{Indication, SubIndication};

/// The initial policy inputs of RFC 5280 §6.1.1 (c), (e), (f), (g).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOptions {
    /// user-initial-policy-set as dotted OIDs; empty means {anyPolicy}.
    pub user_initial_policy_set: Vec<String>,
    /// initial-explicit-policy.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit.
    pub initial_any_policy_inhibit: bool,
}

/// Parameters of one validation.
#[derive(Clone, Debug)]
pub struct ValidationOptions {
    /// The validation time.
    pub time: OffsetDateTime,
    /// End-entity requirements.
    pub profile: Profile,
    /// What unknown revocation status means.
    pub revocation_policy: RevocationPolicy,
    /// Accepted algorithms and key sizes.
    pub algorithms: AlgorithmPolicy,
    /// RFC 5280 policy inputs.
    pub policy: PolicyOptions,
    /// An EKU (dotted OID) the end-entity certificate must allow, if any.
    pub required_eku: Option<String>,
    /// Key usage bits (see [`super::cert::key_usage`]) the end-entity certificate must allow
    /// when it has a keyUsage extension; 0 for none.
    pub required_key_usage: u16,
    /// Most intermediate CA certificates (self-issued ones not counted) a path may hold.
    pub max_intermediates: Option<usize>,
    /// Enforce the RFC 5280 §4 certificate-profile rules on every certificate of the path
    /// (see [`super::conformance`]).
    pub strict: bool,
    /// The work allowed for this validation.
    pub budget: Budget,
}

impl ValidationOptions {
    /// kyso's defaults at `time`: document-signing profile, soft-fail revocation, the default
    /// algorithm policy, any policy acceptable, default budget.
    pub fn new(time: OffsetDateTime) -> ValidationOptions {
        ValidationOptions {
            time,
            profile: Profile::DocumentSigning,
            revocation_policy: RevocationPolicy::SoftFail,
            algorithms: AlgorithmPolicy::default(),
            policy: PolicyOptions::default(),
            required_eku: None,
            required_key_usage: 0,
            max_intermediates: None,
            strict: false,
            budget: Budget::default(),
        }
    }
}

/// Validates the chain of `leaf` to one of `anchors` at `options.time`, trying every candidate
/// path that `intermediates` and `anchors` allow. A verdict (valid or not) is `Ok`; `Err`
/// only when a parameter cannot be used.
pub fn validate_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &TrustStore,
    revocation: &RevocationData,
    options: &ValidationOptions,
) -> Result<ChainReport, PkiError> {
    for p in &options.policy.user_initial_policy_set {
        let ok = !p.is_empty()
            && p.split('.')
                .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(PkiError::BadParameter(format!("policy OID '{p}'")));
        }
    }
    let mut budget = options.budget.clone();
    let effective;
    let options = if options.algorithms.sha1_until.is_some() {
        let mut o = options.clone();
        o.algorithms = options.algorithms.effective_at(options.time);
        effective = o;
        &effective
    } else {
        options
    };
    let env = super::build::Env::new(intermediates, anchors, revocation, options);
    Ok(env.validate(
        leaf,
        options.profile,
        options.required_eku.as_deref(),
        0,
        &mut budget,
    ))
}

/// A path failure: indication, sub-indication and the plain-language reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// TOTAL_FAILED or INDETERMINATE.
    pub indication: Indication,
    /// The ETSI sub-indication.
    pub sub: SubIndication,
    /// What failed, naming the certificate and the rule.
    pub reason: String,
}

impl Failure {
    fn failed(sub: SubIndication, reason: String) -> Failure {
        Failure {
            indication: Indication::TotalFailed,
            sub,
            reason,
        }
    }

    fn indeterminate(sub: SubIndication, reason: String) -> Failure {
        Failure {
            indication: Indication::Indeterminate,
            sub,
            reason,
        }
    }

    fn constraint(reason: String) -> Failure {
        Failure::failed(SubIndication::ChainConstraintsFailure, reason)
    }
}

/// How a certificate is named in reasons: "certificate 'CN=…' (end-entity)".
pub fn describe(cert: &Certificate, role: &str) -> String {
    format!("certificate '{}' ({role})", cert.display_subject())
}

/// The role label of position `idx` (0 = end-entity) in a path of `len` certificates
/// (anchor last).
pub fn role_label(idx: usize, len: usize) -> String {
    if idx == 0 {
        "end-entity".to_owned()
    } else if idx + 1 == len {
        "trust anchor".to_owned()
    } else {
        format!("intermediate {}", len - 1 - idx)
    }
}

/// Everything path processing needs besides the path itself.
pub struct PathInputs<'a> {
    /// Validation options.
    pub options: &'a ValidationOptions,
    /// End-entity profile for this path (signer paths use [`Profile::Any`]).
    pub profile: Profile,
    /// Required EKU for this path.
    pub required_eku: Option<&'a str>,
    /// Required end-entity key usage bits for this path.
    pub required_key_usage: u16,
}

/// A cache of signature verdicts within one validation, keyed by (subject, issuer)
/// fingerprints, so that paths sharing edges do not verify the same signature twice.
pub type SignatureCache =
    std::collections::HashMap<([u8; 32], [u8; 32]), Result<(), SignatureError>>;

/// RFC 5280 §6.1 basic path processing of `path` (end-entity first, trust anchor's
/// certificate last) without revocation. Returns warnings on success.
pub fn check_path(
    path: &[&Certificate],
    inputs: &PathInputs<'_>,
    cache: &mut SignatureCache,
    budget: &mut Budget,
) -> Result<Vec<String>, Failure> {
    let opts = inputs.options;
    let time = opts.time;
    let len = path.len();
    let Some(&anchor) = path.last() else {
        return Err(Failure::indeterminate(
            SubIndication::NoCertificateChainFound,
            "no path".into(),
        ));
    };
    let anchor_desc = describe(anchor, "trust anchor");
    // The trust anchor: its name and key start the path; its validity, critical extensions,
    // CA flags, path length and name constraints are honoured too (RFC 5937 §2 lets the
    // anchor's constraints apply).
    if !anchor.is_valid_at(time) {
        return Err(out_of_bounds(anchor, &anchor_desc, time));
    }
    if let Some(ext) = anchor.extensions().unknown_critical.first() {
        return Err(Failure::constraint(format!(
            "{anchor_desc} has an unrecognised critical extension {ext} (RFC 5280 §4.2)"
        )));
    }
    if len > 1 && !anchor.key_usage_allows(key_usage::KEY_CERT_SIGN) {
        return Err(Failure::constraint(format!(
            "{anchor_desc} may not sign certificates: its key usage lacks keyCertSign \
             (RFC 5280 §4.2.1.3)"
        )));
    }
    if opts.strict {
        let role = if len == 1 {
            Role::EndEntity
        } else {
            Role::Anchor
        };
        if let Some(v) = profile_violation(anchor, role) {
            return Err(Failure::constraint(format!("{anchor_desc}: {v}")));
        }
    }
    let n = len - 1;
    let mut explicit_policy = if opts.policy.initial_explicit_policy {
        0
    } else {
        n + 1
    };
    let mut inhibit_any = if opts.policy.initial_any_policy_inhibit {
        0
    } else {
        n + 1
    };
    let mut policy_mapping = if opts.policy.initial_policy_mapping_inhibit {
        0
    } else {
        n + 1
    };
    let mut max_path_length = n;
    if let Some(pl) = anchor
        .extensions()
        .basic_constraints
        .and_then(|b| b.path_len)
    {
        max_path_length = max_path_length.min(usize::try_from(pl).unwrap_or(usize::MAX));
    }
    let mut tree = PolicyTree::new();
    let mut nc = NameConstraintState::new();
    if let Some(c) = &anchor.extensions().name_constraints {
        nc.add(c);
    }
    let warnings = Vec::new();
    let mut working_key = anchor.public_key().cloned();
    let mut working_issuer = anchor;
    let mut intermediates = 0usize;

    for i in 1..=n {
        let idx = n - i;
        let Some(&cert) = path.get(idx) else { break };
        let last = i == n;
        let desc = describe(cert, &role_label(idx, len));
        let self_issued = cert.is_self_issued();

        // (a)(1) signature (the outer and inner algorithm identifiers are byte-identical, as
        // `Certificate::from_der` guarantees).
        let key = working_key
            .clone()
            .or_else(|| effective_key(working_issuer, None));
        let verdict = match cache.get(&(*cert.sha256(), *working_issuer.sha256())) {
            Some(v) => v.clone(),
            None => {
                if !budget.spend_signature() {
                    return Err(budget_exhausted());
                }
                let v = match &key {
                    // The memo is keyed by the issuer's SPKI, which fully determines the key
                    // unless DSA parameters were inherited (§6.1.4 (f)); then verify afresh.
                    Some(k) if working_issuer.public_key().is_some() => {
                        opts.algorithms.verify_memo(
                            cert.tbs(),
                            cert.signature_algorithm(),
                            cert.signature(),
                            k,
                            working_issuer.spki(),
                        )
                    }
                    Some(k) => opts.algorithms.verify(
                        cert.tbs(),
                        cert.signature_algorithm(),
                        cert.signature(),
                        k,
                    ),
                    None => Err(SignatureError::KeyMismatch(format!(
                        "the public key of '{}' cannot be read",
                        working_issuer.display_subject()
                    ))),
                };
                cache.insert((*cert.sha256(), *working_issuer.sha256()), v.clone());
                v
            }
        };
        if let Err(e) = verdict {
            return Err(signature_failure(&desc, working_issuer, &e));
        }
        // (a)(2) validity.
        if !cert.is_valid_at(time) {
            return Err(out_of_bounds(cert, &desc, time));
        }
        // (a)(4) name chaining.
        if cert.issuer() != working_issuer.subject() {
            return Err(Failure::constraint(format!(
                "{desc}: its issuer name '{}' does not match the subject of the certificate \
                 above it, '{}' (RFC 5280 §6.1.3 (a)(4))",
                cert.display_issuer(),
                working_issuer.display_subject()
            )));
        }
        // (b), (c) name constraints.
        if !self_issued || last {
            if let Err(v) = nc.check(cert) {
                let f = format!("{desc}: {v} (RFC 5280 §4.2.1.10)");
                return Err(match v {
                    NameConstraintViolation::TooManyChecks => {
                        Failure::indeterminate(SubIndication::ChainConstraintsFailure, f)
                    }
                    _ => Failure::constraint(f),
                });
            }
        }
        // (d), (e), (f) certificate policies.
        let any_allowed = inhibit_any > 0 || (!last && self_issued);
        if tree
            .process_certificate(cert.extensions().policies.as_deref(), any_allowed)
            .is_err()
        {
            return Err(Failure::indeterminate(
                SubIndication::ChainConstraintsFailure,
                format!("{desc}: the certificate policy tree grows beyond its bound"),
            ));
        }
        if explicit_policy == 0 && tree.is_null() {
            return Err(Failure::constraint(format!(
                "{desc}: no acceptable certificate policy remains while an explicit policy is \
                 required (RFC 5280 §6.1.3 (f))"
            )));
        }
        if let Some(ext) = cert.extensions().unknown_critical.first() {
            return Err(Failure::constraint(format!(
                "{desc} has an unrecognised critical extension {ext} (RFC 5280 §4.2, \
                 §6.1.4 (o))"
            )));
        }
        if opts.strict {
            let role = if last {
                Role::EndEntity
            } else {
                Role::Intermediate
            };
            if let Some(v) = profile_violation(cert, role) {
                return Err(Failure::constraint(format!("{desc}: {v}")));
            }
        }
        let next_key = effective_key(cert, key.as_deref());
        if last {
            // §6.1.5 wrap-up.
            explicit_policy = explicit_policy.saturating_sub(1);
            if cert
                .extensions()
                .policy_constraints
                .and_then(|p| p.require_explicit_policy)
                == Some(0)
            {
                explicit_policy = 0;
            }
            let user_set = &opts.policy.user_initial_policy_set;
            if tree.finish(user_set).is_err() {
                return Err(Failure::indeterminate(
                    SubIndication::ChainConstraintsFailure,
                    format!("{desc}: the certificate policy tree grows beyond its bound"),
                ));
            }
            if explicit_policy == 0 && tree.is_null() {
                return Err(Failure::constraint(format!(
                    "{desc}: the path is not valid for any acceptable certificate policy{} \
                     (RFC 5280 §6.1.5 (g))",
                    if user_set.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", user_set.join(", "))
                    }
                )));
            }
            if let Err(rule) = check_end_entity(
                cert,
                inputs.profile,
                inputs.required_eku,
                inputs.required_key_usage,
            ) {
                return Err(Failure::constraint(format!("{desc}: {rule}")));
            }
            let key_problem = match &next_key {
                None => Some(format!(
                    "its public key ({}) is of a type or curve kyso cannot use",
                    cert.key_algorithm().oid
                )),
                Some(k) => opts.algorithms.check_key(k).err().map(|e| e.to_string()),
            };
            if let Some(p) = key_problem {
                return Err(Failure::indeterminate(
                    SubIndication::CryptoConstraintsFailureNoPoe,
                    format!("{desc}: its public key is not acceptable: {p}"),
                ));
            }
            break;
        }
        // §6.1.4 preparation for the next certificate.
        if let Some(maps) = &cert.extensions().policy_mappings {
            if maps
                .iter()
                .any(|(a, b)| a == oid::ANY_POLICY || b == oid::ANY_POLICY)
            {
                return Err(Failure::constraint(format!(
                    "{desc}: its policyMappings map to or from anyPolicy (RFC 5280 §6.1.4 (a))"
                )));
            }
            if tree.apply_mappings(maps, policy_mapping > 0).is_err() {
                return Err(Failure::indeterminate(
                    SubIndication::ChainConstraintsFailure,
                    format!("{desc}: the certificate policy tree grows beyond its bound"),
                ));
            }
        }
        working_key = next_key;
        working_issuer = cert;
        if let Some(c) = &cert.extensions().name_constraints {
            nc.add(c);
        }
        if !self_issued {
            explicit_policy = explicit_policy.saturating_sub(1);
            policy_mapping = policy_mapping.saturating_sub(1);
            inhibit_any = inhibit_any.saturating_sub(1);
        }
        if let Some(pc) = cert.extensions().policy_constraints {
            if let Some(r) = pc
                .require_explicit_policy
                .and_then(|r| usize::try_from(r).ok())
            {
                explicit_policy = explicit_policy.min(r);
            }
            if let Some(m) = pc
                .inhibit_policy_mapping
                .and_then(|m| usize::try_from(m).ok())
            {
                policy_mapping = policy_mapping.min(m);
            }
        }
        if let Some(s) = cert
            .extensions()
            .inhibit_any_policy
            .and_then(|s| usize::try_from(s).ok())
        {
            inhibit_any = inhibit_any.min(s);
        }
        if !cert.is_ca() {
            let why = if cert.extensions().basic_constraints.is_none() {
                "it has no basicConstraints extension"
            } else {
                "basicConstraints cA is false"
            };
            return Err(Failure::constraint(format!(
                "{desc} is not a CA: {why} (RFC 5280 §4.2.1.9, §6.1.4 (k))"
            )));
        }
        if !self_issued {
            intermediates += 1;
            if max_path_length == 0 {
                return Err(Failure::constraint(format!(
                    "{desc}: the path is longer than a pathLenConstraint above it allows \
                     (RFC 5280 §4.2.1.9, §6.1.4 (l))"
                )));
            }
            max_path_length -= 1;
        }
        if let Some(pl) = cert.extensions().basic_constraints.and_then(|b| b.path_len) {
            max_path_length = max_path_length.min(usize::try_from(pl).unwrap_or(usize::MAX));
        }
        if !cert.key_usage_allows(key_usage::KEY_CERT_SIGN) {
            return Err(Failure::constraint(format!(
                "{desc} may not sign certificates: its key usage lacks keyCertSign \
                 (RFC 5280 §4.2.1.3, §6.1.4 (n))"
            )));
        }
    }
    if n == 0 {
        if let Err(rule) = check_end_entity(
            anchor,
            inputs.profile,
            inputs.required_eku,
            inputs.required_key_usage,
        ) {
            return Err(Failure::constraint(format!("{anchor_desc}: {rule}")));
        }
    }
    if let Some(max) = opts.max_intermediates {
        if intermediates > max {
            return Err(Failure::constraint(format!(
                "the path holds {intermediates} intermediate CA certificates, more than the \
                 {max} allowed"
            )));
        }
    }
    Ok(warnings)
}

fn budget_exhausted() -> Failure {
    Failure::indeterminate(
        SubIndication::NoCertificateChainFound,
        "the work budget for path building was exhausted before a valid path was found".into(),
    )
}

fn out_of_bounds(cert: &Certificate, desc: &str, time: OffsetDateTime) -> Failure {
    let what = if time < cert.not_before() {
        format!("is not valid before {}", rfc3339(cert.not_before()))
    } else {
        format!("expired at {}", rfc3339(cert.not_after()))
    };
    Failure::indeterminate(
        SubIndication::OutOfBoundsNoPoe,
        format!(
            "{desc} {what}; the validation time is {} (RFC 5280 §4.1.2.5)",
            rfc3339(time)
        ),
    )
}

fn signature_failure(desc: &str, issuer: &Certificate, e: &SignatureError) -> Failure {
    let issuer_name = issuer.display_subject();
    match e {
        SignatureError::Invalid => Failure::failed(
            SubIndication::SigCryptoFailure,
            format!(
                "{desc}: its signature does not verify with the key of '{issuer_name}' \
                 (RFC 5280 §6.1.3 (a)(1))"
            ),
        ),
        SignatureError::Weak(w) => Failure::indeterminate(
            SubIndication::CryptoConstraintsFailureNoPoe,
            format!("{desc}: its signature uses an algorithm the policy rejects: {w}"),
        ),
        SignatureError::Unsupported(w) => Failure::indeterminate(
            SubIndication::CryptoConstraintsFailureNoPoe,
            format!("{desc}: its signature cannot be checked: {w}"),
        ),
        SignatureError::KeyMismatch(w) => Failure::failed(
            SubIndication::SigCryptoFailure,
            format!("{desc}: its signature cannot be checked with the key of '{issuer_name}': {w}"),
        ),
    }
}

/// Formats a time as RFC 3339 (UTC).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Applies the revocation policy to the path (end-entity first, anchor last): every
/// certificate but the anchor is checked against its issuer.
pub fn check_revocation(
    path: &[&Certificate],
    env: &super::build::Env<'_>,
    depth: usize,
    budget: &mut Budget,
) -> Result<Vec<String>, Failure> {
    let opts = env.options;
    if opts.revocation_policy == RevocationPolicy::Off {
        return Ok(vec![
            "revocation not checked (revocation policy: off)".into()
        ]);
    }
    let len = path.len();
    let mut warnings = Vec::new();
    let mut unknown: Option<Failure> = None;
    for idx in (0..len.saturating_sub(1)).rev() {
        let (Some(&cert), Some(&issuer)) = (path.get(idx), path.get(idx + 1)) else {
            continue;
        };
        let desc = describe(cert, &role_label(idx, len));
        let status = env.status(cert, issuer, depth, budget);
        match status {
            CertStatus::Good => {}
            CertStatus::Revoked { revoked_at, reason } if revoked_at <= opts.time => {
                return Err(Failure::failed(
                    SubIndication::Revoked,
                    format!(
                        "{desc} was revoked at {}{} (RFC 5280 §6.3)",
                        rfc3339(revoked_at),
                        reason.map(|r| format!(", reason: {r}")).unwrap_or_default()
                    ),
                ));
            }
            CertStatus::Revoked { revoked_at, .. } => warnings.push(format!(
                "{desc} is revoked as of {}, after the validation time",
                rfc3339(revoked_at)
            )),
            CertStatus::Unknown { why } => {
                let text = format!("{desc}: revocation status unknown: {why}");
                if budget.is_exhausted() && unknown.is_none() {
                    unknown = Some(budget_exhausted());
                }
                match opts.revocation_policy {
                    RevocationPolicy::Require => {
                        if unknown.is_none() {
                            unknown = Some(Failure::indeterminate(SubIndication::TryLater, text));
                        }
                    }
                    _ => warnings.push(text),
                }
            }
        }
    }
    match unknown {
        Some(f) => Err(f),
        None => Ok(warnings),
    }
}

/// Builds the report of a passed path.
pub fn passed(path: &[&Certificate], warnings: Vec<String>, time: OffsetDateTime) -> ChainReport {
    let leaf = path
        .first()
        .map(|c| c.display_subject())
        .unwrap_or_default();
    let anchor = path.last().map(|c| c.display_subject()).unwrap_or_default();
    ChainReport {
        indication: Indication::TotalPassed,
        sub_indication: None,
        reason: format!(
            "certificate '{leaf}' is valid at {}: a path of {} certificate(s) to the trust \
             anchor '{anchor}' passed every check",
            rfc3339(time),
            path.len()
        ),
        warnings,
        path: path
            .iter()
            .map(|c| super::report::PathCert::of(c))
            .collect(),
        validation_time: time,
    }
}

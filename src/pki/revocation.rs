//! Revocation status of one certificate of a validated path: CRL processing as RFC 5280 §6.3
//! describes it (scope by distribution point and issuing distribution point, indirect CRLs,
//! reason masks accumulated over several CRLs, delta CRLs, a CRL signer other than the
//! certificate's issuer) and OCSP responses (RFC 6960). Any valid source saying "revoked" wins;
//! otherwise any valid source saying "good" gives good; otherwise the status is unknown with the
//! reasons every source was rejected for.

use time::OffsetDateTime;

use openssl::pkey::{PKey, Public};

use super::algorithm::{effective_key, AlgorithmPolicy};
use super::budget::Budget;
use super::cert::{key_usage, AlgorithmId, Certificate, DistributionPoint, DistributionPointName};
use super::crl::{distribution_point_names, Crl, CrlEntry, Reasons, RevocationReason};
use super::general_name::GeneralName;
use super::ocsp::{freshness_problem, is_delegated_responder_for, OcspCertStatus, OcspResponse};
use super::validate::rfc3339;

/// What to do when the status of a certificate in the path cannot be determined (DESIGN.md,
/// "Revocation policy").
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationPolicy {
    /// Unknown status makes the chain INDETERMINATE (TRY_LATER).
    Require,
    /// Unknown status is a warning; a known revocation still fails.
    #[default]
    SoftFail,
    /// Revocation is not checked, and the report says so.
    Off,
}

/// The revocation data available to one validation.
#[derive(Clone, Debug, Default)]
pub struct RevocationData {
    pub crls: Vec<Crl>,
    pub ocsp: Vec<OcspResponse>,
}

/// Revocation status of one certificate at the validation time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    /// Revoked according to a CRL or OCSP response that passed every check. `revoked_at` is the
    /// revocation date the source gives; whether a revocation after the validation time matters
    /// is the caller's decision.
    Revoked {
        revoked_at: OffsetDateTime,
        reason: Option<String>,
    },
    /// No source covers the certificate; `why` names the certificate and each rejected source.
    Unknown {
        why: String,
    },
}

/// Validates a CRL or OCSP signer that is not the path issuer itself.
pub trait SignerValidator {
    /// Validates a CRL or OCSP signer candidate back to the trust anchors at `time`, recursively
    /// including its own revocation status. Implemented by the path validator.
    fn validate_signer(
        &mut self,
        candidate: &Certificate,
        time: OffsetDateTime,
        budget: &mut Budget,
    ) -> bool;

    /// Validates a delegated OCSP responder that carries id-pkix-ocsp-nocheck (RFC 6960
    /// §4.2.2.2.1) back to the trust anchors at `time`, without its own revocation status.
    /// The default checks revocation too, which is stricter than the RFC asks.
    fn validate_responder_without_revocation(
        &mut self,
        candidate: &Certificate,
        time: OffsetDateTime,
        budget: &mut Budget,
    ) -> bool {
        self.validate_signer(candidate, time, budget)
    }
}

/// Revocation status of `cert`, issued by `issuer` in the validated path, at `time`. `pool`
/// holds the other certificates available (intermediates and anchors) in which a separate CRL
/// signer or a delegated OCSP responder may be found; certificates embedded in OCSP responses
/// are considered too. Signatures on CRLs and responses must satisfy `policy`.
#[allow(clippy::too_many_arguments)]
pub fn certificate_status(
    cert: &Certificate,
    issuer: &Certificate,
    data: &RevocationData,
    pool: &[Certificate],
    time: OffsetDateTime,
    policy: &AlgorithmPolicy,
    validator: &mut dyn SignerValidator,
    budget: &mut Budget,
) -> CertStatus {
    // SHA-1 may still be admitted before the policy's cut-off date.
    let policy = policy.effective_at(time);
    let mut ctx = Context {
        cert,
        issuer,
        pool,
        time,
        policy: &policy,
        validator,
        budget,
    };
    let from_crls = ctx.crl_status(&data.crls);
    let from_ocsp = ctx.ocsp_status(&data.ocsp);
    combine(cert, time, from_crls, from_ocsp)
}

/// Outcome of one kind of source.
#[derive(Debug)]
enum Outcome {
    Good,
    Revoked {
        at: OffsetDateTime,
        reason: Option<RevocationReason>,
    },
    /// Reasons every source of this kind was rejected for (empty when there was none).
    Unknown(Vec<String>),
}

fn combine(cert: &Certificate, time: OffsetDateTime, crl: Outcome, ocsp: Outcome) -> CertStatus {
    let revoked = |at, reason: Option<RevocationReason>| CertStatus::Revoked {
        revoked_at: at,
        reason: reason.map(|r| r.name().to_owned()),
    };
    match (crl, ocsp) {
        (Outcome::Revoked { at, reason }, _) | (_, Outcome::Revoked { at, reason }) => {
            revoked(at, reason)
        }
        (Outcome::Good, _) | (_, Outcome::Good) => CertStatus::Good,
        (Outcome::Unknown(a), Outcome::Unknown(b)) => {
            let mut why = format!(
                "no CRL or OCSP response covers '{}' (serial {}) at {}",
                cert.display_subject(),
                cert.serial_hex(),
                rfc3339(time)
            );
            let reasons: Vec<String> = a.into_iter().chain(b).collect();
            if !reasons.is_empty() {
                why.push_str(": ");
                why.push_str(&reasons.join("; "));
            }
            CertStatus::Unknown { why }
        }
    }
}

/// Most distinct rejection reasons kept for a report; more would drown the first, which is
/// usually the telling one.
const MAX_REASONS_REPORTED: usize = 8;

struct Context<'a, 'v> {
    cert: &'a Certificate,
    issuer: &'a Certificate,
    pool: &'a [Certificate],
    time: OffsetDateTime,
    policy: &'a AlgorithmPolicy,
    validator: &'v mut dyn SignerValidator,
    budget: &'v mut Budget,
}

/// Why a CRL could not be used for this certificate, and whether that is worth reporting
/// (a CRL simply out of scope is not).
enum Skip {
    OutOfScope,
    Unusable(String),
}

/// Status carried through §6.3.3 (cert_status).
#[derive(Clone, Copy)]
enum CrlCertStatus {
    Unrevoked,
    Revoked {
        at: OffsetDateTime,
        reason: Option<RevocationReason>,
    },
}

impl Context<'_, '_> {
    fn note(reasons: &mut Vec<String>, why: String) {
        if reasons.len() < MAX_REASONS_REPORTED && !reasons.contains(&why) {
            reasons.push(why);
        }
    }

    /// RFC 5280 §6.3.3 over every distribution point of the certificate, then over the
    /// "distribution point" named by the certificate issuer for CRLs not found through one.
    fn crl_status(&mut self, crls: &[Crl]) -> Outcome {
        let mut reasons = Vec::new();
        if crls.is_empty() {
            return Outcome::Unknown(reasons);
        }
        let mut points: Vec<DistributionPoint> =
            self.cert.extensions().crl_distribution_points.clone();
        points.push(DistributionPoint {
            name: Some(DistributionPointName::FullName(vec![
                GeneralName::Directory(self.cert.issuer().clone()),
            ])),
            reasons: None,
            crl_issuer: None,
        });
        let mut reasons_mask = Reasons::NONE;
        let mut status = CrlCertStatus::Unrevoked;
        let mut signer_cache: Vec<Option<Result<(), String>>> = vec![None; crls.len()];
        'points: for dp in &points {
            for (index, crl) in crls.iter().enumerate() {
                if reasons_mask == Reasons::ALL || !matches!(status, CrlCertStatus::Unrevoked) {
                    break 'points;
                }
                if crl.is_delta() {
                    continue;
                }
                match self.apply_crl(dp, crl, index, crls, &mut signer_cache, reasons_mask) {
                    Ok((interim, new_status)) => {
                        reasons_mask = reasons_mask.union(interim);
                        status = new_status;
                    }
                    Err(Skip::OutOfScope) => {}
                    Err(Skip::Unusable(why)) => Self::note(&mut reasons, why),
                }
            }
        }
        match status {
            CrlCertStatus::Revoked { at, reason } => Outcome::Revoked { at, reason },
            CrlCertStatus::Unrevoked if reasons_mask == Reasons::ALL => Outcome::Good,
            CrlCertStatus::Unrevoked => {
                if !reasons_mask.is_empty() {
                    Self::note(
                        &mut reasons,
                        "the available CRLs do not cover all revocation reasons".into(),
                    );
                }
                Outcome::Unknown(reasons)
            }
        }
    }

    /// One complete CRL for one distribution point: §6.3.3 (a) to (k). Returns the reasons it
    /// covers and the resulting status.
    fn apply_crl(
        &mut self,
        dp: &DistributionPoint,
        crl: &Crl,
        index: usize,
        crls: &[Crl],
        signer_cache: &mut [Option<Result<(), String>>],
        reasons_mask: Reasons,
    ) -> Result<(Reasons, CrlCertStatus), Skip> {
        self.check_scope(dp, crl)?;
        let interim = interim_reasons(dp, crl);
        // (e): a CRL that covers no reason not yet covered adds nothing.
        if reasons_mask.contains_all(interim) {
            return Err(Skip::OutOfScope);
        }
        if let Some(oid) = crl.unknown_critical_extensions().first() {
            return Err(Skip::Unusable(format!(
                "CRL from '{}' has an unrecognized critical extension {oid}",
                crl.issuer().display()
            )));
        }
        if crl.number().is_none() || crl.number_is_critical() {
            return Err(Skip::Unusable(format!(
                "CRL from '{}' is not conforming: its cRLNumber is {} (RFC 5280 §5.2.3)",
                crl.issuer().display(),
                if crl.number().is_none() {
                    "missing"
                } else {
                    "marked critical"
                }
            )));
        }
        self.check_fresh(crl, "CRL")?;
        // (f), (g): the CRL signer and the signature.
        let verdict = match signer_cache.get(index).cloned().flatten() {
            Some(v) => v,
            None => {
                let v = self.verify_crl_signer(crl);
                if let Some(slot) = signer_cache.get_mut(index) {
                    *slot = Some(v.clone());
                }
                v
            }
        };
        verdict.map_err(Skip::Unusable)?;
        // (a)(2), (h): an applicable delta CRL, if one is available and valid.
        let delta = self.find_delta(crl, crls);
        let mut status = CrlCertStatus::Unrevoked;
        // (i)
        if let Some(delta) = delta {
            if let Some(entry) = self.find_entry(delta, crl)? {
                status = entry_status(entry);
            }
        }
        // (j)
        if matches!(status, CrlCertStatus::Unrevoked) {
            if let Some(entry) = self.find_entry(crl, crl)? {
                status = entry_status(entry);
            }
        }
        // (k)
        if let CrlCertStatus::Revoked {
            reason: Some(RevocationReason::RemoveFromCrl),
            ..
        } = status
        {
            status = CrlCertStatus::Unrevoked;
        }
        Ok((interim, status))
    }

    fn check_fresh(&self, crl: &Crl, what: &str) -> Result<(), Skip> {
        match crl.next_update() {
            Some(next) if next < self.time => Err(Skip::Unusable(format!(
                "{what} from '{}' is not recent enough: nextUpdate {} is before the validation time {}",
                crl.issuer().display(),
                rfc3339(next),
                rfc3339(self.time)
            ))),
            _ => Ok(()),
        }
    }

    /// §6.3.3 (b): whether the CRL speaks about certificates like this one from this
    /// distribution point.
    fn check_scope(&self, dp: &DistributionPoint, crl: &Crl) -> Result<(), Skip> {
        let idp = crl.issuing_distribution_point();
        // (b)(1)
        match &dp.crl_issuer {
            Some(crl_issuers) => {
                let named = crl_issuers
                    .iter()
                    .any(|g| matches!(g, GeneralName::Directory(n) if n.matches(crl.issuer())));
                if !named || !idp.is_some_and(|i| i.indirect_crl) {
                    return Err(Skip::OutOfScope);
                }
            }
            None => {
                if !crl.issuer().matches(self.cert.issuer()) {
                    return Err(Skip::OutOfScope);
                }
            }
        }
        let Some(idp) = idp else { return Ok(()) };
        // (b)(2)(i)
        if let Some(idp_name) = &idp.distribution_point {
            let idp_names = distribution_point_names(idp_name, crl.issuer());
            let dp_names: Vec<GeneralName> = match (&dp.name, &dp.crl_issuer) {
                (Some(name), _) => distribution_point_names(name, crl.issuer()),
                (None, Some(crl_issuers)) => crl_issuers.clone(),
                (None, None) => Vec::new(),
            };
            if !idp_names
                .iter()
                .any(|a| dp_names.iter().any(|b| general_names_match(a, b)))
            {
                return Err(Skip::OutOfScope);
            }
        }
        // (b)(2)(ii)
        if idp.only_contains_user_certs && self.cert.is_ca() {
            return Err(Skip::Unusable(format!(
                "CRL from '{}' only contains end-entity certificates and '{}' is a CA certificate",
                crl.issuer().display(),
                self.cert.display_subject()
            )));
        }
        if idp.only_contains_ca_certs && !self.cert.is_ca() {
            return Err(Skip::Unusable(format!(
                "CRL from '{}' only contains CA certificates and '{}' is an end-entity certificate",
                crl.issuer().display(),
                self.cert.display_subject()
            )));
        }
        // (b)(2)(iii)
        if idp.only_contains_attribute_certs {
            return Err(Skip::Unusable(format!(
                "CRL from '{}' only contains attribute certificates",
                crl.issuer().display()
            )));
        }
        Ok(())
    }

    /// The entry of `list` (the complete CRL or its delta) that revokes this certificate, with
    /// `complete` giving the scope. Fails when that entry has an unrecognized critical entry
    /// extension (§5.3: the CRL must then not be used).
    fn find_entry<'c>(&self, list: &'c Crl, complete: &Crl) -> Result<Option<&'c CrlEntry>, Skip> {
        let indirect = complete
            .issuing_distribution_point()
            .is_some_and(|i| i.indirect_crl);
        for entry in list.entries_for(self.cert.serial()) {
            let issuer_matches = match (&entry.certificate_issuer, indirect) {
                (Some(names), true) => names.iter().any(
                    |g| matches!(g, GeneralName::Directory(n) if n.matches(self.cert.issuer())),
                ),
                _ => list.issuer().matches(self.cert.issuer()),
            };
            if !issuer_matches {
                continue;
            }
            if let Some(oid) = entry.unknown_critical.first() {
                return Err(Skip::Unusable(format!(
                    "the CRL entry for '{}' in the CRL from '{}' has an unrecognized critical extension {oid}",
                    self.cert.display_subject(),
                    list.issuer().display()
                )));
            }
            return Ok(Some(entry));
        }
        Ok(None)
    }

    /// §6.3.3 (a)(2), (h): a fresh delta CRL, validly signed, with the scope of `complete` and
    /// applying to it (§5.2.4: same issuer, same issuing distribution point, same signing key,
    /// BaseCRLNumber not above the complete CRL's number).
    fn find_delta<'c>(&mut self, complete: &Crl, crls: &'c [Crl]) -> Option<&'c Crl> {
        let number = complete.number()?;
        let mut best: Option<&'c Crl> = None;
        for delta in crls {
            let Some(base) = delta.delta_base() else {
                continue;
            };
            let applies = delta.issuer().matches(complete.issuer())
                && delta.issuing_distribution_point_der()
                    == complete.issuing_distribution_point_der()
                && delta.authority_key_id() == complete.authority_key_id()
                && base <= number
                && delta.number().is_some_and(|n| n > number)
                && delta.unknown_critical_extensions().is_empty()
                && !delta.number_is_critical()
                && delta.next_update().is_none_or(|n| n >= self.time);
            if !applies {
                continue;
            }
            if best.is_some_and(|b| b.number() >= delta.number()) {
                continue;
            }
            if self.verify_crl_signer(delta).is_ok() {
                best = Some(delta);
            }
        }
        best
    }

    /// §6.3.3 (f), (g): finds a certificate that signed the CRL and may sign CRLs for this
    /// issuer: the path issuer itself, or a certificate with the CRL issuer's name whose key
    /// signed the CRL, which has cRLSign when it has a key usage, and which the path validator
    /// accepts back to the anchors.
    fn verify_crl_signer(&mut self, crl: &Crl) -> Result<(), String> {
        let who = crl.issuer().display();
        let mut candidates: Vec<&Certificate> = Vec::new();
        if self.issuer.subject().matches(crl.issuer()) {
            candidates.push(self.issuer);
        }
        if self.cert.subject().matches(crl.issuer()) && self.cert != self.issuer {
            candidates.push(self.cert);
        }
        let aki = crl.authority_key_id();
        let mut others: Vec<&Certificate> = self
            .pool
            .iter()
            .filter(|c| *c != self.issuer && *c != self.cert && c.subject().matches(crl.issuer()))
            .collect();
        // Certificates whose key identifier matches the CRL's are tried first.
        others.sort_by_key(|c| !(aki.is_some() && c.extensions().subject_key_id.as_deref() == aki));
        candidates.extend(others);
        if candidates.is_empty() {
            return Err(format!(
                "no certificate of the CRL issuer '{who}' is available"
            ));
        }
        let mut last = format!("CRL signature from '{who}' could not be verified");
        for candidate in candidates {
            if let Err(e) = self.verify(
                candidate,
                crl.signature_algorithm(),
                crl.tbs(),
                crl.signature(),
            ) {
                last = format!("CRL signature from '{who}' is invalid: {e}");
                continue;
            }
            if !candidate.key_usage_allows(key_usage::CRL_SIGN) {
                last = format!(
                    "the CRL signer '{}' has a key usage without cRLSign",
                    candidate.display_subject()
                );
                continue;
            }
            // The path issuer is validated by the path being checked; so is the certificate
            // itself when a CRL issuer's own certificate is covered by the CRL it signs
            // (PKITS 4.14.30), which would otherwise send the validator round in a loop. The
            // latter only for a certificate meant to sign CRLs (a CA, or cRLSign asserted),
            // so that an end entity named like its CA cannot vouch for itself.
            let meant_for_crls = candidate.is_ca()
                || candidate
                    .extensions()
                    .key_usage
                    .is_some_and(|ku| ku & key_usage::CRL_SIGN != 0);
            if candidate == self.issuer || (candidate == self.cert && meant_for_crls) {
                return Ok(());
            }
            if self
                .validator
                .validate_signer(candidate, self.time, self.budget)
            {
                return Ok(());
            }
            last = format!(
                "the CRL issuer certificate '{}' could not be validated",
                candidate.display_subject()
            );
        }
        Err(last)
    }

    fn verify(
        &mut self,
        signer: &Certificate,
        algorithm: &AlgorithmId,
        tbs: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        if !self.budget.spend_signature() {
            return Err("the signature-check budget is exhausted".into());
        }
        let key = self
            .signer_key(signer)
            .ok_or_else(|| format!("the key of '{}' is unusable", signer.display_subject()))?;
        // The memo is keyed by the signer's SPKI, which fixes the key unless DSA parameters
        // were inherited.
        let verdict = if signer.public_key().is_some() {
            self.policy
                .verify_memo(tbs, algorithm, signature, &key, signer.spki())
        } else {
            self.policy.verify(tbs, algorithm, signature, &key)
        };
        verdict.map_err(|e| e.to_string())
    }

    /// The public key of `signer`; a DSA key that inherits its parameters (RFC 3279 §2.3.2)
    /// takes them from the key of a certificate of its issuer in the path or the pool.
    fn signer_key(&self, signer: &Certificate) -> Option<PKey<Public>> {
        if let Some(key) = signer.public_key() {
            return Some(key.clone());
        }
        std::iter::once(self.issuer)
            .chain(self.pool.iter())
            .filter(|c| c.subject().matches(signer.issuer()))
            .filter_map(|c| c.public_key())
            .find_map(|k| effective_key(signer, Some(k)))
    }

    /// OCSP (RFC 6960): the first response that speaks about this certificate and passes every
    /// check gives the status.
    fn ocsp_status(&mut self, responses: &[OcspResponse]) -> Outcome {
        let mut reasons = Vec::new();
        let mut good = false;
        for response in responses {
            let Some(single) = response.single_for(self.cert, self.issuer) else {
                continue;
            };
            let about = format!("OCSP response about '{}'", self.cert.display_subject());
            if let Some(oid) = response
                .unknown_critical_extensions()
                .first()
                .or(single.unknown_critical.first())
            {
                Self::note(
                    &mut reasons,
                    format!("{about} has an unrecognized critical extension {oid}"),
                );
                continue;
            }
            if let Some(problem) = freshness_problem(single, self.time) {
                Self::note(&mut reasons, problem);
                continue;
            }
            if let Err(why) = self.verify_ocsp_signer(response) {
                Self::note(&mut reasons, format!("{about}: {why}"));
                continue;
            }
            match &single.status {
                OcspCertStatus::Revoked { at, reason } => {
                    return Outcome::Revoked {
                        at: *at,
                        reason: *reason,
                    };
                }
                OcspCertStatus::Good => good = true,
                OcspCertStatus::Unknown => Self::note(
                    &mut reasons,
                    format!("{about}: the responder does not know the certificate"),
                ),
            }
        }
        if good {
            Outcome::Good
        } else {
            Outcome::Unknown(reasons)
        }
    }

    /// RFC 6960 §4.2.2.2: the response is signed by the issuing CA itself, or by a responder
    /// certificate issued directly by it (signed with its key) that carries id-kp-OCSPSigning
    /// and that the path validator accepts.
    fn verify_ocsp_signer(&mut self, response: &OcspResponse) -> Result<(), String> {
        if response.responder_is(self.issuer) {
            return self.verify(
                self.issuer,
                response.signature_algorithm(),
                response.tbs(),
                response.signature(),
            );
        }
        let pool = self.pool;
        let candidates: Vec<&Certificate> = response
            .certs()
            .iter()
            .chain(pool.iter())
            .filter(|c| response.responder_is(c))
            .collect();
        if candidates.is_empty() {
            return Err("the responder certificate is not available".into());
        }
        let mut last = String::from("no acceptable responder");
        for candidate in candidates {
            if !is_delegated_responder_for(candidate, self.issuer) {
                last = format!(
                    "the responder '{}' is neither the issuing CA nor a responder it authorized with id-kp-OCSPSigning",
                    candidate.display_subject()
                );
                continue;
            }
            if let Err(e) = self.verify(
                self.issuer,
                candidate.signature_algorithm(),
                candidate.tbs(),
                candidate.signature(),
            ) {
                last = format!(
                    "the responder certificate '{}' was not issued by the CA's key: {e}",
                    candidate.display_subject()
                );
                continue;
            }
            if let Err(e) = self.verify(
                candidate,
                response.signature_algorithm(),
                response.tbs(),
                response.signature(),
            ) {
                last = format!("the response signature is invalid: {e}");
                continue;
            }
            if !candidate.is_valid_at(self.time) {
                last = format!(
                    "the responder certificate '{}' is not valid at {}",
                    candidate.display_subject(),
                    rfc3339(self.time)
                );
                continue;
            }
            let validated = if candidate.extensions().ocsp_nocheck {
                self.validator.validate_responder_without_revocation(
                    candidate,
                    self.time,
                    self.budget,
                )
            } else {
                self.validator
                    .validate_signer(candidate, self.time, self.budget)
            };
            if validated {
                return Ok(());
            }
            last = format!(
                "the responder certificate '{}' could not be validated",
                candidate.display_subject()
            );
        }
        Err(last)
    }
}

/// §6.3.3 (d): the reasons this CRL covers for this distribution point.
fn interim_reasons(dp: &DistributionPoint, crl: &Crl) -> Reasons {
    let idp_reasons = crl
        .issuing_distribution_point()
        .and_then(|i| i.only_some_reasons);
    let dp_reasons = dp.reasons.map(Reasons::from_flags);
    match (idp_reasons, dp_reasons) {
        (Some(i), Some(d)) => i.intersection(d),
        (Some(i), None) => i,
        (None, Some(d)) => d,
        (None, None) => Reasons::ALL,
    }
}

fn entry_status(entry: &CrlEntry) -> CrlCertStatus {
    CrlCertStatus::Revoked {
        at: entry.revocation_date,
        reason: entry.reason,
    }
}

/// GeneralName equality for distribution point matching: directory names by RFC 5280 §7.1,
/// everything else exactly.
fn general_names_match(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::Directory(x), GeneralName::Directory(y)) => x.matches(y),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use openssl::x509::extension::KeyUsage;

    use super::*;
    use crate::pki::rev_testkit::*;

    /// Accepts exactly the listed signer certificates and counts the calls.
    struct Accept {
        accepted: Vec<Certificate>,
        calls: usize,
    }

    impl Accept {
        /// Accepts `accepted` only, no call made yet.
        fn only(accepted: Vec<Certificate>) -> Self {
            Accept { accepted, calls: 0 }
        }
    }

    impl SignerValidator for Accept {
        fn validate_signer(&mut self, c: &Certificate, _: OffsetDateTime, _: &mut Budget) -> bool {
            self.calls += 1;
            self.accepted.contains(c)
        }
    }

    /// Accepts any signer whose path is fine when its own revocation is not asked for, and no
    /// signer when it is (its status is unknown).
    struct StatusUnknown;

    impl SignerValidator for StatusUnknown {
        fn validate_signer(&mut self, _: &Certificate, _: OffsetDateTime, _: &mut Budget) -> bool {
            false
        }

        fn validate_responder_without_revocation(
            &mut self,
            _: &Certificate,
            _: OffsetDateTime,
            _: &mut Budget,
        ) -> bool {
            true
        }
    }

    struct Pki {
        root: TestCert,
        ca: TestCert,
        leaf: TestCert,
        now: OffsetDateTime,
    }

    const LEAF_SERIAL: u64 = 100;

    fn pki_with_leaf(extra: Vec<(&str, bool, Vec<u8>)>) -> Pki {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let ca = make_cert(CertSpec::ca("Issuing CA", 2), Some(&root));
        let mut spec = CertSpec::ee("Nguyễn Văn An", LEAF_SERIAL);
        spec.extra = extra;
        let leaf = make_cert(spec, Some(&ca));
        Pki {
            root,
            ca,
            leaf,
            now: fixed_time("2026-06-01T00:00:00Z"),
        }
    }

    fn pki() -> Pki {
        pki_with_leaf(Vec::new())
    }

    fn day(n: i64) -> time::Duration {
        time::Duration::days(n)
    }

    fn crl(spec: &CrlSpec, key: &openssl::pkey::PKey<openssl::pkey::Private>) -> Crl {
        Crl::from_der(&spec.build(key, false)).expect("test CRL parses")
    }

    fn fresh_crl(p: &Pki) -> CrlSpec {
        CrlSpec::new(&p.ca, p.now - day(1), p.now + day(6))
    }

    fn status_with(
        p: &Pki,
        data: RevocationData,
        pool: &[Certificate],
        validator: &mut Accept,
    ) -> CertStatus {
        let mut budget = Budget::default();
        certificate_status(
            &p.leaf.cert,
            &p.ca.cert,
            &data,
            pool,
            p.now,
            &AlgorithmPolicy::default(),
            validator,
            &mut budget,
        )
    }

    fn status(p: &Pki, data: RevocationData) -> CertStatus {
        let pool = [p.root.cert.clone(), p.ca.cert.clone()];
        status_with(p, data, &pool, &mut Accept::only(Vec::new()))
    }

    fn crls(list: Vec<Crl>) -> RevocationData {
        RevocationData {
            crls: list,
            ocsp: Vec::new(),
        }
    }

    fn unknown_why(s: CertStatus) -> String {
        match s {
            CertStatus::Unknown { why } => why,
            other => panic!("expected unknown status, got {other:?}"),
        }
    }

    fn assert_revoked(s: CertStatus, reason: &str) {
        match s {
            CertStatus::Revoked { reason: r, .. } => assert_eq!(r.as_deref(), Some(reason)),
            other => panic!("expected revoked, got {other:?}"),
        }
    }

    #[test]
    fn revocation_policy_names_match_the_cli_and_config() {
        use clap::ValueEnum;
        assert_eq!(RevocationPolicy::default(), RevocationPolicy::SoftFail);
        for (policy, name) in [
            (RevocationPolicy::Require, "require"),
            (RevocationPolicy::SoftFail, "soft-fail"),
            (RevocationPolicy::Off, "off"),
        ] {
            assert_eq!(
                serde_json::to_string(&policy).expect("json"),
                format!("\"{name}\"")
            );
            assert_eq!(RevocationPolicy::from_str(name, false), Ok(policy));
        }
    }

    #[test]
    fn empty_crl_from_the_issuer_gives_good() {
        let p = pki();
        assert_eq!(
            status(&p, crls(vec![crl(&fresh_crl(&p), &p.ca.key)])),
            CertStatus::Good
        );
    }

    #[test]
    fn listed_serial_gives_revoked_with_date_and_reason() {
        let p = pki();
        let mut spec = fresh_crl(&p);
        let when = p.now - day(30);
        spec.entries.push(Entry::new(99, when, Some(1)));
        spec.entries.push(Entry::new(LEAF_SERIAL, when, Some(1)));
        match status(&p, crls(vec![crl(&spec, &p.ca.key)])) {
            CertStatus::Revoked { revoked_at, reason } => {
                assert_eq!(revoked_at, when);
                assert_eq!(reason.as_deref(), Some("keyCompromise"));
            }
            other => panic!("expected revoked, got {other:?}"),
        }
    }

    #[test]
    fn no_data_gives_unknown_naming_the_certificate() {
        let p = pki();
        let why = unknown_why(status(&p, RevocationData::default()));
        assert!(why.contains("Nguyễn Văn An"), "{why}");
        assert!(why.contains("2026-06-01"), "{why}");
    }

    #[test]
    fn stale_crl_gives_unknown() {
        let p = pki();
        let spec = CrlSpec::new(&p.ca, p.now - day(10), p.now - day(1));
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &p.ca.key)])));
        assert!(why.contains("not recent enough"), "{why}");
    }

    #[test]
    fn bad_crl_signature_gives_unknown() {
        let p = pki();
        let der = fresh_crl(&p).build(&p.ca.key, true);
        let why = unknown_why(status(&p, crls(vec![Crl::from_der(&der).expect("parses")])));
        assert!(why.contains("signature"), "{why}");
    }

    #[test]
    fn crl_of_another_issuer_does_not_cover_the_certificate() {
        let p = pki();
        let other = make_cert(CertSpec::ca("Other CA", 3), Some(&p.root));
        let mut spec = CrlSpec::new(&other, p.now - day(1), p.now + day(6));
        spec.entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(2), Some(1)));
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &other.key)])));
        assert!(why.starts_with("no CRL or OCSP response covers"), "{why}");
    }

    #[test]
    fn crl_with_the_issuer_name_signed_by_an_unknown_key_is_rejected() {
        let p = pki();
        let mut spec = fresh_crl(&p);
        spec.entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(2), Some(1)));
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &new_key())])));
        assert!(why.contains("signature"), "{why}");
    }

    fn crldp_uri(uri: &str) -> (&'static str, bool, Vec<u8>) {
        (
            "2.5.29.31",
            false,
            seq(&[seq(&[dp_full_name(&[gn_uri(uri)])])]),
        )
    }

    #[test]
    fn issuing_distribution_point_must_match_the_certificate_distribution_point() {
        let p = pki_with_leaf(vec![crldp_uri("http://crl.example.vn/a.crl")]);
        let mut other = fresh_crl(&p);
        other.idp = Some(dp_full_name(&[gn_uri("http://crl.example.vn/b.crl")]));
        let why = unknown_why(status(&p, crls(vec![crl(&other, &p.ca.key)])));
        assert!(why.starts_with("no CRL"), "{why}");

        let mut same = fresh_crl(&p);
        same.idp = Some(dp_full_name(&[gn_uri("http://crl.example.vn/a.crl")]));
        same.entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(2), Some(3)));
        assert_revoked(
            status(&p, crls(vec![crl(&same, &p.ca.key)])),
            "affiliationChanged",
        );
    }

    #[test]
    fn crl_with_a_distribution_point_does_not_cover_a_certificate_without_one() {
        let p = pki();
        let mut spec = fresh_crl(&p);
        spec.idp = Some(dp_full_name(&[gn_uri("http://crl.example.vn/a.crl")]));
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &p.ca.key)])));
        assert!(why.starts_with("no CRL"), "{why}");
    }

    #[test]
    fn only_ca_certs_crl_does_not_cover_an_end_entity() {
        let p = pki();
        let mut spec = fresh_crl(&p);
        spec.idp = Some(ctx_prim(2, &[0xff]));
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &p.ca.key)])));
        assert!(why.contains("only contains CA certificates"), "{why}");
    }

    fn reasons_crl(p: &Pki, bits: &[u8]) -> CrlSpec {
        let mut spec = fresh_crl(p);
        spec.idp = Some(ctx_prim(3, &reason_flags(bits)));
        spec
    }

    #[test]
    fn only_some_reasons_crls_must_together_cover_every_reason() {
        let p = pki();
        let compromise = crl(&reasons_crl(&p, &[1, 2]), &p.ca.key);
        let others = crl(&reasons_crl(&p, &[3, 4, 5, 6, 7, 8]), &p.ca.key);
        let some = crl(&reasons_crl(&p, &[3, 4, 5]), &p.ca.key);

        let why = unknown_why(status(&p, crls(vec![compromise.clone()])));
        assert!(why.contains("do not cover all revocation reasons"), "{why}");
        let why = unknown_why(status(&p, crls(vec![compromise.clone(), some])));
        assert!(why.contains("do not cover all revocation reasons"), "{why}");
        assert_eq!(
            status(&p, crls(vec![compromise.clone(), others])),
            CertStatus::Good
        );

        let mut revoking = reasons_crl(&p, &[3, 4, 5, 6, 7, 8]);
        revoking
            .entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(2), Some(6)));
        let revoking = crl(&revoking, &p.ca.key);
        assert_revoked(
            status(&p, crls(vec![compromise, revoking])),
            "certificateHold",
        );
    }

    #[test]
    fn delta_crl_is_applied_over_its_complete_crl() {
        let p = pki();
        let mut base = fresh_crl(&p);
        base.number = Some(5);
        base.entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(20), Some(6)));
        let base_crl = crl(&base, &p.ca.key);
        let mut base_clean = fresh_crl(&p);
        base_clean.number = Some(5);
        let base_clean = crl(&base_clean, &p.ca.key);

        let mut delta = fresh_crl(&p);
        delta.number = Some(6);
        delta.delta_base = Some(5);
        delta
            .entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(2), Some(1)));
        let delta_revoking = crl(&delta, &p.ca.key);
        assert_revoked(
            status(&p, crls(vec![base_clean.clone(), delta_revoking.clone()])),
            "keyCompromise",
        );
        // The delta's own entry takes precedence over the hold in the complete CRL.
        assert_revoked(
            status(&p, crls(vec![base_crl.clone(), delta_revoking])),
            "keyCompromise",
        );

        delta.entries = vec![Entry::new(LEAF_SERIAL, p.now - day(2), Some(8))];
        let delta_release = crl(&delta, &p.ca.key);
        assert_eq!(
            status(&p, crls(vec![base_crl.clone(), delta_release])),
            CertStatus::Good
        );

        // A delta whose base is newer than the complete CRL does not apply to it.
        delta.delta_base = Some(7);
        delta.number = Some(8);
        let unrelated = crl(&delta, &p.ca.key);
        assert_revoked(
            status(&p, crls(vec![base_crl, unrelated.clone()])),
            "certificateHold",
        );

        // A delta alone is not a complete CRL.
        let why = unknown_why(status(&p, crls(vec![unrelated])));
        assert!(why.starts_with("no CRL"), "{why}");
    }

    fn indirect_pki() -> (Pki, TestCert) {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let ca = make_cert(CertSpec::ca("Issuing CA", 2), Some(&root));
        let mut ku = KeyUsage::new();
        ku.critical().crl_sign();
        let mut crl_spec = CertSpec::ca("CRL Issuer", 4);
        crl_spec.ca = false;
        crl_spec.key_usage = Some(ku);
        let crl_issuer = make_cert(crl_spec, Some(&root));
        let dp = seq(&[seq(&[
            dp_full_name(&[gn_uri("http://crl.example.vn/indirect.crl")]),
            ctx(2, &gn_dir(&crl_issuer.name_der())),
        ])]);
        let mut spec = CertSpec::ee("Trần Thị Bình", LEAF_SERIAL);
        spec.extra = vec![("2.5.29.31", false, dp)];
        let leaf = make_cert(spec, Some(&ca));
        (
            Pki {
                root,
                ca,
                leaf,
                now: fixed_time("2026-06-01T00:00:00Z"),
            },
            crl_issuer,
        )
    }

    fn indirect_crl(p: &Pki, crl_issuer: &TestCert, entry_issuer: Option<&TestCert>) -> Crl {
        let mut spec = CrlSpec::new(crl_issuer, p.now - day(1), p.now + day(6));
        spec.idp = Some(
            [
                dp_full_name(&[gn_uri("http://crl.example.vn/indirect.crl")]),
                ctx_prim(4, &[0xff]),
            ]
            .concat(),
        );
        let mut entry = Entry::new(LEAF_SERIAL, p.now - day(3), Some(1));
        entry.cert_issuer = entry_issuer.map(|i| vec![gn_dir(&i.name_der())]);
        spec.entries.push(entry);
        crl(&spec, &crl_issuer.key)
    }

    #[test]
    fn indirect_crl_revokes_through_the_certificate_issuer_entry_extension() {
        let (p, crl_issuer) = indirect_pki();
        let pool = [
            p.root.cert.clone(),
            p.ca.cert.clone(),
            crl_issuer.cert.clone(),
        ];
        let mut accept = Accept::only(vec![crl_issuer.cert.clone()]);
        let data = crls(vec![indirect_crl(&p, &crl_issuer, Some(&p.ca))]);
        assert_revoked(status_with(&p, data, &pool, &mut accept), "keyCompromise");
        assert!(
            accept.calls > 0,
            "the separate CRL issuer must be validated"
        );

        // Without certificateIssuer the entry is about the CRL issuer's own certificates.
        let data = crls(vec![indirect_crl(&p, &crl_issuer, None)]);
        assert_eq!(status_with(&p, data, &pool, &mut accept), CertStatus::Good);

        // A CRL issuer the path validator does not accept makes the CRL unusable.
        let mut reject = Accept::only(Vec::new());
        let data = crls(vec![indirect_crl(&p, &crl_issuer, Some(&p.ca))]);
        let why = unknown_why(status_with(&p, data, &pool, &mut reject));
        assert!(why.contains("could not be validated"), "{why}");
    }

    #[test]
    fn indirect_crl_needs_the_indirect_flag() {
        let (p, crl_issuer) = indirect_pki();
        let pool = [
            p.root.cert.clone(),
            p.ca.cert.clone(),
            crl_issuer.cert.clone(),
        ];
        let mut spec = CrlSpec::new(&crl_issuer, p.now - day(1), p.now + day(6));
        spec.idp = Some(dp_full_name(&[gn_uri(
            "http://crl.example.vn/indirect.crl",
        )]));
        let data = crls(vec![crl(&spec, &crl_issuer.key)]);
        let mut accept = Accept::only(vec![crl_issuer.cert.clone()]);
        let why = unknown_why(status_with(&p, data, &pool, &mut accept));
        assert!(why.starts_with("no CRL"), "{why}");
    }

    #[test]
    fn separate_crl_signing_key_with_the_issuer_name_is_used_when_validated() {
        let p = pki();
        let mut ku = KeyUsage::new();
        ku.critical().crl_sign();
        let mut spec = CertSpec::ca("Issuing CA", 5);
        spec.ca = false;
        spec.key_usage = Some(ku);
        let crl_signer = make_cert(spec, Some(&p.root));
        let mut crl_spec = fresh_crl(&p);
        crl_spec
            .entries
            .push(Entry::new(LEAF_SERIAL, p.now - day(3), Some(4)));
        let data = || crls(vec![crl(&crl_spec, &crl_signer.key)]);
        let pool = [
            p.root.cert.clone(),
            p.ca.cert.clone(),
            crl_signer.cert.clone(),
        ];

        let mut accept = Accept::only(vec![crl_signer.cert.clone()]);
        assert_revoked(status_with(&p, data(), &pool, &mut accept), "superseded");
        let mut reject = Accept::only(Vec::new());
        assert!(matches!(
            status_with(&p, data(), &pool, &mut reject),
            CertStatus::Unknown { .. }
        ));
    }

    #[test]
    fn end_entity_named_like_its_ca_cannot_sign_its_own_crl() {
        let p = pki();
        let mut spec = CertSpec::ee("Issuing CA", 11);
        spec.key_usage = None;
        let twin = make_cert(spec, Some(&p.ca));
        let data = crls(vec![crl(&fresh_crl(&p), &twin.key)]);
        let pool = [p.root.cert.clone(), p.ca.cert.clone()];
        let mut budget = Budget::default();
        let mut accept_none = Accept::only(Vec::new());
        let s = certificate_status(
            &twin.cert,
            &p.ca.cert,
            &data,
            &pool,
            p.now,
            &AlgorithmPolicy::default(),
            &mut accept_none,
            &mut budget,
        );
        let why = unknown_why(s);
        assert!(why.contains("could not be validated"), "{why}");
    }

    #[test]
    fn crl_signer_without_crl_sign_is_rejected() {
        let p = pki();
        let mut spec = CertSpec::ca("Issuing CA", 6);
        spec.ca = false;
        let mut ku = KeyUsage::new();
        ku.critical().digital_signature();
        spec.key_usage = Some(ku);
        let signer = make_cert(spec, Some(&p.root));
        let data = crls(vec![crl(&fresh_crl(&p), &signer.key)]);
        let pool = [p.root.cert.clone(), p.ca.cert.clone(), signer.cert.clone()];
        let mut accept = Accept::only(vec![signer.cert.clone()]);
        let why = unknown_why(status_with(&p, data, &pool, &mut accept));
        assert!(why.contains("cRLSign"), "{why}");
    }

    #[test]
    fn unknown_critical_extensions_make_the_crl_unusable() {
        let p = pki();
        let mut spec = fresh_crl(&p);
        spec.extra.push(("1.2.3.4.5".into(), true, null()));
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &p.ca.key)])));
        assert!(
            why.contains("unrecognized critical extension 1.2.3.4.5"),
            "{why}"
        );

        let mut spec = fresh_crl(&p);
        let mut entry = Entry::new(LEAF_SERIAL, p.now - day(3), Some(1));
        entry.extra.push(("1.2.3.4.6".into(), true, null()));
        spec.entries.push(entry);
        let why = unknown_why(status(&p, crls(vec![crl(&spec, &p.ca.key)])));
        assert!(why.contains("entry"), "{why}");
    }

    #[test]
    fn crl_without_a_noncritical_crl_number_is_unusable() {
        let p = pki();
        let mut missing = fresh_crl(&p);
        missing.number = None;
        let why = unknown_why(status(&p, crls(vec![crl(&missing, &p.ca.key)])));
        assert!(why.contains("cRLNumber is missing"), "{why}");
        let mut critical = fresh_crl(&p);
        critical.number = None;
        critical.extra.push(("2.5.29.20".into(), true, uint(3)));
        let why = unknown_why(status(&p, crls(vec![crl(&critical, &p.ca.key)])));
        assert!(why.contains("cRLNumber is marked critical"), "{why}");
    }

    fn ocsp_data(der: Vec<u8>) -> RevocationData {
        RevocationData {
            crls: Vec::new(),
            ocsp: vec![OcspResponse::from_der(&der).expect("test OCSP response parses")],
        }
    }

    fn single(p: &Pki, serial: u64, status: u8, next: Option<OffsetDateTime>) -> Single {
        Single {
            cert_id: cert_id(&p.ca, serial),
            status,
            this_update: p.now - day(1),
            next_update: next,
        }
    }

    /// A response signed by the issuing CA now, with one SingleResponse about `serial` valid
    /// for a day.
    fn ca_ocsp(p: &Pki, serial: u64, status: u8) -> Vec<u8> {
        ocsp_response(
            &p.ca,
            &p.ca.key,
            p.now,
            &[single(p, serial, status, Some(p.now + day(1)))],
            &[],
            false,
        )
    }

    #[test]
    fn ocsp_from_the_issuing_ca_gives_good_or_revoked() {
        let p = pki();
        let good = ca_ocsp(&p, LEAF_SERIAL, 0);
        assert_eq!(status(&p, ocsp_data(good)), CertStatus::Good);
        let revoked = ca_ocsp(&p, LEAF_SERIAL, 1);
        assert_revoked(status(&p, ocsp_data(revoked)), "keyCompromise");
        let unknown = ca_ocsp(&p, LEAF_SERIAL, 2);
        let why = unknown_why(status(&p, ocsp_data(unknown)));
        assert!(why.contains("does not know"), "{why}");
    }

    #[test]
    fn ocsp_about_another_certificate_is_ignored() {
        let p = pki();
        let der = ca_ocsp(&p, LEAF_SERIAL + 1, 1);
        let why = unknown_why(status(&p, ocsp_data(der)));
        assert!(why.starts_with("no CRL or OCSP response covers"), "{why}");
    }

    #[test]
    fn ocsp_with_a_bad_signature_is_rejected() {
        let p = pki();
        let der = ocsp_response(
            &p.ca,
            &p.ca.key,
            p.now,
            &[single(&p, LEAF_SERIAL, 1, Some(p.now + day(1)))],
            &[],
            true,
        );
        let why = unknown_why(status(&p, ocsp_data(der)));
        assert!(why.contains("signature"), "{why}");
    }

    #[test]
    fn stale_ocsp_is_rejected() {
        let p = pki();
        let der = ocsp_response(
            &p.ca,
            &p.ca.key,
            p.now,
            &[single(
                &p,
                LEAF_SERIAL,
                0,
                Some(p.now - day(1) + time::Duration::hours(1)),
            )],
            &[],
            false,
        );
        let why = unknown_why(status(&p, ocsp_data(der)));
        assert!(why.contains("not recent enough"), "{why}");
        let der = ocsp_response(
            &p.ca,
            &p.ca.key,
            p.now,
            &[Single {
                cert_id: cert_id(&p.ca, LEAF_SERIAL),
                status: 0,
                this_update: p.now - day(3),
                next_update: None,
            }],
            &[],
            false,
        );
        let why = unknown_why(status(&p, ocsp_data(der)));
        assert!(why.contains("without nextUpdate"), "{why}");
    }

    fn responder(p: &Pki, with_eku: bool) -> TestCert {
        let mut spec = CertSpec::ee("OCSP Responder", 7);
        if with_eku {
            spec.extra = vec![("2.5.29.37", false, seq(&[oid("1.3.6.1.5.5.7.3.9")]))];
        }
        make_cert(spec, Some(&p.ca))
    }

    #[test]
    fn delegated_responder_needs_ocsp_signing_and_validation() {
        let p = pki();
        for (with_eku, accepted, expect_good) in [
            (true, true, true),
            (false, true, false),
            (true, false, false),
        ] {
            let r = responder(&p, with_eku);
            let der = ocsp_response(
                &r,
                &r.key,
                p.now,
                &[single(&p, LEAF_SERIAL, 0, Some(p.now + day(1)))],
                &[&r],
                false,
            );
            let pool = [p.root.cert.clone(), p.ca.cert.clone()];
            let mut v = Accept::only(if accepted {
                vec![r.cert.clone()]
            } else {
                Vec::new()
            });
            let s = status_with(&p, ocsp_data(der), &pool, &mut v);
            if expect_good {
                assert_eq!(s, CertStatus::Good);
            } else {
                let why = unknown_why(s);
                assert!(
                    why.contains("OCSPSigning") || why.contains("could not be validated"),
                    "{why}"
                );
            }
        }
    }

    #[test]
    fn ocsp_nocheck_responder_is_validated_without_its_own_revocation_status() {
        let p = pki();
        for nocheck in [true, false] {
            let mut spec = CertSpec::ee("OCSP Responder", 12);
            spec.extra = vec![("2.5.29.37", false, seq(&[oid("1.3.6.1.5.5.7.3.9")]))];
            if nocheck {
                spec.extra.push(("1.3.6.1.5.5.7.48.1.5", false, null()));
            }
            let r = make_cert(spec, Some(&p.ca));
            assert_eq!(r.cert.extensions().ocsp_nocheck, nocheck);
            let der = ocsp_response(
                &r,
                &r.key,
                p.now,
                &[single(&p, LEAF_SERIAL, 0, Some(p.now + day(1)))],
                &[&r],
                false,
            );
            let pool = [p.root.cert.clone(), p.ca.cert.clone()];
            let mut budget = Budget::default();
            let s = certificate_status(
                &p.leaf.cert,
                &p.ca.cert,
                &ocsp_data(der),
                &pool,
                p.now,
                &AlgorithmPolicy::default(),
                &mut StatusUnknown,
                &mut budget,
            );
            if nocheck {
                assert_eq!(s, CertStatus::Good);
            } else {
                assert!(matches!(s, CertStatus::Unknown { .. }), "{s:?}");
            }
        }
    }

    #[test]
    fn responder_certificate_from_another_ca_is_rejected() {
        let p = pki();
        // Same issuer name, different key: not issued by the CA that issued the leaf.
        let mut spec = CertSpec::ca("Issuing CA", 8);
        spec.key = Some(new_key());
        let impostor_ca = make_cert(spec, Some(&p.root));
        let mut rspec = CertSpec::ee("OCSP Responder", 9);
        rspec.extra = vec![("2.5.29.37", false, seq(&[oid("1.3.6.1.5.5.7.3.9")]))];
        let r = make_cert(rspec, Some(&impostor_ca));
        let der = ocsp_response(
            &r,
            &r.key,
            p.now,
            &[single(&p, LEAF_SERIAL, 0, Some(p.now + day(1)))],
            &[&r],
            false,
        );
        let pool = [p.root.cert.clone(), p.ca.cert.clone()];
        let mut v = Accept::only(vec![r.cert.clone()]);
        let why = unknown_why(status_with(&p, ocsp_data(der), &pool, &mut v));
        assert!(why.contains("not issued by the CA's key"), "{why}");
    }

    #[test]
    fn revoked_from_any_valid_source_wins() {
        let p = pki();
        let mut data = crls(vec![crl(&fresh_crl(&p), &p.ca.key)]);
        let der = ca_ocsp(&p, LEAF_SERIAL, 1);
        data.ocsp = ocsp_data(der).ocsp;
        assert_revoked(status(&p, data), "keyCompromise");
    }
}

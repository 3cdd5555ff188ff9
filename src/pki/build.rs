//! Path building: from the end-entity certificate towards a trust anchor, trying every
//! candidate issuer (same subject name; key identifiers only order the candidates), depth
//! first, with loop detection and within the [`Budget`]. Each complete candidate path goes
//! through [`check_path`] and the revocation checks; the first that passes is the answer, and
//! a failing one makes the search go on.

use std::cell::OnceCell;
use std::cmp::Reverse;
use std::collections::HashMap;

use time::OffsetDateTime;

use super::budget::Budget;
use super::cert::Certificate;
use super::name::Name;
use super::profile::Profile;
use super::report::{ChainReport, PathCert};
use super::revocation::{
    certificate_status, CertStatus, RevocationData, RevocationPolicy, SignerValidator,
};
use super::store::TrustStore;
use super::validate::{
    check_path, check_revocation, passed, rfc3339, Failure, PathInputs, SignatureCache,
    ValidationOptions,
};
use crate::verdict::{Indication, SubIndication};

/// Most certificates in one path, anchor included. Real government and WebPKI paths have 3–5;
/// PKITS needs 6; 16 leaves room for cross-certification while keeping the depth-first
/// search and its recursion shallow.
pub const MAX_PATH_LENGTH: usize = 16;

/// How deep CRL-signer / OCSP-responder validation may recurse (a signer whose own status
/// comes from another separately signed CRL, and so on). Two levels cover indirect CRLs with a
/// separately keyed CRL issuer; more only serves loops.
pub const MAX_SIGNER_DEPTH: usize = 2;

/// The inputs shared by every path tried in one validation (and by the validation of CRL and
/// OCSP signers it triggers).
pub struct Env<'a> {
    intermediates: &'a [Certificate],
    anchors: &'a TrustStore,
    data: &'a RevocationData,
    /// The validation options.
    pub options: &'a ValidationOptions,
    by_subject: HashMap<&'a Name, Vec<usize>>,
    pool: OnceCell<Vec<Certificate>>,
}

impl<'a> Env<'a> {
    /// Indexes the intermediates by subject.
    pub fn new(
        intermediates: &'a [Certificate],
        anchors: &'a TrustStore,
        data: &'a RevocationData,
        options: &'a ValidationOptions,
    ) -> Env<'a> {
        let mut by_subject: HashMap<&'a Name, Vec<usize>> = HashMap::new();
        for (i, c) in intermediates.iter().enumerate() {
            by_subject.entry(c.subject()).or_default().push(i);
        }
        Env {
            intermediates,
            anchors,
            data,
            options,
            by_subject,
            pool: OnceCell::new(),
        }
    }

    /// Validates `leaf` (an end-entity, or a CRL/OCSP signer when `depth` > 0).
    pub fn validate(
        &self,
        leaf: &'a Certificate,
        profile: Profile,
        required_eku: Option<&str>,
        depth: usize,
        budget: &mut Budget,
    ) -> ChainReport {
        let inputs = PathInputs {
            options: self.options,
            profile,
            required_eku,
            required_key_usage: self.options.required_key_usage,
        };
        let mut search = Search::new(self, &inputs, depth);
        let mut path = vec![leaf];
        if let Some(report) = search.start(&mut path, budget) {
            return report;
        }
        let time = self.options.time;
        match search.first_failure {
            Some((f, p)) => failed_report(&f, &p, time),
            None if budget.is_exhausted() => failed_report(
                &Failure {
                    indication: Indication::Indeterminate,
                    sub: SubIndication::NoCertificateChainFound,
                    reason: format!(
                        "the work budget for path building was exhausted before a path from \
                         '{}' to a trust anchor was found",
                        leaf.display_subject()
                    ),
                },
                &[leaf],
                time,
            ),
            None => failed_report(
                &Failure {
                    indication: Indication::Indeterminate,
                    sub: SubIndication::NoCertificateChainFound,
                    reason: format!(
                        "no path from certificate '{}' to a configured trust anchor: no {}issuer \
                         named '{}' among {} intermediate and {} anchor certificates",
                        leaf.display_subject(),
                        if search.too_long { "suitable " } else { "" },
                        leaf.display_issuer(),
                        self.intermediates.len(),
                        self.anchors.len()
                    ) + if search.too_long {
                        " within the maximum path length"
                    } else {
                        ""
                    },
                },
                &[leaf],
                time,
            ),
        }
    }

    /// Revocation status of `cert` issued by `issuer`.
    pub fn status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        depth: usize,
        budget: &mut Budget,
    ) -> CertStatus {
        let pool = self.pool.get_or_init(|| {
            self.intermediates
                .iter()
                .chain(self.anchors.anchors())
                .cloned()
                .collect()
        });
        let mut signer = SignerCheck { env: self, depth };
        certificate_status(
            cert,
            issuer,
            self.data,
            pool,
            self.options.time,
            &self.options.algorithms,
            &mut signer,
            budget,
        )
    }

    /// Candidate issuers of `cert`, best first; `true` marks trust anchors.
    fn issuers(&self, cert: &Certificate, path: &[&Certificate]) -> Vec<(&'a Certificate, bool)> {
        let mut out: Vec<(&'a Certificate, bool)> = self
            .anchors
            .by_subject(cert.issuer())
            .map(|c| (c, true))
            .collect();
        if let Some(idx) = self.by_subject.get(cert.issuer()) {
            out.extend(
                idx.iter()
                    .filter_map(|&i| self.intermediates.get(i))
                    .map(|c| (c, false)),
            );
        }
        out.retain(|(c, _)| {
            !path.iter().any(|p| {
                p.sha256() == c.sha256() || (p.subject() == c.subject() && p.spki() == c.spki())
            })
        });
        let time = self.options.time;
        let aki = cert.extensions().authority_key_id.as_ref();
        out.sort_by_key(|(c, is_anchor)| {
            let key_hint = match (
                aki.and_then(|a| a.key_id.as_ref()),
                &c.extensions().subject_key_id,
            ) {
                (Some(a), Some(s)) if a == s => 0u8,
                (Some(_), Some(_)) => 2,
                _ => 1,
            };
            let serial_hint = match aki.and_then(|a| a.serial.as_ref()) {
                Some(s) if s.as_slice() != c.serial() => 1u8,
                _ => 0,
            };
            (
                !is_anchor,
                key_hint,
                serial_hint,
                !c.is_valid_at(time),
                Reverse(c.not_before()),
            )
        });
        out
    }
}

struct SignerCheck<'e, 'a> {
    env: &'e Env<'a>,
    depth: usize,
}

impl SignerValidator for SignerCheck<'_, '_> {
    fn validate_signer(
        &mut self,
        candidate: &Certificate,
        time: OffsetDateTime,
        budget: &mut Budget,
    ) -> bool {
        self.validate(candidate, time, budget, None)
    }

    fn validate_responder_without_revocation(
        &mut self,
        candidate: &Certificate,
        time: OffsetDateTime,
        budget: &mut Budget,
    ) -> bool {
        self.validate(candidate, time, budget, Some(RevocationPolicy::Off))
    }
}

impl SignerCheck<'_, '_> {
    /// Validates a signer's own path; `revocation` overrides the revocation policy for it
    /// (an OCSP responder with id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2.1).
    fn validate(
        &self,
        candidate: &Certificate,
        time: OffsetDateTime,
        budget: &mut Budget,
        revocation: Option<RevocationPolicy>,
    ) -> bool {
        if self.depth >= MAX_SIGNER_DEPTH {
            return false;
        }
        let mut opts = self.env.options.clone();
        opts.time = time;
        opts.policy = Default::default();
        opts.max_intermediates = None;
        if let Some(policy) = revocation {
            opts.revocation_policy = policy;
        }
        let env = Env::new(
            self.env.intermediates,
            self.env.anchors,
            self.env.data,
            &opts,
        );
        let report = env.validate_owned(candidate, self.depth + 1, budget);
        report.is_valid()
    }
}

impl Env<'_> {
    fn validate_owned(&self, leaf: &Certificate, depth: usize, budget: &mut Budget) -> ChainReport {
        let inputs = PathInputs {
            options: self.options,
            profile: Profile::Any,
            required_eku: None,
            required_key_usage: 0,
        };
        let mut search = Search::new(self, &inputs, depth);
        let mut path = vec![leaf];
        search
            .start(&mut path, budget)
            .unwrap_or_else(|| failed_report(&no_path(), &[leaf], self.options.time))
    }
}

fn no_path() -> Failure {
    Failure {
        indication: Indication::Indeterminate,
        sub: SubIndication::NoCertificateChainFound,
        reason: "no valid path to a trust anchor".into(),
    }
}

struct Search<'e, 'a, 'i> {
    env: &'e Env<'a>,
    inputs: &'i PathInputs<'i>,
    cache: SignatureCache,
    first_failure: Option<(Failure, Vec<PathCert>)>,
    depth: usize,
    too_long: bool,
}

impl<'e, 'a, 'i> Search<'e, 'a, 'i> {
    /// A search from nothing seen yet, at signer nesting `depth`.
    fn new(env: &'e Env<'a>, inputs: &'i PathInputs<'i>, depth: usize) -> Self {
        Search {
            env,
            inputs,
            cache: SignatureCache::new(),
            first_failure: None,
            depth,
            too_long: false,
        }
    }
}

impl<'a> Search<'_, 'a, '_> {
    fn start<'p>(
        &mut self,
        path: &mut Vec<&'p Certificate>,
        budget: &mut Budget,
    ) -> Option<ChainReport>
    where
        'a: 'p,
    {
        if let Some(&leaf) = path.first() {
            if self.env.anchors.contains(leaf) && budget.spend_path() {
                if let Some(r) = self.try_path(path, budget) {
                    return Some(r);
                }
            }
        }
        self.dfs(path, budget)
    }

    fn dfs<'p>(
        &mut self,
        path: &mut Vec<&'p Certificate>,
        budget: &mut Budget,
    ) -> Option<ChainReport>
    where
        'a: 'p,
    {
        let cur = *path.last()?;
        if path.len() >= MAX_PATH_LENGTH {
            self.too_long = true;
            return None;
        }
        for (cand, is_anchor) in self.env.issuers(cur, path) {
            if !budget.spend_step() {
                return None;
            }
            path.push(cand);
            let found = if is_anchor {
                if budget.spend_path() {
                    self.try_path(path, budget)
                } else {
                    None
                }
            } else {
                self.dfs(path, budget)
            };
            path.pop();
            if found.is_some() {
                return found;
            }
            if budget.is_exhausted() {
                return None;
            }
        }
        None
    }

    fn try_path(&mut self, path: &[&Certificate], budget: &mut Budget) -> Option<ChainReport> {
        let time = self.env.options.time;
        let result = check_path(path, self.inputs, &mut self.cache, budget).and_then(|mut w| {
            let more = check_revocation(path, self.env, self.depth, budget)?;
            w.extend(more);
            Ok(w)
        });
        match result {
            Ok(warnings) => Some(passed(path, warnings, time)),
            Err(f) => {
                if self.first_failure.is_none() {
                    self.first_failure = Some((f, path.iter().map(|c| PathCert::of(c)).collect()));
                }
                None
            }
        }
    }
}

fn failed_report<P: AsPathCerts + ?Sized>(
    f: &Failure,
    path: &P,
    time: OffsetDateTime,
) -> ChainReport {
    ChainReport {
        indication: f.indication,
        sub_indication: Some(f.sub),
        reason: f.reason.clone(),
        warnings: Vec::new(),
        path: path.path_certs(),
        validation_time: time,
    }
}

trait AsPathCerts {
    fn path_certs(&self) -> Vec<PathCert>;
}

impl AsPathCerts for [PathCert] {
    fn path_certs(&self) -> Vec<PathCert> {
        self.to_vec()
    }
}

impl AsPathCerts for Vec<PathCert> {
    fn path_certs(&self) -> Vec<PathCert> {
        self.clone()
    }
}

impl AsPathCerts for [&Certificate] {
    fn path_certs(&self) -> Vec<PathCert> {
        self.iter().map(|c| PathCert::of(c)).collect()
    }
}

impl<const N: usize> AsPathCerts for [&Certificate; N] {
    fn path_certs(&self) -> Vec<PathCert> {
        self.iter().map(|c| PathCert::of(c)).collect()
    }
}

/// Describes the time for messages.
pub fn time_text(t: OffsetDateTime) -> String {
    rfc3339(t)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::rev_testkit::{fixed_time, make_cert, CertSpec, TestCert};
    use super::super::validate::validate_chain;
    use super::*;

    fn opts() -> ValidationOptions {
        let mut o = ValidationOptions::new(fixed_time("2030-01-01T00:00:00Z"));
        o.revocation_policy = super::super::revocation::RevocationPolicy::Off;
        o
    }

    fn run(leaf: &TestCert, inter: &[&TestCert], anchors: &[&TestCert]) -> ChainReport {
        run_with(leaf, inter, anchors, &opts())
    }

    /// `run` under options `o`.
    fn run_with(
        leaf: &TestCert,
        inter: &[&TestCert],
        anchors: &[&TestCert],
        o: &ValidationOptions,
    ) -> ChainReport {
        let inter: Vec<Certificate> = inter.iter().map(|c| c.cert.clone()).collect();
        let store = TrustStore::from_certificates(anchors.iter().map(|c| c.cert.clone()));
        validate_chain(&leaf.cert, &inter, &store, &RevocationData::default(), o)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn simple_chain_passes_and_reports_the_path() {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let ca = make_cert(CertSpec::ca("Issuing CA", 2), Some(&root));
        let ee = make_cert(CertSpec::ee("Nguyễn Văn An", 3), Some(&ca));
        let r = run(&ee, &[&ca], &[&root]);
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.reason);
        assert_eq!(r.path.len(), 3);
        assert_eq!(r.path[0].subject, "CN=Nguyễn Văn An, O=Kyso Test, C=VN");
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("revocation not checked")));
        let json = serde_json::to_value(&r).unwrap_or_default();
        for k in ["indication", "sub_indication", "reason", "warnings", "path"] {
            assert!(json.get(k).is_some(), "{k} missing from {json}");
        }
        assert_eq!(json["indication"], "TOTAL_PASSED");
    }

    #[test]
    fn untrusted_root_gives_no_chain() {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let other = make_cert(CertSpec::ca("Other Root", 9), None);
        let ee = make_cert(CertSpec::ee("Leaf", 3), Some(&root));
        let r = run(&ee, &[&root], &[&other]);
        assert_eq!(r.indication, Indication::Indeterminate);
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::NoCertificateChainFound)
        );
    }

    #[test]
    fn end_entity_used_as_ca_fails_with_named_rule() {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let mut spec = CertSpec::ee("Not A CA", 2);
        spec.key_usage = None;
        let fake_ca = make_cert(spec, Some(&root));
        let ee = make_cert(CertSpec::ee("Leaf", 3), Some(&fake_ca));
        let r = run(&ee, &[&fake_ca], &[&root]);
        assert_eq!(r.indication, Indication::TotalFailed);
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::ChainConstraintsFailure)
        );
        assert!(
            r.reason
                .contains("'CN=Not A CA, O=Kyso Test, C=VN' (intermediate 1) is not a CA"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn wrong_same_named_issuer_is_skipped() {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let decoy = make_cert(CertSpec::ca("Issuing CA", 2), Some(&root));
        let real = make_cert(CertSpec::ca("Issuing CA", 3), Some(&root));
        let ee = make_cert(CertSpec::ee("Leaf", 4), Some(&real));
        let r = run(&ee, &[&decoy, &real], &[&root]);
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.reason);
        let r = run(&ee, &[&real, &decoy], &[&root]);
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.reason);
    }

    #[test]
    fn expired_validation_time_is_out_of_bounds() {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let ee = make_cert(CertSpec::ee("Leaf", 2), Some(&root));
        let mut o = opts();
        o.time = fixed_time("2041-01-01T00:00:00Z");
        let r = run_with(&ee, &[], &[&root], &o);
        assert_eq!(r.indication, Indication::Indeterminate);
        assert_eq!(r.sub_indication, Some(SubIndication::OutOfBoundsNoPoe));
    }

    #[test]
    fn revocation_policy_without_data() {
        use super::super::revocation::RevocationPolicy;
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let ee = make_cert(CertSpec::ee("Leaf", 2), Some(&root));
        let mut o = opts();
        o.revocation_policy = RevocationPolicy::SoftFail;
        let r = run_with(&ee, &[], &[&root], &o);
        assert_eq!(r.indication, Indication::TotalPassed, "{}", r.reason);
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("revocation status unknown")));
        o.revocation_policy = RevocationPolicy::Require;
        let r = run_with(&ee, &[], &[&root], &o);
        assert_eq!(r.indication, Indication::Indeterminate);
        assert_eq!(r.sub_indication, Some(SubIndication::TryLater));
    }

    #[test]
    fn cross_certified_loop_ends_quickly() {
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let a = make_cert(CertSpec::ca("CA A", 2), None);
        let b = make_cert(CertSpec::ca("CA B", 3), None);
        // A certified by B and B certified by A, neither reaching the anchor.
        let mut spec = CertSpec::ca("CA A", 4);
        spec.key = Some(a.key.clone());
        let a_by_b = make_cert(spec, Some(&b));
        let mut spec = CertSpec::ca("CA B", 5);
        spec.key = Some(b.key.clone());
        let b_by_a = make_cert(spec, Some(&a));
        let ee = make_cert(CertSpec::ee("Leaf", 6), Some(&a));
        let start = Instant::now();
        let r = run(&ee, &[&a_by_b, &b_by_a], &[&root]);
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(r.indication, Indication::Indeterminate);
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::NoCertificateChainFound)
        );
    }

    #[test]
    fn exhausted_budget_is_indeterminate() {
        // Twelve same-named self-issued CAs with distinct keys, all issued by that name and
        // none reaching the anchor: the search space is huge; the budget must end it.
        let root = make_cert(CertSpec::ca("Root", 1), None);
        let seed = make_cert(CertSpec::ca("Mesh", 2), None);
        let mesh: Vec<TestCert> = (0..12u64)
            .map(|i| make_cert(CertSpec::ca("Mesh", 10 + i), Some(&seed)))
            .collect();
        let ee = make_cert(CertSpec::ee("Leaf", 3), Some(&seed));
        let refs: Vec<&TestCert> = mesh.iter().collect();
        let start = Instant::now();
        let r = run(&ee, &refs, &[&root]);
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(r.indication, Indication::Indeterminate);
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::NoCertificateChainFound)
        );
        assert!(r.reason.contains("budget"), "{}", r.reason);
    }
}

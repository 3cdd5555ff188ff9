//! [`Budget`]: the work one validation may do, so that hostile inputs (certificate loops,
//! thousands of same-named CAs, huge CRLs) end with INDETERMINATE in bounded time.

/// Signature verifications allowed per validation. A normal chain needs 2–4 (plus a few for
/// CRLs and OCSP); PKITS' worst case needs a few dozen; 1,000 costs about 50 ms of RSA-2048
/// work in total, which keeps a hostile chain cheap while leaving wide margin for real ones.
pub const DEFAULT_MAX_SIGNATURE_CHECKS: u32 = 1_000;

/// Candidate paths (complete leaf-to-anchor paths run through RFC 5280 validation) allowed per
/// validation. Real PKIs with cross-certification have a handful; 200 allows every
/// combination of two roots, two cross-certificates and several key rollovers many times over.
pub const DEFAULT_MAX_CANDIDATE_PATHS: u32 = 200;

/// Issuer-candidate steps (edges tried during path building) allowed per validation. Bounds
/// depth-first search over many same-named CAs even when no signature check is reached.
pub const DEFAULT_MAX_BUILD_STEPS: u32 = 10_000;

/// Counts work done during one validation. Every spend fails once its counter is exhausted;
/// an exhausted budget is sticky, so callers can check [`Budget::is_exhausted`] at the end.
#[derive(Clone, Debug)]
pub struct Budget {
    signature_checks: u32,
    candidate_paths: u32,
    build_steps: u32,
    exhausted: bool,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::new(
            DEFAULT_MAX_SIGNATURE_CHECKS,
            DEFAULT_MAX_CANDIDATE_PATHS,
            DEFAULT_MAX_BUILD_STEPS,
        )
    }
}

impl Budget {
    /// A budget with explicit limits.
    pub fn new(signature_checks: u32, candidate_paths: u32, build_steps: u32) -> Budget {
        Budget {
            signature_checks,
            candidate_paths,
            build_steps,
            exhausted: false,
        }
    }

    fn take(counter: &mut u32, exhausted: &mut bool) -> bool {
        match counter.checked_sub(1) {
            Some(left) => {
                *counter = left;
                true
            }
            None => {
                *exhausted = true;
                false
            }
        }
    }

    /// Spends one signature verification; false when none is left.
    pub fn spend_signature(&mut self) -> bool {
        Budget::take(&mut self.signature_checks, &mut self.exhausted)
    }

    /// Spends one candidate path; false when none is left.
    pub fn spend_path(&mut self) -> bool {
        Budget::take(&mut self.candidate_paths, &mut self.exhausted)
    }

    /// Spends one path-building step; false when none is left.
    pub fn spend_step(&mut self) -> bool {
        Budget::take(&mut self.build_steps, &mut self.exhausted)
    }

    /// True once any counter ran out.
    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Signature checks left.
    pub fn signatures_left(&self) -> u32 {
        self.signature_checks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustion_is_sticky() {
        let mut b = Budget::new(1, 1, 1);
        assert!(b.spend_signature());
        assert!(!b.is_exhausted());
        assert!(!b.spend_signature());
        assert!(b.is_exhausted());
        assert!(b.spend_path());
        assert!(b.is_exhausted());
    }
}

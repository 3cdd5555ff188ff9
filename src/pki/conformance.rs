//! The certificate-profile rules of RFC 5280 §4 that conforming CAs follow (serial numbers,
//! key identifiers, extension criticality, name syntax). Validators may, but need not, enforce
//! them; kyso does when [`crate::pki::validate::ValidationOptions::strict`] is set, as
//! x509-limbo's RFC 5280 cases expect. PKITS (2011) predates some of them and runs without.

use super::cert::{key_usage, oid, Certificate};
use super::name_constraints::{constraint_is_well_formed, san_is_well_formed};

/// Longest serial number a conforming CA uses (RFC 5280 §4.1.2.2).
pub const MAX_SERIAL_OCTETS: usize = 20;

/// Where a certificate sits in the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The end-entity (first) certificate.
    EndEntity,
    /// An intermediate CA.
    Intermediate,
    /// The trust anchor's certificate.
    Anchor,
}

/// The first §4 rule `cert` breaks, in plain language with the clause.
pub fn profile_violation(cert: &Certificate, role: Role) -> Option<String> {
    let ext = cert.extensions();
    let serial: &[u8] = if role == Role::Anchor {
        // A configured anchor's serial is its issuer's business, not the path's (real roots
        // in use carry serial 0).
        &[1]
    } else {
        cert.serial()
    };
    if serial.len() > MAX_SERIAL_OCTETS {
        return Some(format!(
            "its serial number is {} octets long, more than {MAX_SERIAL_OCTETS} (RFC 5280 §4.1.2.2)",
            serial.len()
        ));
    }
    if serial.first().is_some_and(|b| b & 0x80 != 0) {
        return Some("its serial number is negative (RFC 5280 §4.1.2.2)".into());
    }
    if serial.iter().all(|&b| b == 0) {
        return Some("its serial number is zero (RFC 5280 §4.1.2.2)".into());
    }
    if cert.issuer().is_empty() {
        return Some("its issuer name is empty (RFC 5280 §4.1.2.4)".into());
    }
    let ca = cert.is_ca();
    if ca && cert.subject().is_empty() {
        return Some("it is a CA with an empty subject name (RFC 5280 §4.1.2.6)".into());
    }
    if cert.subject().is_empty()
        && !(ext.has_subject_alt_name && cert.is_critical(oid::SUBJECT_ALT_NAME))
    {
        return Some(
            "its subject is empty but it has no critical subjectAltName (RFC 5280 §4.2.1.6)".into(),
        );
    }
    if ext.has_subject_alt_name && ext.subject_alt_names.is_empty() {
        return Some("its subjectAltName extension is empty (RFC 5280 §4.2.1.6)".into());
    }
    if let Some(bad) = ext
        .subject_alt_names
        .iter()
        .find(|n| !san_is_well_formed(n))
    {
        return Some(format!(
            "its subjectAltName holds a malformed name {bad:?} (RFC 5280 §4.2.1.6)"
        ));
    }
    if cert.is_critical(oid::AUTHORITY_KEY_ID) {
        return Some("its authorityKeyIdentifier is critical (RFC 5280 §4.2.1.1)".into());
    }
    if cert.is_critical(oid::SUBJECT_KEY_ID) {
        return Some("its subjectKeyIdentifier is critical (RFC 5280 §4.2.1.2)".into());
    }
    let self_signed = cert.is_self_issued();
    // Anchors are exempt: they are configured explicitly and need no issuer lookup.
    if !self_signed
        && role != Role::Anchor
        && ext
            .authority_key_id
            .as_ref()
            .is_none_or(|a| a.key_id.is_none())
    {
        return Some(
            "it has no authorityKeyIdentifier keyIdentifier, which every certificate not \
             self-signed needs (RFC 5280 §4.2.1.1)"
                .into(),
        );
    }
    if ca && ext.subject_key_id.is_none() {
        return Some("it is a CA without subjectKeyIdentifier (RFC 5280 §4.2.1.2)".into());
    }
    if ca && !cert.is_critical(oid::BASIC_CONSTRAINTS) {
        return Some(
            "it is a CA whose basicConstraints is not critical (RFC 5280 §4.2.1.9)".into(),
        );
    }
    if role != Role::EndEntity && !ca {
        return Some(
            "it is used as a CA but basicConstraints cA is not set (RFC 5280 §4.2.1.9)".into(),
        );
    }
    if ext
        .key_usage
        .is_some_and(|k| k & key_usage::KEY_CERT_SIGN != 0)
        && !ca
    {
        return Some(
            "its key usage asserts keyCertSign but basicConstraints cA is not set \
             (RFC 5280 §4.2.1.3)"
                .into(),
        );
    }
    if ext.ext_key_usage.as_ref().is_some_and(Vec::is_empty) {
        return Some("its extendedKeyUsage extension is empty (RFC 5280 §4.2.1.12)".into());
    }
    if let Some(nc) = &ext.name_constraints {
        if !ca {
            return Some("it has nameConstraints but is not a CA (RFC 5280 §4.2.1.10)".into());
        }
        let empty = |v: &Option<Vec<_>>| v.as_ref().is_none_or(Vec::is_empty);
        if nc.permitted.as_ref().is_some_and(Vec::is_empty)
            || nc.excluded.as_ref().is_some_and(Vec::is_empty)
            || (empty(&nc.permitted) && empty(&nc.excluded))
        {
            return Some(
                "its nameConstraints holds no subtree, or an empty list of subtrees \
                 (RFC 5280 §4.2.1.10)"
                    .into(),
            );
        }
        if !cert.is_critical(oid::NAME_CONSTRAINTS) {
            return Some(
                "its nameConstraints extension is not critical (RFC 5280 §4.2.1.10)".into(),
            );
        }
        let all = nc
            .permitted
            .iter()
            .flatten()
            .chain(nc.excluded.iter().flatten());
        if let Some(bad) = all.into_iter().find(|b| !constraint_is_well_formed(b)) {
            return Some(format!(
                "its nameConstraints hold a malformed subtree {bad:?} (RFC 5280 §4.2.1.10)"
            ));
        }
    }
    if ext.policy_constraints.is_some() && !cert.is_critical(oid::POLICY_CONSTRAINTS) {
        return Some("its policyConstraints extension is not critical (RFC 5280 §4.2.1.11)".into());
    }
    if cert.is_critical(oid::AUTHORITY_INFO_ACCESS) {
        return Some("its authorityInfoAccess extension is critical (RFC 5280 §4.2.2.1)".into());
    }
    None
}

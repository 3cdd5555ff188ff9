//! Name constraints (RFC 5280 §4.2.1.10, processed by §6.1.3 (b)–(c) and §6.1.4 (g)):
//! directoryName, dNSName, rfc822Name (including the emailAddress attribute of the subject),
//! iPAddress with masks, URI, and otherName by exact value.

use std::net::IpAddr;

use super::cert::{Certificate, NameConstraints};
use super::general_name::GeneralName;
use super::name::Name;

/// Most (subtree × name) comparisons one validation may make. Crafted chains pair thousands of
/// subtrees with thousands of names (x509-limbo `pathological::nc-dos-*`); real chains make
/// a few dozen. Past this bound the chain is refused rather than checked slowly.
pub const MAX_NAME_CONSTRAINT_CHECKS: usize = 1 << 16;

/// Why a name does not satisfy the accumulated constraints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameConstraintViolation {
    /// The name is outside every permitted subtree of its type in some CA's constraints.
    NotPermitted(String),
    /// The name is inside an excluded subtree.
    Excluded(String),
    /// The checks would exceed [`MAX_NAME_CONSTRAINT_CHECKS`].
    TooManyChecks,
}

impl std::fmt::Display for NameConstraintViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameConstraintViolation::NotPermitted(n) => {
                write!(f, "the name {n} is not within the permitted subtrees")
            }
            NameConstraintViolation::Excluded(n) => {
                write!(f, "the name {n} is within an excluded subtree")
            }
            NameConstraintViolation::TooManyChecks => {
                write!(f, "checking the name constraints needs more than {MAX_NAME_CONSTRAINT_CHECKS} comparisons")
            }
        }
    }
}

/// permitted_subtrees and excluded_subtrees accumulated along a path.
#[derive(Clone, Debug, Default)]
pub struct NameConstraintState {
    /// One entry per CA that had permittedSubtrees; a name must satisfy each of them (for the
    /// forms they constrain).
    permitted: Vec<Vec<GeneralName>>,
    excluded: Vec<GeneralName>,
    checks: usize,
}

impl NameConstraintState {
    /// No constraints (the initial state of §6.1.2 (b), (c)).
    pub fn new() -> NameConstraintState {
        NameConstraintState::default()
    }

    /// Adds a CA certificate's constraints (§6.1.4 (g)).
    pub fn add(&mut self, nc: &NameConstraints) {
        if let Some(p) = &nc.permitted {
            self.permitted.push(p.clone());
        }
        if let Some(e) = &nc.excluded {
            self.excluded.extend(e.iter().cloned());
        }
    }

    /// True when nothing is constrained yet.
    pub fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.excluded.is_empty()
    }

    /// Checks the subject name, its emailAddress attributes and its subjectAltName entries
    /// (§6.1.3 (b), (c)).
    pub fn check(&mut self, cert: &Certificate) -> Result<(), NameConstraintViolation> {
        if self.is_empty() {
            return Ok(());
        }
        let mut names: Vec<GeneralName> = Vec::new();
        if !cert.subject().is_empty() {
            names.push(GeneralName::Directory(cert.subject().clone()));
        }
        names.extend(
            cert.subject()
                .email_addresses()
                .map(|e| GeneralName::Email(e.to_owned())),
        );
        names.extend(cert.extensions().subject_alt_names.iter().cloned());
        for name in &names {
            self.check_name(name)?;
        }
        Ok(())
    }

    fn spend(&mut self, n: usize) -> Result<(), NameConstraintViolation> {
        self.checks = self.checks.saturating_add(n);
        if self.checks > MAX_NAME_CONSTRAINT_CHECKS {
            return Err(NameConstraintViolation::TooManyChecks);
        }
        Ok(())
    }

    fn check_name(&mut self, name: &GeneralName) -> Result<(), NameConstraintViolation> {
        let total: usize = self.permitted.iter().map(Vec::len).sum::<usize>() + self.excluded.len();
        self.spend(total)?;
        for sub in &self.excluded {
            if same_form(sub, name) && (within(name, sub) || wildcard_overlaps(name, sub)) {
                return Err(NameConstraintViolation::Excluded(describe(name)));
            }
        }
        for set in &self.permitted {
            let mut constrained = false;
            let mut ok = false;
            for sub in set.iter().filter(|s| same_form(s, name)) {
                constrained = true;
                if within(name, sub) {
                    ok = true;
                    break;
                }
            }
            if constrained && !ok {
                return Err(NameConstraintViolation::NotPermitted(describe(name)));
            }
        }
        Ok(())
    }
}

fn describe(name: &GeneralName) -> String {
    match name {
        GeneralName::Email(e) => format!("rfc822Name '{e}'"),
        GeneralName::Dns(d) => format!("dNSName '{d}'"),
        GeneralName::Uri(u) => format!("URI '{u}'"),
        GeneralName::Ip(b) => match ip_of(b) {
            Some(ip) => format!("iPAddress {ip}"),
            None => format!("iPAddress {}", hex::encode(b)),
        },
        GeneralName::Directory(n) => format!("directoryName '{n}'"),
        GeneralName::OtherName { type_id, .. } => format!("otherName {type_id}"),
        GeneralName::Other(l) => (*l).to_owned(),
    }
}

fn same_form(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::OtherName { type_id: x, .. }, GeneralName::OtherName { type_id: y, .. }) => {
            x == y
        }
        (GeneralName::Other(x), GeneralName::Other(y)) => x == y,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Whether `name` lies within the subtree `base` (both of the same form).
pub fn within(name: &GeneralName, base: &GeneralName) -> bool {
    match (name, base) {
        (GeneralName::Directory(n), GeneralName::Directory(b)) => dn_within(n, b),
        (GeneralName::Dns(n), GeneralName::Dns(b)) => dns_within(n, b),
        (GeneralName::Email(n), GeneralName::Email(b)) => email_within(n, b),
        (GeneralName::Uri(n), GeneralName::Uri(b)) => match uri_host(n) {
            Some(h) => host_within(&h, b),
            None => false,
        },
        (GeneralName::Ip(n), GeneralName::Ip(b)) => ip_within(n, b),
        (
            GeneralName::OtherName {
                type_id: a,
                value: x,
            },
            GeneralName::OtherName {
                type_id: b,
                value: y,
            },
        ) => a == b && x == y,
        _ => false,
    }
}

/// A wildcard dNSName (`*.example.com`) stands for names that may fall inside an excluded
/// subtree below its domain (`bar.example.com`); it is treated as overlapping it.
fn wildcard_overlaps(name: &GeneralName, base: &GeneralName) -> bool {
    match (name, base) {
        (GeneralName::Dns(n), GeneralName::Dns(b)) => match n.strip_prefix("*.") {
            Some(domain) => dns_within(b, domain),
            None => false,
        },
        _ => false,
    }
}

fn dn_within(name: &Name, base: &Name) -> bool {
    name.is_within(base)
}

/// dNSName: `base` matches itself and every name below it; an empty base matches all.
fn dns_within(name: &str, base: &str) -> bool {
    let base = base.trim_end_matches('.');
    let name = name.trim_end_matches('.');
    if base.is_empty() {
        return true;
    }
    let (name, base) = (name.to_ascii_lowercase(), base.to_ascii_lowercase());
    if let Some(rest) = base.strip_prefix('.') {
        return name.len() > rest.len() + 1 && name.ends_with(&base);
    }
    name == base || name.strip_suffix(&base).is_some_and(|p| p.ends_with('.'))
}

/// A host against a URI or e-mail host constraint: `host` exact, `.domain` any host below.
fn host_within(host: &str, base: &str) -> bool {
    let (host, base) = (host.to_ascii_lowercase(), base.to_ascii_lowercase());
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        host.ends_with(&base) && host.len() > base.len()
    } else {
        host == base
    }
}

/// rfc822Name: a full mailbox base matches exactly (local part case-sensitive); a host base
/// matches mailboxes at that host; a `.domain` base matches mailboxes at hosts below it.
fn email_within(name: &str, base: &str) -> bool {
    let Some((local, host)) = name.rsplit_once('@') else {
        return false;
    };
    match base.rsplit_once('@') {
        Some((blocal, bhost)) => local == blocal && host.eq_ignore_ascii_case(bhost),
        None => host_within(host, base),
    }
}

fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_owned())
}

fn ip_within(name: &[u8], base: &[u8]) -> bool {
    if base.len() != name.len() * 2 {
        return false;
    }
    let (addr, mask) = base.split_at(name.len());
    name.iter()
        .zip(addr.iter().zip(mask.iter()))
        .all(|(n, (a, m))| n & m == a & m)
}

fn ip_of(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Syntax check of a constraint base (used by the strict profile): dNSName a hostname with
/// no wildcard or leading period, iPAddress address + contiguous mask, rfc822Name a mailbox,
/// host or `.domain`.
pub fn constraint_is_well_formed(base: &GeneralName) -> bool {
    match base {
        GeneralName::Dns(d) => d.is_empty() || is_hostname(d, false),
        GeneralName::Ip(b) => {
            if b.len() != 8 && b.len() != 32 {
                return false;
            }
            let mask = b.get(b.len() / 2..).unwrap_or_default();
            let mut seen_zero = false;
            for byte in mask {
                for bit in (0..8).rev() {
                    let one = byte >> bit & 1 == 1;
                    if one && seen_zero {
                        return false;
                    }
                    seen_zero |= !one;
                }
            }
            true
        }
        GeneralName::Email(e) => {
            if let Some((local, host)) = e.rsplit_once('@') {
                !local.is_empty() && !local.contains('@') && is_hostname(host, false)
            } else {
                let host = e.strip_prefix('.').unwrap_or(e);
                is_hostname(host, false)
            }
        }
        _ => true,
    }
}

/// Syntax check of a subjectAltName entry (strict profile): dNSName a hostname (a leading
/// `*.` label allowed) that is not an IP literal, rfc822Name a mailbox, iPAddress 4 or 16
/// bytes.
pub fn san_is_well_formed(name: &GeneralName) -> bool {
    match name {
        GeneralName::Dns(d) => is_hostname(d, true) && d.parse::<IpAddr>().is_err(),
        GeneralName::Email(e) => match e.rsplit_once('@') {
            Some((local, host)) => {
                !local.is_empty()
                    && !local.contains('@')
                    && local.chars().all(|c| c.is_ascii_graphic())
                    && is_hostname(host, false)
            }
            None => false,
        },
        GeneralName::Ip(b) => b.len() == 4 || b.len() == 16,
        GeneralName::Uri(u) => u.contains(':'),
        _ => true,
    }
}

fn is_hostname(s: &str, allow_wildcard: bool) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    let all_numeric_tld = labels
        .last()
        .is_some_and(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()));
    if all_numeric_tld {
        return false;
    }
    labels.iter().enumerate().all(|(i, l)| {
        if i == 0 && allow_wildcard && *l == "*" && labels.len() > 2 {
            return true;
        }
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(dns_within("example.com", "example.com"));
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("A.Example.COM", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(!dns_within("example.org", "example.com"));
        assert!(dns_within("anything", ""));
    }

    #[test]
    fn email_subtrees() {
        assert!(email_within("a@example.com", "example.com"));
        assert!(!email_within("a@sub.example.com", "example.com"));
        assert!(email_within("a@sub.example.com", ".example.com"));
        assert!(!email_within("a@example.com", ".example.com"));
        assert!(email_within("a@example.com", "a@example.com"));
        assert!(!email_within("b@example.com", "a@example.com"));
        assert!(!email_within("foo@example.com", "*@example.com"));
    }

    #[test]
    fn ip_subtrees() {
        let base = [192, 168, 0, 0, 255, 255, 0, 0];
        assert!(ip_within(&[192, 168, 3, 4], &base));
        assert!(!ip_within(&[192, 169, 3, 4], &base));
        assert!(!ip_within(&[0; 16], &base));
        assert!(constraint_is_well_formed(&GeneralName::Ip(base.to_vec())));
        assert!(!constraint_is_well_formed(&GeneralName::Ip(vec![
            10, 0, 0, 0, 255, 0, 255, 0
        ])));
    }

    #[test]
    fn uri_hosts() {
        assert_eq!(
            uri_host("https://user@Host.example.com:8443/x").as_deref(),
            Some("Host.example.com")
        );
        assert!(host_within("host.example.com", ".example.com"));
        assert!(!host_within("example.com", ".example.com"));
        assert_eq!(uri_host("urn:isbn:123"), None);
    }

    #[test]
    fn state_combines_permitted_sets_and_exclusions() {
        let mut st = NameConstraintState::new();
        st.add(&NameConstraints {
            permitted: Some(vec![GeneralName::Dns("example.com".into())]),
            excluded: Some(vec![GeneralName::Dns("bad.example.com".into())]),
        });
        assert!(st
            .check_name(&GeneralName::Dns("www.example.com".into()))
            .is_ok());
        assert!(st
            .check_name(&GeneralName::Dns("x.bad.example.com".into()))
            .is_err());
        assert!(st
            .check_name(&GeneralName::Dns("example.org".into()))
            .is_err());
        // A form the constraints do not mention is unconstrained.
        assert!(st
            .check_name(&GeneralName::Email("a@example.org".into()))
            .is_ok());
        st.add(&NameConstraints {
            permitted: Some(vec![GeneralName::Dns("other.com".into())]),
            excluded: None,
        });
        assert!(st
            .check_name(&GeneralName::Dns("www.example.com".into()))
            .is_err());
    }
}

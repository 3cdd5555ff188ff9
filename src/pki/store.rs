//! [`TrustStore`]: the configured trust anchors. Anchors are never implied: only certificates
//! added here end a path.

use std::collections::HashMap;

use super::cert::Certificate;
use super::name::Name;

/// A set of trust anchors with lookup by subject name and by subject key identifier.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
    by_subject: HashMap<Name, Vec<usize>>,
    by_ski: HashMap<Vec<u8>, Vec<usize>>,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// A store holding `certs` (duplicates are kept once).
    pub fn from_certificates(certs: impl IntoIterator<Item = Certificate>) -> TrustStore {
        let mut store = TrustStore::new();
        for c in certs {
            store.add(c);
        }
        store
    }

    /// Adds an anchor; an identical certificate already present is ignored.
    pub fn add(&mut self, cert: Certificate) {
        if self.contains(&cert) {
            return;
        }
        let idx = self.anchors.len();
        self.by_subject
            .entry(cert.subject().clone())
            .or_default()
            .push(idx);
        if let Some(ski) = &cert.extensions().subject_key_id {
            self.by_ski.entry(ski.clone()).or_default().push(idx);
        }
        self.anchors.push(cert);
    }

    /// Every anchor.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// True when there is no anchor.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// True when this exact certificate is an anchor.
    pub fn contains(&self, cert: &Certificate) -> bool {
        self.by_subject
            .get(cert.subject())
            .is_some_and(|v| v.iter().any(|&i| self.anchors.get(i) == Some(cert)))
    }

    /// Anchors whose subject matches `name` (RFC 5280 §7.1).
    pub fn by_subject<'a>(&'a self, name: &Name) -> impl Iterator<Item = &'a Certificate> + 'a {
        let idx: &[usize] = self.by_subject.get(name).map_or(&[], Vec::as_slice);
        idx.iter().filter_map(|&i| self.anchors.get(i))
    }

    /// Anchors with this subject key identifier.
    pub fn by_ski<'a>(&'a self, ski: &[u8]) -> impl Iterator<Item = &'a Certificate> + 'a {
        let idx: &[usize] = self.by_ski.get(ski).map_or(&[], Vec::as_slice);
        idx.iter().filter_map(|&i| self.anchors.get(i))
    }
}

//! Long-term validation material (ETSI EN 319 142-1 §5.4): the PAdES baseline levels, the
//! trusted-time source a signer plugs in (an RFC 3161 authority over HTTP or in process), the
//! document security store `/DSS` that archives certificates, CRLs and OCSP responses, and the
//! certificate paths whose revocation data a B-LT file must carry. No I/O here: fetching
//! lives in `crate::fetch`, which hands the results back as DER.

use serde::Serialize;
use time::OffsetDateTime;

use super::error::PadesError;
use super::fields::signature_fields;
use super::sign::set_catalog_entry;
use crate::cms::{SignedData, SIGNATURE_TIME_STAMP_TOKEN};
use crate::pdf::{ByteSource, Dict, Document, IncrementalUpdate, IncrementalWriter, Object};
use crate::pki::profile::Profile;
use crate::pki::ValidationOptions;
use crate::pki::{validate_chain, Certificate, RevocationData, RevocationPolicy, TrustStore};

/// Most streams read from each `/DSS` array: validation data for a few signatures holds tens.
pub const MAX_DSS_STREAMS: usize = 1_000;

/// Most certificates gathered from one document's signatures, timestamps and `/DSS` to look
/// up revocation data for: a decision with a few signatures and a full LTV history carries
/// tens; the bound keeps the number of network fetches a hostile file can cause small.
pub const MAX_GATHERED_CERTIFICATES: usize = 200;

/// The PAdES baseline levels (ETSI EN 319 142-1 §6): each includes the ones before it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
pub enum Level {
    /// A CAdES signature with the signing certificate bound (B-B).
    #[default]
    #[serde(rename = "B-B")]
    #[value(name = "B-B")]
    BB,
    /// B-B plus a signature timestamp proving the signature existed at a trusted time.
    #[serde(rename = "B-T")]
    #[value(name = "B-T")]
    BT,
    /// B-T plus `/DSS` holding the certificates and revocation data that validate it.
    #[serde(rename = "B-LT")]
    #[value(name = "B-LT")]
    BLt,
    /// B-LT plus a document timestamp over the validation data.
    #[serde(rename = "B-LTA")]
    #[value(name = "B-LTA")]
    BLta,
}

impl Level {
    /// The level named `name` as [`Self::name`] writes it.
    pub fn from_name(name: &str) -> Option<Level> {
        [Level::BB, Level::BT, Level::BLt, Level::BLta]
            .into_iter()
            .find(|l| l.name() == name)
    }

    /// The level's name as the standard writes it.
    pub fn name(self) -> &'static str {
        match self {
            Level::BB => "B-B",
            Level::BT => "B-T",
            Level::BLt => "B-LT",
            Level::BLta => "B-LTA",
        }
    }
}

/// A source of RFC 3161 time-stamp tokens: given the SHA-256 of the data to time-stamp, it
/// returns a token (DER ContentInfo) whose imprint, nonce and TSA certificate it has checked.
pub trait Timestamper {
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, PadesError>;
}

/// DER objects to archive in `/DSS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationMaterial {
    pub certs: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub ocsp: Vec<Vec<u8>>,
}

impl ValidationMaterial {
    /// Adds each item not yet present.
    pub fn merge(&mut self, other: ValidationMaterial) {
        for (mine, theirs) in [
            (&mut self.certs, other.certs),
            (&mut self.crls, other.crls),
            (&mut self.ocsp, other.ocsp),
        ] {
            for item in theirs {
                if !mine.contains(&item) {
                    mine.push(item);
                }
            }
        }
    }

    /// The CRLs and OCSP responses of `data` (with the DER they were read from).
    pub fn from_revocation(data: &RevocationData) -> ValidationMaterial {
        ValidationMaterial {
            certs: Vec::new(),
            crls: data.crls.iter().map(|c| c.der().to_vec()).collect(),
            ocsp: data
                .ocsp
                .iter()
                .map(|o| o.der().to_vec())
                .filter(|d| !d.is_empty())
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.crls.is_empty() && self.ocsp.is_empty()
    }
}

/// The raw contents of the document's `/DSS` (last revision): certificates, CRLs and OCSP
/// responses as stored.
pub fn dss_material<S: ByteSource>(doc: &Document<S>) -> Result<ValidationMaterial, PadesError> {
    let mut out = ValidationMaterial::default();
    let last = doc.last_revision();
    let (_, catalog) = doc.catalog_in(last)?;
    let Some(dss) = catalog.get("DSS") else {
        return Ok(out);
    };
    let dss = doc.dict_in(last, dss, "/DSS")?;
    let streams = |key: &str| -> Result<Vec<Vec<u8>>, PadesError> {
        let Some(arr) = dss.get(key) else {
            return Ok(Vec::new());
        };
        let arr = doc.resolve_in(last, arr)?;
        let mut v = Vec::new();
        for item in arr
            .as_array()
            .unwrap_or_default()
            .iter()
            .take(MAX_DSS_STREAMS)
        {
            if let Object::Stream(s) = doc.resolve_in(last, item)? {
                v.push(doc.stream_data(&s)?);
            }
        }
        Ok(v)
    };
    out.certs = streams("Certs")?;
    out.crls = streams("CRLs")?;
    out.ocsp = streams("OCSPs")?;
    Ok(out)
}

/// An incremental update that adds `material` to the document's `/DSS` (creating it when
/// absent; items already stored are not repeated). `None` when there is nothing new. Only the
/// catalog and the new DSS objects change, which verifiers count as LTV_ONLY.
pub fn add_dss<S: ByteSource>(
    doc: &Document<S>,
    material: &ValidationMaterial,
) -> Result<Option<IncrementalUpdate>, PadesError> {
    let existing = dss_material(doc)?;
    let last = doc.last_revision();
    let (_, catalog) = doc.catalog_in(last)?;
    let old_dss = match catalog.get("DSS") {
        Some(d) => doc.dict_in(last, d, "/DSS")?,
        None => Dict::new(),
    };
    let mut w = IncrementalWriter::new(doc)?;
    let mut dss = Dict::new();
    dss.set("Type", Object::name("DSS"));
    let mut added = false;
    for (key, have, new) in [
        ("Certs", &existing.certs, &material.certs),
        ("CRLs", &existing.crls, &material.crls),
        ("OCSPs", &existing.ocsp, &material.ocsp),
    ] {
        let mut refs: Vec<Object> = match old_dss.get(key) {
            Some(a) => doc
                .resolve_in(last, a)?
                .as_array()
                .unwrap_or_default()
                .iter()
                .take(MAX_DSS_STREAMS)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let mut seen: Vec<&Vec<u8>> = have.iter().collect();
        for item in new {
            if seen.contains(&item) {
                continue;
            }
            seen.push(item);
            refs.push(Object::Ref(w.add_stream(Dict::new(), item.clone())));
            added = true;
        }
        if !refs.is_empty() {
            dss.set(key, refs);
        }
    }
    if !added {
        return Ok(None);
    }
    if let Some(vri) = old_dss.get("VRI") {
        dss.set("VRI", vri.clone());
    }
    let dss_ref = w.add_object(dss);
    set_catalog_entry(&mut w, "DSS", Object::Ref(dss_ref))?;
    Ok(Some(w.finish()?))
}

/// Every certificate the document's signatures, their timestamps and its `/DSS` carry (DER,
/// no repeats, at most [`MAX_GATHERED_CERTIFICATES`]): where revocation data is to be found
/// for. Unreadable signatures are skipped; verification reports them.
pub fn certificates_in<S: ByteSource>(doc: &Document<S>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let add = |certs: &[Vec<u8>], out: &mut Vec<Vec<u8>>| {
        for c in certs {
            if out.len() < MAX_GATHERED_CERTIFICATES && !out.contains(c) {
                out.push(c.clone());
            }
        }
    };
    let last = doc.last_revision();
    for field in signature_fields(doc, last).unwrap_or_default() {
        let Some(r) = field.value_ref else { continue };
        let Ok(sig) = doc.dict_in(last, &Object::Ref(r), "the signature dictionary") else {
            continue;
        };
        let Some(contents) = sig.get("Contents").and_then(Object::as_string) else {
            continue;
        };
        let Ok(signed) = SignedData::parse(&contents.bytes) else {
            continue;
        };
        add(&signed.certificates, &mut out);
        for si in &signed.signer_infos {
            for attr in &si.unsigned_attributes {
                if attr.oid != SIGNATURE_TIME_STAMP_TOKEN {
                    continue;
                }
                for token in &attr.values {
                    if let Ok(ts) = SignedData::parse(token) {
                        add(&ts.certificates, &mut out);
                    }
                }
            }
        }
    }
    if let Ok(dss) = dss_material(doc) {
        add(&dss.certs, &mut out);
    }
    out
}

/// The certification path of `leaf` (end entity first, anchor last) built from `pool` to an
/// anchor of `trust` at `at`, without revocation checking: the certificates whose status a
/// B-LT file must prove. Empty when no path builds.
pub fn path_of(
    leaf: &Certificate,
    pool: &[Certificate],
    trust: &TrustStore,
    at: OffsetDateTime,
    profile: Profile,
) -> Vec<Certificate> {
    let options = ValidationOptions {
        profile,
        revocation_policy: RevocationPolicy::Off,
        ..ValidationOptions::new(at)
    };
    let Ok(report) = validate_chain(leaf, pool, trust, &RevocationData::default(), &options) else {
        return Vec::new();
    };
    report
        .path
        .iter()
        .filter_map(|p| {
            std::iter::once(leaf)
                .chain(pool.iter())
                .chain(trust.anchors().iter())
                .find(|c| c.sha256_hex() == p.sha256)
                .cloned()
        })
        .collect()
}

/// The (certificate, issuer) pairs of a path whose revocation status is to be proven: every
/// certificate but the anchor.
pub fn revocation_pairs(path: &[Certificate]) -> Vec<(Certificate, Certificate)> {
    path.windows(2)
        .filter_map(|w| match w {
            [c, i] => Some((c.clone(), i.clone())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_named_as_the_standard_writes_them() {
        assert!(Level::BB < Level::BT && Level::BT < Level::BLt && Level::BLt < Level::BLta);
        for level in [Level::BB, Level::BT, Level::BLt, Level::BLta] {
            let json = serde_json::to_value(level).expect("json");
            assert_eq!(json, level.name());
        }
    }

    #[test]
    fn merging_material_keeps_one_copy_of_each_item() {
        let mut a = ValidationMaterial {
            certs: vec![vec![1], vec![2]],
            crls: vec![vec![3]],
            ocsp: Vec::new(),
        };
        a.merge(ValidationMaterial {
            certs: vec![vec![2], vec![4]],
            crls: vec![vec![3]],
            ocsp: vec![vec![5]],
        });
        assert_eq!(a.certs, vec![vec![1], vec![2], vec![4]]);
        assert_eq!(a.crls, vec![vec![3]]);
        assert_eq!(a.ocsp, vec![vec![5]]);
        assert!(!a.is_empty());
        assert!(ValidationMaterial::default().is_empty());
    }
}

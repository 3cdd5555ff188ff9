//! Signing at a PAdES level in one call, for the HTTP API and the command line: the signature
//! (with its timestamp from B-T on), then for B-LT the validation data of its paths (supplied
//! or fetched), then for B-LTA a document timestamp. Each step is one incremental update.

use time::OffsetDateTime;

use super::material::gather;
use super::revocation::RevocationFetcher;
use crate::cms::RawSigner;
use crate::pades::{
    self, Level, PadesError, PreparedDocument, SignOptions, SignedUpdate, Timestamper,
};
use crate::pdf::{ByteSource, Document};
use crate::pki::{RevocationData, TrustStore};

/// Where the validation data and timestamps of a level come from.
pub struct LevelSources<'a> {
    pub level: Level,
    /// Required from B-T on.
    pub timestamper: Option<&'a dyn Timestamper>,
    /// The anchors the paths to archive are built to.
    pub trust: &'a TrustStore,
    /// CRLs and OCSP responses given by the caller.
    pub supplied: &'a RevocationData,
    /// Fetches what is missing; `None` to use only `supplied`.
    pub fetcher: Option<&'a RevocationFetcher>,
    pub now: OffsetDateTime,
}

/// The bytes to append to the signed PDF `signed` for B-LT (and B-LTA): the `/DSS` update and
/// the document timestamp; nothing below B-LT. Also the notes of what could not be fetched.
pub fn ltv_updates(
    signed: &[u8],
    sources: &LevelSources<'_>,
) -> Result<(Vec<u8>, Vec<String>), PadesError> {
    if sources.level < Level::BLt {
        return Ok((Vec::new(), Vec::new()));
    }
    let doc = Document::open(signed)?;
    let found = gather(
        &doc,
        sources.trust,
        sources.supplied,
        sources.fetcher,
        sources.now,
    );
    let stamp = if sources.level == Level::BLta {
        Some(
            sources
                .timestamper
                .ok_or_else(|| PadesError::Refused("B-LTA needs a time-stamp authority".into()))?,
        )
    } else {
        None
    };
    let tail = pades::extend(signed, &found.material, stamp)?;
    Ok((tail, found.notes))
}

/// A PDF signed at a level: what to append to the input, in two parts.
#[derive(Debug, Clone, Default)]
pub struct LevelSigned {
    /// The signature's incremental update: `input` followed by it is the signed revision (what
    /// a ledger records the hash of).
    pub signature: Vec<u8>,
    /// SHA-256 of the signed revision (`input` followed by [`signature`](Self::signature)).
    pub revision_sha256: [u8; 32],
    /// The later updates: `/DSS` (B-LT) and the document timestamp (B-LTA); empty below B-LT.
    pub ltv: Vec<u8>,
    /// What could not be fetched.
    pub notes: Vec<String>,
}

impl LevelSigned {
    /// Everything to append to the input.
    pub fn tail(&self) -> Vec<u8> {
        [&self.signature[..], &self.ltv].concat()
    }
}

/// Signs the PDF `doc` at `sources.level`.
pub fn sign_at_level<S: ByteSource>(
    doc: &Document<S>,
    signer: &dyn RawSigner,
    certificate: &[u8],
    chain: &[Vec<u8>],
    options: &SignOptions,
    sources: &LevelSources<'_>,
) -> Result<LevelSigned, PadesError> {
    let timestamper = level_timestamper(sources)?;
    let signed = pades::sign_timestamped(doc, signer, certificate, chain, options, timestamper)?;
    after_signature(doc, signed, sources)
}

/// [`sign_at_level`] for a signature prepared for an outside key (two-step signing): the
/// value is embedded, time-stamped from B-T on, and followed by the level's updates.
pub fn complete_at_level<S: ByteSource>(
    prepared: &PreparedDocument,
    doc: &Document<S>,
    signature: &[u8],
    sources: &LevelSources<'_>,
) -> Result<LevelSigned, PadesError> {
    let timestamper = level_timestamper(sources)?;
    let signed = prepared.complete_timestamped(doc, signature, timestamper)?;
    after_signature(doc, signed, sources)
}

/// The signature timestamper a level needs: none below B-T, and a refusal when it is missing.
fn level_timestamper<'a>(
    sources: &LevelSources<'a>,
) -> Result<Option<&'a dyn Timestamper>, PadesError> {
    if sources.level < Level::BT {
        return Ok(None);
    }
    sources.timestamper.map(Some).ok_or_else(|| {
        PadesError::Refused(format!(
            "{} needs a time-stamp authority",
            sources.level.name()
        ))
    })
}

/// The level's updates after the signature `signed` of `doc`.
fn after_signature<S: ByteSource>(
    doc: &Document<S>,
    signed: SignedUpdate,
    sources: &LevelSources<'_>,
) -> Result<LevelSigned, PadesError> {
    let signature = signed.update.bytes;
    // Joining the signed file copies it whole: only worth it when there is LTV data to add.
    let (ltv, notes) = if sources.level >= Level::BLt {
        let mut joined = doc.source().read_all()?;
        joined.extend_from_slice(&signature);
        ltv_updates(&joined, sources)?
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(LevelSigned {
        signature,
        revision_sha256: signed.revision_sha256,
        ltv,
        notes,
    })
}

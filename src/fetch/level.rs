//! Signing at a PAdES level in one call, for the HTTP API and the command line: the signature
//! (with its timestamp from B-T on), then for B-LT the validation data of its paths (supplied
//! or fetched), then for B-LTA a document timestamp. Each step is one incremental update.

use time::OffsetDateTime;

use super::material::gather;
use super::revocation::RevocationFetcher;
use crate::cms::RawSigner;
use crate::pades::{self, Level, PadesError, SignOptions, Timestamper};
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
    let timestamper = if sources.level >= Level::BT {
        Some(sources.timestamper.ok_or_else(|| {
            PadesError::Refused(format!(
                "{} needs a time-stamp authority",
                sources.level.name()
            ))
        })?)
    } else {
        None
    };
    let signed = pades::sign_timestamped(doc, signer, certificate, chain, options, timestamper)?;
    let signature = signed.update.bytes;
    // Joining the signed file copies it whole: only worth it when there is LTV data to add.
    let (ltv, notes) = if sources.level >= Level::BLt {
        let mut signed = doc.source().read_all()?;
        signed.extend_from_slice(&signature);
        ltv_updates(&signed, sources)?
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

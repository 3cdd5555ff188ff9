//! Two-step (external) signing, the pattern of remote-signing services and USB tokens driven
//! by another program: [`prepare_external`] builds the signature update and returns the digest
//! a key holder must sign; [`PreparedDocument::complete`] takes that signature value and gives
//! the signed update.
//!
//! Binding: the prepared state records the SHA-256 of every byte the signature covers (the
//! original document and the update outside `/Contents`). Completing recomputes it from the
//! document and the update it is given, and the signed attributes are derived from it again, so
//! a document or state altered between the two steps either fails the digest comparison
//! ([`PadesError::DocumentChanged`]) or changes the digest to sign, and then the signature
//! value does not verify ([`PadesError::SignatureRejected`]). Nothing is trusted from the state
//! that is not re-checked.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::error::PadesError;
use super::ltv::Timestamper;
use super::sign::{
    hash_document, hash_signed_bytes, revision_digest, signature_timestamp, signature_update,
    signed_digest, SignOptions, SignedUpdate,
};
use crate::cms::{self, ContentDigest, DigestAlgorithm, SignRequest, SignatureAlgorithm};
use crate::pdf::{ByteSource, Document, IncrementalUpdate, SignaturePlaceholder};

/// Version of the serialized state written by [`PreparedDocument::to_bytes`].
const STATE_VERSION: u8 = 1;

/// Largest serialized state accepted: the update (a visible block with its embedded font
/// subset and QR image is well under 1 MB) and the certificates, base64-encoded, with room.
pub const MAX_STATE_SIZE: usize = 16 << 20;

/// A signature update waiting for its signature value.
#[derive(Debug, Clone)]
pub struct PreparedDocument {
    update: IncrementalUpdate,
    field_name: String,
    content_digest: [u8; 32],
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    algorithm: SignatureAlgorithm,
    signed_attributes: Vec<u8>,
}

/// Builds the signature update of `doc` for the signer whose certificate is `certificate`
/// (DER; `chain` the other certificates to embed) and who will sign with `algorithm`.
pub fn prepare_external<S: ByteSource>(
    doc: &Document<S>,
    certificate: &[u8],
    chain: &[Vec<u8>],
    algorithm: SignatureAlgorithm,
    options: &SignOptions,
) -> Result<PreparedDocument, PadesError> {
    let certs_len: usize = certificate.len() + chain.iter().map(Vec::len).sum::<usize>();
    let (update, field_name) = signature_update(doc, certs_len, options)?;
    let content_digest = hash_signed_bytes(doc, &update)?;
    PreparedDocument::new(
        update,
        field_name,
        content_digest,
        certificate.to_vec(),
        chain.to_vec(),
        algorithm,
    )
}

/// The serialized form of a [`PreparedDocument`].
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    version: u8,
    base_len: u64,
    update: String,
    contents_start: u64,
    contents_end: u64,
    field_name: String,
    content_digest: String,
    certificate: String,
    chain: Vec<String>,
    algorithm: String,
}

fn bad_state(why: impl Into<String>) -> PadesError {
    PadesError::PreparedState(why.into())
}

impl PreparedDocument {
    fn new(
        update: IncrementalUpdate,
        field_name: String,
        content_digest: [u8; 32],
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
        algorithm: SignatureAlgorithm,
    ) -> Result<PreparedDocument, PadesError> {
        let prepared = cms::prepare(&SignRequest {
            content_digest,
            signer_certificate: &certificate,
            chain: &chain,
            algorithm,
        })?;
        let signed_attributes = prepared.signed_attributes_der().to_vec();
        Ok(PreparedDocument {
            update,
            field_name,
            content_digest,
            certificate,
            chain,
            algorithm,
            signed_attributes,
        })
    }

    /// The SHA-256 digest the key holder signs: of [`Self::signed_attributes`]. For RSA
    /// PKCS#1 v1.5 it goes into a DigestInfo (`openssl pkeyutl -sign -pkeyopt digest:sha256`),
    /// for ECDSA it is signed as is.
    pub fn digest_to_sign(&self) -> [u8; 32] {
        Sha256::digest(&self.signed_attributes).into()
    }

    /// The DER of the CMS signed attributes, for a signer that hashes by itself.
    pub fn signed_attributes(&self) -> &[u8] {
        &self.signed_attributes
    }

    /// The algorithm the signature value must use.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The signature field that will hold the signature.
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// Length of the document this state was prepared for.
    pub fn base_len(&self) -> u64 {
        self.update.base_len
    }

    /// Wraps `signature` (the value over [`Self::digest_to_sign`]) into the CMS SignedData and
    /// the update. `doc` must be the very document prepared.
    pub fn complete<S: ByteSource>(
        &self,
        doc: &Document<S>,
        signature: &[u8],
    ) -> Result<SignedUpdate, PadesError> {
        self.complete_timestamped(doc, signature, None)
    }

    /// [`Self::complete`], and with a `timestamper` PAdES B-T: the value is time-stamped and
    /// the token goes into the CMS unsigned attributes, as [`super::sign_timestamped`] does.
    /// The placeholder prepared has room for it.
    pub fn complete_timestamped<S: ByteSource>(
        &self,
        doc: &Document<S>,
        signature: &[u8],
        timestamper: Option<&dyn Timestamper>,
    ) -> Result<SignedUpdate, PadesError> {
        if doc.len() != self.update.base_len {
            return Err(PadesError::DocumentChanged);
        }
        let prefix = hash_document(doc)?;
        if signed_digest(&prefix, &self.update)? != self.content_digest {
            return Err(PadesError::DocumentChanged);
        }
        let prepared = cms::prepare(&SignRequest {
            content_digest: self.content_digest,
            signer_certificate: &self.certificate,
            chain: &self.chain,
            algorithm: self.algorithm,
        })?;
        let unstamped = prepared.assemble(signature, None)?;
        let report = cms::verify_detached(
            &unstamped,
            &[ContentDigest {
                algorithm: DigestAlgorithm::Sha256,
                value: self.content_digest.to_vec(),
            }],
        )
        .map_err(|_| PadesError::SignatureRejected)?;
        if !report.is_intact() {
            return Err(PadesError::SignatureRejected);
        }
        // Time-stamped only once the value is known to be right.
        let cms_der = match signature_timestamp(timestamper, signature)? {
            Some(token) => prepared.assemble(signature, Some(&token))?,
            None => unstamped,
        };
        let mut update = self.update.clone();
        update.embed_signature(&cms_der)?;
        Ok(SignedUpdate {
            revision_sha256: revision_digest(prefix, &update),
            update,
            field_name: self.field_name.clone(),
            digest: self.content_digest,
        })
    }

    /// The state as bytes (JSON), to keep between the two steps.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PadesError> {
        let placeholder = self
            .update
            .signature
            .ok_or_else(|| bad_state("no signature placeholder"))?;
        let state = State {
            version: STATE_VERSION,
            base_len: self.update.base_len,
            update: B64.encode(&self.update.bytes),
            contents_start: placeholder.contents_start,
            contents_end: placeholder.contents_end,
            field_name: self.field_name.clone(),
            content_digest: hex::encode(self.content_digest),
            certificate: B64.encode(&self.certificate),
            chain: self.chain.iter().map(|c| B64.encode(c)).collect(),
            algorithm: self.algorithm.name().to_owned(),
        };
        serde_json::to_vec(&state).map_err(|e| bad_state(e.to_string()))
    }

    /// Reads a state written by [`Self::to_bytes`], checking its shape (the content is checked
    /// again by [`Self::complete`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<PreparedDocument, PadesError> {
        if bytes.len() > MAX_STATE_SIZE {
            return Err(bad_state(format!(
                "{} bytes, above {MAX_STATE_SIZE}",
                bytes.len()
            )));
        }
        let state: State = serde_json::from_slice(bytes).map_err(|e| bad_state(e.to_string()))?;
        if state.version != STATE_VERSION {
            return Err(bad_state(format!("unknown version {}", state.version)));
        }
        let b64 =
            |what: &str, s: &str| B64.decode(s).map_err(|e| bad_state(format!("{what}: {e}")));
        let bytes = b64("update", &state.update)?;
        let total = state
            .base_len
            .checked_add(bytes.len() as u64)
            .ok_or_else(|| bad_state("length overflow"))?;
        if state.contents_start < state.base_len
            || state.contents_end <= state.contents_start
            || state.contents_end > total
        {
            return Err(bad_state("the placeholder lies outside the update"));
        }
        let update = IncrementalUpdate {
            base_len: state.base_len,
            bytes,
            signature: Some(SignaturePlaceholder {
                byte_range: [
                    0,
                    state.contents_start,
                    state.contents_end,
                    total - state.contents_end,
                ],
                contents_start: state.contents_start,
                contents_end: state.contents_end,
            }),
        };
        let content_digest: [u8; 32] = hex::decode(&state.content_digest)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or_else(|| bad_state("content digest is not 32 bytes of hex"))?;
        let algorithm = SignatureAlgorithm::from_name(&state.algorithm)
            .ok_or_else(|| bad_state(format!("unknown algorithm {}", state.algorithm)))?;
        let chain = state
            .chain
            .iter()
            .map(|c| b64("chain", c))
            .collect::<Result<Vec<_>, _>>()?;
        PreparedDocument::new(
            update,
            state.field_name,
            content_digest,
            b64("certificate", &state.certificate)?,
            chain,
            algorithm,
        )
    }
}

//! C2SP tlog-cosignature: a witness's Ed25519 signature (type 0x04) over a checkpoint and the
//! time it saw it.
//!
//! The signed message is `cosignature/v1\ntime <unix seconds>\n` followed by the checkpoint
//! text; the signature bytes on the note line are the 8-byte big-endian timestamp followed by
//! the 64-byte Ed25519 signature.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use super::error::LedgerError;
use super::note::{
    check_key_name, check_note_text, format_key_string, key_id, parse_ed25519_verifier_key, KeyId,
    NoteSignature, NoteVerifier,
};

/// Signature type byte of Ed25519 cosignatures (C2SP tlog-cosignature).
pub const SIG_TYPE_COSIGNATURE: u8 = 0x04;

/// Length of the signature bytes of a cosignature line after the key ID: timestamp and
/// Ed25519 signature.
pub const COSIGNATURE_LEN: usize = 8 + 64;

/// The message a cosigner signs for `text` at `timestamp`.
pub fn cosigned_message(text: &str, timestamp: u64) -> Vec<u8> {
    let mut msg = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    msg.extend_from_slice(text.as_bytes());
    msg
}

/// A cosignature verifier key (type 0x04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: KeyId,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// A verifier for `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, LedgerError> {
        check_key_name(name)?;
        Ok(CosignatureVerifier {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_COSIGNATURE, key.as_bytes()),
            key,
        })
    }

    /// Parses `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`; the key ID must match.
    pub fn parse(vkey: &str) -> Result<Self, LedgerError> {
        let (name, key_id, key) = parse_ed25519_verifier_key(vkey, SIG_TYPE_COSIGNATURE)?;
        Ok(CosignatureVerifier { name, key_id, key })
    }

    /// The verifier key string.
    pub fn to_key_string(&self) -> String {
        format_key_string(
            &self.name,
            self.key_id,
            SIG_TYPE_COSIGNATURE,
            self.key.as_bytes(),
        )
    }

    /// The time a valid cosignature of `text` attests, or `None` if `signature` (the bytes
    /// after the key ID) is not one.
    pub fn verify_cosignature(&self, text: &str, signature: &[u8]) -> Option<u64> {
        if signature.len() != COSIGNATURE_LEN {
            return None;
        }
        let (ts, sig) = signature.split_first_chunk::<8>()?;
        let timestamp = u64::from_be_bytes(*ts);
        let sig = Signature::from_slice(sig).ok()?;
        self.key
            .verify_strict(&cosigned_message(text, timestamp), &sig)
            .ok()
            .map(|()| timestamp)
    }
}

impl NoteVerifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        self.verify_cosignature(text, signature).is_some()
    }
}

/// A cosigner key (type 0x04). Its `Debug` output hides the private key.
#[derive(Clone)]
pub struct CosignatureSigner {
    name: String,
    key_id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    /// A cosigner from a 32-byte Ed25519 seed drawn by the caller from a secure source.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        check_key_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        Ok(CosignatureSigner {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_COSIGNATURE, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Cosigns checkpoint `text` at `timestamp` (unix seconds), giving the note signature line
    /// to append.
    pub fn cosign(&self, text: &str, timestamp: u64) -> Result<NoteSignature, LedgerError> {
        check_note_text(text).map_err(|e| LedgerError::Cosignature(e.to_string()))?;
        let sig = self.key.sign(&cosigned_message(text, timestamp));
        let mut signature = Vec::with_capacity(COSIGNATURE_LEN);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        })
    }
}

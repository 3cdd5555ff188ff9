//! C2SP signed-note: a UTF-8 text followed by signature lines, with Ed25519 signer and verifier
//! keys (signature type 0x01).
//!
//! ```text
//! <text, ending in a newline>
//!
//! — <key name> <base64(key ID ‖ signature)>
//! ```
//!
//! A note may carry several signatures; those from keys the reader does not know are kept but
//! not checked. Which signatures hold is a report ([`NoteReport`]), not an error.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::error::LedgerError;

/// Signature type byte of Ed25519 note signatures (C2SP signed-note).
pub const SIG_TYPE_ED25519: u8 = 0x01;

/// Largest note accepted, in bytes. A checkpoint with extension lines and the cosignatures of
/// every witness a policy could name is a few KiB; 64 KiB bounds parsing work with ample room.
pub const MAX_NOTE_SIZE: usize = 64 * 1024;

/// Most signature lines accepted on one note: a log signature plus cosignatures from far more
/// witnesses than any witness policy uses.
pub const MAX_SIGNATURES: usize = 100;

/// Longest key name accepted: origins are host names with a path, well under this.
pub const MAX_KEY_NAME: usize = 256;

/// The signature line prefix: an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// A 4-byte key ID: the first bytes of `SHA-256(name ‖ "\n" ‖ type ‖ public key)`.
pub type KeyId = [u8; 4];

/// Computes a key ID (C2SP signed-note "Signatures").
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> KeyId {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([sig_type]);
    h.update(public_key);
    let d = h.finalize();
    let mut id = [0u8; 4];
    id.copy_from_slice(d.get(..4).unwrap_or(&[0u8; 4]));
    id
}

/// Checks a key name: non-empty, bounded, no Unicode white space, no `+`, no control
/// characters (C2SP signed-note "Verifier keys").
pub fn check_key_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty() || name.len() > MAX_KEY_NAME {
        return Err(LedgerError::Key(format!(
            "key name must be 1..={MAX_KEY_NAME} bytes"
        )));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(LedgerError::Key(format!(
            "key name {name:?} contains white space, '+' or a control character"
        )));
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name as written on the line.
    pub name: String,
    /// Key ID, the first 4 decoded bytes.
    pub key_id: KeyId,
    /// The signature bytes after the key ID (their meaning depends on the key type).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line as written in a note, without the final newline.
    pub fn line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}", self.name, B64.encode(raw))
    }
}

/// Checks note text: valid UTF-8 (guaranteed by `&str`), ending in a newline, holding more than
/// newlines, with no control characters other than newline, within [`MAX_NOTE_SIZE`].
pub fn check_note_text(text: &str) -> Result<(), LedgerError> {
    if !text.ends_with('\n') || text.bytes().all(|b| b == b'\n') {
        return Err(LedgerError::Note(
            "text must end in a newline and hold more than newlines".into(),
        ));
    }
    if text.len() > MAX_NOTE_SIZE {
        return Err(LedgerError::Note(format!(
            "text is {} bytes, above {MAX_NOTE_SIZE}",
            text.len()
        )));
    }
    if let Some(c) = text.chars().find(|&c| c != '\n' && c.is_control()) {
        return Err(LedgerError::Note(format!(
            "text contains the control character U+{:04X}",
            u32::from(c)
        )));
    }
    Ok(())
}

/// A signed note: its text and its signature lines, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// An unsigned note with checked text.
    pub fn new(text: &str) -> Result<Note, LedgerError> {
        check_note_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note: text, a blank line, then one or more signature lines. Rejects
    /// notes over [`MAX_NOTE_SIZE`], with more than [`MAX_SIGNATURES`] signatures, invalid
    /// UTF-8, control characters, or malformed signature lines.
    pub fn parse(bytes: &[u8]) -> Result<Note, LedgerError> {
        if bytes.len() > MAX_NOTE_SIZE {
            return Err(LedgerError::Note(format!(
                "note is {} bytes, above {MAX_NOTE_SIZE}",
                bytes.len()
            )));
        }
        let s =
            std::str::from_utf8(bytes).map_err(|e| LedgerError::Note(format!("not UTF-8: {e}")))?;
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| LedgerError::Note("no blank line before the signatures".into()))?;
        let (text, sigs) = s.split_at(split + 1);
        let sigs = sigs.get(1..).unwrap_or("");
        check_note_text(text)?;
        if sigs.is_empty() {
            return Err(LedgerError::Note("no signature lines".into()));
        }
        if !sigs.ends_with('\n') {
            return Err(LedgerError::Note(
                "signature block must end in a newline".into(),
            ));
        }
        let lines: Vec<&str> = sigs.trim_end_matches('\n').split('\n').collect();
        if sigs.len() - sigs.trim_end_matches('\n').len() != 1 {
            return Err(LedgerError::Note("blank line after the signatures".into()));
        }
        if lines.len() > MAX_SIGNATURES {
            return Err(LedgerError::Note(format!(
                "{} signatures, above {MAX_SIGNATURES}",
                lines.len()
            )));
        }
        let signatures = lines
            .into_iter()
            .map(parse_signature_line)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note text, ending in a newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Appends a signature line, keeping at most [`MAX_SIGNATURES`].
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<(), LedgerError> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(LedgerError::Note(format!(
                "a note holds at most {MAX_SIGNATURES} signatures"
            )));
        }
        check_key_name(&sig.name)?;
        self.signatures.push(sig);
        Ok(())
    }

    /// Signs the note with an Ed25519 signer and appends the signature.
    pub fn sign(&mut self, signer: &Ed25519Signer) -> Result<(), LedgerError> {
        let sig = signer.sign_text(&self.text);
        self.add_signature(sig)
    }

    /// The note as bytes: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
            out.push('\n');
        }
        out
    }

    /// Checks the signatures against the known verifiers. A signature whose name and key ID
    /// match no verifier is counted as unknown and otherwise ignored; one that matches a
    /// verifier either verifies or is reported as failed. A known key that signed more than
    /// once is reported as failed: a note carries one signature per key.
    pub fn verify(&self, verifiers: &[&dyn NoteVerifier]) -> NoteReport {
        let mut report = NoteReport::default();
        for sig in &self.signatures {
            let Some(v) = verifiers
                .iter()
                .find(|v| v.name() == sig.name && v.key_id() == sig.key_id)
            else {
                report.unknown += 1;
                continue;
            };
            let key = KeyRef {
                name: sig.name.clone(),
                key_id: sig.key_id,
            };
            let seen = report.verified.contains(&key) || report.failed.contains(&key);
            if seen {
                report.verified.retain(|k| *k != key);
                if !report.failed.contains(&key) {
                    report.failed.push(key);
                }
            } else if v.verify(&self.text, &sig.signature) {
                report.verified.push(key);
            } else {
                report.failed.push(key);
            }
        }
        report
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, LedgerError> {
    let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
        LedgerError::Note("signature line must start with an em dash and a space".into())
    })?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| LedgerError::Note("signature line has no signature".into()))?;
    check_key_name(name).map_err(|e| LedgerError::Note(e.to_string()))?;
    let raw = B64
        .decode(b64)
        .map_err(|e| LedgerError::Note(format!("signature of {name:?} is not base64: {e}")))?;
    if raw.len() < 5 {
        return Err(LedgerError::Note(format!(
            "signature of {name:?} is too short"
        )));
    }
    let (id, signature) = raw.split_at(4);
    let mut key_id = [0u8; 4];
    key_id.copy_from_slice(id);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id,
        signature: signature.to_vec(),
    })
}

/// A key by name and ID, as listed in a [`NoteReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: KeyId,
}

/// Which signatures of a note hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteReport {
    /// Known keys whose signature verifies.
    pub verified: Vec<KeyRef>,
    /// Known keys whose signature does not verify (or that signed more than once).
    pub failed: Vec<KeyRef>,
    /// Signature lines from keys no verifier knows.
    pub unknown: usize,
}

impl NoteReport {
    /// Whether the key named `name` signed and its signature verifies.
    pub fn is_verified_by(&self, name: &str, key_id: KeyId) -> bool {
        self.verified
            .iter()
            .any(|k| k.name == name && k.key_id == key_id)
    }
}

/// A key that can check note signatures.
pub trait NoteVerifier {
    /// Key name.
    fn name(&self) -> &str;
    /// Key ID.
    fn key_id(&self) -> KeyId;
    /// Whether `signature` (the bytes after the key ID) is a valid signature of `text`.
    fn verify(&self, text: &str, signature: &[u8]) -> bool;
}

/// Splits a key string `<name>+<hex key ID>+<base64 key>` and checks the name and that the
/// key ID is 8 hex digits.
pub(crate) fn split_key_string(s: &str) -> Result<(&str, KeyId, Vec<u8>), LedgerError> {
    // The base64 key may itself contain '+'; names and key IDs cannot.
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LedgerError::Key(
            "key must be <name>+<hex key ID>+<base64 key>".into(),
        ));
    };
    check_key_name(name)?;
    if id_hex.len() != 8
        || !id_hex
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(LedgerError::Key(
            "key ID must be 8 lowercase hex digits".into(),
        ));
    }
    let id = hex::decode(id_hex).map_err(|_| LedgerError::Key("key ID is not hex".into()))?;
    let mut key_id = [0u8; 4];
    if id.len() != 4 {
        return Err(LedgerError::Key("key ID must be 4 bytes".into()));
    }
    key_id.copy_from_slice(&id);
    let key = B64
        .decode(b64)
        .map_err(|e| LedgerError::Key(format!("key is not base64: {e}")))?;
    Ok((name, key_id, key))
}

/// Parses an Ed25519 verifier key string `<name>+<hex key ID>+<base64(type ‖ public key)>` of
/// signature type `sig_type`, giving the name, key ID and key once the ID is checked against the
/// key.
pub(crate) fn parse_ed25519_verifier_key(
    vkey: &str,
    sig_type: u8,
) -> Result<(String, KeyId, VerifyingKey), LedgerError> {
    let (name, id, raw) = split_key_string(vkey)?;
    let key = ed25519_public(sig_type, &raw)?;
    let computed = key_id(name, sig_type, key.as_bytes());
    if computed != id {
        return Err(LedgerError::Key(format!(
            "key ID {} does not match the key ({})",
            hex::encode(id),
            hex::encode(computed)
        )));
    }
    Ok((name.to_owned(), id, key))
}

/// The key string `<name>+<hex key ID>+<base64(type ‖ key bytes)>`.
pub(crate) fn format_key_string(name: &str, key_id: KeyId, sig_type: u8, key: &[u8]) -> String {
    let mut raw = vec![sig_type];
    raw.extend_from_slice(key);
    format!("{name}+{}+{}", hex::encode(key_id), B64.encode(raw))
}

/// Reads an Ed25519 public key from `type ‖ key` bytes, checking the type byte.
pub(crate) fn ed25519_public(sig_type: u8, raw: &[u8]) -> Result<VerifyingKey, LedgerError> {
    let (t, key) = raw
        .split_first()
        .ok_or_else(|| LedgerError::Key("empty key".into()))?;
    if *t != sig_type {
        return Err(LedgerError::Key(format!(
            "key type 0x{t:02x}, expected 0x{sig_type:02x}"
        )));
    }
    let bytes: [u8; 32] = key
        .try_into()
        .map_err(|_| LedgerError::Key(format!("Ed25519 key is {} bytes, not 32", key.len())))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| LedgerError::Key("not a valid Ed25519 public key".into()))
}

/// An Ed25519 note verifier key (type 0x01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519Verifier {
    name: String,
    key_id: KeyId,
    key: VerifyingKey,
}

impl Ed25519Verifier {
    /// A verifier for `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, LedgerError> {
        check_key_name(name)?;
        Ok(Ed25519Verifier {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, key.as_bytes()),
            key,
        })
    }

    /// Parses a verifier key string `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`; the key
    /// ID must match the key.
    pub fn parse(vkey: &str) -> Result<Self, LedgerError> {
        let (name, key_id, key) = parse_ed25519_verifier_key(vkey, SIG_TYPE_ED25519)?;
        Ok(Ed25519Verifier { name, key_id, key })
    }

    /// The verifier key string.
    pub fn to_key_string(&self) -> String {
        format_key_string(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            self.key.as_bytes(),
        )
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl NoteVerifier for Ed25519Verifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(text.as_bytes(), &sig).is_ok()
    }
}

/// An Ed25519 note signer key (type 0x01). Its `Debug` output hides the private key.
#[derive(Clone)]
pub struct Ed25519Signer {
    name: String,
    key_id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl Ed25519Signer {
    /// A signer from a 32-byte Ed25519 seed. The caller draws the seed from a secure random
    /// source (this module does no I/O).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        check_key_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        Ok(Ed25519Signer {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses a signer key string `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`;
    /// the key ID must match the key.
    pub fn parse(skey: &str) -> Result<Self, LedgerError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| LedgerError::Key("signer key must start with PRIVATE+KEY+".into()))?;
        let (name, id, raw) = split_key_string(rest)?;
        let (t, seed) = raw
            .split_first()
            .ok_or_else(|| LedgerError::Key("empty signer key".into()))?;
        if *t != SIG_TYPE_ED25519 {
            return Err(LedgerError::Key(format!(
                "signer key type 0x{t:02x}, expected 0x01"
            )));
        }
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| LedgerError::Key("Ed25519 seed must be 32 bytes".into()))?;
        let signer = Ed25519Signer::from_seed(name, seed)?;
        if signer.key_id != id {
            return Err(LedgerError::Key(
                "signer key ID does not match the key".into(),
            ));
        }
        Ok(signer)
    }

    /// The signer key string. It contains the private key: store it as a secret.
    pub fn to_key_string(&self) -> String {
        let key = format_key_string(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            self.key.as_bytes(),
        );
        format!("PRIVATE+KEY+{key}")
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519Verifier {
        Ed25519Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs note text (which the caller has checked with [`check_note_text`]).
    pub fn sign_text(&self, text: &str) -> NoteSignature {
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: self.key.sign(text.as_bytes()).to_bytes().to_vec(),
        }
    }
}

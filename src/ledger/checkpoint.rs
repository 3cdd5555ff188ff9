//! C2SP tlog-checkpoint: the signed statement of a log's size and root hash.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [extension lines]
//! ```

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::error::LedgerError;
use super::merkle::Hash;
use super::note::{check_note_text, Ed25519Signer, Note, NoteReport, NoteSignature, NoteVerifier};

/// A checkpoint body: the origin identifying the log, the tree size, the root hash and any
/// extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin, fixed when the log is created.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 9162 Merkle tree hash of the first `size` entries.
    pub root: Hash,
    /// Extension lines, without their newlines (each non-empty).
    pub extensions: Vec<String>,
}

fn cp_err(why: impl Into<String>) -> LedgerError {
    LedgerError::Checkpoint(why.into())
}

/// Parses a decimal `u64` written canonically: digits only, no sign, no leading zeros.
pub(crate) fn parse_canonical_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Decodes a base64 hash, requiring exactly 32 bytes and the canonical encoding.
pub(crate) fn parse_b64_hash(s: &str) -> Option<Hash> {
    let bytes = B64.decode(s).ok()?;
    let hash = Hash::try_from(bytes.as_slice()).ok()?;
    (B64.encode(hash) == s).then_some(hash)
}

impl Checkpoint {
    /// A checkpoint without extensions; the origin must be a valid single line.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Checkpoint, LedgerError> {
        let cp = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        };
        Checkpoint::parse(&cp.to_text())?;
        Ok(cp)
    }

    /// Parses a checkpoint body (the text of the signed note). Strict: the origin must be
    /// non-empty, the size canonical decimal, the root canonical base64 of 32 bytes, every
    /// extension line non-empty, and the text must end in a newline.
    pub fn parse(text: &str) -> Result<Checkpoint, LedgerError> {
        check_note_text(text).map_err(|e| cp_err(e.to_string()))?;
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| cp_err("must end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| cp_err("empty origin line"))?;
        let size = lines
            .next()
            .ok_or_else(|| cp_err("missing tree size line"))?;
        let size = parse_canonical_u64(size).ok_or_else(|| {
            cp_err(format!(
                "tree size {size:?} is not a canonical decimal number"
            ))
        })?;
        let root = lines
            .next()
            .ok_or_else(|| cp_err("missing root hash line"))?;
        let root = parse_b64_hash(root).ok_or_else(|| {
            cp_err(format!(
                "root hash {root:?} is not canonical base64 of 32 bytes"
            ))
        })?;
        let extensions = lines
            .map(|l| {
                if l.is_empty() {
                    Err(cp_err("empty extension line"))
                } else {
                    Ok(l.to_owned())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint body as note text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}

/// A checkpoint with its signature lines. Parsing does not check signatures; ask
/// [`SignedCheckpoint::verify`] or [`SignedCheckpoint::is_signed_by`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Parses a signed checkpoint note.
    pub fn parse(bytes: &[u8]) -> Result<SignedCheckpoint, LedgerError> {
        let note = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Signs a checkpoint with the log key. The key name must be the checkpoint's origin.
    pub fn sign(
        checkpoint: Checkpoint,
        signer: &Ed25519Signer,
    ) -> Result<SignedCheckpoint, LedgerError> {
        if signer.name() != checkpoint.origin {
            return Err(cp_err(format!(
                "log key name {:?} differs from the origin {:?}",
                signer.name(),
                checkpoint.origin
            )));
        }
        let text = checkpoint.to_text();
        let reparsed = Checkpoint::parse(&text)?;
        let mut note = Note::new(&text)?;
        note.sign(signer)?;
        Ok(SignedCheckpoint {
            checkpoint: reparsed,
            note,
        })
    }

    /// The checkpoint body.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The underlying note.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// Appends a signature line (a cosignature, or another log signature).
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<(), LedgerError> {
        self.note.add_signature(sig)
    }

    /// Which signatures hold, for the given verifiers (log key and witnesses).
    pub fn verify(&self, verifiers: &[&dyn NoteVerifier]) -> NoteReport {
        self.note.verify(verifiers)
    }

    /// Whether the log key signed this checkpoint: its name is the origin and its signature
    /// verifies.
    #[must_use]
    pub fn is_signed_by(&self, log_key: &dyn NoteVerifier) -> bool {
        log_key.name() == self.checkpoint.origin
            && self
                .note
                .verify(&[log_key])
                .is_verified_by(log_key.name(), log_key.key_id())
    }

    /// The signed checkpoint as a note.
    pub fn to_text(&self) -> String {
        self.note.to_text()
    }
}

//! C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an offline proof that an entry is in a log — a
//! signed checkpoint, the entry's index and its inclusion proof, and optional extra data.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]
//! index <decimal>
//! <inclusion proof hashes, base64, one per line>
//!
//! <signed checkpoint>
//! ```

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::checkpoint::{parse_b64_hash, parse_canonical_u64, SignedCheckpoint};
use super::error::LedgerError;
use super::merkle::{leaf_hash, verify_inclusion, Hash, ProofVerdict};
use super::note::{NoteReport, NoteVerifier, MAX_NOTE_SIZE};

/// First line of a proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Most inclusion-proof hashes: a tree of at most 2^64 leaves has at most 64 levels.
pub const MAX_PROOF_HASHES: usize = 64;

/// Largest extra data accepted: application data riding along with a proof (kyso puts none);
/// 4 KiB leaves room for a short record without letting a proof grow unbounded.
pub const MAX_EXTRA: usize = 4096;

/// Largest proof file accepted: the checkpoint note, the proof lines and the extra data.
pub const MAX_TLOG_PROOF_SIZE: usize = MAX_NOTE_SIZE + MAX_PROOF_HASHES * 45 + MAX_EXTRA * 2;

/// A parsed offline proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Application-specific extra data, if any.
    pub extra: Option<Vec<u8>>,
    /// Index of the entry in the log.
    pub index: u64,
    /// RFC 9162 inclusion proof of the entry in the checkpoint's tree, from the leaf up.
    pub proof: Vec<Hash>,
    /// The checkpoint the proof leads to.
    pub checkpoint: SignedCheckpoint,
}

/// Outcome of checking an offline proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProofReport {
    /// Whether the inclusion proof leads from the entry to the checkpoint's root.
    pub inclusion: ProofVerdict,
    /// Whether the log key (named as the origin) signed the checkpoint.
    pub log_signature: bool,
    /// All signatures of the checkpoint, for the log key and the witnesses given.
    pub signatures: NoteReport,
}

impl TlogProofReport {
    /// The entry is proven: inclusion holds and the log signed the checkpoint.
    pub fn is_valid(&self) -> bool {
        self.inclusion.is_valid() && self.log_signature
    }
}

fn err(why: impl Into<String>) -> LedgerError {
    LedgerError::TlogProof(why.into())
}

impl TlogProof {
    /// Parses a proof file strictly (canonical numbers and base64, no stray lines).
    pub fn parse(bytes: &[u8]) -> Result<TlogProof, LedgerError> {
        if bytes.len() > MAX_TLOG_PROOF_SIZE {
            return Err(err(format!(
                "{} bytes, above {MAX_TLOG_PROOF_SIZE}",
                bytes.len()
            )));
        }
        let s = std::str::from_utf8(bytes).map_err(|e| err(format!("not UTF-8: {e}")))?;
        let (head, note) = s
            .split_once("\n\n")
            .ok_or_else(|| err("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(TLOG_PROOF_HEADER) {
            return Err(err(format!("first line must be {TLOG_PROOF_HEADER}")));
        }
        let mut line = lines.next().ok_or_else(|| err("missing index line"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            let data = B64
                .decode(b64)
                .map_err(|e| err(format!("extra data is not base64: {e}")))?;
            if data.len() > MAX_EXTRA || B64.encode(&data) != b64 {
                return Err(err("extra data too large or not canonical base64"));
            }
            extra = Some(data);
            line = lines.next().ok_or_else(|| err("missing index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_canonical_u64)
            .ok_or_else(|| err(format!("expected \"index <decimal>\", got {line:?}")))?;
        let mut proof = Vec::new();
        for l in lines {
            if proof.len() == MAX_PROOF_HASHES {
                return Err(err(format!("more than {MAX_PROOF_HASHES} proof hashes")));
            }
            proof.push(
                parse_b64_hash(l)
                    .ok_or_else(|| err(format!("proof line {l:?} is not a base64 hash")))?,
            );
        }
        let checkpoint = SignedCheckpoint::parse(note.as_bytes())?;
        Ok(TlogProof {
            extra,
            index,
            proof,
            checkpoint,
        })
    }

    /// The proof file text.
    pub fn to_text(&self) -> String {
        let mut s = format!("{TLOG_PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(extra)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint.to_text());
        s
    }

    /// Checks the proof for the entry with leaf hash `leaf`: inclusion in the checkpoint's
    /// tree and the signatures of the log key and the witnesses. An index outside the tree or
    /// a proof of the wrong length is an error.
    pub fn verify_leaf(
        &self,
        leaf: &Hash,
        log_key: &dyn NoteVerifier,
        witnesses: &[&dyn NoteVerifier],
    ) -> Result<TlogProofReport, LedgerError> {
        let cp = self.checkpoint.checkpoint();
        let inclusion = verify_inclusion(self.index, cp.size, leaf, &self.proof, &cp.root)?;
        let mut verifiers: Vec<&dyn NoteVerifier> = vec![log_key];
        verifiers.extend_from_slice(witnesses);
        Ok(TlogProofReport {
            inclusion,
            log_signature: self.checkpoint.is_signed_by(log_key),
            signatures: self.checkpoint.verify(&verifiers),
        })
    }

    /// Like [`TlogProof::verify_leaf`], for the entry's bytes.
    pub fn verify_entry(
        &self,
        entry: &[u8],
        log_key: &dyn NoteVerifier,
        witnesses: &[&dyn NoteVerifier],
    ) -> Result<TlogProofReport, LedgerError> {
        self.verify_leaf(&leaf_hash(entry), log_key, witnesses)
    }
}

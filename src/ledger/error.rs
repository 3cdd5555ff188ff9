//! The one error type of the ledger layer.
//!
//! An `Err` means an input could not be evaluated at all: it is malformed, out of range, too
//! large, or a hash it needs could not be read. Whether a well-formed proof or signature holds
//! is a verdict, returned as a value (`Ok(ProofVerdict::Invalid)`, an unverified signature in a
//! note report), never as an `Err`.

use thiserror::Error;

/// Everything that can stop the ledger from evaluating an input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A hash had the wrong length (RFC 9162 §2.1: SHA-256 hashes are 32 bytes).
    #[error("{what}: hash is {len} bytes, expected 32 (RFC 9162 §2.1)")]
    HashLength { what: &'static str, len: usize },

    /// A leaf index is not inside the tree (RFC 9162 §2.1.3.2 step 1: `leaf_index < tree_size`).
    #[error("leaf index {index} is not below tree size {size} (RFC 9162 §2.1.3.2)")]
    IndexOutOfRange { index: u64, size: u64 },

    /// The sizes of a consistency check are out of order (RFC 9162 §2.1.4.2: `first <= second`).
    #[error("first tree size {size1} is larger than second tree size {size2} (RFC 9162 §2.1.4.2)")]
    SizeOrder { size1: u64, size2: u64 },

    /// A proof does not have the number of hashes its sizes and index imply (RFC 9162 §2.1.3.2,
    /// §2.1.4.2).
    #[error("{what} has {got} hashes, expected {want} (RFC 9162 §2.1.3.2/§2.1.4.2)")]
    ProofLength {
        what: &'static str,
        got: usize,
        want: usize,
    },

    /// A stored hash that a computation needs is not available (beyond the tree, or missing in
    /// the store).
    #[error("stored hash {index} is not available: {reason}")]
    MissingHash { index: u64, reason: String },

    /// Arithmetic on tree sizes or indexes would overflow: the input describes a tree larger
    /// than any log can hold.
    #[error("tree size or index too large: {0}")]
    TooLarge(&'static str),

    /// A tile path, tile or entry bundle is malformed (C2SP tlog-tiles).
    #[error("tile: {0} (c2sp.org/tlog-tiles)")]
    Tile(String),

    /// A signed note is malformed (C2SP signed-note).
    #[error("signed note: {0} (c2sp.org/signed-note)")]
    Note(String),

    /// A signer or verifier key string is malformed (C2SP signed-note, "Verifier keys").
    #[error("note key: {0} (c2sp.org/signed-note)")]
    Key(String),

    /// A checkpoint body is malformed (C2SP tlog-checkpoint).
    #[error("checkpoint: {0} (c2sp.org/tlog-checkpoint)")]
    Checkpoint(String),

    /// A cosignature is malformed (C2SP tlog-cosignature).
    #[error("cosignature: {0} (c2sp.org/tlog-cosignature)")]
    Cosignature(String),

    /// An offline proof file is malformed (C2SP tlog-proof).
    #[error("tlog-proof: {0} (c2sp.org/tlog-proof)")]
    TlogProof(String),

    /// A ledger entry is malformed or too large.
    #[error("ledger entry: {0}")]
    Entry(String),

    /// A storage backend failed; the message comes from the backend.
    #[error("ledger storage: {0}")]
    Storage(String),
}

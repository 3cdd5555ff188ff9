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

    /// The store holds no log yet.
    #[error("no ledger in this store: create it first (kyso ledger init)")]
    NoLog,

    /// Creating a log in a store that already holds one.
    #[error("this store already holds a log; refusing to create another one over it")]
    LogExists,

    /// The store belongs to a log with another origin (C2SP tlog-checkpoint: the origin
    /// identifies the log).
    #[error("the store holds the log {stored:?}, not {expected:?}: refusing to open another log's store")]
    OriginMismatch { stored: String, expected: String },

    /// The configured signing key is not the key the log was created with.
    #[error("the log was created with key {stored}, but the configured key is {configured}")]
    KeyMismatch { stored: String, configured: String },

    /// The store's tree is smaller than the last published checkpoint: an old backup was
    /// restored. Appending to it would fork the log.
    #[error(
        "the store holds {store_size} entries but checkpoint {published_size} was already          published: the store is behind (an old backup restored?); refusing to open it, since          appending would fork the log. Restore the newest data or recover the missing entries          from a mirror of the tiles"
    )]
    BehindPublished {
        store_size: u64,
        published_size: u64,
    },

    /// The store's tree does not contain the last published checkpoint's tree.
    #[error(
        "the store's tree at size {size} differs from the published checkpoint of that size:          the store was replaced or altered; refusing to open it"
    )]
    ForkedFromPublished { size: u64 },

    /// The store's content contradicts itself (a missing tile, a checkpoint of the wrong size).
    #[error("ledger store is inconsistent: {0}")]
    StoreCorrupt(String),

    /// The tree grew under a sequencing transaction: the backend's lock did not hold.
    #[error(
        "the tree changed during sequencing (computed from size {expected}, store has {found})"
    )]
    ConcurrentSequencing { expected: u64, found: u64 },

    /// A crash simulated by the in-memory test store.
    #[error("simulated crash of the test store")]
    SimulatedCrash,

    /// A write failure injected by the in-memory test store at the given step.
    #[error("injected fault at step {0} of the test store")]
    InjectedFault(u64),

    /// The sequencer thread is gone; nothing more can be appended through this handle.
    #[error("the ledger sequencer has stopped")]
    SequencerStopped,
}

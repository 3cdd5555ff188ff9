//! The storage trait of the ledger and its durability contract.
//!
//! A store holds four things: the log identity (origin and verifier key, fixed at creation), the
//! tree state (size and the signed checkpoint of exactly that size), the tiles (C2SP tlog-tiles:
//! hash tiles of every level and entry bundles, the rightmost of each level possibly partial), and
//! a lookup index from an 8-byte key prefix (of a document-id hash or a document SHA-256) to
//! entry indices. Entries are not stored twice: the entry bundles are the entries.
//!
//! # Durability contract
//!
//! Every backend implements it; the fault-injecting [`super::memory::MemoryStore`] lets tests
//! check the sequencer against it step by step.
//!
//! - [`LedgerStore::create`] returns once the identity and the empty tree's checkpoint are
//!   durable (committed and synced). A crash before it returns leaves either no log or the whole
//!   created log, never half of it.
//! - [`LedgerStore::sequence`] opens ONE transaction that holds the store's sequencing lock for
//!   its whole life: SQLite `BEGIN IMMEDIATE` (the database's single writer lock), PostgreSQL a
//!   row lock `SELECT … FOR UPDATE` on the single tree-state row, the memory store a mutex. While
//!   one transaction holds it, no other transaction of any process can read the tree size for
//!   sequencing, so two processes never assign the same index nor commit two different trees (and
//!   thus never sign two different checkpoints) of one size.
//! - [`SequenceTx::commit`] writes, in that one transaction, the new entry bundles, the new hash
//!   tiles, the lookup keys, the new tree size and the checkpoint signed for exactly that size,
//!   and returns only after the database has committed and synced them (SQLite WAL with
//!   `synchronous=FULL`: the WAL is fsynced at commit; PostgreSQL: the commit record is flushed
//!   with `synchronous_commit=on`). A crash at any moment before `commit` returns leaves the store
//!   exactly as before the transaction; after it returns, all of it survives. The store therefore
//!   never holds a tree without a checkpoint of its size, and nothing is acknowledged to a caller
//!   before this commit (see [`super::sequencer`]).
//! - Dropping a [`SequenceTx`] without committing rolls it back and releases the lock.
//! - The *published* checkpoint is kept apart from the store ([`PublishedCheckpoint`]), written
//!   after the commit and before the append is acknowledged. A crash between the commit and that
//!   write leaves the store one tree ahead of the published checkpoint; the next open finds the
//!   store ahead (allowed: it checks the published tree is a prefix) and publishes the store's
//!   checkpoint. A store *behind* the published checkpoint (an old backup restored) is refused.
//! - Read methods see only committed data.

use super::error::LedgerError;

/// Which tile: a hash tile of a tile level, or an entry bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileLevel {
    /// Hash tile of tile level `L` (tree level `8·L`).
    Hashes(u8),
    /// Entry bundle (the leaves' data, each with a 2-byte big-endian length prefix).
    Entries,
}

impl TileLevel {
    /// Level number as stored in PostgreSQL: entry bundles are `-1`.
    pub fn to_db(self) -> i16 {
        match self {
            TileLevel::Hashes(l) => i16::from(l),
            TileLevel::Entries => -1,
        }
    }
}

/// The address of a stored tile. A store keeps the latest version of each tile: full tiles never
/// change once written; the rightmost tile of a level grows until it is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileKey {
    pub level: TileLevel,
    pub index: u64,
}

/// The identity of a log, fixed when it is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogIdentity {
    /// The checkpoint origin line.
    pub origin: String,
    /// The C2SP verifier key string of the log's Ed25519 key.
    pub verifier_key: String,
}

/// The committed tree: its size and the signed checkpoint of exactly that size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeState {
    pub size: u64,
    pub checkpoint: Vec<u8>,
}

/// Everything one sequencing transaction writes.
#[derive(Clone, Debug, Default)]
pub struct CommitBatch {
    /// Tree size the batch was computed from; must equal the size read under the lock.
    pub old_size: u64,
    /// Tree size after the batch.
    pub new_size: u64,
    /// New or grown tiles and bundles.
    pub tiles: Vec<(TileKey, Vec<u8>)>,
    /// Lookup keys: (8-byte key prefix, entry index).
    pub lookup: Vec<(i64, u64)>,
    /// The checkpoint signed for `new_size`.
    pub checkpoint: Vec<u8>,
}

/// A storage backend. One value is one connection; it is used from one thread at a time.
pub trait LedgerStore: Send {
    /// Short name of the backend for messages ("sqlite", "postgres", "memory").
    fn backend(&self) -> &'static str;

    /// The log identity, or `None` if no log was created in this store.
    fn identity(&mut self) -> Result<Option<LogIdentity>, LedgerError>;

    /// Creates the log: identity, tree size 0 and the empty tree's checkpoint, durably and
    /// atomically. Fails with [`LedgerError::LogExists`] if the store already holds a log.
    fn create(&mut self, identity: &LogIdentity, checkpoint: &[u8]) -> Result<(), LedgerError>;

    /// The committed tree state.
    fn state(&mut self) -> Result<TreeState, LedgerError>;

    /// The latest committed version of a tile, if any.
    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Indices of entries stored under a lookup key prefix, ascending, at most `limit`.
    fn lookup(&mut self, key: i64, limit: usize) -> Result<Vec<u64>, LedgerError>;

    /// Opens a sequencing transaction holding the store's sequencing lock (see the module
    /// documentation).
    fn sequence(&mut self) -> Result<Box<dyn SequenceTx + '_>, LedgerError>;
}

/// One sequencing transaction; dropping it without [`SequenceTx::commit`] rolls it back.
pub trait SequenceTx {
    /// The tree state as of this transaction (read under the sequencing lock).
    fn state(&mut self) -> Result<TreeState, LedgerError>;

    /// A tile as of this transaction.
    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Writes the batch and commits durably; see the module documentation.
    fn commit(self: Box<Self>, batch: &CommitBatch) -> Result<(), LedgerError>;
}

/// Opens new connections to one store: the sequencer and the readers each own one.
pub trait Connect: Send + Sync {
    fn connect(&self) -> Result<Box<dyn LedgerStore>, LedgerError>;
}

/// The latest published checkpoint, kept apart from the store so that a store restored from an
/// old backup is detected (see [`super::log`]).
pub trait PublishedCheckpoint: Send {
    /// The latest published checkpoint, if any.
    fn read(&mut self) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Records `checkpoint` (of tree size `size`) as published, durably, unless a checkpoint of
    /// a size at least as large is already recorded (several processes may publish).
    fn publish(&mut self, size: u64, checkpoint: &[u8]) -> Result<(), LedgerError>;
}

/// The lookup key of a 32-byte hash: its first 8 bytes. Collisions are harmless: a lookup
/// decodes each candidate entry and compares the full hash.
pub fn lookup_key(hash: &[u8; 32]) -> i64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(hash.iter()) {
        *d = *s;
    }
    i64::from_be_bytes(b)
}

/// Checks a batch against the size read under the lock; every backend calls it in `commit`.
pub(crate) fn check_batch(current: u64, batch: &CommitBatch) -> Result<(), LedgerError> {
    if batch.old_size != current || batch.new_size < batch.old_size {
        return Err(LedgerError::ConcurrentSequencing {
            expected: batch.old_size,
            found: current,
        });
    }
    Ok(())
}

//! The verifiable ledger of issued documents: an append-only RFC 6962 Merkle log published in
//! the C2SP formats (signed notes, checkpoints, tiles, offline proofs).
//!
//! The core modules (`merkle`, `tile`, `note`, `cosignature`, `checkpoint`, `tlog_proof`,
//! `entry`, `tile_edge`) are pure: no I/O and no clock; times are parameters. On them build the
//! storage trait (`store`) and its backends (`sqlite`, `postgres`, `memory`), the group-commit
//! `sequencer`, and the `log` facade that the CLI and the HTTP layer use.

pub mod audit;
pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod error;
pub mod log;
pub mod memory;
pub mod merkle;
pub mod note;
pub mod postgres;
pub mod sequencer;
pub mod sqlite;
pub mod store;
pub mod tile;
pub mod tile_cache;
pub mod tile_edge;
pub mod tlog_proof;

pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use cosignature::{CosignatureSigner, CosignatureVerifier};
pub use entry::{Entry, EntryKind};
pub use error::LedgerError;
pub use merkle::{Hash, HashReader, MemoryHashStore, ProofVerdict};
pub use note::{Ed25519Signer, Ed25519Verifier, Note, NoteReport, NoteVerifier};
pub use tile::{Tile, TileHashReader, TilePath};
pub use tlog_proof::{TlogProof, TlogProofReport};

//! The verifiable ledger of issued documents: an append-only RFC 6962 Merkle log published in
//! the C2SP formats (signed notes, checkpoints, tiles, offline proofs).
//!
//! The modules here are pure: no I/O and no clock; times are parameters. Storage backends and
//! the sequencer build on them.

pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod error;
pub mod merkle;
pub mod note;
pub mod tile;
pub mod tlog_proof;

pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use cosignature::{CosignatureSigner, CosignatureVerifier};
pub use entry::{Entry, EntryKind};
pub use error::LedgerError;
pub use merkle::{Hash, HashReader, MemoryHashStore, ProofVerdict};
pub use note::{Ed25519Signer, Ed25519Verifier, Note, NoteReport, NoteVerifier};
pub use tile::{Tile, TileHashReader, TilePath};
pub use tlog_proof::{TlogProof, TlogProofReport};

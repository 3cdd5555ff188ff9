//! The verifiable ledger of issued documents: an append-only RFC 6962 Merkle log published in
//! the C2SP formats (signed notes, checkpoints, tiles, offline proofs).
//!
//! The modules here are pure: no I/O and no clock; times are parameters. Storage backends and
//! the sequencer build on them.

pub mod checkpoint;
pub mod cosignature;
pub mod error;
pub mod merkle;
pub mod note;
pub mod tile;

pub use error::LedgerError;
pub use merkle::{Hash, HashReader, ProofVerdict};

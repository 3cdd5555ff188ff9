//! Auditing a log through its C2SP tlog-tiles read path: fetch the checkpoint, check the log's
//! signature, read every entry bundle, recompute every hash tile and the root, compare them with
//! what the log serves, and check that an earlier checkpoint the auditor kept is the same tree
//! at its size (recomputed, which is stronger than a consistency proof). Memory stays bounded:
//! only the tree's right edge is kept. The fetching is behind [`TileSource`], so this file does
//! no I/O itself.

use super::checkpoint::SignedCheckpoint;
use super::error::LedgerError;
use super::merkle::{empty_root, Hash};
use super::note::NoteVerifier;
use super::store::{TileKey, TileLevel};
use super::tile::{decode_entry_bundle, Tile, TILE_WIDTH};
use super::tile_edge::TileEdge;

/// Where an auditor reads a log from.
pub trait TileSource {
    /// The current checkpoint (`<prefix>/checkpoint`).
    fn checkpoint(&mut self) -> Result<Vec<u8>, LedgerError>;
    /// A tile or bundle by its path (`tile/...`), `None` if it does not exist.
    fn fetch(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError>;
}

/// What an audit found. `problems` lists every discrepancy; an audit passes when it is empty.
#[derive(Clone, Debug, Default)]
pub struct AuditReport {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub signed_by_log_key: bool,
    pub entries_read: u64,
    pub hash_tiles_checked: u64,
    /// The size of the earlier checkpoint checked for consistency, if one was given.
    pub since_size: Option<u64>,
    pub problems: Vec<String>,
}

impl AuditReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

fn compare_tile(
    source: &mut dyn TileSource,
    key: TileKey,
    data: &[u8],
    report: &mut AuditReport,
) -> Result<(), LedgerError> {
    let TileLevel::Hashes(level) = key.level else {
        return Ok(());
    };
    let width = u16::try_from(data.len() / 32).map_err(|_| LedgerError::TooLarge("tile"))?;
    let tile = Tile::new(level, key.index, width)?;
    let path = tile.path();
    match source.fetch(&path)? {
        Some(served) if served == data => report.hash_tiles_checked += 1,
        Some(_) => report.problems.push(format!(
            "{path} differs from the hashes recomputed from the entries"
        )),
        None => report.problems.push(format!("{path} is missing")),
    }
    Ok(())
}

/// Audits the log behind `source` against its key `log_key`; `since` is an earlier checkpoint
/// of the same log that the auditor kept.
pub fn audit(
    source: &mut dyn TileSource,
    log_key: &dyn NoteVerifier,
    since: Option<&SignedCheckpoint>,
) -> Result<AuditReport, LedgerError> {
    let cp = SignedCheckpoint::parse(&source.checkpoint()?)?;
    let body = cp.checkpoint();
    let mut report = AuditReport {
        origin: body.origin.clone(),
        size: body.size,
        root: body.root,
        signed_by_log_key: cp.is_signed_by(log_key),
        ..AuditReport::default()
    };
    if !report.signed_by_log_key {
        report
            .problems
            .push("the checkpoint is not signed by the given log key".into());
    }
    let mut since_root: Option<Hash> = None;
    if let Some(old) = since {
        let o = old.checkpoint();
        report.since_size = Some(o.size);
        if !old.is_signed_by(log_key) {
            report
                .problems
                .push("the earlier checkpoint is not signed by the given log key".into());
        }
        if o.origin != body.origin {
            report.problems.push(format!(
                "the earlier checkpoint is of log {:?}, not {:?}",
                o.origin, body.origin
            ));
        }
        if o.size > body.size {
            report.problems.push(format!(
                "the log shrank: the earlier checkpoint has {} entries, the current one {}",
                o.size, body.size
            ));
        }
        if o.size == 0 {
            since_root = Some(empty_root());
        }
    }
    let width = u64::from(TILE_WIDTH);
    let mut edge = TileEdge::new();
    let mut bundle = 0u64;
    while edge.size() < body.size {
        let count = (body.size - edge.size()).min(width);
        let tile = Tile::new(0, bundle, u16::try_from(count).unwrap_or(TILE_WIDTH))?;
        let path = tile.entries_path()?;
        let data = source
            .fetch(&path)?
            .ok_or_else(|| LedgerError::Tile(format!("{path} is missing")))?;
        for entry in decode_entry_bundle(&data, tile.width)? {
            edge.push(&entry)?;
            report.entries_read += 1;
            if since.is_some_and(|o| o.checkpoint().size == edge.size()) {
                since_root = Some(edge.root());
            }
        }
        for (key, data) in edge.take_tiles() {
            // Partial tiles change as the audit goes on; they are compared at the end.
            if key.level != TileLevel::Entries && data.len() == usize::from(TILE_WIDTH) * 32 {
                compare_tile(source, key, &data, &mut report)?;
            }
        }
        bundle += 1;
    }
    for (key, data) in edge.partial_tiles() {
        compare_tile(source, key, &data, &mut report)?;
    }
    if edge.root() != body.root {
        report
            .problems
            .push("the entries do not recompute the checkpoint's root hash".into());
    }
    if let Some(old) = since {
        let o = old.checkpoint();
        if o.size <= body.size && since_root != Some(o.root) {
            report.problems.push(format!(
                "the earlier checkpoint of size {} is not a prefix of this log: the log was \
                 rewritten (fork)",
                o.size
            ));
        }
    }
    Ok(report)
}

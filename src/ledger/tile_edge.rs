//! The right edge of a tiled tree: the rightmost, incomplete tile of every level and the
//! rightmost, incomplete entry bundle. Appending leaves to it yields the tiles to store and the
//! tree root, with one leaf hash and amortized one node hash per leaf, reading nothing: this is
//! how the sequencer and the auditor grow a tree. Pure: no I/O.
//!
//! Invariant: for a tree of `size` leaves, `hashes[k]` holds the `(size >> 8k) mod 256` hashes of
//! tree level `8k` that lie in the rightmost tile of tile level `k` (all tiles to their left are
//! full and were emitted), and `bundle` holds the last `size mod 256` entries.

use super::error::LedgerError;
use super::merkle::{empty_root, leaf_hash, node_hash, Hash};
use super::store::{TileKey, TileLevel};
use super::tile::{MAX_BUNDLE_ENTRY, TILE_HEIGHT};

/// Hashes in a full tile, entries in a full bundle (C2SP tlog-tiles).
const TILE_WIDTH: u64 = super::tile::TILE_WIDTH as u64;

/// Number of tile levels a 64-bit tree can use (8 levels of 8 tree levels each).
const MAX_TILE_LEVELS: usize = 8;

/// See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct TileEdge {
    size: u64,
    hashes: Vec<Vec<Hash>>,
    bundle: Vec<u8>,
    /// Levels whose rightmost tile changed since the last [`TileEdge::take_tiles`].
    dirty: Vec<bool>,
    bundle_dirty: bool,
    done: Vec<(TileKey, Vec<u8>)>,
}

fn shift(size: u64, level: usize) -> u64 {
    u32::try_from(level)
        .ok()
        .and_then(|l| l.checked_mul(TILE_HEIGHT))
        .and_then(|s| size.checked_shr(s))
        .unwrap_or(0)
}

fn level_u8(level: usize) -> Result<u8, LedgerError> {
    u8::try_from(level).map_err(|_| LedgerError::TooLarge("tile level"))
}

/// Hashes of a tile's data, which must be a whole number of hashes.
pub fn tile_hashes(data: &[u8]) -> Result<Vec<Hash>, LedgerError> {
    let chunks = data.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return Err(LedgerError::Tile(format!(
            "hash tile of {} bytes is not a multiple of 32",
            data.len()
        )));
    }
    Ok(chunks
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Splits an entry bundle of any width into its entries (each behind a 2-byte big-endian
/// length), borrowing them: a store keeps only the latest, possibly wider, version of the
/// rightmost bundle, so the width is not known in advance.
pub fn bundle_entries(data: &[u8]) -> Result<Vec<&[u8]>, LedgerError> {
    BundleEntries { rest: data }.collect()
}

/// Entry `pos` of a bundle, reading the length prefixes before it only; `None` when the bundle
/// holds fewer entries.
pub fn bundle_entry(data: &[u8], pos: usize) -> Result<Option<&[u8]>, LedgerError> {
    BundleEntries { rest: data }.nth(pos).transpose()
}

/// The entries of a bundle in order; a truncated one ends the walk with an error.
struct BundleEntries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for BundleEntries<'a> {
    type Item = Result<&'a [u8], LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.rest);
        let Some((len, tail)) = data.split_first_chunk::<2>() else {
            return Some(Err(LedgerError::Tile(
                "truncated entry length in bundle".into(),
            )));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        let Some((entry, tail)) = tail.split_at_checked(len) else {
            return Some(Err(LedgerError::Tile("truncated entry in bundle".into())));
        };
        self.rest = tail;
        Some(Ok(entry))
    }
}

/// Root of a perfect subtree given its leaves at some level (`hashes.len()` a power of two).
fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| match p {
                [l, r] => node_hash(l, r),
                [one] => *one,
                _ => empty_root(),
            })
            .collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

impl TileEdge {
    /// The edge of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the edge of a tree of `size` leaves from its stored rightmost tiles, read with
    /// `read` (which returns the latest stored version of a tile, possibly wider than needed if
    /// the store is ahead of `size`).
    pub fn load(
        size: u64,
        mut read: impl FnMut(TileKey) -> Result<Option<Vec<u8>>, LedgerError>,
    ) -> Result<Self, LedgerError> {
        let mut edge = TileEdge {
            size,
            ..Self::default()
        };
        let mut level = 0usize;
        while shift(size, level) > 0 {
            if level >= MAX_TILE_LEVELS {
                return Err(LedgerError::TooLarge("tree size"));
            }
            let width = usize::try_from(shift(size, level) % TILE_WIDTH)
                .map_err(|_| LedgerError::TooLarge("tile width"))?;
            let mut hashes = Vec::new();
            if width > 0 {
                let key = TileKey {
                    level: TileLevel::Hashes(level_u8(level)?),
                    index: shift(size, level + 1),
                };
                let data = read(key)?.ok_or_else(|| missing(key))?;
                hashes = tile_hashes(&data)?;
                if hashes.len() < width {
                    return Err(missing(key));
                }
                hashes.truncate(width);
            }
            edge.hashes.push(hashes);
            edge.dirty.push(false);
            level += 1;
        }
        let width = usize::try_from(size % TILE_WIDTH).map_err(|_| LedgerError::TooLarge("w"))?;
        if width > 0 {
            let key = TileKey {
                level: TileLevel::Entries,
                index: size / TILE_WIDTH,
            };
            let data = read(key)?.ok_or_else(|| missing(key))?;
            let entries = bundle_entries(&data)?;
            let keep: usize = entries
                .get(..width)
                .ok_or_else(|| missing(key))?
                .iter()
                .map(|e| e.len() + 2)
                .sum();
            edge.bundle = data.get(..keep).ok_or_else(|| missing(key))?.to_vec();
        }
        Ok(edge)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one entry; returns its index.
    pub fn push(&mut self, entry: &[u8]) -> Result<u64, LedgerError> {
        let len = u16::try_from(entry.len()).map_err(|_| {
            LedgerError::Entry(format!(
                "{} bytes exceed the {MAX_BUNDLE_ENTRY}-byte bundle limit",
                entry.len()
            ))
        })?;
        let index = self.size;
        let new_size = index.checked_add(1).ok_or(LedgerError::TooLarge("size"))?;
        self.bundle.extend_from_slice(&len.to_be_bytes());
        self.bundle.extend_from_slice(entry);
        self.bundle_dirty = true;
        if new_size % TILE_WIDTH == 0 {
            let data = std::mem::take(&mut self.bundle);
            self.done.push((
                TileKey {
                    level: TileLevel::Entries,
                    index: index / TILE_WIDTH,
                },
                data,
            ));
            self.bundle_dirty = false;
        }
        let mut hash = leaf_hash(entry);
        let mut level = 0usize;
        loop {
            if level >= MAX_TILE_LEVELS {
                return Err(LedgerError::TooLarge("tree size"));
            }
            if self.hashes.len() <= level {
                self.hashes.push(Vec::new());
                self.dirty.push(false);
            }
            let (Some(tile), Some(dirty)) = (self.hashes.get_mut(level), self.dirty.get_mut(level))
            else {
                return Err(LedgerError::TooLarge("tile level"));
            };
            tile.push(hash);
            *dirty = true;
            if tile.len() as u64 != TILE_WIDTH {
                break;
            }
            let full = std::mem::take(tile);
            *dirty = false;
            hash = perfect_root(&full);
            self.done.push((
                TileKey {
                    level: TileLevel::Hashes(level_u8(level)?),
                    index: shift(index, level + 1),
                },
                full.concat(),
            ));
            level += 1;
        }
        self.size = new_size;
        Ok(index)
    }

    /// The tiles completed or grown since the last call: full tiles once, and the current
    /// version of every partial tile that changed.
    pub fn take_tiles(&mut self) -> Vec<(TileKey, Vec<u8>)> {
        let mut out = std::mem::take(&mut self.done);
        for (level, (hashes, dirty)) in self.hashes.iter().zip(self.dirty.iter_mut()).enumerate() {
            if *dirty && !hashes.is_empty() {
                if let Ok(l) = level_u8(level) {
                    out.push((
                        TileKey {
                            level: TileLevel::Hashes(l),
                            index: shift(self.size, level + 1),
                        },
                        hashes.concat(),
                    ));
                }
            }
            *dirty = false;
        }
        if self.bundle_dirty && !self.bundle.is_empty() {
            out.push((
                TileKey {
                    level: TileLevel::Entries,
                    index: self.size / TILE_WIDTH,
                },
                self.bundle.clone(),
            ));
        }
        self.bundle_dirty = false;
        out
    }

    /// The current partial (rightmost, not full) hash tiles of every level.
    pub fn partial_tiles(&self) -> Vec<(TileKey, Vec<u8>)> {
        self.hashes
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .filter_map(|(level, h)| {
                Some((
                    TileKey {
                        level: TileLevel::Hashes(level_u8(level).ok()?),
                        index: shift(self.size, level + 1),
                    },
                    h.concat(),
                ))
            })
            .collect()
    }

    /// The RFC 6962 root of the tree: the perfect subtrees of the edge, from the largest (the
    /// highest level, leftmost) down, folded from the right.
    pub fn root(&self) -> Hash {
        let mut parts: Vec<Hash> = Vec::new();
        for hashes in self.hashes.iter().rev() {
            let mut start = 0usize;
            let mut rest = hashes.len();
            while rest > 0 {
                let chunk = 1usize << (usize::BITS - 1 - rest.leading_zeros());
                if let Some(slice) = hashes.get(start..start + chunk) {
                    parts.push(perfect_root(slice));
                }
                start += chunk;
                rest -= chunk;
            }
        }
        let mut iter = parts.into_iter().rev();
        let Some(mut acc) = iter.next() else {
            return empty_root();
        };
        for left in iter {
            acc = node_hash(&left, &acc);
        }
        acc
    }
}

fn missing(key: TileKey) -> LedgerError {
    LedgerError::StoreCorrupt(format!(
        "tile {key:?} missing or too short for the tree size"
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ledger::merkle::{tree_hash, MemoryHashStore};
    use crate::ledger::tile::{new_tiles, Tile};

    fn entry(i: u64) -> Vec<u8> {
        format!("entry {i}").into_bytes()
    }

    /// Grows a tree in batches of the given sizes and checks, after each batch, the root
    /// against ledger-core's reference hash store and every tile against `Tile::read_data`.
    fn check_batches(batches: &[u64]) {
        let mut edge = TileEdge::new();
        let mut reference = MemoryHashStore::new();
        let mut stored: BTreeMap<TileKey, Vec<u8>> = BTreeMap::new();
        for &n in batches {
            let old = edge.size();
            for _ in 0..n {
                let i = edge.size();
                assert_eq!(edge.push(&entry(i)).unwrap(), i);
                reference.append(&entry(i)).unwrap();
            }
            for (k, v) in edge.take_tiles() {
                stored.insert(k, v);
            }
            let size = edge.size();
            assert_eq!(
                edge.root(),
                tree_hash(size, &reference).unwrap(),
                "size {size}"
            );
            for t in new_tiles(old, size).unwrap() {
                let key = TileKey {
                    level: TileLevel::Hashes(t.level),
                    index: t.index,
                };
                let want = t.read_data(&reference).unwrap();
                assert_eq!(stored.get(&key), Some(&want), "tile {}", t.path());
            }
            // A fresh edge loaded from the stored tiles continues identically.
            let loaded = TileEdge::load(size, |k| Ok(stored.get(&k).cloned())).unwrap();
            assert_eq!(loaded.root(), edge.root());
            edge = loaded;
        }
        let size = edge.size();
        for b in 0..size.div_ceil(TILE_WIDTH) {
            let data = stored
                .get(&TileKey {
                    level: TileLevel::Entries,
                    index: b,
                })
                .unwrap();
            let entries = bundle_entries(data).unwrap();
            let width = (size - b * TILE_WIDTH).min(TILE_WIDTH);
            assert_eq!(entries.len() as u64, width);
            for (j, e) in entries.iter().enumerate() {
                assert_eq!(*e, entry(b * TILE_WIDTH + j as u64).as_slice());
            }
        }
    }

    #[test]
    fn single_appends_match_reference_up_to_70000() {
        // One leaf per batch up to 600 (every partial width), then big steps across 65,536,
        // where the first level-2 hash appears.
        let mut batches = vec![1u64; 600];
        batches.extend([255, 256, 1000, 4096, 30000, 29047, 1, 2, 4999]);
        check_batches(&batches);
    }

    #[test]
    fn empty_tree_root_is_hash_of_nothing() {
        assert_eq!(TileEdge::new().root(), empty_root());
        assert!(TileEdge::new().take_tiles().is_empty());
    }

    #[test]
    fn oversized_entry_is_refused() {
        let mut edge = TileEdge::new();
        assert!(edge.push(&vec![0u8; MAX_BUNDLE_ENTRY + 1]).is_err());
        assert_eq!(edge.size(), 0);
        assert!(edge.push(&vec![0u8; MAX_BUNDLE_ENTRY]).is_ok());
    }

    #[test]
    fn load_reports_missing_tiles() {
        let err = TileEdge::load(300, |_| Ok(None)).unwrap_err();
        assert!(matches!(err, LedgerError::StoreCorrupt(_)), "{err}");
        let t = Tile::new(0, 1, 44).unwrap();
        assert_eq!(t.path(), "tile/0/001.p/44");
    }

    #[test]
    fn malformed_bundles_are_errors() {
        assert!(bundle_entries(&[0]).is_err());
        assert!(bundle_entry(&[0, 1, 9, 0], 1).is_err());
        assert_eq!(bundle_entry(&[0, 1, 9, 0, 0], 1).unwrap(), Some(&[][..]));
        assert_eq!(bundle_entry(&[0, 1, 9, 0, 0], 2).unwrap(), None);
        assert_eq!(
            bundle_entry(&[0, 1, 9, 0, 0, 0], 0).unwrap(),
            Some(&[9][..])
        );
        assert!(bundle_entries(&[0, 5, 1, 2]).is_err());
        assert_eq!(
            bundle_entries(&[0, 1, 9, 0, 0]).unwrap(),
            vec![&[9u8][..], &[][..]]
        );
        assert!(tile_hashes(&[0u8; 33]).is_err());
    }
}

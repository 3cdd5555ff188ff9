//! C2SP tlog-tiles: tile arithmetic, tile and entry-bundle paths, reading hashes out of tiles.
//!
//! A tile of level `L` holds up to 256 consecutive hashes of tree level `8L`: tile `(L, N)`
//! holds the level-`8L` nodes `256N .. 256N + W`. A tile is *full* at width 256 and *partial*
//! (`.p/W`) while the tree has fewer nodes at that level; a partial tile is replaced by a wider
//! one as the tree grows and never changes otherwise. The hashes of the levels between `8L` and
//! `8L + 8` are not stored: they are recomputed from the tile.

use std::collections::hash_map::{Entry, HashMap};

use super::error::LedgerError;
use super::merkle::{
    node_hash, split_stored_hash_index, stored_hash_index, Hash, HashReader, HASH_SIZE,
};

/// Tree levels spanned by one tile (C2SP tlog-tiles fixes the height at 8).
pub const TILE_HEIGHT: u32 = 8;

/// Hashes in a full tile, and entries in a full entry bundle: `2^TILE_HEIGHT`.
pub const TILE_WIDTH: u16 = 256;

/// Highest tile level: a level-7 tile holds level-56 hashes, and no `u64`-sized tree has
/// complete subtrees of level 64, so level 8 tiles can never exist.
pub const MAX_TILE_LEVEL: u8 = 7;

/// Largest entry an entry bundle can carry: its length prefix is two bytes.
pub const MAX_BUNDLE_ENTRY: usize = u16::MAX as usize;

/// Longest tile path accepted by the parser: `tile/entries/` plus seven 4-byte groups plus
/// `.p/255` is well under this, so anything longer is rejected before it is looked at.
const MAX_TILE_PATH_LEN: usize = 64;

/// One tile: its level, its index among the tiles of that level, and its width (1..=256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Tile level `L`: the tile holds tree-level `8L` hashes.
    pub level: u8,
    /// Tile index `N` within its level.
    pub index: u64,
    /// Number of hashes (or entries) in the tile, 1..=256; 256 is a full tile.
    pub width: u16,
}

/// Which file a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// A hash tile, `tile/<L>/<N>[.p/<W>]`.
    Hashes(Tile),
    /// An entry bundle, `tile/entries/<N>[.p/<W>]`; its tile has level 0.
    Entries(Tile),
}

impl Tile {
    /// A tile, checking the ranges: level at most [`MAX_TILE_LEVEL`], width 1..=256, and the
    /// leaves it covers inside a `u64`-sized tree.
    pub fn new(level: u8, index: u64, width: u16) -> Result<Tile, LedgerError> {
        if level > MAX_TILE_LEVEL {
            return Err(LedgerError::Tile(format!(
                "level {level} is above {MAX_TILE_LEVEL}"
            )));
        }
        if width == 0 || width > TILE_WIDTH {
            return Err(LedgerError::Tile(format!(
                "width {width} is not in 1..={TILE_WIDTH}"
            )));
        }
        // The tile's last node must end inside a `u64`-sized tree: (end node) << 8L <= u64::MAX.
        let end_node = u128::from(index) * u128::from(TILE_WIDTH) + u128::from(width);
        let max_nodes = u128::from(u64::MAX >> (u32::from(level) * TILE_HEIGHT));
        if end_node > max_nodes {
            return Err(LedgerError::Tile(format!(
                "tile {level}/{index} lies beyond the largest possible tree"
            )));
        }
        Ok(Tile {
            level,
            index,
            width,
        })
    }

    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Tree level of the hashes this tile holds: `8L`.
    pub fn hash_level(&self) -> u32 {
        u32::from(self.level) * TILE_HEIGHT
    }

    /// The hash tile's path, `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.suffix())
    }

    /// The path of the entry bundle that goes with this level-0 tile,
    /// `tile/entries/<N>[.p/<W>]`.
    pub fn entries_path(&self) -> Result<String, LedgerError> {
        if self.level != 0 {
            return Err(LedgerError::Tile(format!(
                "only level-0 tiles have entry bundles, not level {}",
                self.level
            )));
        }
        Ok(format!("tile/entries/{}", self.suffix()))
    }

    fn suffix(&self) -> String {
        let mut s = encode_tile_index(self.index);
        if !self.is_full() {
            s.push_str(&format!(".p/{}", self.width));
        }
        s
    }

    /// Stored-hash indexes of the hashes this tile holds, in tile order.
    pub fn stored_hash_indexes(&self) -> Result<Vec<u64>, LedgerError> {
        let first = self.index * u64::from(TILE_WIDTH);
        (0..u64::from(self.width))
            .map(|i| stored_hash_index(self.hash_level(), first + i))
            .collect()
    }

    /// Builds the tile's data from a hash store: its hashes concatenated.
    pub fn read_data<R: HashReader + ?Sized>(&self, reader: &R) -> Result<Vec<u8>, LedgerError> {
        let indexes = self.stored_hash_indexes()?;
        let hashes = reader.read_hashes(&indexes)?;
        if hashes.len() != indexes.len() {
            return Err(LedgerError::Storage(format!(
                "hash reader returned {} hashes for {} indexes",
                hashes.len(),
                indexes.len()
            )));
        }
        Ok(hashes.concat())
    }
}

/// Encodes a tile index as 3-digit groups, all but the last prefixed with `x`
/// (`1234067` → `x001/x234/067`).
pub fn encode_tile_index(index: u64) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 == groups.len() {
            out.push_str(&format!("{g:03}"));
        } else {
            out.push_str(&format!("x{g:03}/"));
        }
    }
    out
}

fn tile_err(path: &str, why: &str) -> LedgerError {
    let shown: String = path.chars().take(MAX_TILE_PATH_LEN).collect();
    LedgerError::Tile(format!("path {shown:?}: {why}"))
}

fn parse_group(path: &str, digits: &str) -> Result<u64, LedgerError> {
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(tile_err(path, "index groups must be exactly three digits"));
    }
    digits
        .parse::<u64>()
        .map_err(|_| tile_err(path, "bad index group"))
}

/// Parses a tile path, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, rejecting
/// anything non-canonical (leading zero groups, `.p/256`, `.p/0`, levels above 7, indexes
/// beyond the largest tree).
pub fn parse_tile_path(path: &str) -> Result<TilePath, LedgerError> {
    if path.len() > MAX_TILE_PATH_LEN {
        return Err(tile_err(path, "too long"));
    }
    let rest = path
        .strip_prefix("tile/")
        .ok_or_else(|| tile_err(path, "does not start with tile/"))?;
    let (kind, rest) = rest
        .split_once('/')
        .ok_or_else(|| tile_err(path, "missing level"))?;
    let level = if kind == "entries" {
        None
    } else {
        if kind.is_empty()
            || !kind.bytes().all(|b| b.is_ascii_digit())
            || (kind.len() > 1 && kind.starts_with('0'))
        {
            return Err(tile_err(
                path,
                "level must be a decimal number without leading zeros",
            ));
        }
        let level: u8 = kind
            .parse()
            .map_err(|_| tile_err(path, "level out of range"))?;
        Some(level)
    };
    let (index_part, width) = match rest.split_once(".p/") {
        Some((idx, w)) => {
            if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) || w.starts_with('0') {
                return Err(tile_err(
                    path,
                    "partial width must be a decimal number 1..=255",
                ));
            }
            let w: u16 = w
                .parse()
                .map_err(|_| tile_err(path, "partial width out of range"))?;
            if w >= TILE_WIDTH {
                return Err(tile_err(path, "partial width must be below 256"));
            }
            (idx, w)
        }
        None => (rest, TILE_WIDTH),
    };
    let groups: Vec<&str> = index_part.split('/').collect();
    let (last, leading) = groups
        .split_last()
        .ok_or_else(|| tile_err(path, "missing index"))?;
    let mut index: u64 = 0;
    for (i, g) in leading.iter().enumerate() {
        let digits = g
            .strip_prefix('x')
            .ok_or_else(|| tile_err(path, "all but the last index group start with x"))?;
        let v = parse_group(path, digits)?;
        if i == 0 && v == 0 {
            return Err(tile_err(path, "leading zero index group"));
        }
        index = index
            .checked_mul(1000)
            .and_then(|x| x.checked_add(v))
            .ok_or_else(|| tile_err(path, "index out of range"))?;
    }
    let v = parse_group(path, last)?;
    index = index
        .checked_mul(1000)
        .and_then(|x| x.checked_add(v))
        .ok_or_else(|| tile_err(path, "index out of range"))?;
    let tile =
        Tile::new(level.unwrap_or(0), index, width).map_err(|e| tile_err(path, &e.to_string()))?;
    Ok(match level {
        Some(_) => TilePath::Hashes(tile),
        None => TilePath::Entries(tile),
    })
}

/// Number of complete nodes of tree level `level` in a tree of `size` leaves.
fn nodes_at_level(size: u64, level: u32) -> u64 {
    size.checked_shr(level).unwrap_or(0)
}

/// The tiles of one level that exist at tree size `size`: the number of full tiles and the
/// width of the trailing partial tile (0 if none).
fn tiles_at_level(size: u64, level: u8) -> (u64, u16) {
    let nodes = nodes_at_level(size, u32::from(level) * TILE_HEIGHT);
    let full = nodes / u64::from(TILE_WIDTH);
    // The remainder is below 256, so it fits.
    let partial = (nodes % u64::from(TILE_WIDTH)) as u16;
    (full, partial)
}

/// The tile of level `level` and index `index` as published at tree size `size`, or `None` if
/// no such tile exists yet.
pub fn tile_at_size(level: u8, index: u64, size: u64) -> Option<Tile> {
    let (full, partial) = tiles_at_level(size, level);
    if index < full {
        Tile::new(level, index, TILE_WIDTH).ok()
    } else if index == full && partial > 0 {
        Tile::new(level, index, partial).ok()
    } else {
        None
    }
}

/// All tiles that are new or wider at tree size `new` than at size `old` (`old <= new`),
/// lowest level first: what a log writes when it grows from `old` to `new`.
pub fn new_tiles(old: u64, new: u64) -> Result<Vec<Tile>, LedgerError> {
    if old > new {
        return Err(LedgerError::SizeOrder {
            size1: old,
            size2: new,
        });
    }
    let mut out = Vec::new();
    for level in 0..=MAX_TILE_LEVEL {
        let shift = u32::from(level) * TILE_HEIGHT;
        let before = nodes_at_level(old, shift);
        let after = nodes_at_level(new, shift);
        if after == before {
            break;
        }
        let first = before / u64::from(TILE_WIDTH);
        let last = (after - 1) / u64::from(TILE_WIDTH);
        for index in first..=last {
            if let Some(tile) = tile_at_size(level, index, new) {
                out.push(tile);
            }
        }
    }
    Ok(out)
}

/// The smallest tile that holds the stored hash at `index`, and the range of its positions the
/// hash covers: the hash is the Merkle hash of those tile hashes.
fn locate(index: u64) -> Result<(Tile, u16, u16), LedgerError> {
    let (level, n) = split_stored_hash_index(index)?;
    let tile_level = level / TILE_HEIGHT;
    let rel = level % TILE_HEIGHT;
    let first_node = n
        .checked_shl(rel)
        .filter(|f| f >> rel == n)
        .ok_or(LedgerError::TooLarge("stored hash index"))?;
    let tile_index = first_node / u64::from(TILE_WIDTH);
    // Both are below 256 (rel < 8), so they fit.
    let start = (first_node % u64::from(TILE_WIDTH)) as u16;
    let end = start + (1u16 << rel);
    let tile_level = u8::try_from(tile_level).map_err(|_| LedgerError::TooLarge("tile level"))?;
    let tile = Tile::new(tile_level, tile_index, end)?;
    Ok((tile, start, end))
}

/// The smallest tile that holds the stored hash at `index` (its width just reaches the hash).
pub fn tile_for_stored_hash(index: u64) -> Result<Tile, LedgerError> {
    locate(index).map(|(tile, _, _)| tile)
}

/// Reads the stored hash at `index` out of the data of `tile`, which must be a tile of the
/// right level and index holding at least the hashes the stored hash covers. Hashes of levels
/// that are not multiples of 8 are recomputed from the tile's hashes.
pub fn hash_from_tile(tile: &Tile, data: &[u8], index: u64) -> Result<Hash, LedgerError> {
    let (need, start, end) = locate(index)?;
    if need.level != tile.level || need.index != tile.index || tile.width < end {
        return Err(LedgerError::Tile(format!(
            "stored hash {index} is not in tile {}",
            tile.path()
        )));
    }
    if data.len() != usize::from(tile.width) * HASH_SIZE {
        return Err(LedgerError::Tile(format!(
            "tile {} has {} bytes, expected {}",
            tile.path(),
            data.len(),
            usize::from(tile.width) * HASH_SIZE
        )));
    }
    let mut level: Vec<Hash> = data
        .chunks_exact(HASH_SIZE)
        .skip(usize::from(start))
        .take(usize::from(end - start))
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            h
        })
        .collect();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .filter_map(|pair| match pair {
                [l, r] => Some(node_hash(l, r)),
                _ => None,
            })
            .collect();
    }
    level
        .into_iter()
        .next()
        .ok_or_else(|| LedgerError::Tile(format!("no hash {index} in tile {}", tile.path())))
}

/// A [`HashReader`] over the tiles of a tree of a given size, fetched through a function (from
/// files, a database or HTTP). Each `read_hashes` call fetches every tile it needs once.
pub struct TileHashReader<F> {
    size: u64,
    fetch: F,
}

impl<F> TileHashReader<F>
where
    F: Fn(&Tile) -> Result<Vec<u8>, LedgerError>,
{
    /// A reader for the tree of `size` leaves; `fetch` returns the data of a tile exactly as
    /// published at that size (a full tile, or the partial tile of that width).
    pub fn new(size: u64, fetch: F) -> Self {
        TileHashReader { size, fetch }
    }

    /// Tree size the reader proves against.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl<F> HashReader for TileHashReader<F>
where
    F: Fn(&Tile) -> Result<Vec<u8>, LedgerError>,
{
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, LedgerError> {
        let mut fetched: HashMap<Tile, Vec<u8>> = HashMap::new();
        let mut out = Vec::with_capacity(indexes.len());
        for &index in indexes {
            let need = tile_for_stored_hash(index)?;
            let published = tile_at_size(need.level, need.index, self.size)
                .filter(|t| t.width >= need.width)
                .ok_or_else(|| LedgerError::MissingHash {
                    index,
                    reason: format!("not in the tree of size {}", self.size),
                })?;
            let data = match fetched.entry(published) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert((self.fetch)(&published)?),
            };
            out.push(hash_from_tile(&published, data, index)?);
        }
        Ok(out)
    }
}

/// Encodes an entry bundle: each entry with a 2-byte big-endian length prefix. At most 256
/// entries, each at most [`MAX_BUNDLE_ENTRY`] bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, LedgerError> {
    if entries.is_empty() || entries.len() > usize::from(TILE_WIDTH) {
        return Err(LedgerError::Tile(format!(
            "an entry bundle holds 1..=256 entries, not {}",
            entries.len()
        )));
    }
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| {
            LedgerError::Tile(format!(
                "entry {i} is {} bytes, above the bundle limit of {MAX_BUNDLE_ENTRY}",
                e.len()
            ))
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes an entry bundle of exactly `width` entries; trailing bytes are an error.
pub fn decode_entry_bundle(data: &[u8], width: u16) -> Result<Vec<Vec<u8>>, LedgerError> {
    if width == 0 || width > TILE_WIDTH {
        return Err(LedgerError::Tile(format!(
            "bundle width {width} not in 1..=256"
        )));
    }
    let mut out = Vec::with_capacity(usize::from(width));
    let mut rest = data;
    for i in 0..width {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| LedgerError::Tile(format!("entry bundle ends before entry {i}")))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(LedgerError::Tile(format!(
                "entry {i} of the bundle is truncated"
            )));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry.to_vec());
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(LedgerError::Tile(format!(
            "{} bytes after the last entry of the bundle",
            rest.len()
        )));
    }
    Ok(out)
}

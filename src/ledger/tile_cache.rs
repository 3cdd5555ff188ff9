//! A bounded least-recently-used cache of tiles. Tiles only grow: a full tile never changes and a
//! partial tile's first hashes or entries never change, so a cached copy is never wrong for the
//! widths it holds (the reader checks the width it needs). The bound is a tile count, so the
//! cache's memory is fixed whatever the log's size.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::store::TileKey;

/// Default capacity in tiles: 4,096 full tiles of 8 KiB are 32 MiB. A log of `n` entries has
/// `n / 65,536` level-1 tiles, so this holds every tile of level 1 and above of a log of up to
/// about 250 million entries (what every inclusion proof touches), the rest being hot level-0
/// tiles and entry bundles.
pub const DEFAULT_TILE_CACHE_TILES: usize = 4096;

/// See the module documentation.
#[derive(Debug)]
pub struct TileCache {
    capacity: usize,
    tick: u64,
    tiles: HashMap<TileKey, (Arc<Vec<u8>>, u64)>,
    by_use: BTreeMap<u64, TileKey>,
}

impl TileCache {
    pub fn new(capacity: usize) -> Self {
        TileCache {
            capacity,
            tick: 0,
            tiles: HashMap::new(),
            by_use: BTreeMap::new(),
        }
    }

    /// The cached tile, marking it as recently used.
    pub fn get(&mut self, key: &TileKey) -> Option<Arc<Vec<u8>>> {
        self.tick = self.tick.wrapping_add(1);
        let tick = self.tick;
        let (data, used) = self.tiles.get_mut(key)?;
        self.by_use.remove(used);
        *used = tick;
        self.by_use.insert(tick, *key);
        Some(Arc::clone(data))
    }

    /// Caches a tile (replacing an older, narrower version), evicting the least recently used ones beyond the capacity.
    pub fn insert(&mut self, key: TileKey, data: Arc<Vec<u8>>) {
        if self.capacity == 0 {
            return;
        }
        self.tick = self.tick.wrapping_add(1);
        if let Some((_, old)) = self.tiles.insert(key, (data, self.tick)) {
            self.by_use.remove(&old);
        }
        self.by_use.insert(self.tick, key);
        while self.tiles.len() > self.capacity {
            let Some((_, victim)) = self.by_use.pop_first() else {
                break;
            };
            self.tiles.remove(&victim);
        }
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}

//! The ledger facade: a log's identity, its guard against restored backups, appends through the
//! sequencer, and the read path (checkpoint, tiles, lookups with inclusion proofs).
//!
//! # Identity
//! The origin is fixed when the log is created ([`Ledger::create`]) and stored with the verifier
//! key; it is never derived from a URL. [`Ledger::open`] refuses a store holding another origin
//! or created with another key.
//!
//! # The published checkpoint, kept apart
//! Every checkpoint handed out (returned by an append) is first recorded in a
//! [`PublishedCheckpoint`] that lives outside the store: for SQLite a separate file,
//! `published.sqlite`, next to the ledger file by default (deployments should put it on another
//! volume than the database backups); for PostgreSQL a file local to each replica, so a database
//! restored behind what any replica published is refused by that replica. A restore of the store
//! alone leaves this record ahead of the tree, and [`Ledger::open`] refuses the store with
//! [`LedgerError::BehindPublished`]: appending to it would sign a second, different tree of a
//! size already published, a fork. It also refuses a store whose tree at the published size has
//! another root ([`LedgerError::ForkedFromPublished`]). (Restoring both files together cannot be
//! detected locally; witnesses cosigning checkpoints are the defence for that.)

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use super::audit::TileSource;
use super::checkpoint::{Checkpoint, SignedCheckpoint};
use super::entry::{document_id_hash, Entry};
use super::error::LedgerError;
use super::merkle::{self, empty_root, Hash, HashReader};
use super::note::{Ed25519Signer, Ed25519Verifier};
use super::sequencer::{PendingEntry, Sequencer, SequencerConfig};
use super::store::{lookup_key, Connect, LedgerStore, LogIdentity, PublishedCheckpoint, TileKey};
use super::store::{TileLevel, TreeState};
use super::tile::{parse_tile_path, Tile, TileHashReader, TilePath, TILE_WIDTH};
use super::tile_cache::{TileCache, DEFAULT_TILE_CACHE_TILES};
use super::tile_edge::{bundle_entries, bundle_entry};
use super::tlog_proof::TlogProof;

/// Most candidate entries one lookup examines. A document has a handful of events (issued,
/// then perhaps revoked or superseded); the bound keeps a lookup bounded whatever the index holds.
pub const MAX_LOOKUP_CANDIDATES: usize = 1024;

/// Tuning of a ledger.
#[derive(Clone, Copy, Debug)]
pub struct LedgerOptions {
    pub sequencer: SequencerConfig,
    /// Capacity of the full-tile cache, in tiles.
    pub tile_cache_tiles: usize,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            sequencer: SequencerConfig::default(),
            tile_cache_tiles: DEFAULT_TILE_CACHE_TILES,
        }
    }
}

/// An acknowledged append.
#[derive(Clone, Debug)]
pub struct Appended {
    /// Index of the (first) appended entry.
    pub index: u64,
    /// The signed checkpoint covering it.
    pub checkpoint: Arc<Vec<u8>>,
    /// Entries of the group commit it was part of.
    pub batch_entries: u64,
}

/// A lookup result: the entry, its index, and an offline proof (`extra` holds the entry's bytes)
/// against the checkpoint current at the lookup.
#[derive(Clone, Debug)]
pub struct Found {
    pub index: u64,
    pub entry: Entry,
    pub proof: TlogProof,
}

/// Read access to a log: no signing key, no sequencer. What auditors and the HTTP read path use.
pub struct LogReader {
    identity: LogIdentity,
    verifier: Ed25519Verifier,
    store: Mutex<Box<dyn LedgerStore>>,
    cache: Mutex<TileCache>,
    /// Stored hashes already read (recomputed from their tile when their level is not a
    /// multiple of 8). A stored hash is a complete subtree's, so it never changes.
    hashes: Mutex<HashMap<u64, Hash>>,
    /// The last stored checkpoint whose signature was checked, with its bytes: lookups reuse it
    /// while the tree does not grow instead of checking an Ed25519 signature per request.
    verified: Mutex<Option<Arc<VerifiedCheckpoint>>>,
}

/// Stored hashes remembered at most: 32 bytes each plus the map's overhead, a few MiB. When
/// full, the memo starts over; the hashes a proof of the current tree needs come back at once.
pub const MAX_REMEMBERED_HASHES: usize = 1 << 16;

/// A [`HashReader`] that answers from the memo what it can and reads the rest from `tiles`.
struct MemoHashes<'a, R> {
    tiles: R,
    memo: &'a Mutex<HashMap<u64, Hash>>,
}

impl<R: HashReader> HashReader for MemoHashes<'_, R> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, LedgerError> {
        let known: Vec<Option<Hash>> = {
            let memo = lock(self.memo);
            indexes.iter().map(|i| memo.get(i).copied()).collect()
        };
        let missing: Vec<u64> = indexes
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.is_none())
            .map(|(i, _)| *i)
            .collect();
        if missing.is_empty() {
            return Ok(known.into_iter().flatten().collect());
        }
        let read = self.tiles.read_hashes(&missing)?;
        if read.len() != missing.len() {
            return Err(corrupt("the tiles gave a different number of hashes"));
        }
        {
            let mut memo = lock(self.memo);
            if memo.len() + read.len() > MAX_REMEMBERED_HASHES {
                memo.clear();
            }
            memo.extend(missing.iter().copied().zip(read.iter().copied()));
        }
        let mut read = read.into_iter();
        known
            .into_iter()
            .map(|k| k.or_else(|| read.next()))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| corrupt("a stored hash went missing"))
    }
}

/// A stored checkpoint's bytes and their parse, after its signature was checked.
type VerifiedCheckpoint = (Vec<u8>, SignedCheckpoint);

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn corrupt(what: impl Into<String>) -> LedgerError {
    LedgerError::StoreCorrupt(what.into())
}

impl LogReader {
    /// Opens a store for reading; checks that its checkpoint is signed by its key, has its
    /// origin and size, and that the stored tiles recompute its root.
    pub fn open(connect: &dyn Connect, options: &LedgerOptions) -> Result<Self, LedgerError> {
        let mut store = connect.connect()?;
        let identity = store.identity()?.ok_or(LedgerError::NoLog)?;
        let verifier = Ed25519Verifier::parse(&identity.verifier_key)?;
        let reader = LogReader {
            identity,
            verifier,
            store: Mutex::new(store),
            cache: Mutex::new(TileCache::new(options.tile_cache_tiles)),
            hashes: Mutex::new(HashMap::new()),
            verified: Mutex::new(None),
        };
        let (state, cp) = reader.current()?;
        if cp.checkpoint().size != state.size {
            return Err(corrupt(format!(
                "stored checkpoint has size {}, tree has {}",
                cp.checkpoint().size,
                state.size
            )));
        }
        if reader.root_at(state.size, state.size)? != cp.checkpoint().root {
            return Err(corrupt(
                "the stored tiles do not recompute the checkpoint root",
            ));
        }
        Ok(reader)
    }

    pub fn identity(&self) -> &LogIdentity {
        &self.identity
    }

    pub fn verifier(&self) -> &Ed25519Verifier {
        &self.verifier
    }

    /// The committed state and its parsed checkpoint, checked against the log identity (once
    /// per distinct checkpoint).
    fn current(&self) -> Result<(TreeState, SignedCheckpoint), LedgerError> {
        let state = lock(&self.store).state()?;
        let cached = lock(&self.verified).clone();
        if let Some(known) = cached.filter(|k| k.0 == state.checkpoint) {
            return Ok((state, known.1.clone()));
        }
        let cp = self.parse_own_checkpoint(&state.checkpoint)?;
        *lock(&self.verified) = Some(Arc::new((state.checkpoint.clone(), cp.clone())));
        Ok((state, cp))
    }

    fn parse_own_checkpoint(&self, bytes: &[u8]) -> Result<SignedCheckpoint, LedgerError> {
        let cp = SignedCheckpoint::parse(bytes)?;
        if cp.checkpoint().origin != self.identity.origin || !cp.is_signed_by(&self.verifier) {
            return Err(corrupt(
                "a stored checkpoint is not signed by this log's key",
            ));
        }
        Ok(cp)
    }

    /// The latest signed checkpoint (C2SP tlog-checkpoint note).
    pub fn checkpoint(&self) -> Result<Vec<u8>, LedgerError> {
        Ok(lock(&self.store).state()?.checkpoint)
    }

    /// The latest checkpoint, parsed.
    pub fn signed_checkpoint(&self) -> Result<SignedCheckpoint, LedgerError> {
        Ok(self.current()?.1)
    }

    /// A stored tile, from the cache when the cached version `covers` what the caller needs.
    /// Tiles only grow (a partial tile's first hashes or entries never change), so any cached
    /// version is right for the widths it holds; a wider need reads the store and replaces it.
    fn stored(
        &self,
        key: TileKey,
        covers: impl Fn(&[u8]) -> bool,
    ) -> Result<Option<Arc<Vec<u8>>>, LedgerError> {
        if let Some(hit) = lock(&self.cache).get(&key) {
            if covers(&hit) {
                return Ok(Some(hit));
            }
        }
        let Some(data) = lock(&self.store).tile(key)? else {
            return Ok(None);
        };
        let data = Arc::new(data);
        lock(&self.cache).insert(key, Arc::clone(&data));
        Ok(Some(data))
    }

    /// The stored hashes of the tree of `size` entries: remembered ones, else read from tiles.
    fn hash_reader(&self, size: u64) -> MemoHashes<'_, impl HashReader + '_> {
        MemoHashes {
            tiles: TileHashReader::new(size, move |t: &Tile| self.hash_tile(t)),
            memo: &self.hashes,
        }
    }

    /// The data of a hash tile exactly as published at the tile's width.
    fn hash_tile(&self, tile: &Tile) -> Result<Vec<u8>, LedgerError> {
        let key = TileKey {
            level: TileLevel::Hashes(tile.level),
            index: tile.index,
        };
        let want = usize::from(tile.width) * 32;
        let data = self
            .stored(key, |d| d.len() >= want)?
            .ok_or_else(|| corrupt(format!("tile {} missing", tile.path())))?;
        data.get(..want)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| corrupt(format!("tile {} is too short", tile.path())))
    }

    /// The RFC 6962 root of the first `size` entries, read from the tiles of the tree of
    /// `tree_size` entries (`size <= tree_size`).
    fn root_at(&self, size: u64, tree_size: u64) -> Result<Hash, LedgerError> {
        if size == 0 {
            return Ok(empty_root());
        }
        merkle::tree_hash(size, &self.hash_reader(tree_size))
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        merkle::inclusion_proof(size, index, &self.hash_reader(size))
    }

    /// The consistency proof from the tree of `old` entries to that of `new` entries.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        merkle::consistency_proof(old, new, &self.hash_reader(new))
    }

    /// The bytes of entry `index`.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        let width = u64::from(TILE_WIDTH);
        let key = TileKey {
            level: TileLevel::Entries,
            index: index / width,
        };
        let pos = usize::try_from(index % width).map_err(|_| LedgerError::TooLarge("index"))?;
        let bundle = self
            .stored(key, |d| bundle_entry(d, pos).is_ok_and(|e| e.is_some()))?
            .ok_or_else(|| LedgerError::IndexOutOfRange {
                index,
                size: (index / width) * width,
            })?;
        bundle_entry(&bundle, pos)?
            .map(<[u8]>::to_vec)
            .ok_or(LedgerError::IndexOutOfRange { index, size: index })
    }

    /// A file of the C2SP tlog-tiles read path (`tile/...`), or `None` if it does not exist
    /// (yet). Malformed paths are errors.
    pub fn tile(&self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        match parse_tile_path(path)? {
            TilePath::Hashes(t) => {
                let key = TileKey {
                    level: TileLevel::Hashes(t.level),
                    index: t.index,
                };
                let want = usize::from(t.width) * 32;
                Ok(self
                    .stored(key, |d| d.len() >= want)?
                    .and_then(|d| d.get(..want).map(<[u8]>::to_vec)))
            }
            TilePath::Entries(t) => {
                let key = TileKey {
                    level: TileLevel::Entries,
                    index: t.index,
                };
                let width = usize::from(t.width);
                let covers = |d: &[u8]| bundle_entries(d).is_ok_and(|e| e.len() >= width);
                let Some(data) = self.stored(key, covers)? else {
                    return Ok(None);
                };
                let entries = bundle_entries(&data)?;
                let Some(first) = entries.get(..width) else {
                    return Ok(None);
                };
                let len: usize = first.iter().map(|e| e.len() + 2).sum();
                Ok(data.get(..len).map(<[u8]>::to_vec))
            }
        }
    }

    /// Every event of the document with this id (its SHA-256 is looked up), with proofs.
    pub fn find_by_document_id(&self, document_id: &str) -> Result<Vec<Found>, LedgerError> {
        self.find_by_id_hash(&document_id_hash(document_id))
    }

    /// Every event whose document-id hash is `hash`, with proofs.
    pub fn find_by_id_hash(&self, hash: &Hash) -> Result<Vec<Found>, LedgerError> {
        self.find(hash, |e| e.document_id_hash == *hash)
    }

    /// Every event whose document (revision) SHA-256 is `hash`, with proofs.
    pub fn find_by_document_hash(&self, hash: &Hash) -> Result<Vec<Found>, LedgerError> {
        self.find(hash, |e| e.revision_hash == *hash)
    }

    /// The committed entries whose lookup key is `key` and which satisfy `matches`, without
    /// proofs: index, canonical bytes and decoded entry.
    fn matching(
        &self,
        size: u64,
        key: &Hash,
        matches: impl Fn(&Entry) -> bool,
    ) -> Result<Vec<(u64, Vec<u8>, Entry)>, LedgerError> {
        let candidates = lock(&self.store).lookup(lookup_key(key), MAX_LOOKUP_CANDIDATES)?;
        let mut out = Vec::new();
        for index in candidates.into_iter().filter(|i| *i < size) {
            let data = self.entry(index)?;
            let entry = Entry::decode(&data)?;
            if matches(&entry) {
                out.push((index, data, entry));
            }
        }
        Ok(out)
    }

    /// Every event of the document one of whose events records the revision SHA-256 `hash`,
    /// with proofs, all read at one tree state: what a verifier needs from a file's hash.
    pub fn document_by_revision_hash(&self, hash: &Hash) -> Result<Vec<Found>, LedgerError> {
        let (state, cp) = self.current()?;
        let first = self
            .matching(state.size, hash, |e| e.revision_hash == *hash)?
            .into_iter()
            .next();
        let Some((_, _, entry)) = first else {
            return Ok(Vec::new());
        };
        let id_hash = entry.document_id_hash;
        self.find_at(&state, &cp, &id_hash, |e| e.document_id_hash == id_hash)
    }

    fn find(
        &self,
        key: &Hash,
        matches: impl Fn(&Entry) -> bool,
    ) -> Result<Vec<Found>, LedgerError> {
        let (state, cp) = self.current()?;
        self.find_at(&state, &cp, key, matches)
    }

    /// The entries under lookup `key` that satisfy `matches`, with proofs to `cp`, the checkpoint
    /// of `state`.
    fn find_at(
        &self,
        state: &TreeState,
        cp: &SignedCheckpoint,
        key: &Hash,
        matches: impl Fn(&Entry) -> bool,
    ) -> Result<Vec<Found>, LedgerError> {
        let mut out = Vec::new();
        for (index, data, entry) in self.matching(state.size, key, matches)? {
            let proof = self.inclusion_proof(index, state.size)?;
            let found = Found {
                index,
                entry,
                proof: TlogProof {
                    extra: Some(data),
                    index,
                    proof,
                    checkpoint: cp.clone(),
                },
            };
            // The checkpoint's signature was checked by `current`; the proof must lead to it.
            let body = cp.checkpoint();
            let leaf = merkle::leaf_hash(found.proof.extra.as_deref().unwrap_or_default());
            let inclusion =
                merkle::verify_inclusion(index, body.size, &leaf, &found.proof.proof, &body.root)?;
            if !inclusion.is_valid() {
                return Err(corrupt(format!(
                    "the proof of entry {index} does not verify"
                )));
            }
            out.push(found);
        }
        Ok(out)
    }
}

/// The auditor reads a local store through the same tile paths as a remote log.
impl TileSource for LogReader {
    fn checkpoint(&mut self) -> Result<Vec<u8>, LedgerError> {
        LogReader::checkpoint(self)
    }

    fn fetch(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.tile(path)
    }
}

/// A log open for appending: a [`LogReader`] plus the sequencer holding the signing key.
pub struct Ledger {
    reader: LogReader,
    sequencer: Sequencer,
}

impl Deref for Ledger {
    type Target = LogReader;

    fn deref(&self) -> &LogReader {
        &self.reader
    }
}

fn sign_checkpoint(signer: &Ed25519Signer, size: u64, root: &Hash) -> Result<Vec<u8>, LedgerError> {
    let cp = SignedCheckpoint::sign(Checkpoint::new(signer.name(), size, *root)?, signer)?;
    Ok(cp.to_text().into_bytes())
}

impl Ledger {
    /// Creates a new log with origin `origin` (the signing key's name must be the origin, as
    /// C2SP checkpoints require) and opens it. The store must not hold a log yet.
    pub fn create(
        connect: &dyn Connect,
        mut published: Box<dyn PublishedCheckpoint>,
        origin: &str,
        signer: Ed25519Signer,
        options: LedgerOptions,
    ) -> Result<Self, LedgerError> {
        if signer.name() != origin {
            return Err(LedgerError::Key(format!(
                "the log key is named {:?}, but the origin is {:?}",
                signer.name(),
                origin
            )));
        }
        let identity = LogIdentity {
            origin: origin.to_owned(),
            verifier_key: signer.verifier().to_key_string(),
        };
        let checkpoint = sign_checkpoint(&signer, 0, &empty_root())?;
        connect.connect()?.create(&identity, &checkpoint)?;
        published.publish(0, &checkpoint)?;
        Self::open(connect, published, signer, Some(origin), options)
    }

    /// Opens an existing log for appending. Refuses a store of another origin (when `origin` is
    /// given) or key, and a store behind (or forked from) the published checkpoint.
    pub fn open(
        connect: &dyn Connect,
        mut published: Box<dyn PublishedCheckpoint>,
        signer: Ed25519Signer,
        origin: Option<&str>,
        options: LedgerOptions,
    ) -> Result<Self, LedgerError> {
        let mut store = connect.connect()?;
        let identity = store.identity()?.ok_or(LedgerError::NoLog)?;
        drop(store);
        let expected = origin.unwrap_or(signer.name());
        if identity.origin != expected {
            return Err(LedgerError::OriginMismatch {
                stored: identity.origin,
                expected: expected.to_owned(),
            });
        }
        let configured = signer.verifier().to_key_string();
        if identity.verifier_key != configured {
            return Err(LedgerError::KeyMismatch {
                stored: identity.verifier_key,
                configured,
            });
        }
        let reader = LogReader::open(connect, &options)?;
        let (state, _) = reader.current()?;
        if let Some(bytes) = published.read()? {
            let last = reader.parse_own_checkpoint(&bytes)?;
            let last = last.checkpoint();
            if last.size > state.size {
                return Err(LedgerError::BehindPublished {
                    store_size: state.size,
                    published_size: last.size,
                });
            }
            if reader.root_at(last.size, state.size)? != last.root {
                return Err(LedgerError::ForkedFromPublished { size: last.size });
            }
        }
        published.publish(state.size, &state.checkpoint)?;
        let sequencer = Sequencer::start(
            connect.connect()?,
            published,
            Box::new(move |size, root| sign_checkpoint(&signer, size, root)),
            options.sequencer,
        )?;
        Ok(Ledger { reader, sequencer })
    }

    /// Appends one document event; returns once it is durable and covered by a signed,
    /// published checkpoint.
    pub fn append(&self, entry: &Entry) -> Result<Appended, LedgerError> {
        self.append_all(std::slice::from_ref(entry))
    }

    /// Appends events at consecutive indices (one request to the sequencer); returns the first
    /// index and the checkpoint covering all of them.
    pub fn append_all(&self, entries: &[Entry]) -> Result<Appended, LedgerError> {
        let pending = entries
            .iter()
            .map(|e| {
                Ok(PendingEntry {
                    data: e.encode()?,
                    lookup: vec![
                        lookup_key(&e.document_id_hash),
                        lookup_key(&e.revision_hash),
                    ],
                })
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        let ack = self.sequencer.append(pending)?;
        Ok(Appended {
            index: ack.first_index,
            checkpoint: ack.checkpoint,
            batch_entries: ack.batch_entries,
        })
    }
}

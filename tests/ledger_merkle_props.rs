//! Property tests of the ledger's Merkle core: proofs computed from a tiled store (tiles
//! written with the tile functions as the tree grows, read back through `TileHashReader`) equal
//! those of a naive recursive RFC 6962 implementation written here, and verify.

use std::collections::HashMap;

use proptest::prelude::*;

use kyso::ledger::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, node_hash, split_stored_hash_index,
    stored_hash_count, stored_hash_index, tree_hash, verify_consistency, verify_inclusion, Hash,
    HashReader, MemoryHashStore, ProofVerdict,
};
use kyso::ledger::tile::{new_tiles, Tile, TileHashReader};
use kyso::ledger::LedgerError;

/// RFC 6962 §2.1 MTH, straight from the definition.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => sha2_empty(),
        1 => leaves[0],
        n => {
            let k = largest_pow2_below(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn sha2_empty() -> Hash {
    use sha2::Digest;
    sha2::Sha256::digest([]).into()
}

fn largest_pow2_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 6962 §2.1.1 PATH(m, D[n]).
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = largest_pow2_below(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// RFC 6962 §2.1.2 SUBPROOF(m, D[n], b).
fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole { Vec::new() } else { vec![mth(leaves)] };
    }
    let k = largest_pow2_below(n);
    if m <= k {
        let mut p = subproof(m, &leaves[..k], whole);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// A log grown in batches, publishing the new tiles after each batch as a real log does.
struct TiledLog {
    leaves: Vec<Hash>,
    store: MemoryHashStore,
    tiles: HashMap<String, Vec<u8>>,
    published: Vec<u64>,
}

impl TiledLog {
    fn build(n: u64, cuts: &[u64], seed: u32) -> TiledLog {
        let mut boundaries: Vec<u64> = cuts.iter().map(|c| c % (n + 1)).collect();
        boundaries.push(n);
        boundaries.sort_unstable();
        boundaries.dedup();
        let mut log = TiledLog {
            leaves: Vec::new(),
            store: MemoryHashStore::new(),
            tiles: HashMap::new(),
            published: Vec::new(),
        };
        for b in boundaries {
            let old = log.store.size();
            for i in old..b {
                let data = format!("entry {i} of log {seed}");
                log.leaves.push(leaf_hash(data.as_bytes()));
                log.store.append(data.as_bytes()).expect("append");
            }
            for tile in new_tiles(old, b).expect("new tiles") {
                let data = tile.read_data(&log.store).expect("tile data");
                log.tiles.insert(tile.path(), data);
            }
            log.published.push(b);
        }
        log
    }

    fn reader(
        &self,
        size: u64,
    ) -> TileHashReader<impl Fn(&Tile) -> Result<Vec<u8>, LedgerError> + '_> {
        TileHashReader::new(size, move |tile: &Tile| {
            self.tiles
                .get(&tile.path())
                .cloned()
                .ok_or_else(|| LedgerError::Storage(format!("no tile {}", tile.path())))
        })
    }
}

fn check_log(log: &TiledLog, queries: &[(u64, u64)]) -> Result<(), TestCaseError> {
    let n = log.store.size() as usize;
    prop_assert_eq!(
        log.store.hashes().len() as u64,
        stored_hash_count(n as u64).unwrap()
    );
    for &size in &log.published {
        let reader = log.reader(size);
        let root = tree_hash(size, &reader).expect("root from tiles");
        prop_assert_eq!(root, mth(&log.leaves[..size as usize]), "root at {}", size);
        prop_assert_eq!(root, tree_hash(size, &log.store).expect("root from store"));
    }
    for &(a, b) in queries {
        // A published size to prove against, an index inside it, and an older published size.
        let size = log.published[(a as usize) % log.published.len()];
        if size == 0 {
            continue;
        }
        let reader = log.reader(size);
        let leaves = &log.leaves[..size as usize];
        let root = mth(leaves);
        let index = b % size;
        let proof = inclusion_proof(size, index, &reader).expect("inclusion proof");
        prop_assert_eq!(
            &proof,
            &path(index as usize, leaves),
            "PATH({}, {})",
            index,
            size
        );
        prop_assert_eq!(
            verify_inclusion(index, size, &leaves[index as usize], &proof, &root),
            Ok(ProofVerdict::Valid)
        );
        if let Some(first) = proof.first() {
            let mut bad = proof.clone();
            bad[0] = node_hash(first, first);
            prop_assert_eq!(
                verify_inclusion(index, size, &leaves[index as usize], &bad, &root),
                Ok(ProofVerdict::Invalid)
            );
        }
        let other = if index + 1 < size { index + 1 } else { 0 };
        if other != index {
            // The proof of `index` does not place the leaf at another position: the verifier
            // either rejects its length or finds another root.
            let got = verify_inclusion(other, size, &leaves[index as usize], &proof, &root);
            if path(other as usize, leaves).len() == proof.len() {
                prop_assert_eq!(got, Ok(ProofVerdict::Invalid));
            } else {
                prop_assert!(
                    matches!(got, Err(LedgerError::ProofLength { .. })),
                    "{:?}",
                    got
                );
            }
        }

        let size1 = log.published[(b as usize) % log.published.len()].min(size);
        let cproof = consistency_proof(size1, size, &reader).expect("consistency proof");
        let want = if size1 == 0 || size1 == size {
            Vec::new()
        } else {
            subproof(size1 as usize, leaves, true)
        };
        prop_assert_eq!(&cproof, &want, "PROOF({}, {})", size1, size);
        let root1 = mth(&leaves[..size1 as usize]);
        prop_assert_eq!(
            verify_consistency(size1, size, &cproof, &root1, &root),
            Ok(ProofVerdict::Valid)
        );
        if size1 > 0 && size1 < size {
            let wrong_root1 = node_hash(&root1, &root1);
            prop_assert_eq!(
                verify_consistency(size1, size, &cproof, &wrong_root1, &root),
                Ok(ProofVerdict::Invalid)
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn tiled_proofs_equal_naive_rfc6962(
        n in 1u64..=10_000,
        cuts in proptest::collection::vec(any::<u64>(), 0..6),
        seed in any::<u32>(),
        queries in proptest::collection::vec((any::<u64>(), any::<u64>()), 1..8),
    ) {
        let log = TiledLog::build(n, &cuts, seed);
        check_log(&log, &queries)?;
    }

    #[test]
    fn stored_hash_index_round_trips(level in 0u32..40, n in 0u64..(1 << 20)) {
        let index = stored_hash_index(level, n).expect("index");
        prop_assert_eq!(split_stored_hash_index(index).expect("split"), (level, n));
    }
}

/// Level-2 tiles appear only from 65,536 leaves, beyond the random trees above: a fixed tree
/// of 70,000 leaves grown in uneven batches exercises them.
#[test]
fn tiled_proofs_with_level_2_tiles() {
    let log = TiledLog::build(70_000, &[65_535, 65_536, 66_000, 300, 69_999], 7);
    assert!(log.tiles.contains_key("tile/2/000.p/1"));
    assert!(log.tiles.contains_key("tile/1/000"));
    let queries: Vec<(u64, u64)> = (0..log.published.len() as u64)
        .flat_map(|a| {
            [
                (a, 0),
                (a, 65_535),
                (a, 12_345 + a),
                (a, 69_999),
                (a, u64::MAX),
            ]
        })
        .collect();
    check_log(&log, &queries).expect("proofs from level-2 tiles");
}

/// The tile reader refuses hashes outside its tree and tiles of the wrong size.
#[test]
fn tile_reader_refuses_what_it_does_not_have() {
    let log = TiledLog::build(300, &[], 1);
    let reader = log.reader(300);
    let beyond = stored_hash_index(0, 300).expect("index");
    assert!(matches!(
        reader.read_hashes(&[beyond]),
        Err(LedgerError::MissingHash { .. })
    ));
    let short = TileHashReader::new(300, |_t: &Tile| Ok(vec![0u8; 31]));
    assert!(matches!(short.read_hashes(&[0]), Err(LedgerError::Tile(_))));
    assert!(matches!(
        inclusion_proof(300, 300, &reader),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
}

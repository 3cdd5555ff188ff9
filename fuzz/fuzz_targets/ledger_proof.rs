//! The proof verifiers with arbitrary sizes, indexes, hashes and proofs (no panic, bounded
//! work), and a differential check: proofs generated for a tree built from the input verify,
//! and the same proof with one hash changed does not.
#![no_main]

use kyso::ledger::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, node_hash, tree_hash, verify_consistency,
    verify_inclusion, MemoryHashStore, ProofVerdict,
};
use libfuzzer_sys::fuzz_target;

/// Largest tree the differential check builds: enough for several tree levels and odd shapes,
/// small enough to keep each run fast.
const MAX_TREE: u64 = 600;

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in data.iter().skip(at).take(8).enumerate() {
        b[i] = *x;
    }
    u64::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    let a = u64_at(data, 0);
    let b = u64_at(data, 8);
    let mode = data.get(16).copied().unwrap_or(0);
    let rest = data.get(17..).unwrap_or(&[]);
    // Proof elements of arbitrary length (mostly 32 bytes) and two roots from the input.
    let cut = usize::from(mode % 4) + 30;
    let mut chunks: Vec<&[u8]> = rest.chunks(cut.min(33)).collect();
    let r1 = chunks.pop().unwrap_or(&[]);
    let r2 = chunks.pop().unwrap_or(&[]);
    let _ = verify_inclusion(a, b, r1, &chunks, r2);
    let _ = verify_consistency(a, b, &chunks, r1, r2);
    let _ = verify_consistency(a.min(b), a.max(b), &chunks, r1, r2);
    let _ = verify_inclusion(a % 64, b % 64, r1, &chunks, r2);
    let _ = verify_consistency(a % 64, b % 64, &chunks, r1, r2);

    // Differential: a real tree of n leaves.
    let n = a % MAX_TREE + 1;
    let mut store = MemoryHashStore::new();
    for i in 0..n {
        if store.append(&i.to_le_bytes()).is_err() {
            return;
        }
    }
    let (Ok(root), index) = (tree_hash(n, &store), b % n) else {
        return;
    };
    let leaf = leaf_hash(&index.to_le_bytes());
    let proof = inclusion_proof(n, index, &store).expect("inclusion proof of a stored tree");
    assert_eq!(
        verify_inclusion(index, n, &leaf, &proof, &root),
        Ok(ProofVerdict::Valid)
    );
    if !proof.is_empty() {
        let mut bad = proof.clone();
        let at = usize::from(mode) % bad.len();
        bad[at] = node_hash(&bad[at], &root);
        assert_eq!(
            verify_inclusion(index, n, &leaf, &bad, &root),
            Ok(ProofVerdict::Invalid)
        );
    }
    let m = u64_at(data, 17) % (n + 1);
    let Ok(root_m) = tree_hash(m, &store) else {
        return;
    };
    let cproof = consistency_proof(m, n, &store).expect("consistency proof of a stored tree");
    assert_eq!(
        verify_consistency(m, n, &cproof, &root_m, &root),
        Ok(ProofVerdict::Valid)
    );
    if !cproof.is_empty() {
        let mut bad = cproof.clone();
        let at = usize::from(mode) % bad.len();
        bad[at] = node_hash(&bad[at], &root);
        assert_eq!(
            verify_consistency(m, n, &bad, &root_m, &root),
            Ok(ProofVerdict::Invalid)
        );
    }
});

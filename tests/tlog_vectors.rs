//! The ledger core against the transparency-log vectors in `../shared/conformance/tlog/`:
//! transparency-dev/merkle proofs, the RFC 6962 reference tree, signed-note vectors, tile
//! paths, the Sunlight tile tree with its cosigned checkpoint, and the self-generated
//! checkpoint and tlog-proof.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;

use kyso::ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use kyso::ledger::cosignature::CosignatureVerifier;
use kyso::ledger::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, tree_hash, verify_consistency,
    verify_inclusion, Hash, MemoryHashStore, ProofVerdict,
};
use kyso::ledger::note::{key_id, Ed25519Signer, Ed25519Verifier, Note, NoteVerifier};
use kyso::ledger::tile::{
    encode_tile_index, new_tiles, parse_tile_path, Tile, TileHashReader, TilePath, TILE_WIDTH,
};
use kyso::ledger::tlog_proof::TlogProof;
use kyso::ledger::LedgerError;

fn tlog_dir() -> Option<PathBuf> {
    common::conformance_dir().map(|d| d.join("tlog"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().expect("base64 string"))
        .expect("valid base64")
}

fn b64_list(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(b64).collect(),
        other => panic!("unexpected proof value {other}"),
    }
}

fn hex_hash(v: &Value) -> Hash {
    let bytes = hex::decode(v.as_str().expect("hex string")).expect("hex");
    Hash::try_from(bytes.as_slice()).expect("32-byte hash")
}

fn hex_hashes(v: &Value) -> Vec<Hash> {
    v.as_array().expect("array").iter().map(hex_hash).collect()
}

fn hex_bytes_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| hex::decode(s.as_str().expect("hex")).expect("hex"))
        .collect()
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Runs every file of one transparency-dev directory and returns the files whose outcome
/// differs from `wantErr` (accepted = `Ok(Valid)`, anything else = rejected).
fn transparency_dev(kind: &str) -> Option<(usize, BTreeSet<String>)> {
    let root = tlog_dir()?.join("transparency-dev-merkle/testdata");
    let mut files = Vec::new();
    json_files(&root.join(kind), &mut files);
    let mut differ = BTreeSet::new();
    for f in &files {
        let v = read_json(f);
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        let proof = b64_list(&v["proof"]);
        let got = if kind == "inclusion" {
            verify_inclusion(
                v["leafIdx"].as_u64().expect("leafIdx"),
                v["treeSize"].as_u64().expect("treeSize"),
                &b64(&v["leafHash"]),
                &proof,
                &b64(&v["root"]),
            )
        } else {
            verify_consistency(
                v["size1"].as_u64().expect("size1"),
                v["size2"].as_u64().expect("size2"),
                &proof,
                &b64(&v["root1"]),
                &b64(&v["root2"]),
            )
        };
        let accepted = matches!(got, Ok(ProofVerdict::Valid));
        if accepted == want_err {
            differ.insert(relative(&root, f));
        }
    }
    Some((files.len(), differ))
}

#[test]
fn transparency_dev_inclusion_cases() {
    let Some((count, differ)) = transparency_dev("inclusion") else {
        return;
    };
    assert!(
        count >= 90,
        "expected the whole inclusion suite, found {count} files"
    );
    assert!(
        differ.is_empty(),
        "inclusion cases with a different result: {differ:?}"
    );
    eprintln!("transparency-dev inclusion: {count} cases, all as expected");
}

#[test]
fn transparency_dev_consistency_cases() {
    let Some((count, differ)) = transparency_dev("consistency") else {
        return;
    };
    assert!(
        count >= 90,
        "expected the whole consistency suite, found {count} files"
    );
    // The one documented difference: transparency-dev accepts `size1 == size2 == 1` with two
    // equal 9-byte "roots" because it compares them as opaque bytes; kyso rejects every hash
    // that is not 32 bytes (RFC 9162 §2.1), whatever the sizes. Every `size1 = 0` case of the
    // suite also carries a malformed root or a non-empty proof, so kyso's size-0 policy (empty
    // proof and the empty-tree root accepted, see `merkle` module docs) agrees with all of them.
    let expected: BTreeSet<String> =
        ["consistency/additional/sizes-are-equal-one-and-proof-is-empty.json".to_string()]
            .into_iter()
            .collect();
    assert_eq!(
        differ, expected,
        "consistency cases with a different result"
    );
    eprintln!(
        "transparency-dev consistency: {count} cases, {} as expected, {} documented difference",
        count - differ.len(),
        differ.len()
    );
}

#[test]
fn size_zero_consistency_policy() {
    let root = [7u8; 32];
    // From the empty tree: an empty proof and the empty-tree root are consistent with any tree.
    let empty: [Hash; 0] = [];
    assert_eq!(
        verify_consistency(0, 5, &empty, &empty_root(), &root),
        Ok(ProofVerdict::Valid)
    );
    assert_eq!(
        verify_consistency(0, 0, &empty, &empty_root(), &empty_root()),
        Ok(ProofVerdict::Valid)
    );
    // A first root that is not the empty tree's is not a tree of size 0.
    assert_eq!(
        verify_consistency(0, 5, &empty, &root, &root),
        Ok(ProofVerdict::Invalid)
    );
    // Any proof hash is one too many.
    assert!(matches!(
        verify_consistency(0, 5, &[empty_root()], &empty_root(), &root),
        Err(LedgerError::ProofLength {
            want: 0,
            got: 1,
            ..
        })
    ));
    // The generator agrees: no hashes from size 0.
    let mut store = MemoryHashStore::new();
    for i in 0..5u8 {
        store.append(&[i]).expect("append");
    }
    assert!(consistency_proof(0, 5, &store).expect("proof").is_empty());
}

#[test]
fn rfc6962_reference_tree() {
    let Some(dir) = tlog_dir() else { return };
    let v = read_json(&dir.join("rfc6962-reference-tree.json"));
    let inputs = hex_bytes_list(&v["leaf_inputs_hex"]);
    let leaves = hex_hashes(&v["leaf_hashes_hex"]);
    let roots = hex_hashes(&v["root_hashes_hex_by_size_0_to_8"]);
    assert_eq!(roots.len(), 9);
    let mut store = MemoryHashStore::new();
    assert_eq!(tree_hash(0, &store).expect("empty"), roots[0]);
    for (i, input) in inputs.iter().enumerate() {
        assert_eq!(leaf_hash(input), leaves[i], "leaf hash {i}");
        store.append(input).expect("append");
        assert_eq!(
            tree_hash(store.size(), &store).expect("root"),
            roots[i + 1],
            "root of size {}",
            i + 1
        );
    }
    // Older roots stay computable from the grown store.
    for (size, root) in roots.iter().enumerate() {
        assert_eq!(&tree_hash(size as u64, &store).expect("root"), root);
    }
}

#[test]
fn rfc6962_all_proofs_of_the_8_leaf_tree() {
    let Some(dir) = tlog_dir() else { return };
    let v = read_json(&dir.join("rfc6962-all-proofs-8leaf.json"));
    let mut store = MemoryHashStore::new();
    for input in hex_bytes_list(&v["leaf_inputs_hex"]) {
        store.append(&input).expect("append");
    }
    let inclusion = v["inclusion"].as_array().expect("inclusion");
    assert_eq!(inclusion.len(), 36);
    for case in inclusion {
        let size = case["tree_size"].as_u64().expect("size");
        let index = case["leaf_index"].as_u64().expect("index");
        let want = hex_hashes(&case["proof_hex"]);
        let root = hex_hash(&case["root_hex"]);
        let leaf = hex_hash(&case["leaf_hash_hex"]);
        assert_eq!(
            inclusion_proof(size, index, &store).expect("proof"),
            want,
            "inclusion proof of {index} in {size}"
        );
        assert_eq!(tree_hash(size, &store).expect("root"), root);
        assert_eq!(
            verify_inclusion(index, size, &leaf, &want, &root),
            Ok(ProofVerdict::Valid)
        );
    }
    let consistency = v["consistency"].as_array().expect("consistency");
    assert_eq!(consistency.len(), 36);
    for case in consistency {
        let size1 = case["size1"].as_u64().expect("size1");
        let size2 = case["size2"].as_u64().expect("size2");
        let want = hex_hashes(&case["proof_hex"]);
        let (root1, root2) = (hex_hash(&case["root1_hex"]), hex_hash(&case["root2_hex"]));
        assert_eq!(
            consistency_proof(size1, size2, &store).expect("proof"),
            want,
            "consistency proof {size1} -> {size2}"
        );
        assert_eq!(
            verify_consistency(size1, size2, &want, &root1, &root2),
            Ok(ProofVerdict::Valid)
        );
        if size1 < size2 {
            assert_eq!(
                verify_consistency(size1, size2, &want, &root2, &root1),
                Ok(ProofVerdict::Invalid),
                "swapped roots {size1} -> {size2}"
            );
        }
    }
}

#[test]
fn signed_note_vectors() {
    let Some(dir) = tlog_dir() else { return };
    let v = read_json(&dir.join("signed-note-ed25519.json"));
    let vectors = v["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 2);
    let mut resigned = 0;
    for case in vectors {
        let label = case["label"].as_str().expect("label");
        let vkey = case["vkey"].as_str().expect("vkey");
        let verifier = Ed25519Verifier::parse(vkey).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(
            verifier.to_key_string(),
            vkey,
            "{label}: key string round trip"
        );
        assert_eq!(verifier.name(), case["key_name"].as_str().expect("name"));
        let want_id = hex::decode(case["key_id_hex"].as_str().expect("id")).expect("hex");
        assert_eq!(
            verifier.key_id().as_slice(),
            want_id.as_slice(),
            "{label}: key ID"
        );
        let pk = b64(&case["public_key_b64"]);
        assert_eq!(
            key_id(verifier.name(), 0x01, &pk).as_slice(),
            want_id.as_slice(),
            "{label}: computed key ID"
        );
        let text = case["note_text"].as_str().expect("text");
        let sig_line = case["signature_line"].as_str().expect("line");
        let note_bytes = format!("{text}\n{sig_line}\n");
        let note = Note::parse(note_bytes.as_bytes()).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(note.text(), text);
        assert_eq!(note.to_text(), note_bytes, "{label}: note round trip");
        let report = note.verify(&[&verifier]);
        assert!(
            report.is_verified_by(verifier.name(), verifier.key_id()),
            "{label}: signature must verify: {report:?}"
        );
        // Unknown keys are ignored: no verifier, no verdict, one unknown line.
        let nobody = note.verify(&[]);
        assert!(nobody.verified.is_empty() && nobody.failed.is_empty());
        assert_eq!(nobody.unknown, 1);
        // A changed text does not verify.
        let forged = format!("{}X\n\n{sig_line}\n", text.trim_end_matches('\n'));
        let forged = Note::parse(forged.as_bytes()).expect("parse forged");
        assert_eq!(
            forged.verify(&[&verifier]).failed.len(),
            1,
            "{label}: forged text"
        );

        if let Some(skey) = case["private_key_skey_test_only"].as_str() {
            let signer = Ed25519Signer::parse(skey).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(
                signer.to_key_string(),
                skey,
                "{label}: signer key round trip"
            );
            assert_eq!(signer.verifier(), verifier);
            let mut fresh = Note::new(text).expect("note");
            fresh.sign(&signer).expect("sign");
            assert_eq!(
                fresh.to_text(),
                note_bytes,
                "{label}: Ed25519 is deterministic, re-signing gives the same line"
            );
            resigned += 1;
        }
    }
    assert_eq!(resigned, 1);
}

#[test]
fn tile_path_cases() {
    let Some(dir) = tlog_dir() else { return };
    let v = read_json(&dir.join("tlog-tiles-paths.json"));
    let cases = v["index_to_path"].as_object().expect("index_to_path");
    assert!(cases.len() >= 6);
    for (index, path) in cases {
        let index: u64 = index.parse().expect("index");
        let path = path.as_str().expect("path");
        assert_eq!(encode_tile_index(index), path, "index {index}");
        let full = format!("tile/0/{path}");
        assert_eq!(
            parse_tile_path(&full),
            Ok(TilePath::Hashes(
                Tile::new(0, index, TILE_WIDTH).expect("tile")
            )),
            "{full}"
        );
        let entries = format!("tile/entries/{path}.p/7");
        assert_eq!(
            parse_tile_path(&entries),
            Ok(TilePath::Entries(Tile::new(0, index, 7).expect("tile")))
        );
    }

    let paths = |tiles: &[Tile]| tiles.iter().map(Tile::path).collect::<Vec<_>>();
    let strings = |v: &Value| {
        v.as_array()
            .expect("array")
            .iter()
            .map(|s| s.as_str().expect("path").to_string())
            .collect::<Vec<_>>()
    };
    let all = new_tiles(0, 70000).expect("tiles");
    let full_l0 = all.iter().filter(|t| t.level == 0 && t.is_full()).count();
    assert_eq!(
        full_l0 as u64,
        v["size_70000_full_L0_count"].as_u64().expect("count")
    );
    let rest: Vec<Tile> = all
        .iter()
        .copied()
        .filter(|t| !(t.level == 0 && t.is_full()))
        .collect();
    assert_eq!(
        paths(&rest),
        strings(&v["size_70000_tiles_excluding_full_L0"])
    );
    assert_eq!(
        paths(&new_tiles(0, 256).expect("tiles")),
        strings(&v["size_256_tiles"])
    );
    assert_eq!(
        paths(&new_tiles(0, 300).expect("tiles")),
        strings(&v["size_300_tiles"])
    );
    // Growing 256 -> 300 writes only what changed: the new partial level-0 tile (the level-1
    // tile keeps width 1).
    assert_eq!(
        paths(&new_tiles(256, 300).expect("tiles")),
        ["tile/0/001.p/44"]
    );
    // Every path parses back to its tile.
    for t in &all {
        assert_eq!(parse_tile_path(&t.path()), Ok(TilePath::Hashes(*t)));
    }
}

/// The Sunlight mirror tree: size 300, leaves "record 0".."record 299", a checkpoint cosigned by
/// `mirror.example.org` (see NOTE.md next to the data).
#[test]
fn sunlight_tile_tree_and_cosignature() {
    let Some(dir) = tlog_dir() else { return };
    let base = dir.join("sunlight-skylight-testdata/cmd/skylight/testdata/witness");
    let mirror =
        base.join("mirror/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706");
    let cp_bytes = std::fs::read(mirror.join("checkpoint")).expect("checkpoint");
    let signed = SignedCheckpoint::parse(&cp_bytes).expect("parse checkpoint");
    assert_eq!(
        signed.to_text().as_bytes(),
        cp_bytes.as_slice(),
        "round trip"
    );
    let cp = signed.checkpoint();
    assert_eq!(cp.origin, "rome2026h1.example.org");
    assert_eq!(cp.size, 300);

    let fetched = std::cell::RefCell::new(Vec::new());
    let reader = TileHashReader::new(cp.size, |tile: &Tile| {
        fetched.borrow_mut().push(tile.path());
        std::fs::read(mirror.join(tile.path()))
            .map_err(|e| LedgerError::Storage(format!("{}: {e}", tile.path())))
    });
    let root = tree_hash(cp.size, &reader).expect("root from tiles");
    assert_eq!(root, cp.root, "tiles recompute the checkpoint root");
    let mut seen = fetched.borrow().clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["tile/0/001.p/44", "tile/1/000.p/1"]);

    // The leaves are the records NOTE.md describes, and proofs from the tiles verify.
    let tile0 = std::fs::read(mirror.join("tile/0/000")).expect("tile 0");
    for i in [0usize, 1, 255] {
        let want = leaf_hash(format!("record {i}").as_bytes());
        assert_eq!(&tile0[i * 32..i * 32 + 32], want.as_slice(), "leaf {i}");
    }
    for (index, record) in [(0u64, "record 0"), (257, "record 257"), (299, "record 299")] {
        let proof = inclusion_proof(cp.size, index, &reader).expect("proof from tiles");
        assert_eq!(
            verify_inclusion(
                index,
                cp.size,
                &leaf_hash(record.as_bytes()),
                &proof,
                &cp.root
            ),
            Ok(ProofVerdict::Valid),
            "{record}"
        );
    }

    // The mirror's cosignature (type 0x04) verifies and dates the checkpoint.
    let mirror_key = CosignatureVerifier::parse(
        "mirror.example.org+3fb148ef+BAAjjch9GyYz0sJsJx7ALhbdAtz2ov0unbzSl1vMp94O",
    )
    .expect("mirror key");
    let report = signed.verify(&[&mirror_key]);
    assert!(
        report.is_verified_by(mirror_key.name(), mirror_key.key_id()),
        "{report:?}"
    );
    let sig = &signed.note().signatures()[0];
    assert_eq!(
        mirror_key.verify_cosignature(signed.note().text(), &sig.signature),
        Some(1_767_139_200)
    );
    // Another text (a different root) does not carry that cosignature.
    let other = Checkpoint::new(&cp.origin, cp.size, [0u8; 32]).expect("checkpoint");
    assert_eq!(
        mirror_key.verify_cosignature(&other.to_text(), &sig.signature),
        None
    );

    // The witness's copy of the log checkpoint: its own signature is an RFC 6962 (type 0x05)
    // one kyso does not check, so it is ignored as unknown; the witness cosignature verifies.
    let witness_cp = std::fs::read(
        base.join("000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint"),
    )
    .expect("witness checkpoint");
    let witness_signed = SignedCheckpoint::parse(&witness_cp).expect("parse");
    let witness_key = CosignatureVerifier::parse(
        "witness.example.org+b8a2cf20+BFLN3yikSfFkVAJtrnh/CiY3Zozkoy7clp+P7XB28qUN",
    )
    .expect("witness key");
    let report = witness_signed.verify(&[&witness_key]);
    assert!(
        report.is_verified_by(witness_key.name(), witness_key.key_id()),
        "{report:?}"
    );
    assert_eq!(report.unknown, 1);
    assert!(report.failed.is_empty());
    // Cross-check: the mirror key does not verify the witness's line.
    assert!(!witness_signed
        .verify(&[&mirror_key])
        .is_verified_by(mirror_key.name(), mirror_key.key_id()));
}

#[test]
fn selfgen_checkpoint_and_tlog_proof() {
    let Some(dir) = tlog_dir() else { return };
    let meta = read_json(&dir.join("selfgen-checkpoint.json"));
    let vkey = meta["vkey"].as_str().expect("vkey");
    let log_key = Ed25519Verifier::parse(vkey).expect("vkey");
    let cp_bytes = std::fs::read(dir.join("selfgen-checkpoint.txt")).expect("checkpoint");
    let signed = SignedCheckpoint::parse(&cp_bytes).expect("parse");
    assert!(signed.is_signed_by(&log_key));
    assert_eq!(signed.checkpoint().size, 8);
    let reference = read_json(&dir.join("rfc6962-reference-tree.json"));
    assert_eq!(
        signed.checkpoint().root,
        hex_hash(&reference["root_hashes_hex_by_size_0_to_8"][8])
    );

    // Re-signing with the published test seed gives the same bytes (Ed25519 is deterministic).
    let seed: [u8; 32] = hex::decode(meta["seed_hex"].as_str().expect("seed"))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let signer = Ed25519Signer::from_seed(&signed.checkpoint().origin, seed).expect("signer");
    assert_eq!(signer.verifier(), log_key);
    let resigned = SignedCheckpoint::sign(signed.checkpoint().clone(), &signer).expect("sign");
    assert_eq!(resigned.to_text().as_bytes(), cp_bytes.as_slice());

    let proof_bytes = std::fs::read(dir.join("selfgen-leaf5.tlog-proof")).expect("proof");
    let proof = TlogProof::parse(&proof_bytes).expect("parse tlog-proof");
    assert_eq!(
        proof.to_text().as_bytes(),
        proof_bytes.as_slice(),
        "round trip"
    );
    assert_eq!(proof.index, meta["leaf_index"].as_u64().expect("index"));
    let entry = hex::decode(meta["leaf_input_hex"].as_str().expect("input")).expect("hex");
    let report = proof.verify_entry(&entry, &log_key, &[]).expect("verify");
    assert!(report.is_valid(), "{report:?}");
    // Another entry at that index is not proven; another key did not sign.
    let wrong = proof
        .verify_entry(b"not the entry", &log_key, &[])
        .expect("verify");
    assert_eq!(wrong.inclusion, ProofVerdict::Invalid);
    assert!(!wrong.is_valid());
    let other_key = Ed25519Signer::from_seed(&signed.checkpoint().origin, [9u8; 32])
        .expect("signer")
        .verifier();
    let unsigned = proof.verify_entry(&entry, &other_key, &[]).expect("verify");
    assert!(!unsigned.log_signature && !unsigned.is_valid());
}

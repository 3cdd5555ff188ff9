//! Signed notes, checkpoints, tlog-proofs, tile paths, keys and entries from arbitrary bytes:
//! no panic, and whatever parses re-encodes to exactly the input (one encoding per value).
#![no_main]

use kyso::ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use kyso::ledger::cosignature::CosignatureVerifier;
use kyso::ledger::entry::Entry;
use kyso::ledger::note::{Ed25519Signer, Ed25519Verifier, Note};
use kyso::ledger::tile::{decode_entry_bundle, encode_entry_bundle, parse_tile_path, TilePath};
use kyso::ledger::tlog_proof::TlogProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = Ed25519Signer::from_seed("example.gov/ledger", [1u8; 32]).map(|s| s.verifier());

    if let Ok(note) = Note::parse(data) {
        assert_eq!(
            note.to_text().as_bytes(),
            data,
            "note re-encodes to its input"
        );
        if let Ok(k) = &key {
            let _ = note.verify(&[k]);
        }
    }
    if let Ok(cp) = SignedCheckpoint::parse(data) {
        assert_eq!(
            cp.to_text().as_bytes(),
            data,
            "checkpoint re-encodes to its input"
        );
        if let Ok(k) = &key {
            let _ = cp.is_signed_by(k);
        }
    }
    if let Ok(proof) = TlogProof::parse(data) {
        assert_eq!(
            proof.to_text().as_bytes(),
            data,
            "tlog-proof re-encodes to its input"
        );
        if let Ok(k) = &key {
            let _ = proof.verify_entry(data, k, &[]);
        }
    }
    if let Ok(entry) = Entry::decode(data) {
        assert_eq!(
            entry.encode().ok().as_deref(),
            Some(data),
            "entry is canonical"
        );
    }
    for width in [1u16, 2, 256] {
        if let Ok(entries) = decode_entry_bundle(data, width) {
            assert_eq!(encode_entry_bundle(&entries).ok().as_deref(), Some(data));
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(cp) = Checkpoint::parse(s) {
            assert_eq!(cp.to_text(), s, "checkpoint body re-encodes to its input");
        }
        match parse_tile_path(s) {
            Ok(TilePath::Hashes(t)) => assert_eq!(t.path(), s),
            Ok(TilePath::Entries(t)) => assert_eq!(t.entries_path().ok().as_deref(), Some(s)),
            Err(_) => {}
        }
        if let Ok(v) = Ed25519Verifier::parse(s) {
            assert_eq!(v.to_key_string(), s);
        }
        if let Ok(v) = CosignatureVerifier::parse(s) {
            assert_eq!(v.to_key_string(), s);
        }
        let _ = Ed25519Signer::parse(s);
    }
});

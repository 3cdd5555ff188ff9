//! The ledger core on bad input: malformed checkpoints, notes and keys, proofs of the wrong
//! length, oversized entries, out-of-range tile paths. Each gives a clear error and nothing
//! panics; entries round-trip canonically.

use proptest::prelude::*;

use kyso::ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use kyso::ledger::cosignature::{CosignatureSigner, CosignatureVerifier};
use kyso::ledger::entry::{document_id_hash, Entry, EntryKind, MAX_AGENCY_LEN, MAX_ENTRY_SIZE};
use kyso::ledger::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, tree_hash, verify_consistency,
    verify_inclusion, Hash, MemoryHashStore, ProofVerdict,
};
use kyso::ledger::note::{
    Ed25519Signer, Ed25519Verifier, Note, NoteVerifier, MAX_NOTE_SIZE, MAX_SIGNATURES,
};
use kyso::ledger::tile::{
    decode_entry_bundle, encode_entry_bundle, parse_tile_path, Tile, TilePath,
};
use kyso::ledger::tlog_proof::TlogProof;
use kyso::ledger::LedgerError;

const ROOT_B64: &str = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";

fn signer() -> Ed25519Signer {
    Ed25519Signer::from_seed("example.gov/ledger", [3u8; 32]).expect("signer")
}

#[test]
fn malformed_checkpoints_are_rejected() {
    let good = format!("example.gov/ledger\n8\n{ROOT_B64}\n");
    let cp = Checkpoint::parse(&good).expect("good checkpoint");
    assert_eq!(cp.size, 8);
    assert_eq!(cp.to_text(), good);
    let with_ext = format!("example.gov/ledger\n8\n{ROOT_B64}\nextension one\n");
    assert_eq!(
        Checkpoint::parse(&with_ext).expect("extension").extensions,
        ["extension one"]
    );

    let bad = [
        ("empty", String::new()),
        ("no newline", format!("example.gov/ledger\n8\n{ROOT_B64}")),
        ("empty origin", format!("\n8\n{ROOT_B64}\n")),
        ("no root", "example.gov/ledger\n8\n".to_string()),
        (
            "leading zero",
            format!("example.gov/ledger\n08\n{ROOT_B64}\n"),
        ),
        ("sign", format!("example.gov/ledger\n+8\n{ROOT_B64}\n")),
        ("negative", format!("example.gov/ledger\n-8\n{ROOT_B64}\n")),
        ("space", format!("example.gov/ledger\n 8\n{ROOT_B64}\n")),
        ("hex", format!("example.gov/ledger\n0x8\n{ROOT_B64}\n")),
        (
            "overflow",
            format!("example.gov/ledger\n18446744073709551616\n{ROOT_B64}\n"),
        ),
        (
            "not base64",
            "example.gov/ledger\n8\nnot base64!\n".to_string(),
        ),
        (
            "31-byte root",
            "example.gov/ledger\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n".to_string(),
        ),
        (
            "non-canonical base64",
            "example.gov/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n".to_string(),
        ),
        (
            "unpadded base64",
            format!(
                "example.gov/ledger\n8\n{}\n",
                ROOT_B64.trim_end_matches('=')
            ),
        ),
        (
            "empty extension",
            format!("example.gov/ledger\n8\n{ROOT_B64}\n\n"),
        ),
        (
            "control char",
            format!("example.gov/\u{1}ledger\n8\n{ROOT_B64}\n"),
        ),
        (
            "carriage return",
            format!("example.gov/ledger\r\n8\n{ROOT_B64}\n"),
        ),
    ];
    for (what, text) in bad {
        let got = Checkpoint::parse(&text);
        assert!(
            matches!(got, Err(LedgerError::Checkpoint(_))),
            "{what}: expected a checkpoint error, got {got:?}"
        );
        if let Err(e) = got {
            assert!(e.to_string().contains("tlog-checkpoint"), "{what}: {e}");
        }
    }

    // Signing refuses a log key whose name is not the origin.
    let cp = Checkpoint::new("other.example/log", 1, [0u8; 32]).expect("checkpoint");
    assert!(matches!(
        SignedCheckpoint::sign(cp, &signer()),
        Err(LedgerError::Checkpoint(_))
    ));
    // A note whose text is not a checkpoint is not a signed checkpoint.
    let mut note = Note::new("hello\n").expect("note");
    note.sign(&signer()).expect("sign");
    assert!(matches!(
        SignedCheckpoint::parse(note.to_text().as_bytes()),
        Err(LedgerError::Checkpoint(_))
    ));
}

#[test]
fn signed_checkpoint_signature_checks() {
    let s = signer();
    let cp = Checkpoint::new(s.name(), 8, [1u8; 32]).expect("checkpoint");
    let signed = SignedCheckpoint::sign(cp.clone(), &s).expect("sign");
    assert!(signed.is_signed_by(&s.verifier()));
    // Same key name, different key: not signed by it.
    let other = Ed25519Signer::from_seed(s.name(), [4u8; 32]).expect("other");
    assert!(!signed.is_signed_by(&other.verifier()));
    // A signature line moved onto another checkpoint does not verify.
    let moved = format!(
        "{}\n{}\n",
        Checkpoint::new(s.name(), 9, [1u8; 32])
            .expect("cp")
            .to_text(),
        signed.note().signatures()[0].line()
    );
    let moved = SignedCheckpoint::parse(moved.as_bytes()).expect("parse");
    assert!(!moved.is_signed_by(&s.verifier()));
    assert_eq!(moved.verify(&[&s.verifier()]).failed.len(), 1);
    // Cosign, and the cosignature verifies next to the log signature.
    let witness = CosignatureSigner::from_seed("witness.example", [5u8; 32]).expect("witness");
    let mut cosigned = signed.clone();
    cosigned
        .add_signature(
            witness
                .cosign(signed.note().text(), 1_767_139_200)
                .expect("cosign"),
        )
        .expect("add");
    let reparsed = SignedCheckpoint::parse(cosigned.to_text().as_bytes()).expect("parse");
    let wv = witness.verifier();
    let report = reparsed.verify(&[&s.verifier(), &wv]);
    assert_eq!(report.verified.len(), 2, "{report:?}");
    assert_eq!(
        wv.verify_cosignature(
            reparsed.note().text(),
            &reparsed.note().signatures()[1].signature
        ),
        Some(1_767_139_200)
    );
    assert_eq!(
        CosignatureVerifier::parse(&wv.to_key_string()).expect("parse"),
        wv
    );
    // A cosignature is not valid as a note signature of type 0x01, nor the other way round.
    assert_ne!(
        wv.key_id(),
        Ed25519Signer::from_seed("witness.example", [5u8; 32])
            .expect("s")
            .key_id()
    );
    assert!(!wv.verify(
        reparsed.note().text(),
        &reparsed.note().signatures()[0].signature
    ));
    assert!(!wv.verify(reparsed.note().text(), &[0u8; 71]));
    // The same key signing twice is reported as failed, not verified.
    let mut twice = signed.clone();
    twice
        .add_signature(signed.note().signatures()[0].clone())
        .expect("add");
    let report = twice.verify(&[&s.verifier()]);
    assert!(
        report.verified.is_empty() && report.failed.len() == 1,
        "{report:?}"
    );
}

#[test]
fn malformed_notes_are_rejected() {
    let s = signer();
    let line = s.sign_text("hello\n").line();
    let good = format!("hello\n\n{line}\n");
    assert!(Note::parse(good.as_bytes()).is_ok());

    let many: String = (0..=MAX_SIGNATURES).map(|_| format!("{line}\n")).collect();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("tab", format!("hel\tlo\n\n{line}\n").into_bytes()),
        (
            "carriage return",
            format!("hello\r\n\n{line}\n").into_bytes(),
        ),
        ("NUL", format!("hel\0lo\n\n{line}\n").into_bytes()),
        (
            "C1 control",
            format!("hel\u{85}lo\n\n{line}\n").into_bytes(),
        ),
        ("DEL", format!("hel\u{7f}lo\n\n{line}\n").into_bytes()),
        (
            "invalid UTF-8",
            [b"hel\xfflo\n\n".as_slice(), line.as_bytes(), b"\n"].concat(),
        ),
        ("no blank line", format!("hello\n{line}\n").into_bytes()),
        ("no signature", b"hello\n\n".to_vec()),
        ("no final newline", format!("hello\n\n{line}").into_bytes()),
        (
            "blank after signatures",
            format!("hello\n\n{line}\n\n").into_bytes(),
        ),
        (
            "ascii dash",
            format!("hello\n\n{}\n", line.replacen('\u{2014}', "-", 1)).into_bytes(),
        ),
        (
            "no space",
            format!("hello\n\n{}\n", line.replacen("\u{2014} ", "\u{2014}", 1)).into_bytes(),
        ),
        (
            "plus in name",
            "hello\n\n\u{2014} a+b AAAAAAAA\n".as_bytes().to_vec(),
        ),
        (
            "short signature",
            "hello\n\n\u{2014} a AAAA\n".as_bytes().to_vec(),
        ),
        (
            "bad base64",
            "hello\n\n\u{2014} a !!!!\n".as_bytes().to_vec(),
        ),
        (
            "too many signatures",
            format!("hello\n\n{many}").into_bytes(),
        ),
        ("too large", {
            let mut v = vec![b'a'; MAX_NOTE_SIZE];
            v.extend_from_slice(format!("\n\n{line}\n").as_bytes());
            v
        }),
        ("empty text", format!("\n\n{line}\n").into_bytes()),
    ];
    for (what, bytes) in bad {
        let got = Note::parse(&bytes);
        assert!(
            matches!(got, Err(LedgerError::Note(_))),
            "{what}: expected a note error, got {got:?}"
        );
    }
    assert!(matches!(Note::new("no newline"), Err(LedgerError::Note(_))));
    assert!(matches!(
        Note::new("a\u{1b}[31m\n"),
        Err(LedgerError::Note(_))
    ));
}

#[test]
fn malformed_keys_are_rejected() {
    let s = signer();
    let vkey = s.verifier().to_key_string();
    assert_eq!(Ed25519Verifier::parse(&vkey).expect("vkey"), s.verifier());
    let (name, rest) = vkey.split_once('+').expect("plus");
    let (id, b64) = rest.split_once('+').expect("plus");
    let bad = [
        ("no parts", name.to_string()),
        ("two parts", format!("{name}+{id}")),
        ("bad id", format!("{name}+00000000+{b64}")),
        ("short id", format!("{name}+{}+{b64}", &id[..6])),
        ("hex id", format!("{name}+zzzzzzzz+{b64}")),
        (
            "uppercase id",
            format!("{name}+{}+{b64}", id.to_uppercase()),
        ),
        ("empty name", format!("+{id}+{b64}")),
        ("space in name", format!("a b+{id}+{b64}")),
        ("not base64", format!("{name}+{id}+***")),
        ("cosignature type", {
            let w = CosignatureSigner::from_seed(name, [3u8; 32]).expect("w");
            w.verifier().to_key_string()
        }),
        ("short key", format!("{name}+{id}+AQID")),
    ];
    for (what, k) in bad {
        let got = Ed25519Verifier::parse(&k);
        assert!(matches!(got, Err(LedgerError::Key(_))), "{what}: {got:?}");
    }
    assert!(matches!(
        Ed25519Signer::parse(&vkey),
        Err(LedgerError::Key(_))
    ));
    let skey = s.to_key_string();
    assert_eq!(
        Ed25519Signer::parse(&skey).expect("skey").key_id(),
        s.key_id()
    );
    assert!(matches!(
        Ed25519Signer::parse(&skey.replacen(&hex::encode(s.key_id()), "00000000", 1)),
        Err(LedgerError::Key(_))
    ));
    assert!(
        !format!("{s:?}").contains(&skey[skey.len() - 20..]),
        "Debug hides the key"
    );
    assert!(matches!(
        Ed25519Signer::from_seed("a+b", [0; 32]),
        Err(LedgerError::Key(_))
    ));
}

fn tree(n: u64) -> (MemoryHashStore, Hash) {
    let mut store = MemoryHashStore::new();
    for i in 0..n {
        store.append(&i.to_be_bytes()).expect("append");
    }
    let root = tree_hash(n, &store).expect("root");
    (store, root)
}

#[test]
fn proofs_of_the_wrong_length_or_shape_are_errors() {
    let (store, root) = tree(13);
    let leaf = leaf_hash(&5u64.to_be_bytes());
    let proof = inclusion_proof(13, 5, &store).expect("proof");
    assert_eq!(
        verify_inclusion(5, 13, &leaf, &proof, &root),
        Ok(ProofVerdict::Valid)
    );
    let mut longer = proof.clone();
    longer.push(root);
    let shorter = &proof[..proof.len() - 1];
    for p in [&longer[..], shorter, &[][..]] {
        assert!(matches!(
            verify_inclusion(5, 13, &leaf, p, &root),
            Err(LedgerError::ProofLength {
                what: "inclusion proof",
                ..
            })
        ));
    }
    let short_hash: Vec<Vec<u8>> = proof
        .iter()
        .enumerate()
        .map(|(i, h)| if i == 1 { h[..31].to_vec() } else { h.to_vec() })
        .collect();
    assert!(matches!(
        verify_inclusion(5, 13, &leaf, &short_hash, &root),
        Err(LedgerError::HashLength { len: 31, .. })
    ));
    assert!(matches!(
        verify_inclusion(5, 13, &leaf[..], &proof, &root[..16]),
        Err(LedgerError::HashLength { len: 16, .. })
    ));
    assert!(matches!(
        verify_inclusion(13, 13, &leaf, &proof, &root),
        Err(LedgerError::IndexOutOfRange {
            index: 13,
            size: 13
        })
    ));
    assert!(matches!(
        verify_inclusion(0, 0, &leaf, &proof, &root),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        inclusion_proof(13, 13, &store),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    // Beyond what the store holds: an error, not a guessed hash.
    assert!(matches!(
        inclusion_proof(14, 3, &store),
        Err(LedgerError::MissingHash { .. })
    ));

    let (_, root5) = tree(5);
    let cproof = consistency_proof(5, 13, &store).expect("consistency");
    assert_eq!(
        verify_consistency(5, 13, &cproof, &root5, &root),
        Ok(ProofVerdict::Valid)
    );
    let mut longer = cproof.clone();
    longer.push(root);
    for p in [&longer[..], &cproof[1..], &[][..]] {
        assert!(matches!(
            verify_consistency(5, 13, p, &root5, &root),
            Err(LedgerError::ProofLength {
                what: "consistency proof",
                ..
            })
        ));
    }
    assert!(matches!(
        verify_consistency(13, 5, &cproof, &root, &root5),
        Err(LedgerError::SizeOrder {
            size1: 13,
            size2: 5
        })
    ));
    assert!(matches!(
        consistency_proof(13, 5, &store),
        Err(LedgerError::SizeOrder { .. })
    ));
    assert!(matches!(
        verify_consistency(13, 13, &cproof, &root, &root),
        Err(LedgerError::ProofLength { want: 0, .. })
    ));
    assert_eq!(
        verify_consistency(13, 13, &[] as &[Hash], &root, &root5),
        Ok(ProofVerdict::Invalid)
    );
    // Extreme sizes are evaluated without overflow or panic.
    for (a, b) in [
        (u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1, u64::MAX),
        (1 << 63, u64::MAX),
    ] {
        let _ = verify_consistency(a, b, &cproof, &root, &root);
        let _ = verify_inclusion(a, b, &leaf, &cproof, &root);
    }
    assert_eq!(tree_hash(0, &store).expect("empty"), empty_root());
}

fn sample_entry(kind: EntryKind) -> Entry {
    Entry {
        kind,
        document_id_hash: document_id_hash("K7QW2M4XJ3BF5T6Y"),
        revision_hash: [2u8; 32],
        signer_cert_sha256: [3u8; 32],
        time: 1_767_139_200,
        agency: "Sở Tư pháp tỉnh Lâm Đồng".to_string(),
        document_number: "123/QĐ-STP".to_string(),
        document_kind: "Quyết định".to_string(),
        reason: match kind {
            EntryKind::Issued => None,
            _ => Some("Cấp lại do sai sót".to_string()),
        },
        superseded_by: match kind {
            EntryKind::Superseded => Some([9u8; 32]),
            _ => None,
        },
    }
}

#[test]
fn entries_round_trip_and_reject_bad_encodings() {
    for kind in [EntryKind::Issued, EntryKind::Revoked, EntryKind::Superseded] {
        let e = sample_entry(kind);
        let bytes = e.encode().expect("encode");
        assert_eq!(Entry::decode(&bytes).expect("decode"), e);
        // Every truncation and every extension is rejected.
        for cut in 0..bytes.len() {
            assert!(
                matches!(Entry::decode(&bytes[..cut]), Err(LedgerError::Entry(_))),
                "cut {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(Entry::decode(&longer), Err(LedgerError::Entry(_))));
        // Unknown version, unknown kind.
        let mut v = bytes.clone();
        v[0] = 2;
        assert!(matches!(Entry::decode(&v), Err(LedgerError::Entry(_))));
        let mut k = bytes.clone();
        k[1] = 9;
        assert!(matches!(Entry::decode(&k), Err(LedgerError::Entry(_))));
    }
    // The entry carries only the hash of the document id, never the id.
    let bytes = sample_entry(EntryKind::Issued).encode().expect("encode");
    assert!(!bytes.windows(16).any(|w| w == b"K7QW2M4XJ3BF5T6Y"));
    // A presence flag other than 0 or 1.
    let mut flag = bytes.clone();
    let n = flag.len();
    flag[n - 1] = 2;
    assert!(matches!(Entry::decode(&flag), Err(LedgerError::Entry(_))));
    // Fields the kind does not allow.
    let mut issued_with_reason = sample_entry(EntryKind::Issued);
    issued_with_reason.reason = Some("x".into());
    assert!(matches!(
        issued_with_reason.encode(),
        Err(LedgerError::Entry(_))
    ));
    let mut superseded_without = sample_entry(EntryKind::Superseded);
    superseded_without.superseded_by = None;
    assert!(matches!(
        superseded_without.encode(),
        Err(LedgerError::Entry(_))
    ));
    // Oversized fields and oversized encodings.
    let mut big = sample_entry(EntryKind::Issued);
    big.agency = "a".repeat(MAX_AGENCY_LEN + 1);
    assert!(matches!(big.encode(), Err(LedgerError::Entry(_))));
    assert!(matches!(
        Entry::decode(&vec![1u8; MAX_ENTRY_SIZE + 1]),
        Err(LedgerError::Entry(_))
    ));
    let mut ctl = sample_entry(EntryKind::Issued);
    ctl.document_number = "12\n3".into();
    assert!(matches!(ctl.encode(), Err(LedgerError::Entry(_))));
}

#[test]
fn bad_tile_paths_are_rejected() {
    assert_eq!(
        parse_tile_path("tile/1/x001/x234/067.p/8"),
        Ok(TilePath::Hashes(Tile::new(1, 1_234_067, 8).expect("tile")))
    );
    assert_eq!(
        parse_tile_path("tile/7/000.p/1"),
        Ok(TilePath::Hashes(Tile::new(7, 0, 1).expect("tile")))
    );
    let bad = [
        "",
        "tile",
        "tile/",
        "tile/0",
        "tile/0/",
        "tile/8/000",
        "tile/255/000",
        "tile/256/000",
        "tile/01/000",
        "tile/-1/000",
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x000/001",
        "tile/0/x1/001",
        "tile/0/001/002",
        "tile/0/x001/x002",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/007",
        "tile/0/000.p/",
        "tile/0/000.p/1/2",
        "tile/0/000.p/99999999999999999999",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/0/x072/x057/x594/x037/x927/936",
        "tile/7/001",
        "tile/7/000",
        "tile/entries/x000/000",
        "tile/entries/000.p/256",
        "tile/data/000",
        "/tile/0/000",
        "tile/0/000/",
        "tile/0/٠٠٠",
        "tile/0/00\u{2014}",
        "tile/0/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/001",
    ];
    for p in bad {
        let got = parse_tile_path(p);
        assert!(matches!(got, Err(LedgerError::Tile(_))), "{p:?}: {got:?}");
    }
    assert!(matches!(Tile::new(0, 0, 0), Err(LedgerError::Tile(_))));
    assert!(matches!(Tile::new(0, 0, 257), Err(LedgerError::Tile(_))));
    assert!(matches!(Tile::new(8, 0, 1), Err(LedgerError::Tile(_))));
    assert!(matches!(
        Tile::new(1, 0, 1).expect("tile").entries_path(),
        Err(LedgerError::Tile(_))
    ));
}

#[test]
fn entry_bundles() {
    let entries: Vec<Vec<u8>> = vec![b"one".to_vec(), Vec::new(), vec![7u8; 300]];
    let data = encode_entry_bundle(&entries).expect("encode");
    assert_eq!(&data[..2], &[0, 3]);
    assert_eq!(decode_entry_bundle(&data, 3).expect("decode"), entries);
    assert!(matches!(
        decode_entry_bundle(&data, 2),
        Err(LedgerError::Tile(_))
    ));
    assert!(matches!(
        decode_entry_bundle(&data, 4),
        Err(LedgerError::Tile(_))
    ));
    assert!(matches!(
        decode_entry_bundle(&data[..data.len() - 1], 3),
        Err(LedgerError::Tile(_))
    ));
    assert!(matches!(
        decode_entry_bundle(&data, 0),
        Err(LedgerError::Tile(_))
    ));
    assert!(matches!(
        encode_entry_bundle(&[vec![0u8; 65_536]]),
        Err(LedgerError::Tile(_))
    ));
    assert!(encode_entry_bundle(&[vec![0u8; 65_535]]).is_ok());
    assert!(matches!(
        encode_entry_bundle(&vec![b"x".to_vec(); 257]),
        Err(LedgerError::Tile(_))
    ));
}

#[test]
fn malformed_tlog_proofs_are_rejected() {
    let s = signer();
    let (store, root) = tree(8);
    let cp = Checkpoint::new(s.name(), 8, root).expect("cp");
    let signed = SignedCheckpoint::sign(cp, &s).expect("sign");
    let proof = TlogProof {
        extra: Some(b"kyso".to_vec()),
        index: 5,
        proof: inclusion_proof(8, 5, &store).expect("proof"),
        checkpoint: signed,
    };
    let text = proof.to_text();
    let parsed = TlogProof::parse(text.as_bytes()).expect("parse");
    assert_eq!(parsed, proof);
    let report = parsed
        .verify_entry(&5u64.to_be_bytes(), &s.verifier(), &[])
        .expect("verify");
    assert!(report.is_valid(), "{report:?}");

    let variants = [
        ("header", text.replacen("tlog-proof@v1", "tlog-proof@v2", 1)),
        (
            "leading zero index",
            text.replacen("index 5", "index 05", 1),
        ),
        ("no index", text.replacen("index 5\n", "", 1)),
        (
            "bad extra",
            text.replacen("extra a3lzbw==", "extra a3lzbx==", 1),
        ),
        (
            "extra after index",
            text.replacen("extra a3lzbw==\nindex 5", "index 5\nextra a3lzbw==", 1),
        ),
        ("bad hash", text.replacen("index 5\n", "index 5\nAAAA\n", 1)),
        (
            "no checkpoint",
            text[..text.find("\n\n").expect("blank") + 2].to_string(),
        ),
        (
            "too many hashes",
            text.replacen(
                "index 5\n",
                &format!("index 5\n{}", format!("{ROOT_B64}\n").repeat(65)),
                1,
            ),
        ),
    ];
    for (what, t) in variants {
        let got = TlogProof::parse(t.as_bytes());
        assert!(got.is_err(), "{what}: {got:?}");
    }
    // Index outside the checkpoint's tree, or a proof of the wrong length: errors.
    let mut outside = proof.clone();
    outside.index = 8;
    assert!(matches!(
        outside.verify_entry(b"x", &s.verifier(), &[]),
        Err(LedgerError::IndexOutOfRange { .. })
    ));
    let mut short = proof.clone();
    short.proof.pop();
    assert!(matches!(
        short.verify_entry(b"x", &s.verifier(), &[]),
        Err(LedgerError::ProofLength { .. })
    ));
}

fn arb_entry() -> impl Strategy<Value = Entry> {
    (
        0u8..3,
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<i64>(),
        "[^\\p{Cc}]{0,40}",
        "[^\\p{Cc}]{0,20}",
        proptest::option::of("[^\\p{Cc}]{0,30}"),
        any::<[u8; 32]>(),
    )
        .prop_map(|(k, a, b, time, agency, number, reason, sup)| {
            let kind = [EntryKind::Issued, EntryKind::Revoked, EntryKind::Superseded][k as usize];
            Entry {
                kind,
                document_id_hash: a,
                revision_hash: b,
                signer_cert_sha256: sup,
                time,
                agency,
                document_number: number.clone(),
                document_kind: number,
                reason: if kind == EntryKind::Issued {
                    None
                } else {
                    reason
                },
                superseded_by: (kind == EntryKind::Superseded).then_some(sup),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn entries_round_trip(e in arb_entry()) {
        let bytes = e.encode().expect("encode");
        prop_assert_eq!(Entry::decode(&bytes).expect("decode"), e);
    }

    /// Any change of one byte either is rejected or decodes to an entry that re-encodes to
    /// exactly the changed bytes: there is one encoding per entry.
    #[test]
    fn entry_encoding_is_canonical(e in arb_entry(), pos in any::<usize>(), val in any::<u8>()) {
        let mut bytes = e.encode().expect("encode");
        let n = bytes.len();
        bytes[pos % n] = val;
        if let Ok(d) = Entry::decode(&bytes) {
            prop_assert_eq!(d.encode().expect("re-encode"), bytes);
        }
    }

    #[test]
    fn parsers_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Note::parse(&data);
        let _ = SignedCheckpoint::parse(&data);
        let _ = TlogProof::parse(&data);
        let _ = Entry::decode(&data);
        let _ = decode_entry_bundle(&data, 3);
        if let Ok(s) = std::str::from_utf8(&data) {
            let _ = parse_tile_path(s);
            let _ = Checkpoint::parse(s);
            let _ = Ed25519Verifier::parse(s);
            let _ = CosignatureVerifier::parse(s);
        }
    }

    #[test]
    fn verifiers_do_not_panic(
        a in any::<u64>(),
        b in any::<u64>(),
        proof in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 30..34), 0..70),
        r1 in proptest::collection::vec(any::<u8>(), 31..33),
        r2 in proptest::collection::vec(any::<u8>(), 31..33),
    ) {
        let _ = verify_inclusion(a, b, &r1, &proof, &r2);
        let _ = verify_consistency(a, b, &proof, &r1, &r2);
        let _ = verify_consistency(a.min(b), a.max(b), &proof, &r1, &r2);
        let _ = verify_inclusion(a % 1000, b % 1000 + 1, &r1, &proof, &r2);
    }
}

//! Durability of appends against the fault-injecting memory store: writes not yet synced are lost
//! at a simulated crash, and at every step of a stream of concurrent appends, every acknowledged
//! entry survives a crash there, the log reopens, and its next checkpoint is consistent with the
//! last acknowledged one.

use std::sync::Mutex;
use std::time::Duration;

use kyso::ledger::checkpoint::SignedCheckpoint;
use kyso::ledger::entry::{document_id_hash, Entry, EntryKind};
use kyso::ledger::log::{Ledger, LedgerOptions};
use kyso::ledger::memory::{FaultPlan, MemoryStore};
use kyso::ledger::merkle::verify_consistency;
use kyso::ledger::note::Ed25519Signer;
use kyso::ledger::sequencer::SequencerConfig;
use kyso::ledger::store::{CommitBatch, LedgerStore, LogIdentity, TileKey, TileLevel};
use kyso::ledger::LedgerError;

const ORIGIN: &str = "test.kyso.example/durability";
const THREADS: u64 = 3;
const PER_THREAD: u64 = 12;

fn signer() -> Ed25519Signer {
    Ed25519Signer::from_seed(ORIGIN, [7u8; 32]).unwrap()
}

fn options() -> LedgerOptions {
    LedgerOptions {
        sequencer: SequencerConfig {
            max_entries: 4,
            max_delay: Duration::from_millis(1),
        },
        ..LedgerOptions::default()
    }
}

fn entry(thread: u64, i: u64) -> Entry {
    Entry {
        kind: EntryKind::Issued,
        document_id_hash: document_id_hash(&format!("doc-{thread}-{i}")),
        revision_hash: document_id_hash(&format!("rev-{thread}-{i}")),
        signer_cert_sha256: [1u8; 32],
        time: 1_780_000_000,
        agency: "UBND tỉnh Thử".into(),
        document_number: format!("{thread}-{i}/QĐ"),
        document_kind: "Quyết định".into(),
        reason: None,
        superseded_by: None,
    }
}

/// A new log of `ORIGIN` in `store`, publishing into the store's own record.
fn create(store: &MemoryStore) -> Ledger {
    Ledger::create(
        store,
        Box::new(store.published()),
        ORIGIN,
        signer(),
        options(),
    )
    .unwrap()
}

fn open(store: &MemoryStore) -> Result<Ledger, LedgerError> {
    Ledger::open(
        store,
        Box::new(store.published()),
        signer(),
        Some(ORIGIN),
        options(),
    )
}

/// Appends from several threads until done or an error; returns (index, encoded entry) of
/// every acknowledged append and the last acknowledged checkpoint.
fn append_stream(ledger: &Ledger) -> (Vec<(u64, Vec<u8>)>, Option<SignedCheckpoint>) {
    let acked = Mutex::new(Vec::new());
    let last_cp: Mutex<Option<SignedCheckpoint>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (acked, last_cp) = (&acked, &last_cp);
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let e = entry(t, i);
                    match ledger.append(&e) {
                        Ok(done) => {
                            let cp = SignedCheckpoint::parse(&done.checkpoint).unwrap();
                            assert!(cp.checkpoint().size > done.index);
                            acked
                                .lock()
                                .unwrap()
                                .push((done.index, e.encode().unwrap()));
                            let mut last = last_cp.lock().unwrap();
                            if last
                                .as_ref()
                                .is_none_or(|l| l.checkpoint().size < cp.checkpoint().size)
                            {
                                *last = Some(cp);
                            }
                        }
                        Err(_) => return,
                    }
                }
            });
        }
    });
    (acked.into_inner().unwrap(), last_cp.into_inner().unwrap())
}

/// A store holding a new, empty log of `ORIGIN` (checkpoint `cp0`), and a connection to it.
fn created_store() -> (MemoryStore, MemoryStore) {
    let store = MemoryStore::new();
    let mut conn = store.clone();
    let id = LogIdentity {
        origin: ORIGIN.into(),
        verifier_key: signer().verifier().to_key_string(),
    };
    conn.create(&id, b"cp0").unwrap();
    (store, conn)
}

#[test]
fn unsynced_writes_are_lost_at_a_crash() {
    let (store, mut conn) = created_store();
    let key = TileKey {
        level: TileLevel::Entries,
        index: 0,
    };
    let batch = CommitBatch {
        old_size: 0,
        new_size: 1,
        tiles: vec![(key, vec![0, 1, 42])],
        lookup: vec![(5, 0)],
        checkpoint: b"cp1".to_vec(),
    };
    // Crash just before the sync step of the commit: the write reached only the cache.
    let write_step = store.next_step();
    store.set_faults(FaultPlan {
        crash_before_step: Some(write_step + 1),
        fail_step: None,
    });
    let err = conn.sequence().unwrap().commit(&batch).unwrap_err();
    assert_eq!(err, LedgerError::SimulatedCrash);
    assert_eq!(conn.state().unwrap_err(), LedgerError::SimulatedCrash);
    store.restart();
    assert_eq!(conn.state().unwrap().size, 0);
    assert_eq!(conn.tile(key).unwrap(), None);
    assert!(conn.lookup(5, 10).unwrap().is_empty());
    // Without a fault, the same commit is durable: it survives a crash right after it.
    conn.sequence().unwrap().commit(&batch).unwrap();
    store.crash();
    store.restart();
    assert_eq!(conn.state().unwrap().size, 1);
    assert_eq!(conn.tile(key).unwrap(), Some(vec![0, 1, 42]));
    assert_eq!(conn.lookup(5, 10).unwrap(), vec![0]);
}

#[test]
fn a_commit_from_a_stale_size_is_refused() {
    let (_store, mut conn) = created_store();
    let batch = CommitBatch {
        old_size: 3,
        new_size: 4,
        ..CommitBatch::default()
    };
    let err = conn.sequence().unwrap().commit(&batch).unwrap_err();
    assert!(
        matches!(err, LedgerError::ConcurrentSequencing { .. }),
        "{err}"
    );
}

#[test]
fn every_acknowledged_append_survives_a_crash_at_every_step() {
    // Each batch is three steps (write, sync, publish) and holds at most THREADS entries (each
    // thread waits for its append), so the stream takes between 3·N/THREADS and 3·N steps after
    // the log is opened; crash at each of them.
    let first_step = {
        let probe = MemoryStore::new();
        drop(create(&probe));
        probe.next_step()
    };
    let last_step = first_step + 3 * THREADS * PER_THREAD;
    let mut crashes = 0;
    for crash_at in first_step..=last_step {
        let store = MemoryStore::new();
        let ledger = create(&store);
        store.set_faults(FaultPlan {
            crash_before_step: Some(crash_at),
            fail_step: None,
        });
        let (acked, last_cp) = append_stream(&ledger);
        drop(ledger);
        if store.crashed() {
            crashes += 1;
        } else {
            // Batching differs from run to run; crash now if the stream ended first.
            store.crash();
        }
        store.restart();

        let ledger = open(&store).unwrap_or_else(|e| panic!("crash at step {crash_at}: {e}"));
        let cp = ledger.signed_checkpoint().unwrap();
        for (index, data) in &acked {
            assert!(
                *index < cp.checkpoint().size,
                "crash at {crash_at}: entry {index} lost"
            );
            assert_eq!(&ledger.entry(*index).unwrap(), data, "crash at {crash_at}");
            let e = Entry::decode(data).unwrap();
            let found = ledger.find_by_id_hash(&e.document_id_hash).unwrap();
            assert_eq!(
                found.len(),
                1,
                "crash at {crash_at}: lookup of entry {index}"
            );
        }
        // The next checkpoint is consistent with the last acknowledged one.
        let next = ledger.append(&entry(99, crash_at)).unwrap();
        let next = SignedCheckpoint::parse(&next.checkpoint).unwrap();
        if let Some(old) = last_cp {
            let (o, n) = (old.checkpoint(), next.checkpoint());
            let proof = ledger.consistency_proof(o.size, n.size).unwrap();
            assert!(
                verify_consistency(o.size, n.size, &proof, &o.root, &n.root)
                    .unwrap()
                    .is_valid(),
                "crash at {crash_at}: checkpoints {} and {} inconsistent",
                o.size,
                n.size
            );
        }
    }
    eprintln!("{crashes} simulated crashes, steps {first_step}..={last_step}");
    assert!(crashes >= 20, "only {crashes} runs crashed");
}

#[test]
fn a_failed_write_fails_its_batch_only() {
    let store = MemoryStore::new();
    let ledger = create(&store);
    ledger.append(&entry(0, 0)).unwrap();
    // Fail the write step of the next batch.
    store.set_faults(FaultPlan {
        crash_before_step: None,
        fail_step: Some(store.next_step()),
    });
    assert!(matches!(
        ledger.append(&entry(0, 1)),
        Err(LedgerError::InjectedFault(_))
    ));
    let after = ledger.append(&entry(0, 2)).unwrap();
    assert_eq!(after.index, 1, "the failed entry must not hold an index");
    assert!(ledger
        .find_by_id_hash(&document_id_hash("doc-0-1"))
        .unwrap()
        .is_empty());
    assert_eq!(
        ledger
            .find_by_id_hash(&document_id_hash("doc-0-2"))
            .unwrap()
            .len(),
        1
    );
    drop(ledger);
    open(&store).unwrap();
}

#[test]
fn a_revision_hash_leads_to_every_event_of_its_document() {
    let store = MemoryStore::new();
    let ledger = create(&store);
    let mut appended = Vec::new();
    for i in 0..5 {
        let e = entry(0, i);
        appended.push((ledger.append(&e).unwrap().index, e));
    }
    // Document 2 revoked, under another revision hash: found through its id, not its hash.
    let mut revoked = entry(0, 2);
    revoked.kind = EntryKind::Revoked;
    revoked.revision_hash = [7; 32];
    revoked.reason = Some("cấp nhầm".into());
    let revoked_index = ledger.append(&revoked).unwrap().index;
    for (index, e) in &appended {
        let document = ledger.document_by_revision_hash(&e.revision_hash).unwrap();
        let by_id = ledger.find_by_id_hash(&e.document_id_hash).unwrap();
        let indices: Vec<u64> = document.iter().map(|f| f.index).collect();
        assert_eq!(indices, by_id.iter().map(|f| f.index).collect::<Vec<_>>());
        assert_eq!(document.first().map(|f| &f.entry), Some(e));
        if e.document_id_hash == revoked.document_id_hash {
            assert_eq!(indices, vec![*index, revoked_index]);
        } else {
            assert_eq!(indices, vec![*index]);
        }
        let proven = ledger.find_by_document_hash(&e.revision_hash).unwrap();
        assert_eq!(
            proven.iter().map(|f| f.index).collect::<Vec<_>>(),
            vec![*index]
        );
    }
    assert!(ledger
        .document_by_revision_hash(&document_id_hash("never issued"))
        .unwrap()
        .is_empty());
}

/// Proofs from a reader that remembers stored hashes (across many tree sizes, past tile
/// boundaries) are those a fresh reader computes from the tiles, and they verify.
#[test]
fn remembered_hashes_give_the_same_proofs_as_the_tiles() {
    use kyso::ledger::log::LogReader;
    use kyso::ledger::merkle::{leaf_hash, verify_inclusion};
    let store = MemoryStore::new();
    let ledger = create(&store);
    let mut leaves = Vec::new();
    let mut checkpoints = Vec::new();
    for i in 0..600u64 {
        let e = entry(1, i);
        leaves.push(leaf_hash(&e.encode().unwrap()));
        ledger.append(&e).unwrap();
        if !matches!(i, 0 | 1 | 254 | 255 | 256 | 299 | 511 | 512 | 599) {
            continue;
        }
        let cp = ledger.signed_checkpoint().unwrap();
        let body = cp.checkpoint().clone();
        let fresh = LogReader::open(&store, &options()).unwrap();
        for index in (0..body.size).step_by(37).chain([body.size - 1]) {
            let remembered = ledger.inclusion_proof(index, body.size).unwrap();
            assert_eq!(remembered, fresh.inclusion_proof(index, body.size).unwrap());
            let leaf = leaves.get(index as usize).unwrap();
            assert!(
                verify_inclusion(index, body.size, leaf, &remembered, &body.root)
                    .unwrap()
                    .is_valid(),
                "entry {index} in the tree of {}",
                body.size
            );
        }
        for old in &checkpoints {
            let old: &kyso::ledger::checkpoint::Checkpoint = old;
            let proof = ledger.consistency_proof(old.size, body.size).unwrap();
            assert_eq!(proof, fresh.consistency_proof(old.size, body.size).unwrap());
            assert!(
                verify_consistency(old.size, body.size, &proof, &old.root, &body.root)
                    .unwrap()
                    .is_valid()
            );
        }
        checkpoints.push(body);
    }
}

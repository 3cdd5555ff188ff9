//! Log identity and the restored-backup guard: a store restored behind its last published
//! checkpoint is refused at open with a message, as is a store of another origin or key, a
//! store whose tree was rewritten, and a second `create` on an existing log.

use std::path::Path;

use kyso::ledger::entry::{document_id_hash, Entry, EntryKind};
use kyso::ledger::log::{Ledger, LedgerOptions};
use kyso::ledger::memory::MemoryStore;
use kyso::ledger::note::Ed25519Signer;
use kyso::ledger::sqlite::{SqliteConnect, SqlitePublished};
use kyso::ledger::LedgerError;

const ORIGIN: &str = "test.kyso.example/identity";

fn signer(origin: &str, seed: u8) -> Ed25519Signer {
    Ed25519Signer::from_seed(origin, [seed; 32]).unwrap()
}

fn entry(i: u64) -> Entry {
    Entry {
        kind: EntryKind::Issued,
        document_id_hash: document_id_hash(&format!("doc-{i}")),
        revision_hash: document_id_hash(&format!("rev-{i}")),
        signer_cert_sha256: [2u8; 32],
        time: 1_780_000_000,
        agency: "Sở Nội vụ".into(),
        document_number: format!("{i}/QĐ"),
        document_kind: "Quyết định".into(),
        reason: None,
        superseded_by: None,
    }
}

fn published(dir: &Path) -> Box<SqlitePublished> {
    Box::new(SqlitePublished::open(&dir.join("published.sqlite")).unwrap())
}

fn open_sqlite(dir: &Path, origin: &str, seed: u8) -> Result<Ledger, LedgerError> {
    Ledger::open(
        &SqliteConnect::new(dir.join("ledger.sqlite")),
        published(dir),
        signer(origin, seed),
        Some(origin),
        LedgerOptions::default(),
    )
}

/// A new in-memory log of `ORIGIN` under key seed 1, publishing into the store's own record.
fn create_memory(store: &MemoryStore) -> Ledger {
    Ledger::create(
        store,
        Box::new(store.published()),
        ORIGIN,
        signer(ORIGIN, 1),
        LedgerOptions::default(),
    )
    .unwrap()
}

/// Opening `store` against the published record of `published` (key seed 1, any origin),
/// which must be refused; the reason.
fn refused_open(store: &MemoryStore, published: &MemoryStore) -> LedgerError {
    Ledger::open(
        store,
        Box::new(published.published()),
        signer(ORIGIN, 1),
        None,
        LedgerOptions::default(),
    )
    .err()
    .expect("must be refused")
}

#[test]
fn sqlite_store_restored_behind_published_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let backup = dir.path().join("backup.sqlite");
    {
        let ledger = Ledger::create(
            &SqliteConnect::new(&db),
            published(dir.path()),
            ORIGIN,
            signer(ORIGIN, 1),
            LedgerOptions::default(),
        )
        .unwrap();
        for i in 0..5 {
            ledger.append(&entry(i)).unwrap();
        }
    }
    // A consistent copy of the database, as a backup tool would take it.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
        .unwrap();
    {
        let ledger = open_sqlite(dir.path(), ORIGIN, 1).unwrap();
        for i in 5..9 {
            ledger.append(&entry(i)).unwrap();
        }
    }
    // Restore the old backup over the live database.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(&backup, &db).unwrap();
    let err = open_sqlite(dir.path(), ORIGIN, 1)
        .err()
        .expect("must be refused");
    assert_eq!(
        err,
        LedgerError::BehindPublished {
            store_size: 5,
            published_size: 9
        }
    );
    let message = err.to_string();
    assert!(message.contains("behind"), "{message}");
    assert!(message.contains("fork"), "{message}");
}

#[test]
fn memory_store_restored_behind_published_is_refused_and_ahead_is_accepted() {
    let store = MemoryStore::new();
    let ledger = create_memory(&store);
    ledger.append(&entry(0)).unwrap();
    let backup = store.backup();
    ledger.append(&entry(1)).unwrap();
    drop(ledger);
    store.restore(backup);
    let err = refused_open(&store, &store);
    assert!(
        matches!(
            err,
            LedgerError::BehindPublished {
                store_size: 1,
                published_size: 2
            }
        ),
        "{err}"
    );
}

#[test]
fn rewritten_history_of_the_published_size_is_refused() {
    // Two logs with the same origin and key but different entries: the second store, opened
    // against the first one's published record, holds another tree of the published size.
    let a = MemoryStore::new();
    let b = MemoryStore::new();
    for (store, first) in [(&a, 0u64), (&b, 100u64)] {
        let l = create_memory(store);
        if first == 0 {
            l.append(&entry(first)).unwrap();
            l.append(&entry(first + 1)).unwrap();
        } else {
            for i in 0..3 {
                l.append(&entry(first + i)).unwrap();
            }
        }
    }
    let err = refused_open(&b, &a);
    assert!(
        matches!(err, LedgerError::ForkedFromPublished { .. }),
        "{err}"
    );
}

#[test]
fn another_origin_or_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(
        Ledger::create(
            &SqliteConnect::new(dir.path().join("ledger.sqlite")),
            published(dir.path()),
            ORIGIN,
            signer(ORIGIN, 1),
            LedgerOptions::default(),
        )
        .unwrap(),
    );
    let other = "test.kyso.example/other";
    let err = open_sqlite(dir.path(), other, 1).err().expect("refused");
    assert!(matches!(err, LedgerError::OriginMismatch { .. }), "{err}");
    assert!(err.to_string().contains(ORIGIN));
    let err = open_sqlite(dir.path(), ORIGIN, 2).err().expect("refused");
    assert!(matches!(err, LedgerError::KeyMismatch { .. }), "{err}");
    // Creating again over an existing log is refused too.
    let err = Ledger::create(
        &SqliteConnect::new(dir.path().join("ledger.sqlite")),
        published(dir.path()),
        ORIGIN,
        signer(ORIGIN, 1),
        LedgerOptions::default(),
    )
    .err()
    .expect("refused");
    assert_eq!(err, LedgerError::LogExists);
    // And the right identity opens.
    open_sqlite(dir.path(), ORIGIN, 1).unwrap();
}

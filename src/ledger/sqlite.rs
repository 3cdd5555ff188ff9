//! SQLite backend: the embedded default.
//!
//! WAL journal with `synchronous=FULL`, so a commit returns after the WAL is fsynced; readers
//! never block the writer. Sequencing uses `BEGIN IMMEDIATE`, which takes SQLite's single write
//! lock before the tree size is read: two processes on one file queue on that lock (waiting up to
//! [`BUSY_TIMEOUT`]) instead of both sequencing from the same size.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::error::LedgerError;
use super::store::{
    check_batch, CommitBatch, Connect, LedgerStore, LogIdentity, PublishedCheckpoint, SequenceTx,
    TileKey, TileLevel, TreeState,
};

/// How long a connection waits for another process's write lock. A sequencing transaction
/// holds it for one batch (milliseconds); a WAL checkpoint of a large log can take seconds, so
/// the wait is generous before an append reports the store as busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache of each ledger connection, in KiB (SQLite's default is 2 MiB). The lookup index
/// takes random keys, so each batch dirties pages all over it; 64 MiB keeps the index of a few
/// million entries and the rightmost tiles in memory, and stays a fixed bound whatever the
/// log's size.
const CACHE_KIB: i64 = 64 * 1024;

/// WAL size, in pages, that triggers a checkpoint into the database file (SQLite's default is
/// 1,000 pages, 4 MiB). Each batch rewrites many of the same index pages; with a 64 MiB WAL a
/// checkpoint copies the latest version of a page once for several batches instead of once per
/// batch, which measured 20–40 % more appends per second. The WAL is reset after a checkpoint,
/// so this also bounds its size on disk between batches.
const WAL_CHECKPOINT_PAGES: i64 = 16 * 1024;

/// Highest hash-tile level a store accepts: tile level 7 covers tree level 56, beyond any
/// 64-bit tree size's use; the bound keeps the packed tile row id within an `i64`.
const MAX_TILE_LEVEL: u8 = 15;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    verifier_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tree_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    checkpoint BLOB NOT NULL
);
-- id packs (level + 1) << 56 | index: one integer key keeps tile rows in the table b-tree.
CREATE TABLE IF NOT EXISTS tiles (
    id INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS lookup (
    key INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID;
";

/// Opens connections to one SQLite file.
#[derive(Clone, Debug)]
pub struct SqliteConnect {
    path: PathBuf,
}

impl SqliteConnect {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteConnect { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Connect for SqliteConnect {
    fn connect(&self) -> Result<Box<dyn LedgerStore>, LedgerError> {
        Ok(Box::new(SqliteStore::open(&self.path)?))
    }
}

/// One connection to a SQLite ledger file.
pub struct SqliteStore {
    conn: Connection,
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Storage(format!("sqlite: {e}"))
    }
}

/// The indexes under one lookup key, oldest first; run once per verification.
const LOOKUP_SQL: &str = "SELECT idx FROM lookup WHERE key = ?1 ORDER BY idx LIMIT ?2";

fn configure(conn: &Connection) -> Result<(), LedgerError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Without the query planner stability guarantee SQLite re-prepares a statement whose
    // `LIMIT ?` is bound again, on every lookup; the plans here never depend on the values.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if absent) the SQLite file and its schema.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        Ok(SqliteStore { conn })
    }
}

fn tile_row_id(key: TileKey) -> Result<i64, LedgerError> {
    let level = match key.level {
        TileLevel::Entries => 0i64,
        TileLevel::Hashes(l) if l <= MAX_TILE_LEVEL => i64::from(l) + 1,
        TileLevel::Hashes(l) => return Err(LedgerError::Tile(format!("level {l} out of range"))),
    };
    if key.index >= 1 << 56 {
        return Err(LedgerError::Tile(format!(
            "index {} out of range",
            key.index
        )));
    }
    let index = i64::try_from(key.index)
        .map_err(|_| LedgerError::Tile(format!("index {} out of range", key.index)))?;
    Ok(level << 56 | index)
}

fn to_i64(v: u64) -> Result<i64, LedgerError> {
    i64::try_from(v).map_err(|_| LedgerError::StoreCorrupt(format!("value {v} exceeds i64")))
}

fn to_u64(v: i64) -> Result<u64, LedgerError> {
    u64::try_from(v).map_err(|_| LedgerError::StoreCorrupt(format!("negative value {v}")))
}

fn read_state(conn: &Connection) -> Result<TreeState, LedgerError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT size, checkpoint FROM tree_state WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (size, checkpoint) = row.ok_or(LedgerError::NoLog)?;
    Ok(TreeState {
        size: to_u64(size)?,
        checkpoint,
    })
}

fn read_tile(conn: &Connection, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
    Ok(conn
        .prepare_cached("SELECT data FROM tiles WHERE id = ?1")?
        .query_row([tile_row_id(key)?], |r| r.get(0))
        .optional()?)
}

impl LedgerStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn identity(&mut self) -> Result<Option<LogIdentity>, LedgerError> {
        Ok(self
            .conn
            .prepare_cached("SELECT origin, verifier_key FROM log_identity WHERE id = 1")?
            .query_row([], |r| {
                Ok(LogIdentity {
                    origin: r.get(0)?,
                    verifier_key: r.get(1)?,
                })
            })
            .optional()?)
    }

    fn create(&mut self, identity: &LogIdentity, checkpoint: &[u8]) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM log_identity WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            return Err(LedgerError::LogExists);
        }
        tx.execute(
            "INSERT INTO log_identity (id, origin, verifier_key) VALUES (1, ?1, ?2)",
            params![identity.origin, identity.verifier_key],
        )?;
        tx.execute(
            "INSERT INTO tree_state (id, size, checkpoint) VALUES (1, 0, ?1)",
            params![checkpoint],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn state(&mut self) -> Result<TreeState, LedgerError> {
        read_state(&self.conn)
    }

    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
        read_tile(&self.conn, key)
    }

    fn lookup(&mut self, key: i64, limit: usize) -> Result<Vec<u64>, LedgerError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(LOOKUP_SQL)?;
        let rows = stmt.query_map(params![key, limit], |r| r.get::<_, i64>(0))?;
        rows.map(|r| to_u64(r?)).collect()
    }

    fn sequence(&mut self) -> Result<Box<dyn SequenceTx + '_>, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }
}

struct SqliteTx<'c> {
    tx: Transaction<'c>,
}

impl SequenceTx for SqliteTx<'_> {
    fn state(&mut self) -> Result<TreeState, LedgerError> {
        read_state(&self.tx)
    }

    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
        read_tile(&self.tx, key)
    }

    fn commit(self: Box<Self>, batch: &CommitBatch) -> Result<(), LedgerError> {
        let current = read_state(&self.tx)?.size;
        check_batch(current, batch)?;
        {
            let mut put_tile = self.tx.prepare_cached(
                "INSERT INTO tiles (id, data) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            )?;
            for (key, data) in &batch.tiles {
                put_tile.execute(params![tile_row_id(*key)?, data])?;
            }
            let mut put_key = self
                .tx
                .prepare_cached("INSERT OR IGNORE INTO lookup (key, idx) VALUES (?1, ?2)")?;
            for (key, idx) in &batch.lookup {
                put_key.execute(params![key, to_i64(*idx)?])?;
            }
            self.tx.execute(
                "UPDATE tree_state SET size = ?1, checkpoint = ?2 WHERE id = 1",
                params![to_i64(batch.new_size)?, batch.checkpoint],
            )?;
        }
        self.tx.commit()?;
        Ok(())
    }
}

/// The published checkpoint in its own small SQLite file (by default `published.sqlite` next to
/// the ledger file): a restore of the ledger file from a backup leaves it untouched, so the
/// restored, older tree is detected at open. It has its own WAL and `synchronous=FULL`.
pub struct SqlitePublished {
    conn: Connection,
}

impl SqlitePublished {
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let conn = Connection::open(path)?;
        configure(&conn)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS published (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                size INTEGER NOT NULL,
                checkpoint BLOB NOT NULL
            );",
        )?;
        Ok(SqlitePublished { conn })
    }
}

impl PublishedCheckpoint for SqlitePublished {
    fn read(&mut self) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self
            .conn
            .prepare_cached("SELECT checkpoint FROM published WHERE id = 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    fn publish(&mut self, size: u64, checkpoint: &[u8]) -> Result<(), LedgerError> {
        self.conn
            .prepare_cached(
                "INSERT INTO published (id, size, checkpoint) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET size = excluded.size, \
                 checkpoint = excluded.checkpoint WHERE excluded.size > published.size",
            )?
            .execute(params![to_i64(size)?, checkpoint])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    fn identity() -> LogIdentity {
        LogIdentity {
            origin: "test.kyso.example/sqlite".into(),
            verifier_key: "k".into(),
        }
    }

    #[test]
    fn commit_is_visible_after_reopen_and_stale_commits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.identity().unwrap(), None);
        assert!(matches!(store.state(), Err(LedgerError::NoLog)));
        store.create(&identity(), b"cp0").unwrap();
        assert!(matches!(
            store.create(&identity(), b"cp0"),
            Err(LedgerError::LogExists)
        ));
        let key = TileKey {
            level: TileLevel::Hashes(1),
            index: 7,
        };
        let batch = CommitBatch {
            old_size: 0,
            new_size: 2,
            tiles: vec![(key, vec![1; 64])],
            lookup: vec![(-5, 1), (-5, 0), (9, 1)],
            checkpoint: b"cp2".to_vec(),
        };
        store.sequence().unwrap().commit(&batch).unwrap();
        // Rolled back: a transaction dropped without commit changes nothing.
        drop(store.sequence().unwrap());
        let stale = store.sequence().unwrap().commit(&batch).unwrap_err();
        assert!(matches!(stale, LedgerError::ConcurrentSequencing { .. }));
        drop(store);
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.identity().unwrap(), Some(identity()));
        assert_eq!(
            store.state().unwrap(),
            TreeState {
                size: 2,
                checkpoint: b"cp2".to_vec()
            }
        );
        assert_eq!(store.tile(key).unwrap(), Some(vec![1; 64]));
        assert_eq!(store.lookup(-5, 10).unwrap(), vec![0, 1]);
        assert_eq!(store.lookup(-5, 1).unwrap(), vec![0]);
        assert!(store.lookup(4, 10).unwrap().is_empty());
    }

    #[test]
    fn the_cached_lookup_is_not_prepared_again_on_each_call() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("l.sqlite")).unwrap();
        store.create(&identity(), b"cp0").unwrap();
        for limit in [10, 10, 1, 10] {
            store.lookup(3, limit).unwrap();
        }
        let cached = store.conn.prepare_cached(LOOKUP_SQL).unwrap();
        assert_eq!(cached.get_status(StatementStatus::RePrepare), 0);
    }

    #[test]
    fn tile_ids_are_bounded() {
        let ok = TileKey {
            level: TileLevel::Entries,
            index: (1 << 56) - 1,
        };
        assert!(tile_row_id(ok).is_ok());
        let too_far = TileKey {
            level: TileLevel::Entries,
            index: 1 << 56,
        };
        assert!(tile_row_id(too_far).is_err());
        let too_high = TileKey {
            level: TileLevel::Hashes(16),
            index: 0,
        };
        assert!(tile_row_id(too_high).is_err());
        let distinct = [
            TileKey {
                level: TileLevel::Entries,
                index: 3,
            },
            TileKey {
                level: TileLevel::Hashes(0),
                index: 3,
            },
            TileKey {
                level: TileLevel::Hashes(1),
                index: 3,
            },
        ]
        .map(|k| tile_row_id(k).unwrap());
        assert!(distinct[0] != distinct[1] && distinct[1] != distinct[2]);
    }
}

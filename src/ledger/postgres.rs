//! PostgreSQL backend, for several kyso replicas sharing one log.
//!
//! Sequencing takes a row lock (`SELECT … FOR UPDATE`) on the single tree-state row at the start
//! of the transaction: a second replica's sequencing transaction waits on that row until the
//! first commits, then reads the new size. Every session sets `synchronous_commit = on`, so a
//! commit returns after its WAL record is flushed. Batches are written with one `UNNEST`
//! statement per table, keeping a batch to a handful of round trips.

use postgres::{Client, NoTls, Transaction};

use super::error::LedgerError;
use super::store::{
    check_batch, CommitBatch, Connect, LedgerStore, LogIdentity, SequenceTx, TileKey, TreeState,
};

/// Advisory lock key that serializes schema creation and log creation across replicas
/// (`CREATE TABLE IF NOT EXISTS` alone races in PostgreSQL). ASCII "kysoldgr".
const SCHEMA_LOCK: i64 = 0x6b79_736f_6c64_6772;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kyso_log_identity (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    verifier_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kyso_tree_state (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    checkpoint BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS kyso_tiles (
    level SMALLINT NOT NULL,
    idx BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS kyso_lookup (
    key BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (key, idx)
);
";

impl From<postgres::Error> for LedgerError {
    fn from(e: postgres::Error) -> Self {
        LedgerError::Storage(format!("postgres: {e}"))
    }
}

/// Opens connections to one PostgreSQL database (`postgres://user@host:port/db`).
#[derive(Clone, Debug)]
pub struct PostgresConnect {
    url: String,
}

impl PostgresConnect {
    pub fn new(url: impl Into<String>) -> Self {
        PostgresConnect { url: url.into() }
    }
}

impl Connect for PostgresConnect {
    fn connect(&self) -> Result<Box<dyn LedgerStore>, LedgerError> {
        Ok(Box::new(PostgresStore::open(&self.url)?))
    }
}

/// One connection to a PostgreSQL ledger.
pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    /// Connects and creates the schema if absent.
    pub fn open(url: &str) -> Result<Self, LedgerError> {
        let mut client = Client::connect(url, NoTls)?;
        client.batch_execute("SET synchronous_commit = on")?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
        tx.batch_execute(SCHEMA)?;
        tx.commit()?;
        Ok(PostgresStore { client })
    }
}

fn to_i64(v: u64) -> Result<i64, LedgerError> {
    i64::try_from(v).map_err(|_| LedgerError::StoreCorrupt(format!("value {v} exceeds i64")))
}

fn to_u64(v: i64) -> Result<u64, LedgerError> {
    u64::try_from(v).map_err(|_| LedgerError::StoreCorrupt(format!("negative value {v}")))
}

fn read_state(
    client: &mut impl postgres::GenericClient,
    lock: bool,
) -> Result<TreeState, LedgerError> {
    let sql = if lock {
        "SELECT size, checkpoint FROM kyso_tree_state WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT size, checkpoint FROM kyso_tree_state WHERE id = 1"
    };
    let row = client.query_opt(sql, &[])?.ok_or(LedgerError::NoLog)?;
    Ok(TreeState {
        size: to_u64(row.try_get(0)?)?,
        checkpoint: row.try_get(1)?,
    })
}

fn read_tile(
    client: &mut impl postgres::GenericClient,
    key: TileKey,
) -> Result<Option<Vec<u8>>, LedgerError> {
    let row = client.query_opt(
        "SELECT data FROM kyso_tiles WHERE level = $1 AND idx = $2",
        &[&key.level.to_db(), &to_i64(key.index)?],
    )?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

impl LedgerStore for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn identity(&mut self) -> Result<Option<LogIdentity>, LedgerError> {
        let row = self.client.query_opt(
            "SELECT origin, verifier_key FROM kyso_log_identity WHERE id = 1",
            &[],
        )?;
        Ok(match row {
            Some(r) => Some(LogIdentity {
                origin: r.try_get(0)?,
                verifier_key: r.try_get(1)?,
            }),
            None => None,
        })
    }

    fn create(&mut self, identity: &LogIdentity, checkpoint: &[u8]) -> Result<(), LedgerError> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
        if tx
            .query_opt("SELECT id FROM kyso_log_identity WHERE id = 1", &[])?
            .is_some()
        {
            return Err(LedgerError::LogExists);
        }
        tx.execute(
            "INSERT INTO kyso_log_identity (id, origin, verifier_key) VALUES (1, $1, $2)",
            &[&identity.origin, &identity.verifier_key],
        )?;
        tx.execute(
            "INSERT INTO kyso_tree_state (id, size, checkpoint) VALUES (1, 0, $1)",
            &[&checkpoint],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn state(&mut self) -> Result<TreeState, LedgerError> {
        read_state(&mut self.client, false)
    }

    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
        read_tile(&mut self.client, key)
    }

    fn lookup(&mut self, key: i64, limit: usize) -> Result<Vec<u64>, LedgerError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.client.query(
            "SELECT idx FROM kyso_lookup WHERE key = $1 ORDER BY idx LIMIT $2",
            &[&key, &limit],
        )?;
        rows.iter().map(|r| to_u64(r.try_get(0)?)).collect()
    }

    fn sequence(&mut self) -> Result<Box<dyn SequenceTx + '_>, LedgerError> {
        let mut tx = self.client.transaction()?;
        let state = read_state(&mut tx, true)?;
        Ok(Box::new(PostgresTx { tx, state }))
    }
}

struct PostgresTx<'c> {
    tx: Transaction<'c>,
    /// Read with `FOR UPDATE` when the transaction began; the row stays locked until commit.
    state: TreeState,
}

impl SequenceTx for PostgresTx<'_> {
    fn state(&mut self) -> Result<TreeState, LedgerError> {
        Ok(self.state.clone())
    }

    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
        read_tile(&mut self.tx, key)
    }

    fn commit(mut self: Box<Self>, batch: &CommitBatch) -> Result<(), LedgerError> {
        check_batch(self.state.size, batch)?;
        let mut levels: Vec<i16> = Vec::with_capacity(batch.tiles.len());
        let mut indices: Vec<i64> = Vec::with_capacity(batch.tiles.len());
        let mut data: Vec<&[u8]> = Vec::with_capacity(batch.tiles.len());
        for (key, bytes) in &batch.tiles {
            levels.push(key.level.to_db());
            indices.push(to_i64(key.index)?);
            data.push(bytes);
        }
        self.tx.execute(
            "INSERT INTO kyso_tiles (level, idx, data) \
             SELECT * FROM UNNEST($1::smallint[], $2::bigint[], $3::bytea[]) \
             ON CONFLICT (level, idx) DO UPDATE SET data = EXCLUDED.data",
            &[&levels, &indices, &data],
        )?;
        let keys: Vec<i64> = batch.lookup.iter().map(|(k, _)| *k).collect();
        let idxs = batch
            .lookup
            .iter()
            .map(|(_, i)| to_i64(*i))
            .collect::<Result<Vec<i64>, _>>()?;
        self.tx.execute(
            "INSERT INTO kyso_lookup (key, idx) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
            &[&keys, &idxs],
        )?;
        self.tx.execute(
            "UPDATE kyso_tree_state SET size = $1, checkpoint = $2 WHERE id = 1",
            &[&to_i64(batch.new_size)?, &batch.checkpoint],
        )?;
        self.tx.commit()?;
        Ok(())
    }
}

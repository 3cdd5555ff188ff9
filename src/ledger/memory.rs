//! In-memory store with fault injection, for tests of the durability contract.
//!
//! It models a disk with a volatile cache: a commit is two steps, *write* (the batch becomes
//! visible to readers, like data in the OS page cache) and *sync* (it becomes durable). Publishing
//! a checkpoint is a third kind of step. A [`FaultPlan`] numbers every step from 0 across all
//! handles of one store and can simulate a crash just before step `n` (every write not yet synced
//! is lost; every later call fails with [`LedgerError::SimulatedCrash`] until
//! [`MemoryStore::restart`]), or make step `n` fail with an I/O error (the transaction is rolled
//! back, the process goes on).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::error::LedgerError;
use super::store::{
    check_batch, CommitBatch, Connect, LedgerStore, LogIdentity, PublishedCheckpoint, SequenceTx,
    TileKey, TreeState,
};

/// The content of a memory store at one moment; also what a simulated backup holds.
#[derive(Clone, Debug, Default)]
pub struct MemorySnapshot {
    identity: Option<LogIdentity>,
    state: Option<TreeState>,
    tiles: BTreeMap<TileKey, Vec<u8>>,
    lookup: BTreeSet<(i64, u64)>,
}

/// When to inject a fault, by step number (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Crash just before this step runs.
    pub crash_before_step: Option<u64>,
    /// Make this step fail (rolled back, no crash).
    pub fail_step: Option<u64>,
}

#[derive(Default)]
struct Shared {
    durable: MemorySnapshot,
    visible: MemorySnapshot,
    published: Option<(u64, Vec<u8>)>,
    next_step: u64,
    plan: FaultPlan,
    crashed: bool,
}

impl Shared {
    fn alive(&self) -> Result<(), LedgerError> {
        if self.crashed {
            Err(LedgerError::SimulatedCrash)
        } else {
            Ok(())
        }
    }

    /// Runs the fault plan for the next step.
    fn step(&mut self) -> Result<(), LedgerError> {
        self.alive()?;
        let n = self.next_step;
        self.next_step = n.saturating_add(1);
        if self.plan.crash_before_step == Some(n) {
            self.crashed = true;
            self.visible = self.durable.clone();
            return Err(LedgerError::SimulatedCrash);
        }
        if self.plan.fail_step == Some(n) {
            self.visible = self.durable.clone();
            return Err(LedgerError::InjectedFault(n));
        }
        Ok(())
    }
}

/// A handle on an in-memory store; clones share the same store (like connections to one file).
#[derive(Clone, Default)]
pub struct MemoryStore {
    shared: Arc<Mutex<Shared>>,
    sequencing: Arc<Mutex<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the fault plan; steps keep their numbering.
    pub fn set_faults(&self, plan: FaultPlan) {
        lock(&self.shared).plan = plan;
    }

    /// Number of the next step.
    pub fn next_step(&self) -> u64 {
        lock(&self.shared).next_step
    }

    /// Whether a simulated crash happened and no restart followed.
    pub fn crashed(&self) -> bool {
        lock(&self.shared).crashed
    }

    /// Simulates a crash now: everything not synced is lost.
    pub fn crash(&self) {
        let mut s = lock(&self.shared);
        s.crashed = true;
        s.visible = s.durable.clone();
    }

    /// Restarts after a crash: the durable content is what remains; faults are cleared.
    pub fn restart(&self) {
        let mut s = lock(&self.shared);
        s.crashed = false;
        s.visible = s.durable.clone();
        s.plan = FaultPlan::default();
    }

    /// A copy of the durable content, like a backup of the database files.
    pub fn backup(&self) -> MemorySnapshot {
        lock(&self.shared).durable.clone()
    }

    /// Replaces the store's content by a backup; the published checkpoint is kept apart and
    /// is not restored.
    pub fn restore(&self, snapshot: MemorySnapshot) {
        let mut s = lock(&self.shared);
        s.durable = snapshot.clone();
        s.visible = snapshot;
    }

    /// The published-checkpoint record of this store, kept apart from its tree.
    pub fn published(&self) -> MemoryPublished {
        MemoryPublished {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Connect for MemoryStore {
    fn connect(&self) -> Result<Box<dyn LedgerStore>, LedgerError> {
        Ok(Box::new(self.clone()))
    }
}

fn state_of(snapshot: &MemorySnapshot) -> Result<TreeState, LedgerError> {
    snapshot.state.clone().ok_or(LedgerError::NoLog)
}

impl LedgerStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn identity(&mut self) -> Result<Option<LogIdentity>, LedgerError> {
        let s = lock(&self.shared);
        s.alive()?;
        Ok(s.visible.identity.clone())
    }

    fn create(&mut self, identity: &LogIdentity, checkpoint: &[u8]) -> Result<(), LedgerError> {
        let _seq = lock(&self.sequencing);
        let mut s = lock(&self.shared);
        s.alive()?;
        if s.visible.identity.is_some() {
            return Err(LedgerError::LogExists);
        }
        s.step()?;
        s.visible.identity = Some(identity.clone());
        s.visible.state = Some(TreeState {
            size: 0,
            checkpoint: checkpoint.to_vec(),
        });
        s.step()?;
        s.durable = s.visible.clone();
        Ok(())
    }

    fn state(&mut self) -> Result<TreeState, LedgerError> {
        let s = lock(&self.shared);
        s.alive()?;
        state_of(&s.visible)
    }

    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
        let s = lock(&self.shared);
        s.alive()?;
        Ok(s.visible.tiles.get(&key).cloned())
    }

    fn lookup(&mut self, key: i64, limit: usize) -> Result<Vec<u64>, LedgerError> {
        let s = lock(&self.shared);
        s.alive()?;
        Ok(s.visible
            .lookup
            .range((key, 0)..=(key, u64::MAX))
            .map(|(_, idx)| *idx)
            .take(limit)
            .collect())
    }

    fn sequence(&mut self) -> Result<Box<dyn SequenceTx + '_>, LedgerError> {
        let guard = lock(&self.sequencing);
        lock(&self.shared).alive()?;
        Ok(Box::new(MemoryTx {
            shared: &self.shared,
            _sequencing: guard,
        }))
    }
}

struct MemoryTx<'a> {
    shared: &'a Mutex<Shared>,
    _sequencing: MutexGuard<'a, ()>,
}

impl SequenceTx for MemoryTx<'_> {
    fn state(&mut self) -> Result<TreeState, LedgerError> {
        let s = lock(self.shared);
        s.alive()?;
        state_of(&s.visible)
    }

    fn tile(&mut self, key: TileKey) -> Result<Option<Vec<u8>>, LedgerError> {
        let s = lock(self.shared);
        s.alive()?;
        Ok(s.visible.tiles.get(&key).cloned())
    }

    fn commit(self: Box<Self>, batch: &CommitBatch) -> Result<(), LedgerError> {
        let mut s = lock(self.shared);
        s.alive()?;
        check_batch(state_of(&s.visible)?.size, batch)?;
        s.step()?;
        for (key, data) in &batch.tiles {
            s.visible.tiles.insert(*key, data.clone());
        }
        for pair in &batch.lookup {
            s.visible.lookup.insert(*pair);
        }
        s.visible.state = Some(TreeState {
            size: batch.new_size,
            checkpoint: batch.checkpoint.clone(),
        });
        s.step()?;
        s.durable = s.visible.clone();
        Ok(())
    }
}

/// The published checkpoint of a [`MemoryStore`]; publishing is one step of its fault plan.
pub struct MemoryPublished {
    shared: Arc<Mutex<Shared>>,
}

impl PublishedCheckpoint for MemoryPublished {
    fn read(&mut self) -> Result<Option<Vec<u8>>, LedgerError> {
        let s = lock(&self.shared);
        s.alive()?;
        Ok(s.published.as_ref().map(|(_, c)| c.clone()))
    }

    fn publish(&mut self, size: u64, checkpoint: &[u8]) -> Result<(), LedgerError> {
        let mut s = lock(&self.shared);
        s.step()?;
        if s.published.as_ref().is_none_or(|(old, _)| *old < size) {
            s.published = Some((size, checkpoint.to_vec()));
        }
        Ok(())
    }
}

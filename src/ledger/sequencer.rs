//! The sequencer: group commit of appends.
//!
//! Appends queue on a channel to one thread that owns a store connection. It takes the first
//! waiting request, then keeps collecting until the batch holds [`SequencerConfig::max_entries`]
//! entries or [`SequencerConfig::max_delay`] has passed, and then, in ONE sequencing transaction
//! (see [`super::store`]): reads the tree size under the store's lock, assigns indices, computes
//! the new tiles and the root ([`super::tile_edge`]), signs the checkpoint of the new size and
//! commits all of it with one sync. It then records the checkpoint as published and only then
//! answers the batch's callers. So an `append` returns only when its entry is durable and covered
//! by a signed, published checkpoint; if anything fails, the whole batch gets the error and none
//! of it was acknowledged (entries committed before a failed publish are durable and will be
//! covered by the next checkpoint, but their callers were told it failed: a retry appends them
//! again, which a log of events tolerates).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::error::LedgerError;
use super::merkle::Hash;
use super::store::{CommitBatch, LedgerStore, PublishedCheckpoint};
use super::tile::MAX_BUNDLE_ENTRY;
use super::tile_edge::TileEdge;

/// Default batch size limit. One batch of 4,096 entries of a few hundred bytes is about 1 MB of
/// bundles and 16 full level-0 tiles: small enough for one transaction, large enough that one
/// sync per batch allows far more than the target of 50,000 appends per second.
pub const DEFAULT_MAX_BATCH_ENTRIES: usize = 4096;

/// Default time the sequencer waits for more appends once one is queued. A sync costs about half
/// a millisecond on local SSDs and a signature of a decision about 0.2 ms, so 2 ms lets the
/// appends of concurrent signing requests join one batch while adding latency far below an HTTP
/// round trip. Appends queued while a batch commits join the next one without waiting.
pub const DEFAULT_MAX_BATCH_DELAY: Duration = Duration::from_millis(2);

/// Group-commit parameters.
#[derive(Clone, Copy, Debug)]
pub struct SequencerConfig {
    /// A batch stops collecting once it holds at least this many entries (a single request is
    /// never split, so a batch can exceed it by one request).
    pub max_entries: usize,
    /// A batch stops collecting this long after its first request arrived.
    pub max_delay: Duration,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            max_entries: DEFAULT_MAX_BATCH_ENTRIES,
            max_delay: DEFAULT_MAX_BATCH_DELAY,
        }
    }
}

/// An entry to append, already encoded, with its lookup keys ([`super::store::lookup_key`]).
#[derive(Clone, Debug)]
pub struct PendingEntry {
    pub data: Vec<u8>,
    pub lookup: Vec<i64>,
}

/// What an acknowledged append request gets back.
#[derive(Clone, Debug)]
pub struct Acknowledged {
    /// Index of the request's first entry; the others follow contiguously.
    pub first_index: u64,
    /// Number of entries of the request.
    pub count: u64,
    /// The signed checkpoint that covers them (its size is above their indices).
    pub checkpoint: Arc<Vec<u8>>,
}

/// Signs the checkpoint of a tree of `size` leaves with root `root`, returning the note text.
pub type CheckpointSigner = Box<dyn Fn(u64, &Hash) -> Result<Vec<u8>, LedgerError> + Send>;

struct Request {
    entries: Vec<PendingEntry>,
    reply: Sender<Result<Acknowledged, LedgerError>>,
}

/// Handle on the sequencer thread; dropping it finishes the queued batches and stops the thread.
pub struct Sequencer {
    queue: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl Sequencer {
    /// Starts the sequencer thread on its own store connection.
    pub fn start(
        store: Box<dyn LedgerStore>,
        published: Box<dyn PublishedCheckpoint>,
        signer: CheckpointSigner,
        config: SequencerConfig,
    ) -> Result<Self, LedgerError> {
        let (queue, rx) = mpsc::channel();
        let mut worker = Worker {
            store,
            published,
            signer,
            config,
            edge: None,
        };
        let thread = std::thread::Builder::new()
            .name("kyso-ledger-sequencer".into())
            .spawn(move || worker.run(&rx))
            .map_err(|e| LedgerError::Storage(format!("cannot start the sequencer thread: {e}")))?;
        Ok(Sequencer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Appends entries (contiguous indices, one batch) and waits until they are durable and
    /// covered by a signed checkpoint.
    pub fn append(&self, entries: Vec<PendingEntry>) -> Result<Acknowledged, LedgerError> {
        if let Some(e) = entries.iter().find(|e| e.data.len() > MAX_BUNDLE_ENTRY) {
            return Err(LedgerError::Entry(format!(
                "{} bytes exceed the {MAX_BUNDLE_ENTRY}-byte bundle limit",
                e.data.len()
            )));
        }
        if entries.is_empty() {
            return Err(LedgerError::Entry("nothing to append".into()));
        }
        let (reply, answer) = mpsc::channel();
        self.queue
            .as_ref()
            .ok_or(LedgerError::SequencerStopped)?
            .send(Request { entries, reply })
            .map_err(|_| LedgerError::SequencerStopped)?;
        answer.recv().map_err(|_| LedgerError::SequencerStopped)?
    }
}

impl Drop for Sequencer {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(t) = self.thread.take() {
            // A panic in the worker already answered nobody; there is nothing more to report.
            let _ = t.join();
        }
    }
}

struct Worker {
    store: Box<dyn LedgerStore>,
    published: Box<dyn PublishedCheckpoint>,
    signer: CheckpointSigner,
    config: SequencerConfig,
    /// The edge after our last commit; reloaded when another process has appended since.
    edge: Option<TileEdge>,
}

impl Worker {
    fn run(&mut self, rx: &Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let batch = self.collect(first, rx);
            match self.commit(&batch) {
                Ok((first_index, checkpoint)) => {
                    let mut next = first_index;
                    for r in batch {
                        let count = r.entries.len() as u64;
                        // A caller that gave up waiting is not an error of the batch.
                        let _ = r.reply.send(Ok(Acknowledged {
                            first_index: next,
                            count,
                            checkpoint: Arc::clone(&checkpoint),
                        }));
                        next = next.saturating_add(count);
                    }
                }
                Err(e) => {
                    self.edge = None;
                    for r in batch {
                        let _ = r.reply.send(Err(e.clone()));
                    }
                }
            }
        }
    }

    fn collect(&self, first: Request, rx: &Receiver<Request>) -> Vec<Request> {
        let deadline = Instant::now() + self.config.max_delay;
        let mut count = first.entries.len();
        let mut batch = vec![first];
        while count < self.config.max_entries {
            let next = match rx.try_recv() {
                Ok(r) => r,
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    match rx.recv_timeout(deadline - now) {
                        Ok(r) => r,
                        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            count = count.saturating_add(next.entries.len());
            batch.push(next);
        }
        batch
    }

    fn commit(&mut self, batch: &[Request]) -> Result<(u64, Arc<Vec<u8>>), LedgerError> {
        let mut tx = self.store.sequence()?;
        let state = tx.state()?;
        let mut edge = match self.edge.take() {
            Some(e) if e.size() == state.size => e,
            _ => TileEdge::load(state.size, |k| tx.tile(k))?,
        };
        let first_index = edge.size();
        let mut lookup = Vec::new();
        for request in batch {
            for entry in &request.entries {
                let index = edge.push(&entry.data)?;
                lookup.extend(entry.lookup.iter().map(|k| (*k, index)));
            }
        }
        let new_size = edge.size();
        let checkpoint = (self.signer)(new_size, &edge.root())?;
        let commit = CommitBatch {
            old_size: state.size,
            new_size,
            tiles: edge.take_tiles(),
            lookup,
            checkpoint,
        };
        tx.commit(&commit)?;
        self.edge = Some(edge);
        self.published.publish(new_size, &commit.checkpoint)?;
        Ok((first_index, Arc::new(commit.checkpoint)))
    }
}

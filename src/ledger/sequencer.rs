//! The sequencer: group commit of appends.
//!
//! Appends queue on a channel to one thread that owns a store connection. It takes the first
//! waiting request, then keeps collecting until the batch holds [`SequencerConfig::max_entries`]
//! entries or [`SequencerConfig::max_delay`] has passed, and then, in ONE sequencing transaction
//! (see [`super::store`]): reads the tree size under the store's lock, assigns indices, computes
//! the new tiles and the root ([`super::tile_edge`]), signs the checkpoint of the new size and
//! commits all of it with one sync. It then records the checkpoint as published and only then
//! answers the batch's callers. So an `append` returns only when its entry is durable and covered
//! by a signed, published checkpoint. The checkpoint is signed *inside* the transaction (an
//! Ed25519 signature costs tens of microseconds) and committed with the tree it covers, so the
//! store never holds a tree without the checkpoint of its size and no start-up path has to
//! re-sign a tree left ahead of its checkpoint by a crash. If anything fails, the whole batch
//! gets the error and none of it was acknowledged (entries committed before a failed publish are
//! durable and covered by the committed checkpoint, but their callers were told it failed: a
//! retry appends them again, which a log of events tolerates).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::error::LedgerError;
use super::merkle::Hash;
use super::store::{CommitBatch, LedgerStore, PublishedCheckpoint};
use super::tile::MAX_BUNDLE_ENTRY;
use super::tile_edge::TileEdge;

/// Default batch size limit. The lookup index takes random keys, so a batch dirties index pages
/// all over it and a batch costs about the pages it touches rather than its entries: measured
/// on this machine, batches of 4,096 sustained about 45,000 appends/s, batches of 16,384 about
/// 100,000/s. A full batch is about 4 MB of bundles and 64 level-0 tiles, and takes a fraction
/// of a second under saturation; below saturation batches stay small and an append waits about
/// one sync.
pub const DEFAULT_MAX_BATCH_ENTRIES: usize = 16_384;

/// Default time the sequencer waits for more appends once one is queued. A sync costs about half
/// a millisecond on local SSDs and a signature of a decision about 0.2 ms, so 2 ms lets the
/// appends of concurrent signing requests join one batch while adding latency far below an HTTP
/// round trip. Appends queued while a batch commits join the next one without waiting.
pub const DEFAULT_MAX_BATCH_DELAY: Duration = Duration::from_millis(2);

/// Requests that may wait for the sequencer. When the queue is full, `append` blocks: back-pressure
/// on the callers instead of unbounded memory. 65,536 waiting appends of a few hundred bytes are
/// about 20 MB, several seconds of the sequencer's work.
pub const QUEUE_CAPACITY: usize = 65_536;

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
    /// Entries of the whole group commit the request was part of (for metrics).
    pub batch_entries: u64,
}

/// Signs the checkpoint of a tree of `size` leaves with root `root`, returning the note text.
pub type CheckpointSigner = Box<dyn Fn(u64, &Hash) -> Result<Vec<u8>, LedgerError> + Send>;

struct Request {
    entries: Vec<PendingEntry>,
    reply: Sender<Result<Acknowledged, LedgerError>>,
}

/// Handle on the sequencer thread; dropping it finishes the queued batches and stops the thread.
pub struct Sequencer {
    queue: Option<SyncSender<Request>>,
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
        let (queue, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
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
                    let batch_entries = batch.iter().map(|r| r.entries.len() as u64).sum();
                    let mut next = first_index;
                    for r in batch {
                        let count = r.entries.len() as u64;
                        // A caller that gave up waiting is not an error of the batch.
                        let _ = r.reply.send(Ok(Acknowledged {
                            first_index: next,
                            count,
                            checkpoint: Arc::clone(&checkpoint),
                            batch_entries,
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
        // In key order, the index b-tree is walked once instead of at random.
        lookup.sort_unstable();
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use super::*;
    use crate::ledger::checkpoint::{Checkpoint, SignedCheckpoint};
    use crate::ledger::memory::MemoryStore;
    use crate::ledger::merkle::empty_root;
    use crate::ledger::note::Ed25519Signer;
    use crate::ledger::store::{Connect, LogIdentity};

    const ORIGIN: &str = "test.kyso.example/sequencer";

    fn start(store: &MemoryStore, config: SequencerConfig) -> Sequencer {
        let signer = Ed25519Signer::from_seed(ORIGIN, [5u8; 32]).unwrap();
        let empty =
            SignedCheckpoint::sign(Checkpoint::new(ORIGIN, 0, empty_root()).unwrap(), &signer)
                .unwrap();
        let identity = LogIdentity {
            origin: ORIGIN.into(),
            verifier_key: signer.verifier().to_key_string(),
        };
        store
            .connect()
            .unwrap()
            .create(&identity, empty.to_text().as_bytes())
            .unwrap();
        let sign: CheckpointSigner = Box::new(move |size, root| {
            let cp = SignedCheckpoint::sign(Checkpoint::new(ORIGIN, size, *root)?, &signer)?;
            Ok(cp.to_text().into_bytes())
        });
        Sequencer::start(
            store.connect().unwrap(),
            Box::new(store.published()),
            sign,
            config,
        )
        .unwrap()
    }

    fn pending(i: u64) -> PendingEntry {
        PendingEntry {
            data: format!("entry {i}").into_bytes(),
            lookup: vec![i64::try_from(i).unwrap()],
        }
    }

    #[test]
    fn concurrent_appends_share_batches_of_bounded_size() {
        let store = MemoryStore::new();
        let seq = start(
            &store,
            SequencerConfig {
                max_entries: 4,
                max_delay: Duration::from_millis(200),
            },
        );
        let steps_before = store.next_step();
        let acks: Vec<Acknowledged> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..12)
                .map(|i| {
                    let seq = &seq;
                    s.spawn(move || seq.append(vec![pending(i)]).unwrap())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let indices: BTreeSet<u64> = acks.iter().map(|a| a.first_index).collect();
        assert_eq!(indices, (0..12).collect());
        let sizes: BTreeSet<u64> = acks
            .iter()
            .map(|a| {
                SignedCheckpoint::parse(&a.checkpoint)
                    .unwrap()
                    .checkpoint()
                    .size
            })
            .collect();
        let mut previous = 0;
        for size in &sizes {
            assert!(
                size - previous <= 4,
                "a batch of {} entries",
                size - previous
            );
            previous = *size;
        }
        // Each batch is three steps (write, sync, publish): grouping must have happened.
        let batches = (store.next_step() - steps_before) / 3;
        assert_eq!(batches as usize, sizes.len());
        assert!(batches < 12, "{batches} batches for 12 appends");
    }

    #[test]
    fn oversized_and_empty_requests_are_refused_before_queueing() {
        let store = MemoryStore::new();
        let seq = start(&store, SequencerConfig::default());
        let big = PendingEntry {
            data: vec![0u8; MAX_BUNDLE_ENTRY + 1],
            lookup: Vec::new(),
        };
        assert!(matches!(seq.append(vec![big]), Err(LedgerError::Entry(_))));
        assert!(matches!(seq.append(Vec::new()), Err(LedgerError::Entry(_))));
        assert_eq!(seq.append(vec![pending(0)]).unwrap().first_index, 0);
    }
}

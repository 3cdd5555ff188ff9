//! Ledger benchmark (a plain main, `harness = false`): prints numbers, asserts nothing.
//!
//! `cargo bench --bench ledger` measures, on a SQLite file in a temporary directory:
//! 1. the floor: plain durable SQLite inserts (WAL, `synchronous=FULL`) in batches of 1,000;
//! 2. durable appends through the sequencer (entry bundles, hash tiles, lookup index, a signed
//!    checkpoint per batch, the published-checkpoint record), and their ratio to the floor;
//! 3. the time to build a 1,000,000-entry log that way;
//! 4. the log grown on to `KYSO_BENCH_PROOF_SIZE` entries (default 10,000,000), then inclusion
//!    proofs for random indices, cold and with the tile cache warm, and the process's resident
//!    memory at each size.

use std::time::{Duration, Instant};

use kyso::ledger::entry::{document_id_hash, Entry, EntryKind};
use kyso::ledger::log::{Ledger, LedgerOptions};
use kyso::ledger::merkle::{leaf_hash, verify_inclusion};
use kyso::ledger::note::Ed25519Signer;
use kyso::ledger::sequencer::SequencerConfig;
use kyso::ledger::sqlite::{SqliteConnect, SqlitePublished};

const ORIGIN: &str = "bench.kyso.example/ledger";
/// Entries per append request of one producer thread.
const REQUEST: usize = 1024;
/// Producer threads (the HTTP workers of a server); with `REQUEST` entries each, a full default
/// batch is waiting whenever the sequencer starts one.
const PRODUCERS: usize = 16;
/// Producers and request size while growing the log beyond a million entries.
const GROW_PRODUCERS: usize = 16;
const GROW_REQUEST: usize = 4096;
/// Rows of the floor measurement.
const FLOOR_ROWS: usize = 200_000;
/// Entries of the sustained-append measurement.
const SUSTAINED: usize = 200_000;
const MILLION: u64 = 1_000_000;
/// Random indices proved at the largest size.
const PROOFS: usize = 1000;

fn entry(n: u64) -> Entry {
    let id = format!("{n:026}");
    Entry {
        kind: EntryKind::Issued,
        document_id_hash: document_id_hash(&id),
        revision_hash: document_id_hash(&format!("{id}/rev")),
        signer_cert_sha256: [3u8; 32],
        time: 1_780_000_000 + i64::try_from(n % 1_000_000).unwrap_or(0),
        agency: "Sở Tài nguyên và Môi trường tỉnh Thử nghiệm".into(),
        document_number: format!("{n}/QĐ-STNMT"),
        document_kind: "Quyết định".into(),
        reason: None,
        superseded_by: None,
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn floor(dir: &std::path::Path, rows: usize) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("floor.sqlite")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        .unwrap();
    let row = entry(1).encode().unwrap();
    let start = Instant::now();
    let mut conn = conn;
    for batch in 0..rows / 1000 {
        let tx = conn.transaction().unwrap();
        {
            let mut st = tx
                .prepare_cached("INSERT INTO t (id, data) VALUES (?1, ?2)")
                .unwrap();
            for i in 0..1000 {
                st.execute(rusqlite::params![(batch * 1000 + i) as i64, row])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    rows as f64 / start.elapsed().as_secs_f64()
}

/// Appends `count` entries starting at `first` from `PRODUCERS` threads; returns the time.
fn append(ledger: &Ledger, first: u64, count: u64) -> Duration {
    append_with(ledger, first, count, PRODUCERS, REQUEST)
}

fn append_with(
    ledger: &Ledger,
    first: u64,
    count: u64,
    producers: usize,
    request: usize,
) -> Duration {
    let start = Instant::now();
    let per = count / producers as u64;
    std::thread::scope(|scope| {
        for p in 0..producers as u64 {
            scope.spawn(move || {
                let mut n = first + p * per;
                let end = n + per;
                while n < end {
                    let k = (end - n).min(request as u64);
                    let batch: Vec<Entry> = (n..n + k).map(entry).collect();
                    ledger.append_all(&batch).unwrap();
                    n += k;
                }
            });
        }
    });
    start.elapsed()
}

/// Sizes of one run: the full benchmark under `cargo bench`, a small smoke run of the same code
/// under `cargo test --all-targets` (which runs bench binaries without `--bench`), so CI checks
/// that the benchmark works without spending minutes growing a ten-million-entry log.
struct Sizes {
    floor_rows: usize,
    sustained: usize,
    million: u64,
    proof_size: u64,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes = if std::env::args().any(|a| a == "--bench") {
        Sizes {
            floor_rows: FLOOR_ROWS,
            sustained: SUSTAINED,
            million: MILLION,
            proof_size: std::env::var("KYSO_BENCH_PROOF_SIZE")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10 * MILLION),
        }
    } else {
        Sizes {
            floor_rows: 2_000,
            sustained: 2_000,
            million: 10_000,
            proof_size: 20_000,
        }
    };
    let Sizes {
        floor_rows,
        sustained,
        million,
        proof_size: target,
    } = sizes;
    let base = std::env::var_os("KYSO_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let tmp = tempfile::tempdir_in(base).unwrap();
    println!("ledger benchmark in {}", tmp.path().display());

    let floor_rate = floor(tmp.path(), floor_rows);
    println!("floor: plain durable SQLite inserts, batches of 1,000: {floor_rate:.0} rows/s");

    let signer = Ed25519Signer::from_seed(ORIGIN, [9u8; 32]).unwrap();
    let ledger = Ledger::create(
        &SqliteConnect::new(tmp.path().join("ledger.sqlite")),
        Box::new(SqlitePublished::open(&tmp.path().join("published.sqlite")).unwrap()),
        ORIGIN,
        signer,
        LedgerOptions::default(),
    )
    .unwrap();

    let t = append(&ledger, 0, sustained as u64);
    let rate = sustained as f64 / t.as_secs_f64();
    println!(
        "durable appends (tiles, index, signed checkpoint per batch): {rate:.0} entries/s \
         over {sustained} entries; ratio to the floor {:.2}",
        rate / floor_rate
    );

    let t2 = append(&ledger, sustained as u64, million - sustained as u64);
    let build = t + t2;
    println!(
        "{million}-entry log built in {:.1} s ({:.0} entries/s); RSS {:.0} MiB",
        build.as_secs_f64(),
        million as f64 / build.as_secs_f64(),
        rss_mib()
    );

    // Beyond a million entries the log grows with batches of up to 65,536 entries (16 producers
    // of 4,096): the same code path and durability, larger group commits, so that ten million
    // entries take minutes on this machine rather than most of an hour.
    drop(ledger);
    let ledger = Ledger::open(
        &SqliteConnect::new(tmp.path().join("ledger.sqlite")),
        Box::new(SqlitePublished::open(&tmp.path().join("published.sqlite")).unwrap()),
        Ed25519Signer::from_seed(ORIGIN, [9u8; 32]).unwrap(),
        Some(ORIGIN),
        LedgerOptions {
            sequencer: SequencerConfig {
                max_entries: 65_536,
                max_delay: Duration::from_millis(20),
            },
            ..LedgerOptions::default()
        },
    )
    .unwrap();
    let mut size = million;
    let grow = Instant::now();
    while size < target {
        let step = (target - size).min(million);
        append_with(&ledger, size, step, GROW_PRODUCERS, GROW_REQUEST);
        size += step;
        println!(
            "  grown to {size} entries, {:.0} s, RSS {:.0} MiB",
            grow.elapsed().as_secs_f64(),
            rss_mib()
        );
    }
    let cp = ledger.signed_checkpoint().unwrap();
    let (size, root) = (cp.checkpoint().size, cp.checkpoint().root);
    let db_mib = std::fs::metadata(tmp.path().join("ledger.sqlite"))
        .map(|m| m.len() as f64 / 1048576.0)
        .unwrap_or(0.0);
    println!("log size {size} entries, database {db_mib:.0} MiB");

    // Pseudo-random indices (a fixed LCG: reproducible runs).
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let indices: Vec<u64> = (0..PROOFS)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 11) % size
        })
        .collect();
    let pass = |label: &str| {
        let mut times = Vec::with_capacity(PROOFS);
        for &i in &indices {
            let t = Instant::now();
            let proof = ledger.inclusion_proof(i, size).unwrap();
            times.push(t.elapsed());
            let leaf = leaf_hash(&ledger.entry(i).unwrap());
            assert!(verify_inclusion(i, size, &leaf, &proof, &root)
                .unwrap()
                .is_valid());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / PROOFS as u32;
        println!(
            "inclusion proof at {size} entries, {label}: mean {:.1} µs, p50 {:.1} µs, \
             p99 {:.1} µs, max {:.1} µs",
            mean.as_secs_f64() * 1e6,
            times[PROOFS / 2].as_secs_f64() * 1e6,
            times[PROOFS * 99 / 100].as_secs_f64() * 1e6,
            times[PROOFS - 1].as_secs_f64() * 1e6,
        );
    };
    pass("cold cache");
    pass("warm cache");
    println!("RSS at the end {:.0} MiB", rss_mib());
}

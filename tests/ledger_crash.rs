//! Crash consistency with a real process and a real SQLite file: a child `kyso ledger
//! bench-append` prints each acknowledged entry; the test kills it with SIGKILL at 24 different
//! moments. After each kill: every acknowledged entry is present with its content, the stored
//! tree recomputes (from the entry bundles) to the last signed checkpoint, the hash tiles match,
//! and that checkpoint is consistent with the one before the kill; at the end a new append's
//! checkpoint is consistent with the last one.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kyso::ledger::audit::audit;
use kyso::ledger::checkpoint::SignedCheckpoint;
use kyso::ledger::log::{LedgerOptions, LogReader};
use kyso::ledger::merkle::{leaf_hash, verify_consistency};
use kyso::ledger::note::Ed25519Verifier;
use kyso::ledger::sqlite::SqliteConnect;

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const ROUNDS: u64 = 24;
const ORIGIN: &str = "test.kyso.example/crash";

fn kill_delay(round: u64) -> Duration {
    // From "before the ledger is even open" to "after hundreds of batches".
    const MS: [u64; 12] = [0, 2, 5, 9, 15, 25, 40, 60, 90, 130, 180, 250];
    Duration::from_millis(MS[(round % 12) as usize] + round)
}

/// Parses `acked <index> <leaf hex> <checkpoint size>`.
fn parse_ack(line: &str) -> Option<(u64, String)> {
    let mut parts = line.split_whitespace();
    (parts.next()? == "acked").then_some(())?;
    let index = parts.next()?.parse().ok()?;
    let leaf = parts.next()?.to_owned();
    let size: u64 = parts.next()?.parse().ok()?;
    assert!(
        size > index,
        "ack of {index} with a checkpoint of size {size}"
    );
    Some((index, leaf))
}

fn check_store(
    dir: &Path,
    verifier: &Ed25519Verifier,
    acked: &BTreeMap<u64, String>,
    previous: Option<&SignedCheckpoint>,
) -> SignedCheckpoint {
    let connect = SqliteConnect::new(dir.join("ledger.sqlite"));
    let mut reader = LogReader::open(&connect, &LedgerOptions::default()).unwrap();
    let cp = reader.signed_checkpoint().unwrap();
    assert!(cp.is_signed_by(verifier));
    let size = cp.checkpoint().size;
    for (index, leaf) in acked {
        assert!(
            *index < size,
            "acknowledged entry {index} lost (size {size})"
        );
        let data = reader.entry(*index).unwrap();
        assert_eq!(
            &hex::encode(leaf_hash(&data)),
            leaf,
            "entry {index} changed"
        );
    }
    let report = audit(&mut reader, verifier, previous).unwrap();
    assert!(report.passed(), "audit after kill: {:?}", report.problems);
    assert_eq!(report.entries_read, size);
    if let Some(old) = previous {
        let (o, n) = (old.checkpoint(), cp.checkpoint());
        let proof = reader.consistency_proof(o.size, n.size).unwrap();
        assert!(verify_consistency(o.size, n.size, &proof, &o.root, &n.root)
            .unwrap()
            .is_valid());
    }
    cp
}

#[test]
fn acknowledged_entries_survive_sigkill_at_24_moments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir_s = dir.to_str().unwrap();
    let st = Command::new(KYSO)
        .args(["ledger", "init", "--dir", dir_s, "--origin", ORIGIN])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let vkey = std::fs::read_to_string(dir.join("log.vkey")).unwrap();
    let verifier = Ed25519Verifier::parse(vkey.trim()).unwrap();

    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut last: Option<SignedCheckpoint> = None;
    let mut killed_running = 0;
    for round in 0..ROUNDS {
        let batch = (round % 3 + 1).to_string();
        let mut child = Command::new(KYSO)
            .args([
                "ledger",
                "bench-append",
                "--dir",
                dir_s,
                "--count",
                "1000000",
            ])
            .args(["--threads", "3", "--batch", &batch])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let lines = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        let mut round_lines = Vec::new();
        // Odd rounds wait for a number of acknowledgements, even rounds for a time.
        let want_acks = if round % 2 == 1 { round * 9 } else { u64::MAX };
        while start.elapsed() < kill_delay(round)
            || (want_acks != u64::MAX && round_lines.len() < want_acks as usize)
        {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(l) => round_lines.push(l),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if start.elapsed() > Duration::from_secs(30) {
                break;
            }
        }
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        lines.join().unwrap();
        round_lines.extend(rx.try_iter());
        for line in &round_lines {
            if let Some((index, leaf)) = parse_ack(line) {
                if let Some(old) = acked.insert(index, leaf.clone()) {
                    panic!("index {index} acknowledged twice ({old} and {leaf})");
                }
            }
        }
        last = Some(check_store(&dir, &verifier, &acked, last.as_ref()));
    }
    eprintln!(
        "{killed_running} kills of a running appender, {} acknowledged entries",
        acked.len()
    );
    assert!(
        killed_running >= 20,
        "only {killed_running} kills hit a running process"
    );
    assert!(
        acked.len() > 100,
        "too few appends acknowledged: {}",
        acked.len()
    );

    // The next checkpoint after all the kills is consistent with the last one.
    let out = Command::new(KYSO)
        .args(["ledger", "bench-append", "--dir", dir_s, "--count", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    check_store(&dir, &verifier, &acked, last.as_ref());
}

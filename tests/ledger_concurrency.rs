//! Two processes appending concurrently to one log — on one SQLite file, and on one real
//! PostgreSQL server started by the test — assign every index exactly once (0..N-1), build one
//! tree that recomputes to the final signed checkpoint, and sign checkpoints that are consistent
//! with each other.

mod common;
mod ledger_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use kyso::ledger::audit::audit;
use kyso::ledger::checkpoint::SignedCheckpoint;
use kyso::ledger::log::{LedgerOptions, LogReader};
use kyso::ledger::merkle::{leaf_hash, verify_consistency};
use kyso::ledger::note::Ed25519Verifier;
use kyso::ledger::postgres::PostgresConnect;
use kyso::ledger::sqlite::SqliteConnect;
use kyso::ledger::store::Connect;

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const PER_PROCESS: u64 = 300;

struct Outcome {
    acked: Vec<(u64, String)>,
    checkpoints: Vec<SignedCheckpoint>,
}

fn spawn(args: &[&str]) -> Child {
    Command::new(KYSO)
        .args([
            "ledger",
            "bench-append",
            "--count",
            &PER_PROCESS.to_string(),
        ])
        .args(["--threads", "3", "--batch", "2"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> Outcome {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "bench-append failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut acked = Vec::new();
    let mut checkpoints = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["acked", index, leaf, _size] => acked.push((index.parse().unwrap(), leaf.to_string())),
            ["checkpoint", b64] => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                checkpoints.push(SignedCheckpoint::parse(&bytes).unwrap());
            }
            _ => panic!("unexpected output line {line:?}"),
        }
    }
    Outcome { acked, checkpoints }
}

fn check(connect: &dyn Connect, vkey_file: &Path, outcomes: &[Outcome]) {
    let verifier =
        Ed25519Verifier::parse(std::fs::read_to_string(vkey_file).unwrap().trim()).unwrap();
    let mut reader = LogReader::open(connect, &LedgerOptions::default()).unwrap();
    let total = PER_PROCESS * outcomes.len() as u64;
    let mut by_index: BTreeMap<u64, String> = BTreeMap::new();
    for o in outcomes {
        assert_eq!(o.acked.len() as u64, PER_PROCESS);
        for (index, leaf) in &o.acked {
            assert!(
                by_index.insert(*index, leaf.clone()).is_none(),
                "index {index} assigned twice"
            );
        }
    }
    let indices: Vec<u64> = by_index.keys().copied().collect();
    assert_eq!(
        indices,
        (0..total).collect::<Vec<_>>(),
        "indices are not 0..N-1"
    );
    let cp = reader.signed_checkpoint().unwrap();
    assert_eq!(cp.checkpoint().size, total);
    for (index, leaf) in &by_index {
        assert_eq!(
            &hex::encode(leaf_hash(&reader.entry(*index).unwrap())),
            leaf
        );
    }
    let report = audit(&mut reader, &verifier, None).unwrap();
    assert!(report.passed(), "{:?}", report.problems);
    // Every checkpoint a process saw is consistent with the final one.
    for o in outcomes {
        for old in &o.checkpoints {
            assert!(old.is_signed_by(&verifier));
            let (a, b) = (old.checkpoint(), cp.checkpoint());
            let proof = reader.consistency_proof(a.size, b.size).unwrap();
            assert!(verify_consistency(a.size, b.size, &proof, &a.root, &b.root)
                .unwrap()
                .is_valid());
        }
    }
}

fn init(args: &[&str]) {
    let out = Command::new(KYSO)
        .args([
            "ledger",
            "init",
            "--origin",
            "test.kyso.example/concurrency",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn two_processes_on_one_sqlite_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    init(&["--dir", dir]);
    let a = spawn(&["--dir", dir]);
    let b = spawn(&["--dir", dir]);
    let outcomes = [finish(a), finish(b)];
    check(
        &SqliteConnect::new(tmp.path().join("ledger.sqlite")),
        &tmp.path().join("log.vkey"),
        &outcomes,
    );
}

#[test]
fn two_processes_on_one_postgresql_server() {
    let Some(server) = ledger_support::PgServer::start() else {
        common::missing("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)");
        return;
    };
    let url = server.url();
    let tmp = tempfile::tempdir().unwrap();
    let key_dir = tmp.path().join("init");
    let key_dir_s = key_dir.to_str().unwrap();
    init(&["--dir", key_dir_s, "--store", &url]);
    let key = key_dir.join("log.key");
    let key_s = key.to_str().unwrap();
    // Two replicas: each has its own data directory (published record), one key, one database.
    let children: Vec<Child> = ["r1", "r2"]
        .iter()
        .map(|r| {
            let d = tmp.path().join(r);
            std::fs::create_dir_all(&d).unwrap();
            spawn(&[
                "--dir",
                d.to_str().unwrap(),
                "--store",
                &url,
                "--signing-key",
                key_s,
            ])
        })
        .collect();
    let outcomes: Vec<Outcome> = children.into_iter().map(finish).collect();
    check(
        &PostgresConnect::new(url.clone()),
        &key_dir.join("log.vkey"),
        &outcomes,
    );
}

//! Helpers of the ledger integration tests: a throw-away PostgreSQL server on a free loopback
//! port, run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a test waits for its PostgreSQL server to accept connections.
const PG_START_TIMEOUT: Duration = Duration::from_secs(60);

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The newest PostgreSQL server binary directory, if installed.
pub fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("postgres").exists() && p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

/// A PostgreSQL server in a temporary directory on a free loopback port, stopped on drop.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    root: bool,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl PgServer {
    /// Starts a server, or returns `None` when PostgreSQL is not installed.
    pub fn start() -> Option<PgServer> {
        let bin = pg_bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("kyso-pg")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        let root = is_root();
        if root {
            // PostgreSQL refuses to run as root: the postgres user owns the cluster.
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown of the PostgreSQL temp dir failed");
        }
        let port = free_port();
        let run = |args: &[&str]| {
            let mut cmd = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]);
                c.arg(bin.join(args.first().copied().unwrap_or_default()));
                c
            } else {
                Command::new(bin.join(args.first().copied().unwrap_or_default()))
            };
            cmd.args(args.get(1..).unwrap_or_default());
            let out = cmd.output().expect("run a PostgreSQL tool");
            assert!(
                out.status.success(),
                "{args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let data_s = data.to_str().expect("utf-8 temp path").to_owned();
        let sock = dir.path().to_str().expect("utf-8 temp path").to_owned();
        let log = dir.path().join("log").to_str().expect("utf-8").to_owned();
        run(&[
            "initdb",
            "-D",
            &data_s,
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ]);
        let opts = format!("-p {port} -k {sock} -c listen_addresses=127.0.0.1");
        run(&[
            "pg_ctl", "-D", &data_s, "-o", &opts, "-l", &log, "-w", "-t", "60", "start",
        ]);
        let server = PgServer {
            bin,
            data,
            root,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + PG_START_TIMEOUT;
        while postgres::Client::connect(&server.url(), postgres::NoTls).is_err() {
            assert!(Instant::now() < deadline, "PostgreSQL did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_ctl);
            c
        } else {
            Command::new(pg_ctl)
        };
        let _ = cmd
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

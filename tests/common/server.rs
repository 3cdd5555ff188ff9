//! A `kyso serve` process for integration tests: started from the built binary on a free
//! loopback port in a temporary data directory, its base URL and development token read from
//! its standard output, stopped (SIGTERM, then kill) on drop. It builds nothing itself.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for the server to print its address and answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stopped server may take to finish its in-flight work before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A response read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The stable error code of a JSON error body.
    pub fn code(&self) -> String {
        self.json()
            .get("code")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// How to start a server.
#[derive(Default)]
pub struct Options {
    /// A configuration file; `None` runs development mode.
    pub config: Option<PathBuf>,
    /// The data directory (`KYSO_DATA`); default a fresh temporary directory.
    pub data_dir: Option<PathBuf>,
    /// Further environment variables.
    pub env: Vec<(String, String)>,
}

/// A running `kyso serve`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The public base URL it printed.
    pub public_base: String,
    /// The development token (development mode only).
    pub token: Option<String>,
    pub data_dir: PathBuf,
    /// Where its standard error (logs) goes.
    pub log: PathBuf,
    _temp: tempfile::TempDir,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let _ = r
        .body_mut()
        .with_config()
        .limit(200 * 1024 * 1024)
        .reader()
        .read_to_end(&mut body);
    Reply {
        status,
        headers,
        body,
    }
}

impl Server {
    /// Development mode in a fresh data directory.
    pub fn start_dev() -> Server {
        Server::start(Options::default())
    }

    pub fn start(options: Options) -> Server {
        let temp = tempfile::Builder::new()
            .prefix("kyso-serve")
            .tempdir()
            .expect("temp dir");
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| temp.path().join("data"));
        let log = temp.path().join("serve.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyso"));
        cmd.arg("serve")
            .current_dir(temp.path())
            .env("KYSO_LISTEN", "127.0.0.1:0")
            .env("KYSO_DATA", &data_dir)
            .env_remove("KYSO_PUBLIC_BASE_URL")
            .env_remove("KYSO_DATABASE_URL")
            .env_remove("KYSO_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log file")));
        if let Some(c) = &options.config {
            cmd.arg("--config").arg(c);
        }
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start kyso serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let (mut base, mut public_base, mut token) = (None, None, None);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kyso serve ended or stalled before printing its address; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            };
            if let Some(rest) = line.strip_prefix("kyso listening on ") {
                base = Some(rest.trim().to_owned());
            } else if let Some(rest) = line.strip_prefix("public base URL: ") {
                public_base = Some(rest.trim().to_owned());
            } else if let Some(rest) = line.strip_prefix("development API token: ") {
                token = Some(rest.trim().to_owned());
            } else if line.starts_with("API description: ") {
                break;
            }
        }
        let base = base.expect("the listening line");
        let server = Server {
            child: Some(child),
            public_base: public_base.unwrap_or_else(|| base.clone()),
            base,
            token,
            data_dir,
            log,
            _temp: temp,
        };
        while server.get("/healthz").status != 200 {
            assert!(Instant::now() < deadline, "/healthz never answered 200");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GET that never fails on the status (connection errors panic).
    pub fn get(&self, path: &str) -> Reply {
        match agent().get(&self.url(path)).call() {
            Ok(r) => reply(r),
            Err(e) => Reply {
                status: 0,
                headers: HashMap::new(),
                body: e.to_string().into_bytes(),
            },
        }
    }

    /// A POST with a content type, extra headers and a body.
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut req = agent()
            .post(&self.url(path))
            .header("Content-Type", content_type);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        reply(req.send(body).expect("POST"))
    }

    /// Sends raw bytes on a fresh connection (write errors ignored: a server may answer and close
    /// before reading everything) and returns the status code and the response text.
    pub fn raw(&self, head: &str, body: &[u8]) -> (u16, String) {
        use std::io::Write as _;
        let addr = self.base.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let _ = s
            .write_all(head.as_bytes())
            .and_then(|()| s.write_all(body));
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// `Authorization: Bearer <development token>`.
    pub fn auth(&self) -> String {
        format!(
            "Bearer {}",
            self.token.as_deref().expect("a development token")
        )
    }

    /// Signs `pdf` with the development token; panics unless 200.
    pub fn sign(&self, pdf: &[u8], query: &str, extra: &[(&str, &str)]) -> Reply {
        let auth = self.auth();
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        let r = self.post(
            &format!("/v1/sign{query}"),
            "application/pdf",
            &headers,
            pdf,
        );
        assert_eq!(r.status, 200, "sign: {}", r.text());
        r
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Stops with SIGTERM and waits; returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The demo PKI of a development server.
    pub fn demo_pki(&self) -> PathBuf {
        self.data_dir.join("demo-pki")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the `kyso` binary with `args` (for CLI steps next to a running server).
pub fn kyso(args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyso"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kyso")
}

/// Files of a non-demo signing identity (a root and an agency signer issued by it), written
/// into `dir`: what a real deployment's configuration points at.
pub struct TestAgency {
    pub root: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// A time-stamping authority issued by the same root (critical timeStamping EKU).
    pub tsa_cert: PathBuf,
    pub tsa_key: PathBuf,
}

impl TestAgency {
    pub fn create(dir: &Path) -> TestAgency {
        use kyso::pki::demo::{issue, Attr, CertSpec, KeyKind, OpenSslEntropy, Role};
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut entropy = OpenSslEntropy;
        let root = issue(
            &CertSpec {
                subject: &[
                    (Attr::C, "VN"),
                    (Attr::O, "Test Root Authority"),
                    (Attr::Cn, "Test Root CA"),
                ],
                role: Role::Root,
                key: KeyKind::Rsa2048,
                not_before: now - 86_400,
                not_after: now + 365 * 86_400,
            },
            None,
            &mut entropy,
        )
        .expect("root");
        let agency = issue(
            &CertSpec {
                subject: &[
                    (Attr::C, "VN"),
                    (Attr::O, "Sở Thử nghiệm"),
                    (Attr::Cn, "Sở Thử nghiệm"),
                ],
                role: Role::Signer,
                key: KeyKind::Rsa2048,
                not_before: now - 86_400,
                not_after: now + 365 * 86_400,
            },
            Some(&root),
            &mut entropy,
        )
        .expect("agency");
        let tsa = issue(
            &CertSpec {
                subject: &[
                    (Attr::C, "VN"),
                    (Attr::O, "Test Root Authority"),
                    (Attr::Cn, "Test TSA"),
                ],
                role: Role::Tsa,
                key: KeyKind::Rsa2048,
                not_before: now - 86_400,
                not_after: now + 365 * 86_400,
            },
            Some(&root),
            &mut entropy,
        )
        .expect("tsa");
        let files = TestAgency {
            root: dir.join("root.pem"),
            cert: dir.join("agency.pem"),
            key: dir.join("agency.key.pem"),
            tsa_cert: dir.join("tsa.pem"),
            tsa_key: dir.join("tsa.key.pem"),
        };
        std::fs::write(&files.tsa_cert, tsa.cert.to_pem().expect("pem")).expect("write");
        std::fs::write(
            &files.tsa_key,
            tsa.key.private_key_to_pem_pkcs8().expect("pem"),
        )
        .expect("write");
        std::fs::write(&files.root, root.cert.to_pem().expect("pem")).expect("write");
        std::fs::write(&files.cert, agency.cert.to_pem().expect("pem")).expect("write");
        std::fs::write(
            &files.key,
            agency.key.private_key_to_pem_pkcs8().expect("pem"),
        )
        .expect("write");
        files
    }

    /// A configuration file for this agency as signer `agency`: `top` holds top-level keys,
    /// `ledger` further keys of the `[ledger]` table, `extra` further tables.
    pub fn config(&self, path: &Path, top: &str, ledger: &str, extra: &str) -> PathBuf {
        let text = format!(
            "{top}\n\n[ledger]\norigin = \"test.kyso.example/ledger\"\n{ledger}\n\n\
             [[signers]]\nname = \"agency\"\ncertificate = {:?}\nkey = {:?}\n\n\
             [trust]\nanchors = [{:?}]\nrevocation = \"off\"\n\n{extra}\n",
            self.cert, self.key, self.root
        );
        std::fs::write(path, text).expect("write config");
        path.to_owned()
    }
}

/// Runs `kyso serve` expecting it to refuse to start; returns its standard error.
pub fn refused(config: Option<&Path>, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("temp");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyso"));
    cmd.arg("serve")
        .current_dir(dir.path())
        .env("KYSO_DATA", dir.path().join("data"))
        .env_remove("KYSO_PUBLIC_BASE_URL")
        .env_remove("KYSO_DATABASE_URL");
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kyso serve");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert_eq!(status.code(), Some(2), "kyso serve should refuse to start");
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return err;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("kyso serve started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `multipart/form-data` body with a JSON part `metadata` and a PDF part `file`, and its
/// content type.
pub fn multipart(metadata_json: &str, pdf: &[u8]) -> (String, Vec<u8>) {
    let boundary = "kyso-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\
         Content-Type: application/json\r\n\r\n{metadata_json}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"d.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

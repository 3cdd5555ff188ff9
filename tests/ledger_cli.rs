//! `kyso ledger` round trip through the binary: init, append (issue then revoke), get by id and by
//! hash with a proof, offline verification of the tlog-proof (and rejection of a tampered one or
//! of the wrong document), checkpoint, audit of the data dir, export, audit of the exported tiles
//! from a directory and over HTTP (a small server in the test), consistency with an earlier
//! checkpoint, and detection of a tampered tile.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const DOC_ID: &str = "K7Q2M4XW9D3RB6TF5HYJ8NPC2A";

fn kyso(args: &[&str]) -> Output {
    Command::new(KYSO)
        .arg("ledger")
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = kyso(args);
    assert!(
        out.status.success(),
        "kyso ledger {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sha(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Serves the files under `root` over HTTP/1.1 on 127.0.0.1 until the test ends.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let file = root.join(path.trim_start_matches("/log/"));
            let response = match (path.contains(".."), std::fs::read(&file)) {
                (false, Ok(body)) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{addr}/log/")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

fn append_args<'a>(dir: &'a str, event: &'a str, doc: &'a str, rev: &'a str) -> Vec<&'a str> {
    vec![
        "append",
        "--dir",
        dir,
        "--event",
        event,
        "--document-id",
        doc,
        "--revision-sha256",
        rev,
        "--signer-cert-sha256",
        "0000000000000000000000000000000000000000000000000000000000000001",
        "--time",
        "2026-11-27T09:00:00+07:00",
        "--agency",
        "Sở Tư pháp tỉnh Thử nghiệm",
        "--number",
        "123/QĐ-STP",
        "--kind",
        "Quyết định",
    ]
}

fn audit(args: &[&str]) -> (bool, serde_json::Value) {
    let out = kyso(args);
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.success(), report["passed"] == true);
    (out.status.success(), report)
}

#[test]
fn ledger_cli_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("kyso-data");
    let dir = data.to_str().unwrap();
    let init = ok(&[
        "init",
        "--dir",
        dir,
        "--origin",
        "ledger.test.kyso.example/tinh",
    ]);
    assert!(init.contains("verifier key: ledger.test.kyso.example/tinh+"));
    let vkey = data.join("log.vkey");
    let vkey_s = vkey.to_str().unwrap();

    // Some other entries, then the document's issue and its revocation.
    for i in 0..300 {
        let doc = format!("OTHER{i}");
        let rev = sha(&doc);
        ok(&append_args(dir, "issued", &doc, &rev)[..]);
        if i == 150 {
            std::fs::write(tmp.path().join("old.cp"), ok(&["checkpoint", "--dir", dir])).unwrap();
        }
    }
    let rev = sha("the signed revision");
    let issued = ok(&append_args(dir, "issued", DOC_ID, &rev));
    assert!(issued.starts_with("index 300\n"), "{issued}");
    let revoked = ok(&append_args(dir, "revoked", DOC_ID, &rev));
    assert!(revoked.starts_with("index 301\n"), "{revoked}");

    // get by id: the latest event's proof to a file; JSON lists both events.
    let proof = tmp.path().join("doc.tlog-proof");
    let text = ok(&[
        "get",
        "--dir",
        dir,
        "--id",
        DOC_ID,
        "--out",
        proof.to_str().unwrap(),
    ]);
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\n"));
    assert_eq!(std::fs::read_to_string(&proof).unwrap(), text);
    let all = json(&ok(&["get", "--dir", dir, "--id", DOC_ID, "--json"]));
    let events: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["issued", "revoked"]);
    let by_hash = json(&ok(&["get", "--dir", dir, "--hash", &rev, "--json"]));
    assert_eq!(by_hash.as_array().unwrap().len(), 2);
    assert_eq!(by_hash[0]["index"], 300);
    assert_eq!(
        kyso(&["get", "--dir", dir, "--id", "UNKNOWN"])
            .status
            .code(),
        Some(1)
    );

    // Offline verification.
    let p = proof.to_str().unwrap();
    let v = json(&ok(&[
        "verify-proof",
        p,
        "--key",
        vkey_s,
        "--id",
        DOC_ID,
        "--hash",
        &rev,
    ]));
    assert_eq!(v["valid"], true);
    assert_eq!(v["index"], 301);
    assert_eq!(v["entry"]["event"], "revoked");
    let wrong_doc = kyso(&["verify-proof", p, "--key", vkey_s, "--id", "ANOTHER"]);
    assert_eq!(wrong_doc.status.code(), Some(1));
    let other_key = "ledger.test.kyso.example/tinh+00000000+AQ\
                     AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let bad_key = kyso(&["verify-proof", p, "--key", other_key]);
    assert_ne!(bad_key.status.code(), Some(0));
    // Tamper with one proof hash: the inclusion proof fails.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let hash_line = lines
        .iter()
        .position(|l| l.len() == 44 && l.ends_with('='))
        .unwrap();
    lines[hash_line] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    let tampered = tmp.path().join("tampered.tlog-proof");
    std::fs::write(&tampered, lines.join("\n") + "\n").unwrap();
    let out = kyso(&["verify-proof", tampered.to_str().unwrap(), "--key", vkey_s]);
    assert_eq!(out.status.code(), Some(1));

    // Checkpoint and audits.
    let cp = ok(&["checkpoint", "--dir", dir]);
    assert!(
        cp.starts_with("ledger.test.kyso.example/tinh\n302\n"),
        "{cp}"
    );
    let old = tmp.path().join("old.cp");
    let old_s = old.to_str().unwrap();
    let (passed, report) = audit(&["audit", "--dir", dir, "--key", vkey_s, "--since", old_s]);
    assert!(passed, "{report}");
    assert_eq!(report["entries_read"], 302);
    assert_eq!(report["consistent_since_size"], 151);

    let export = tmp.path().join("export");
    ok(&["export", "--dir", dir, "--out", export.to_str().unwrap()]);
    let exp = export.to_str().unwrap();
    let (passed, report) = audit(&["audit", "--dir", exp, "--key", vkey_s, "--since", old_s]);
    assert!(passed, "{report}");
    let url = serve(export.clone());
    let (passed, report) = audit(&["audit", "--url", &url, "--key", vkey_s, "--since", old_s]);
    assert!(passed, "{report}");
    assert_eq!(report["entries_read"], 302);
    assert!(report["hash_tiles_checked"].as_u64().unwrap() >= 3);

    // A checkpoint from another history (same origin, same key) is reported as a fork.
    let forked_dir = tmp.path().join("forked");
    let fd = forked_dir.to_str().unwrap();
    std::fs::create_dir_all(&forked_dir).unwrap();
    std::fs::copy(data.join("log.key"), forked_dir.join("log.key")).unwrap();
    ok(&[
        "init",
        "--dir",
        fd,
        "--origin",
        "ledger.test.kyso.example/tinh",
    ]);
    for i in 0..200 {
        let doc = format!("FORK{i}");
        let rev = sha(&doc);
        ok(&append_args(fd, "issued", &doc, &rev));
    }
    let fork_cp = tmp.path().join("fork.cp");
    std::fs::write(&fork_cp, ok(&["checkpoint", "--dir", fd])).unwrap();
    let (passed, report) = audit(&[
        "audit",
        "--url",
        &url,
        "--key",
        vkey_s,
        "--since",
        fork_cp.to_str().unwrap(),
    ]);
    assert!(!passed);
    assert!(report["problems"].to_string().contains("fork"), "{report}");

    // A tampered entry bundle makes the audit fail.
    tamper_bundle(&export.join("tile/entries/000"));
    let (passed, report) = audit(&["audit", "--url", &url, "--key", vkey_s]);
    assert!(!passed, "{report}");
}

fn tamper_bundle(path: &Path) {
    let mut data = std::fs::read(path).unwrap();
    let last = data.len() - 1;
    data[last] ^= 1;
    std::fs::write(path, data).unwrap();
}

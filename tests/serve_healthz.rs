//! `kyso serve` starts, prints where it listens, answers `/healthz`, and stops on SIGTERM.

mod common;

use common::server::Server;

#[test]
fn serve_answers_healthz_and_stops_on_sigterm() {
    let mut server = Server::start_dev();
    let r = server.get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok\n");
    assert!(server.get("/readyz").status == 200);
    assert!(server
        .token
        .as_deref()
        .is_some_and(|t| t.starts_with("kyso_")));
    assert!(server.stop(), "kyso serve did not exit cleanly on SIGTERM");
    assert!(
        !server
            .log_text()
            .contains(server.token.as_deref().unwrap_or("-")),
        "the development token reached the log"
    );
}

#[test]
fn sigterm_lets_an_in_flight_signing_finish_and_record() {
    use std::io::{Read, Write};
    let mut server = Server::start_dev();
    let pdf = std::fs::read(
        common::samples_dir()
            .map(|d| d.join("quyet-dinh-123-QD-UBND.pdf"))
            .unwrap_or_default(),
    )
    .unwrap_or_else(|_| common::pdf::one_page());
    let (first, rest) = pdf.split_at(pdf.len() / 2);
    let mut s = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "POST /v1/sign HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nConnection: close\r\n\
         Content-Type: application/pdf\r\nContent-Length: {}\r\n\r\n",
        server.auth(),
        pdf.len()
    )
    .unwrap();
    s.write_all(first).unwrap();
    s.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = server.pid();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.write_all(rest).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        text.get(..300).unwrap_or(&text)
    );
    let index_line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("kyso-ledger-index:"))
        .expect("ledger index header");
    assert!(index_line.ends_with(" 0"), "{index_line}");
    assert!(server.stop(), "clean exit after finishing the signing");
    // The acknowledged entry is in the ledger on disk.
    let out = common::server::kyso(
        &[
            "ledger",
            "checkpoint",
            "--dir",
            server.data_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some("1")
    );
}

#[test]
fn a_restart_keeps_the_ledger_key_and_documents_and_replaces_the_development_token() {
    let kept = tempfile::tempdir().unwrap();
    let data_dir = kept.path().join("data");
    let options = || common::server::Options {
        data_dir: Some(data_dir.clone()),
        ..Default::default()
    };
    let first = Server::start(options());
    let signed = first.sign(&common::pdf::one_page(), "", &[]);
    let id = signed.header("kyso-document-id").unwrap().to_owned();
    let vkey = std::fs::read_to_string(data_dir.join("log.vkey")).unwrap();
    let old_token = first.token.clone().unwrap();
    drop(first);
    let second = Server::start(options());
    assert_eq!(
        std::fs::read_to_string(data_dir.join("log.vkey")).unwrap(),
        vkey,
        "the ledger key is reused"
    );
    assert_eq!(second.get(&format!("/v1/documents/{id}")).status, 200);
    assert_ne!(second.token.as_deref(), Some(old_token.as_str()));
    let stale = second.post(
        "/v1/sign",
        "application/pdf",
        &[("Authorization", &format!("Bearer {old_token}"))],
        &common::pdf::one_page(),
    );
    assert_eq!(
        stale.status, 401,
        "the previous development token is revoked"
    );
    let again = second.sign(&common::pdf::one_page(), "", &[]);
    assert_eq!(again.header("kyso-ledger-index"), Some("1"));
}

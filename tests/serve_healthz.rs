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

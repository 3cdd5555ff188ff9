//! `kyso serve --config`: a real configuration starts; dangerous ones are refused with a
//! message that says what to change.

mod common;

use common::server::{refused, Options, Server, TestAgency};

#[test]
fn demo_keys_in_a_configuration_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::server::kyso(&["pki", "demo", "--out", dir.path().to_str().unwrap()], &[]);
    assert!(out.status.success());
    let config = dir.path().join("kyso.toml");
    std::fs::write(
        &config,
        format!(
            "public_base_url = \"https://verify.example.gov.vn\"\nlisten = \"127.0.0.1:0\"\n\
             [ledger]\norigin = \"x.example/ledger\"\n\
             [[signers]]\nname = \"agency\"\ncertificate = {:?}\nkey = {:?}\n\
             [trust]\nanchors = [{:?}]\n",
            dir.path().join("agency-signer.pem"),
            dir.path().join("agency-signer.key.pem"),
            dir.path().join("root-ca.pem"),
        ),
    )
    .unwrap();
    let err = refused(Some(&config), &[]);
    assert!(err.contains("refusing to start"), "{err}");
    assert!(err.contains("demo certificate"), "{err}");
    assert!(err.contains("real certificate"), "{err}");

    // A real signer with the demo time-stamp authority is refused as well.
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let agency = TestAgency::create(&real);
    let demo_tsa = agency.config(
        &dir.path().join("demo-tsa.toml"),
        "public_base_url = \"https://verify.example.gov.vn/\"",
        "",
        &format!(
            "[timestamping]\ncertificate = {:?}\nkey = {:?}\n",
            dir.path().join("tsa.pem"),
            dir.path().join("tsa.key.pem"),
        ),
    );
    let err = refused(Some(&demo_tsa), &[]);
    assert!(err.contains("time-stamp authority certificate"), "{err}");
    assert!(err.contains("demo certificate"), "{err}");
}

#[test]
fn plain_http_on_a_public_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let agency = TestAgency::create(dir.path());
    let config = agency.config(
        &dir.path().join("kyso.toml"),
        "public_base_url = \"http://verify.example.gov.vn\"\nlisten = \"0.0.0.0:0\"",
        "",
        "",
    );
    let err = refused(Some(&config), &[]);
    assert!(err.contains("refusing to start"), "{err}");
    assert!(err.contains("https://"), "{err}");
    // Development mode (demo keys) on a public address is refused as well.
    let err = refused(None, &[("KYSO_LISTEN", "0.0.0.0:0")]);
    assert!(err.contains("loopback"), "{err}");
}

#[test]
fn a_configured_service_signs_with_its_agency_key() {
    let dir = tempfile::tempdir().unwrap();
    let agency = TestAgency::create(dir.path());
    let config = agency.config(
        &dir.path().join("kyso.toml"),
        "public_base_url = \"https://verify.example.gov.vn/\"\nlog_format = \"json\"",
        "",
        "[limits]\nmax_body_bytes = 2000000\n",
    );
    let server = Server::start(Options {
        config: Some(config),
        ..Default::default()
    });
    assert!(
        server.token.is_none(),
        "no development token outside development mode"
    );
    assert_eq!(server.public_base, "https://verify.example.gov.vn");
    let store = kyso::http::service_store::ServiceStore::open_sqlite(
        &server.data_dir.join("service.sqlite"),
    )
    .unwrap();
    let token = store
        .create_token(
            "test",
            &[kyso::http::service_store::Scope::Sign("agency".into())],
        )
        .unwrap();
    let other = store
        .create_token("admin only", &[kyso::http::service_store::Scope::Admin])
        .unwrap();
    let pdf = common::pdf::one_page();
    let forbidden = server.post(
        "/v1/sign",
        "application/pdf",
        &[("Authorization", &format!("Bearer {}", other.secret))],
        &pdf,
    );
    assert_eq!(forbidden.status, 403, "{}", forbidden.text());
    assert_eq!(forbidden.code(), "forbidden");
    let r = server.post(
        "/v1/sign",
        "application/pdf",
        &[("Authorization", &format!("Bearer {}", token.secret))],
        &pdf,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.header("kyso-document-id").unwrap();
    assert_eq!(
        r.header("kyso-verification-url"),
        Some(format!("https://verify.example.gov.vn/v/{id}").as_str())
    );
    // The configured limit applies.
    let (status, text) = server.raw(
        &format!(
            "POST /v1/sign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/pdf\r\nContent-Length: 2000001\r\n\r\n",
            token.secret
        ),
        b"%PDF",
    );
    assert_eq!(status, 413, "{text}");
    // JSON logs, one object per line, without the token.
    let log = server.log_text();
    assert!(
        log.lines()
            .any(|l| l.starts_with('{') && l.contains("\"request_id\"")),
        "{log}"
    );
    assert!(!log.contains(&token.secret));
    // No [timestamping]: no built-in authority.
    let tsa = server.post("/tsa", "application/timestamp-query", &[], b"\x30\x00");
    assert_eq!(tsa.status, 404, "{}", tsa.text());
    assert_eq!(tsa.code(), "not_found");
}

#[test]
fn a_configured_built_in_authority_stamps_signatures_at_the_default_level() {
    let dir = tempfile::tempdir().unwrap();
    let agency = TestAgency::create(dir.path());
    let timestamping = format!(
        "[timestamping]\ncertificate = {:?}\nkey = {:?}\ndefault_level = \"B-T\"\n",
        agency.tsa_cert, agency.tsa_key
    );
    let config = agency.config(
        &dir.path().join("kyso.toml"),
        "public_base_url = \"https://verify.example.gov.vn/\"",
        "",
        &timestamping,
    );
    let server = Server::start(Options {
        config: Some(config.clone()),
        ..Default::default()
    });
    let auth = format!("Bearer {}", agency_token(&server));
    let pdf = common::pdf::one_page();
    let verify_level = |query: &str| {
        let r = server.post(
            &format!("/v1/sign{query}"),
            "application/pdf",
            &[("Authorization", auth.as_str())],
            &pdf,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let v = server.post("/v1/verify", "application/pdf", &[], &r.body);
        assert_eq!(v.status, 200, "{}", v.text());
        let v = v.json();
        assert_eq!(v["indication"], "TOTAL_PASSED", "{v:#}");
        v["signatures"][0]["level"].clone()
    };
    assert_eq!(verify_level(""), "B-T", "the configured default level");
    assert_eq!(verify_level("?level=B-B"), "B-B", "a request's own level");
    // The authority is served at /tsa too.
    let req =
        kyso::cms::timestamp_request(kyso::cms::DigestAlgorithm::Sha256, &[3; 32], None, true)
            .unwrap();
    let r = server.post("/tsa", "application/timestamp-query", &[], &req);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(kyso::cms::token_from_response(&r.body).is_ok());

    // A timestamped default level without an authority, and both kinds of authority, are
    // refused at start.
    let no_tsa = agency.config(
        &dir.path().join("no-tsa.toml"),
        "public_base_url = \"https://verify.example.gov.vn/\"",
        "",
        "[timestamping]\ndefault_level = \"B-LT\"\n",
    );
    let err = refused(Some(&no_tsa), &[]);
    assert!(err.contains("needs a time-stamp authority"), "{err}");
    let both = agency.config(
        &dir.path().join("both.toml"),
        "public_base_url = \"https://verify.example.gov.vn/\"",
        "",
        &format!("{timestamping}tsa_url = \"https://tsa.example.gov.vn/tsa\"\n"),
    );
    let err = refused(Some(&both), &[]);
    assert!(err.contains("not both"), "{err}");
}

/// A token that may sign with the configured signer `agency`, made in the server's store.
fn agency_token(server: &Server) -> String {
    kyso::http::service_store::ServiceStore::open_sqlite(&server.data_dir.join("service.sqlite"))
        .unwrap()
        .create_token(
            "test",
            &[kyso::http::service_store::Scope::Sign("agency".into())],
        )
        .unwrap()
        .secret
}

/// Opens a signing request whose body is only partly sent: it holds an in-flight slot.
fn partial_upload(server: &Server, secret: &str) -> std::net::TcpStream {
    use std::io::Write as _;
    let mut s = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "POST /v1/sign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n%PDF-1.7\n"
    )
    .unwrap();
    s.flush().unwrap();
    s
}

#[test]
fn past_the_in_flight_limit_503_with_retry_after_and_slow_requests_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let agency = TestAgency::create(dir.path());
    let config = agency.config(
        &dir.path().join("kyso.toml"),
        "public_base_url = \"https://verify.example.gov.vn\"",
        "",
        "[limits]\nmax_in_flight = 1\nqueue = 0\nrequest_timeout_seconds = 2\n",
    );
    let server = Server::start(Options {
        config: Some(config),
        ..Default::default()
    });
    let token = kyso::http::service_store::ServiceStore::open_sqlite(
        &server.data_dir.join("service.sqlite"),
    )
    .unwrap()
    .create_token(
        "t",
        &[kyso::http::service_store::Scope::Sign("agency".into())],
    )
    .unwrap();
    let mut holder = partial_upload(&server, &token.secret);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let busy = server.post(
        "/v1/verify",
        "application/pdf",
        &[],
        &common::pdf::one_page(),
    );
    assert_eq!(busy.status, 503, "{}", busy.text());
    assert_eq!(busy.code(), "overloaded");
    assert_eq!(busy.header("retry-after"), Some("1"));
    // Cheap routes are not gated.
    assert_eq!(server.get("/checkpoint").status, 200);
    // The stalled upload hits the request time limit.
    let mut answer = String::new();
    holder
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let _ = std::io::Read::read_to_string(&mut holder, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
    // The slot is free again.
    let ok = server.post(
        "/v1/verify",
        "application/pdf",
        &[],
        &common::pdf::one_page(),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let metrics = server.get("/metrics").text();
    assert!(
        metrics.contains(
            "kyso_http_requests_total{route=\"/v1/verify\",method=\"POST\",status=\"503\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("kyso_http_request_duration_seconds_bucket{route=\"/v1/verify\""));
    assert!(metrics.contains("kyso_ledger_size 0"));
}

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
}

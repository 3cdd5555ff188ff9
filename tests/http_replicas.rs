//! Two `kyso serve` replicas on one PostgreSQL database and the same signer and ledger key:
//! documents signed through either are found and verified through both, indices never collide,
//! an `Idempotency-Key` holds across replicas, and a two-step signing prepared on one replica is
//! completed on the other.

mod common;
mod ledger_support;

use std::path::Path;

use base64::Engine as _;
use common::server::{Options, Server, TestAgency};
use kyso::http::service_store::{Scope, ServiceStore};
use openssl::md::Md;
use openssl::pkey::PKey;
use openssl::pkey_ctx::PkeyCtx;

fn replica(agency: &TestAgency, dir: &Path, name: &str, url: &str) -> Server {
    let config = agency.config(
        &dir.join(format!("{name}.toml")),
        &format!(
            "public_base_url = \"https://verify.example.gov.vn\"\n\
             [storage]\npostgres_url = \"{url}\""
        ),
        &format!("key_file = {:?}", dir.join("log.key")),
        "",
    );
    Server::start(Options {
        config: Some(config),
        data_dir: Some(dir.join(name)),
        ..Default::default()
    })
}

#[test]
fn two_replicas_on_one_postgresql_serve_the_same_documents() {
    let Some(pg) = ledger_support::PgServer::start() else {
        common::missing("PostgreSQL (the postgresql package)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let agency = TestAgency::create(dir.path());
    let a = replica(&agency, dir.path(), "a", &pg.url());
    let b = replica(&agency, dir.path(), "b", &pg.url());
    let token = ServiceStore::open_postgres(&pg.url())
        .unwrap()
        .create_token("replicas", &[Scope::Sign("agency".into())])
        .unwrap();
    let auth = format!("Bearer {}", token.secret);
    let b64 = base64::engine::general_purpose::STANDARD;
    let sign = |s: &Server, key: Option<&str>| {
        let mut h = vec![("Authorization", auth.as_str())];
        if let Some(k) = key {
            h.push(("Idempotency-Key", k));
        }
        let r = s.post(
            "/v1/sign?document_number=1",
            "application/pdf",
            &h,
            &common::pdf::one_page(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r
    };

    let via_a = sign(&a, None);
    let via_b = sign(&b, None);
    for (signed, name) in [(&via_a, "a"), (&via_b, "b")] {
        let id = signed.header("kyso-document-id").unwrap();
        for s in [&a, &b] {
            let rec = s.get(&format!("/v1/documents/{id}"));
            assert_eq!(rec.status, 200, "signed via {name}: {}", rec.text());
            assert_eq!(rec.json()["status"], "valid");
            let v = s.post("/v1/verify", "application/pdf", &[], &signed.body);
            assert_eq!(v.status, 200);
            let v = v.json();
            assert_eq!(v["signatures"][0]["ledger"]["known"], true, "{v:#}");
            assert_eq!(v["signatures"][0]["intact"], true, "{v:#}");
        }
    }
    assert_ne!(
        via_a.header("kyso-ledger-index"),
        via_b.header("kyso-ledger-index")
    );

    // Concurrent signing through both: every index distinct, the tree holds them all.
    let indices: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = if i % 2 == 0 { &a } else { &b };
                let sign = &sign;
                scope.spawn(move || {
                    sign(s, None)
                        .header("kyso-ledger-index")
                        .unwrap()
                        .to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = indices.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), indices.len(), "{indices:?}");

    // One Idempotency-Key through both replicas: one document.
    let first = sign(&a, Some("across-replicas"));
    let second = sign(&b, Some("across-replicas"));
    assert_eq!(
        first.header("kyso-document-id"),
        second.header("kyso-document-id")
    );
    assert_eq!(first.body, second.body);
    for s in [&a, &b] {
        let cp = s.get("/checkpoint").text();
        assert_eq!(cp.lines().nth(1), Some("11"), "2 + 8 + 1 entries: {cp}");
    }

    // Two-step signing: prepared through a, completed through b, used once across both.
    let chain = std::fs::read_to_string(&agency.cert).unwrap();
    let metadata = serde_json::json!({ "certificates": chain });
    let (content_type, body) =
        common::server::multipart(&metadata.to_string(), &common::pdf::one_page());
    let prepared = a.post(
        "/v1/sign/prepare",
        &content_type,
        &[("Authorization", auth.as_str())],
        &body,
    );
    assert_eq!(prepared.status, 200, "{}", prepared.text());
    let prepared = prepared.json();
    let digest = b64.decode(prepared["digest"].as_str().unwrap()).unwrap();
    let key = PKey::private_key_from_pem(&std::fs::read(&agency.key).unwrap()).unwrap();
    let mut ctx = PkeyCtx::new(&key).unwrap();
    ctx.sign_init().unwrap();
    ctx.set_signature_md(Md::sha256()).unwrap();
    let mut signature = Vec::new();
    ctx.sign_to_vec(&digest, &mut signature).unwrap();
    let completion = serde_json::json!({
        "session": prepared["session"],
        "signature": b64.encode(&signature),
    })
    .to_string();
    let complete = |s: &Server| {
        s.post(
            "/v1/sign/complete",
            "application/json",
            &[("Authorization", auth.as_str())],
            completion.as_bytes(),
        )
    };
    let completed = complete(&b);
    assert_eq!(completed.status, 200, "{}", completed.text());
    assert!(completed.body.starts_with(b"%PDF"));
    assert_eq!(complete(&a).status, 404, "the session was used on b");
    assert_eq!(complete(&b).status, 404);
}

//! The admin API against a real `kyso serve`: the authorization walk over every `/v1/admin/`
//! route of the router, tokens created with no server (`kyso admin tokens create`) and through
//! the API, document revocation, and no token or key material in any answer or log line.

mod common;

use std::path::Path;
use std::time::Duration;

use common::server::{kyso, Server};
use kyso::http::routes::ROUTES;

/// A syntactically valid document id nobody issued (26 base32 characters).
const UNKNOWN_DOCUMENT: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAA";

/// One answer: status and body.
struct Answer {
    status: u16,
    body: String,
}

fn request(server: &Server, method: &str, path: &str, auth: Option<&str>, body: &[u8]) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(server.url(path))
        .header("Content-Type", "application/json");
    if let Some(a) = auth {
        builder = builder.header("Authorization", a);
    }
    let req = builder.body(body.to_vec()).expect("request");
    let mut resp = agent.run(req).expect("send");
    Answer {
        status: resp.status().as_u16(),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// `kyso admin tokens create` on the server's data directory (no server involved).
fn offline_token(data: &Path, label: &str, scope: &str) -> String {
    let o = kyso(
        &[
            "admin", "tokens", "create", "--label", label, "--scope", scope,
        ],
        &[("KYSO_DATA", data)],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn token_id(server: &Server, admin: &str, label: &str) -> String {
    let list = request(server, "GET", "/v1/admin/tokens", Some(admin), b"");
    assert_eq!(list.status, 200, "{}", list.body);
    let json: serde_json::Value = serde_json::from_str(&list.body).expect("json");
    json.as_array()
        .and_then(|a| a.iter().find(|t| t["label"] == label))
        .and_then(|t| t["id"].as_str())
        .expect("token listed")
        .to_owned()
}

#[test]
fn every_admin_route_requires_an_admin_token() {
    let server = Server::start_dev();
    let admin_secret = offline_token(&server.data_dir, "ops", "admin");
    let admin = format!("Bearer {admin_secret}");
    let old_secret = offline_token(&server.data_dir, "old-admin", "admin");
    let old_id = token_id(&server, &admin, "old-admin");
    let o = kyso(
        &["admin", "tokens", "revoke", &old_id],
        &[("KYSO_DATA", &server.data_dir)],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let revoked = format!("Bearer {old_secret}");
    let development = server.auth();
    let signer_only_secret = offline_token(&server.data_dir, "signer", "sign:demo-agency");
    let signer_only = format!("Bearer {signer_only_secret}");

    let admin_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/v1/admin/"))
        .collect();
    assert!(admin_routes.len() >= 8, "the admin routes are in the table");
    let mut answers = Vec::new();
    for route in &admin_routes {
        let id = if route.path.contains("/documents/") {
            UNKNOWN_DOCUMENT
        } else {
            "0000000000000000"
        };
        let path = route
            .path
            .replace("{id}", id)
            .replace("{sha256}", &"00".repeat(32));
        let method = route.method.as_str();
        let body = br#"{"reason":"x"}"#;
        for (what, auth) in [
            ("no token", None),
            ("a malformed header", Some("Bearer")),
            ("another scheme", Some("Basic b3BzOm9wcw==")),
            (
                "an unknown token",
                Some("Bearer kyso_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ),
            ("a revoked token", Some(revoked.as_str())),
        ] {
            let a = request(&server, method, &path, auth, body);
            assert_eq!(a.status, 401, "{method} {path} with {what}: {}", a.body);
            assert!(
                a.body.contains("\"code\":\"unauthenticated\""),
                "{}",
                a.body
            );
        }
        for (what, auth) in [
            ("the development token", &development),
            ("a sign-only token", &signer_only),
        ] {
            let a = request(&server, method, &path, Some(auth), body);
            assert_eq!(a.status, 403, "{method} {path} with {what}: {}", a.body);
        }
        let a = request(&server, method, &path, Some(&admin), body);
        assert!(
            ![401, 403, 500].contains(&a.status),
            "{method} {path} refused the admin token: {} {}",
            a.status,
            a.body
        );
        answers.push(a.body);
    }

    // Tokens through the API: created, usable, revoked, then refused.
    let created = request(
        &server,
        "POST",
        "/v1/admin/tokens",
        Some(&admin),
        br#"{"label":"portal","scopes":["sign:demo-agency"]}"#,
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let json: serde_json::Value = serde_json::from_str(&created.body).expect("json");
    let portal = format!("Bearer {}", json["token"].as_str().expect("secret"));
    let id = json["id"].as_str().expect("id").to_owned();
    let pdf = std::fs::read(
        common::samples_dir()
            .expect("samples")
            .join("quyet-dinh-123-QD-UBND.pdf"),
    )
    .expect("sample");
    let signed = server.post(
        "/v1/sign",
        "application/pdf",
        &[("Authorization", &portal)],
        &pdf,
    );
    assert_eq!(signed.status, 200);
    let del = request(
        &server,
        "DELETE",
        &format!("/v1/admin/tokens/{id}"),
        Some(&admin),
        b"",
    );
    assert_eq!(del.status, 204, "{}", del.body);
    let again = server.post(
        "/v1/sign",
        "application/pdf",
        &[("Authorization", &portal)],
        &pdf,
    );
    assert_eq!(again.status, 401);

    // No secret anywhere: not in the answers, not in the token list, not in the log.
    let list = request(&server, "GET", "/v1/admin/tokens", Some(&admin), b"");
    answers.push(list.body);
    let log = server.log_text();
    for secret in [
        admin_secret.as_str(),
        old_secret.as_str(),
        signer_only_secret.as_str(),
        server.token.as_deref().expect("development token"),
        portal.trim_start_matches("Bearer "),
    ] {
        assert!(!log.contains(secret), "a token is in the log");
        assert!(
            answers.iter().all(|a| !a.contains(secret)),
            "a token is in an answer"
        );
    }
    for text in answers.iter().chain(std::iter::once(&log)) {
        assert!(
            !text.contains("PRIVATE KEY"),
            "private key material in {text}"
        );
    }
}

#[test]
fn a_revoked_document_shows_revoked_with_reason_and_time() {
    let server = Server::start_dev();
    let admin = format!("Bearer {}", offline_token(&server.data_dir, "ops", "admin"));
    let pdf = std::fs::read(
        common::samples_dir()
            .expect("samples")
            .join("quyet-dinh-123-QD-UBND.pdf"),
    )
    .expect("sample");
    let signed = server.sign(&pdf, "?document_number=123%2FQĐ-UBND", &[]);
    let id = signed.header("kyso-document-id").expect("id").to_owned();
    let reason = "Quyết định bị thu hồi theo Quyết định 200/QĐ-UBND / revoked";
    let body = serde_json::json!({ "reason": reason }).to_string();
    let path = format!("/v1/admin/documents/{id}/revoke");
    let a = request(&server, "POST", &path, Some(&admin), body.as_bytes());
    assert_eq!(a.status, 200, "{}", a.body);
    let again = request(&server, "POST", &path, Some(&admin), body.as_bytes());
    assert_eq!(again.status, 409, "a second revocation: {}", again.body);

    let record = server.get(&format!("/v1/documents/{id}")).json();
    assert_eq!(record["status"], "revoked", "{record:#}");
    let events = record["events"].as_array().expect("events");
    let revoked = events
        .iter()
        .find(|e| e["event"] == "revoked")
        .expect("a revoked event");
    assert_eq!(revoked["reason"], reason);
    assert!(
        revoked["time"].as_str().is_some_and(|t| t.len() >= 20),
        "{revoked:#}"
    );

    // /v1/verify on the issued file: revoked, with the reason and time of the revocation.
    let v = server.post("/v1/verify", "application/pdf", &[], &signed.body);
    assert_eq!(v.status, 200, "{}", v.text());
    let report = v.json();
    assert_eq!(report["ledger_status"], "revoked", "{report:#}");
    assert_ne!(report["indication"], "TOTAL_PASSED");
    let ledger_events = report["signatures"][0]["ledger"]["record"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let event = ledger_events
        .iter()
        .find(|e| e["event"] == "revoked")
        .expect("the revocation in /v1/verify");
    assert_eq!(event["reason"], reason);
    assert_eq!(event["time"], revoked["time"]);

    // The citizen page: revoked, with the reason and the revocation time (Vietnam time).
    let page = server.get(&format!("/v/{id}"));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("data-status=\"revoked\""), "{html}");
    assert_eq!(dd_field(&html, "reason").as_deref(), Some(reason), "{html}");
    let at = time::OffsetDateTime::parse(
        revoked["time"].as_str().expect("time"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339 time")
    .to_offset(time::UtcOffset::from_hms(7, 0, 0).expect("UTC+7"));
    let expected = format!(
        "{:02}/{:02}/{} {:02}:{:02}:{:02} +07:00",
        at.day(),
        u8::from(at.month()),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    );
    assert_eq!(
        dd_field(&html, "withdrawn").as_deref(),
        Some(expected.as_str()),
        "{html}"
    );
    assert!(html.contains("Bị thu hồi lúc"), "{html}");
    let english = server.get(&format!("/v/{id}?lang=en")).text();
    assert!(english.contains("Revoked at"), "{english}");

    let unknown = request(
        &server,
        "POST",
        &format!("/v1/admin/documents/{UNKNOWN_DOCUMENT}/revoke"),
        Some(&admin),
        body.as_bytes(),
    );
    assert_eq!(unknown.status, 404);
    let malformed = request(
        &server,
        "POST",
        "/v1/admin/documents/nope/revoke",
        Some(&admin),
        body.as_bytes(),
    );
    assert_eq!(malformed.status, 400);
}

/// The text of the page's `<dd data-field="FIELD">`.
fn dd_field(html: &str, field: &str) -> Option<String> {
    let open = format!("<dd data-field=\"{field}\">");
    let start = html.find(&open)? + open.len();
    let rest = html.get(start..)?;
    rest.find("</dd>")
        .and_then(|end| rest.get(..end))
        .map(str::to_owned)
}

/// `kyso ledger audit --admin-trail` on the data directory: exit code and report.
fn ledger_audit(data: &Path) -> (i32, serde_json::Value) {
    let key = data.join("log.vkey");
    let dir = data.display().to_string();
    let key = key.display().to_string();
    let o = kyso(
        &[
            "ledger",
            "audit",
            "--dir",
            &dir,
            "--key",
            &key,
            "--admin-trail",
        ],
        &[],
    );
    let report = serde_json::from_slice(&o.stdout).unwrap_or_default();
    (o.status.code().unwrap_or(-1), report)
}

#[test]
fn altering_or_deleting_an_audit_record_is_reported_by_ledger_audit() {
    let mut server = Server::start_dev();
    let admin = format!("Bearer {}", offline_token(&server.data_dir, "ops", "admin"));
    for label in ["portal-1", "portal-2"] {
        let body = serde_json::json!({"label": label, "scopes": ["sign:demo-agency"]});
        let a = request(
            &server,
            "POST",
            "/v1/admin/tokens",
            Some(&admin),
            body.to_string().as_bytes(),
        );
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let id = token_id(&server, &admin, "portal-1");
    let a = request(
        &server,
        "DELETE",
        &format!("/v1/admin/tokens/{id}"),
        Some(&admin),
        b"",
    );
    assert_eq!(a.status, 204);
    assert!(server.stop(), "the server stops cleanly");
    let data = server.data_dir.clone();

    let db = rusqlite::Connection::open(data.join("service.sqlite")).expect("service store");
    let rows: Vec<(i64, String, i64)> = db
        .prepare("SELECT seq, record, ledger_index FROM kyso_audit ORDER BY seq")
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), 3, "one record per action: {rows:?}");
    assert!(rows
        .iter()
        .any(|(_, r, _)| r.contains("\"action\":\"revoke-token\"")
            && r.contains("\"actor_label\":\"ops\"")));
    assert!(
        rows.iter().all(|(_, r, _)| !r.contains("kyso_")),
        "no token secret in a record"
    );

    let (code, report) = ledger_audit(&data);
    assert_eq!(code, 0, "{report:#}");
    let max_index = rows.iter().map(|r| r.2).max().expect("rows");
    assert!(
        report["tree_size"].as_i64().is_some_and(|n| n > max_index),
        "the audited checkpoint covers the audit entries: {report:#}"
    );

    // Altered: the revocation rewritten as a listing.
    let (seq, original, _) = rows
        .iter()
        .find(|(_, r, _)| r.contains("revoke-token"))
        .cloned()
        .expect("row");
    db.execute(
        "UPDATE kyso_audit SET record = ?1 WHERE seq = ?2",
        rusqlite::params![original.replace("revoke-token", "list-tokens"), seq],
    )
    .expect("tamper");
    let (code, report) = ledger_audit(&data);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        report["problems"].to_string().contains("altered"),
        "{report:#}"
    );
    db.execute(
        "UPDATE kyso_audit SET record = ?1 WHERE seq = ?2",
        rusqlite::params![original, seq],
    )
    .expect("restore");
    assert_eq!(ledger_audit(&data).0, 0);

    // Deleted.
    db.execute(
        "DELETE FROM kyso_audit WHERE seq = ?1",
        rusqlite::params![seq],
    )
    .expect("delete");
    let (code, report) = ledger_audit(&data);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        report["problems"].to_string().contains("deleted"),
        "{report:#}"
    );
}

#[test]
fn anchors_and_crls_added_by_an_administrator_apply_at_once() {
    let server = Server::start_dev();
    let admin = format!("Bearer {}", offline_token(&server.data_dir, "ops", "admin"));
    let other = server.data_dir.join("other-pki");
    let o = kyso(&["pki", "demo", "--out", &other.display().to_string()], &[]);
    assert!(o.status.success());
    let read = |name: &str| std::fs::read_to_string(other.join(name)).expect("pki file");
    let validate = |leaf: &str| {
        let body = serde_json::json!({
            "chain": [read(leaf), read("issuing-ca.pem")],
            "revocation": "soft-fail",
        });
        let a = request(
            &server,
            "POST",
            "/v1/certificates/validate",
            None,
            body.to_string().as_bytes(),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        serde_json::from_str::<serde_json::Value>(&a.body).expect("json")
    };
    // Another hierarchy: not trusted until its root is added.
    assert_ne!(validate("agency-signer.pem")["indication"], "TOTAL_PASSED");
    let leaf_only = request(
        &server,
        "POST",
        "/v1/admin/trust/anchors",
        Some(&admin),
        read("agency-signer.pem").as_bytes(),
    );
    assert_eq!(
        leaf_only.status, 400,
        "an end-entity certificate is no anchor"
    );
    let added = request(
        &server,
        "POST",
        "/v1/admin/trust/anchors",
        Some(&admin),
        read("root-ca.pem").as_bytes(),
    );
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(validate("agency-signer.pem")["indication"], "TOTAL_PASSED");

    // Its issuing CA's CRL revokes its revoked signer once uploaded.
    assert_eq!(
        validate("revoked-signer.pem")["indication"],
        "TOTAL_PASSED",
        "no CRL yet: soft-fail"
    );
    let crl = request(
        &server,
        "POST",
        "/v1/admin/trust/crls",
        Some(&admin),
        read("issuing-ca.crl.pem").as_bytes(),
    );
    assert_eq!(crl.status, 200, "{}", crl.body);
    let revoked = validate("revoked-signer.pem");
    assert_eq!(revoked["sub_indication"], "REVOKED", "{revoked:#}");

    // Removed again: untrusted.
    let list = request(&server, "GET", "/v1/admin/trust/anchors", Some(&admin), b"");
    let anchors: serde_json::Value = serde_json::from_str(&list.body).expect("json");
    let sha = anchors
        .as_array()
        .and_then(|a| a.iter().find(|x| x["added"] == true))
        .and_then(|x| x["sha256"].as_str())
        .expect("the added anchor")
        .to_owned();
    let del = request(
        &server,
        "DELETE",
        &format!("/v1/admin/trust/anchors/{sha}"),
        Some(&admin),
        b"",
    );
    assert_eq!(del.status, 204, "{}", del.body);
    assert_ne!(validate("agency-signer.pem")["indication"], "TOTAL_PASSED");
}

/// Every file under `dir` (databases with their journals, keys, the demo PKI), read whole.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn tokens_are_stored_only_as_hashes_and_a_near_miss_is_refused() {
    use sha2::{Digest, Sha256};
    let server = Server::start_dev();
    let dev = server.token.clone().expect("development token");
    let admin = offline_token(&server.data_dir, "ops", "admin");
    let admin_auth = format!("Bearer {admin}");
    // Use both, so that every store has written what it keeps of them.
    assert_eq!(
        request(&server, "GET", "/v1/admin/tokens", Some(&admin_auth), b"").status,
        200
    );
    server.sign(&common::pdf::one_page(), "", &[]);

    let files = files_under(&server.data_dir);
    let mut hashes_seen = 0;
    for secret in [&dev, &admin] {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        for (path, bytes) in &files {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{} holds a token in clear",
                path.display()
            );
            if contains(bytes, &digest) || contains(bytes, hex::encode(digest).as_bytes()) {
                hashes_seen += 1;
            }
        }
    }
    assert!(hashes_seen >= 2, "both tokens are stored, as SHA-256");

    // A token that differs in its last character only is a different, unknown token.
    let mut near = admin.clone();
    let last = near.pop().expect("non-empty token");
    near.push(if last == 'A' { 'B' } else { 'A' });
    let refused = request(
        &server,
        "GET",
        "/v1/admin/tokens",
        Some(&format!("Bearer {near}")),
        b"",
    );
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(!refused.body.contains(&near));
    // Every parameterless GET route, and errors of the signing route, with the tokens sent.
    let mut answers = vec![refused.body];
    for route in ROUTES {
        if route.method == axum::http::Method::GET && !route.path.contains('{') {
            answers.push(request(&server, "GET", route.path, Some(&admin_auth), b"").body);
        }
    }
    let dev_auth = format!("Bearer {dev}");
    for body in [&b"not a pdf"[..], b"%PDF-1.7\n"] {
        answers.push(request(&server, "POST", "/v1/sign", Some(&dev_auth), body).body);
    }
    let log = server.log_text();
    for text in answers.iter().chain(std::iter::once(&log)) {
        assert!(
            !text.contains(&dev) && !text.contains(&admin),
            "a token in {text}"
        );
        assert!(!text.contains("PRIVATE KEY"), "key material in {text}");
    }
}

//! A running service signs with a key generated in a SoftHSM2 token through `kyso keys`, and
//! rotates to a new key (an encrypted key file) through the admin API while clients keep
//! signing: no request fails, every document verifies (kyso and pyHanko), documents from
//! before the rotation carry the token key's certificate and those requested after it the new
//! one.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::keys::{cert_sha256, record, Env, PASSPHRASE, PASS_ENV, PIN_ENV, USER_PIN};
use common::server::{kyso, Options, Server};

/// Concurrent signing clients.
const CLIENTS: usize = 3;
/// Documents each client signs before the rotation and after it.
const PER_PHASE: usize = 4;
/// Longest the test waits for a phase.
const PHASE_TIMEOUT: Duration = Duration::from_secs(120);

/// What one client saw: for each request, its status, the signed file and whether it was
/// sent after the rotation had been answered.
struct Signed {
    status: u16,
    pdf: Vec<u8>,
    after_rotation: bool,
}

#[test]
fn token_key_signs_through_the_api_and_rotates_under_load() {
    let Some(env) = Env::new() else { return };
    let signer = "demo-agency";
    let first = env.generate_token_key(signer, "rsa2048");
    let first_cert = env.issue(&first, "UBND tỉnh Đắk Lắk");
    assert!(env.import(&first, &first_cert).status.success());
    env.kyso(&["keys", "activate", "--key", &first], &[]);
    let second = env.generate_file_key(signer);
    let second_cert = env.issue(&second, "UBND tỉnh Đắk Lắk");

    let data = env.path("data");
    let server = Server::start(Options {
        data_dir: Some(data.clone()),
        env: vec![
            ("SOFTHSM2_CONF".into(), env.conf().display().to_string()),
            (PIN_ENV.into(), USER_PIN.into()),
            (PASS_ENV.into(), PASSPHRASE.into()),
        ],
        ..Options::default()
    });
    let o = kyso(
        &[
            "admin", "tokens", "create", "--label", "ops", "--scope", "admin",
        ],
        &[("KYSO_DATA", &data)],
    );
    assert!(o.status.success());
    let admin = format!("Bearer {}", String::from_utf8_lossy(&o.stdout).trim());
    let pdf = std::fs::read(&env.sample).expect("sample");

    let rotated = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let before = AtomicUsize::new(0);
    let after = AtomicUsize::new(0);
    let results: Mutex<Vec<Signed>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            s.spawn(|| {
                let auth = server.auth();
                while !stop.load(Ordering::SeqCst) {
                    let after_rotation = rotated.load(Ordering::SeqCst);
                    let r = server.post(
                        "/v1/sign",
                        "application/pdf",
                        &[("Authorization", &auth)],
                        &pdf,
                    );
                    let counter = if after_rotation { &after } else { &before };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let failed = r.status != 200;
                    results.lock().expect("results").push(Signed {
                        status: r.status,
                        pdf: r.body,
                        after_rotation,
                    });
                    if failed {
                        break;
                    }
                }
            });
        }
        let wait = |counter: &AtomicUsize, n: usize| {
            let deadline = Instant::now() + PHASE_TIMEOUT;
            while counter.load(Ordering::SeqCst) < n && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait(&before, CLIENTS * PER_PHASE);
        // Register the new certificate and activate it while the clients sign.
        let mut pem = std::fs::read(&second_cert).expect("cert");
        pem.extend(std::fs::read(env.pki("issuing-ca.pem")).expect("chain"));
        let reg = server.post(
            &format!("/v1/admin/keys/{second}/certificate"),
            "application/x-pem-file",
            &[("Authorization", &admin)],
            &pem,
        );
        assert_eq!(reg.status, 200, "register: {}", reg.text());
        let act = server.post(
            &format!("/v1/admin/keys/{second}/activate"),
            "application/json",
            &[("Authorization", &admin)],
            b"",
        );
        assert_eq!(act.status, 200, "activate: {}", act.text());
        assert_eq!(act.json()["retired"], first.as_str());
        rotated.store(true, Ordering::SeqCst);
        wait(&after, CLIENTS * PER_PHASE);
        stop.store(true, Ordering::SeqCst);
    });

    let results = results.into_inner().expect("results");
    assert!(
        results.iter().all(|r| r.status == 200),
        "a signing request failed"
    );
    let old = format!("\"{}\"", cert_sha256(&first_cert));
    let new = format!("\"{}\"", cert_sha256(&second_cert));
    let (mut saw_old, mut saw_new) = (0, 0);
    for (n, r) in results.iter().enumerate() {
        let file = env.path(&format!("doc-{n}.pdf"));
        std::fs::write(&file, &r.pdf).expect("write");
        let (code, signers) = env.kyso_verify(&file);
        assert_eq!(code, 0, "document {n} does not verify");
        let [cert] = signers.as_slice() else {
            panic!("document {n}: one signature expected, got {signers:?}");
        };
        if r.after_rotation {
            assert_eq!(cert, &new, "document {n}, requested after the rotation");
        }
        if cert == &old {
            saw_old += 1;
        } else {
            assert_eq!(cert, &new, "document {n} has neither key's certificate");
            saw_new += 1;
        }
    }
    assert!(
        saw_old >= CLIENTS * PER_PHASE,
        "{saw_old} documents with the first key"
    );
    assert!(
        saw_new >= CLIENTS * PER_PHASE,
        "{saw_new} documents with the second key"
    );
    assert_eq!(record(&env, &first)["state"], "retired");
    assert_eq!(record(&env, &second)["state"], "active");
    // pyHanko on the first document (token key) and the last (file key).
    for file in [
        env.path("doc-0.pdf"),
        env.path(&format!("doc-{}.pdf", results.len() - 1)),
    ] {
        assert!(
            env.pyhanko_valid(&file),
            "pyHanko rejects {}",
            file.display()
        );
    }
}

#[test]
fn readyz_and_metrics_warn_thirty_days_before_the_active_certificate_expires() {
    let Some(env) = Env::new() else { return };
    let key = env.generate_file_key("demo-agency");
    let cert = env.issue_for_days(&key, "UBND tỉnh Đắk Lắk", 10);
    assert!(env.import(&key, &cert).status.success());
    env.kyso(&["keys", "activate", "--key", &key], &[]);
    let server = Server::start(Options {
        data_dir: Some(env.path("data")),
        env: vec![(PASS_ENV.into(), PASSPHRASE.into())],
        ..Options::default()
    });
    let ready = server.get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.text());
    let text = ready.text();
    assert!(
        text.contains("signer demo-agency expires in 9 days")
            || text.contains("signer demo-agency expires in 10 days"),
        "{text}"
    );
    let metrics = server.get("/metrics").text();
    assert!(
        metrics.contains("kyso_signer_certificate_expiring{signer=\"demo-agency\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("kyso_signer_certificate_expiry_seconds{signer=\"demo-agency\"}"));
}

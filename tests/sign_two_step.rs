//! Two-step signing through the `kyso` binary: `kyso external prepare` gives the digest, the
//! person's key signs it outside kyso (`openssl pkeyutl`), `kyso external complete` embeds the
//! value, then the agency countersigns with `kyso sign`. pyHanko and `kyso verify` accept both
//! signatures; a wrong signature value, an altered document or an altered state fail cleanly
//! (exit 2, no output file).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");

struct Env {
    dir: tempfile::TempDir,
    sample: PathBuf,
}

impl Env {
    fn new() -> Option<Env> {
        if !["openssl", "pyhanko"].iter().all(|t| common::have_tool(t)) {
            return None;
        }
        let sample = common::samples_dir()?.join("quyet-dinh-123-QD-UBND.pdf");
        let env = Env {
            dir: tempfile::tempdir().expect("tempdir"),
            sample,
        };
        let o = env.kyso(&["pki", "demo", "--out"], &[&env.path("pki")]);
        assert!(o.status.success());
        Some(env)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn pki(&self, name: &str) -> PathBuf {
        self.path("pki").join(name)
    }

    fn kyso(&self, args: &[&str], paths: &[&Path]) -> Output {
        Command::new(KYSO)
            .args(args)
            .args(paths)
            .current_dir(self.dir.path())
            .output()
            .expect("run kyso")
    }

    /// Prepares the sample for `who` (a demo signer stem); returns (state, digest) files.
    fn prepare(&self, who: &str, visible: &str) -> (PathBuf, PathBuf) {
        let state = self.path(&format!("{who}.state.json"));
        let digest = self.path(&format!("{who}.digest"));
        let o = self.kyso(
            &["external", "prepare", "--visible", visible, "--cert"],
            &[
                &self.pki(&format!("{who}.pem")),
                Path::new("--chain"),
                &self.pki("issuing-ca.pem"),
                Path::new("--state"),
                &state,
                Path::new("--digest"),
                &digest,
                &self.sample,
            ],
        );
        assert!(
            o.status.success(),
            "prepare: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let printed = String::from_utf8_lossy(&o.stdout).trim().to_owned();
        let bytes = std::fs::read(&digest).expect("digest");
        assert_eq!(bytes.len(), 32);
        assert_eq!(printed, hex::encode(&bytes));
        (state, digest)
    }

    /// Signs the digest with the demo key of `who` through `openssl pkeyutl`.
    fn pkeyutl(&self, who: &str, digest: &Path) -> PathBuf {
        let sig = self.path(&format!("{who}.sig"));
        let o = Command::new("openssl")
            .args(["pkeyutl", "-sign", "-pkeyopt", "digest:sha256", "-inkey"])
            .arg(self.pki(&format!("{who}.key.pem")))
            .arg("-in")
            .arg(digest)
            .arg("-out")
            .arg(&sig)
            .output()
            .expect("openssl");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        sig
    }

    fn complete(&self, input: &Path, state: &Path, sig: &Path, out: &Path) -> Output {
        self.kyso(
            &["external", "complete"],
            &[
                input,
                Path::new("--state"),
                state,
                Path::new("--signature"),
                sig,
                Path::new("-o"),
                out,
            ],
        )
    }

    fn pyhanko_valid(&self, file: &Path) -> bool {
        common::pyhanko_valid(&self.path("pki"), file)
    }
}

#[test]
fn prepared_signature_plus_agency_countersignature_both_verify() {
    let Some(env) = Env::new() else { return };
    for (person, visible) in [("person-signer", "auto"), ("agency-signer-ec", "none")] {
        let (state, digest) = env.prepare(person, visible);
        let sig = env.pkeyutl(person, &digest);
        let personal = env.path(&format!("{person}-signed.pdf"));
        let o = env.complete(&env.sample, &state, &sig, &personal);
        assert!(
            o.status.success(),
            "complete: {}",
            String::from_utf8_lossy(&o.stderr)
        );

        let countersigned = env.path(&format!("{person}-countersigned.pdf"));
        let o = env.kyso(
            &["sign", "--visible", "none", "--key"],
            &[
                &env.pki("agency-signer.key.pem"),
                Path::new("--cert"),
                &env.pki("agency-signer.pem"),
                Path::new("--chain"),
                &env.pki("issuing-ca.pem"),
                Path::new("-o"),
                &countersigned,
                &personal,
            ],
        );
        assert!(
            o.status.success(),
            "countersign: {}",
            String::from_utf8_lossy(&o.stderr)
        );

        assert!(env.pyhanko_valid(&countersigned), "pyHanko, {person}");
        let o = env.kyso(
            &["verify", "--json", "--revocation", "off", "--trust"],
            &[&env.pki("root-ca.pem"), &countersigned],
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(o.status.code(), Some(0), "{report:#}");
        let signatures = report["signatures"].as_array().expect("signatures");
        assert_eq!(signatures.len(), 2);
        for s in signatures {
            assert_eq!(s["indication"], "TOTAL_PASSED", "{s:#}");
        }
    }
}

#[test]
fn the_command_line_completes_at_b_t_with_a_time_stamp_authority() {
    let Some(env) = Env::new() else { return };
    let (state, digest) = env.prepare("person-signer", "none");
    let sig = env.pkeyutl("person-signer", &digest);
    let out = env.path("b-t.pdf");
    let complete = |extra: &[&Path]| {
        let mut args: Vec<&Path> = vec![
            &env.sample,
            Path::new("--state"),
            &state,
            Path::new("--signature"),
            &sig,
            Path::new("-o"),
            &out,
            Path::new("--level"),
            Path::new("B-T"),
        ];
        args.extend_from_slice(extra);
        env.kyso(&["external", "complete"], &args)
    };
    let refused = complete(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("time-stamp authority"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!out.exists(), "no output without a signature timestamp");
    let o = complete(&[
        Path::new("--tsa-cert"),
        &env.pki("tsa.pem"),
        Path::new("--tsa-key"),
        &env.pki("tsa.key.pem"),
        Path::new("--tsa-chain"),
        &env.pki("issuing-ca.pem"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = verified(&env.path("pki"), &out);
    assert_eq!(report["signatures"][0]["level"], "B-T", "{report:#}");
    assert_eq!(
        report["signatures"][0]["time_source"], "signature_timestamp",
        "{report:#}"
    );
    assert!(env.pyhanko_valid(&out));
}

#[test]
fn tampering_between_the_two_steps_fails_cleanly() {
    let Some(env) = Env::new() else { return };
    let (state, digest) = env.prepare("person-signer", "none");
    let good_sig = env.pkeyutl("person-signer", &digest);
    let out = env.path("out.pdf");
    let fails = |input: &Path, state: &Path, sig: &Path, needle: &str| {
        let o = env.complete(input, state, sig, &out);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "accepted: {stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!out.exists(), "an output was written");
        assert!(!stderr.contains("panicked"));
    };

    // A signature value by another key, and random bytes.
    let other_sig = env.pkeyutl("agency-signer", &digest);
    fails(&env.sample, &state, &other_sig, "signature value");
    let random = env.path("random.sig");
    std::fs::write(&random, [0x5au8; 256]).expect("write");
    fails(&env.sample, &state, &random, "signature value");

    // The document changed after prepare.
    let changed = env.path("changed.pdf");
    let mut bytes = std::fs::read(&env.sample).expect("sample");
    bytes.extend_from_slice(b"\n% appended\n");
    std::fs::write(&changed, &bytes).expect("write");
    fails(&changed, &state, &good_sig, "differs from the one prepared");

    // The prepared update altered inside the state: its bytes no longer hash to the digest.
    let text = std::fs::read_to_string(&state).expect("state");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let update = json["update"].as_str().expect("update");
    let mut altered = json.clone();
    let flipped: String = update
        .char_indices()
        .map(|(i, c)| {
            if i == 40 {
                if c == 'A' {
                    'B'
                } else {
                    'A'
                }
            } else {
                c
            }
        })
        .collect();
    altered["update"] = serde_json::Value::String(flipped);
    let altered_state = env.path("altered.state.json");
    std::fs::write(&altered_state, altered.to_string()).expect("write");
    fails(
        &env.sample,
        &altered_state,
        &good_sig,
        "differs from the one prepared",
    );

    // A different content digest in the state changes the digest to sign.
    let mut redigest = json.clone();
    redigest["content_digest"] = serde_json::Value::String("00".repeat(32));
    std::fs::write(&altered_state, redigest.to_string()).expect("write");
    fails(
        &env.sample,
        &altered_state,
        &good_sig,
        "differs from the one prepared",
    );

    // Garbage instead of a state.
    std::fs::write(&altered_state, b"{not json").expect("write");
    fails(
        &env.sample,
        &altered_state,
        &good_sig,
        "prepared signing state",
    );

    // The untouched inputs still complete.
    let o = env.complete(&env.sample, &state, &good_sig, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(env.pyhanko_valid(&out));
}

#[test]
fn two_step_through_the_api_then_the_agency_countersigns() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    if !["openssl", "pyhanko"].iter().all(|t| common::have_tool(t)) {
        return;
    }
    let Some(samples) = common::samples_dir() else {
        return;
    };
    let pdf = std::fs::read(samples.join("quyet-dinh-123-QD-UBND.pdf")).expect("sample");
    let server = common::server::Server::start_dev();
    let pki = server.demo_pki();
    let auth = server.auth();
    let mut chain = std::fs::read_to_string(pki.join("person-signer.pem")).expect("cert");
    chain.push_str(&std::fs::read_to_string(pki.join("issuing-ca.pem")).expect("chain"));

    let prepare = |metadata: serde_json::Value| {
        let (ct, body) = common::server::multipart(&metadata.to_string(), &pdf);
        server.post("/v1/sign/prepare", &ct, &[("Authorization", &auth)], &body)
    };
    let complete = |session: &str, signature: &[u8], token: &str| {
        let body = serde_json::json!({"session": session, "signature": b64.encode(signature)});
        server.post(
            "/v1/sign/complete",
            "application/json",
            &[("Authorization", token)],
            body.to_string().as_bytes(),
        )
    };
    let sign_digest = |digest_b64: &str, key: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let digest = dir.path().join("d");
        std::fs::write(&digest, b64.decode(digest_b64).expect("base64")).expect("write");
        let o = Command::new("openssl")
            .args(["pkeyutl", "-sign", "-pkeyopt", "digest:sha256", "-inkey"])
            .arg(pki.join(key))
            .arg("-in")
            .arg(&digest)
            .output()
            .expect("openssl");
        assert!(o.status.success());
        o.stdout
    };

    let p = prepare(serde_json::json!({"certificates": chain, "visible": "auto"}));
    assert_eq!(p.status, 200, "prepare: {}", p.text());
    let json = p.json();
    let session = json["session"].as_str().expect("session").to_owned();
    assert_eq!(json["algorithm"], "rsa-pkcs1-sha256");
    let signature = sign_digest(
        json["digest"].as_str().expect("digest"),
        "person-signer.key.pem",
    );

    // No token: 401. A wrong value is refused and uses the session up.
    let other = server.post("/v1/sign/prepare", "application/json", &[], b"{}");
    assert_eq!(other.status, 401);
    let wrong = sign_digest(
        json["digest"].as_str().expect("digest"),
        "agency-signer.key.pem",
    );
    let r = complete(&session, &wrong, &auth);
    assert_eq!(r.status, 422, "{}", r.text());
    let r = complete(&session, &signature, &auth);
    assert_eq!(r.status, 404, "a session is used once: {}", r.text());
    let r = complete("0123456789abcdef0123456789abcdef", &signature, &auth);
    assert_eq!(r.status, 404);

    // Prepared again, completed with the right value.
    let p = prepare(serde_json::json!({"certificates": chain, "visible": "auto"}));
    let json = p.json();
    let session = json["session"].as_str().expect("session").to_owned();
    let signature = sign_digest(
        json["digest"].as_str().expect("digest"),
        "person-signer.key.pem",
    );
    let personal = complete(&session, &signature, &auth);
    assert_eq!(personal.status, 200, "{}", personal.text());

    // The agency countersigns through the service.
    let countersigned = server.sign(&personal.body, "", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("countersigned.pdf");
    std::fs::write(&file, &countersigned.body).expect("write");
    assert!(common::pyhanko_valid(&pki, &file));
    let report = verified(&pki, &file);
    let signatures = report["signatures"].as_array().expect("signatures");
    assert_eq!(signatures.len(), 2);
    assert!(signatures.iter().all(|s| s["indication"] == "TOTAL_PASSED"));

    // At B-LT: the person's signature value is time-stamped by the service's authority and the
    // validation data of its path archived in /DSS.
    let p = prepare(serde_json::json!({"certificates": chain, "level": "B-LT"}));
    assert_eq!(p.status, 200, "prepare: {}", p.text());
    let json = p.json();
    let signature = sign_digest(
        json["digest"].as_str().expect("digest"),
        "person-signer.key.pem",
    );
    let session = json["session"].as_str().expect("session");
    let long_term = complete(session, &signature, &auth);
    assert_eq!(long_term.status, 200, "{}", long_term.text());
    assert!(long_term.body.starts_with(&pdf));
    let file = dir.path().join("b-lt.pdf");
    std::fs::write(&file, &long_term.body).expect("write");
    let report = verified(&pki, &file);
    let signature = &report["signatures"][0];
    assert_eq!(signature["level"], "B-LT", "{report:#}");
    assert_eq!(
        signature["time_source"], "signature_timestamp",
        "{report:#}"
    );
    let unknown = prepare(serde_json::json!({"certificates": chain, "level": "B-X"}));
    assert_eq!(unknown.status, 400, "{}", unknown.text());
}

/// `kyso verify --json` of `file` against the demo root, revocation off; asserts it passes.
fn verified(pki: &Path, file: &Path) -> serde_json::Value {
    let o = Command::new(KYSO)
        .args(["verify", "--json", "--revocation", "off", "--trust"])
        .arg(pki.join("root-ca.pem"))
        .arg(file)
        .output()
        .expect("kyso verify");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(o.status.code(), Some(0), "{report:#}");
    report
}

//! Signing keys end to end through the `kyso` binary: keys generated inside a SoftHSM2 token
//! (RSA-2048 and ECDSA P-256) and in encrypted files, certificate requests with Vietnamese
//! subjects issued by the demo CA with `openssl x509 -req`, the registration checks, rotation,
//! and signed PDFs that pyHanko and `kyso verify` accept. The token key is checked through
//! PKCS#11 directly to be unreadable and unextractable.

mod common;

use common::keys::{cert_sha256, record, Env, KYSO, PASS_ENV, PIN_ENV, TOKEN, USER_PIN};

use std::path::Path;
use std::process::Command;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;

/// Opens the token directly (not through kyso) and checks the private key: CKA_SENSITIVE and
/// CKA_NEVER_EXTRACTABLE true, CKA_EXTRACTABLE false, and reading CKA_VALUE refused.
fn assert_key_locked_in_token(env: &Env, label: &str) {
    std::env::set_var("SOFTHSM2_CONF", env.conf());
    let ctx = Pkcs11::new(&env.module).expect("module");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("initialize");
    let slot = ctx
        .get_slots_with_token()
        .expect("slots")
        .into_iter()
        .find(|s| {
            ctx.get_token_info(*s)
                .map(|i| i.label().trim_end() == TOKEN)
                .unwrap_or(false)
        })
        .expect("token");
    let session = ctx.open_ro_session(slot).expect("session");
    session
        .login(UserType::User, Some(&AuthPin::from(USER_PIN)))
        .expect("login");
    let keys = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .expect("find");
    let [key] = keys.as_slice() else {
        panic!(
            "expected one private key labelled {label}, found {}",
            keys.len()
        );
    };
    let attrs = session
        .get_attributes(
            *key,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::NeverExtractable,
                AttributeType::Token,
            ],
        )
        .expect("attributes");
    for a in &attrs {
        match a {
            Attribute::Sensitive(v) => assert!(*v, "CKA_SENSITIVE"),
            Attribute::Extractable(v) => assert!(!*v, "CKA_EXTRACTABLE"),
            Attribute::NeverExtractable(v) => assert!(*v, "CKA_NEVER_EXTRACTABLE"),
            Attribute::Token(v) => assert!(*v, "CKA_TOKEN"),
            _ => {}
        }
    }
    assert_eq!(attrs.len(), 4, "every protection attribute reported");
    // The secret itself: a sensitive key's value is never returned (PKCS#11 v2.40 §4.9).
    let value = session.get_attributes(
        *key,
        &[AttributeType::Value, AttributeType::PrivateExponent],
    );
    match value {
        Ok(list) => assert!(
            !list
                .iter()
                .any(|a| matches!(a, Attribute::Value(_) | Attribute::PrivateExponent(_))),
            "the token returned private key material"
        ),
        Err(CkError::Pkcs11(RvError::AttributeSensitive, _)) => {}
        Err(e) => panic!("unexpected error reading CKA_VALUE: {e}"),
    }
    let _ = ctx.finalize();
}

#[test]
fn token_keys_sign_pdfs_that_pyhanko_accepts_and_never_leave_the_token() {
    let Some(env) = Env::new() else { return };
    for (algorithm, cn) in [
        ("rsa2048", "Sở Tư pháp tỉnh Đắk Lắk"),
        ("ec-p256", "Sở Nội vụ tỉnh Đắk Lắk"),
    ] {
        let id = env.generate_token_key("so-tu-phap", algorithm);
        assert_eq!(record(&env, &id)["state"], "pending");
        let cert = env.issue(&id, cn);
        let o = env.import(&id, &cert);
        assert!(
            o.status.success(),
            "import: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        env.kyso(&["keys", "activate", "--key", &id], &[]);
        assert_eq!(record(&env, &id)["state"], "active");

        // Through the registry, and through the token options of `kyso sign` directly.
        let via_registry = env.path(&format!("{algorithm}-registry.pdf"));
        env.sign_with_registry_key(&id, &via_registry);
        let direct = env.path(&format!("{algorithm}-direct.pdf"));
        let label = format!("kyso-{id}");
        let mut cmd = env.command(KYSO);
        cmd.arg("sign")
            .args(env.token_options())
            .args(["--key-label", &label, "--visible", "none", "--cert"])
            .arg(&cert)
            .arg("--chain")
            .arg(env.pki("issuing-ca.pem"))
            .arg("-o")
            .arg(&direct)
            .arg(&env.sample);
        env.ok(&mut cmd);

        let fingerprint = format!("\"{}\"", cert_sha256(&cert));
        for file in [&via_registry, &direct] {
            assert!(
                env.pyhanko_valid(file),
                "pyHanko rejects {}",
                file.display()
            );
            let (code, signers) = env.kyso_verify(file);
            assert_eq!(code, 0, "kyso verify {}", file.display());
            assert_eq!(signers, vec![fingerprint.clone()]);
        }
        let protection = env.kyso(&["keys", "protection", "--key", &id], &[]);
        let p: serde_json::Value = serde_json::from_str(&protection).expect("json");
        assert_eq!(p["extractable"], false);
        assert_eq!(p["sensitive"], true);
        assert_key_locked_in_token(&env, &label);
    }
    // The registry names the PIN's variable, never the PIN.
    let registry = std::fs::read_to_string(env.path("data/keys/keys.json")).expect("registry");
    assert!(registry.contains(PIN_ENV));
    assert!(!registry.contains(USER_PIN));
}

#[test]
fn registration_refuses_a_foreign_or_untrusted_certificate() {
    let Some(env) = Env::new() else { return };
    let o = env.kyso_output(
        &[
            "keys",
            "generate",
            "--signer",
            "UBND tỉnh",
            "--passphrase-env",
            PASS_ENV,
        ],
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "a signer name scopes cannot carry"
    );
    let id = env.generate_file_key("ubnd");
    let refused = |cert: &Path, trust: &Path, what: &str| {
        let o = env.kyso_output(
            &["keys", "import", "--key", &id, "--cert"],
            &[
                cert,
                Path::new("--chain"),
                &env.pki("issuing-ca.pem"),
                Path::new("--trust"),
                trust,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{what} was accepted");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("certificate refused"),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(record(&env, &id)["certificate"], serde_json::Value::Null);
    };
    // A valid certificate, but for another key.
    refused(
        &env.pki("agency-signer.pem"),
        &env.pki("root-ca.pem"),
        "another key's certificate",
    );
    // This key's certificate, but trusted only by another root.
    let cert = env.issue(&id, "UBND tỉnh Đắk Lắk");
    env.kyso(&["pki", "demo", "--out"], &[&env.path("other-pki")]);
    refused(
        &cert,
        &env.path("other-pki/root-ca.pem"),
        "an untrusted chain",
    );
    // Activation needs an imported certificate.
    let o = env.kyso_output(&["keys", "activate", "--key", &id], &[]);
    assert_eq!(o.status.code(), Some(2), "activated without a certificate");
    // The right certificate passes.
    let o = env.import(&id, &cert);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn encrypted_file_keys_rotate_and_both_generations_keep_verifying() {
    let Some(env) = Env::new() else { return };
    let first = env.generate_file_key("ubnd");
    let second = env.generate_file_key("ubnd");
    let rec = record(&env, &first);
    let file = env
        .path("data/keys")
        .join(rec["storage"]["file"]["file"].as_str().expect("file name"));
    let pem = std::fs::read_to_string(&file).expect("key file");
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    // OpenSSL reads it with the passphrase (PBES2 + scrypt), and not without.
    let with_pass = env.run(
        Command::new("openssl")
            .args(["pkey", "-noout", "-passin"])
            .arg(format!("env:{PASS_ENV}"))
            .arg("-in")
            .arg(&file),
    );
    assert!(
        with_pass.status.success(),
        "{}",
        String::from_utf8_lossy(&with_pass.stderr)
    );
    let wrong = env.run(
        Command::new("openssl")
            .args(["pkey", "-noout", "-passin", "pass:wrong", "-in"])
            .arg(&file),
    );
    assert!(!wrong.status.success());
    let asn1 = env.ok(Command::new("openssl")
        .args(["asn1parse", "-in"])
        .arg(&file));
    assert!(asn1.contains(":scrypt"), "{asn1}");

    let mut certs = Vec::new();
    let mut documents = Vec::new();
    for (n, id) in [&first, &second].into_iter().enumerate() {
        let cert = env.issue(id, "UBND tỉnh Đắk Lắk");
        assert!(env.import(id, &cert).status.success());
        let out = env.kyso(&["keys", "activate", "--key", id], &[]);
        if n == 1 {
            assert!(
                out.contains(first.as_str()),
                "rotation names the retired key: {out}"
            );
        }
        let doc = env.path(&format!("gen{n}.pdf"));
        env.sign_with_registry_key(id, &doc);
        certs.push(format!("\"{}\"", cert_sha256(&cert)));
        documents.push(doc);
    }
    assert_eq!(record(&env, &first)["state"], "retired");
    assert_eq!(record(&env, &second)["state"], "active");
    assert_ne!(certs.first(), certs.get(1));
    for (doc, cert) in documents.iter().zip(&certs) {
        assert!(env.pyhanko_valid(doc));
        let (code, signers) = env.kyso_verify(doc);
        assert_eq!(code, 0);
        assert_eq!(signers, vec![cert.clone()]);
    }
    // A retired key cannot come back.
    let o = env.kyso_output(&["keys", "activate", "--key", &first], &[]);
    assert_eq!(o.status.code(), Some(2));
    env.kyso(&["keys", "retire", "--key", &second], &[]);
    assert_eq!(record(&env, &second)["state"], "retired");
    env.kyso(&["keys", "compromised", "--key", &first], &[]);
    assert_eq!(record(&env, &first)["state"], "compromised");
}

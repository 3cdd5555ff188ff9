//! Signing keys end to end through the `kyso` binary: keys generated inside a SoftHSM2 token
//! (RSA-2048 and ECDSA P-256) and in encrypted files, certificate requests with Vietnamese
//! subjects issued by the demo CA with `openssl x509 -req`, the registration checks, rotation,
//! and signed PDFs that pyHanko and `kyso verify` accept. The token key is checked through
//! PKCS#11 directly to be unreadable and unextractable.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const TOKEN: &str = "kyso-test";
const USER_PIN: &str = "246813";
/// Environment variable names the tests hand to kyso (the secrets never appear as arguments).
const PIN_ENV: &str = "KYSO_TEST_TOKEN_PIN";
const PASS_ENV: &str = "KYSO_TEST_KEY_PASSPHRASE";
const PASSPHRASE: &str = "mật khẩu thử nghiệm";

/// Where Debian's softhsm2 package puts its PKCS#11 module.
const SOFTHSM_MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

struct Env {
    dir: tempfile::TempDir,
    module: PathBuf,
    sample: PathBuf,
}

impl Env {
    /// A fresh SoftHSM2 configuration with one initialized token, a demo PKI and the sample
    /// decision; `None` when something outside is missing (a failure under CI).
    fn new() -> Option<Env> {
        let tools = ["softhsm2-util", "openssl", "pyhanko"];
        if !tools.iter().all(|t| common::have_tool(t)) {
            return None;
        }
        let Some(module) = SOFTHSM_MODULES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        else {
            common::missing("the SoftHSM2 PKCS#11 module");
            return None;
        };
        let sample = common::samples_dir()?.join("quyet-dinh-123-QD-UBND.pdf");
        let dir = tempfile::tempdir().expect("tempdir");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("token dir");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("conf");
        let env = Env {
            dir,
            module,
            sample,
        };
        env.ok(Command::new("softhsm2-util").args([
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--so-pin",
            "13579135",
            "--pin",
            USER_PIN,
        ]));
        env.kyso(&["pki", "demo", "--out"], &[&env.path("pki")]);
        Some(env)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn pki(&self, name: &str) -> PathBuf {
        self.path("pki").join(name)
    }

    fn conf(&self) -> PathBuf {
        self.path("softhsm2.conf")
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SOFTHSM2_CONF", self.conf())
            .env(PIN_ENV, USER_PIN)
            .env(PASS_ENV, PASSPHRASE)
            .env("KYSO_DATA", self.path("data"))
            .current_dir(self.dir.path());
        c
    }

    fn run(&self, cmd: &mut Command) -> Output {
        cmd.env("SOFTHSM2_CONF", self.conf())
            .env(PIN_ENV, USER_PIN)
            .env(PASS_ENV, PASSPHRASE)
            .env("KYSO_DATA", self.path("data"))
            .current_dir(self.dir.path())
            .output()
            .expect("run")
    }

    fn ok(&self, cmd: &mut Command) -> String {
        let o = self.run(cmd);
        assert!(
            o.status.success(),
            "{cmd:?} failed: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs kyso with `args` then `paths`, expecting success; returns standard output.
    fn kyso(&self, args: &[&str], paths: &[&Path]) -> String {
        let mut c = self.command(KYSO);
        c.args(args).args(paths);
        self.ok(&mut c)
    }

    fn kyso_output(&self, args: &[&str], paths: &[&Path]) -> Output {
        let mut c = self.command(KYSO);
        c.args(args).args(paths);
        self.run(&mut c)
    }

    /// The options that name the test token and its PIN's variable.
    fn token_options(&self) -> Vec<String> {
        let module = self.module.display().to_string();
        [
            "--pkcs11-module",
            &module,
            "--token",
            TOKEN,
            "--pin-env",
            PIN_ENV,
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// `kyso keys generate` with `storage` options; returns the key id.
    fn generate(&self, signer: &str, algorithm: &str, storage: &[&str]) -> String {
        let mut args = vec![
            "keys",
            "generate",
            "--signer",
            signer,
            "--algorithm",
            algorithm,
        ];
        args.extend_from_slice(storage);
        self.kyso(&args, &[]).trim().to_owned()
    }

    /// A key generated in the token.
    fn generate_token_key(&self, signer: &str, algorithm: &str) -> String {
        let options = self.token_options();
        let storage: Vec<&str> = options.iter().map(String::as_str).collect();
        self.generate(signer, algorithm, &storage)
    }

    /// A key generated into an encrypted file.
    fn generate_file_key(&self, signer: &str) -> String {
        self.generate(signer, "ec-p256", &["--passphrase-env", PASS_ENV])
    }

    /// Writes the key's request, has the demo issuing CA sign it as a document signer, and
    /// returns the certificate file.
    fn issue(&self, id: &str, common_name: &str) -> PathBuf {
        let csr = self.path(&format!("{id}.csr.pem"));
        let cert = self.path(&format!("{id}.cert.pem"));
        let out = csr.display().to_string();
        self.kyso(
            &[
                "keys",
                "csr",
                "--key",
                id,
                "--cn",
                common_name,
                "--o",
                "UBND tỉnh Đắk Lắk",
                "--ou",
                "Văn phòng",
                "--l",
                "Buôn Ma Thuột",
                "--st",
                "Đắk Lắk",
                "--out",
                &out,
            ],
            &[],
        );
        let subject = self.ok(Command::new("openssl").args([
            "req",
            "-in",
            &out,
            "-verify",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8,sep_comma_plus",
        ]));
        assert!(subject.contains("C=VN"), "{subject}");
        assert!(subject.contains(&format!("CN={common_name}")), "{subject}");
        let ext = self.path("signer.ext");
        std::fs::write(
            &ext,
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,nonRepudiation\n\
             extendedKeyUsage=emailProtection,1.3.6.1.5.5.7.3.36\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .expect("ext");
        self.ok(Command::new("openssl")
            .args(["x509", "-req", "-days", "365", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(self.pki("issuing-ca.pem"))
            .arg("-CAkey")
            .arg(self.pki("issuing-ca.key.pem"))
            .arg("-set_serial")
            .arg(format!("0x{}", &id[..8]))
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&cert));
        cert
    }

    fn import(&self, id: &str, cert: &Path) -> Output {
        self.kyso_output(
            &["keys", "import", "--key", id, "--cert"],
            &[
                cert,
                Path::new("--chain"),
                &self.pki("issuing-ca.pem"),
                Path::new("--trust"),
                &self.pki("root-ca.pem"),
                Path::new("--crl"),
                &self.pki("issuing-ca.crl.pem"),
                Path::new("--crl"),
                &self.pki("root-ca.crl.pem"),
            ],
        )
    }

    fn sign_with_registry_key(&self, id: &str, out: &Path) {
        self.kyso(&["sign", "--key-id", id, "-o"], &[out, &self.sample]);
    }

    /// pyHanko's verdict (exit code) with the demo root as the only trust anchor.
    fn pyhanko_valid(&self, file: &Path) -> bool {
        let o = self.run(
            Command::new("pyhanko")
                .args(["sign", "validate", "--trust"])
                .arg(self.pki("root-ca.pem"))
                .args(["--trust-replace", "--other-certs"])
                .arg(self.pki("issuing-ca.pem"))
                .arg("--no-revocation-check")
                .arg(file),
        );
        if !o.status.success() {
            eprintln!(
                "pyhanko: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        o.status.success()
    }

    /// `kyso verify --json`: exit code and the signer certificate fingerprints.
    fn kyso_verify(&self, file: &Path) -> (i32, Vec<String>) {
        let o = self.kyso_output(
            &["verify", "--json", "--revocation", "off", "--trust"],
            &[&self.pki("root-ca.pem"), file],
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        let fingerprints = report["signatures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s["signer"]["sha256"].to_string())
                    .collect()
            })
            .unwrap_or_default();
        (o.status.code().unwrap_or(-1), fingerprints)
    }
}

fn cert_sha256(path: &Path) -> String {
    let pem = std::fs::read(path).expect("cert");
    let x = openssl::x509::X509::from_pem(&pem).expect("pem");
    hex::encode(
        x.digest(openssl::hash::MessageDigest::sha256())
            .expect("digest"),
    )
}

fn record(env: &Env, id: &str) -> serde_json::Value {
    let list = env.kyso(&["keys", "list", "--json"], &[]);
    let all: serde_json::Value = serde_json::from_str(&list).expect("json");
    all.as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == id))
        .cloned()
        .unwrap_or_default()
}

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

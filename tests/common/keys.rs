//! A SoftHSM2 token, a demo PKI and the `kyso` binary set up for key-management tests: keys
//! generated through `kyso keys`, their requests issued by the demo CA with `openssl x509 -req`.
//! The demo PKI lives in `<data>/demo-pki`, where a development `kyso serve` on the same data
//! directory finds it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
pub const TOKEN: &str = "kyso-test";
pub const USER_PIN: &str = "246813";
/// Environment variable names the tests hand to kyso (the secrets never appear as arguments).
pub const PIN_ENV: &str = "KYSO_TEST_TOKEN_PIN";
pub const PASS_ENV: &str = "KYSO_TEST_KEY_PASSPHRASE";
pub const PASSPHRASE: &str = "mật khẩu thử nghiệm";

/// Where Debian's softhsm2 package puts its PKCS#11 module.
const SOFTHSM_MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

pub struct Env {
    pub dir: tempfile::TempDir,
    pub module: PathBuf,
    pub sample: PathBuf,
}

impl Env {
    /// A fresh SoftHSM2 configuration with one initialized token, a demo PKI and the sample
    /// decision; `None` when something outside is missing (a failure under CI).
    pub fn new() -> Option<Env> {
        let tools = ["softhsm2-util", "openssl", "pyhanko"];
        if !tools.iter().all(|t| super::have_tool(t)) {
            return None;
        }
        let Some(module) = SOFTHSM_MODULES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        else {
            super::missing("the SoftHSM2 PKCS#11 module");
            return None;
        };
        let sample = super::samples_dir()?.join("quyet-dinh-123-QD-UBND.pdf");
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
        env.kyso(&["pki", "demo", "--out"], &[&env.pki_dir()]);
        Some(env)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The demo PKI, where development mode looks for it.
    pub fn pki_dir(&self) -> PathBuf {
        self.path("data").join("demo-pki")
    }

    pub fn pki(&self, name: &str) -> PathBuf {
        self.pki_dir().join(name)
    }

    pub fn conf(&self) -> PathBuf {
        self.path("softhsm2.conf")
    }

    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SOFTHSM2_CONF", self.conf())
            .env(PIN_ENV, USER_PIN)
            .env(PASS_ENV, PASSPHRASE)
            .env("KYSO_DATA", self.path("data"))
            .current_dir(self.dir.path());
        c
    }

    pub fn run(&self, cmd: &mut Command) -> Output {
        cmd.env("SOFTHSM2_CONF", self.conf())
            .env(PIN_ENV, USER_PIN)
            .env(PASS_ENV, PASSPHRASE)
            .env("KYSO_DATA", self.path("data"))
            .current_dir(self.dir.path())
            .output()
            .expect("run")
    }

    pub fn ok(&self, cmd: &mut Command) -> String {
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
    pub fn kyso(&self, args: &[&str], paths: &[&Path]) -> String {
        let mut c = self.command(KYSO);
        c.args(args).args(paths);
        self.ok(&mut c)
    }

    pub fn kyso_output(&self, args: &[&str], paths: &[&Path]) -> Output {
        let mut c = self.command(KYSO);
        c.args(args).args(paths);
        self.run(&mut c)
    }

    /// The options that name the test token and its PIN's variable.
    pub fn token_options(&self) -> Vec<String> {
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
    pub fn generate(&self, signer: &str, algorithm: &str, storage: &[&str]) -> String {
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
    pub fn generate_token_key(&self, signer: &str, algorithm: &str) -> String {
        let options = self.token_options();
        let storage: Vec<&str> = options.iter().map(String::as_str).collect();
        self.generate(signer, algorithm, &storage)
    }

    /// A key generated into an encrypted file.
    pub fn generate_file_key(&self, signer: &str) -> String {
        self.generate(signer, "ec-p256", &["--passphrase-env", PASS_ENV])
    }

    /// Writes the key's request, has the demo issuing CA sign it as a document signer, and
    /// returns the certificate file.
    pub fn issue(&self, id: &str, common_name: &str) -> PathBuf {
        self.issue_for_days(id, common_name, 365)
    }

    /// [`Self::issue`] with a certificate valid for `days` days from now.
    pub fn issue_for_days(&self, id: &str, common_name: &str, days: u32) -> PathBuf {
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
            .args(["x509", "-req", "-days", &days.to_string(), "-in"])
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

    pub fn import(&self, id: &str, cert: &Path) -> Output {
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

    pub fn sign_with_registry_key(&self, id: &str, out: &Path) {
        self.kyso(&["sign", "--key-id", id, "-o"], &[out, &self.sample]);
    }

    /// pyHanko's verdict (exit code) with the demo root as the only trust anchor.
    pub fn pyhanko_valid(&self, file: &Path) -> bool {
        super::pyhanko_valid(&self.pki_dir(), file)
    }

    /// `kyso verify --json`: exit code and the signer certificate fingerprints.
    pub fn kyso_verify(&self, file: &Path) -> (i32, Vec<String>) {
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

pub fn cert_sha256(path: &Path) -> String {
    let pem = std::fs::read(path).expect("cert");
    let x = openssl::x509::X509::from_pem(&pem).expect("pem");
    hex::encode(
        x.digest(openssl::hash::MessageDigest::sha256())
            .expect("digest"),
    )
}

pub fn record(env: &Env, id: &str) -> serde_json::Value {
    let list = env.kyso(&["keys", "list", "--json"], &[]);
    let all: serde_json::Value = serde_json::from_str(&list).expect("json");
    all.as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == id))
        .cloned()
        .unwrap_or_default()
}

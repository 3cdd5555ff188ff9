//! Long-term validation (issue 7): kyso's time-stamp authority against `openssl ts`, OpenSSL's
//! tokens in kyso, revocation fetched from an `openssl ocsp` responder and a CRL server (with
//! its cache and the `require` policy once they are gone), PAdES B-T/B-LT/B-LTA both ways with
//! pyHanko, validation at the timestamp's time, and hostile inputs rejected with their reason.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::net::{free_port, Server, TsaServer};
use common::{kyso_sign_command, run, text};
use kyso::cms::{
    respond, timestamp_request, token_from_response, verify_timestamp, DigestAlgorithm, PKeySigner,
    TimestampAuthority, TimestampProblem,
};
use kyso::fetch::{
    gather, sign_at_level, FetchConfig, HttpTimestamper, LevelSources, RevocationFetcher,
};
use kyso::pades::{self, DocumentReport, Level, PadesError, SignOptions, Timestamper};
use kyso::pades::{ValidationMaterial, VerifyOptions};
use kyso::pdf::Document;
use kyso::pki::crl::load_crls;
use kyso::pki::demo::{self, Attr, CertSpec, DemoOptions, Issued, KeyKind, OpenSslEntropy, Role};
use kyso::pki::ocsp::load_ocsp_responses;
use kyso::pki::{Certificate, RevocationData, RevocationPolicy, TrustStore};
use kyso::timestamping::{LocalAuthority, DEFAULT_POLICY};
use kyso::verdict::{Indication, SubIndication};
use openssl::pkey::PKey;
use openssl::x509::X509;
use time::{Duration, OffsetDateTime};

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A demo PKI written to a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new(options: &DemoOptions) -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = demo::generate_with(OffsetDateTime::now_utc(), &mut OpenSslEntropy, options)
            .expect("demo PKI");
        for f in &pki.files {
            std::fs::write(dir.path().join(&f.name), &f.contents).expect("write");
        }
        Pki { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read pki file")
    }
    fn der(&self, name: &str) -> Vec<u8> {
        X509::from_pem(&self.read(name))
            .expect("pem")
            .to_der()
            .expect("der")
    }
    fn issued(&self, stem: &str) -> Issued {
        Issued {
            cert: X509::from_pem(&self.read(&format!("{stem}.pem"))).expect("cert"),
            key: PKey::private_key_from_pem(&self.read(&format!("{stem}.key.pem"))).expect("key"),
        }
    }
    fn trust(&self) -> TrustStore {
        TrustStore::from_certificates([
            Certificate::from_der(&self.der("root-ca.pem")).expect("root")
        ])
    }
    fn authority(&self) -> Arc<LocalAuthority> {
        Arc::new(
            LocalAuthority::from_pem(
                &self.read("tsa.pem"),
                &self.read("issuing-ca.pem"),
                &self.read("tsa.key.pem"),
                DEFAULT_POLICY,
            )
            .expect("authority"),
        )
    }
    fn crls(&self, names: &[&str]) -> RevocationData {
        RevocationData {
            crls: names
                .iter()
                .flat_map(|n| load_crls(&self.read(n)).expect("crl"))
                .collect(),
            ocsp: Vec::new(),
        }
    }
}

fn sample() -> Option<Vec<u8>> {
    let dir = common::samples_dir()?;
    Some(std::fs::read(dir.join("quyet-dinh-123-QD-UBND.pdf")).expect("sample"))
}

/// `input` signed by `signer` (with the issuing CA as chain), time-stamped by `tsa` if given.
fn sign(
    input: &[u8],
    signer: &Issued,
    chain: &[Vec<u8>],
    tsa: Option<&dyn Timestamper>,
) -> Vec<u8> {
    let doc = Document::open(input).expect("open");
    let key = PKeySigner::with_default_algorithm(signer.key.clone()).expect("signer");
    let cert = signer.cert.to_der().expect("der");
    let signed = pades::sign_timestamped(
        &doc,
        &key,
        &cert,
        chain,
        &SignOptions::new(OffsetDateTime::now_utc()),
        tsa,
    )
    .expect("sign");
    [input, &signed.update.bytes].concat()
}

fn verify(
    bytes: &[u8],
    pki: &Pki,
    revocation: &RevocationData,
    policy: RevocationPolicy,
    now: OffsetDateTime,
) -> DocumentReport {
    let doc = Document::open(bytes).expect("open");
    let trust = pki.trust();
    pades::verify(
        &doc,
        &VerifyOptions {
            now,
            trust: &trust,
            revocation,
            revocation_policy: policy,
        },
    )
    .expect("verify")
}

/// A time-stamp authority that dates every token at a fixed time (for the time cases).
struct FixedTsa {
    cert: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: PKeySigner,
    at: OffsetDateTime,
}

impl FixedTsa {
    fn new(tsa: &Issued, chain: Vec<Vec<u8>>, at: OffsetDateTime) -> FixedTsa {
        FixedTsa {
            cert: tsa.cert.to_der().expect("der"),
            chain,
            key: PKeySigner::with_default_algorithm(tsa.key.clone()).expect("key"),
            at,
        }
    }
    fn token(&self, digest: &[u8; 32]) -> Vec<u8> {
        let request = timestamp_request(DigestAlgorithm::Sha256, digest, None, true).expect("req");
        let authority = TimestampAuthority {
            certificate: &self.cert,
            chain: &self.chain,
            policy: DEFAULT_POLICY,
            accuracy_seconds: None,
        };
        let response = respond(&request, &authority, &self.key, &[7, 7], self.at).expect("respond");
        token_from_response(&response).expect("token")
    }
}

impl Timestamper for FixedTsa {
    fn timestamp(&self, digest: &[u8; 32]) -> Result<Vec<u8>, PadesError> {
        Ok(self.token(digest))
    }
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// A certificate of `role` under the demo issuing CA, valid from `from` for a year.
fn issue(pki: &Pki, cn: &str, role: Role, from: OffsetDateTime) -> Issued {
    demo::issue(
        &CertSpec {
            subject: &[(Attr::C, "VN"), (Attr::O, "DEMO"), (Attr::Cn, cn)],
            role,
            key: KeyKind::EcP256,
            not_before: unix(from),
            not_after: unix(from + Duration::days(365)),
        },
        Some(&pki.issued("issuing-ca")),
        &mut OpenSslEntropy,
    )
    .expect("issue")
}

fn sig(report: &DocumentReport) -> &pades::SignatureReport {
    report
        .signatures
        .iter()
        .find(|s| s.kind != "document_timestamp")
        .expect("a signature")
}

/// The signature is INDETERMINATE/TRY_LATER and its reason mentions `why`.
fn assert_try_later_because(report: &DocumentReport, why: &str) {
    let s = sig(report);
    assert_eq!(
        s.sub_indication,
        Some(SubIndication::TryLater),
        "{report:#?}"
    );
    assert!(s.reason.contains(why), "{}", s.reason);
}

fn have(tools: &[&str]) -> bool {
    tools.iter().all(|t| common::have_tool(t))
}

/// The sample decision, when it and the outside `tools` are there.
fn sample_with(tools: &[&str]) -> Option<Vec<u8>> {
    if have(tools) {
        sample()
    } else {
        None
    }
}

#[test]
fn openssl_ts_verify_accepts_tokens_from_the_tsa_endpoint() {
    if !have(&["openssl"]) {
        return;
    }
    let pki = Pki::new(&DemoOptions::default());
    let server = TsaServer::start(pki.authority());
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data.txt");
    std::fs::write(&data, "Quyết định số 123/QĐ-UBND").expect("write");
    let query = dir.path().join("q.tsq");
    let o = run(Command::new("openssl")
        .args(["ts", "-query", "-sha256", "-cert", "-data"])
        .arg(&data)
        .arg("-out")
        .arg(&query));
    assert!(o.status.success(), "{}", text(&o));
    let client = kyso::fetch::HttpClient::new(TIMEOUT);
    let (reply, ctype) = client
        .post(
            &server.url,
            "application/timestamp-query",
            &std::fs::read(&query).expect("q"),
        )
        .expect("POST /tsa");
    assert_eq!(ctype.as_deref(), Some("application/timestamp-reply"));
    let tsr = dir.path().join("r.tsr");
    std::fs::write(&tsr, &reply).expect("write");
    let verify = |data_file: &Path| {
        run(Command::new("openssl")
            .args(["ts", "-verify", "-data"])
            .arg(data_file)
            .arg("-in")
            .arg(&tsr)
            .arg("-CAfile")
            .arg(pki.path("root-ca.pem"))
            .arg("-untrusted")
            .arg(pki.path("issuing-ca.pem")))
    };
    let o = verify(&data);
    assert!(
        o.status.success() && text(&o).contains("Verification: OK"),
        "{}",
        text(&o)
    );
    // The same token for other data: OpenSSL refuses it.
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "something else").expect("write");
    assert!(!verify(&other).status.success());

    // Through kyso's own client: nonce, imprint and EKU checked.
    let token = HttpTimestamper::new(&server.url, TIMEOUT)
        .request(&[9u8; 32])
        .expect("token from the endpoint");
    assert!(!token.is_empty());
}

#[test]
fn tsa_endpoint_answers_bad_requests_with_their_reason() {
    let pki = Pki::new(&DemoOptions::default());
    let server = TsaServer::start(pki.authority());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |ctype: &str, body: &[u8]| {
        let mut r = agent
            .post(&server.url)
            .header("Content-Type", ctype)
            .send(body)
            .expect("POST");
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_vec().unwrap_or_default();
        (status, body)
    };
    let good = timestamp_request(DigestAlgorithm::Sha256, &[1; 32], Some(&[5]), true).expect("req");
    let (status, body) = post("application/json", &good);
    assert_eq!(status, 415);
    assert!(String::from_utf8_lossy(&body).contains("timestamp-query"));
    let (status, body) = post("application/timestamp-query", b"not DER");
    assert_eq!(status, 400);
    assert!(matches!(
        token_from_response(&body),
        Err(kyso::cms::CmsError::TimestampRejected { status: 2, .. })
    ));
    let (status, _) = post(
        "application/timestamp-query",
        &vec![0x30; kyso::cms::MAX_REQUEST_SIZE + 1],
    );
    assert_eq!(status, 413);
    // SHA-1 is refused in an RFC 3161 rejection (badAlg), not with an HTTP error.
    let sha1 = timestamp_request(DigestAlgorithm::Sha1, &[1; 20], None, false).expect("req");
    let (status, body) = post("application/timestamp-query", &sha1);
    assert_eq!(status, 200);
    assert!(token_from_response(&body).is_err());
    let (status, body) = post("application/timestamp-query", &good);
    assert_eq!(status, 200);
    let token = token_from_response(&body).expect("granted");
    let report = kyso::cms::verify_timestamp_digest(
        &token,
        &[kyso::cms::ContentDigest {
            algorithm: DigestAlgorithm::Sha256,
            value: vec![1; 32],
        }],
        Some(&[5]),
    )
    .expect("verify");
    assert!(report.is_valid(), "{:?}", report.problems);
    // Rate limit: a burst far beyond the bucket meets 429 with Retry-After.
    let limited = (0..400).any(|_| post("application/timestamp-query", &good).0 == 429);
    assert!(limited, "no request was rate-limited");
}

/// An `openssl ts -reply` authority configured on the demo TSA certificate.
fn openssl_tsa_config(pki: &Pki, dir: &Path) -> PathBuf {
    let cnf = dir.join("tsa.cnf");
    std::fs::write(dir.join("serial"), "01\n").expect("serial");
    std::fs::write(
        &cnf,
        format!(
            "[ tsa ]\ndefault_tsa = tsa_config1\n[ tsa_config1 ]\nserial = {}\n\
             signer_cert = {}\nsigner_key = {}\ncerts = {}\nsigner_digest = sha256\n\
             default_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
             accuracy = secs:1\ness_cert_id_alg = sha256\n",
            dir.join("serial").display(),
            pki.path("tsa.pem").display(),
            pki.path("tsa.key.pem").display(),
            pki.path("issuing-ca.pem").display(),
        ),
    )
    .expect("cnf");
    cnf
}

fn openssl_reply(cnf: &Path, query: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let q = dir.path().join("q.tsq");
    let r = dir.path().join("r.tsr");
    std::fs::write(&q, query).expect("write");
    let o = run(Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(cnf)
        .arg("-queryfile")
        .arg(&q)
        .arg("-out")
        .arg(&r));
    assert!(o.status.success(), "openssl ts -reply: {}", text(&o));
    std::fs::read(&r).expect("reply")
}

#[test]
fn kyso_accepts_tokens_from_openssl_ts_reply() {
    let Some(input) = sample_with(&["openssl"]) else {
        return;
    };
    let pki = Pki::new(&DemoOptions::default());
    let dir = tempfile::tempdir().expect("dir");
    let cnf = openssl_tsa_config(&pki, dir.path());
    let data = b"signature value";
    let digest = DigestAlgorithm::Sha256.digest(data).expect("digest");
    let query = timestamp_request(DigestAlgorithm::Sha256, &digest, Some(&[0x11, 0x22]), true)
        .expect("req");
    let token = token_from_response(&openssl_reply(&cnf, &query)).expect("granted");
    let report = verify_timestamp(&token, data, Some(&[0x11, 0x22])).expect("verify");
    assert!(report.is_valid(), "{:?}", report.problems);
    assert!(report.tsa_certificate_ok);

    // OpenSSL as the HTTP time-stamp authority of `kyso sign --level B-T`.
    let cnf_for_server = cnf.clone();
    let server = Server::start(move |_, _, body| {
        (
            200,
            "application/timestamp-reply",
            openssl_reply(&cnf_for_server, body),
        )
    });
    let input_path = dir.path().join("in.pdf");
    std::fs::write(&input_path, &input).expect("write");
    let out = dir.path().join("bt.pdf");
    let o = run(
        kyso_sign_command(KYSO, pki.dir.path(), "agency-signer", &input_path, &out)
            .args(["--visible", "none", "--level", "B-T", "--tsa"])
            .arg(server.url("/")),
    );
    assert!(o.status.success(), "{}", text(&o));
    let report = verify(
        &std::fs::read(&out).expect("read"),
        &pki,
        &RevocationData::default(),
        RevocationPolicy::SoftFail,
        OffsetDateTime::now_utc(),
    );
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(report.level, Some(Level::BT));
    assert_eq!(sig(&report).time_source, "signature_timestamp");
}

/// The `openssl ocsp -index` file for the demo issuing CA: `good` valid, `revoked` revoked
/// since 2026-01-01.
fn write_index(pki: &Pki, good: &[&str], revoked: &[&str]) {
    let mut index = String::new();
    for (stem, status) in good
        .iter()
        .map(|s| (s, "V"))
        .chain(revoked.iter().map(|s| (s, "R")))
    {
        let cert = X509::from_pem(&pki.read(&format!("{stem}.pem"))).expect("cert");
        let serial = cert.serial_number().to_bn().expect("bn");
        let serial = serial.to_hex_str().expect("hex");
        let revoked_at = if status == "R" {
            "260101000000Z,keyCompromise"
        } else {
            ""
        };
        index.push_str(&format!(
            "{status}\t991231235959Z\t{revoked_at}\t{serial}\tunknown\t/CN={stem}\n"
        ));
    }
    std::fs::write(pki.path("index.txt"), index).expect("index");
}

/// `openssl ocsp` as a responder for the demo issuing CA on `port`, `revoked` listed as
/// revoked an hour ago; killed when dropped.
struct Responder(Child);

impl Responder {
    fn start(pki: &Pki, port: u16, good: &[&str], revoked: &[&str]) -> Responder {
        write_index(pki, good, revoked);
        let child = Command::new("openssl")
            .args(["ocsp", "-index"])
            .arg(pki.path("index.txt"))
            .args(["-port", &port.to_string(), "-rsigner"])
            .arg(pki.path("ocsp-responder.pem"))
            .arg("-rkey")
            .arg(pki.path("ocsp-responder.key.pem"))
            .arg("-CA")
            .arg(pki.path("issuing-ca.pem"))
            .args(["-ndays", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl ocsp");
        let responder = Responder(child);
        // Ready once it answers a real request: `openssl ocsp` gives up on a connection that
        // carries no OCSP request, so a bare port probe would stop it.
        let ready = (0..50).any(|_| {
            let o = Command::new("openssl")
                .args(["ocsp", "-noverify", "-timeout", "2", "-issuer"])
                .arg(pki.path("issuing-ca.pem"))
                .arg("-cert")
                .arg(pki.path("issuing-ca.pem"))
                .args(["-url", &format!("http://127.0.0.1:{port}")])
                .output()
                .expect("openssl ocsp client");
            if !o.status.success() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            o.status.success()
        });
        assert!(ready, "the OCSP responder did not start");
        responder
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A demo PKI whose certificates point to an OCSP responder and a CRL server on loopback,
/// and those two servers.
fn online_pki() -> (Pki, Server, Responder, u16) {
    let ocsp_port = free_port();
    let crl_dir: Arc<std::sync::Mutex<Option<PathBuf>>> = Arc::new(std::sync::Mutex::new(None));
    let served = crl_dir.clone();
    let crl_server = Server::start(move |_, path, _| {
        let dir = served.lock().expect("lock").clone();
        match (dir, path.trim_start_matches('/')) {
            (Some(d), name @ ("root-ca.crl" | "issuing-ca.crl")) => (
                200,
                "application/pkix-crl",
                std::fs::read(d.join(name)).unwrap_or_default(),
            ),
            _ => (404, "text/plain", b"not found".to_vec()),
        }
    });
    let pki = Pki::new(&DemoOptions {
        ocsp_url: Some(format!("http://127.0.0.1:{ocsp_port}")),
        crl_base_url: Some(crl_server.url("")),
    });
    *crl_dir.lock().expect("lock") = Some(pki.dir.path().to_owned());
    let responder = Responder::start(
        &pki,
        ocsp_port,
        &["agency-signer", "person-signer", "tsa", "agency-signer-ec"],
        &["revoked-signer"],
    );
    (pki, crl_server, responder, ocsp_port)
}

#[test]
fn revocation_is_fetched_cached_and_required() {
    let Some(input) = sample_with(&["openssl"]) else {
        return;
    };
    let (pki, mut crl_server, responder, _) = online_pki();
    let chain = vec![pki.der("issuing-ca.pem")];
    let signed = sign(&input, &pki.issued("agency-signer"), &chain, None);
    let doc = Document::open(signed.as_slice()).expect("open");
    let now = OffsetDateTime::now_utc();
    let fetcher = RevocationFetcher::new(FetchConfig::default());
    let check = |fetcher: &RevocationFetcher, at: OffsetDateTime| {
        let found = gather(
            &doc,
            &pki.trust(),
            &RevocationData::default(),
            Some(fetcher),
            at,
        );
        (
            verify(
                &signed,
                &pki,
                &found.revocation,
                RevocationPolicy::Require,
                at,
            ),
            found.notes,
        )
    };
    let (report, notes) = check(&fetcher, now);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{report:#?} {notes:?}"
    );
    let first = fetcher.stats();
    assert!(first.requests >= 2, "{first:?}");
    // Again: everything from the cache.
    let (report, notes2) = check(&fetcher, now);
    assert_eq!(report.indication, Indication::TotalPassed);
    let second = fetcher.stats();
    assert_eq!(
        second.requests, first.requests,
        "{second:?} {notes:?} {notes2:?}"
    );
    assert!(second.hits > first.hits, "{second:?}");

    // The revoked signer: the responder says so.
    let revoked = sign(&input, &pki.issued("revoked-signer"), &chain, None);
    let rdoc = Document::open(revoked.as_slice()).expect("open");
    let found = gather(
        &rdoc,
        &pki.trust(),
        &RevocationData::default(),
        Some(&fetcher),
        now,
    );
    let report = verify(
        &revoked,
        &pki,
        &found.revocation,
        RevocationPolicy::SoftFail,
        now,
    );
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(sig(&report).sub_indication, Some(SubIndication::Revoked));

    // Through the command line: kyso verify fetches by itself.
    let file = pki.path("signed.pdf");
    std::fs::write(&file, &signed).expect("write");
    let (code, json) = kyso_verify_json(&pki, &file, &["--revocation", "require"]);
    assert_eq!(code, 0, "{json:#}");
    let (code, json) = kyso_verify_json(&pki, &file, &["--revocation", "require", "--offline"]);
    assert_eq!(code, 1, "offline has no data: {json:#}");

    // Responder and CRL server gone.
    drop(responder);
    crl_server.stop();
    let (report, _) = check(&fetcher, now);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "fresh cache still serves"
    );
    // The command line keeps no cache: under require the verdict is TRY_LATER, exit 1.
    let (code, json) = kyso_verify_json(&pki, &file, &["--revocation", "require"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        json["signatures"][0]["sub_indication"], "TRY_LATER",
        "{json:#}"
    );
    // Two days on, the OCSP answer (nextUpdate one day) is stale and cannot be refreshed.
    let later = now + Duration::days(2);
    let (report, notes) = check(&fetcher, later);
    assert_eq!(report.indication, Indication::Indeterminate, "{report:#?}");
    assert_eq!(sig(&report).sub_indication, Some(SubIndication::TryLater));
    assert!(!notes.is_empty());
    // A fresh fetcher has no cache at all.
    let (report, _) = check(&RevocationFetcher::new(FetchConfig::default()), now);
    assert_eq!(
        sig(&report).sub_indication,
        Some(SubIndication::TryLater),
        "{report:#?}"
    );
    // Offline: nothing is fetched, even with servers up.
    let offline = RevocationFetcher::new(FetchConfig {
        offline: true,
        ..FetchConfig::default()
    });
    let (report, notes) = check(&offline, now);
    assert_eq!(sig(&report).sub_indication, Some(SubIndication::TryLater));
    assert!(notes.iter().any(|n| n.contains("offline")), "{notes:?}");
    assert_eq!(offline.stats().requests, 0);
}

fn kyso_sign_level(
    pki: &Pki,
    input: &Path,
    out: &Path,
    level: &str,
    tsa_url: &str,
    extra: &[&str],
) {
    let o = run(
        kyso_sign_command(KYSO, pki.dir.path(), "agency-signer", input, out)
            .args(["--visible", "none", "--level", level, "--tsa", tsa_url])
            .arg("--trust")
            .arg(pki.path("root-ca.pem"))
            .args(extra),
    );
    assert!(o.status.success(), "kyso sign {level}: {}", text(&o));
}

fn pyhanko_validate(pki: &Pki, file: &Path) -> String {
    let o = run(Command::new("pyhanko")
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(pki.path("root-ca.pem"))
        .arg("--trust-replace")
        .arg("--other-certs")
        .arg(pki.path("issuing-ca.pem"))
        .arg(file));
    assert!(
        o.status.success(),
        "pyhanko rejects {}: {}",
        file.display(),
        text(&o)
    );
    text(&o)
}

fn kyso_verify_json(pki: &Pki, file: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let o = run(Command::new(KYSO)
        .arg("verify")
        .arg(file)
        .arg("--trust")
        .arg(pki.path("root-ca.pem"))
        .arg("--json")
        .args(extra));
    (
        o.status.code().unwrap_or(-1),
        serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn pyhanko_validates_kyso_levels_and_ltv_extend_keeps_earlier_bytes() {
    let Some(input) = sample_with(&["pyhanko"]) else {
        return;
    };
    let pki = Pki::new(&DemoOptions::default());
    let server = TsaServer::start(pki.authority());
    let input_path = pki.path("in.pdf");
    std::fs::write(&input_path, &input).expect("write");
    let issuing_crl = pki.path("issuing-ca.crl.pem");
    let root_crl = pki.path("root-ca.crl.pem");
    let crl_args = [
        "--offline",
        "--crl",
        issuing_crl.to_str().expect("utf-8"),
        "--crl",
        root_crl.to_str().expect("utf-8"),
    ];
    for (level, expected) in [("B-T", "B-T"), ("B-LT", "B-LT"), ("B-LTA", "B-LTA")] {
        let out = pki.path(&format!("{level}.pdf"));
        kyso_sign_level(&pki, &input_path, &out, level, &server.url, &crl_args);
        let said = pyhanko_validate(&pki, &out);
        assert!(said.contains("Signature timestamp token"), "{said}");
        let lt = level != "B-T";
        let strict: &[&str] = if lt {
            &["--offline", "--revocation", "require"]
        } else {
            &["--offline"]
        };
        let (code, report) = kyso_verify_json(&pki, &out, strict);
        assert_eq!(code, 0, "{report:#}");
        if lt {
            assert!(said.contains("signature maintenance"), "{said}");
        }
        assert_eq!(report["signatures"][0]["level"], expected, "{report:#}");
        assert_eq!(
            report["signatures"][0]["time_source"],
            "signature_timestamp"
        );
    }

    // ltv extend on the B-LT file: one more revision, the earlier bytes unchanged, B-LTA.
    let extend = |extra: &[&Path]| {
        let o = run(Command::new(KYSO)
            .args(["ltv", "extend"])
            .arg(pki.path("B-LT.pdf"))
            .args(extra)
            .arg("--tsa")
            .arg(&server.url)
            .arg("--trust")
            .arg(pki.path("root-ca.pem"))
            .args(crl_args));
        assert!(o.status.success(), "{}", text(&o));
    };
    let lt = std::fs::read(pki.path("B-LT.pdf")).expect("read");
    extend(&[]);
    let extended = std::fs::read(pki.path("B-LT.pdf")).expect("read");
    assert!(extended.len() > lt.len() && extended.starts_with(&lt));
    let (code, report) = kyso_verify_json(&pki, &pki.path("B-LT.pdf"), &["--offline"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["level"], "B-LTA", "{report:#}");
    let said = pyhanko_validate(&pki, &pki.path("B-LT.pdf"));
    assert!(said.contains("Signature timestamp token"), "{said}");
    // Extending again (before the last timestamp's certificate expires) adds another stamp.
    extend(&[Path::new("-o"), &pki.path("twice.pdf")]);
    let (code, report) = kyso_verify_json(&pki, &pki.path("twice.pdf"), &["--offline"]);
    assert_eq!(code, 0, "{report:#}");
    let stamps = report["signatures"].as_array().map(|a| {
        a.iter()
            .filter(|s| s["kind"] == "document_timestamp")
            .count()
    });
    assert_eq!(stamps, Some(2), "{report:#}");
}

#[test]
fn kyso_validates_pyhanko_levels() {
    let Some(input) = sample_with(&["pyhanko", "openssl"]) else {
        return;
    };
    let (pki, _crl_server, _responder, _) = online_pki();
    let server = TsaServer::start(pki.authority());
    let input_path = pki.path("in.pdf");
    std::fs::write(&input_path, &input).expect("write");
    for (level, flags) in [
        ("B-T", &[][..]),
        ("B-LT", &["--with-validation-info"][..]),
        ("B-LTA", &["--with-validation-info", "--use-pades-lta"][..]),
    ] {
        let out = pki.path(&format!("pyhanko-{level}.pdf"));
        let o = run(Command::new("pyhanko")
            .args([
                "sign",
                "addsig",
                "--field",
                "Sig1",
                "--use-pades",
                "--timestamp-url",
            ])
            .arg(&server.url)
            .args(flags)
            .arg("--trust")
            .arg(pki.path("root-ca.pem"))
            .arg("--trust-replace")
            .args(["pemder", "--no-pass", "--key"])
            .arg(pki.path("person-signer.key.pem"))
            .arg("--cert")
            .arg(pki.path("person-signer.pem"))
            .arg("--chain")
            .arg(pki.path("issuing-ca.pem"))
            .arg(&input_path)
            .arg(&out));
        assert!(o.status.success(), "pyhanko {level}: {}", text(&o));
        let (code, report) =
            kyso_verify_json(&pki, &out, &["--offline", "--revocation", "require"]);
        if level == "B-T" {
            assert_eq!(
                report["signatures"][0]["level"],
                serde_json::Value::Null,
                "{report:#}"
            );
            let (code, report) = kyso_verify_json(&pki, &out, &[]);
            assert_eq!(code, 0, "{report:#}");
            assert_eq!(report["level"], "B-T", "{report:#}");
        } else {
            assert_eq!(code, 0, "{level}: {report:#}");
            assert_eq!(report["level"], level, "{report:#}");
        }
    }
}

#[test]
fn validation_happens_at_the_timestamp_time() {
    let Some(input) = sample() else { return };
    let pki = Pki::new(&DemoOptions::default());
    let now = OffsetDateTime::now_utc();
    let issuing = pki.issued("issuing-ca");
    let root = pki.issued("root-ca");
    let chain = vec![pki.der("issuing-ca.pem")];
    let long_tsa = issue(
        &pki,
        "DEMO TSA dài hạn",
        Role::Tsa,
        now - Duration::days(100),
    );
    let crl = |revoked: &[&Issued], this_update: OffsetDateTime, revoked_at: OffsetDateTime| {
        let list: Vec<&X509> = revoked.iter().map(|i| &i.cert).collect();
        demo::crl_der(&issuing, &list, unix(this_update), unix(revoked_at)).expect("crl")
    };
    let root_crl = |at: OffsetDateTime| demo::crl_der(&root, &[], unix(at), unix(at)).expect("crl");
    let data = |ders: &[Vec<u8>]| RevocationData {
        crls: ders
            .iter()
            .flat_map(|d| load_crls(d).expect("crl"))
            .collect(),
        ocsp: Vec::new(),
    };
    let archive = |bytes: &[u8], crls: Vec<Vec<u8>>| {
        let material = ValidationMaterial {
            certs: vec![
                pki.der("issuing-ca.pem"),
                long_tsa.cert.to_der().expect("der"),
            ],
            crls,
            ocsp: Vec::new(),
        };
        let tail = pades::extend(bytes, &material, None).expect("extend");
        [bytes, &tail].concat()
    };

    // Revoked before the timestamp: fails.
    let s1 = issue(&pki, "Người ký 1", Role::Signer, now - Duration::days(10));
    let t = now - Duration::hours(1);
    let signed = sign(
        &input,
        &s1,
        &chain,
        Some(&FixedTsa::new(&long_tsa, chain.clone(), t)),
    );
    let revocation = data(&[
        crl(&[&s1], now - Duration::minutes(30), t - Duration::hours(1)),
        root_crl(now),
    ]);
    let report = verify(&signed, &pki, &revocation, RevocationPolicy::SoftFail, now);
    assert_eq!(report.indication, Indication::TotalFailed, "{report:#?}");
    assert_eq!(sig(&report).sub_indication, Some(SubIndication::Revoked));

    // Signed with a timestamp at `t`; and the same with good-status CRLs of `t` in /DSS.
    let stamped = |signer: &Issued, t: OffsetDateTime| {
        let tsa = FixedTsa::new(&long_tsa, chain.clone(), t);
        let signed = sign(&input, signer, &chain, Some(&tsa));
        let before = t - Duration::hours(1);
        let lt = archive(&signed, vec![crl(&[], before, t), root_crl(before)]);
        (signed, lt)
    };

    // Revoked after the timestamp, with the proof of good status archived in /DSS: passes.
    let s2 = issue(&pki, "Người ký 2", Role::Signer, now - Duration::days(10));
    let (signed, lt) = stamped(&s2, now - Duration::days(2));
    let revocation = data(&[crl(
        &[&s2],
        now - Duration::minutes(30),
        now - Duration::days(1),
    )]);
    for policy in [RevocationPolicy::SoftFail, RevocationPolicy::Require] {
        let report = verify(&lt, &pki, &revocation, policy, now);
        assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
        assert_eq!(report.level, Some(Level::BLt));
        assert!(sig(&report)
            .warnings
            .iter()
            .any(|w| w.contains("after the validation time")));
    }
    // The same file without the archived proof: the status at the timestamp's time is unknown.
    let report = verify(&signed, &pki, &revocation, RevocationPolicy::Require, now);
    assert_ne!(report.indication, Indication::TotalPassed, "{report:#?}");

    // The signer's certificate expired 30 days ago, valid at the timestamp 40 days ago.
    let expired = pki.issued("expired-signer");
    let t = now - Duration::days(40);
    let (_, lt) = stamped(&expired, t);
    for policy in [RevocationPolicy::SoftFail, RevocationPolicy::Require] {
        let report = verify(&lt, &pki, &RevocationData::default(), policy, now);
        assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
        assert_eq!(report.level, Some(Level::BLt));
        assert_eq!(
            sig(&report).validation_time,
            sig(&report).timestamp_time.clone().expect("ts")
        );
    }
    // Without a timestamp: validated now, when the certificate has expired.
    let unstamped = archive(
        &sign(&input, &expired, &chain, None),
        vec![crl(&[], t, t), root_crl(t)],
    );
    let report = verify(
        &unstamped,
        &pki,
        &RevocationData::default(),
        RevocationPolicy::SoftFail,
        now,
    );
    assert_ne!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(sig(&report).time_source, "current_time");
}

#[test]
fn hostile_timestamps_and_revocation_data_are_rejected_with_their_reason() {
    let Some(input) = sample_with(&["openssl"]) else {
        return;
    };
    let pki = Pki::new(&DemoOptions::default());
    let now = OffsetDateTime::now_utc();
    let chain = vec![pki.der("issuing-ca.pem")];
    let tsa = pki.issued("tsa");

    // A token for another message imprint.
    let fixed = FixedTsa::new(&tsa, chain.clone(), now);
    let digest_a = DigestAlgorithm::Sha256.digest(b"A").expect("digest");
    let digest_a: [u8; 32] = digest_a.try_into().expect("32 bytes");
    let token = fixed.token(&digest_a);
    let report = verify_timestamp(&token, b"B", None).expect("verify");
    assert!(report.problems.contains(&TimestampProblem::ImprintMismatch));
    assert!(!report.is_valid());
    let canned = respond(
        &timestamp_request(DigestAlgorithm::Sha256, &digest_a, None, true).expect("req"),
        &TimestampAuthority {
            certificate: &fixed.cert,
            chain: &chain,
            policy: DEFAULT_POLICY,
            accuracy_seconds: None,
        },
        &fixed.key,
        &[1],
        now,
    )
    .expect("respond");
    let server = Server::start(move |_, _, _| (200, "application/timestamp-reply", canned.clone()));
    let err = HttpTimestamper::new(&server.url("/"), TIMEOUT)
        .request(&[0x42; 32])
        .expect_err("a token for other data");
    assert!(err.to_string().contains("message imprint"), "{err}");

    // A TSA certificate whose timeStamping EKU is not critical.
    let issuing = pki.issued("issuing-ca");
    let key = PKey::private_key_from_pem(&pki.read("tsa.key.pem")).expect("key");
    let mut b = openssl::x509::X509Builder::new().expect("builder");
    b.set_version(2).expect("v3");
    b.set_serial_number(
        &openssl::bn::BigNum::from_u32(4242)
            .expect("bn")
            .to_asn1_integer()
            .expect("int"),
    )
    .expect("serial");
    let mut name = openssl::x509::X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", "TSA with a non-critical EKU")
        .expect("cn");
    let name = name.build();
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(issuing.cert.subject_name())
        .expect("issuer");
    b.set_pubkey(&key).expect("key");
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).expect("t"))
        .expect("nb");
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(30).expect("t"))
        .expect("na");
    b.append_extension(
        openssl::x509::extension::ExtendedKeyUsage::new()
            .time_stamping()
            .build()
            .expect("eku"),
    )
    .expect("ext");
    b.sign(&issuing.key, openssl::hash::MessageDigest::sha256())
        .expect("sign");
    let weak = b.build();
    let weak_dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        weak_dir.path().join("weak.pem"),
        weak.to_pem().expect("pem"),
    )
    .expect("write");
    let weak_authority = LocalAuthority::from_pem(
        &weak.to_pem().expect("pem"),
        &pki.read("issuing-ca.pem"),
        &pki.read("tsa.key.pem"),
        DEFAULT_POLICY,
    )
    .expect("authority");
    let weak_server = TsaServer::start(Arc::new(weak_authority));
    let err = HttpTimestamper::new(&weak_server.url, TIMEOUT)
        .request(&[1; 32])
        .expect_err("non-critical EKU");
    assert!(err.to_string().contains("not critical"), "{err}");
    let input_path = weak_dir.path().join("in.pdf");
    std::fs::write(&input_path, &input).expect("write");
    let o = run(kyso_sign_command(
        KYSO,
        pki.dir.path(),
        "agency-signer",
        &input_path,
        &weak_dir.path().join("out.pdf"),
    )
    .args([
        "--visible",
        "none",
        "--level",
        "B-T",
        "--tsa",
        &weak_server.url,
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not critical"), "{}", text(&o));

    // OCSP: a response about another certificate, and one with a broken signature.
    let signed = sign(&input, &pki.issued("agency-signer"), &chain, None);
    let dir = tempfile::tempdir().expect("dir");
    write_index(&pki, &["agency-signer", "person-signer"], &[]);
    let ocsp_for = |stem: &str| -> Vec<u8> {
        let req = dir.path().join(format!("{stem}.req"));
        let resp = dir.path().join(format!("{stem}.resp"));
        let o = run(Command::new("openssl")
            .args(["ocsp", "-no_nonce", "-issuer"])
            .arg(pki.path("issuing-ca.pem"))
            .arg("-cert")
            .arg(pki.path(&format!("{stem}.pem")))
            .arg("-reqout")
            .arg(&req));
        assert!(o.status.success(), "{}", text(&o));
        let o = run(Command::new("openssl")
            .args(["ocsp", "-index"])
            .arg(pki.path("index.txt"))
            .arg("-rsigner")
            .arg(pki.path("issuing-ca.pem"))
            .arg("-rkey")
            .arg(pki.path("issuing-ca.key.pem"))
            .arg("-CA")
            .arg(pki.path("issuing-ca.pem"))
            .args(["-resp_no_certs", "-ndays", "1", "-reqin"])
            .arg(&req)
            .arg("-respout")
            .arg(&resp));
        assert!(o.status.success(), "{}", text(&o));
        std::fs::read(&resp).expect("response")
    };
    let root_crl = pki.crls(&["root-ca.crl.pem"]);
    let with_ocsp = |der: &[u8]| {
        let data = RevocationData {
            crls: root_crl.crls.clone(),
            ocsp: load_ocsp_responses(der).expect("parses"),
        };
        verify(&signed, &pki, &data, RevocationPolicy::Require, now)
    };
    let good = ocsp_for("agency-signer");
    let report = with_ocsp(&good);
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    let other = ocsp_for("person-signer");
    let report = with_ocsp(&other);
    assert_eq!(
        sig(&report).sub_indication,
        Some(SubIndication::TryLater),
        "{report:#?}"
    );
    // The fetcher drops a response about another certificate with that reason.
    let other_for_server = other.clone();
    let ocsp_server =
        Server::start(move |_, _, _| (200, "application/ocsp-response", other_for_server.clone()));
    let pointed = demo::issue_with_urls(
        &CertSpec {
            subject: &[(Attr::C, "VN"), (Attr::Cn, "Người ký có AIA")],
            role: Role::Signer,
            key: KeyKind::EcP256,
            not_before: unix(now - Duration::days(1)),
            not_after: unix(now + Duration::days(30)),
        },
        PKey::ec_gen("prime256v1").expect("key"),
        Some(&issuing),
        &demo::RevocationUrls {
            crl: None,
            ocsp: Some(ocsp_server.url("/")),
        },
        &mut OpenSslEntropy,
    )
    .expect("issue");
    let pointed = Certificate::from_der(&pointed.cert.to_der().expect("der")).expect("cert");
    let issuing_cert = Certificate::from_der(&pki.der("issuing-ca.pem")).expect("cert");
    let fetched =
        RevocationFetcher::new(FetchConfig::default()).fetch(&[(pointed, issuing_cert)], now);
    assert!(fetched.data.ocsp.is_empty());
    assert!(
        fetched
            .notes
            .iter()
            .any(|n| n.contains("not about the certificate asked for")),
        "{:?}",
        fetched.notes
    );
    let mut broken = good.clone();
    if let Some(last) = broken.last_mut() {
        *last ^= 0x01;
    }
    let report = with_ocsp(&broken);
    assert_try_later_because(&report, "signature");

    // A stale CRL: nextUpdate three days ago.
    let stale = demo::crl_der(
        &issuing,
        &[],
        unix(now - Duration::days(10)),
        unix(now - Duration::days(10)),
    )
    .expect("crl");
    let mut revocation = pki.crls(&["root-ca.crl.pem"]);
    revocation.crls.extend(load_crls(&stale).expect("crl"));
    let report = verify(&signed, &pki, &revocation, RevocationPolicy::Require, now);
    assert_try_later_because(&report, "not recent enough");
}

#[test]
fn the_library_signs_at_each_level() {
    let Some(input) = sample() else { return };
    let pki = Pki::new(&DemoOptions::default());
    let authority = pki.authority();
    let trust = pki.trust();
    let supplied = pki.crls(&["issuing-ca.crl.pem", "root-ca.crl.pem"]);
    let signer = pki.issued("agency-signer");
    let key = PKeySigner::with_default_algorithm(signer.key.clone()).expect("key");
    let cert = signer.cert.to_der().expect("der");
    let chain = vec![pki.der("issuing-ca.pem")];
    let now = OffsetDateTime::now_utc();
    let sign = |level, timestamper| {
        let sources = LevelSources {
            level,
            timestamper,
            trust: &trust,
            supplied: &supplied,
            fetcher: None,
            now,
        };
        sign_at_level(
            &Document::open(&input[..]).expect("open"),
            &key,
            &cert,
            &chain,
            &SignOptions::new(now),
            &sources,
        )
    };
    for level in [Level::BB, Level::BT, Level::BLt, Level::BLta] {
        let out = sign(level, Some(authority.as_ref() as &dyn Timestamper)).expect("sign");
        assert!(out.notes.is_empty(), "{:?}", out.notes);
        assert_eq!(out.ltv.is_empty(), level < Level::BLt);
        let signed = [&input[..], &out.tail()].concat();
        // B-B and B-T need the CRLs supplied; from B-LT they are in the file.
        let given = if level >= Level::BLt {
            RevocationData::default()
        } else {
            supplied.clone()
        };
        let report = verify(&signed, &pki, &given, RevocationPolicy::Require, now);
        assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
        assert_eq!(report.level, Some(level), "{report:#?}");
    }
    let err = sign(Level::BT, None).expect_err("B-T without a time-stamp authority");
    assert!(err.to_string().contains("time-stamp authority"), "{err}");
}

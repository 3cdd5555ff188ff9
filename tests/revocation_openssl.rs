//! Revocation through the whole validator with revocation data made by another implementation:
//! CRLs from `openssl ca -gencrl` and OCSP responses from OpenSSL's responder
//! (`openssl ocsp -index`, with a delegated responder certificate). A chain root → CA → leaf is
//! judged under the `require` and `soft-fail` policies: good, revoked, stale, missing data, and
//! a responder the CA did not authorize.

mod common;

use std::path::PathBuf;
use std::process::Command;

use kyso::pki::crl::load_crls;
use kyso::pki::ocsp::load_ocsp_responses;
use kyso::pki::profile::Profile;
use kyso::pki::report::ChainReport;
use kyso::pki::revocation::{RevocationData, RevocationPolicy};
use kyso::pki::source::load_certificates;
use kyso::pki::store::TrustStore;
use kyso::pki::validate::{validate_chain, ValidationOptions};
use kyso::pki::Certificate;
use kyso::verdict::{Indication, SubIndication};
use time::OffsetDateTime;

/// A throw-away CA made with the openssl CLI in a temporary directory.
struct Ca {
    dir: tempfile::TempDir,
}

const CA_CONFIG: &str = "\
[ca]
default_ca = ca_section
[ca_section]
dir = .
database = index.txt
new_certs_dir = .
serial = serial.txt
crlnumber = crlnumber.txt
default_md = sha256
default_crl_hours = 24
policy = any_policy
unique_subject = no
[any_policy]
commonName = supplied
[crl_ext]
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
[responder_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
[nocheck_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
[plain_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
";

impl Ca {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Root (self-signed) and issuing CA "CA" signed by it; the CA runs `openssl ca`.
    fn new() -> Ca {
        let ca = Ca {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::write(ca.path("ca.cnf"), CA_CONFIG).expect("config");
        std::fs::write(ca.path("index.txt"), "").expect("index");
        std::fs::write(ca.path("serial.txt"), "1000\n").expect("serial");
        std::fs::write(ca.path("crlnumber.txt"), "01\n").expect("crlnumber");
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut root = vec!["req", "-x509", "-keyout", "root.key", "-out", "root.pem"];
        root.extend(ec);
        root.extend([
            "-subj",
            "/CN=Test Root",
            "-days",
            "3650",
            "-config",
            "ca.cnf",
            "-extensions",
            "ca_ext",
        ]);
        ca.run(&root);
        ca.issue_req("ca", "/CN=Test Issuing CA");
        ca.run(&[
            "x509",
            "-req",
            "-in",
            "ca.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-set_serial",
            "2",
            "-extfile",
            "ca.cnf",
            "-extensions",
            "ca_ext",
        ]);
        ca
    }

    fn issue_req(&self, name: &str, subject: &str) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        self.run(&[
            "req",
            "-utf8",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            subject,
        ]);
    }

    /// A certificate issued by the CA through `openssl ca` (so it enters the CA's database).
    fn issue(&self, name: &str, subject: &str, extensions: &str) -> Certificate {
        self.issue_req(name, subject);
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        self.run(&[
            "ca",
            "-batch",
            "-utf8",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            &csr,
            "-out",
            &pem,
            "-days",
            "365",
            "-extensions",
            extensions,
            "-notext",
        ]);
        self.cert(name)
    }

    fn cert(&self, name: &str) -> Certificate {
        let pem = std::fs::read(self.path(&format!("{name}.pem"))).expect("pem");
        load_certificates(&pem)
            .expect("certificate")
            .into_iter()
            .next()
            .expect("one")
    }

    fn revoke(&self, name: &str) {
        let pem = format!("{name}.pem");
        self.run(&[
            "ca",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-revoke",
            &pem,
            "-crl_reason",
            "keyCompromise",
        ]);
    }

    /// A CRL of the CA, valid for `hours`.
    fn crl(&self, hours: u32) -> Vec<u8> {
        let hours = hours.to_string();
        self.run(&[
            "ca",
            "-gencrl",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-crlexts",
            "crl_ext",
            "-crlhours",
            &hours,
            "-out",
            "ca.crl",
        ]);
        std::fs::read(self.path("ca.crl")).expect("crl")
    }

    /// A root CRL (empty), so that the CA certificate's own status is known.
    fn root_crl(&self) -> Vec<u8> {
        let dir = self.dir.path();
        std::fs::create_dir_all(dir.join("rootdb")).expect("dir");
        std::fs::write(dir.join("rootdb/index.txt"), "").expect("index");
        std::fs::write(dir.join("rootdb/crlnumber.txt"), "01\n").expect("crlnumber");
        let config = CA_CONFIG
            .replace("database = index.txt", "database = rootdb/index.txt")
            .replace(
                "crlnumber = crlnumber.txt",
                "crlnumber = rootdb/crlnumber.txt",
            );
        std::fs::write(dir.join("root.cnf"), config).expect("config");
        self.run(&[
            "ca", "-gencrl", "-config", "root.cnf", "-cert", "root.pem", "-keyfile", "root.key",
            "-crlexts", "crl_ext", "-out", "root.crl",
        ]);
        std::fs::read(self.path("root.crl")).expect("crl")
    }

    /// An OCSP response about `name` from OpenSSL's responder signing as `signer`.
    fn ocsp(&self, name: &str, signer: &str) -> Vec<u8> {
        let pem = format!("{name}.pem");
        let signer_pem = format!("{signer}.pem");
        let signer_key = format!("{signer}.key");
        self.run(&[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            &pem,
            "-no_nonce",
            "-reqout",
            "req.der",
        ]);
        self.run(&[
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            &signer_pem,
            "-rkey",
            &signer_key,
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "1",
        ]);
        std::fs::read(self.path("resp.der")).expect("response")
    }
}

fn judge(
    ca: &Ca,
    leaf: &Certificate,
    data: RevocationData,
    policy: RevocationPolicy,
    time: OffsetDateTime,
) -> ChainReport {
    let mut options = ValidationOptions::new(time);
    options.profile = Profile::Any;
    options.revocation_policy = policy;
    let anchors = TrustStore::from_certificates([ca.cert("root")]);
    validate_chain(leaf, &[ca.cert("ca")], &anchors, &data, &options).expect("evaluated")
}

fn crls(ca: &Ca, hours: u32) -> RevocationData {
    let mut list = load_crls(&ca.crl(hours)).expect("CA CRL loads");
    list.extend(load_crls(&ca.root_crl()).expect("root CRL loads"));
    RevocationData {
        crls: list,
        ocsp: Vec::new(),
    }
}

fn have_openssl() -> bool {
    common::have_tool("openssl")
}

fn assert_sub(report: &ChainReport, indication: Indication, sub: SubIndication) {
    assert_eq!(
        (report.indication, report.sub_indication),
        (indication, Some(sub)),
        "{}",
        report.reason
    );
}

/// `assert_sub`, and the report's reason mentions `why`.
fn assert_sub_because(report: &ChainReport, indication: Indication, sub: SubIndication, why: &str) {
    assert_sub(report, indication, sub);
    assert!(report.reason.contains(why), "{}", report.reason);
}

fn assert_valid_without_warnings(report: &ChainReport) {
    assert!(report.is_valid(), "{}", report.reason);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn crls_from_openssl_ca() {
    if !have_openssl() {
        return;
    }
    let ca = Ca::new();
    let leaf = ca.issue("leaf", "/CN=Nguyễn Văn An", "leaf_ext");
    let now = OffsetDateTime::now_utc();

    let report = judge(&ca, &leaf, crls(&ca, 24), RevocationPolicy::Require, now);
    assert!(report.is_valid(), "{}", report.reason);

    // Without revocation data: require → TRY_LATER, soft-fail → valid with a warning.
    let report = judge(
        &ca,
        &leaf,
        RevocationData::default(),
        RevocationPolicy::Require,
        now,
    );
    assert_sub(&report, Indication::Indeterminate, SubIndication::TryLater);
    let report = judge(
        &ca,
        &leaf,
        RevocationData::default(),
        RevocationPolicy::SoftFail,
        now,
    );
    assert!(report.is_valid(), "{}", report.reason);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("revocation status unknown")),
        "{:?}",
        report.warnings
    );

    // A CRL past its nextUpdate is not used.
    let later = now + time::Duration::hours(2);
    let report = judge(&ca, &leaf, crls(&ca, 1), RevocationPolicy::Require, later);
    assert_sub_because(
        &report,
        Indication::Indeterminate,
        SubIndication::TryLater,
        "not recent enough",
    );

    ca.revoke("leaf");
    for policy in [RevocationPolicy::Require, RevocationPolicy::SoftFail] {
        let report = judge(
            &ca,
            &leaf,
            crls(&ca, 24),
            policy,
            now + time::Duration::minutes(1),
        );
        assert_sub_because(
            &report,
            Indication::TotalFailed,
            SubIndication::Revoked,
            "keyCompromise",
        );
        assert!(report.reason.contains("Nguyễn Văn An"), "{}", report.reason);
    }
}

#[test]
fn ocsp_from_the_openssl_responder() {
    if !have_openssl() {
        return;
    }
    let ca = Ca::new();
    let leaf = ca.issue("leaf", "/CN=Trần Thị Bình", "leaf_ext");
    ca.issue("responder", "/CN=Test OCSP Responder", "responder_ext");
    ca.issue("plain", "/CN=Not A Responder", "plain_ext");
    ca.issue(
        "nocheck",
        "/CN=Test OCSP Responder (nocheck)",
        "nocheck_ext",
    );
    let now = OffsetDateTime::now_utc();
    // Only the root's CRL: the CA certificate's status is known, the leaf's can come from OCSP
    // alone.
    let data = |response: Vec<u8>| RevocationData {
        crls: load_crls(&ca.root_crl()).expect("root CRL"),
        ocsp: load_ocsp_responses(&response).expect("response loads"),
    };

    let report = judge(
        &ca,
        &leaf,
        data(ca.ocsp("leaf", "ca")),
        RevocationPolicy::Require,
        now,
    );
    assert_valid_without_warnings(&report);

    // A delegated responder: its own status is unknown here, so under soft-fail it is accepted
    // and the leaf's status is known (no warning about the leaf); under require it is not.
    let delegated = || data(ca.ocsp("leaf", "responder"));
    let report = judge(&ca, &leaf, delegated(), RevocationPolicy::SoftFail, now);
    assert_valid_without_warnings(&report);
    let report = judge(&ca, &leaf, delegated(), RevocationPolicy::Require, now);
    assert_sub_because(
        &report,
        Indication::Indeterminate,
        SubIndication::TryLater,
        "could not be validated",
    );

    // With id-pkix-ocsp-nocheck the responder's own status is not asked for (RFC 6960
    // §4.2.2.2.1), so even under require its answer counts.
    let report = judge(
        &ca,
        &leaf,
        data(ca.ocsp("leaf", "nocheck")),
        RevocationPolicy::Require,
        OffsetDateTime::now_utc(),
    );
    assert_valid_without_warnings(&report);

    // A certificate without id-kp-OCSPSigning cannot answer for the CA.
    let report = judge(
        &ca,
        &leaf,
        data(ca.ocsp("leaf", "plain")),
        RevocationPolicy::Require,
        now,
    );
    assert_sub_because(
        &report,
        Indication::Indeterminate,
        SubIndication::TryLater,
        "OCSPSigning",
    );

    ca.revoke("leaf");
    let report = judge(
        &ca,
        &leaf,
        data(ca.ocsp("leaf", "ca")),
        RevocationPolicy::SoftFail,
        now + time::Duration::minutes(1),
    );
    assert_sub(&report, Indication::TotalFailed, SubIndication::Revoked);
}

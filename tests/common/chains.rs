//! Test chains built with the demo PKI's certificate and CRL builders, and the same chain judged
//! by OpenSSL's `X509_verify_cert` (the differential oracle). Shared by tests and benchmarks.
#![allow(dead_code)] // each test binary uses a different subset

use kyso::pki::demo::{self, Attr, CertSpec, Issued, KeyKind, OpenSslEntropy, Role, DAY};
use openssl::ssl::SslFiletype;
use openssl::stack::Stack;
use openssl::x509::store::{X509Lookup, X509StoreBuilder};
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509StoreContext, X509};

pub const YEAR: i64 = 365 * DAY;

/// The current time in Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn spec<'a>(
    subject: &'a [(Attr, &'a str)],
    role: Role,
    key: KeyKind,
    not_before: i64,
    not_after: i64,
) -> CertSpec<'a> {
    CertSpec {
        subject,
        role,
        key,
        not_before,
        not_after,
    }
}

/// A self-signed RSA root named `cn`, valid ten years around `at`.
pub fn root(cn: &str, at: i64) -> Issued {
    let name = [(Attr::C, "VN"), (Attr::O, "kyso test"), (Attr::Cn, cn)];
    demo::issue(
        &spec(
            &name,
            Role::Root,
            KeyKind::Rsa2048,
            at - 5 * YEAR,
            at + 5 * YEAR,
        ),
        None,
        &mut OpenSslEntropy,
    )
    .expect("root")
}

/// An RSA CA named `cn` issued by `issuer`, valid five years around `at`.
pub fn ca(cn: &str, issuer: &Issued, path_len: Option<u8>, at: i64) -> Issued {
    let name = [(Attr::C, "VN"), (Attr::O, "kyso test"), (Attr::Cn, cn)];
    demo::issue(
        &spec(
            &name,
            Role::IssuingCa { path_len },
            KeyKind::Rsa2048,
            at - 2 * YEAR,
            at + 3 * YEAR,
        ),
        Some(issuer),
        &mut OpenSslEntropy,
    )
    .expect("ca")
}

/// A CA certificate for an existing key and name (cross-certificates, many issuers of one name).
pub fn ca_for_key(cn: &str, key: &Issued, issuer: &Issued, at: i64) -> Issued {
    let name = [(Attr::C, "VN"), (Attr::O, "kyso test"), (Attr::Cn, cn)];
    demo::issue_with_key(
        &spec(
            &name,
            Role::IssuingCa { path_len: None },
            KeyKind::Rsa2048,
            at - 2 * YEAR,
            at + 3 * YEAR,
        ),
        key.key.clone(),
        Some(issuer),
        &mut OpenSslEntropy,
    )
    .expect("cross certificate")
}

/// A document signer named `cn` issued by `issuer`, valid from `not_before` to `not_after`.
pub fn leaf_between(
    cn: &str,
    issuer: &Issued,
    key: KeyKind,
    not_before: i64,
    not_after: i64,
) -> Issued {
    let name = [
        (Attr::C, "VN"),
        (Attr::O, "UBND tỉnh Đắk Lắk"),
        (Attr::Cn, cn),
    ];
    demo::issue(
        &spec(&name, Role::Signer, key, not_before, not_after),
        Some(issuer),
        &mut OpenSslEntropy,
    )
    .expect("leaf")
}

/// A document signer valid a year around `at`.
pub fn leaf(cn: &str, issuer: &Issued, at: i64) -> Issued {
    leaf_between(cn, issuer, KeyKind::Rsa2048, at - YEAR / 2, at + YEAR / 2)
}

/// A CRL of `ca` issued an hour before `at`, revoking `revoked` two hours before `at`.
pub fn crl(ca: &Issued, revoked: &[&X509], at: i64) -> Vec<u8> {
    demo::crl_der(ca, revoked, at - 3600, at - 7200).expect("crl")
}

/// One validation problem, as both validators see it.
#[derive(Clone)]
pub struct Chain {
    pub leaf: X509,
    pub intermediates: Vec<X509>,
    pub anchors: Vec<X509>,
    /// DER CRLs; when any is given, every certificate's status must be known (OpenSSL's
    /// CRL_CHECK | CRL_CHECK_ALL, kyso's `require`).
    pub crls: Vec<Vec<u8>>,
    pub time: i64,
}

/// OpenSSL's verdict through `X509_verify_cert`, with its error string.
pub struct OpenSslJudge {
    store: openssl::x509::store::X509Store,
    _crl_files: Vec<tempfile::NamedTempFile>,
}

impl OpenSslJudge {
    /// Builds the store (anchors, CRLs, time and flags) once, so benchmarks time only the
    /// verification.
    pub fn new(chain: &Chain) -> OpenSslJudge {
        let mut b = X509StoreBuilder::new().expect("store");
        for a in &chain.anchors {
            b.add_cert(a.clone()).expect("anchor");
        }
        let mut files = Vec::new();
        let mut flags = X509VerifyFlags::empty();
        if !chain.crls.is_empty() {
            let lookup = b.add_lookup(X509Lookup::file()).expect("lookup");
            for der in &chain.crls {
                let file = tempfile::NamedTempFile::new().expect("temp");
                std::fs::write(file.path(), der).expect("write crl");
                lookup
                    .load_crl_file(file.path(), SslFiletype::ASN1)
                    .expect("load crl");
                files.push(file);
            }
            flags |= X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL;
        }
        let mut param = X509VerifyParam::new().expect("param");
        param.set_time(chain.time);
        param.set_flags(flags).expect("flags");
        b.set_param(&param).expect("set param");
        OpenSslJudge {
            store: b.build(),
            _crl_files: files,
        }
    }

    /// (valid, OpenSSL's error string).
    pub fn verify(&self, chain: &Chain) -> (bool, String) {
        let mut stack = Stack::new().expect("stack");
        for c in &chain.intermediates {
            stack.push(c.clone()).expect("push");
        }
        let mut ctx = X509StoreContext::new().expect("ctx");
        ctx.init(&self.store, &chain.leaf, &stack, |c| {
            let ok = c.verify_cert()?;
            Ok((ok, c.error().error_string().to_owned()))
        })
        .expect("X509_verify_cert ran")
    }
}

/// The inputs in kyso's types, parsed once.
pub struct KysoInputs {
    pub leaf: kyso::pki::Certificate,
    pub intermediates: Vec<kyso::pki::Certificate>,
    pub store: kyso::pki::TrustStore,
    pub revocation: kyso::pki::revocation::RevocationData,
    pub options: kyso::pki::ValidationOptions,
}

fn kyso_cert(c: &X509) -> kyso::pki::Certificate {
    kyso::pki::Certificate::from_der(&c.to_der().expect("der")).expect("kyso parses")
}

impl KysoInputs {
    pub fn new(chain: &Chain) -> KysoInputs {
        use kyso::pki::revocation::{RevocationData, RevocationPolicy};
        let mut revocation = RevocationData::default();
        for der in &chain.crls {
            revocation
                .crls
                .push(kyso::pki::crl::Crl::from_der(der).expect("kyso parses the CRL"));
        }
        let time = time::OffsetDateTime::from_unix_timestamp(chain.time).expect("time");
        let options = kyso::pki::ValidationOptions {
            profile: kyso::pki::profile::Profile::Any,
            revocation_policy: if chain.crls.is_empty() {
                RevocationPolicy::Off
            } else {
                RevocationPolicy::Require
            },
            ..kyso::pki::ValidationOptions::new(time)
        };
        KysoInputs {
            leaf: kyso_cert(&chain.leaf),
            intermediates: chain.intermediates.iter().map(kyso_cert).collect(),
            store: kyso::pki::TrustStore::from_certificates(chain.anchors.iter().map(kyso_cert)),
            revocation,
            options,
        }
    }

    pub fn validate(&self) -> Result<kyso::pki::report::ChainReport, kyso::pki::PkiError> {
        kyso::pki::validate_chain(
            &self.leaf,
            &self.intermediates,
            &self.store,
            &self.revocation,
            &self.options,
        )
    }
}

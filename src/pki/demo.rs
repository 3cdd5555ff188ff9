//! A demo PKI shaped like the Vietnamese government one (a root "chuyên dùng Chính phủ", an
//! issuing CA for state agencies, agency and personal signing certificates, a TSA and an OCSP
//! responder), for tests and for a service's first run. Everything is generated fresh in memory
//! from the time and the entropy source passed in; writing the files is the caller's business.
//!
//! Every certificate says DEMO in its organization or common name so that nobody mistakes one
//! for the real hierarchy. By default no certificate carries an AIA or CRL distribution point
//! extension: validators given these certificates never go to the network (pdfsig, for one,
//! fetches what AIA points to), and the CRLs are handed to them as files instead. Tests of
//! revocation fetching ask for them with [`DemoOptions`] and serve the URLs themselves.

use std::fmt::Write as _;
use std::time::Duration;

use der::asn1::Ia5String;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode, EncodePem};
use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time, Asn1Type};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::{X509Builder, X509Extension, X509Name, X509NameBuilder, X509};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::crl::CrlNumber;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CrlDistributionPoints, CrlReason, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::Time;
use x509_cert::Version;

/// RSA modulus size of every RSA key: the smallest the default algorithm policy accepts.
pub const RSA_BITS: u32 = 2048;

/// Length of generated serial numbers: 128 random bits (RFC 5280 allows up to 20 octets; the
/// CA/Browser Forum asks for at least 64 bits of entropy).
const SERIAL_LEN: usize = 16;

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// How far back the CAs' validity starts, so that the expired signer lies inside its issuer's
/// validity as a real one would.
const CA_BACKDATE: i64 = 3 * 365 * DAY;
const ROOT_LIFETIME: i64 = 20 * 365 * DAY;
const ISSUING_LIFETIME: i64 = 10 * 365 * DAY;
const LEAF_LIFETIME: i64 = 2 * 365 * DAY;
/// CRLs are valid for a week, like the government CA's published CRLs.
const CRL_LIFETIME: i64 = 7 * DAY;

const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
const OID_OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
const OID_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
const OID_AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
const AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const OID_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const OID_CRL_REASON: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

const EKU_EMAIL_PROTECTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
/// id-kp-documentSigning (RFC 9336).
const EKU_DOCUMENT_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");
const EKU_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const EKU_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");

/// Why the demo PKI could not be generated. Nothing here depends on outside input, so any of
/// these is a bug or an exhausted system (no entropy, out of memory).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    #[error("OpenSSL failed while building the demo PKI: {0}")]
    OpenSsl(#[from] ErrorStack),
    #[error("DER encoding failed while building the demo PKI: {0}")]
    Der(#[from] der::Error),
    #[error("the time {0} is outside the range X.509 can encode")]
    TimeOutOfRange(i64),
}

/// The kinds of key the demo issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA with [`RSA_BITS`] bits.
    Rsa2048,
    /// ECDSA on NIST P-256.
    EcP256,
}

/// Where keys and serial numbers come from. A parameter so that the generator stays a function
/// of its inputs (tests may supply cached keys to save RSA key generation time).
pub trait Entropy {
    /// A fresh private key of the given kind.
    fn key(&mut self, kind: KeyKind) -> Result<PKey<Private>, DemoError>;
    /// [`SERIAL_LEN`] random bytes for a serial number.
    fn serial(&mut self) -> Result<[u8; SERIAL_LEN], DemoError>;
}

/// Keys and serials from OpenSSL's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenSslEntropy;

impl Entropy for OpenSslEntropy {
    fn key(&mut self, kind: KeyKind) -> Result<PKey<Private>, DemoError> {
        Ok(match kind {
            KeyKind::Rsa2048 => PKey::from_rsa(Rsa::generate(RSA_BITS)?)?,
            KeyKind::EcP256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                PKey::from_ec_key(EcKey::generate(&group)?)?
            }
        })
    }

    fn serial(&mut self) -> Result<[u8; SERIAL_LEN], DemoError> {
        let mut bytes = [0u8; SERIAL_LEN];
        openssl::rand::rand_bytes(&mut bytes)?;
        Ok(bytes)
    }
}

/// One generated file: its name (no directory) and contents.
#[derive(Debug, Clone)]
pub struct DemoFile {
    pub name: String,
    pub contents: Vec<u8>,
    /// What the file is, in Vietnamese, for the README.
    pub about_vi: String,
    /// What the file is, in English, for the README.
    pub about_en: String,
}

/// The generated demo PKI: every file, README.md included.
#[derive(Debug, Clone)]
pub struct DemoPki {
    pub files: Vec<DemoFile>,
}

impl DemoPki {
    /// The file with this name, if generated.
    pub fn file(&self, name: &str) -> Option<&DemoFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// One attribute of a distinguished name; all but `C` are written as UTF8String.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    C,
    St,
    L,
    O,
    Ou,
    Cn,
    Uid,
}

/// The subject names of the demo hierarchy (public so tests can assert round-trips).
pub mod names {
    pub const ROOT_CN: &str = "DEMO RootCA chuyên dùng Chính phủ";
    pub const CA_O: &str = "Ban Cơ yếu Chính phủ (DEMO)";
    pub const ISSUING_CN: &str = "DEMO CA phục vụ các cơ quan Nhà nước";
    pub const AGENCY: &str = "UBND tỉnh Đắk Lắk";
    pub const AGENCY_UID: &str = "MST:6000000000-DEMO";
    pub const PROVINCE: &str = "Đắk Lắk";
    pub const CITY: &str = "Buôn Ma Thuột";
    pub const PERSON_CN: &str = "Nguyễn Văn An";
    pub const PERSON_UID: &str = "CCCD:066000000001-DEMO";
    pub const REVOKED_CN: &str = "Trần Thị Bình (DEMO - đã thu hồi)";
    pub const REVOKED_UID: &str = "CCCD:066000000002-DEMO";
    pub const EXPIRED_CN: &str = "Lê Văn Cường (DEMO - hết hạn)";
    pub const EXPIRED_UID: &str = "CCCD:066000000003-DEMO";
    pub const TSA_CN: &str = "DEMO Dịch vụ cấp dấu thời gian";
    pub const OCSP_CN: &str = "DEMO Dịch vụ OCSP";
}

/// A distinguished name with the attributes in the order given (`C` as PrintableString, the
/// others as UTF8String, RFC 5280 §4.1.2.4), for certificates and certificate requests.
pub fn name(attrs: &[(Attr, &str)]) -> Result<X509Name, DemoError> {
    let mut b = X509NameBuilder::new()?;
    for (attr, value) in attrs {
        let (nid, ty) = match attr {
            Attr::C => (Nid::COUNTRYNAME, Asn1Type::PRINTABLESTRING),
            Attr::St => (Nid::STATEORPROVINCENAME, Asn1Type::UTF8STRING),
            Attr::L => (Nid::LOCALITYNAME, Asn1Type::UTF8STRING),
            Attr::O => (Nid::ORGANIZATIONNAME, Asn1Type::UTF8STRING),
            Attr::Ou => (Nid::ORGANIZATIONALUNITNAME, Asn1Type::UTF8STRING),
            Attr::Cn => (Nid::COMMONNAME, Asn1Type::UTF8STRING),
            Attr::Uid => (Nid::USERID, Asn1Type::UTF8STRING),
        };
        b.append_entry_by_nid_with_type(nid, value, ty)?;
    }
    Ok(b.build())
}

/// What a certificate is for; decides its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A self-signed root CA.
    Root,
    /// A subordinate CA with this pathLenConstraint (`Some(0)`: issues end entities only).
    IssuingCa { path_len: Option<u8> },
    /// A document signer: KU digitalSignature + nonRepudiation, EKU emailProtection +
    /// documentSigning.
    Signer,
    /// A time-stamping authority: EKU timeStamping, critical.
    Tsa,
    /// An OCSP responder: EKU OCSPSigning and ocsp-nocheck.
    OcspResponder,
}

/// A certificate with its key, kept together to issue certificates and sign CRLs.
#[derive(Clone)]
pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

/// The DER of an extension value, wrapped for OpenSSL so the bytes are exactly ours.
fn ext(oid: &str, critical: bool, value: &impl Encode) -> Result<X509Extension, DemoError> {
    let der = value.to_der()?;
    let obj = Asn1Object::from_str(oid)?;
    let octets = Asn1OctetString::new_from_bytes(&der)?;
    Ok(X509Extension::new_from_der(&obj, critical, &octets)?)
}

/// Key identifier per RFC 7093 section 2 method 1: the leftmost 160 bits of the SHA-256 of the
/// subjectPublicKey BIT STRING value.
fn key_id(key: &PKey<Private>) -> Result<Vec<u8>, DemoError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(&key.public_key_to_der()?)?;
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    Ok(digest.iter().take(20).copied().collect())
}

fn asn1_time(unix: i64) -> Result<Asn1Time, DemoError> {
    Ok(Asn1Time::from_unix(unix)?)
}

fn der_time(unix: i64) -> Result<Time, DemoError> {
    let secs = u64::try_from(unix).map_err(|_| DemoError::TimeOutOfRange(unix))?;
    let dt = der::DateTime::from_unix_duration(Duration::from_secs(secs))?;
    Ok(Time::from(dt))
}

/// Positive serial from random bytes: the top bit is cleared so DER needs no padding octet,
/// and the lowest set so it is never zero.
fn serial_bytes(entropy: &mut dyn Entropy) -> Result<[u8; SERIAL_LEN], DemoError> {
    let mut s = entropy.serial()?;
    if let Some(first) = s.first_mut() {
        *first &= 0x7f;
    }
    if let Some(last) = s.last_mut() {
        *last |= 0x01;
    }
    Ok(s)
}

/// What to put in a certificate. Times are Unix seconds.
#[derive(Debug, Clone, Copy)]
pub struct CertSpec<'a> {
    pub subject: &'a [(Attr, &'a str)],
    pub role: Role,
    pub key: KeyKind,
    pub not_before: i64,
    pub not_after: i64,
}

/// Where relying parties find revocation data for a certificate: the URLs written into its
/// CRL distribution points (RFC 5280 §4.2.1.13) and authority information access (OCSP,
/// RFC 5280 §4.2.2.1) extensions. Empty: neither extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationUrls {
    pub crl: Option<String>,
    pub ocsp: Option<String>,
}

/// Options of [`generate_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoOptions {
    /// The OCSP responder URL written into every end-entity certificate the issuing CA signs
    /// (the responder certificate itself excepted: it carries ocsp-nocheck).
    pub ocsp_url: Option<String>,
    /// Base URL of the CRLs: end entities point to `<base>/issuing-ca.crl`, the issuing CA to
    /// `<base>/root-ca.crl` (DER files that [`generate_with`] then also writes).
    pub crl_base_url: Option<String>,
}

/// Issues a certificate for a fresh key; self-signed when `issuer` is `None`.
pub fn issue(
    spec: &CertSpec<'_>,
    issuer: Option<&Issued>,
    entropy: &mut dyn Entropy,
) -> Result<Issued, DemoError> {
    let key = entropy.key(spec.key)?;
    issue_with_key(spec, key, issuer, entropy)
}

/// Issues a certificate for an existing key (`spec.key` is ignored): re-keyed names,
/// cross-certificates and bundles of many certificates for one key.
pub fn issue_with_key(
    spec: &CertSpec<'_>,
    key: PKey<Private>,
    issuer: Option<&Issued>,
    entropy: &mut dyn Entropy,
) -> Result<Issued, DemoError> {
    issue_with_urls(spec, key, issuer, &RevocationUrls::default(), entropy)
}

/// [`issue_with_key`] with revocation pointers in the certificate.
pub fn issue_with_urls(
    spec: &CertSpec<'_>,
    key: PKey<Private>,
    issuer: Option<&Issued>,
    urls: &RevocationUrls,
    entropy: &mut dyn Entropy,
) -> Result<Issued, DemoError> {
    let subject = name(spec.subject)?;
    let ski = key_id(&key)?;
    let (issuer_name, issuer_key, aki) = match issuer {
        Some(i) => (i.cert.subject_name(), &i.key, key_id(&i.key)?),
        None => (subject.as_ref(), &key, ski.clone()),
    };

    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial = BigNum::from_slice(&serial_bytes(entropy)?)?.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&subject)?;
    b.set_issuer_name(issuer_name)?;
    b.set_pubkey(&key)?;
    b.set_not_before(asn1_time(spec.not_before)?.as_ref())?;
    b.set_not_after(asn1_time(spec.not_after)?.as_ref())?;

    let basic = match spec.role {
        Role::Root => BasicConstraints {
            ca: true,
            path_len_constraint: None,
        },
        Role::IssuingCa { path_len } => BasicConstraints {
            ca: true,
            path_len_constraint: path_len,
        },
        _ => BasicConstraints {
            ca: false,
            path_len_constraint: None,
        },
    };
    b.append_extension(ext(OID_BASIC_CONSTRAINTS, true, &basic)?)?;
    let usages = match spec.role {
        Role::Root | Role::IssuingCa { .. } => KeyUsages::KeyCertSign | KeyUsages::CRLSign,
        Role::Signer => KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
        Role::Tsa | Role::OcspResponder => KeyUsages::DigitalSignature.into(),
    };
    b.append_extension(ext(OID_KEY_USAGE, true, &KeyUsage(usages))?)?;
    let eku = match spec.role {
        Role::Root | Role::IssuingCa { .. } => None,
        // NSS (pdfsig) accepts a signer with an EKU only if emailProtection is in it.
        Role::Signer => Some((false, vec![EKU_EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING])),
        // RFC 3161 section 2.3: the TSA's EKU is timeStamping only, and critical.
        Role::Tsa => Some((true, vec![EKU_TIME_STAMPING])),
        Role::OcspResponder => Some((false, vec![EKU_OCSP_SIGNING])),
    };
    if let Some((critical, oids)) = eku {
        b.append_extension(ext(OID_EXT_KEY_USAGE, critical, &ExtendedKeyUsage(oids))?)?;
    }
    if spec.role == Role::OcspResponder {
        // RFC 6960 section 4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL.
        b.append_extension(ext(OID_OCSP_NOCHECK, false, &der::asn1::Null)?)?;
    }
    b.append_extension(ext(
        OID_SUBJECT_KEY_ID,
        false,
        &SubjectKeyIdentifier(OctetString::new(ski)?),
    )?)?;
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(aki)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    b.append_extension(ext(OID_AUTHORITY_KEY_ID, false, &aki)?)?;
    if let Some(url) = &urls.crl {
        let dp = DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(Ia5String::new(url)?),
            ])),
            reasons: None,
            crl_issuer: None,
        };
        b.append_extension(ext(
            OID_CRL_DISTRIBUTION_POINTS,
            false,
            &CrlDistributionPoints(vec![dp]),
        )?)?;
    }
    if let Some(url) = &urls.ocsp {
        let access = AccessDescription {
            access_method: AD_OCSP,
            access_location: GeneralName::UniformResourceIdentifier(Ia5String::new(url)?),
        };
        b.append_extension(ext(
            OID_AUTHORITY_INFO_ACCESS,
            false,
            &AuthorityInfoAccessSyntax(vec![access]),
        )?)?;
    }

    b.sign(issuer_key, MessageDigest::sha256())?;
    Ok(Issued {
        cert: b.build(),
        key,
    })
}

/// The DER of a v2 CRL (RFC 5280 section 5) issued by `ca`, valid for a week from
/// `this_update`, listing `revoked` as key compromises at `revoked_at`.
pub fn crl_der(
    ca: &Issued,
    revoked: &[&X509],
    this_update: i64,
    revoked_at: i64,
) -> Result<Vec<u8>, DemoError> {
    Ok(crl(ca, revoked, this_update, revoked_at)?.to_der()?)
}

/// A v2 CRL (RFC 5280 section 5) issued by `ca`, listing `revoked` as key compromises at
/// `revoked_at`, with the AKI and CRL number extensions RFC 5280 requires of conforming CAs.
fn crl(
    ca: &Issued,
    revoked: &[&X509],
    this_update: i64,
    revoked_at: i64,
) -> Result<CertificateList, DemoError> {
    let signature = AlgorithmIdentifierOwned {
        oid: OID_SHA256_WITH_RSA,
        parameters: Some(der::asn1::Null.into()),
    };
    let reason = CrlReason::KeyCompromise;
    let mut entries = Vec::with_capacity(revoked.len());
    for cert in revoked {
        let serial = cert.serial_number().to_bn()?.to_vec();
        entries.push(RevokedCert {
            serial_number: SerialNumber::new(&serial)?,
            revocation_date: der_time(revoked_at)?,
            crl_entry_extensions: Some(vec![Extension {
                extn_id: OID_CRL_REASON,
                critical: false,
                extn_value: OctetString::new(reason.to_der()?)?,
            }]),
        });
    }
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id(&ca.key)?)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let crl_number = CrlNumber(der::asn1::Uint::new(&[0x01])?);
    let tbs = TbsCertList {
        version: Version::V2,
        signature: signature.clone(),
        issuer: Name::from_der(&ca.cert.subject_name().to_der()?)?,
        this_update: der_time(this_update)?,
        next_update: Some(der_time(this_update.saturating_add(CRL_LIFETIME))?),
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(vec![
            Extension {
                extn_id: OID_AKI,
                critical: false,
                extn_value: OctetString::new(aki.to_der()?)?,
            },
            Extension {
                extn_id: OID_CRL_NUMBER,
                critical: false,
                extn_value: OctetString::new(crl_number.to_der()?)?,
            },
        ]),
    };
    let tbs_der = tbs.to_der()?;
    let mut signer = Signer::new(MessageDigest::sha256(), &ca.key)?;
    signer.update(&tbs_der)?;
    let sig = signer.sign_to_vec()?;
    Ok(CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: signature,
        signature: BitString::from_bytes(&sig)?,
    })
}

fn cert_pem(cert: &X509) -> Result<Vec<u8>, DemoError> {
    Ok(cert.to_pem()?)
}

fn key_pem(key: &PKey<Private>) -> Result<Vec<u8>, DemoError> {
    Ok(key.private_key_to_pem_pkcs8()?)
}

fn crl_pem(crl: &CertificateList) -> Result<Vec<u8>, DemoError> {
    Ok(crl.to_pem(der::pem::LineEnding::LF)?.into_bytes())
}

/// Generates the demo PKI as of `now`: every certificate is valid at `now` except the expired
/// signer (which expired 30 days before) and the revoked one (revoked an hour before `now` in
/// the issuing CA's CRL, whose thisUpdate is then too).
pub fn generate(now: OffsetDateTime, entropy: &mut dyn Entropy) -> Result<DemoPki, DemoError> {
    generate_with(now, entropy, &DemoOptions::default())
}

/// [`generate`] with revocation pointers in the certificates (see [`DemoOptions`]).
pub fn generate_with(
    now: OffsetDateTime,
    entropy: &mut dyn Entropy,
    options: &DemoOptions,
) -> Result<DemoPki, DemoError> {
    use names::*;
    let crl_url = |file: &str| {
        options
            .crl_base_url
            .as_ref()
            .map(|b| format!("{}/{file}", b.trim_end_matches('/')))
    };
    let ca_urls = RevocationUrls {
        crl: crl_url("root-ca.crl"),
        ocsp: None,
    };
    let leaf_urls = RevocationUrls {
        crl: crl_url("issuing-ca.crl"),
        ocsp: options.ocsp_url.clone(),
    };
    let issue = |spec: &CertSpec<'_>, issuer: Option<&Issued>, entropy: &mut dyn Entropy| {
        let urls = match (issuer, spec.role) {
            (None, _) => RevocationUrls::default(),
            (Some(_), Role::IssuingCa { .. }) => ca_urls.clone(),
            (Some(_), Role::OcspResponder) => RevocationUrls {
                ocsp: None,
                ..leaf_urls.clone()
            },
            (Some(_), _) => leaf_urls.clone(),
        };
        let key = entropy.key(spec.key)?;
        issue_with_urls(spec, key, issuer, &urls, entropy)
    };
    let now = now.unix_timestamp();
    let start = now.saturating_sub(DAY);
    let ca_start = now.saturating_sub(CA_BACKDATE);
    let ca_names = |cn| [(Attr::C, "VN"), (Attr::O, CA_O), (Attr::Cn, cn)];

    let root = issue(
        &CertSpec {
            subject: &ca_names(ROOT_CN),
            role: Role::Root,
            key: KeyKind::Rsa2048,
            not_before: ca_start,
            not_after: ca_start.saturating_add(ROOT_LIFETIME),
        },
        None,
        entropy,
    )?;
    let issuing = issue(
        &CertSpec {
            subject: &ca_names(ISSUING_CN),
            role: Role::IssuingCa { path_len: Some(0) },
            key: KeyKind::Rsa2048,
            not_before: ca_start,
            not_after: ca_start.saturating_add(ISSUING_LIFETIME),
        },
        Some(&root),
        entropy,
    )?;

    let agency_name = [
        (Attr::C, "VN"),
        (Attr::St, PROVINCE),
        (Attr::L, CITY),
        (Attr::O, AGENCY),
        (Attr::Cn, AGENCY),
        (Attr::Uid, AGENCY_UID),
    ];
    let person_name = |cn, uid| {
        [
            (Attr::C, "VN"),
            (Attr::St, PROVINCE),
            (Attr::O, AGENCY),
            (Attr::Cn, cn),
            (Attr::Uid, uid),
        ]
    };
    let leaf = |subject, role, key| CertSpec {
        subject,
        role,
        key,
        not_before: start,
        not_after: start.saturating_add(LEAF_LIFETIME),
    };
    let person_names = person_name(PERSON_CN, PERSON_UID);
    let revoked_names = person_name(REVOKED_CN, REVOKED_UID);
    let expired_names = person_name(EXPIRED_CN, EXPIRED_UID);
    let tsa_names = ca_names(TSA_CN);
    let ocsp_names = ca_names(OCSP_CN);
    let agency = issue(
        &leaf(&agency_name, Role::Signer, KeyKind::Rsa2048),
        Some(&issuing),
        entropy,
    )?;
    let agency_ec = issue(
        &leaf(&agency_name, Role::Signer, KeyKind::EcP256),
        Some(&issuing),
        entropy,
    )?;
    let person = issue(
        &leaf(&person_names, Role::Signer, KeyKind::Rsa2048),
        Some(&issuing),
        entropy,
    )?;
    let revoked = issue(
        &leaf(&revoked_names, Role::Signer, KeyKind::Rsa2048),
        Some(&issuing),
        entropy,
    )?;
    let expired_end = now.saturating_sub(30 * DAY);
    let expired = issue(
        &CertSpec {
            subject: &expired_names,
            role: Role::Signer,
            key: KeyKind::Rsa2048,
            not_before: expired_end.saturating_sub(LEAF_LIFETIME),
            not_after: expired_end,
        },
        Some(&issuing),
        entropy,
    )?;
    let tsa = issue(
        &leaf(&tsa_names, Role::Tsa, KeyKind::Rsa2048),
        Some(&issuing),
        entropy,
    )?;
    let ocsp = issue(
        &leaf(&ocsp_names, Role::OcspResponder, KeyKind::Rsa2048),
        Some(&issuing),
        entropy,
    )?;

    let crl_time = now.saturating_sub(3600);
    let root_crl = crl(&root, &[], crl_time, crl_time)?;
    let issuing_crl = crl(&issuing, &[&revoked.cert], crl_time, crl_time)?;

    let mut files = Vec::new();
    let mut add = |name: &str, contents: Vec<u8>, vi: &str, en: &str| {
        files.push(DemoFile {
            name: name.to_owned(),
            contents,
            about_vi: vi.to_owned(),
            about_en: en.to_owned(),
        });
    };
    add(
        "root-ca.pem",
        cert_pem(&root.cert)?,
        "Chứng thư số CA gốc (neo tin cậy cho môi trường thử nghiệm)",
        "Root CA certificate (the trust anchor for testing)",
    );
    add(
        "root-ca.key.pem",
        key_pem(&root.key)?,
        "Khóa bí mật của CA gốc (PKCS#8)",
        "Root CA private key (PKCS#8)",
    );
    add(
        "issuing-ca.pem",
        cert_pem(&issuing.cert)?,
        "Chứng thư số CA cấp cho các cơ quan (CA trung gian)",
        "Issuing (intermediate) CA certificate",
    );
    add(
        "issuing-ca.key.pem",
        key_pem(&issuing.key)?,
        "Khóa bí mật của CA trung gian (PKCS#8)",
        "Issuing CA private key (PKCS#8)",
    );
    let mut chain = cert_pem(&issuing.cert)?;
    chain.extend(cert_pem(&root.cert)?);
    add(
        "chain.pem",
        chain,
        "Chuỗi CA: CA trung gian rồi CA gốc",
        "CA chain: issuing CA then root CA",
    );
    let signers: [(&str, &Issued, &str, &str); 7] = [
        (
            "agency-signer",
            &agency,
            "Chứng thư số ký của tổ chức (UBND tỉnh), RSA-2048",
            "Agency (organization) signing certificate, RSA-2048",
        ),
        (
            "agency-signer-ec",
            &agency_ec,
            "Chứng thư số ký của tổ chức (UBND tỉnh), ECDSA P-256",
            "Agency (organization) signing certificate, ECDSA P-256",
        ),
        (
            "person-signer",
            &person,
            "Chứng thư số ký của cá nhân (Nguyễn Văn An)",
            "Personal signing certificate (Nguyễn Văn An)",
        ),
        (
            "revoked-signer",
            &revoked,
            "Chứng thư số ký đã bị thu hồi (có trong CRL của CA trung gian)",
            "Signing certificate that is revoked (listed in the issuing CA's CRL)",
        ),
        (
            "expired-signer",
            &expired,
            "Chứng thư số ký đã hết hạn (hết hạn 30 ngày trước khi tạo)",
            "Signing certificate that has expired (30 days before generation)",
        ),
        (
            "tsa",
            &tsa,
            "Chứng thư số của dịch vụ cấp dấu thời gian (EKU timeStamping, critical)",
            "Time-stamping authority certificate (EKU timeStamping, critical)",
        ),
        (
            "ocsp-responder",
            &ocsp,
            "Chứng thư số của dịch vụ OCSP (EKU OCSPSigning, ocsp-nocheck)",
            "OCSP responder certificate (EKU OCSPSigning, ocsp-nocheck)",
        ),
    ];
    for (stem, issued, vi, en) in signers {
        add(&format!("{stem}.pem"), cert_pem(&issued.cert)?, vi, en);
        add(
            &format!("{stem}.key.pem"),
            key_pem(&issued.key)?,
            "Khóa bí mật tương ứng (PKCS#8)",
            "Its private key (PKCS#8)",
        );
    }
    add(
        "root-ca.crl.pem",
        crl_pem(&root_crl)?,
        "Danh sách thu hồi (CRL) của CA gốc, không thu hồi chứng thư nào",
        "Root CA's CRL, revoking nothing",
    );
    add(
        "issuing-ca.crl.pem",
        crl_pem(&issuing_crl)?,
        "Danh sách thu hồi (CRL) của CA trung gian, liệt kê revoked-signer",
        "Issuing CA's CRL, listing revoked-signer",
    );
    if options.crl_base_url.is_some() {
        add(
            "root-ca.crl",
            root_crl.to_der()?,
            "CRL của CA gốc dạng DER, để phục vụ tại địa chỉ CRL đã ghi trong chứng thư",
            "Root CA's CRL in DER, to serve at the CRL URL written in the certificates",
        );
        add(
            "issuing-ca.crl",
            issuing_crl.to_der()?,
            "CRL của CA trung gian dạng DER, để phục vụ tại địa chỉ CRL đã ghi trong chứng thư",
            "Issuing CA's CRL in DER, to serve at the CRL URL written in the certificates",
        );
    }
    let readme = readme(&files, options != &DemoOptions::default());
    files.push(DemoFile {
        name: "README.md".to_owned(),
        contents: readme.into_bytes(),
        about_vi: "Tệp này".to_owned(),
        about_en: "This file".to_owned(),
    });
    Ok(DemoPki { files })
}

fn readme(files: &[DemoFile], with_urls: bool) -> String {
    let mut s = String::new();
    s.push_str(
        "# PKI thử nghiệm kyso / kyso demo PKI\n\n\
         **CHỈ DÙNG ĐỂ THỬ NGHIỆM.** Các chứng thư số và khóa bí mật trong thư mục này được tạo \
         ngẫu nhiên bởi `kyso pki demo`. Chúng mô phỏng cấu trúc hệ thống chứng thực chữ ký số \
         chuyên dùng Chính phủ nhưng KHÔNG do Ban Cơ yếu Chính phủ hay bất kỳ tổ chức nào cấp, \
         KHÔNG có giá trị pháp lý, và khóa bí mật nằm ngay bên cạnh. Không bao giờ cài CA gốc \
         này làm neo tin cậy trên hệ thống vận hành thật.\n\n\
         **FOR TESTING ONLY.** The certificates and private keys in this directory were generated \
         at random by `kyso pki demo`. They imitate the structure of the Vietnamese government \
         PKI but were NOT issued by the Government Cipher Committee or anyone else, have no legal \
         value, and their private keys lie right next to them. Never install this root as a \
         trust anchor on a production system.\n\n",
    );
    if with_urls {
        s.push_str(
            "Các chứng thư có địa chỉ CRL/OCSP do người tạo chỉ định; hãy phục vụ các tệp `.crl` \
             và một OCSP responder tại đó. / The certificates carry the CRL and OCSP URLs given \
             at generation; serve the `.crl` files and an OCSP responder there.\n\n",
        );
    } else {
        s.push_str(
            "Không chứng thư nào có AIA hay CRL distribution point: trình kiểm tra không truy cập \
         mạng, hãy đưa các tệp CRL vào trực tiếp. / No certificate carries AIA or CRL \
         distribution points, so validators make no network access; pass the CRL files \
             explicitly.\n\n",
        );
    }
    s.push_str("| Tệp / File | Nội dung | Contents |\n|---|---|---|\n");
    for f in files {
        let _ = writeln!(s, "| `{}` | {} | {} |", f.name, f.about_vi, f.about_en);
    }
    s.push_str(
        "\nVí dụ / Example:\n\n    \
         openssl verify -CAfile root-ca.pem -untrusted issuing-ca.pem -crl_check_all \\\n        \
         -CRLfile root-ca.crl.pem -CRLfile issuing-ca.crl.pem agency-signer.pem\n    \
         kyso cert verify agency-signer.pem --chain issuing-ca.pem --trust root-ca.pem \\\n        \
         --crl root-ca.crl.pem --crl issuing-ca.crl.pem\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::x509::X509Crl;
    use time::macros::datetime;

    fn cert(pki: &DemoPki, name: &str) -> X509 {
        let file = pki.file(name).expect("generated");
        X509::from_pem(&file.contents).expect("parses")
    }

    #[test]
    fn validity_windows_follow_the_time_passed_in() {
        let now = datetime!(2026-03-01 08:00 UTC);
        let pki = generate(now, &mut OpenSslEntropy).expect("generate");
        let at = |unix: i64| Asn1Time::from_unix(unix).expect("time");
        let t = now.unix_timestamp();
        let good = cert(&pki, "agency-signer.pem");
        assert!(good.not_before() <= at(t) && good.not_after() >= at(t));
        let expired = cert(&pki, "expired-signer.pem");
        assert!(expired.not_after() == at(t - 30 * DAY));
        let issuing = cert(&pki, "issuing-ca.pem");
        assert!(issuing.not_before() <= expired.not_before());

        let crl_file = pki.file("issuing-ca.crl.pem").expect("crl");
        let crl = X509Crl::from_pem(&crl_file.contents).expect("crl parses");
        assert!(crl.last_update() == at(t - 3600));
        let revoked = cert(&pki, "revoked-signer.pem");
        let listed: Vec<_> = crl
            .get_revoked()
            .expect("entries")
            .iter()
            .map(|r| r.serial_number().to_bn().expect("bn"))
            .collect();
        assert_eq!(listed, vec![revoked.serial_number().to_bn().expect("bn")]);
        let key = issuing.public_key().expect("key");
        assert!(crl.verify(&key).expect("verify"));
        let root_crl = pki.file("root-ca.crl.pem").expect("root crl");
        let root_crl = X509Crl::from_pem(&root_crl.contents).expect("parses");
        assert!(root_crl.get_revoked().is_none());
    }
}

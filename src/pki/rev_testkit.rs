//! Test-only builders for the revocation tests: a minimal DER writer and helpers that make CA
//! and end-entity certificates, CRLs and OCSP responses with exactly the fields a test needs,
//! signed with real ECDSA P-256 keys through OpenSSL. The CRL and OCSP encoders are written here
//! because the `openssl` crate cannot build CRLs with issuing distribution points, delta
//! indicators or certificateIssuer entries, nor OCSP responses for arbitrary certificates.

use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509Extension, X509NameBuilder, X509};
use time::OffsetDateTime;

use super::cert::Certificate;

/// DER tag-length-value with a definite length.
pub(crate) use super::source::der_tlv as tlv;

pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

/// Context-specific constructed tag `[n]` around already encoded content (EXPLICIT, or IMPLICIT
/// for a constructed type).
pub fn ctx(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0xa0 | n, content)
}

/// Context-specific primitive tag `[n]` (IMPLICIT primitive types).
pub fn ctx_prim(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0x80 | n, content)
}

pub fn boolean(v: bool) -> Vec<u8> {
    tlv(0x01, &[if v { 0xff } else { 0 }])
}

/// INTEGER from a non-negative value.
pub fn uint(v: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = v
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    tlv(0x02, &bytes)
}

pub fn enumerated(v: u8) -> Vec<u8> {
    tlv(0x0a, &[v])
}

pub fn octets(v: &[u8]) -> Vec<u8> {
    tlv(0x04, v)
}

pub fn bit_string(v: &[u8]) -> Vec<u8> {
    let mut c = vec![0];
    c.extend_from_slice(v);
    tlv(0x03, &c)
}

pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

pub fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap_or(0)).collect();
    let first = arcs.first().copied().unwrap_or(0);
    let second = arcs.get(1).copied().unwrap_or(0);
    let mut body = Vec::new();
    for (i, arc) in std::iter::once(first * 40 + second)
        .chain(arcs.iter().skip(2).copied())
        .enumerate()
    {
        let _ = i;
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    }
    tlv(0x06, &body)
}

pub fn generalized_time(t: OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let s = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(0x18, s.as_bytes())
}

pub fn utc_time(t: OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(0x17, s.as_bytes())
}

/// An `Extension` SEQUENCE.
pub fn extension(oid_dotted: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut items = vec![oid(oid_dotted)];
    if critical {
        items.push(boolean(true));
    }
    items.push(octets(value));
    seq(&items)
}

/// GeneralName uniformResourceIdentifier.
pub fn gn_uri(uri: &str) -> Vec<u8> {
    ctx_prim(6, uri.as_bytes())
}

/// GeneralName directoryName (EXPLICIT because Name is a CHOICE).
pub fn gn_dir(name_der: &[u8]) -> Vec<u8> {
    ctx(4, name_der)
}

/// DistributionPointName fullName, as the `[0]` field of a DistributionPoint or IDP.
pub fn dp_full_name(general_names: &[Vec<u8>]) -> Vec<u8> {
    ctx(0, &ctx(0, &general_names.concat()))
}

/// ReasonFlags BIT STRING body from RFC 5280 bit numbers (1 = keyCompromise … 8 = aACompromise).
pub fn reason_flags(bits: &[u8]) -> Vec<u8> {
    let mut v: u16 = 0;
    for b in bits {
        v |= 0x8000 >> b;
    }
    let [hi, lo] = v.to_be_bytes();
    if lo == 0 {
        let unused = hi.trailing_zeros().min(7) as u8;
        vec![unused, hi]
    } else {
        let unused = lo.trailing_zeros().min(7) as u8;
        vec![unused, hi, lo]
    }
}

/// ECDSA with SHA-256 AlgorithmIdentifier.
pub fn ecdsa_sha256() -> Vec<u8> {
    seq(&[oid("1.2.840.10045.4.3.2")])
}

pub fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("group");
    PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey")
}

pub fn sign(key: &PKey<Private>, data: &[u8]) -> Vec<u8> {
    let mut s = Signer::new(MessageDigest::sha256(), key).expect("signer");
    s.update(data).expect("update");
    s.sign_to_vec().expect("sign")
}

/// A certificate with its key, in both OpenSSL and kyso form.
pub struct TestCert {
    pub x509: X509,
    pub key: PKey<Private>,
    pub cert: Certificate,
}

impl TestCert {
    pub fn name_der(&self) -> Vec<u8> {
        self.x509.subject_name().to_der().expect("name der")
    }
}

/// What to put in a test certificate.
pub struct CertSpec<'a> {
    pub cn: &'a str,
    pub serial: u64,
    pub ca: bool,
    /// keyUsage; `None` leaves the extension out.
    pub key_usage: Option<KeyUsage>,
    /// Extra extensions as (OID, critical, DER value).
    pub extra: Vec<(&'a str, bool, Vec<u8>)>,
    /// Reuse this key instead of generating one (key rollover, shared keys).
    pub key: Option<PKey<Private>>,
}

impl<'a> CertSpec<'a> {
    pub fn ca(cn: &'a str, serial: u64) -> Self {
        let mut ku = KeyUsage::new();
        ku.critical().key_cert_sign().crl_sign();
        CertSpec {
            cn,
            serial,
            ca: true,
            key_usage: Some(ku),
            extra: Vec::new(),
            key: None,
        }
    }

    pub fn ee(cn: &'a str, serial: u64) -> Self {
        let mut ku = KeyUsage::new();
        ku.critical().digital_signature().non_repudiation();
        CertSpec {
            cn,
            serial,
            ca: false,
            key_usage: Some(ku),
            extra: Vec::new(),
            key: None,
        }
    }
}

pub fn fixed_time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).expect("time")
}

/// Validity of every test certificate: 2020-01-01 to 2040-01-01.
pub fn make_cert(spec: CertSpec<'_>, issuer: Option<&TestCert>) -> TestCert {
    let key = spec.key.unwrap_or_else(new_key);
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_nid(Nid::COUNTRYNAME, "VN").expect("c");
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Kyso Test")
        .expect("o");
    name.append_entry_by_nid(Nid::COMMONNAME, spec.cn)
        .expect("cn");
    let name = name.build();
    let mut b = X509::builder().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_dec_str(&spec.serial.to_string()).expect("bn");
    b.set_serial_number(&serial.to_asn1_integer().expect("int"))
        .expect("serial");
    b.set_subject_name(&name).expect("subject");
    match issuer {
        Some(i) => b.set_issuer_name(i.x509.subject_name()).expect("issuer"),
        None => b.set_issuer_name(&name).expect("issuer"),
    }
    b.set_pubkey(&key).expect("pubkey");
    let nb = openssl::asn1::Asn1Time::from_str("20200101000000Z").expect("nb");
    let na = openssl::asn1::Asn1Time::from_str("20400101000000Z").expect("na");
    b.set_not_before(&nb).expect("nb");
    b.set_not_after(&na).expect("na");
    if spec.ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
            .expect("bc");
    }
    if let Some(ku) = spec.key_usage {
        b.append_extension(ku.build().expect("ku")).expect("ku");
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .expect("ski");
    b.append_extension(ski).expect("ski");
    for (o, critical, value) in &spec.extra {
        let obj = openssl::asn1::Asn1Object::from_str(o).expect("oid");
        let value = openssl::asn1::Asn1OctetString::new_from_bytes(value).expect("octets");
        b.append_extension(X509Extension::new_from_der(&obj, *critical, &value).expect("ext"))
            .expect("ext");
    }
    let signer = issuer.map(|i| &i.key).unwrap_or(&key);
    b.sign(signer, MessageDigest::sha256()).expect("sign");
    let x509 = b.build();
    let cert = Certificate::from_der(&x509.to_der().expect("der")).expect("kyso parses test cert");
    TestCert { x509, key, cert }
}

/// One revoked entry of a test CRL.
pub struct Entry {
    pub serial: u64,
    pub date: OffsetDateTime,
    pub reason: Option<u8>,
    /// certificateIssuer entry extension (indirect CRLs): DER GeneralNames content items.
    pub cert_issuer: Option<Vec<Vec<u8>>>,
    /// Extra entry extensions as (OID, critical, DER value).
    pub extra: Vec<(String, bool, Vec<u8>)>,
}

impl Entry {
    pub fn new(serial: u64, date: OffsetDateTime, reason: Option<u8>) -> Self {
        Entry {
            serial,
            date,
            reason,
            cert_issuer: None,
            extra: Vec::new(),
        }
    }
}

/// What to put in a test CRL.
pub struct CrlSpec {
    pub issuer_name: Vec<u8>,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    pub entries: Vec<Entry>,
    pub number: Option<u64>,
    pub delta_base: Option<u64>,
    /// IssuingDistributionPoint SEQUENCE content (already encoded fields).
    pub idp: Option<Vec<u8>>,
    /// Extra CRL extensions as (OID, critical, DER value).
    pub extra: Vec<(String, bool, Vec<u8>)>,
}

impl CrlSpec {
    pub fn new(
        issuer: &TestCert,
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Self {
        CrlSpec {
            issuer_name: issuer.name_der(),
            this_update,
            next_update: Some(next_update),
            entries: Vec::new(),
            number: Some(1),
            delta_base: None,
            idp: None,
            extra: Vec::new(),
        }
    }

    /// DER CertificateList signed with `key`; `corrupt` flips a bit of the signature.
    pub fn build(&self, key: &PKey<Private>, corrupt: bool) -> Vec<u8> {
        let mut tbs = vec![uint(1), ecdsa_sha256(), self.issuer_name.clone()];
        tbs.push(utc_time(self.this_update));
        if let Some(n) = self.next_update {
            tbs.push(utc_time(n));
        }
        if !self.entries.is_empty() {
            let entries: Vec<Vec<u8>> = self
                .entries
                .iter()
                .map(|e| {
                    let mut fields = vec![uint(e.serial), utc_time(e.date)];
                    let mut exts = Vec::new();
                    if let Some(r) = e.reason {
                        exts.push(extension("2.5.29.21", false, &enumerated(r)));
                    }
                    if let Some(names) = &e.cert_issuer {
                        exts.push(extension("2.5.29.29", true, &seq(names)));
                    }
                    for (o, c, v) in &e.extra {
                        exts.push(extension(o, *c, v));
                    }
                    if !exts.is_empty() {
                        fields.push(seq(&exts));
                    }
                    seq(&fields)
                })
                .collect();
            tbs.push(seq(&entries));
        }
        let mut exts = Vec::new();
        if let Some(n) = self.number {
            exts.push(extension("2.5.29.20", false, &uint(n)));
        }
        if let Some(b) = self.delta_base {
            exts.push(extension("2.5.29.27", true, &uint(b)));
        }
        if let Some(idp) = &self.idp {
            exts.push(extension("2.5.29.28", true, &tlv(0x30, idp)));
        }
        for (o, c, v) in &self.extra {
            exts.push(extension(o, *c, v));
        }
        if !exts.is_empty() {
            tbs.push(ctx(0, &seq(&exts)));
        }
        let tbs = seq(&tbs);
        let mut sig = sign(key, &tbs);
        if corrupt {
            if let Some(last) = sig.last_mut() {
                *last ^= 1;
            }
        }
        seq(&[tbs, ecdsa_sha256(), bit_string(&sig)])
    }
}

/// One SingleResponse of a test OCSP response.
pub struct Single {
    /// CertID as computed for the certificate it speaks about.
    pub cert_id: Vec<u8>,
    /// 0 good, 1 revoked (at `this_update`, keyCompromise), 2 unknown.
    pub status: u8,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
}

/// CertID with SHA-256 over the issuer's name and key.
pub fn cert_id(issuer: &TestCert, serial: u64) -> Vec<u8> {
    let name_hash = openssl::sha::sha256(&issuer.name_der());
    let pk = issuer.x509.public_key().expect("pk");
    let spki = pk.public_key_to_der().expect("spki");
    let key_bits = spki_key_bits(&spki);
    let key_hash = openssl::sha::sha256(&key_bits);
    seq(&[
        seq(&[oid("2.16.840.1.101.3.4.2.1"), null()]),
        octets(&name_hash),
        octets(&key_hash),
        uint(serial),
    ])
}

/// The subjectPublicKey BIT STRING value (without the unused-bits byte) of an SPKI.
fn spki_key_bits(spki: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let (_, parsed) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).expect("spki");
    parsed.subject_public_key.data.to_vec()
}

/// DER OCSPResponse (successful, basic) signed with `key`, responder by name `responder`,
/// embedding `certs`.
pub fn ocsp_response(
    responder: &TestCert,
    key: &PKey<Private>,
    produced_at: OffsetDateTime,
    singles: &[Single],
    certs: &[&TestCert],
    corrupt: bool,
) -> Vec<u8> {
    let singles: Vec<Vec<u8>> = singles
        .iter()
        .map(|s| {
            let status = match s.status {
                0 => ctx_prim(0, &[]),
                1 => ctx(
                    1,
                    &[generalized_time(s.this_update), ctx(0, &enumerated(1))].concat(),
                ),
                _ => ctx_prim(2, &[]),
            };
            let mut f = vec![s.cert_id.clone(), status, generalized_time(s.this_update)];
            if let Some(n) = s.next_update {
                f.push(ctx(0, &generalized_time(n)));
            }
            seq(&f)
        })
        .collect();
    let tbs = seq(&[
        ctx(1, &responder.name_der()),
        generalized_time(produced_at),
        seq(&singles),
    ]);
    let mut sig = sign(key, &tbs);
    if corrupt {
        if let Some(last) = sig.last_mut() {
            *last ^= 1;
        }
    }
    let mut basic = vec![tbs, ecdsa_sha256(), bit_string(&sig)];
    if !certs.is_empty() {
        let ders: Vec<Vec<u8>> = certs
            .iter()
            .map(|c| c.x509.to_der().expect("der"))
            .collect();
        basic.push(ctx(0, &seq(&ders)));
    }
    let basic = seq(&basic);
    seq(&[
        enumerated(0),
        ctx(0, &seq(&[oid("1.3.6.1.5.5.7.48.1.1"), octets(&basic)])),
    ])
}

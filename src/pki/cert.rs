//! [`Certificate`]: an X.509 certificate parsed once, at the edge, into an owned value holding
//! everything path validation and revocation checking read. Nothing downstream re-parses DER.

use std::ops::Range;
use std::sync::Arc;

use openssl::pkey::{PKey, Public};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::asn1_rs::FromDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::x509::AlgorithmIdentifier;

use super::error::PkiError;
use super::general_name::GeneralName;
use super::name::{Name, Rdn};

/// Largest certificate kyso parses. Real certificates are a few kilobytes; 64 KiB leaves room
/// for long CRL/AIA lists while bounding the work an attacker can cause per certificate.
pub const MAX_CERT_SIZE: usize = 64 * 1024;

/// Extension OIDs (RFC 5280 §4.2).
pub mod oid {
    /// subjectKeyIdentifier, §4.2.1.2.
    pub const SUBJECT_KEY_ID: &str = "2.5.29.14";
    /// keyUsage, §4.2.1.3.
    pub const KEY_USAGE: &str = "2.5.29.15";
    /// subjectAltName, §4.2.1.6.
    pub const SUBJECT_ALT_NAME: &str = "2.5.29.17";
    /// issuerAltName, §4.2.1.7.
    pub const ISSUER_ALT_NAME: &str = "2.5.29.18";
    /// basicConstraints, §4.2.1.9.
    pub const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    /// nameConstraints, §4.2.1.10.
    pub const NAME_CONSTRAINTS: &str = "2.5.29.30";
    /// cRLDistributionPoints, §4.2.1.13.
    pub const CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
    /// certificatePolicies, §4.2.1.4.
    pub const CERTIFICATE_POLICIES: &str = "2.5.29.32";
    /// policyMappings, §4.2.1.5.
    pub const POLICY_MAPPINGS: &str = "2.5.29.33";
    /// authorityKeyIdentifier, §4.2.1.1.
    pub const AUTHORITY_KEY_ID: &str = "2.5.29.35";
    /// policyConstraints, §4.2.1.11.
    pub const POLICY_CONSTRAINTS: &str = "2.5.29.36";
    /// extKeyUsage, §4.2.1.12.
    pub const EXT_KEY_USAGE: &str = "2.5.29.37";
    /// freshestCRL, §4.2.1.15.
    pub const FRESHEST_CRL: &str = "2.5.29.46";
    /// inhibitAnyPolicy, §4.2.1.14.
    pub const INHIBIT_ANY_POLICY: &str = "2.5.29.54";
    /// authorityInfoAccess, §4.2.2.1.
    pub const AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
    /// subjectInfoAccess, §4.2.2.2.
    pub const SUBJECT_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.11";
    /// anyPolicy, §4.2.1.4.
    pub const ANY_POLICY: &str = "2.5.29.32.0";
    /// anyExtendedKeyUsage, §4.2.1.12.
    pub const ANY_EKU: &str = "2.5.29.37.0";
    /// id-ad-ocsp, §4.2.2.1.
    pub const AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
    /// id-ad-caIssuers, §4.2.2.1.
    pub const AD_CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";
    /// id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2.1.
    pub const OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
}

/// Key usage bits (RFC 5280 §4.2.1.3), as x509-parser numbers them (bit 0 = digitalSignature).
pub mod key_usage {
    /// digitalSignature.
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    /// nonRepudiation / contentCommitment.
    pub const NON_REPUDIATION: u16 = 1 << 1;
    /// keyEncipherment.
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    /// dataEncipherment.
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    /// keyAgreement.
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    /// keyCertSign.
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    /// cRLSign.
    pub const CRL_SIGN: u16 = 1 << 6;
}

/// An algorithm identifier: OID and DER of the parameters, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmId {
    /// Dotted OID.
    pub oid: String,
    /// Full DER (header included) of the parameters field, when present.
    pub params: Option<Vec<u8>>,
}

impl AlgorithmId {
    /// Converts from x509-parser's form.
    pub fn from_x509(a: &AlgorithmIdentifier<'_>) -> AlgorithmId {
        AlgorithmId {
            oid: a.algorithm.to_id_string(),
            params: a.parameters.as_ref().map(|p| {
                let mut v = Vec::new();
                // Re-encode the header and content; `Any` keeps both.
                let _ = x509_parser::asn1_rs::ToDer::write_der(p, &mut v);
                v
            }),
        }
    }
}

/// basicConstraints (RFC 5280 §4.2.1.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasicConstraints {
    /// cA flag.
    pub ca: bool,
    /// pathLenConstraint.
    pub path_len: Option<u32>,
}

/// One GeneralSubtree base of nameConstraints (RFC 5280 §4.2.1.10); minimum and maximum are
/// always default in practice and RFC 5280 forbids other values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameConstraints {
    /// permittedSubtrees, when present.
    pub permitted: Option<Vec<GeneralName>>,
    /// excludedSubtrees, when present.
    pub excluded: Option<Vec<GeneralName>>,
}

/// policyConstraints (RFC 5280 §4.2.1.11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyConstraints {
    /// requireExplicitPolicy skip count.
    pub require_explicit_policy: Option<u32>,
    /// inhibitPolicyMapping skip count.
    pub inhibit_policy_mapping: Option<u32>,
}

/// authorityKeyIdentifier (RFC 5280 §4.2.1.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorityKeyId {
    /// keyIdentifier.
    pub key_id: Option<Vec<u8>>,
    /// authorityCertIssuer.
    pub issuer: Option<Vec<GeneralName>>,
    /// authorityCertSerialNumber, big-endian content bytes.
    pub serial: Option<Vec<u8>>,
}

/// distributionPoint name (RFC 5280 §4.2.1.13).
#[derive(Clone, Debug)]
pub enum DistributionPointName {
    /// fullName.
    FullName(Vec<GeneralName>),
    /// nameRelativeToCRLIssuer.
    RelativeName(Rdn),
}

/// One DistributionPoint of cRLDistributionPoints or freshestCRL (RFC 5280 §4.2.1.13/15).
#[derive(Clone, Debug)]
pub struct DistributionPoint {
    /// distributionPoint.
    pub name: Option<DistributionPointName>,
    /// reasons as x509-parser's ReasonFlags bits (bit 1 = keyCompromise … bit 8 = aACompromise);
    /// `None` means all reasons.
    pub reasons: Option<u16>,
    /// cRLIssuer.
    pub crl_issuer: Option<Vec<GeneralName>>,
}

/// The extensions kyso evaluates, parsed.
#[derive(Clone, Debug, Default)]
pub struct Extensions {
    /// basicConstraints.
    pub basic_constraints: Option<BasicConstraints>,
    /// keyUsage bits (see [`key_usage`]).
    pub key_usage: Option<u16>,
    /// extKeyUsage purposes as dotted OIDs.
    pub ext_key_usage: Option<Vec<String>>,
    /// nameConstraints.
    pub name_constraints: Option<NameConstraints>,
    /// certificatePolicies: the policy OIDs (qualifiers are not evaluated).
    pub policies: Option<Vec<String>>,
    /// policyMappings as (issuerDomainPolicy, subjectDomainPolicy).
    pub policy_mappings: Option<Vec<(String, String)>>,
    /// policyConstraints.
    pub policy_constraints: Option<PolicyConstraints>,
    /// inhibitAnyPolicy skip count.
    pub inhibit_any_policy: Option<u32>,
    /// subjectKeyIdentifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier.
    pub authority_key_id: Option<AuthorityKeyId>,
    /// cRLDistributionPoints (empty when absent).
    pub crl_distribution_points: Vec<DistributionPoint>,
    /// freshestCRL (empty when absent).
    pub freshest_crl: Vec<DistributionPoint>,
    /// OCSP responder URLs from authorityInfoAccess.
    pub ocsp_urls: Vec<String>,
    /// caIssuers URLs from authorityInfoAccess.
    pub ca_issuers: Vec<String>,
    /// subjectAltName entries (empty when absent).
    pub subject_alt_names: Vec<GeneralName>,
    /// True when a subjectAltName extension is present (it may be present and empty).
    pub has_subject_alt_name: bool,
    /// OIDs of every extension marked critical, in order.
    pub critical: Vec<String>,
    /// id-pkix-ocsp-nocheck is present: as an OCSP responder, this certificate's own
    /// revocation status need not be checked (RFC 6960 §4.2.2.2.1).
    pub ocsp_nocheck: bool,
    /// OIDs of critical extensions kyso does not process (RFC 5280 §4.2: such a certificate
    /// must be rejected).
    pub unknown_critical: Vec<String>,
}

/// An X.509 certificate, parsed and owned. Cloning is a reference-count increment: paths,
/// stores and revocation pools share one parsed copy.
#[derive(Clone, Debug)]
pub struct Certificate {
    inner: Arc<CertInner>,
}

#[derive(Debug)]
struct CertInner {
    der: Vec<u8>,
    sha256: [u8; 32],
    tbs: Range<usize>,
    spki: Range<usize>,
    version: u32,
    serial: Vec<u8>,
    signature_algorithm: AlgorithmId,
    tbs_signature_algorithm: AlgorithmId,
    signature: Vec<u8>,
    key_algorithm: AlgorithmId,
    public_key: Option<PKey<Public>>,
    subject: Name,
    issuer: Name,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    extensions: Extensions,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Certificate) -> bool {
        self.inner.sha256 == other.inner.sha256
    }
}

impl Eq for Certificate {}

impl Certificate {
    /// Parses one DER certificate. Trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<Certificate, PkiError> {
        if der.len() > MAX_CERT_SIZE {
            return Err(PkiError::TooLarge(format!(
                "certificate of {} bytes exceeds {MAX_CERT_SIZE}",
                der.len()
            )));
        }
        let (rest, x) =
            X509Certificate::from_der(der).map_err(|e| PkiError::BadCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(PkiError::BadCertificate(
                "trailing bytes after the certificate".into(),
            ));
        }
        let der_vec = der.to_vec();
        let tbs_raw: &[u8] = x.tbs_certificate.as_ref();
        let tbs = sub_range(der, tbs_raw)?;
        let spki_raw = x.tbs_certificate.subject_pki.raw;
        let spki = sub_range(der, spki_raw)?;
        if x.signature_value.unused_bits != 0 {
            return Err(PkiError::BadCertificate(
                "the signature BIT STRING has unused bits (RFC 5280 §4.1.1.3)".into(),
            ));
        }
        let (outer_alg, inner_alg) = algorithm_encodings(der, tbs.clone())
            .ok_or_else(|| PkiError::BadCertificate("malformed AlgorithmIdentifier".into()))?;
        if outer_alg != inner_alg {
            return Err(PkiError::BadCertificate(
                "signatureAlgorithm differs from the signature field of tbsCertificate \
                 (RFC 5280 §4.1.1.2)"
                    .into(),
            ));
        }
        let sha256: [u8; 32] = Sha256::digest(der).into();
        let extensions = parse_extensions(x.tbs_certificate.extensions())?;
        let public_key = super::algorithm::parse_public_key(&x.tbs_certificate.subject_pki);
        Ok(Certificate {
            inner: Arc::new(CertInner {
                sha256,
                tbs,
                spki,
                version: x.tbs_certificate.version.0,
                serial: x.tbs_certificate.raw_serial().to_vec(),
                signature_algorithm: AlgorithmId::from_x509(&x.signature_algorithm),
                tbs_signature_algorithm: AlgorithmId::from_x509(&x.tbs_certificate.signature),
                signature: x.signature_value.data.to_vec(),
                key_algorithm: AlgorithmId::from_x509(&x.tbs_certificate.subject_pki.algorithm),
                public_key,
                subject: Name::from_x509(&x.tbs_certificate.subject),
                issuer: Name::from_x509(&x.tbs_certificate.issuer),
                not_before: x.tbs_certificate.validity.not_before.to_datetime(),
                not_after: x.tbs_certificate.validity.not_after.to_datetime(),
                extensions,
                der: der_vec,
            }),
        })
    }

    /// The whole certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// SHA-256 of the DER encoding.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.inner.sha256
    }

    /// SHA-256 fingerprint as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.inner.sha256)
    }

    /// The signed part (tbsCertificate), DER.
    pub fn tbs(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.tbs.clone())
            .unwrap_or_default()
    }

    /// subjectPublicKeyInfo, DER.
    pub fn spki(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.spki.clone())
            .unwrap_or_default()
    }

    /// X.509 version number as encoded (0 = v1, 2 = v3).
    pub fn version(&self) -> u32 {
        self.inner.version
    }

    /// Serial number content bytes, big-endian two's complement as encoded (may be negative or
    /// longer than 20 bytes, as in some PKITS certificates).
    pub fn serial(&self) -> &[u8] {
        &self.inner.serial
    }

    /// Serial number as lowercase hex.
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.inner.serial)
    }

    /// Outer signatureAlgorithm.
    pub fn signature_algorithm(&self) -> &AlgorithmId {
        &self.inner.signature_algorithm
    }

    /// The signature field inside tbsCertificate (must equal the outer one, RFC 5280 §4.1.1.2).
    pub fn tbs_signature_algorithm(&self) -> &AlgorithmId {
        &self.inner.tbs_signature_algorithm
    }

    /// Signature bits.
    pub fn signature(&self) -> &[u8] {
        &self.inner.signature
    }

    /// The subject public key's algorithm identifier.
    pub fn key_algorithm(&self) -> &AlgorithmId {
        &self.inner.key_algorithm
    }

    /// The subject public key as OpenSSL reads it; `None` when OpenSSL cannot use it alone
    /// (for example DSA parameters inherited from the issuer, RFC 3279 §2.3.2).
    pub fn public_key(&self) -> Option<&PKey<Public>> {
        self.inner.public_key.as_ref()
    }

    /// Subject name.
    pub fn subject(&self) -> &Name {
        &self.inner.subject
    }

    /// Issuer name.
    pub fn issuer(&self) -> &Name {
        &self.inner.issuer
    }

    /// notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        self.inner.not_before
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        self.inner.not_after
    }

    /// True when `time` lies within the validity period (both ends inclusive, §4.1.2.5).
    /// The validity fields have one-second granularity, so `time` is truncated to the second
    /// first (a certificate is still valid during the fraction of its notAfter second).
    pub fn is_valid_at(&self, time: OffsetDateTime) -> bool {
        let time = time.replace_nanosecond(0).unwrap_or(time);
        self.inner.not_before <= time && time <= self.inner.not_after
    }

    /// Parsed extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    /// True when the extension with this OID is present and marked critical.
    pub fn is_critical(&self, oid: &str) -> bool {
        self.inner.extensions.critical.iter().any(|c| c == oid)
    }

    /// Self-issued: subject and issuer are the same name (RFC 5280 §6.1).
    pub fn is_self_issued(&self) -> bool {
        self.inner.subject == self.inner.issuer
    }

    /// basicConstraints cA is asserted.
    pub fn is_ca(&self) -> bool {
        self.inner
            .extensions
            .basic_constraints
            .is_some_and(|b| b.ca)
    }

    /// True when key usage is absent or includes every bit of `bits`.
    pub fn key_usage_allows(&self, bits: u16) -> bool {
        self.inner
            .extensions
            .key_usage
            .is_none_or(|ku| ku & bits == bits)
    }

    /// The subject as readable text with diacritics intact, e.g.
    /// `CN=Nguyễn Văn An, O=UBND tỉnh Đắk Lắk, C=VN`.
    pub fn display_subject(&self) -> String {
        self.inner.subject.display()
    }

    /// The issuer as readable text.
    pub fn display_issuer(&self) -> String {
        self.inner.issuer.display()
    }
}

/// The DER of the outer signatureAlgorithm and of the tbsCertificate's signature field, each
/// checked to be a SEQUENCE starting with an OBJECT IDENTIFIER.
fn algorithm_encodings(der: &[u8], tbs: Range<usize>) -> Option<(&[u8], &[u8])> {
    use super::source::der_length;
    let well_formed =
        |a: &[u8]| a.first() == Some(&0x30) && content(a).and_then(|c| c.first()) == Some(&0x06);
    let after_tbs = der.get(tbs.end..)?;
    let outer = after_tbs.get(..der_length(after_tbs)?)?;
    let mut rest = content(der.get(tbs)?)?;
    if rest.first() == Some(&0xa0) {
        rest = rest.get(der_length(rest)?..)?;
    }
    rest = rest.get(der_length(rest)?..)?;
    let inner = rest.get(..der_length(rest)?)?;
    (well_formed(outer) && well_formed(inner)).then_some((outer, inner))
}

/// The content octets of the DER TLV at the start of `tlv`.
fn content(tlv: &[u8]) -> Option<&[u8]> {
    let total = super::source::der_length(tlv)?;
    let first = *tlv.get(1)?;
    let header = if first < 0x80 {
        2
    } else {
        2 + usize::from(first & 0x7f)
    };
    tlv.get(header..total)
}

fn sub_range(outer: &[u8], inner: &[u8]) -> Result<Range<usize>, PkiError> {
    let start = (inner.as_ptr() as usize)
        .checked_sub(outer.as_ptr() as usize)
        .ok_or_else(|| PkiError::BadCertificate("inconsistent parse".into()))?;
    let end = start
        .checked_add(inner.len())
        .filter(|&e| e <= outer.len())
        .ok_or_else(|| PkiError::BadCertificate("inconsistent parse".into()))?;
    Ok(start..end)
}

fn bad_ext(oid: &str, why: impl Into<String>) -> PkiError {
    PkiError::BadExtension {
        oid: oid.to_owned(),
        why: why.into(),
    }
}

/// Tests whether an EKU extension holds one purpose.
type EkuFlag = fn(&x509_parser::extensions::ExtendedKeyUsage<'_>) -> bool;

const EKU_OIDS: [(&str, EkuFlag); 7] = [
    (oid::ANY_EKU, |e| e.any),
    ("1.3.6.1.5.5.7.3.1", |e| e.server_auth),
    ("1.3.6.1.5.5.7.3.2", |e| e.client_auth),
    ("1.3.6.1.5.5.7.3.3", |e| e.code_signing),
    ("1.3.6.1.5.5.7.3.4", |e| e.email_protection),
    ("1.3.6.1.5.5.7.3.8", |e| e.time_stamping),
    ("1.3.6.1.5.5.7.3.9", |e| e.ocsp_signing),
];

fn parse_extensions(exts: &[X509Extension<'_>]) -> Result<Extensions, PkiError> {
    let mut out = Extensions::default();
    let mut seen: Vec<String> = Vec::with_capacity(exts.len());
    for ext in exts {
        let id = ext.oid.to_id_string();
        if seen.contains(&id) {
            return Err(bad_ext(&id, "the extension appears twice (RFC 5280 §4.2)"));
        }
        seen.push(id.clone());
        if ext.critical {
            out.critical.push(id.clone());
        }
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(b) => {
                out.basic_constraints = Some(BasicConstraints {
                    ca: b.ca,
                    path_len: b.path_len_constraint,
                });
            }
            ParsedExtension::KeyUsage(k) => out.key_usage = Some(k.flags),
            ParsedExtension::ExtendedKeyUsage(e) => {
                let mut list: Vec<String> = EKU_OIDS
                    .iter()
                    .filter(|(_, has)| has(e))
                    .map(|(o, _)| (*o).to_owned())
                    .collect();
                list.extend(e.other.iter().map(|o| o.to_id_string()));
                out.ext_key_usage = Some(list);
            }
            ParsedExtension::NameConstraints(nc) => {
                let conv = |v: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                    v.as_ref().map(|v| {
                        v.iter()
                            .map(|s| GeneralName::from_x509(&s.base))
                            .collect::<Vec<_>>()
                    })
                };
                out.name_constraints = Some(NameConstraints {
                    permitted: conv(&nc.permitted_subtrees),
                    excluded: conv(&nc.excluded_subtrees),
                });
            }
            ParsedExtension::CertificatePolicies(p) => {
                let mut ids: Vec<String> = Vec::with_capacity(p.len());
                for info in p {
                    let s = info.policy_id.to_id_string();
                    if ids.contains(&s) {
                        return Err(bad_ext(&id, "a policy OID appears twice (§4.2.1.4)"));
                    }
                    ids.push(s);
                }
                out.policies = Some(ids);
            }
            ParsedExtension::PolicyMappings(m) => {
                out.policy_mappings = Some(
                    m.mappings
                        .iter()
                        .map(|pm| {
                            (
                                pm.issuer_domain_policy.to_id_string(),
                                pm.subject_domain_policy.to_id_string(),
                            )
                        })
                        .collect(),
                );
            }
            ParsedExtension::PolicyConstraints(pc) => {
                out.policy_constraints = Some(PolicyConstraints {
                    require_explicit_policy: pc.require_explicit_policy,
                    inhibit_policy_mapping: pc.inhibit_policy_mapping,
                });
            }
            ParsedExtension::InhibitAnyPolicy(i) => out.inhibit_any_policy = Some(i.skip_certs),
            ParsedExtension::SubjectKeyIdentifier(k) => out.subject_key_id = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                out.authority_key_id = Some(AuthorityKeyId {
                    key_id: a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                    issuer: a
                        .authority_cert_issuer
                        .as_ref()
                        .map(|v| GeneralName::list_from_x509(v)),
                    serial: a.authority_cert_serial.map(<[u8]>::to_vec),
                });
            }
            ParsedExtension::SubjectAlternativeName(s) => {
                out.has_subject_alt_name = true;
                out.subject_alt_names = GeneralName::list_from_x509(&s.general_names);
            }
            // x509-parser drops nameRelativeToCRLIssuer silently; crl.rs reads these itself.
            ParsedExtension::CRLDistributionPoints(_) => {
                out.crl_distribution_points = super::crl::parse_distribution_points(ext.value)?;
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for ad in &aia.accessdescs {
                    let method = ad.access_method.to_id_string();
                    if let x509_parser::extensions::GeneralName::URI(u) = ad.access_location {
                        if method == oid::AD_OCSP {
                            out.ocsp_urls.push(u.to_owned());
                        } else if method == oid::AD_CA_ISSUERS {
                            out.ca_issuers.push(u.to_owned());
                        }
                    }
                }
            }
            ParsedExtension::IssuerAlternativeName(_) | ParsedExtension::SubjectInfoAccess(_) => {}
            ParsedExtension::ParseError { error } => {
                return Err(bad_ext(&id, error.to_string()));
            }
            _ if id == oid::FRESHEST_CRL => {
                out.freshest_crl = super::crl::parse_distribution_points(ext.value)?;
            }
            _ if id == oid::OCSP_NOCHECK => out.ocsp_nocheck = true,
            _ => {
                if ext.critical {
                    out.unknown_critical.push(id);
                }
            }
        }
    }
    Ok(out)
}

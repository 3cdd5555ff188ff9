//! [`AlgorithmPolicy`]: which signature algorithms and key sizes a validation accepts, and the
//! verification of one signed object (certificate, CRL, OCSP response) with OpenSSL.

use openssl::bn::{BigNum, BigNumContext};
use openssl::dsa::Dsa;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, PKeyRef, Public};
use openssl::rsa::Padding;
use openssl::rsa::Rsa;
use openssl::sign::{RsaPssSaltlen, Verifier};
use x509_parser::asn1_rs::{Any, FromDer};
use x509_parser::der_parser::der::parse_der_integer;
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::cert::{AlgorithmId, Certificate};

/// Digest algorithms that may appear in a signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HashAlg {
    /// MD5: broken, never accepted.
    Md5,
    /// SHA-1: collisions are practical; only the PKITS/legacy policy accepts it.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    fn from_oid(oid: &str) -> Option<HashAlg> {
        Some(match oid {
            "1.2.840.113549.2.5" => HashAlg::Md5,
            "1.3.14.3.2.26" => HashAlg::Sha1,
            "2.16.840.1.101.3.4.2.4" => HashAlg::Sha224,
            "2.16.840.1.101.3.4.2.1" => HashAlg::Sha256,
            "2.16.840.1.101.3.4.2.2" => HashAlg::Sha384,
            "2.16.840.1.101.3.4.2.3" => HashAlg::Sha512,
            _ => return None,
        })
    }

    fn digest(self) -> MessageDigest {
        match self {
            HashAlg::Md5 => MessageDigest::md5(),
            HashAlg::Sha1 => MessageDigest::sha1(),
            HashAlg::Sha224 => MessageDigest::sha224(),
            HashAlg::Sha256 => MessageDigest::sha256(),
            HashAlg::Sha384 => MessageDigest::sha384(),
            HashAlg::Sha512 => MessageDigest::sha512(),
        }
    }

    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha224 => "SHA-224",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }
}

/// A signature scheme resolved from an AlgorithmIdentifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS (RFC 4055) with MGF1.
    RsaPss {
        /// Message digest.
        hash: HashAlg,
        /// MGF1 digest.
        mgf1: HashAlg,
        /// Salt length in bytes.
        salt_len: u32,
    },
    /// ECDSA.
    Ecdsa(HashAlg),
    /// DSA.
    Dsa(HashAlg),
    /// Ed25519 (RFC 8410).
    Ed25519,
}

impl SignatureScheme {
    /// Resolves a signature AlgorithmIdentifier.
    pub fn from_algorithm(alg: &AlgorithmId) -> Result<SignatureScheme, SignatureError> {
        use HashAlg::*;
        use SignatureScheme::*;
        Ok(match alg.oid.as_str() {
            "1.2.840.113549.1.1.4" => RsaPkcs1(Md5),
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => RsaPkcs1(Sha1),
            "1.2.840.113549.1.1.14" => RsaPkcs1(Sha224),
            "1.2.840.113549.1.1.11" => RsaPkcs1(Sha256),
            "1.2.840.113549.1.1.12" => RsaPkcs1(Sha384),
            "1.2.840.113549.1.1.13" => RsaPkcs1(Sha512),
            "1.2.840.113549.1.1.10" => pss(alg.params.as_deref())?,
            "1.2.840.10045.4.1" => Ecdsa(Sha1),
            "1.2.840.10045.4.3.1" => Ecdsa(Sha224),
            "1.2.840.10045.4.3.2" => Ecdsa(Sha256),
            "1.2.840.10045.4.3.3" => Ecdsa(Sha384),
            "1.2.840.10045.4.3.4" => Ecdsa(Sha512),
            "1.2.840.10040.4.3" => Dsa(Sha1),
            "2.16.840.1.101.3.4.3.1" => Dsa(Sha224),
            "2.16.840.1.101.3.4.3.2" => Dsa(Sha256),
            "1.3.101.112" => Ed25519,
            other => return Err(SignatureError::Unsupported(format!("algorithm {other}"))),
        })
    }

    fn hash(self) -> Option<HashAlg> {
        match self {
            SignatureScheme::RsaPkcs1(h)
            | SignatureScheme::Ecdsa(h)
            | SignatureScheme::Dsa(h)
            | SignatureScheme::RsaPss { hash: h, .. } => Some(h),
            SignatureScheme::Ed25519 => None,
        }
    }

    /// Name for reports.
    pub fn name(self) -> String {
        match self {
            SignatureScheme::RsaPkcs1(h) => format!("RSA PKCS#1 v1.5 with {}", h.name()),
            SignatureScheme::RsaPss { hash, .. } => format!("RSA-PSS with {}", hash.name()),
            SignatureScheme::Ecdsa(h) => format!("ECDSA with {}", h.name()),
            SignatureScheme::Dsa(h) => format!("DSA with {}", h.name()),
            SignatureScheme::Ed25519 => "Ed25519".to_owned(),
        }
    }
}

fn pss(params: Option<&[u8]>) -> Result<SignatureScheme, SignatureError> {
    let bad = || SignatureError::Unsupported("malformed RSASSA-PSS parameters (RFC 4055)".into());
    let der = params.ok_or_else(bad)?;
    let (_, any) = Any::from_der(der).map_err(|_| bad())?;
    let p = RsaSsaPssParams::try_from(&any).map_err(|_| bad())?;
    let hash = HashAlg::from_oid(&p.hash_algorithm_oid().to_id_string()).ok_or_else(bad)?;
    let mgf = p.mask_gen_algorithm().map_err(|_| bad())?;
    if mgf.mgf.to_id_string() != "1.2.840.113549.1.1.8" || p.trailer_field() != 1 {
        return Err(bad());
    }
    let mgf1 = HashAlg::from_oid(&mgf.hash.to_id_string()).ok_or_else(bad)?;
    Ok(SignatureScheme::RsaPss {
        hash,
        mgf1,
        salt_len: p.salt_length(),
    })
}

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The algorithm is unknown or its parameters are malformed.
    Unsupported(String),
    /// The algorithm or key is known but too weak for the policy.
    Weak(String),
    /// The key cannot be used with this algorithm (wrong type, unreadable).
    KeyMismatch(String),
    /// The signature does not verify.
    Invalid,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Unsupported(s) => write!(f, "unsupported signature algorithm: {s}"),
            SignatureError::Weak(s) => write!(f, "algorithm not allowed by the policy: {s}"),
            SignatureError::KeyMismatch(s) => write!(f, "unusable key: {s}"),
            SignatureError::Invalid => f.write_str("the signature does not verify"),
        }
    }
}

/// The algorithms and key sizes a validation accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmPolicy {
    /// Smallest digest accepted (SHA-1 ranks below SHA-224 and MD5 below all).
    pub min_hash: HashAlg,
    /// Smallest RSA modulus, in bits.
    pub min_rsa_bits: u32,
    /// Smallest DSA prime, in bits; `None` rejects DSA.
    pub min_dsa_bits: Option<u32>,
    /// Accepted elliptic curves.
    pub curves: Vec<Nid>,
    /// Whether Ed25519 is accepted.
    pub ed25519: bool,
    /// SHA-1 signatures are still accepted when the validation time is before this date (a
    /// policy date for legacy documents); `None`: only `min_hash` decides.
    pub sha1_until: Option<time::OffsetDateTime>,
}

impl Default for AlgorithmPolicy {
    /// DESIGN.md's policy: RSA ≥ 2048 (PKCS#1 v1.5 and PSS), ECDSA P-256/P-384, SHA-256 and
    /// above; SHA-1 and MD5 rejected.
    fn default() -> AlgorithmPolicy {
        AlgorithmPolicy {
            min_hash: HashAlg::Sha256,
            min_rsa_bits: 2048,
            min_dsa_bits: None,
            curves: vec![Nid::X9_62_PRIME256V1, Nid::SECP384R1],
            ed25519: false,
            sha1_until: None,
        }
    }
}

impl AlgorithmPolicy {
    /// The permissive policy the 2011 PKITS edition and older test suites need: SHA-1,
    /// RSA-1024, DSA-1024, P-521 and Ed25519 also accepted. Never for production use.
    pub fn pkits() -> AlgorithmPolicy {
        AlgorithmPolicy {
            min_hash: HashAlg::Sha1,
            min_rsa_bits: 1024,
            min_dsa_bits: Some(1024),
            curves: vec![Nid::X9_62_PRIME256V1, Nid::SECP384R1, Nid::SECP521R1],
            ed25519: true,
            sha1_until: None,
        }
    }

    /// The policy in force at `time`: SHA-1 is admitted when `time` is before `sha1_until`.
    pub fn effective_at(&self, time: time::OffsetDateTime) -> AlgorithmPolicy {
        let mut p = self.clone();
        if self.sha1_until.is_some_and(|until| time < until) && p.min_hash > HashAlg::Sha1 {
            p.min_hash = HashAlg::Sha1;
        }
        p
    }

    /// Resolves the algorithm and checks it against the policy (digest only; the key is
    /// checked by [`AlgorithmPolicy::check_key`]).
    pub fn check_algorithm(&self, alg: &AlgorithmId) -> Result<SignatureScheme, SignatureError> {
        let scheme = SignatureScheme::from_algorithm(alg)?;
        match scheme {
            SignatureScheme::Ed25519 if !self.ed25519 => {
                return Err(SignatureError::Weak("Ed25519".into()))
            }
            SignatureScheme::Dsa(_) if self.min_dsa_bits.is_none() => {
                return Err(SignatureError::Weak(scheme.name()))
            }
            SignatureScheme::RsaPss { hash, mgf1, .. } if mgf1 != hash => {
                return Err(SignatureError::Unsupported(
                    "RSA-PSS with an MGF1 digest different from the message digest".into(),
                ))
            }
            _ => {}
        }
        if let Some(h) = scheme.hash() {
            if h == HashAlg::Md5 || h < self.min_hash {
                return Err(SignatureError::Weak(scheme.name()));
            }
        }
        Ok(scheme)
    }

    /// Checks a public key's type and size against the policy.
    pub fn check_key(&self, key: &PKeyRef<Public>) -> Result<(), SignatureError> {
        match key.id() {
            Id::RSA | Id::RSA_PSS => {
                if key.bits() < self.min_rsa_bits {
                    return Err(SignatureError::Weak(format!(
                        "RSA key of {} bits (at least {} required)",
                        key.bits(),
                        self.min_rsa_bits
                    )));
                }
            }
            Id::EC => {
                let curve = key
                    .ec_key()
                    .ok()
                    .and_then(|k| k.group().curve_name())
                    .ok_or_else(|| SignatureError::KeyMismatch("unnamed EC curve".into()))?;
                if !self.curves.contains(&curve) {
                    return Err(SignatureError::Weak(format!(
                        "elliptic curve {}",
                        curve.short_name().unwrap_or("unknown")
                    )));
                }
            }
            Id::DSA => match self.min_dsa_bits {
                Some(min) if key.bits() >= min => {}
                _ => {
                    return Err(SignatureError::Weak(format!(
                        "DSA key of {} bits",
                        key.bits()
                    )))
                }
            },
            Id::ED25519 if self.ed25519 => {}
            _ => return Err(SignatureError::Weak("public key type".into())),
        }
        Ok(())
    }

    /// Verifies `signature` over `data` with `key`, after checking algorithm and key against
    /// the policy.
    pub fn verify(
        &self,
        data: &[u8],
        alg: &AlgorithmId,
        signature: &[u8],
        key: &PKeyRef<Public>,
    ) -> Result<(), SignatureError> {
        let scheme = self.check_algorithm(alg)?;
        self.check_key(key)?;
        let mismatch = || SignatureError::KeyMismatch(format!("{} key", key_name(key.id())));
        let mut verifier = match scheme {
            SignatureScheme::RsaPkcs1(h) => {
                if key.id() != Id::RSA {
                    return Err(mismatch());
                }
                let mut v = Verifier::new(h.digest(), key).map_err(|_| mismatch())?;
                v.set_rsa_padding(Padding::PKCS1).map_err(|_| mismatch())?;
                v
            }
            SignatureScheme::RsaPss {
                hash,
                mgf1,
                salt_len,
            } => {
                if key.id() != Id::RSA && key.id() != Id::RSA_PSS {
                    return Err(mismatch());
                }
                let salt = i32::try_from(salt_len)
                    .map_err(|_| SignatureError::Unsupported("PSS salt length".into()))?;
                let mut v = Verifier::new(hash.digest(), key).map_err(|_| mismatch())?;
                v.set_rsa_padding(Padding::PKCS1_PSS)
                    .and_then(|()| v.set_rsa_mgf1_md(mgf1.digest()))
                    .and_then(|()| v.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt)))
                    .map_err(|_| mismatch())?;
                v
            }
            SignatureScheme::Ecdsa(h) => {
                if key.id() != Id::EC {
                    return Err(mismatch());
                }
                Verifier::new(h.digest(), key).map_err(|_| mismatch())?
            }
            SignatureScheme::Dsa(h) => {
                if key.id() != Id::DSA {
                    return Err(mismatch());
                }
                Verifier::new(h.digest(), key).map_err(|_| mismatch())?
            }
            SignatureScheme::Ed25519 => {
                if key.id() != Id::ED25519 {
                    return Err(mismatch());
                }
                Verifier::new_without_digest(key).map_err(|_| mismatch())?
            }
        };
        match verifier.verify_oneshot(signature, data) {
            Ok(true) => Ok(()),
            _ => Err(SignatureError::Invalid),
        }
    }

    /// [`AlgorithmPolicy::verify`], remembering successes across validations: `signer_spki`
    /// is the DER SubjectPublicKeyInfo that `key` was read from (the memo is keyed by it, the
    /// algorithm, the signed bytes and the signature). Algorithm and key are checked against
    /// the policy on every call, hit or miss.
    pub fn verify_memo(
        &self,
        data: &[u8],
        alg: &AlgorithmId,
        signature: &[u8],
        key: &PKeyRef<Public>,
        signer_spki: &[u8],
    ) -> Result<(), SignatureError> {
        let k = memo_key(data, alg, signature, signer_spki);
        if VERIFIED.contains(&k) {
            self.check_algorithm(alg)?;
            self.check_key(key)?;
            return Ok(());
        }
        self.verify(data, alg, signature, key)?;
        VERIFIED.insert(k);
        Ok(())
    }
}

/// Most verified signatures remembered. A deployment sees a few hundred CA certificates and
/// CRLs; 4,096 entries of 32 bytes keep every one of them for 128 KiB.
pub const MAX_REMEMBERED_SIGNATURES: usize = 4_096;

/// Signatures already verified by this process, by SHA-256 of (algorithm, signer key, signed
/// bytes, signature). A pure memo: a hit returns what verification would return, so
/// validations stay deterministic; policy checks still run on every call. When full it is
/// emptied, which bounds memory without bookkeeping.
struct VerifiedSignatures {
    set: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>>,
}

static VERIFIED: VerifiedSignatures = VerifiedSignatures {
    set: std::sync::LazyLock::new(Default::default),
};

impl VerifiedSignatures {
    fn contains(&self, k: &[u8; 32]) -> bool {
        self.set.lock().map(|s| s.contains(k)).unwrap_or(false)
    }

    fn insert(&self, k: [u8; 32]) {
        if let Ok(mut s) = self.set.lock() {
            if s.len() >= MAX_REMEMBERED_SIGNATURES {
                s.clear();
            }
            s.insert(k);
        }
    }
}

fn memo_key(data: &[u8], alg: &AlgorithmId, signature: &[u8], spki: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        alg.oid.as_bytes(),
        alg.params.as_deref().unwrap_or_default(),
        spki,
        data,
        signature,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

fn key_name(id: Id) -> &'static str {
    match id {
        Id::RSA | Id::RSA_PSS => "RSA",
        Id::EC => "EC",
        Id::DSA => "DSA",
        Id::ED25519 => "Ed25519",
        _ => "other",
    }
}

/// OID of id-dsa (RFC 3279 §2.3.2).
const OID_DSA: &str = "1.2.840.10040.4.1";
/// OID of rsaEncryption (RFC 3279 §2.3.1).
const OID_RSA: &str = "1.2.840.113549.1.1.1";
/// OID of id-ecPublicKey (RFC 5480 §2.1.1).
const OID_EC: &str = "1.2.840.10045.2.1";

/// The named curves read directly (RFC 5480 §2.1.1.1), with their groups built once: OpenSSL 3
/// looks groups up by name on every `EcGroup::from_curve_name`.
static CURVES: std::sync::LazyLock<Vec<(&'static str, EcGroup)>> = std::sync::LazyLock::new(|| {
    [
        ("1.2.840.10045.3.1.7", Nid::X9_62_PRIME256V1),
        ("1.3.132.0.34", Nid::SECP384R1),
        ("1.3.132.0.35", Nid::SECP521R1),
    ]
    .into_iter()
    .filter_map(|(oid, nid)| EcGroup::from_curve_name(nid).ok().map(|g| (oid, g)))
    .collect()
});

/// Reads a SubjectPublicKeyInfo into an OpenSSL key. RSA keys and EC keys on the named NIST
/// curves are decoded through their typed readers (microseconds); other key types go through
/// OpenSSL 3's generic decoder, which costs hundreds of microseconds per call. `None` when
/// OpenSSL cannot use the key alone (e.g. DSA parameters inherited) and for EC keys on other
/// or explicitly encoded curves.
pub fn parse_public_key(spki: &SubjectPublicKeyInfo<'_>) -> Option<PKey<Public>> {
    let alg = spki.algorithm.algorithm.to_id_string();
    let bits: &[u8] = &spki.subject_public_key.data;
    let fast = match alg.as_str() {
        OID_RSA => Rsa::public_key_from_der_pkcs1(bits)
            .ok()
            .and_then(|r| PKey::from_rsa(r).ok()),
        // RFC 5480 §2.1.1: only named curves; explicitly encoded curve parameters are refused
        // rather than matched against known curves.
        OID_EC => {
            return spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .and_then(|curve| {
                    let curve = curve.to_id_string();
                    CURVES.iter().find(|(o, _)| *o == curve)
                })
                .and_then(|(_, group)| {
                    let mut ctx = BigNumContext::new().ok()?;
                    let point = EcPoint::from_bytes(group, bits, &mut ctx).ok()?;
                    let key = EcKey::from_public_key(group, &point).ok()?;
                    PKey::from_ec_key(key).ok()
                });
        }
        _ => None,
    };
    fast.or_else(|| PKey::public_key_from_der(spki.raw).ok())
}

/// [`parse_public_key`] of a DER SubjectPublicKeyInfo; `None` when it does not parse or OpenSSL
/// cannot use the key alone.
pub fn public_key_from_spki_der(der: &[u8]) -> Option<PKey<Public>> {
    let (rest, spki) = SubjectPublicKeyInfo::from_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    parse_public_key(&spki)
}

/// The public key of `cert` as a verifier uses it. A DSA key without parameters inherits them
/// from the key that verified it (`previous`, RFC 5280 §6.1.4 (f), RFC 3279 §2.3.2).
pub fn effective_key(
    cert: &Certificate,
    previous: Option<&PKeyRef<Public>>,
) -> Option<PKey<Public>> {
    if let Some(k) = cert.public_key() {
        return Some(k.clone());
    }
    let alg = cert.key_algorithm();
    if alg.oid != OID_DSA || alg.params.as_deref().is_some_and(|p| p != [0x05, 0x00]) {
        return None;
    }
    let prev = previous?.dsa().ok()?;
    let bits = subject_public_key_bits(cert.spki())?;
    let (_, y) = parse_der_integer(bits).ok()?;
    let y = BigNum::from_slice(y.as_slice().ok()?).ok()?;
    let dsa = Dsa::from_public_components(
        prev.p().to_owned().ok()?,
        prev.q().to_owned().ok()?,
        prev.g().to_owned().ok()?,
        y,
    )
    .ok()?;
    PKey::from_dsa(dsa).ok()
}

fn subject_public_key_bits(spki: &[u8]) -> Option<&[u8]> {
    let (_, parsed) = SubjectPublicKeyInfo::from_der(spki).ok()?;
    let data: &[u8] = parsed.subject_public_key.data.as_ref();
    let start = (data.as_ptr() as usize).checked_sub(spki.as_ptr() as usize)?;
    spki.get(start..start.checked_add(data.len())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alg(oid: &str) -> AlgorithmId {
        AlgorithmId {
            oid: oid.into(),
            params: None,
        }
    }

    #[test]
    fn default_policy_rejects_sha1_and_md5() {
        let p = AlgorithmPolicy::default();
        assert!(matches!(
            p.check_algorithm(&alg("1.2.840.113549.1.1.5")),
            Err(SignatureError::Weak(_))
        ));
        assert!(matches!(
            p.check_algorithm(&alg("1.2.840.113549.1.1.4")),
            Err(SignatureError::Weak(_))
        ));
        assert!(p.check_algorithm(&alg("1.2.840.113549.1.1.11")).is_ok());
        assert!(AlgorithmPolicy::pkits()
            .check_algorithm(&alg("1.2.840.113549.1.1.5"))
            .is_ok());
    }

    #[test]
    fn fast_key_reading_matches_openssl() {
        let rsa =
            PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap_or_else(|e| panic!("{e}")))
                .unwrap_or_else(|e| panic!("{e}"));
        let mut keys = vec![rsa];
        for nid in [Nid::X9_62_PRIME256V1, Nid::SECP384R1, Nid::SECP521R1] {
            let g = EcGroup::from_curve_name(nid).unwrap_or_else(|e| panic!("{e}"));
            let k = EcKey::generate(&g).unwrap_or_else(|e| panic!("{e}"));
            keys.push(PKey::from_ec_key(k).unwrap_or_else(|e| panic!("{e}")));
        }
        for k in keys {
            let der = k.public_key_to_der().unwrap_or_else(|e| panic!("{e}"));
            let (_, spki) = SubjectPublicKeyInfo::from_der(&der).unwrap_or_else(|e| panic!("{e}"));
            let fast = parse_public_key(&spki).unwrap_or_else(|| panic!("key not read"));
            assert!(fast.public_eq(&k));
            let from_der = public_key_from_spki_der(&der).unwrap_or_else(|| panic!("key not read"));
            assert!(from_der.public_eq(&k));
            let mut trailing = der.clone();
            trailing.push(0);
            assert!(public_key_from_spki_der(&trailing).is_none());
            assert!(
                public_key_from_spki_der(der.get(..der.len() - 1).unwrap_or_default()).is_none()
            );
        }
    }

    #[test]
    fn sha1_policy_date() {
        let p = AlgorithmPolicy {
            sha1_until: Some(time::macros::datetime!(2020-01-01 0:00 UTC)),
            ..Default::default()
        };
        let sha1 = alg("1.2.840.113549.1.1.5");
        let before = p.effective_at(time::macros::datetime!(2019-06-01 0:00 UTC));
        let after = p.effective_at(time::macros::datetime!(2021-06-01 0:00 UTC));
        assert!(before.check_algorithm(&sha1).is_ok());
        assert!(matches!(
            after.check_algorithm(&sha1),
            Err(SignatureError::Weak(_))
        ));
    }

    #[test]
    fn rsa_1024_is_weak_by_default() {
        let rsa = openssl::rsa::Rsa::generate(1024).unwrap_or_else(|e| panic!("{e}"));
        let der = rsa.public_key_to_der().unwrap_or_else(|e| panic!("{e}"));
        let key = PKey::public_key_from_der(&der).unwrap_or_else(|e| panic!("{e}"));
        assert!(AlgorithmPolicy::default().check_key(&key).is_err());
        assert!(AlgorithmPolicy::pkits().check_key(&key).is_ok());
    }
}

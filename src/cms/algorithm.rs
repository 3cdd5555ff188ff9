//! Digest and signature algorithms: the fixed set kyso signs with, and the wider set it
//! recognises when verifying signatures made by others (RFC 5754, RFC 4055, RFC 5758).

use std::fmt;

use openssl::hash::{Hasher, MessageDigest};
use openssl::md::{Md, MdRef};

use super::asn1::{self, tag, Reader, Tlv};
use super::{oid, CmsError};

/// Digest algorithms accepted in `digestAlgorithm` and ESS certificate identifiers. SHA-1 is
/// recognised so that legacy files can be evaluated; rejecting it is a policy decision taken by
/// the caller from the reported algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    /// Every algorithm this module computes.
    pub const ALL: [DigestAlgorithm; 4] = [
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ];

    /// Recognises the OID content octets of a digest algorithm.
    pub fn from_oid(content: &[u8]) -> Option<Self> {
        match content {
            oid::SHA1 => Some(DigestAlgorithm::Sha1),
            oid::SHA256 => Some(DigestAlgorithm::Sha256),
            oid::SHA384 => Some(DigestAlgorithm::Sha384),
            oid::SHA512 => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }

    /// The OID content octets.
    pub fn oid(self) -> &'static [u8] {
        match self {
            DigestAlgorithm::Sha1 => oid::SHA1,
            DigestAlgorithm::Sha256 => oid::SHA256,
            DigestAlgorithm::Sha384 => oid::SHA384,
            DigestAlgorithm::Sha512 => oid::SHA512,
        }
    }

    /// DER AlgorithmIdentifier with absent parameters, as RFC 5754 §2 asks of SHA-2 (and as
    /// OpenSSL writes SHA-1).
    pub fn algorithm_identifier(self) -> Vec<u8> {
        asn1::der_sequence(&[&asn1::der(tag::OID, self.oid())])
    }

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    pub fn message_digest(self) -> MessageDigest {
        match self {
            DigestAlgorithm::Sha1 => MessageDigest::sha1(),
            DigestAlgorithm::Sha256 => MessageDigest::sha256(),
            DigestAlgorithm::Sha384 => MessageDigest::sha384(),
            DigestAlgorithm::Sha512 => MessageDigest::sha512(),
        }
    }

    pub(crate) fn md(self) -> &'static MdRef {
        match self {
            DigestAlgorithm::Sha1 => Md::sha1(),
            DigestAlgorithm::Sha256 => Md::sha256(),
            DigestAlgorithm::Sha384 => Md::sha384(),
            DigestAlgorithm::Sha512 => Md::sha512(),
        }
    }

    /// An incremental hasher, so that callers can stream large inputs (PDF byte ranges).
    pub fn hasher(self) -> Result<Hasher, CmsError> {
        Hasher::new(self.message_digest()).map_err(|e| CmsError::Crypto(e.to_string()))
    }

    /// The digest of `data` in one call.
    pub fn digest(self, data: &[u8]) -> Result<Vec<u8>, CmsError> {
        openssl::hash::hash(self.message_digest(), data)
            .map(|d| d.to_vec())
            .map_err(|e| CmsError::Crypto(e.to_string()))
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        })
    }
}

/// The signature algorithms kyso signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// sha256WithRSAEncryption (RSASSA-PKCS1-v1_5, RFC 8017 §8.2).
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt (RFC 4055 §3.1).
    RsaPssSha256,
    /// ecdsa-with-SHA256 on P-256 (RFC 5758 §3.2).
    EcdsaP256Sha256,
}

/// Salt length of the PSS signatures kyso makes: the digest length, as RFC 4055 §3.1
/// recommends.
pub const PSS_SALT_LEN: u64 = 32;

impl SignatureAlgorithm {
    /// Every algorithm kyso signs with.
    pub const ALL: [SignatureAlgorithm; 3] = [
        SignatureAlgorithm::RsaPkcs1Sha256,
        SignatureAlgorithm::RsaPssSha256,
        SignatureAlgorithm::EcdsaP256Sha256,
    ];

    /// The stable identifier stored in key records and prepared-signature states.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SignatureAlgorithm::RsaPssSha256 => "rsa-pss-sha256",
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }

    /// The algorithm whose [`name`](Self::name) is `name`.
    pub fn from_name(name: &str) -> Option<SignatureAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The digest computed over the signed attributes; SHA-256 for every algorithm kyso uses.
    pub fn digest(self) -> DigestAlgorithm {
        DigestAlgorithm::Sha256
    }

    /// The DER `signatureAlgorithm` AlgorithmIdentifier for the SignerInfo. PKCS#1 v1.5 carries
    /// NULL parameters (RFC 4055 §5), ECDSA none (RFC 5758 §3.2), PSS its explicit parameters
    /// (RFC 4055 §3.1): the SHA-1 defaults would otherwise apply.
    pub fn algorithm_identifier(self) -> Vec<u8> {
        let oid_tlv = |o: &[u8]| asn1::der(tag::OID, o);
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => {
                asn1::der_sequence(&[&oid_tlv(oid::SHA256_WITH_RSA), &asn1::der(tag::NULL, &[])])
            }
            SignatureAlgorithm::EcdsaP256Sha256 => {
                asn1::der_sequence(&[&oid_tlv(oid::ECDSA_WITH_SHA256)])
            }
            SignatureAlgorithm::RsaPssSha256 => {
                let sha256 = DigestAlgorithm::Sha256.algorithm_identifier();
                let mgf1 = asn1::der_sequence(&[&oid_tlv(oid::MGF1), &sha256]);
                let params = asn1::der_sequence(&[
                    &asn1::der(tag::ctx_cons(0), &sha256),
                    &asn1::der(tag::ctx_cons(1), &mgf1),
                    &asn1::der(tag::ctx_cons(2), &asn1::der_small_uint(PSS_SALT_LEN)),
                ]);
                asn1::der_sequence(&[&oid_tlv(oid::RSASSA_PSS), &params])
            }
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => "RSA PKCS#1 v1.5 with SHA-256",
            SignatureAlgorithm::RsaPssSha256 => "RSA-PSS with SHA-256",
            SignatureAlgorithm::EcdsaP256Sha256 => "ECDSA with SHA-256",
        })
    }
}

/// A signature scheme found in a SignerInfo being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 with the given digest.
    RsaPkcs1(DigestAlgorithm),
    /// RSASSA-PSS with its parameters.
    RsaPss {
        digest: DigestAlgorithm,
        mgf1_digest: DigestAlgorithm,
        salt_len: u64,
    },
    /// ECDSA with the given digest.
    Ecdsa(DigestAlgorithm),
}

impl SignatureScheme {
    /// The digest the signature is computed with.
    pub fn digest(&self) -> DigestAlgorithm {
        match *self {
            SignatureScheme::RsaPkcs1(d) | SignatureScheme::Ecdsa(d) => d,
            SignatureScheme::RsaPss { digest, .. } => digest,
        }
    }

    /// Interprets `signatureAlgorithm` together with the SignerInfo's `digestAlgorithm` (which
    /// is what bare key-algorithm OIDs such as rsaEncryption, used by many CMS producers, pair
    /// with). `None` for anything not supported.
    pub fn from_algorithm_identifier(
        signature: &AlgorithmId,
        digest: Option<DigestAlgorithm>,
    ) -> Option<Self> {
        use DigestAlgorithm as D;
        let scheme = match signature.oid.as_slice() {
            oid::RSA_ENCRYPTION => SignatureScheme::RsaPkcs1(digest?),
            oid::SHA1_WITH_RSA => SignatureScheme::RsaPkcs1(D::Sha1),
            oid::SHA256_WITH_RSA => SignatureScheme::RsaPkcs1(D::Sha256),
            oid::SHA384_WITH_RSA => SignatureScheme::RsaPkcs1(D::Sha384),
            oid::SHA512_WITH_RSA => SignatureScheme::RsaPkcs1(D::Sha512),
            oid::EC_PUBLIC_KEY => SignatureScheme::Ecdsa(digest?),
            oid::ECDSA_WITH_SHA1 => SignatureScheme::Ecdsa(D::Sha1),
            oid::ECDSA_WITH_SHA256 => SignatureScheme::Ecdsa(D::Sha256),
            oid::ECDSA_WITH_SHA384 => SignatureScheme::Ecdsa(D::Sha384),
            oid::ECDSA_WITH_SHA512 => SignatureScheme::Ecdsa(D::Sha512),
            oid::RSASSA_PSS => parse_pss_params(signature.parameters.as_deref()).ok()?,
            _ => return None,
        };
        Some(scheme)
    }
}

impl fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureScheme::RsaPkcs1(d) => write!(f, "RSA PKCS#1 v1.5 with {d}"),
            SignatureScheme::RsaPss {
                digest,
                mgf1_digest,
                salt_len,
            } => write!(
                f,
                "RSA-PSS with {digest}, MGF1 {mgf1_digest}, salt {salt_len}"
            ),
            SignatureScheme::Ecdsa(d) => write!(f, "ECDSA with {d}"),
        }
    }
}

/// An AlgorithmIdentifier (RFC 5280 §4.1.1.2): OID content octets and the raw parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmId {
    pub oid: Vec<u8>,
    /// The complete encoding of the parameters, when present.
    pub parameters: Option<Vec<u8>>,
}

impl AlgorithmId {
    pub(crate) fn parse(tlv: &Tlv<'_>) -> Result<Self, CmsError> {
        if tlv.tag != tag::SEQUENCE {
            return Err(CmsError::Malformed("AlgorithmIdentifier is not a SEQUENCE"));
        }
        let mut r = tlv.children()?;
        let oid = r.read_tag(tag::OID)?.content.to_vec();
        let parameters = if r.is_empty() {
            None
        } else {
            Some(r.read()?.raw.to_vec())
        };
        r.finish()?;
        Ok(AlgorithmId { oid, parameters })
    }

    /// The dotted OID, for reports.
    pub fn dotted(&self) -> String {
        oid::dotted(&self.oid)
    }
}

/// Hash algorithm inside PSS or MGF1 parameters: an AlgorithmIdentifier whose parameters, if
/// any, are NULL (RFC 4055 §2.1 lets both forms be accepted).
fn parse_hash_identifier(tlv: &Tlv<'_>) -> Result<DigestAlgorithm, CmsError> {
    let alg = AlgorithmId::parse(tlv)?;
    if alg
        .parameters
        .as_deref()
        .is_some_and(|p| p != [tag::NULL, 0])
    {
        return Err(CmsError::Malformed(
            "digest parameters must be absent or NULL",
        ));
    }
    DigestAlgorithm::from_oid(&alg.oid).ok_or(CmsError::Malformed("unsupported digest"))
}

/// RSASSA-PSS-params (RFC 4055 §3.1), with the SHA-1 defaults for absent fields.
fn parse_pss_params(params: Option<&[u8]>) -> Result<SignatureScheme, CmsError> {
    let mut digest = DigestAlgorithm::Sha1;
    let mut mgf1_digest = DigestAlgorithm::Sha1;
    let mut salt_len = 20;
    if let Some(bytes) = params {
        let top = Reader::new(bytes).read_tag(tag::SEQUENCE)?;
        let mut r = top.children()?;
        if let Some(h) = r.read_optional(tag::ctx_cons(0))? {
            let mut inner = h.children()?;
            digest = parse_hash_identifier(&inner.read()?)?;
            inner.finish()?;
        }
        if let Some(m) = r.read_optional(tag::ctx_cons(1))? {
            let mut inner = m.children()?;
            let mgf = AlgorithmId::parse(&inner.read()?)?;
            inner.finish()?;
            if mgf.oid != oid::MGF1 {
                return Err(CmsError::Malformed("mask generation function is not MGF1"));
            }
            let p = mgf
                .parameters
                .ok_or(CmsError::Malformed("MGF1 without a hash"))?;
            mgf1_digest = parse_hash_identifier(&Reader::new(&p).read()?)?;
        }
        if let Some(s) = r.read_optional(tag::ctx_cons(2))? {
            let mut inner = s.children()?;
            salt_len = asn1::small_uint(&inner.read()?)?;
            inner.finish()?;
        }
        if let Some(t) = r.read_optional(tag::ctx_cons(3))? {
            let mut inner = t.children()?;
            if asn1::small_uint(&inner.read()?)? != 1 {
                return Err(CmsError::Malformed("PSS trailer field must be 1"));
            }
            inner.finish()?;
        }
        r.finish()?;
    }
    Ok(SignatureScheme::RsaPss {
        digest,
        mgf1_digest,
        salt_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_identifier_round_trips() {
        let der = SignatureAlgorithm::RsaPssSha256.algorithm_identifier();
        let tlv = asn1::read_top_level(&der).unwrap();
        let alg = AlgorithmId::parse(&tlv).unwrap();
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(&alg, None),
            Some(SignatureScheme::RsaPss {
                digest: DigestAlgorithm::Sha256,
                mgf1_digest: DigestAlgorithm::Sha256,
                salt_len: 32
            })
        );
    }

    #[test]
    fn pss_defaults_are_sha1() {
        let der = asn1::der_sequence(&[&asn1::der(tag::OID, oid::RSASSA_PSS)]);
        let alg = AlgorithmId::parse(&asn1::read_top_level(&der).unwrap()).unwrap();
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(&alg, None),
            Some(SignatureScheme::RsaPss {
                digest: DigestAlgorithm::Sha1,
                mgf1_digest: DigestAlgorithm::Sha1,
                salt_len: 20
            })
        );
    }

    #[test]
    fn bare_key_algorithm_needs_the_digest() {
        let alg = AlgorithmId {
            oid: oid::RSA_ENCRYPTION.to_vec(),
            parameters: None,
        };
        assert_eq!(SignatureScheme::from_algorithm_identifier(&alg, None), None);
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(&alg, Some(DigestAlgorithm::Sha384)),
            Some(SignatureScheme::RsaPkcs1(DigestAlgorithm::Sha384))
        );
    }
}

//! The signing-key abstraction: CMS needs only "sign these bytes with this algorithm", so a
//! key in a file, in a PKCS#11 token or behind a remote service all fit behind [`RawSigner`].

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};

use super::algorithm::{SignatureAlgorithm, PSS_SALT_LEN};
use super::CmsError;

/// A private key that signs with one fixed algorithm.
pub trait RawSigner {
    /// The algorithm every signature of this signer uses.
    fn algorithm(&self) -> SignatureAlgorithm;

    /// Signs `data` — the DER of the signed attributes — hashing it with the algorithm's
    /// digest. Returns the signature value as it goes into `SignerInfo.signature` (for ECDSA,
    /// the DER `ECDSA-Sig-Value`).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, CmsError>;
}

/// Smallest RSA modulus kyso signs with, in bits (DESIGN.md: RSA ≥ 2048).
pub const MIN_RSA_BITS: u32 = 2048;

/// A [`RawSigner`] over an OpenSSL private key held in memory.
pub struct PKeySigner {
    key: PKey<Private>,
    algorithm: SignatureAlgorithm,
}

impl PKeySigner {
    /// Pairs a key with an algorithm, checking that they fit: an RSA key of at least
    /// [`MIN_RSA_BITS`] for the RSA algorithms, a P-256 key for ECDSA.
    pub fn new(key: PKey<Private>, algorithm: SignatureAlgorithm) -> Result<Self, CmsError> {
        let fits = match algorithm {
            SignatureAlgorithm::RsaPkcs1Sha256 | SignatureAlgorithm::RsaPssSha256 => {
                key.id() == Id::RSA && key.bits() >= MIN_RSA_BITS
            }
            SignatureAlgorithm::EcdsaP256Sha256 => key
                .ec_key()
                .ok()
                .and_then(|ec| ec.group().curve_name())
                .is_some_and(|nid| nid == Nid::X9_62_PRIME256V1),
        };
        if !fits {
            return Err(CmsError::KeyMismatch(algorithm));
        }
        Ok(PKeySigner { key, algorithm })
    }

    /// The default algorithm for a key: PKCS#1 v1.5 for RSA, ECDSA for P-256.
    pub fn with_default_algorithm(key: PKey<Private>) -> Result<Self, CmsError> {
        let algorithm = if key.id() == Id::RSA {
            SignatureAlgorithm::RsaPkcs1Sha256
        } else {
            SignatureAlgorithm::EcdsaP256Sha256
        };
        Self::new(key, algorithm)
    }
}

impl RawSigner for PKeySigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, CmsError> {
        let crypto = |e: openssl::error::ErrorStack| CmsError::Crypto(e.to_string());
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).map_err(crypto)?;
        if self.algorithm == SignatureAlgorithm::RsaPssSha256 {
            signer.set_rsa_padding(Padding::PKCS1_PSS).map_err(crypto)?;
            signer
                .set_rsa_mgf1_md(MessageDigest::sha256())
                .map_err(crypto)?;
            signer
                .set_rsa_pss_saltlen(RsaPssSaltlen::custom(PSS_SALT_LEN as i32))
                .map_err(crypto)?;
        }
        signer.update(data).map_err(crypto)?;
        signer.sign_to_vec().map_err(crypto)
    }
}

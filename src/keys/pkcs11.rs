//! Keys in PKCS#11 tokens (hardware security modules, USB tokens, SoftHSM2) through the
//! `cryptoki` crate. A key is generated inside the token as sensitive and not extractable
//! (PKCS#11 v2.40 §4.9: CKA_SENSITIVE true, CKA_EXTRACTABLE false), so the private key never
//! leaves it; kyso only asks the token to sign digests.
//!
//! The digest is computed here and the token applies the raw mechanism (CKM_RSA_PKCS over a
//! DigestInfo, CKM_ECDSA over the digest): every token supports those, not every token the
//! hash-and-sign variants.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Rsa;
use pkcs8::der::asn1::OctetString;
use pkcs8::der::Decode as _;
use sha2::{Digest, Sha256};

use super::error::KeysError;
use super::secret::SecretSource;
use super::KeyKind;
use crate::cms::{CmsError, RawSigner, SignatureAlgorithm};

/// The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1): CKM_RSA_PKCS pads exactly
/// what it is given, so the DigestInfo is built here.
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The DER OID of the P-256 curve (prime256v1, RFC 5480 §2.1.1.1), the CKA_EC_PARAMS of a
/// P-256 key.
const P256_EC_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Length of a P-256 ECDSA signature as tokens return it: r and s, 32 bytes each
/// (PKCS#11 v2.40 §2.3.1).
const P256_RAW_SIGNATURE_LEN: usize = 64;

/// Length of the random CKA_ID given to a generated key pair.
const KEY_ID_LEN: usize = 16;

/// RSA public exponent 65537.
const RSA_PUBLIC_EXPONENT: [u8; 3] = [0x01, 0x00, 0x01];

/// Where a token key is: the module, the token's label and how to log in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Path of the PKCS#11 module (shared library).
    pub module: PathBuf,
    /// The token's label (CK_TOKEN_INFO.label, trailing blanks ignored).
    pub token: String,
    /// The user PIN's source.
    pub pin: SecretSource,
}

fn ck(what: &str) -> impl Fn(CkError) -> KeysError + '_ {
    move |e| KeysError::Pkcs11(format!("{what}: {e}"))
}

/// One context per module for the whole process: PKCS#11 allows one C_Initialize per
/// application, and dropping a context finalizes the library for every other user of it.
fn context(module: &Path) -> Result<Pkcs11, KeysError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut map = CONTEXTS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .map_err(|_| KeysError::Pkcs11("the module table lock is poisoned".into()))?;
    if let Some(ctx) = map.get(module) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(module).map_err(ck("loading the module"))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ck("C_Initialize")(e)),
    }
    map.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// An open, logged-in session with a token.
pub struct Token {
    session: Session,
}

/// The protection attributes of a private key object, as the token reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyProtection {
    /// CKA_SENSITIVE: the value cannot be read in clear.
    pub sensitive: bool,
    /// CKA_EXTRACTABLE: the key can be wrapped out of the token.
    pub extractable: bool,
    /// CKA_ALWAYS_SENSITIVE.
    pub always_sensitive: bool,
    /// CKA_NEVER_EXTRACTABLE.
    pub never_extractable: bool,
}

impl KeyProtection {
    /// The key cannot leave the token and never could.
    pub fn is_locked_in(&self) -> bool {
        self.sensitive && !self.extractable && self.always_sensitive && self.never_extractable
    }
}

impl Token {
    /// Opens a read-write session on the token labelled `config.token` and logs in as the
    /// user.
    pub fn open(config: &TokenConfig) -> Result<Token, KeysError> {
        let ctx = context(&config.module)?;
        let slot = find_slot(&ctx, &config.token)?;
        let session = ctx.open_rw_session(slot).map_err(ck("C_OpenSession"))?;
        let pin = config.pin.read()?;
        let pin = AuthPin::from(pin.as_str());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(ck("C_Login")(e)),
        }
        Ok(Token { session })
    }

    /// Generates a key pair labelled `label` inside the token: the private key is a token
    /// object, private, sensitive, not extractable, for signing only. Returns its public key.
    pub fn generate(&self, kind: KeyKind, label: &str) -> Result<PKey<Public>, KeysError> {
        if !self.find(ObjectClass::PRIVATE_KEY, label)?.is_empty() {
            return Err(KeysError::Pkcs11(format!(
                "the token already holds a private key labelled {label}"
            )));
        }
        let mut id = [0u8; KEY_ID_LEN];
        openssl::rand::rand_bytes(&mut id)?;
        let common = |extra: Vec<Attribute>| {
            let mut v = vec![
                Attribute::Token(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.to_vec()),
            ];
            v.extend(extra);
            v
        };
        let public_template = common(match kind {
            KeyKind::Rsa2048 => vec![
                Attribute::Verify(true),
                Attribute::ModulusBits(u64::from(crate::pki::demo::RSA_BITS).into()),
                Attribute::PublicExponent(RSA_PUBLIC_EXPONENT.to_vec()),
            ],
            KeyKind::EcP256 => vec![
                Attribute::Verify(true),
                Attribute::EcParams(P256_EC_PARAMS.to_vec()),
            ],
        });
        let private_template = common(vec![
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Decrypt(false),
            Attribute::Derive(false),
        ]);
        let mechanism = match kind {
            KeyKind::Rsa2048 => Mechanism::RsaPkcsKeyPairGen,
            KeyKind::EcP256 => Mechanism::EccKeyPairGen,
        };
        let (public, _private) = self
            .session
            .generate_key_pair(&mechanism, &public_template, &private_template)
            .map_err(ck("C_GenerateKeyPair"))?;
        self.public_key_of(public)
    }

    fn find(&self, class: ObjectClass, label: &str) -> Result<Vec<ObjectHandle>, KeysError> {
        self.session
            .find_objects(&[
                Attribute::Class(class),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(ck("C_FindObjects"))
    }

    fn one(&self, class: ObjectClass, label: &str) -> Result<ObjectHandle, KeysError> {
        match self.find(class, label)?.as_slice() {
            [one] => Ok(*one),
            [] => Err(KeysError::NotFound(format!(
                "no {class} labelled {label} in the token"
            ))),
            _ => Err(KeysError::Pkcs11(format!(
                "several {class} objects are labelled {label}"
            ))),
        }
    }

    /// The public key of the pair labelled `label`.
    pub fn public_key(&self, label: &str) -> Result<PKey<Public>, KeysError> {
        let handle = self.one(ObjectClass::PUBLIC_KEY, label)?;
        self.public_key_of(handle)
    }

    fn public_key_of(&self, handle: ObjectHandle) -> Result<PKey<Public>, KeysError> {
        let attrs = self
            .session
            .get_attributes(
                handle,
                &[
                    AttributeType::KeyType,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                    AttributeType::EcParams,
                    AttributeType::EcPoint,
                ],
            )
            .map_err(ck("C_GetAttributeValue"))?;
        let mut key_type = None;
        let (mut n, mut e, mut params, mut point) = (None, None, None, None);
        for a in attrs {
            match a {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::Modulus(v) => n = Some(v),
                Attribute::PublicExponent(v) => e = Some(v),
                Attribute::EcParams(v) => params = Some(v),
                Attribute::EcPoint(v) => point = Some(v),
                _ => {}
            }
        }
        match (key_type, n, e, params, point) {
            (Some(t), Some(n), Some(e), _, _) if t == KeyType::RSA => {
                let rsa =
                    Rsa::from_public_components(BigNum::from_slice(&n)?, BigNum::from_slice(&e)?)?;
                Ok(PKey::from_rsa(rsa)?)
            }
            (Some(t), _, _, Some(params), Some(point)) if t == KeyType::EC => {
                if params != P256_EC_PARAMS {
                    return Err(KeysError::Pkcs11("the EC key is not on P-256".into()));
                }
                // CKA_EC_POINT is the DER OCTET STRING of the X9.62 point (PKCS#11 v2.40
                // §2.3.3); a few tokens return the bare point.
                let raw = OctetString::from_der(&point)
                    .map(|o| o.as_bytes().to_vec())
                    .unwrap_or(point);
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                let mut ctx = openssl::bn::BigNumContext::new()?;
                let p = EcPoint::from_bytes(&group, &raw, &mut ctx)?;
                Ok(PKey::from_ec_key(EcKey::from_public_key(&group, &p)?)?)
            }
            _ => Err(KeysError::Pkcs11(
                "the key is neither RSA nor EC with its public attributes".into(),
            )),
        }
    }

    /// The protection attributes of the private key labelled `label`.
    pub fn protection(&self, label: &str) -> Result<KeyProtection, KeysError> {
        let handle = self.one(ObjectClass::PRIVATE_KEY, label)?;
        let attrs = self
            .session
            .get_attributes(
                handle,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::AlwaysSensitive,
                    AttributeType::NeverExtractable,
                ],
            )
            .map_err(ck("C_GetAttributeValue"))?;
        // Unreported attributes count against the key: absent means not proven.
        let mut p = KeyProtection {
            sensitive: false,
            extractable: true,
            always_sensitive: false,
            never_extractable: false,
        };
        for a in attrs {
            match a {
                Attribute::Sensitive(v) => p.sensitive = v,
                Attribute::Extractable(v) => p.extractable = v,
                Attribute::AlwaysSensitive(v) => p.always_sensitive = v,
                Attribute::NeverExtractable(v) => p.never_extractable = v,
                _ => {}
            }
        }
        Ok(p)
    }

    /// A signer over the private key labelled `label`, with the algorithm its key type
    /// implies (PKCS#1 v1.5 for RSA, ECDSA for P-256).
    pub fn signer(self, label: &str) -> Result<Pkcs11Signer, KeysError> {
        let key = self.one(ObjectClass::PRIVATE_KEY, label)?;
        let public = self.public_key(label)?;
        let algorithm = if public.rsa().is_ok() {
            if public.bits() < crate::cms::MIN_RSA_BITS {
                return Err(KeysError::Pkcs11(format!(
                    "the RSA key has {} bits, fewer than {}",
                    public.bits(),
                    crate::cms::MIN_RSA_BITS
                )));
            }
            SignatureAlgorithm::RsaPkcs1Sha256
        } else {
            SignatureAlgorithm::EcdsaP256Sha256
        };
        Ok(Pkcs11Signer {
            session: Mutex::new(self.session),
            key,
            public,
            algorithm,
        })
    }
}

fn find_slot(ctx: &Pkcs11, label: &str) -> Result<Slot, KeysError> {
    for slot in ctx.get_slots_with_token().map_err(ck("C_GetSlotList"))? {
        let info = ctx.get_token_info(slot).map_err(ck("C_GetTokenInfo"))?;
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(KeysError::NotFound(format!("no token labelled {label}")))
}

/// A [`RawSigner`] whose key stays in a PKCS#11 token. The session is shared under a lock:
/// PKCS#11 sessions are not safe for concurrent use.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    public: PKey<Public>,
    algorithm: SignatureAlgorithm,
}

impl Pkcs11Signer {
    /// The public key of the signing key.
    pub fn public_key(&self) -> &PKey<Public> {
        &self.public
    }
}

impl RawSigner for Pkcs11Signer {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, CmsError> {
        let digest: [u8; 32] = Sha256::digest(data).into();
        let session = self
            .session
            .lock()
            .map_err(|_| CmsError::Signing("the token session lock is poisoned".into()))?;
        let token_err = |e: CkError| CmsError::Signing(format!("PKCS#11 C_Sign: {e}"));
        match self.algorithm {
            SignatureAlgorithm::EcdsaP256Sha256 => {
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.key, &digest)
                    .map_err(token_err)?;
                drop(session);
                if raw.len() != P256_RAW_SIGNATURE_LEN {
                    return Err(CmsError::Signing(format!(
                        "the token returned a {}-byte ECDSA signature, not {P256_RAW_SIGNATURE_LEN}",
                        raw.len()
                    )));
                }
                let (r, s) = raw.split_at(P256_RAW_SIGNATURE_LEN / 2);
                let crypto = |e: openssl::error::ErrorStack| CmsError::Crypto(e.to_string());
                let sig = EcdsaSig::from_private_components(
                    BigNum::from_slice(r).map_err(crypto)?,
                    BigNum::from_slice(s).map_err(crypto)?,
                )
                .map_err(crypto)?;
                sig.to_der().map_err(crypto)
            }
            _ => {
                let mut digest_info = SHA256_DIGEST_INFO_PREFIX.to_vec();
                digest_info.extend_from_slice(&digest);
                session
                    .sign(&Mechanism::RsaPkcs, self.key, &digest_info)
                    .map_err(token_err)
            }
        }
    }
}

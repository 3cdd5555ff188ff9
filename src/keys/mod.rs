//! Signers and their keys: where a private key lives (an encrypted PKCS#8 file, a PKCS#11
//! token), the record of each key and its certificate with its lifecycle state (pending →
//! active → retired, or compromised), atomic rotation, certificate requests, and the checks a
//! certificate passes before a key may sign with it.
//!
//! Every key signs through [`crate::cms::RawSigner`], so `cms` and `pades` never know where a
//! key lives. Secrets (key-file passphrases, token PINs) are never stored: a record names an
//! environment variable or a file holding them ([`SecretSource`]).

mod csr;
mod error;
mod file;
mod pkcs11;
mod record;
mod registration;
mod registry;
mod secret;

pub use csr::{certificate_request, SubjectFields, COUNTRY_VN};
pub use error::KeysError;
pub use file::{
    decrypt_key_file, encrypt_private_key, generate_key, read_key_file, ScryptCost,
    MAX_KEY_FILE_SIZE,
};
pub use pkcs11::{KeyProtection, Pkcs11Signer, Token, TokenConfig};
pub use record::{KeyRecord, KeyState, KeyStorage};
pub use registration::{
    check_registration, expiry_warning, Registration, RegistrationInputs, EXPIRY_WARNING_DAYS,
};
pub use registry::{LoadedSigner, Registry, REGISTRY_FILE};
pub use secret::{SecretSource, MAX_SECRET_LEN};

pub use crate::pki::demo::KeyKind;

//! The one error type of `keys`.

use crate::cms::CmsError;
use crate::pki::PkiError;

/// Why a key could not be created, opened, used or registered. A certificate that fails a
/// registration check is [`KeysError::Registration`]: the key must not sign with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// A passphrase or PIN could not be read from its source.
    #[error("secret from {source_name}: {why}")]
    Secret { source_name: String, why: String },
    /// An encrypted PKCS#8 file (RFC 5958 §3) could not be written or decrypted.
    #[error("key file: {0}")]
    KeyFile(String),
    /// The PKCS#11 module or token failed (PKCS#11 v2.40 return value in the message).
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// The certificate request could not be built (RFC 2986).
    #[error("certificate request: {0}")]
    Request(String),
    /// The certificate is refused for this key.
    #[error("chứng thư số bị từ chối / certificate refused: {0}")]
    Registration(String),
    /// The requested state change is not allowed from the key's current state.
    #[error("key {id} is {from}; it cannot become {to}")]
    Transition {
        id: String,
        from: &'static str,
        to: &'static str,
    },
    /// No key with this id, or no active key for the signer.
    #[error("not found: {0}")]
    NotFound(String),
    /// The key registry file is unreadable or could not be written.
    #[error("key registry: {0}")]
    Registry(String),
    /// Signing or the CMS layer failed.
    #[error(transparent)]
    Cms(#[from] CmsError),
    /// A certificate could not be parsed.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// OpenSSL failed.
    #[error("OpenSSL: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// Reading or writing a file failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

//! The one error type of the `pki` layer. An error means the input could not be evaluated at
//! all (unreadable certificate, CRL or OCSP response, exhausted input bounds); a chain that is
//! merely invalid is a [`crate::pki::report::ChainReport`], never an error.

use thiserror::Error;

/// Why a `pki` input could not be evaluated.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkiError {
    /// The bytes are not a DER X.509 certificate (RFC 5280 §4.1).
    #[error("not a valid X.509 certificate (RFC 5280 §4.1): {0}")]
    BadCertificate(String),
    /// A certificate extension that kyso processes is malformed (RFC 5280 §4.2).
    #[error("malformed certificate extension {oid} (RFC 5280 §4.2): {why}")]
    BadExtension {
        /// Dotted OID of the extension.
        oid: String,
        /// What is wrong with it.
        why: String,
    },
    /// A PEM block is malformed (RFC 7468).
    #[error("malformed PEM data (RFC 7468): {0}")]
    BadPem(String),
    /// A PKCS#7 / CMS certificate bundle is malformed (RFC 5652 §5).
    #[error("malformed PKCS#7/CMS certificate bundle (RFC 5652 §5): {0}")]
    BadBundle(String),
    /// The input holds nothing kyso recognises as a certificate.
    #[error("no certificate found in the input")]
    NoCertificate,
    /// The input exceeds a named bound (object count or size).
    #[error("input too large: {0}")]
    TooLarge(String),
    /// A CRL is malformed or unusable (RFC 5280 §5).
    #[error("malformed CRL (RFC 5280 §5): {0}")]
    BadCrl(String),
    /// An OCSP response is malformed or unusable (RFC 6960).
    #[error("malformed OCSP response (RFC 6960): {0}")]
    BadOcsp(String),
    /// A validation parameter is unusable (for example an unknown OID string).
    #[error("invalid validation parameter: {0}")]
    BadParameter(String),
}

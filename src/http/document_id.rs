//! Document ids: the capability printed in the QR link. 128 random bits, RFC 4648 §6 base32,
//! upper-case, without padding: 26 characters that survive being read aloud or typed.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;

use super::error::ApiError;

/// Random bytes of an id: 128 bits make guessing an id hopeless.
pub const DOCUMENT_ID_BYTES: usize = 16;

/// Length of the text form: ceil(128 / 5).
pub const DOCUMENT_ID_LEN: usize = 26;

/// A well-formed document id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentId([u8; DOCUMENT_ID_BYTES]);

impl DocumentId {
    /// A fresh id from the operating system's CSPRNG (through OpenSSL).
    pub fn random() -> Result<DocumentId, ApiError> {
        let mut b = [0u8; DOCUMENT_ID_BYTES];
        openssl::rand::rand_bytes(&mut b)
            .map_err(|e| ApiError::internal(format!("random document id: {e}")))?;
        Ok(DocumentId(b))
    }

    /// The SHA-256 recorded in the ledger (of the text form).
    pub fn ledger_hash(&self) -> crate::ledger::Hash {
        crate::ledger::entry::document_id_hash(&self.to_string())
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE32_NOPAD.encode(&self.0))
    }
}

impl fmt::Debug for DocumentId {
    /// Ids are capabilities: debug output (which may reach logs) shows only a prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.to_string();
        write!(f, "DocumentId({}…)", s.get(..4).unwrap_or_default())
    }
}

impl FromStr for DocumentId {
    type Err = ApiError;

    /// Accepts exactly 26 upper-case base32 characters whose unused last bits are zero, so each
    /// id has one text form.
    fn from_str(s: &str) -> Result<Self, ApiError> {
        let bad = || {
            ApiError::MalformedDocumentId(format!(
                "a document id is {DOCUMENT_ID_LEN} characters of RFC 4648 base32 (A-Z, 2-7)"
            ))
        };
        if s.len() != DOCUMENT_ID_LEN {
            return Err(bad());
        }
        let bytes = BASE32_NOPAD.decode(s.as_bytes()).map_err(|_| bad())?;
        let arr: [u8; DOCUMENT_ID_BYTES] = bytes.try_into().map_err(|_| bad())?;
        let id = DocumentId(arr);
        if id.to_string() != s {
            return Err(bad());
        }
        Ok(id)
    }
}

/// Parses a SHA-256 given as 64 hex digits (either case).
pub fn parse_sha256(s: &str) -> Result<crate::ledger::Hash, ApiError> {
    let bad = || ApiError::MalformedHash("a SHA-256 is 64 hexadecimal digits".into());
    if s.len() != 64 {
        return Err(bad());
    }
    let bytes = hex::decode(s).map_err(|_| bad())?;
    bytes.try_into().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_round_trip_and_have_26_characters() {
        let id = DocumentId::random().unwrap();
        let s = id.to_string();
        assert_eq!(s.len(), DOCUMENT_ID_LEN);
        assert!(s
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
        assert_eq!(s.parse::<DocumentId>().unwrap(), id);
    }

    #[test]
    fn malformed_ids_are_refused() {
        let good = DocumentId::random().unwrap().to_string();
        for bad in [
            String::new(),
            good.to_lowercase(),
            format!("{good}A"),
            good[..25].to_string(),
            "0".repeat(26),
            "AAAAAAAAAAAAAAAAAAAAAAAAAB".to_string(), // non-zero trailing bits
        ] {
            assert!(bad.parse::<DocumentId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sha256_hex_is_checked() {
        assert!(parse_sha256(&"ab".repeat(32)).is_ok());
        assert!(parse_sha256(&"ab".repeat(31)).is_err());
        assert!(parse_sha256(&"zz".repeat(32)).is_err());
    }
}

//! The ledger entry: a canonical, versioned, compact record of one document event.
//!
//! The log is public, so an entry names a document only by `SHA-256(document id)` (the id is
//! the capability in the QR link) and carries no personal data of citizens: only the issuing
//! agency, the signer certificate's fingerprint, the time, and the document's number and kind.
//!
//! Encoding, version 1 (all integers big-endian):
//!
//! | field | bytes |
//! |---|---|
//! | version (1) | 1 |
//! | kind (1 issued, 2 revoked, 3 superseded, 4 audit) | 1 |
//! | SHA-256 of the document id | 32 |
//! | SHA-256 of the signed revision | 32 |
//! | SHA-256 of the signer certificate (DER) | 32 |
//! | time, unix seconds (i64) | 8 |
//! | agency, document number, document kind | each u16 length + UTF-8 |
//! | reason: 0, or 1 + u16 length + UTF-8 | 1 (+ 2 + n) |
//! | superseding document id hash: 0, or 1 + 32 bytes | 1 (+ 32) |
//!
//! Every byte string has one encoding: decoding rejects unknown versions and kinds, flag bytes
//! other than 0 and 1, fields that the kind does not allow, over-long fields, invalid UTF-8 and
//! trailing bytes, so `encode(decode(b)) == b` for every accepted `b`.

use sha2::{Digest, Sha256};

use super::error::LedgerError;
use super::merkle::Hash;
use super::tile::MAX_BUNDLE_ENTRY;

/// The encoding version written by [`Entry::encode`].
pub const ENTRY_VERSION: u8 = 1;

/// Largest encoded entry: an entry bundle's length prefix is two bytes (C2SP tlog-tiles).
pub const MAX_ENTRY_SIZE: usize = MAX_BUNDLE_ENTRY;

/// Longest agency name, in bytes: the full Vietnamese name of a provincial department with its
/// province is under 300 bytes of UTF-8.
pub const MAX_AGENCY_LEN: usize = 512;

/// Longest document number (số ký hiệu, e.g. `123/QĐ-UBND`), in bytes.
pub const MAX_DOCUMENT_NUMBER_LEN: usize = 128;

/// Longest document kind (loại văn bản, e.g. `Quyết định`), in bytes.
pub const MAX_DOCUMENT_KIND_LEN: usize = 128;

/// Longest revocation or supersession reason, in bytes: a short administrative reason, not a
/// free-form letter (and never personal data).
pub const MAX_REASON_LEN: usize = 1024;

/// What happened to the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// The document was issued (signed and published).
    Issued,
    /// The document was revoked.
    Revoked,
    /// The document was replaced by another one.
    Superseded,
    /// An administrative action (key rotation, token, revocation...) recorded in the service's
    /// audit trail: `document_id_hash` is the SHA-256 of the stored audit record, every other
    /// field is empty, so the public log carries no detail of it, yet altering or deleting the
    /// stored record is detectable against the log.
    Audit,
}

impl EntryKind {
    /// The event's name in reports and JSON: `issued`, `revoked`, `superseded`.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Issued => "issued",
            EntryKind::Revoked => "revoked",
            EntryKind::Superseded => "superseded",
            EntryKind::Audit => "audit",
        }
    }

    fn code(self) -> u8 {
        match self {
            EntryKind::Issued => 1,
            EntryKind::Revoked => 2,
            EntryKind::Superseded => 3,
            EntryKind::Audit => 4,
        }
    }

    fn from_code(code: u8) -> Result<EntryKind, LedgerError> {
        match code {
            1 => Ok(EntryKind::Issued),
            2 => Ok(EntryKind::Revoked),
            3 => Ok(EntryKind::Superseded),
            4 => Ok(EntryKind::Audit),
            other => Err(entry_err(format!("unknown entry kind {other}"))),
        }
    }
}

/// One document event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What happened.
    pub kind: EntryKind,
    /// SHA-256 of the document id ([`document_id_hash`]); never the id itself.
    pub document_id_hash: Hash,
    /// SHA-256 of the file up to the end of the issuing signature's revision.
    pub revision_hash: Hash,
    /// SHA-256 of the signer certificate (DER).
    pub signer_cert_sha256: Hash,
    /// Time of the event, unix seconds.
    pub time: i64,
    /// Issuing agency.
    pub agency: String,
    /// Document number.
    pub document_number: String,
    /// Document kind.
    pub document_kind: String,
    /// Reason of a revocation or supersession (not allowed for `Issued`).
    pub reason: Option<String>,
    /// For `Superseded` (required there, not allowed otherwise): the SHA-256 of the id of the
    /// document that replaces this one.
    pub superseded_by: Option<Hash>,
}

fn entry_err(why: impl Into<String>) -> LedgerError {
    LedgerError::Entry(why.into())
}

/// The SHA-256 of a document id, as recorded in entries.
pub fn document_id_hash(document_id: &str) -> Hash {
    Sha256::digest(document_id.as_bytes()).into()
}

fn check_text(what: &str, s: &str, max: usize) -> Result<(), LedgerError> {
    if s.len() > max {
        return Err(entry_err(format!(
            "{what} is {} bytes, above {max}",
            s.len()
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(entry_err(format!("{what} contains a control character")));
    }
    Ok(())
}

fn put_text(out: &mut Vec<u8>, what: &str, s: &str) -> Result<(), LedgerError> {
    let len = u16::try_from(s.len())
        .map_err(|_| entry_err(format!("{what} is {} bytes, above {}", s.len(), u16::MAX)))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

impl Entry {
    /// Checks the fields: lengths, no control characters, and the optional fields the kind
    /// allows.
    pub fn validate(&self) -> Result<(), LedgerError> {
        check_text("agency", &self.agency, MAX_AGENCY_LEN)?;
        check_text(
            "document number",
            &self.document_number,
            MAX_DOCUMENT_NUMBER_LEN,
        )?;
        check_text("document kind", &self.document_kind, MAX_DOCUMENT_KIND_LEN)?;
        if let Some(r) = &self.reason {
            check_text("reason", r, MAX_REASON_LEN)?;
        }
        match self.kind {
            EntryKind::Issued if self.reason.is_some() || self.superseded_by.is_some() => Err(
                entry_err("an issued entry has neither a reason nor a superseding document"),
            ),
            EntryKind::Revoked if self.superseded_by.is_some() => {
                Err(entry_err("a revoked entry has no superseding document"))
            }
            EntryKind::Audit
                if self.reason.is_some()
                    || self.superseded_by.is_some()
                    || !self.agency.is_empty()
                    || !self.document_number.is_empty()
                    || !self.document_kind.is_empty() =>
            {
                Err(entry_err(
                    "an audit entry carries only the record's hash and time",
                ))
            }
            EntryKind::Superseded if self.superseded_by.is_none() => Err(entry_err(
                "a superseded entry names its superseding document",
            )),
            _ => Ok(()),
        }
    }

    /// The canonical encoding. Fails on invalid fields or an encoding above
    /// [`MAX_ENTRY_SIZE`].
    pub fn encode(&self) -> Result<Vec<u8>, LedgerError> {
        self.validate()?;
        let mut out = Vec::with_capacity(160);
        out.push(ENTRY_VERSION);
        out.push(self.kind.code());
        out.extend_from_slice(&self.document_id_hash);
        out.extend_from_slice(&self.revision_hash);
        out.extend_from_slice(&self.signer_cert_sha256);
        out.extend_from_slice(&self.time.to_be_bytes());
        put_text(&mut out, "agency", &self.agency)?;
        put_text(&mut out, "document number", &self.document_number)?;
        put_text(&mut out, "document kind", &self.document_kind)?;
        match &self.reason {
            Some(r) => {
                out.push(1);
                put_text(&mut out, "reason", r)?;
            }
            None => out.push(0),
        }
        match &self.superseded_by {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(h);
            }
            None => out.push(0),
        }
        if out.len() > MAX_ENTRY_SIZE {
            return Err(entry_err(format!(
                "encoded entry is {} bytes, above {MAX_ENTRY_SIZE}",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Decodes a canonical encoding; anything else is an error.
    pub fn decode(bytes: &[u8]) -> Result<Entry, LedgerError> {
        if bytes.len() > MAX_ENTRY_SIZE {
            return Err(entry_err(format!(
                "entry is {} bytes, above {MAX_ENTRY_SIZE}",
                bytes.len()
            )));
        }
        let mut r = Reader { rest: bytes };
        let version = r.byte("version")?;
        if version != ENTRY_VERSION {
            return Err(entry_err(format!("unknown entry version {version}")));
        }
        let kind = EntryKind::from_code(r.byte("kind")?)?;
        let document_id_hash = r.hash("document id hash")?;
        let revision_hash = r.hash("revision hash")?;
        let signer_cert_sha256 = r.hash("signer certificate hash")?;
        let time = i64::from_be_bytes(r.array::<8>("time")?);
        let agency = r.text("agency")?;
        let document_number = r.text("document number")?;
        let document_kind = r.text("document kind")?;
        let reason = match r.flag("reason")? {
            true => Some(r.text("reason")?),
            false => None,
        };
        let superseded_by = match r.flag("superseding document")? {
            true => Some(r.hash("superseding document")?),
            false => None,
        };
        if !r.rest.is_empty() {
            return Err(entry_err(format!("{} trailing bytes", r.rest.len())));
        }
        let entry = Entry {
            kind,
            document_id_hash,
            revision_hash,
            signer_cert_sha256,
            time,
            agency,
            document_number,
            document_kind,
            reason,
            superseded_by,
        };
        entry.validate()?;
        Ok(entry)
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], LedgerError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or_else(|| entry_err(format!("truncated at {what}")))?;
        self.rest = tail;
        Ok(*head)
    }

    fn byte(&mut self, what: &str) -> Result<u8, LedgerError> {
        let [b] = self.array::<1>(what)?;
        Ok(b)
    }

    fn hash(&mut self, what: &str) -> Result<Hash, LedgerError> {
        self.array::<32>(what)
    }

    fn flag(&mut self, what: &str) -> Result<bool, LedgerError> {
        match self.byte(what)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(entry_err(format!(
                "{what}: presence flag {other} is not 0 or 1"
            ))),
        }
    }

    fn text(&mut self, what: &str) -> Result<String, LedgerError> {
        let len = usize::from(u16::from_be_bytes(self.array::<2>(what)?));
        if self.rest.len() < len {
            return Err(entry_err(format!("truncated in {what}")));
        }
        let (s, tail) = self.rest.split_at(len);
        self.rest = tail;
        String::from_utf8(s.to_vec()).map_err(|_| entry_err(format!("{what} is not UTF-8")))
    }
}

//! The record of one signing key: where it lives, its certificate and its lifecycle state.
//!
//! States: a key is `pending` from creation until it is activated; `active` while it is the
//! signer's key for new documents (at most one per signer); `retired` once replaced or taken
//! out of service (what it signed keeps verifying: verification never looks at this state);
//! `compromised` when its secrecy is in doubt. Allowed changes: pending → active, pending →
//! retired, active → retired, and any state but compromised → compromised. Nothing returns to
//! pending or active.

use std::fmt;

use super::error::KeysError;
use super::pkcs11::TokenConfig;
use super::secret::SecretSource;

/// The lifecycle state of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Pending,
    Active,
    Retired,
    Compromised,
}

impl KeyState {
    /// The lower-case name used in records, the CLI and the API.
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Compromised => "compromised",
        }
    }

    /// Whether a key in this state may move to `next` (see the module documentation).
    pub fn can_become(self, next: KeyState) -> bool {
        matches!(
            (self, next),
            (KeyState::Pending, KeyState::Active)
                | (KeyState::Pending | KeyState::Active, KeyState::Retired)
                | (
                    KeyState::Pending | KeyState::Active | KeyState::Retired,
                    KeyState::Compromised
                )
        )
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the private key lives. Never the key itself, never a secret in clear.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyStorage {
    /// An encrypted PKCS#8 file, relative to the keys directory, and its passphrase's source.
    File {
        file: String,
        passphrase: SecretSource,
    },
    /// A key pair in a PKCS#11 token, by its CKA_LABEL.
    Pkcs11 {
        #[serde(flatten)]
        token: TokenConfig,
        label: String,
    },
}

/// One key of one signer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    /// Unique id (random, hex).
    pub id: String,
    /// The signer (agency) the key belongs to.
    pub signer: String,
    pub state: KeyState,
    /// The signature algorithm ([`crate::cms::SignatureAlgorithm::name`]).
    pub algorithm: String,
    pub storage: KeyStorage,
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER, hex: binds the certificate.
    pub public_key_sha256: String,
    /// The issued certificate (PEM), once imported.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The issuing chain (PEM certificates), once imported.
    #[serde(default)]
    pub chain: Vec<String>,
    /// SHA-256 of the certificate's DER, hex (what ledger entries record).
    #[serde(default)]
    pub certificate_sha256: Option<String>,
    /// The certificate's notAfter, unix seconds.
    #[serde(default)]
    pub not_after: Option<i64>,
    /// Unix seconds of each state change.
    pub created: i64,
    #[serde(default)]
    pub activated: Option<i64>,
    #[serde(default)]
    pub retired: Option<i64>,
    #[serde(default)]
    pub compromised: Option<i64>,
}

impl KeyRecord {
    /// Moves the record to `next` at `now`, or explains why it may not.
    pub fn transition(&mut self, next: KeyState, now: i64) -> Result<(), KeysError> {
        if !self.state.can_become(next) {
            return Err(KeysError::Transition {
                id: self.id.clone(),
                from: self.state.name(),
                to: next.name(),
            });
        }
        match next {
            KeyState::Active => self.activated = Some(now),
            KeyState::Retired => self.retired = Some(now),
            KeyState::Compromised => self.compromised = Some(now),
            KeyState::Pending => {}
        }
        self.state = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [KeyState; 4] = [
        KeyState::Pending,
        KeyState::Active,
        KeyState::Retired,
        KeyState::Compromised,
    ];

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        let allowed: Vec<(KeyState, KeyState)> = ALL
            .iter()
            .flat_map(|a| ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        use KeyState::*;
        assert_eq!(
            allowed,
            vec![
                (Pending, Active),
                (Pending, Retired),
                (Pending, Compromised),
                (Active, Retired),
                (Active, Compromised),
                (Retired, Compromised),
            ]
        );
    }
}

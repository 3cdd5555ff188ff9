//! Where a passphrase or a PIN comes from. Records and configuration hold only the *name* of
//! an environment variable or the path of a file, never the secret itself, so neither a config
//! file nor the key registry ever contains one in clear.

use std::io::Read as _;
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::error::KeysError;

/// Longest secret read, in bytes: passphrases and PINs are short; a file larger than this is
/// the wrong file.
pub const MAX_SECRET_LEN: usize = 4096;

/// The source of a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretSource {
    /// An environment variable, by name.
    Env(String),
    /// A file whose content (one trailing newline removed) is the secret.
    File(PathBuf),
}

impl SecretSource {
    /// Names the source without revealing the secret, for messages.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(name) => format!("environment variable {name}"),
            SecretSource::File(path) => format!("file {}", path.display()),
        }
    }

    /// Reads the secret. An empty secret is refused: it would mean an unset variable or an
    /// empty file, never a deliberate choice.
    pub fn read(&self) -> Result<Zeroizing<String>, KeysError> {
        let fail = |why: String| KeysError::Secret {
            source_name: self.describe(),
            why,
        };
        let mut secret = match self {
            SecretSource::Env(name) => Zeroizing::new(
                std::env::var(name).map_err(|_| fail("not set or not UTF-8".into()))?,
            ),
            SecretSource::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
                let mut s = Zeroizing::new(String::new());
                file.take(MAX_SECRET_LEN as u64 + 1)
                    .read_to_string(&mut s)
                    .map_err(|e| fail(e.to_string()))?;
                s
            }
        };
        if secret.len() > MAX_SECRET_LEN {
            return Err(fail(format!("longer than {MAX_SECRET_LEN} bytes")));
        }
        while secret.ends_with('\n') || secret.ends_with('\r') {
            secret.pop();
        }
        if secret.is_empty() {
            return Err(fail("empty".into()));
        }
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_secret_drops_the_trailing_newline_and_empty_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("pin");
        std::fs::write(&p, "123456\n").expect("write");
        let s = SecretSource::File(p.clone()).read().expect("read");
        assert_eq!(s.as_str(), "123456");
        std::fs::write(&p, "\n").expect("write");
        assert!(SecretSource::File(p).read().is_err());
        assert!(SecretSource::Env("KYSO_TEST_SURELY_UNSET_VARIABLE".into())
            .read()
            .is_err());
    }

    #[test]
    fn serialized_form_names_the_source_only() {
        let json = serde_json::to_string(&SecretSource::Env("KYSO_PIN".into())).expect("json");
        assert_eq!(json, r#"{"env":"KYSO_PIN"}"#);
    }
}

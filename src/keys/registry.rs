//! The key registry of a data directory: `keys/keys.json` lists every key record, and
//! `keys/<id>.p8.pem` holds each file key, encrypted.
//!
//! Every change is made on the in-memory list and written back as a whole through a temporary
//! file renamed over the old one (after fsync), so a reader sees either the old or the new
//! registry: in particular, activating a key and retiring the signer's previous active key is
//! one atomic step (rotation), and there is never a moment with two active keys or none.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use openssl::pkey::{HasPublic, PKey, PKeyRef, Public};
use sha2::{Digest, Sha256};

use super::error::KeysError;
use super::file::{encrypt_private_key, generate_key, read_key_file, ScryptCost};
use super::pkcs11::{Token, TokenConfig};
use super::record::{KeyRecord, KeyState, KeyStorage};
use super::registration::Registration;
use super::secret::SecretSource;
use super::KeyKind;
use crate::cms::{PKeySigner, RawSigner, SignatureAlgorithm};
use crate::pki::source;

/// The registry file inside the keys directory.
pub const REGISTRY_FILE: &str = "keys.json";

/// Largest registry read: a record with its certificate chain is a few kilobytes, so this
/// holds thousands of keys; anything bigger is not ours.
const MAX_REGISTRY_SIZE: u64 = 16 << 20;

/// Length of a key id in random bytes (shown as hex).
const KEY_ID_BYTES: usize = 8;

/// Registry format version.
const REGISTRY_VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    version: u32,
    keys: Vec<KeyRecord>,
}

/// The keys of a data directory.
#[derive(Debug)]
pub struct Registry {
    dir: PathBuf,
    records: Vec<KeyRecord>,
}

/// A key ready to sign, with its certificate.
pub struct LoadedSigner {
    /// The key record's id.
    pub key_id: String,
    /// The signing key.
    pub signer: Box<dyn RawSigner + Send + Sync>,
    /// Its public key.
    pub public_key: PKey<Public>,
    /// The certificate's DER.
    pub certificate: Vec<u8>,
    /// The chain's DER certificates.
    pub chain: Vec<Vec<u8>>,
}

fn registry_err(why: impl std::fmt::Display) -> KeysError {
    KeysError::Registry(why.to_string())
}

/// SHA-256 of a public key's SubjectPublicKeyInfo DER, hex.
pub(super) fn spki_sha256<T: HasPublic>(key: &PKeyRef<T>) -> Result<String, KeysError> {
    Ok(hex::encode(Sha256::digest(key.public_key_to_der()?)))
}

fn algorithm_for(kind: KeyKind) -> SignatureAlgorithm {
    match kind {
        KeyKind::Rsa2048 => SignatureAlgorithm::RsaPkcs1Sha256,
        KeyKind::EcP256 => SignatureAlgorithm::EcdsaP256Sha256,
    }
}

fn new_key_id() -> Result<String, KeysError> {
    let mut id = [0u8; KEY_ID_BYTES];
    openssl::rand::rand_bytes(&mut id)?;
    Ok(hex::encode(id))
}

/// DER certificates from PEM texts.
fn pem_to_der(pems: &[String]) -> Result<Vec<Vec<u8>>, KeysError> {
    let mut out = Vec::new();
    for pem in pems {
        for cert in source::load_certificates(pem.as_bytes())? {
            out.push(cert.der().to_vec());
        }
    }
    Ok(out)
}

impl Registry {
    /// Opens the registry in `dir` (created if absent; an absent file is an empty registry).
    pub fn open(dir: &Path) -> Result<Registry, KeysError> {
        fs::create_dir_all(dir)?;
        let path = dir.join(REGISTRY_FILE);
        let records = match fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
            Ok(m) if m.len() > MAX_REGISTRY_SIZE => {
                return Err(registry_err(format!(
                    "{} is larger than {MAX_REGISTRY_SIZE} bytes",
                    path.display()
                )))
            }
            Ok(_) => {
                let file: RegistryFile = serde_json::from_slice(&fs::read(&path)?)
                    .map_err(|e| registry_err(format!("{}: {e}", path.display())))?;
                if file.version != REGISTRY_VERSION {
                    return Err(registry_err(format!("unknown version {}", file.version)));
                }
                file.keys
            }
        };
        Ok(Registry {
            dir: dir.to_path_buf(),
            records,
        })
    }

    /// The keys directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every record, in creation order.
    pub fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Result<&KeyRecord, KeysError> {
        self.records
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| KeysError::NotFound(format!("no key {id}")))
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut KeyRecord, KeysError> {
        self.records
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| KeysError::NotFound(format!("no key {id}")))
    }

    /// The signer's active key, if any.
    pub fn active(&self, signer: &str) -> Option<&KeyRecord> {
        self.records
            .iter()
            .find(|r| r.signer == signer && r.state == KeyState::Active)
    }

    /// Writes the registry atomically (temporary file, fsync, rename, directory fsync).
    pub fn save(&self) -> Result<(), KeysError> {
        let json = serde_json::to_vec_pretty(&RegistryFile {
            version: REGISTRY_VERSION,
            keys: self.records.clone(),
        })
        .map_err(registry_err)?;
        let path = self.dir.join(REGISTRY_FILE);
        let tmp = self
            .dir
            .join(format!(".{REGISTRY_FILE}.{}.tmp", new_key_id()?));
        let result = (|| -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(result?)
    }

    /// Records a new pending key and saves the registry.
    fn add_pending(
        &mut self,
        signer: &str,
        kind: KeyKind,
        storage: KeyStorage,
        id: String,
        public_key_sha256: String,
        now: i64,
    ) -> Result<&KeyRecord, KeysError> {
        self.records.push(KeyRecord {
            id,
            signer: signer.to_owned(),
            state: KeyState::Pending,
            algorithm: algorithm_for(kind).name().to_owned(),
            storage,
            public_key_sha256,
            certificate: None,
            chain: Vec::new(),
            certificate_sha256: None,
            not_after: None,
            created: now,
            activated: None,
            retired: None,
            compromised: None,
        });
        self.save()?;
        self.records
            .last()
            .ok_or_else(|| registry_err("record vanished"))
    }

    /// Generates a key for `signer` into an encrypted file of the keys directory (the
    /// passphrase read from `passphrase`) and records it as pending.
    pub fn generate_file_key(
        &mut self,
        signer: &str,
        kind: KeyKind,
        passphrase: SecretSource,
        cost: ScryptCost,
        now: i64,
    ) -> Result<&KeyRecord, KeysError> {
        let id = new_key_id()?;
        let key = generate_key(kind)?;
        let pem = encrypt_private_key(&key, &passphrase.read()?, cost)?;
        let file = format!("{id}.p8.pem");
        write_private(&self.dir.join(&file), pem.as_bytes())?;
        let public_key_sha256 = spki_sha256(&key)?;
        self.add_pending(
            signer,
            kind,
            KeyStorage::File { file, passphrase },
            id,
            public_key_sha256,
            now,
        )
    }

    /// Generates a key pair for `signer` inside the token and records it as pending. The
    /// token object's label is `kyso-<key id>`.
    pub fn generate_token_key(
        &mut self,
        signer: &str,
        kind: KeyKind,
        token: TokenConfig,
        now: i64,
    ) -> Result<&KeyRecord, KeysError> {
        let id = new_key_id()?;
        let label = format!("kyso-{id}");
        let public = Token::open(&token)?.generate(kind, &label)?;
        let public_key_sha256 = spki_sha256(&public)?;
        self.add_pending(
            signer,
            kind,
            KeyStorage::Pkcs11 { token, label },
            id,
            public_key_sha256,
            now,
        )
    }

    /// Opens the key of record `id` for signing, with its certificate when imported (an empty
    /// `certificate` otherwise: enough to sign a certificate request).
    pub fn load_signer(&self, id: &str) -> Result<LoadedSigner, KeysError> {
        let record = self.get(id)?;
        let algorithm = SignatureAlgorithm::from_name(&record.algorithm)
            .ok_or_else(|| registry_err(format!("unknown algorithm {}", record.algorithm)))?;
        let (signer, public_key): (Box<dyn RawSigner + Send + Sync>, PKey<Public>) =
            match &record.storage {
                KeyStorage::File { file, passphrase } => {
                    let key = read_key_file(&self.dir.join(file), &passphrase.read()?)?;
                    let public = PKey::public_key_from_der(&key.public_key_to_der()?)?;
                    (Box::new(PKeySigner::new(key, algorithm)?), public)
                }
                KeyStorage::Pkcs11 { token, label } => {
                    let signer = Token::open(token)?.signer(label)?;
                    if signer.algorithm() != algorithm {
                        return Err(registry_err(format!(
                            "the token key {label} does not sign with {}",
                            record.algorithm
                        )));
                    }
                    let public = signer.public_key().clone();
                    (Box::new(signer), public)
                }
            };
        if spki_sha256(&public_key)? != record.public_key_sha256 {
            return Err(registry_err(format!(
                "the stored key of {id} is not the one recorded (public key hash differs)"
            )));
        }
        let certificate = match &record.certificate {
            Some(pem) => pem_to_der(std::slice::from_ref(pem))?
                .into_iter()
                .next()
                .ok_or_else(|| registry_err("the recorded certificate is empty"))?,
            None => Vec::new(),
        };
        Ok(LoadedSigner {
            key_id: record.id.clone(),
            signer,
            public_key,
            certificate,
            chain: pem_to_der(&record.chain)?,
        })
    }

    /// Records the certificate of a pending key after [`super::check_registration`] passed.
    pub fn import_certificate(
        &mut self,
        id: &str,
        certificate_pem: String,
        chain_pem: Vec<String>,
        registration: &Registration,
    ) -> Result<(), KeysError> {
        let record = self.get_mut(id)?;
        if record.state != KeyState::Pending {
            return Err(KeysError::Registration(format!(
                "key {id} is {}: only a pending key takes a certificate",
                record.state
            )));
        }
        record.certificate = Some(certificate_pem);
        record.chain = chain_pem;
        record.certificate_sha256 = Some(registration.certificate_sha256.clone());
        record.not_after = Some(registration.not_after.unix_timestamp());
        self.save()
    }

    /// Makes `id` its signer's active key at `now` and retires the previous active key in
    /// the same write. Returns the retired key's id. The key needs an imported certificate
    /// that has not expired.
    pub fn activate(&mut self, id: &str, now: i64) -> Result<Option<String>, KeysError> {
        let record = self.get(id)?;
        match record.not_after {
            None => {
                return Err(KeysError::Registration(format!(
                    "key {id} has no certificate yet: import one first"
                )))
            }
            Some(end) if end < now => {
                return Err(KeysError::Registration(format!(
                    "the certificate of key {id} has expired"
                )))
            }
            Some(_) => {}
        }
        if !record.state.can_become(KeyState::Active) {
            return Err(KeysError::Transition {
                id: id.to_owned(),
                from: record.state.name(),
                to: KeyState::Active.name(),
            });
        }
        let signer = record.signer.clone();
        let previous = self.active(&signer).map(|r| r.id.clone());
        let mut next = self.records.clone();
        for r in &mut next {
            if Some(&r.id) == previous.as_ref() {
                r.transition(KeyState::Retired, now)?;
            } else if r.id == id {
                r.transition(KeyState::Active, now)?;
            }
        }
        let before = std::mem::replace(&mut self.records, next);
        if let Err(e) = self.save() {
            self.records = before;
            return Err(e);
        }
        Ok(previous)
    }

    /// Moves `id` to `state` (retired or compromised) at `now`.
    pub fn set_state(&mut self, id: &str, state: KeyState, now: i64) -> Result<(), KeysError> {
        if state == KeyState::Active {
            return self.activate(id, now).map(|_| ());
        }
        let before = self.records.clone();
        self.get_mut(id)?.transition(state, now)?;
        if let Err(e) = self.save() {
            self.records = before;
            return Err(e);
        }
        Ok(())
    }
}

/// Writes a file readable by its owner only, refusing to overwrite.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), KeysError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::keys::file::TEST_COST;

    fn with_cert(reg: &mut Registry, id: &str, not_after: i64) {
        let r = reg.get_mut(id).expect("record");
        r.certificate_sha256 = Some("00".into());
        r.not_after = Some(not_after);
    }

    #[test]
    fn rotation_retires_the_previous_key_in_one_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::env::set_var("KYSO_TEST_REGISTRY_PASS", "pass phrase");
        let pass = SecretSource::Env("KYSO_TEST_REGISTRY_PASS".into());
        let mut reg = Registry::open(dir.path()).expect("open");
        let a = reg
            .generate_file_key("agency", KeyKind::EcP256, pass.clone(), TEST_COST, 10)
            .expect("a")
            .id
            .clone();
        let b = reg
            .generate_file_key("agency", KeyKind::EcP256, pass, TEST_COST, 11)
            .expect("b")
            .id
            .clone();
        assert!(reg.activate(&a, 12).is_err(), "no certificate yet");
        with_cert(&mut reg, &a, 1_000);
        with_cert(&mut reg, &b, 1_000);
        assert_eq!(reg.activate(&a, 12).expect("activate a"), None);
        assert_eq!(reg.activate(&b, 13).expect("rotate"), Some(a.clone()));
        let on_disk = Registry::open(dir.path()).expect("reopen");
        assert_eq!(on_disk.get(&a).expect("a").state, KeyState::Retired);
        assert_eq!(on_disk.get(&b).expect("b").state, KeyState::Active);
        assert_eq!(
            on_disk.active("agency").map(|r| r.id.clone()),
            Some(b.clone())
        );
        assert!(reg.activate(&a, 14).is_err(), "a retired key stays retired");
        let loaded = on_disk.load_signer(&b).expect("load");
        assert_eq!(
            loaded.signer.algorithm(),
            SignatureAlgorithm::EcdsaP256Sha256
        );
        let text = fs::read_to_string(dir.path().join(REGISTRY_FILE)).expect("read");
        assert!(!text.contains("pass phrase"));
        assert!(!text.contains("PRIVATE KEY"));
    }

    #[test]
    fn an_expired_certificate_cannot_be_activated() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::env::set_var("KYSO_TEST_REGISTRY_PASS2", "x");
        let mut reg = Registry::open(dir.path()).expect("open");
        let a = reg
            .generate_file_key(
                "agency",
                KeyKind::EcP256,
                SecretSource::Env("KYSO_TEST_REGISTRY_PASS2".into()),
                TEST_COST,
                10,
            )
            .expect("a")
            .id
            .clone();
        with_cert(&mut reg, &a, 100);
        assert!(reg.activate(&a, 101).is_err());
        assert_eq!(reg.get(&a).expect("a").state, KeyState::Pending);
    }
}

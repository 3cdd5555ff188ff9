//! Private keys in files, encrypted at rest: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3) with
//! PBES2 (RFC 8018 §6.2), the scrypt key-derivation function (RFC 7914) and AES-256-CBC. The
//! file is PEM (`ENCRYPTED PRIVATE KEY`), so `openssl pkey` reads it as well.

use std::path::Path;

use openssl::pkey::{PKey, Private};
use pkcs8::der::Decode as _;
use pkcs8::pkcs5::{pbes2, scrypt};
use zeroize::Zeroizing;

use super::error::KeysError;
use super::KeyKind;
use crate::pki::demo::{Entropy as _, OpenSslEntropy};

/// Largest key file read: an encrypted RSA-4096 key in PEM is about 3.5 KB.
pub const MAX_KEY_FILE_SIZE: u64 = 64 * 1024;

/// scrypt cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScryptCost {
    /// log2 of the CPU/memory cost N.
    pub log_n: u8,
    /// Block size r.
    pub r: u32,
    /// Parallelism p.
    pub p: u32,
}

impl ScryptCost {
    /// N = 2^14, r = 8, p = 4. Memory is 128·r·N = 16 MiB, the most that OpenSSL's default
    /// scrypt limit (32 MiB, counting its working buffers) lets `openssl pkey` decrypt; p = 4
    /// quadruples the work of each guess without raising memory (RFC 7914 §2: p scales the
    /// cost linearly). About a quarter of a second per attempt on one core here.
    pub const STANDARD: ScryptCost = ScryptCost {
        log_n: 14,
        r: 8,
        p: 4,
    };
}

/// Length of the scrypt salt: 128 bits, ample against precomputation (RFC 8018 §4.1).
const SALT_LEN: usize = 16;

fn key_file_err(why: impl std::fmt::Display) -> KeysError {
    KeysError::KeyFile(why.to_string())
}

/// A fresh key of the given kind from OpenSSL's CSPRNG.
pub fn generate_key(kind: KeyKind) -> Result<PKey<Private>, KeysError> {
    OpenSslEntropy
        .key(kind)
        .map_err(|e| KeysError::KeyFile(e.to_string()))
}

/// The PEM of `key` encrypted under `passphrase`.
pub fn encrypt_private_key(
    key: &PKey<Private>,
    passphrase: &str,
    cost: ScryptCost,
) -> Result<Zeroizing<String>, KeysError> {
    let der = Zeroizing::new(key.private_key_to_pkcs8()?);
    let info = pkcs8::PrivateKeyInfo::from_der(&der).map_err(key_file_err)?;
    let mut salt = [0u8; SALT_LEN];
    let mut iv = [0u8; 16];
    openssl::rand::rand_bytes(&mut salt)?;
    openssl::rand::rand_bytes(&mut iv)?;
    let params = scrypt::Params::new(cost.log_n, cost.r, cost.p, scrypt::Params::RECOMMENDED_LEN)
        .map_err(key_file_err)?;
    let pbes2 = pbes2::Parameters::scrypt_aes256cbc(params, &salt, &iv).map_err(key_file_err)?;
    let encrypted = info
        .encrypt_with_params(pbes2, passphrase.as_bytes())
        .map_err(key_file_err)?;
    let pem = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
        .map_err(key_file_err)?;
    Ok(pem)
}

/// Decrypts an encrypted PKCS#8 key (PEM or DER) with `passphrase`. Only encrypted keys are
/// accepted, so a key stored in clear by mistake is refused rather than used.
pub fn decrypt_key_file(data: &[u8], passphrase: &str) -> Result<PKey<Private>, KeysError> {
    let is_encrypted_pem = data
        .windows(b"ENCRYPTED PRIVATE KEY".len())
        .any(|w| w == b"ENCRYPTED PRIVATE KEY");
    let key = if is_encrypted_pem {
        PKey::private_key_from_pem_passphrase(data, passphrase.as_bytes())
    } else {
        pkcs8::EncryptedPrivateKeyInfo::from_der(data)
            .map_err(|_| key_file_err("not an encrypted PKCS#8 key (RFC 5958 §3)"))?;
        PKey::private_key_from_pkcs8_passphrase(data, passphrase.as_bytes())
    };
    key.map_err(|_| key_file_err("wrong passphrase or damaged key file"))
}

/// Reads and decrypts the key file at `path`.
pub fn read_key_file(path: &Path, passphrase: &str) -> Result<PKey<Private>, KeysError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_KEY_FILE_SIZE {
        return Err(key_file_err(format!(
            "{}: larger than {MAX_KEY_FILE_SIZE} bytes",
            path.display()
        )));
    }
    let data = Zeroizing::new(std::fs::read(path)?);
    decrypt_key_file(&data, passphrase)
}

/// A cheap cost so unit tests stay fast; the format is the same.
#[cfg(test)]
pub(super) const TEST_COST: ScryptCost = ScryptCost {
    log_n: 10,
    r: 8,
    p: 1,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_passphrase() {
        let key = generate_key(KeyKind::EcP256).expect("key");
        let pem = encrypt_private_key(&key, "mật khẩu", TEST_COST).expect("encrypt");
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let back = decrypt_key_file(pem.as_bytes(), "mật khẩu").expect("decrypt");
        assert!(back.public_eq(&key));
        assert!(decrypt_key_file(pem.as_bytes(), "wrong").is_err());
    }

    #[test]
    fn a_key_in_clear_is_refused() {
        let key = generate_key(KeyKind::EcP256).expect("key");
        let clear = key.private_key_to_pem_pkcs8().expect("pem");
        assert!(decrypt_key_file(&clear, "x").is_err());
        let der = key.private_key_to_pkcs8().expect("der");
        assert!(decrypt_key_file(&der, "x").is_err());
    }
}

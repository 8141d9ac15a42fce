//! Seeds at rest: AES-256-GCM with the device's serial number as associated data (security
//! rule 15), so a ciphertext moved to another device's row fails to decrypt. The key comes from
//! `MFA_RESYNC_KEY` or a key file created with mode 0600 beside the database; never from the
//! database.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use rand::TryRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// Why the key could not be loaded or a seed not decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key is not 32 bytes of base64 or hex.
    #[error("the key must be 32 bytes, base64 or hex encoded")]
    BadKey,
    /// The key file could not be read or created.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The key file can be read by others than its owner (security rule 30).
    #[error(
        "key file {path} has mode {mode:o}: others than its owner may read it; \
         make it private (chmod 600) and consider the key disclosed"
    )]
    KeyFileExposed {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Authentication failed: wrong key, or the row was tampered with or moved.
    #[error("a seed failed to decrypt (wrong key or tampered row)")]
    Decrypt,
    /// The OS random generator failed.
    #[error("the OS random generator failed")]
    Random,
}

/// `n` bytes from the operating system's random generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut buf = vec![0u8; n];
    rand::rngs::SysRng
        .try_fill_bytes(&mut buf)
        .map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// Encrypts and decrypts seeds.
pub struct SeedCipher {
    cipher: Aes256Gcm,
    /// Derived from the key, for [`SeedCipher::keyed_digest`].
    digest_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SeedCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeedCipher(..)")
    }
}

impl SeedCipher {
    /// From `MFA_RESYNC_KEY`'s value when given, else from `key_file`, creating it (mode 0600)
    /// with a fresh random key on first start.
    pub fn load(key_env: Option<&str>, key_file: &Path) -> Result<SeedCipher, CryptoError> {
        let key = match key_env {
            Some(text) => decode_key(text)?,
            None => read_or_create_key_file(key_file)?,
        };
        Ok(SeedCipher::from_key(&key))
    }

    /// From raw key bytes.
    pub fn from_key(key: &[u8; KEY_LEN]) -> SeedCipher {
        let mut derive = Sha256::new();
        derive.update(b"mfa-resync keyed digest\0");
        derive.update(key);
        SeedCipher {
            cipher: Aes256Gcm::new(&(*key).into()),
            digest_key: Zeroizing::new(derive.finalize().into()),
        }
    }

    /// `nonce || ciphertext+tag` of `seed`, bound to `serial`.
    pub fn encrypt(&self, serial: &str, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes(NONCE_LEN)?
            .try_into()
            .map_err(|_| CryptoError::Random)?;
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: seed,
                    aad: serial.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// A keyed SHA-256 (hex) of `data`: a stable database key for text that must not be stored
    /// as typed (an unknown sign-in name may be a password typed into the wrong field) and
    /// cannot be guessed back from the database alone.
    pub fn keyed_digest(&self, data: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(self.digest_key.as_slice());
        h.update(data);
        data_encoding::HEXLOWER.encode(&h.finalize())
    }

    /// The seed sealed by [`SeedCipher::encrypt`] for `serial`.
    pub fn decrypt(&self, serial: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if blob.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: serial.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }
}

fn decode_key(text: &str) -> Result<[u8; KEY_LEN], CryptoError> {
    let text = text.trim();
    let bytes = Zeroizing::new(
        HEXLOWER_PERMISSIVE
            .decode(text.as_bytes())
            .or_else(|_| BASE64.decode(text.as_bytes()))
            .map_err(|_| CryptoError::BadKey)?,
    );
    bytes.as_slice().try_into().map_err(|_| CryptoError::BadKey)
}

fn read_or_create_key_file(path: &Path) -> Result<[u8; KEY_LEN], CryptoError> {
    let io = |source| CryptoError::KeyFile {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            // Refused, not repaired: whoever could read it may have the seeds' key already.
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CryptoError::KeyFileExposed {
                    path: path.display().to_string(),
                    mode,
                });
            }
            decode_key(&text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; KEY_LEN] = random_bytes(KEY_LEN)?
                .try_into()
                .map_err(|_| CryptoError::Random)?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
            let text = Zeroizing::new(BASE64.encode(&key));
            file.write_all(text.as_bytes()).map_err(io)?;
            file.write_all(b"\n").map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_the_serial() {
        let c = SeedCipher::from_key(&[7; 32]);
        let blob = c.encrypt("GAHT1", b"0123456789abcdefghij").unwrap();
        assert!(!blob.windows(20).any(|w| w == b"0123456789abcdefghij"));
        assert_eq!(
            c.decrypt("GAHT1", &blob).unwrap().as_slice(),
            b"0123456789abcdefghij"
        );
        assert!(c.decrypt("GAHT2", &blob).is_err());
    }

    #[test]
    fn key_file_is_created_with_mode_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let a = SeedCipher::load(None, &path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let blob = a.encrypt("S", b"seed-seed-seed-seed!").unwrap();
        let b = SeedCipher::load(None, &path).unwrap();
        assert_eq!(
            b.decrypt("S", &blob).unwrap().as_slice(),
            b"seed-seed-seed-seed!"
        );
        assert!(SeedCipher::load(Some("00"), &path).is_err());
    }

    /// Security rule 30: a key file others may read is refused, whatever its content.
    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        SeedCipher::load(None, &path).unwrap();
        for mode in [0o640, 0o604, 0o644, 0o660, 0o666] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            match SeedCipher::load(None, &path) {
                Err(CryptoError::KeyFileExposed { mode: m, .. }) => assert_eq!(m, mode),
                other => panic!("mode {mode:o}: {:?}", other.map(|_| ())),
            }
        }
        for mode in [0o600, 0o400] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert!(SeedCipher::load(None, &path).is_ok(), "mode {mode:o}");
        }
    }
}

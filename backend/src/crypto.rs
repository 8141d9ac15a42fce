//! Secrets at rest: device seeds (security rule 15) and access-key secrets, each sealed with
//! AES-256-GCM under a key of its own purpose and bound to its account and row (rule 30), so a
//! ciphertext moved to another row, another account or the other purpose fails to decrypt.
//!
//! The keys: one master key of 32 bytes, from `MFA_RESYNC_KEY` or a key file created with mode
//! 0600 beside the database; never from the database. It is never used to seal anything
//! itself: each purpose has its own AES-256 subkey, HKDF-SHA256 of the master key (RFC 5869, no
//! salt: the master key is uniformly random) with the purpose's label as `info` —
//! `mfa-resync/v2/device-seed` and `mfa-resync/v2/access-key-secret`. The keyed digest
//! ([`SeedCipher::keyed_digest`]) has a key of its own too, SHA-256 of a label and the master
//! key (kept as it was: the sign-in throttle's rows are keyed by it).
//!
//! The associated data ([`Sealed`]): the purpose's label, a zero byte, then the account id and
//! the row's name (the serial number, or the access key id), each preceded by its length as 4
//! bytes big-endian, so no two different `Sealed` values have the same encoding. A blob is
//! `nonce (12 bytes) || ciphertext || tag (16 bytes)`, the nonce random.
//!
//! Rows sealed before migration 0007 (`seal_version` 1) were sealed with the master key itself
//! and the serial number or key id alone as associated data; [`migrate_sealed`], run by every
//! command at start, re-seals them in the current format.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use hkdf::Hkdf;
use rand::TryRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::storage::{Device, SealedRow, Storage};

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// Why the key could not be loaded or a seed not decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key is not 32 bytes of base64 or hex.
    #[error("MFA_RESYNC_KEY must be 32 bytes, base64 or hex encoded")]
    BadKey,
    /// The key file holds no key: truncated, or something else was written to it.
    #[error(
        "key file {path} does not hold a key (32 bytes, base64 or hex): truncated or corrupt? \
         Restore it from the backup; nothing was written"
    )]
    KeyFileInvalid {
        /// The file.
        path: String,
    },
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
    #[error("a sealed seed or secret failed to decrypt (wrong key or tampered row)")]
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

/// What a sealed value is and whose: its purpose chooses the subkey, and all of it is the
/// associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sealed<'a> {
    /// An MFA device's seed (`mfa_devices.seed`).
    DeviceSeed {
        /// The account the device belongs to.
        account_id: &'a str,
        /// The device's serial number.
        serial_number: &'a str,
    },
    /// An access key's secret (`access_keys.secret`).
    AccessKeySecret {
        /// The account of the key's owner.
        account_id: &'a str,
        /// `AKIA…`.
        access_key_id: &'a str,
    },
}

/// The purposes, each with its own subkey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    DeviceSeed,
    AccessKeySecret,
}

impl Purpose {
    /// The label: HKDF's `info` for the subkey and the start of the associated data.
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::DeviceSeed => b"mfa-resync/v2/device-seed",
            Purpose::AccessKeySecret => b"mfa-resync/v2/access-key-secret",
        }
    }
}

impl<'a> Sealed<'a> {
    /// What `device`'s stored seed is sealed as.
    pub fn seed_of(device: &'a Device) -> Sealed<'a> {
        Sealed::DeviceSeed {
            account_id: &device.account_id,
            serial_number: &device.serial_number,
        }
    }

    fn purpose(&self) -> Purpose {
        match self {
            Sealed::DeviceSeed { .. } => Purpose::DeviceSeed,
            Sealed::AccessKeySecret { .. } => Purpose::AccessKeySecret,
        }
    }

    /// The account and the row's name.
    fn parts(&self) -> (&str, &str) {
        match *self {
            Sealed::DeviceSeed {
                account_id,
                serial_number,
            } => (account_id, serial_number),
            Sealed::AccessKeySecret {
                account_id,
                access_key_id,
            } => (account_id, access_key_id),
        }
    }

    /// `label || 0 || len(account) || account || len(name) || name`, lengths as u32
    /// big-endian.
    fn associated_data(&self) -> Vec<u8> {
        let label = self.purpose().label();
        let (account, name) = self.parts();
        let mut ad = Vec::with_capacity(label.len() + 9 + account.len() + name.len());
        ad.extend_from_slice(label);
        ad.push(0);
        for part in [account, name] {
            // A serial number or key id is far below 4 GiB; saturating keeps this total.
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            ad.extend_from_slice(&len.to_be_bytes());
            ad.extend_from_slice(part.as_bytes());
        }
        ad
    }

    /// The first format's associated data (`seal_version` 1): the row's name alone.
    fn first_format_associated_data(&self) -> &[u8] {
        self.parts().1.as_bytes()
    }
}

/// Why the rows sealed in the first format could not be re-sealed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum SealMigrationError {
    /// Reading or writing the rows failed.
    #[error("re-sealing the stored seeds and secrets: {0}")]
    Database(#[from] sqlx::Error),
    /// A row did not open in the first format.
    #[error(
        "{what} does not decrypt with this key in the format before migration 0007: wrong key \
         (MFA_RESYNC_KEY or the key file) or a tampered row; nothing was re-sealed"
    )]
    FirstFormat {
        /// Which row.
        what: String,
    },
    /// Sealing anew failed.
    #[error("re-sealing the stored seeds and secrets: {0}")]
    Crypto(#[from] CryptoError),
}

/// Seals and opens device seeds and access-key secrets.
pub struct SeedCipher {
    /// The device seeds' subkey.
    device_seeds: Aes256Gcm,
    /// The access-key secrets' subkey.
    access_key_secrets: Aes256Gcm,
    /// The master key itself: only to open what was sealed in the first format
    /// ([`migrate_sealed`]), never to seal.
    first_format: Aes256Gcm,
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
        match SeedCipher::read(key_env, key_file)? {
            Some(cipher) => Ok(cipher),
            None => SeedCipher::create_key_file(key_file),
        }
    }

    /// From `MFA_RESYNC_KEY`'s value when given, else from `key_file`; `None` when there is no
    /// key file (yet). Reads only: a command checks this before it opens the database, so a
    /// bad key changes nothing.
    pub fn read(key_env: Option<&str>, key_file: &Path) -> Result<Option<SeedCipher>, CryptoError> {
        let key = match key_env {
            Some(text) => Zeroizing::new(decode_key(text)?),
            None => match read_key_file(key_file)? {
                Some(key) => key,
                None => return Ok(None),
            },
        };
        Ok(Some(SeedCipher::from_key(&key)))
    }

    /// A fresh random key in a new `key_file` (mode 0600): the first start on a database that
    /// holds nothing sealed.
    pub fn create_key_file(key_file: &Path) -> Result<SeedCipher, CryptoError> {
        Ok(SeedCipher::from_key(&*create_key_file(key_file)?))
    }

    /// From the master key's bytes.
    pub fn from_key(key: &[u8; KEY_LEN]) -> SeedCipher {
        let mut derive = Sha256::new();
        derive.update(b"mfa-resync keyed digest\0");
        derive.update(key);
        let hkdf = Hkdf::<Sha256>::new(None, key);
        let subkey = |purpose: Purpose| {
            let mut okm = Zeroizing::new([0u8; KEY_LEN]);
            hkdf.expand(purpose.label(), okm.as_mut_slice())
                .expect("32 bytes is a valid HKDF-SHA256 output length");
            Aes256Gcm::new(&(*okm).into())
        };
        SeedCipher {
            device_seeds: subkey(Purpose::DeviceSeed),
            access_key_secrets: subkey(Purpose::AccessKeySecret),
            first_format: Aes256Gcm::new(&(*key).into()),
            digest_key: Zeroizing::new(derive.finalize().into()),
        }
    }

    fn subkey(&self, purpose: Purpose) -> &Aes256Gcm {
        match purpose {
            Purpose::DeviceSeed => &self.device_seeds,
            Purpose::AccessKeySecret => &self.access_key_secrets,
        }
    }

    /// `nonce || ciphertext+tag` of `plain`, sealed as `what`.
    pub fn encrypt(&self, what: Sealed<'_>, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal(self.subkey(what.purpose()), &what.associated_data(), plain)
    }

    /// The value sealed by [`SeedCipher::encrypt`] as `what`.
    pub fn decrypt(
        &self,
        what: Sealed<'_>,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open(self.subkey(what.purpose()), &what.associated_data(), blob)
    }

    /// `blob`, sealed as `what` in the first format, sealed anew in the current one.
    fn reseal_first_format(&self, what: Sealed<'_>, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let plain = open(
            &self.first_format,
            what.first_format_associated_data(),
            blob,
        )?;
        self.encrypt(what, &plain)
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
}

fn seal(cipher: &Aes256Gcm, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes(NONCE_LEN)?
        .try_into()
        .map_err(|_| CryptoError::Random)?;
    let nonce = Nonce::from(nonce_bytes);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .map_err(|_| CryptoError::Decrypt)?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open(cipher: &Aes256Gcm, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if blob.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Decrypt);
    }
    let (nonce, sealed) = blob.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// Re-seals every device seed and access-key secret still sealed in the first format
/// (`seal_version` 1: the master key, the serial number or key id alone as associated data) in
/// the current one, and marks it 2; returns how many. One transaction: every such row is
/// re-sealed, or (a row that does not open: wrong key, tampered row) none is. Run by every
/// command after opening the database; a second run finds nothing to do.
pub async fn migrate_sealed(
    storage: &Storage,
    cipher: &SeedCipher,
) -> Result<usize, SealMigrationError> {
    storage
        .reseal_first_format(|row| {
            let (what, blob, name) = sealed_row(row);
            cipher.reseal_first_format(what, blob).map_err(|e| match e {
                CryptoError::Decrypt => SealMigrationError::FirstFormat { what: name },
                other => SealMigrationError::Crypto(other),
            })
        })
        .await
}

/// Why the key does not fit the database. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    /// Reading the rows failed.
    #[error("checking the key against the database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row does not open with this key.
    #[error(
        "the key does not match this database: {what} does not decrypt with it. Is \
         MFA_RESYNC_KEY or the key file another database's? Nothing was written"
    )]
    Mismatch {
        /// Which row.
        what: String,
    },
    /// There is no key, but the database holds sealed rows: a new key would open none of them.
    #[error(
        "the key file {path} is missing, but the database holds sealed seeds or secrets: \
         restore the key file (or set MFA_RESYNC_KEY); nothing was written"
    )]
    Missing {
        /// The key file looked for.
        path: String,
    },
}

/// The key a command starts with — `read`, what [`SeedCipher::read`] found before the database
/// was opened — checked against the database (security rule 30 and issue 14): a key that does
/// not open its sealed rows, or no key file beside a database that holds sealed rows, stops the
/// command before it writes anything. A key file is created only for a database with nothing
/// sealed yet (its first start).
pub async fn key_for(
    storage: &Storage,
    read: Option<SeedCipher>,
    key_file: &Path,
) -> Result<SeedCipher, KeyStartError> {
    let cipher = match read {
        Some(cipher) => cipher,
        None if storage
            .holds_sealed_rows()
            .await
            .map_err(KeyCheckError::from)? =>
        {
            return Err(KeyCheckError::Missing {
                path: key_file.display().to_string(),
            }
            .into());
        }
        None => SeedCipher::create_key_file(key_file)?,
    };
    check_key(storage, &cipher).await?;
    Ok(cipher)
}

/// Why a command could not start with its key.
#[derive(Debug, thiserror::Error)]
pub enum KeyStartError {
    /// The key does not fit the database.
    #[error(transparent)]
    Check(#[from] KeyCheckError),
    /// The key file could not be created.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Opens one current-format seed and one access-key secret of the database, if it has any.
pub async fn check_key(storage: &Storage, cipher: &SeedCipher) -> Result<(), KeyCheckError> {
    storage
        .check_sealed_samples(|row| {
            let (what, blob, name) = sealed_row(row);
            match cipher.decrypt(what, blob) {
                Ok(_) => Ok(()),
                Err(_) => Err(KeyCheckError::Mismatch { what: name }),
            }
        })
        .await
}

/// A stored sealed row as what it was sealed for, its blob, and its name for a person.
fn sealed_row(row: SealedRow<'_>) -> (Sealed<'_>, &[u8], String) {
    match row {
        SealedRow::DeviceSeed {
            account_id,
            serial_number,
            seed,
        } => (
            Sealed::DeviceSeed {
                account_id,
                serial_number,
            },
            seed,
            format!("the seed of device {serial_number} (account {account_id})"),
        ),
        SealedRow::AccessKeySecret {
            account_id,
            access_key_id,
            secret,
        } => (
            Sealed::AccessKeySecret {
                account_id,
                access_key_id,
            },
            secret,
            format!("the secret of access key {access_key_id} (account {account_id})"),
        ),
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

/// The key in `path`; `None` when the file does not exist.
fn read_key_file(path: &Path) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, CryptoError> {
    let io = |source| CryptoError::KeyFile {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            // Refused, not repaired: whoever could read it may have the seeds' key already.
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CryptoError::KeyFileExposed {
                    path: path.display().to_string(),
                    mode,
                });
            }
            let bytes = Zeroizing::new(bytes);
            let invalid = || CryptoError::KeyFileInvalid {
                path: path.display().to_string(),
            };
            let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
            decode_key(text)
                .map(|k| Some(Zeroizing::new(k)))
                .map_err(|_| invalid())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(e)),
    }
}

/// A new key file at `path` (mode 0600, created only if absent) with a fresh random key.
fn create_key_file(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let io = |source| CryptoError::KeyFile {
        path: path.display().to_string(),
        source,
    };
    let key: [u8; KEY_LEN] = random_bytes(KEY_LEN)?
        .try_into()
        .map_err(|_| CryptoError::Random)?;
    let key = Zeroizing::new(key);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    let text = Zeroizing::new(BASE64.encode(key.as_slice()));
    file.write_all(text.as_bytes()).map_err(io)?;
    file.write_all(b"\n").map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = b"0123456789abcdefghij";

    fn seed(account_id: &'static str, serial_number: &'static str) -> Sealed<'static> {
        Sealed::DeviceSeed {
            account_id,
            serial_number,
        }
    }

    fn secret(account_id: &'static str, access_key_id: &'static str) -> Sealed<'static> {
        Sealed::AccessKeySecret {
            account_id,
            access_key_id,
        }
    }

    /// Seals as the first format did: the master key, the row's name alone as associated data.
    fn first_format(key: &[u8; 32], name: &str, plain: &[u8]) -> Vec<u8> {
        seal(&Aes256Gcm::new(&(*key).into()), name.as_bytes(), plain).unwrap()
    }

    #[test]
    fn round_trips_and_binds_purpose_account_and_row() {
        let c = SeedCipher::from_key(&[7; 32]);
        let blob = c.encrypt(seed("111122223333", "GAHT1"), SEED).unwrap();
        assert!(!blob.windows(SEED.len()).any(|w| w == SEED));
        assert_eq!(
            c.decrypt(seed("111122223333", "GAHT1"), &blob)
                .unwrap()
                .as_slice(),
            SEED
        );
        // Security rule 30: another row, another account, the other purpose.
        for other in [
            seed("111122223333", "GAHT2"),
            seed("444455556666", "GAHT1"),
            secret("111122223333", "GAHT1"),
        ] {
            assert!(c.decrypt(other, &blob).is_err(), "{other:?}");
        }
        let key = c
            .encrypt(secret("111122223333", "AKIAEXAMPLE"), SEED)
            .unwrap();
        assert_eq!(
            c.decrypt(secret("111122223333", "AKIAEXAMPLE"), &key)
                .unwrap()
                .as_slice(),
            SEED
        );
        for other in [
            secret("111122223333", "AKIAOTHER"),
            secret("444455556666", "AKIAEXAMPLE"),
            seed("111122223333", "AKIAEXAMPLE"),
        ] {
            assert!(c.decrypt(other, &key).is_err(), "{other:?}");
        }
        // Another master key opens nothing.
        let other_key = SeedCipher::from_key(&[8; 32]);
        assert!(
            other_key
                .decrypt(seed("111122223333", "GAHT1"), &blob)
                .is_err()
        );
    }

    /// The associated data is length-prefixed: moving a boundary between account and serial
    /// number gives another associated data.
    #[test]
    fn the_associated_data_is_unambiguous() {
        let c = SeedCipher::from_key(&[7; 32]);
        assert_ne!(
            seed("ab", "c").associated_data(),
            seed("a", "bc").associated_data()
        );
        assert_ne!(
            seed("a", "b").associated_data(),
            secret("a", "b").associated_data()
        );
        let blob = c.encrypt(seed("ab", "c"), SEED).unwrap();
        assert!(c.decrypt(seed("a", "bc"), &blob).is_err());
        assert_eq!(
            seed("a", "bc").associated_data(),
            b"mfa-resync/v2/device-seed\0\0\0\0\x01a\0\0\0\x02bc"
        );
    }

    /// Each purpose has its own subkey: the master key itself opens nothing sealed now, even
    /// with the right associated data.
    #[test]
    fn the_master_key_seals_nothing_itself() {
        let key = [7; 32];
        let c = SeedCipher::from_key(&key);
        let what = seed("111122223333", "GAHT1");
        let blob = c.encrypt(what, SEED).unwrap();
        let master = Aes256Gcm::new(&key.into());
        assert!(open(&master, &what.associated_data(), &blob).is_err());
        assert!(open(&master, b"GAHT1", &blob).is_err());
        assert!(open(&c.access_key_secrets, &what.associated_data(), &blob).is_err());
    }

    /// A first-format blob does not open as a current one, and is re-sealed for its row only;
    /// a current blob is not mistaken for a first-format one.
    #[test]
    fn first_format_blobs_are_resealed_for_their_row() {
        let key = [7; 32];
        let c = SeedCipher::from_key(&key);
        let what = seed("111122223333", "GAHT1");
        let old = first_format(&key, "GAHT1", SEED);
        assert!(c.decrypt(what, &old).is_err());
        let new = c.reseal_first_format(what, &old).unwrap();
        assert_ne!(new, old);
        assert_eq!(c.decrypt(what, &new).unwrap().as_slice(), SEED);
        assert!(c.reseal_first_format(what, &new).is_err());
        assert!(
            c.reseal_first_format(seed("111122223333", "GAHT2"), &old)
                .is_err()
        );
        let old_key = first_format(&key, "AKIAEXAMPLE", SEED);
        let what = secret("111122223333", "AKIAEXAMPLE");
        let new_key = c.reseal_first_format(what, &old_key).unwrap();
        assert_eq!(c.decrypt(what, &new_key).unwrap().as_slice(), SEED);
        assert!(
            c.decrypt(seed("111122223333", "AKIAEXAMPLE"), &new_key)
                .is_err()
        );
    }

    #[test]
    fn key_file_is_created_with_mode_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let a = SeedCipher::load(None, &path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let blob = a.encrypt(seed("1", "S"), b"seed-seed-seed-seed!").unwrap();
        let b = SeedCipher::load(None, &path).unwrap();
        assert_eq!(
            b.decrypt(seed("1", "S"), &blob).unwrap().as_slice(),
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

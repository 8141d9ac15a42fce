//! Passwords: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1), security
//! rule 16. Hashing runs on the blocking pool: it takes tens of milliseconds.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use zeroize::Zeroizing;

use crate::error::Error;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    /// A hash of a random password, verified when the user does not exist so an unknown user
    /// costs the same time as a wrong password.
    dummy_hash: String,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passwords(argon2id)")
    }
}

impl Passwords {
    /// argon2id with m = 19 MiB, t = 2, p = 1.
    pub fn new() -> Result<Passwords, Error> {
        let params = Params::new(19 * 1024, 2, 1, None)
            .map_err(|e| Error::Internal(format!("argon2 params: {e}")))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let random = crate::crypto::random_bytes(16).map_err(Error::internal)?;
        let dummy_hash = argon
            .hash_password(&random)
            .map_err(|e| Error::Internal(format!("argon2: {e}")))?
            .to_string();
        Ok(Passwords { argon, dummy_hash })
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let argon = self.argon.clone();
        let password = Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2: {e}")))
        })
        .await
        .map_err(Error::internal)?
    }

    /// Whether `password` matches `hash`; `None` verifies against a dummy and returns false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, Error> {
        let argon = self.argon.clone();
        let password = Zeroizing::new(password.to_owned());
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy_hash.clone(), false),
        };
        let ok = tokio::task::spawn_blocking(move || {
            argon
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .map_err(Error::internal)?;
        Ok(ok && real)
    }
}

/// Checks a new password: 8–128 characters.
pub fn validate_new(password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(Error::Validation(
            "A password must have 8 to 128 characters.".into(),
        ));
    }
    Ok(())
}

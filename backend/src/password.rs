//! Passwords: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1), security
//! rule 16. Hashing runs on the blocking pool: it takes tens of milliseconds.
//!
//! Each hash holds 19 MiB while it runs, so the hashes running at once are bounded by a
//! memory budget (security rule 24): a request waits at most [`QUEUE`] for a slot, then gets
//! `ServiceUnavailable` with `Retry-After` — unknown-name sign-ins cannot make the server
//! allocate without limit. The slot is held by the hashing itself, so a cancelled request
//! frees it only when its hash is done.

use std::sync::Arc;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zeroize::Zeroizing;

use crate::error::Error;

/// The memory one argon2id hash holds (m = 19 MiB).
pub const MIB_PER_HASH: usize = 19;
/// The default budget for hashes running at once: 12 of them (228 MiB), so that with the
/// allocator's own overhead the server stays within 256 MiB of password work.
pub const DEFAULT_MEMORY_MIB: usize = 240;
/// How long a request waits for a hashing slot before it is answered 503.
pub const QUEUE: Duration = Duration::from_secs(2);

/// Makes the allocator give a hash's 19 MiB back to the operating system when the hash ends.
///
/// glibc's malloc raises its mmap threshold after the first large block is freed, so later
/// 19 MiB blocks come from per-thread heaps that keep the memory: measured here, 96 concurrent
/// sign-ins left the server 1.5 GiB larger even with 13 hashes at a time (241 MiB with one).
/// A fixed threshold (glibc's default 128 KiB, set explicitly, which also turns the raising
/// off) keeps every block mapped on its own and unmapped when freed: 251 MiB for the same
/// 96. The binary calls this once at start; elsewhere it does nothing.
///
/// A fixed mmap threshold also fixes the trim threshold, which glibc otherwise raises with it,
/// at its default 128 KiB: every request's frees then left more than that at the top of a
/// thread's heap, and glibc gave it back (`madvise`) only to fault it in again on the next
/// request — ~2.5 `madvise` calls per resync, with their page faults and TLB shootdowns, ~15 %
/// of the server's CPU per resync on the benchmark (`backend/examples/load/`: 487–493 µs,
/// 432–443 µs with [`TRIM_THRESHOLD`], measured in alternation on a busy machine). Small blocks are kept up to
/// it; the hashes' blocks are still mapped and unmapped on their own.
pub fn return_hash_memory_after_each_hash() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc parameter; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

/// Free memory a heap keeps at its top before glibc returns it to the kernel.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 16 * 1024 * 1024;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    /// One permit per hash that may run at once.
    slots: Arc<Semaphore>,
    /// How long to wait for one.
    queue: Duration,
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
    /// argon2id with m = 19 MiB, t = 2, p = 1, within [`DEFAULT_MEMORY_MIB`].
    pub fn new() -> Result<Passwords, Error> {
        Passwords::with_budget(DEFAULT_MEMORY_MIB, QUEUE)
    }

    /// As [`Passwords::new`], with `memory_mib` for the hashes running at once (at least one
    /// runs) and `queue` the longest wait for a slot.
    pub fn with_budget(memory_mib: usize, queue: Duration) -> Result<Passwords, Error> {
        let params = Params::new(19 * 1024, 2, 1, None)
            .map_err(|e| Error::Internal(format!("argon2 params: {e}")))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let random = crate::crypto::random_bytes(16).map_err(Error::internal)?;
        let dummy_hash = argon
            .hash_password(&random)
            .map_err(|e| Error::Internal(format!("argon2: {e}")))?
            .to_string();
        let slots = Arc::new(Semaphore::new((memory_mib / MIB_PER_HASH).max(1)));
        Ok(Passwords {
            argon,
            slots,
            queue,
            dummy_hash,
        })
    }

    /// How many hashes could start now (all of the budget's slots while none runs).
    pub fn free_slots(&self) -> usize {
        self.slots.available_permits()
    }

    /// A hashing slot, or `Busy` after waiting [`QUEUE`] for one. Public so that tests can
    /// occupy the slots and see what a full server answers.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, Error> {
        let wait = self.slots.clone().acquire_owned();
        match tokio::time::timeout(self.queue, wait).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(Error::Busy { retry_after: 1 }),
        }
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let slot = self.slot().await?;
        let argon = self.argon.clone();
        let password = Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            argon
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2: {e}")))
        })
        .await
        .map_err(Error::internal)?
    }

    /// Whether `password` matches `hash`; `None` verifies against a dummy and returns false.
    /// Runs in `slot` ([`Passwords::slot`]), taken before the attempt is counted: a request the
    /// server is too busy to evaluate is answered 503 and counts as no failure.
    pub async fn verify(
        &self,
        slot: OwnedSemaphorePermit,
        password: &str,
        hash: Option<&str>,
    ) -> Result<bool, Error> {
        let argon = self.argon.clone();
        let password = Zeroizing::new(password.to_owned());
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy_hash.clone(), false),
        };
        let ok = tokio::task::spawn_blocking(move || {
            let _slot = slot;
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

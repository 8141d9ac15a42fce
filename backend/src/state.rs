//! What every action shares: the database, the seed cipher, password hashing, the limits and
//! the clock. Nothing here knows HTTP.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::SeedCipher;
use crate::password::Passwords;
use crate::storage::Storage;

/// The server's shared state; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub storage: Storage,
    /// Seed encryption.
    pub cipher: Arc<SeedCipher>,
    /// Password hashing.
    pub passwords: Passwords,
    /// Limits.
    pub settings: Arc<Settings>,
    /// The time every decision is made at.
    pub clock: Clock,
}

//! What every request handler and action shares.

use std::sync::Arc;

use crate::config::Settings;
use crate::crypto::SeedCipher;
use crate::headers::WebAssets;
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
    /// The built single-page app, when served.
    pub web: Option<Arc<WebAssets>>,
}

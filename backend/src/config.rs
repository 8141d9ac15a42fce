//! Tunable limits of the server, with the documented defaults.

/// Limits that decide what is accepted. The defaults are the documented ones (docs/api.md).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Resync searches this many TOTP steps each side of now (default ±2880 = ±24 h).
    pub resync_window: u64,
    /// HOTP resync looks this many counters ahead of the stored one.
    pub hotp_lookahead: u64,
    /// EnableMFADevice accepts a pair whose second code is within this many steps of now.
    pub enable_window: u64,
    /// A session unused this long expires (30 min).
    pub session_idle_ms: i64,
    /// A session expires this long after sign-in whatever happens (12 h).
    pub session_absolute_ms: i64,
    /// A password-only session lives this long (10 min, security rule 12).
    pub password_only_ms: i64,
    /// Origins besides the server's own allowed to make state changes (e.g. `trunk serve`'s).
    pub allowed_origins: Vec<String>,
    /// The origins the server is reached at (`http://127.0.0.1:8080`, `https://mfa.example`):
    /// the browser API answers only requests whose `Host` is one of theirs (or of
    /// `allowed_origins`), and a state change's `Origin` must be one of them (security rule
    /// 28). Set by `serve` (`--public-url`, else the listen address and its loopback names);
    /// empty for a router built without a listener (in-process tests), where `Origin` is
    /// compared with `Host` instead.
    pub public_origins: Vec<String>,
    /// Devices an account may hold, assigned or not (security rule 27; AWS's quota of virtual
    /// devices equals its default user quota, 5000).
    pub max_devices_per_account: i64,
    /// Unassigned virtual devices a principal other than root may have created and not yet
    /// enabled (rule 27): as many as it may have assigned, eight.
    pub max_unassigned_per_creator: i64,
    /// Browsers reach the server over HTTPS: it serves TLS itself (`serve --tls-cert`), or
    /// every `--public-url` is `https://` (a TLS-terminating proxy). Then the session cookie is
    /// `__Host-mfa_resync_session` and every response carries HSTS (security rules 17 and 30).
    /// Set by `serve`; `false` (plain HTTP) otherwise.
    pub secure_transport: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            resync_window: shared::resync::DEFAULT_TOTP_WINDOW,
            hotp_lookahead: shared::resync::DEFAULT_HOTP_LOOKAHEAD,
            enable_window: 2,
            session_idle_ms: 30 * 60 * 1000,
            session_absolute_ms: 12 * 60 * 60 * 1000,
            password_only_ms: 10 * 60 * 1000,
            allowed_origins: Vec::new(),
            public_origins: Vec::new(),
            max_devices_per_account: 5000,
            max_unassigned_per_creator: 8,
            secure_transport: false,
        }
    }
}

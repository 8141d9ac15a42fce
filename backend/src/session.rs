//! Server-side sessions (security rule 17): a random 256-bit token, which the HTTP layer puts
//! in an HttpOnly, SameSite=Strict, Secure cookie; only its SHA-256 is stored. Rotated at
//! sign-in and at MFA; idle 30 min, absolute 12 h; a password-only session lives 10 min. Every
//! limit is judged at the state's clock.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::crypto::random_bytes;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{PrincipalRow, SessionRow, SessionWithPrincipal};

/// Only record a use when the last one is older than this (saves a write per request).
const TOUCH_EVERY_MS: i64 = 60_000;

/// A new session token (never stored) and the row that refers to its hash.
pub struct NewSession {
    /// The cookie value.
    pub token: String,
    /// What is stored.
    pub row: SessionRow,
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// Creates and stores a session.
pub async fn create(
    state: &AppState,
    principal_id: i64,
    mfa_present: bool,
    mfa_pending: bool,
    signed_in_at: i64,
    now_ms: i64,
) -> Result<NewSession, Error> {
    let token = BASE64URL_NOPAD.encode(&random_bytes(32).map_err(Error::internal)?);
    let row = SessionRow {
        token_hash: token_hash(&token),
        principal_id,
        mfa_present,
        mfa_pending,
        signed_in_at,
        last_seen_at: now_ms,
    };
    state.storage.insert_session(&row).await?;
    Ok(NewSession { token, row })
}

/// The live session of this token with its principal, or `None` when unknown or expired (an
/// expired one is deleted).
pub async fn lookup(state: &AppState, token: &str) -> Result<Option<SessionWithPrincipal>, Error> {
    let now_ms = state.clock.now_ms();
    let hash = token_hash(token);
    let Some(found) = state.storage.session_with_principal(&hash).await? else {
        return Ok(None);
    };
    let row = &found.session;
    if !is_live(&state.settings, row, now_ms) {
        state.storage.delete_session(&hash).await?;
        return Ok(None);
    }
    if now_ms - row.last_seen_at > TOUCH_EVERY_MS {
        state.storage.touch_session(&hash, now_ms).await?;
    }
    Ok(Some(found))
}

/// The principal of this token's session if the session is live now, read only: not touched,
/// and an expired one is left for [`lookup`] or the sweep (`crate::housekeeping`) (for attributing an audit event, e.g.
/// a sign-out or a refused request).
pub async fn live_principal(state: &AppState, token: &str) -> Result<Option<PrincipalRow>, Error> {
    let now_ms = state.clock.now_ms();
    let found = state
        .storage
        .session_with_principal(&token_hash(token))
        .await?;
    Ok(found
        .filter(|f| is_live(&state.settings, &f.session, now_ms))
        .map(|f| f.principal))
}

/// Whether a session is within its idle, absolute and password-only limits at `now_ms`.
fn is_live(s: &Settings, row: &SessionRow, now_ms: i64) -> bool {
    !(now_ms - row.last_seen_at > s.session_idle_ms
        || now_ms - row.signed_in_at > s.session_absolute_ms
        || (row.mfa_pending && now_ms - row.signed_in_at > s.password_only_ms))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::Clock;
    use crate::crypto::SeedCipher;
    use crate::password::Passwords;
    use crate::storage::Storage;

    const MINUTE: i64 = 60_000;
    /// 2026-12-01T00:00:00Z.
    const T0: i64 = 1_796_083_200_000;

    /// A session row signed in at `signed_in_at` and last used at `last_seen_at`.
    fn row(mfa_pending: bool, signed_in_at: i64, last_seen_at: i64) -> SessionRow {
        SessionRow {
            token_hash: String::new(),
            principal_id: 1,
            mfa_present: !mfa_pending,
            mfa_pending,
            signed_in_at,
            last_seen_at,
        }
    }

    /// The stored form is the token's SHA-256 in lower-case hex (FIPS 180-2's "abc" vector).
    #[test]
    fn the_token_is_stored_as_its_sha_256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// Idle 30 min, absolute 12 h, password-only 10 min: each limit is live at its last
    /// millisecond and over one millisecond later, and the others do not end it sooner.
    #[test]
    fn each_limit_ends_a_session_one_millisecond_after_it() {
        let s = Settings::default();
        let (idle, absolute, password_only) =
            (s.session_idle_ms, s.session_absolute_ms, s.password_only_ms);
        assert_eq!(
            (idle, absolute, password_only),
            (30 * MINUTE, 720 * MINUTE, 10 * MINUTE)
        );
        // Whether a session signed in at T0 (password-only when `pending`) and last used at
        // `used` is live at `now`.
        let live = |pending: bool, used: i64, now: i64| is_live(&s, &row(pending, T0, used), now);
        // Idle: counted from the last use.
        let used = T0 + 5 * MINUTE;
        assert!(live(false, used, used + idle));
        assert!(!live(false, used, used + idle + 1));
        // Absolute: counted from sign-in, however recent the last use.
        assert!(live(false, T0 + absolute, T0 + absolute));
        assert!(!live(false, T0 + absolute + 1, T0 + absolute + 1));
        // Password-only: 10 min from sign-in, only while MFA is pending.
        let after = T0 + password_only;
        assert!(live(true, after, after));
        assert!(!live(true, after + 1, after + 1));
        assert!(live(false, after + 1, after + 1));
        // A session is live from the moment it is made.
        assert!(live(true, T0, T0));
    }

    /// An account with one user, a manual clock at [`T0`], and the user's principal id.
    async fn state() -> (tempfile::TempDir, AppState, i64) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("t.sqlite")).await.unwrap();
        let key = "00".repeat(32);
        let state = AppState {
            storage,
            cipher: Arc::new(SeedCipher::load(Some(&key), &dir.path().join("k")).unwrap()),
            passwords: Passwords::new().unwrap(),
            settings: Arc::new(Settings::default()),
            clock: Clock::manual(T0),
        };
        let account = "111122223333";
        crate::admin::create_account(&state, Some(account), "t", "root@t.example", "root-pw-123")
            .await
            .unwrap();
        let id = crate::admin::create_user(&state, account, "bob", "bob-password-1", None)
            .await
            .unwrap();
        (dir, state, id)
    }

    /// What is stored of the session of `token`: its last use, or `None` once deleted.
    async fn last_seen(state: &AppState, token: &str) -> Option<i64> {
        let found = state
            .storage
            .session_with_principal(&token_hash(token))
            .await;
        found.unwrap().map(|f| f.session.last_seen_at)
    }

    /// A lookup finds a live session and records a use only when the last is over a minute old;
    /// an expired session is not found and is deleted. Only the hash is stored.
    #[tokio::test]
    async fn a_lookup_records_use_each_minute_and_deletes_an_expired_session() {
        let (_dir, state, id) = state().await;
        let session = create(&state, id, true, false, T0, T0).await.unwrap();
        assert_eq!(session.row.token_hash, token_hash(&session.token));
        assert_ne!(session.token, session.row.token_hash);
        let token = session.token.as_str();
        let found = lookup(&state, token).await.unwrap().unwrap();
        assert_eq!(found.principal.id, id);
        // One minute after the last use: not recorded; a millisecond more: recorded.
        state.clock.advance(MINUTE);
        assert!(lookup(&state, token).await.unwrap().is_some());
        assert_eq!(last_seen(&state, token).await, Some(T0));
        state.clock.advance(1);
        assert!(lookup(&state, token).await.unwrap().is_some());
        assert_eq!(last_seen(&state, token).await, Some(T0 + MINUTE + 1));
        // Idle for 30 minutes and a millisecond from that use: gone, and deleted.
        state.clock.advance(30 * MINUTE + 1);
        assert!(lookup(&state, token).await.unwrap().is_none());
        assert_eq!(last_seen(&state, token).await, None);
        assert!(lookup(&state, "unknown").await.unwrap().is_none());
    }

    /// `live_principal` reads: it names the principal of a live session, records no use, and
    /// leaves an expired session in place (for `lookup` or the sweep) while not naming anyone.
    #[tokio::test]
    async fn live_principal_reads_without_touching_or_deleting() {
        let (_dir, state, id) = state().await;
        let token = create(&state, id, true, false, T0, T0).await.unwrap().token;
        state.clock.advance(29 * MINUTE);
        let principal = live_principal(&state, &token).await.unwrap().unwrap();
        assert_eq!(principal.id, id);
        assert_eq!(last_seen(&state, &token).await, Some(T0));
        state.clock.advance(MINUTE + 1);
        assert!(live_principal(&state, &token).await.unwrap().is_none());
        assert_eq!(last_seen(&state, &token).await, Some(T0));
        assert!(live_principal(&state, "unknown").await.unwrap().is_none());
    }
}

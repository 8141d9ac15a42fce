//! Server-side sessions (security rule 17): a random 256-bit token, which the HTTP layer puts
//! in an HttpOnly, SameSite=Strict, Secure cookie; only its SHA-256 is stored. Rotated at
//! sign-in and at MFA; idle 30 min, absolute 12 h; a password-only session lives 10 min. Every
//! limit is judged at the state's clock.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};

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
    if !is_live(state, row, now_ms) {
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
        .filter(|f| is_live(state, &f.session, now_ms))
        .map(|f| f.principal))
}

/// Whether a session is within its idle, absolute and password-only limits at `now_ms`.
fn is_live(state: &AppState, row: &SessionRow, now_ms: i64) -> bool {
    let s = &state.settings;
    !(now_ms - row.last_seen_at > s.session_idle_ms
        || now_ms - row.signed_in_at > s.session_absolute_ms
        || (row.mfa_pending && now_ms - row.signed_in_at > s.password_only_ms))
}

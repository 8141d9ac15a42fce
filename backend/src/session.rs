//! Server-side sessions (security rule 17): a random 256-bit token in an HttpOnly, SameSite=Strict,
//! Secure cookie; only its SHA-256 is stored. Rotated at sign-in and at MFA; idle 30 min,
//! absolute 12 h; a password-only session lives 10 min.

use axum::http::{HeaderMap, HeaderValue, header};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};
use shared::api::SESSION_COOKIE;

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
    let token =
        BASE64URL_NOPAD.encode(&random_bytes(32).map_err(|e| Error::Internal(e.to_string()))?);
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
pub async fn lookup(
    state: &AppState,
    token: &str,
    now_ms: i64,
) -> Result<Option<SessionWithPrincipal>, Error> {
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

/// The principal of this token's session if the session is live at `now_ms`, read only: not
/// touched, and an expired one is left for [`lookup`] or the sweep (for attributing an audit
/// event, e.g. a sign-out or a refused request).
pub async fn live_principal(
    state: &AppState,
    token: &str,
    now_ms: i64,
) -> Result<Option<PrincipalRow>, Error> {
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

/// The session token from the request's `Cookie` headers.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` for a session token.
pub fn set_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Secure; Path=/"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "mfa_resync_session=; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=0",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mfa_resync_session=tok; b=2"),
        );
        assert_eq!(token_from_headers(&h).as_deref(), Some("tok"));
        assert_eq!(token_hash("tok").len(), 64);
        let c = set_cookie("tok");
        let c = c.to_str().unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
    }
}

//! The session cookie (security rule 17): `HttpOnly; SameSite=Strict; Secure; Path=/`. The
//! token it carries is the session's only key; the server keeps its SHA-256 (`crate::session`).

use axum::http::{HeaderMap, HeaderValue, header};
use shared::api::SESSION_COOKIE;

/// The session token from the request's `Cookie` headers.
pub(super) fn token_from_headers(headers: &HeaderMap) -> Option<String> {
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
pub(super) fn set_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Secure; Path=/"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub(super) fn clear_cookie() -> HeaderValue {
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
        assert_eq!(crate::session::token_hash("tok").len(), 64);
        let c = set_cookie("tok");
        let c = c.to_str().unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
    }
}

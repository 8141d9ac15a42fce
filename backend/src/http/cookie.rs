//! The session cookie (security rule 17): `HttpOnly; SameSite=Strict; Secure; Path=/`. The
//! token it carries is the session's only key; the server keeps its SHA-256 (`crate::session`).
//! Over HTTPS (`Settings::secure_transport`, rule 30) its name takes the `__Host-` prefix
//! ([`SECURE_SESSION_COOKIE`]), else it is [`SESSION_COOKIE`]; only the name in force is read.

use axum::http::{HeaderMap, HeaderValue, header};
use shared::api::{SECURE_SESSION_COOKIE, SESSION_COOKIE};

use crate::config::Settings;

/// The cookie's name under `settings`.
fn name(settings: &Settings) -> &'static str {
    if settings.secure_transport {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session token from the request's `Cookie` headers (the cookie of the name in force).
pub(super) fn token_from_headers(headers: &HeaderMap, settings: &Settings) -> Option<String> {
    let name = name(settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` for a session token.
pub(super) fn set_cookie(token: &str, settings: &Settings) -> HeaderValue {
    let name = name(settings);
    HeaderValue::from_str(&format!(
        "{name}={token}; HttpOnly; SameSite=Strict; Secure; Path=/"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub(super) fn clear_cookie(settings: &Settings) -> HeaderValue {
    let name = name(settings);
    HeaderValue::from_str(&format!(
        "{name}=; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=0"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cookie_among_others() {
        let plain = Settings::default();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mfa_resync_session=tok; b=2"),
        );
        assert_eq!(token_from_headers(&h, &plain).as_deref(), Some("tok"));
        assert_eq!(crate::session::token_hash("tok").len(), 64);
        let c = set_cookie("tok", &plain);
        let c = c.to_str().unwrap();
        assert!(c.starts_with("mfa_resync_session=tok;"), "{c}");
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_counts() {
        let https = Settings {
            secure_transport: true,
            ..Settings::default()
        };
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("mfa_resync_session=plain"),
        );
        assert_eq!(token_from_headers(&h, &https), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("mfa_resync_session=plain; __Host-mfa_resync_session=tok"),
        );
        assert_eq!(token_from_headers(&h, &https).as_deref(), Some("tok"));
        assert_eq!(
            token_from_headers(&h, &Settings::default()).as_deref(),
            Some("plain")
        );
        let set = set_cookie("tok", &https);
        assert_eq!(
            set.to_str().unwrap(),
            "__Host-mfa_resync_session=tok; HttpOnly; SameSite=Strict; Secure; Path=/"
        );
        let clear = clear_cookie(&https);
        assert!(
            clear
                .to_str()
                .unwrap()
                .starts_with("__Host-mfa_resync_session=;")
        );
        assert!(!clear.to_str().unwrap().contains("Domain"));
    }
}

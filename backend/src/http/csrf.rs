//! The CSRF rules of security rule 18 on every state change of the JSON API: JSON only (else
//! 415), the custom header, and no cross-site or foreign-origin request. A refusal is an
//! attempt too (rule 21): it is audited under the action its path names — these refusals, and
//! those of the extractors behind (no live session, a malformed body: `Unaudited` on the
//! response), which no action audits.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::api::{Action, REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE};

use super::error::Unaudited;
use crate::audit::{self, RequestMeta};
use crate::config::Settings;
use crate::error::Error;
use crate::session;
use crate::state::AppState;

/// Security rule 28 for every request under `/api`: only the server's own `Host`s (a DNS
/// rebinding page reaches a loopback server under its own name). Security rule 18 for every
/// `POST` under `/api`: JSON only (else 415), the custom header, and no cross-site or
/// foreign-origin request. A refused state change is an attempt too (rule 21): it is audited,
/// see [`audit_refusal`].
pub(super) async fn csrf(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    host_from_authority(&mut req);
    let path = req.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    let state_change = req.method() == Method::POST && path.starts_with("/api/");
    let host = api.then(|| check_host(req.headers(), &state.settings).err());
    let refused = host.flatten().or_else(|| {
        state_change
            .then(|| check_csrf(req.headers(), &state.settings).err())
            .flatten()
    });
    match refused {
        None if state_change => {
            // What an extractor refuses (no live session, a malformed body) no action audits:
            // its response says so, and it is audited here (rules 21 and 25).
            let token = super::cookie::token_from_headers(req.headers(), &state.settings);
            let action = action_of_path(req.uri().path());
            let meta = super::extract::request_meta(req.extensions());
            let response = next.run(req).await;
            if let Some(Unaudited(code)) = response.extensions().get::<Unaudited>().copied() {
                audit_refusal(&state, token, action, &meta, code.as_str()).await;
            }
            response
        }
        None => next.run(req).await,
        Some(e) if !state_change => e.into_response(),
        Some(e) => {
            let token = super::cookie::token_from_headers(req.headers(), &state.settings);
            let action = action_of_path(req.uri().path());
            let meta = super::extract::request_meta(req.extensions());
            drop(req);
            audit_refusal(&state, token, action, &meta, e.code().as_str()).await;
            e.into_response()
        }
    }
}

/// An HTTP/2 request names its host in the `:authority` (the URI's authority), not in `Host`;
/// an HTTP/1.1 request in absolute form names it in the URI too, and then `Host` is ignored
/// (RFC 9112 §3.2.2). Either way the URI's authority becomes the `Host` every rule reads.
fn host_from_authority(req: &mut Request) {
    let authority = req
        .uri()
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok());
    if let Some(host) = authority {
        req.headers_mut().insert(header::HOST, host);
    }
}

/// Audits a refused state change under the action its path names, by the principal of the
/// session cookie it carries (a forged cross-site request rides the victim's cookie: the event
/// names the victim) while that session is live, or by `unknown`. The session is only read,
/// never touched.
async fn audit_refusal(
    state: &AppState,
    token: Option<String>,
    action: &str,
    meta: &RequestMeta,
    code: &str,
) {
    let principal = match token {
        Some(token) => session::live_principal(state, &token).await.ok().flatten(),
        None => None,
    };
    audit::record_by(state, meta, action, principal.as_ref(), Some(code)).await;
}

/// The action an `/api/` path performs: exactly one of the JSON API's routes (`SignIn`, …,
/// `/api/iam/ResyncMFADevice` → `ResyncMFADevice`), else `Unknown`: a client cannot choose
/// what the trail says was attempted.
fn action_of_path(path: &str) -> &'static str {
    Action::of_json_path(path).map_or("Unknown", Action::name)
}

fn check_csrf(h: &HeaderMap, settings: &Settings) -> Result<(), Error> {
    let json = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Error::UnsupportedMediaType);
    }
    if h.get(REQUESTED_WITH_HEADER).and_then(|v| v.to_str().ok()) != Some(REQUESTED_WITH_VALUE) {
        return Err(Error::CrossOrigin(
            "State-changing requests need the header X-Requested-With: mfa-resync.",
        ));
    }
    if h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(Error::CrossOrigin("Cross-site requests are refused."));
    }
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let own = if settings.public_origins.is_empty() {
            // No listener to know the public origins by: the request's own host.
            let host = h
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            host_of(origin) == Some(host)
        } else {
            settings.public_origins.iter().any(|o| o == origin)
        };
        if !own && !settings.allowed_origins.iter().any(|a| a == origin) {
            return Err(Error::CrossOrigin(
                "Requests from another origin are refused.",
            ));
        }
    }
    Ok(())
}

/// `127.0.0.1:8080` of `http://127.0.0.1:8080`.
fn host_of(origin: &str) -> Option<&str> {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .map(|rest| rest.trim_end_matches('/'))
}

/// Rule 28: the request's `Host` is one of the server's public origins' (or an allowed
/// origin's, for a development proxy), without regard to case. Nothing to check for a
/// router that knows no public origin.
fn check_host(h: &HeaderMap, settings: &Settings) -> Result<(), Error> {
    if settings.public_origins.is_empty() {
        return Ok(());
    }
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let known = host.is_some_and(|host| {
        settings
            .public_origins
            .iter()
            .chain(&settings.allowed_origins)
            .filter_map(|o| host_of(o))
            .any(|own| own.eq_ignore_ascii_case(host))
    });
    if known {
        Ok(())
    } else {
        Err(Error::CrossOrigin(
            "This server does not answer to that host name. Use its own address (see \
             serve --public-url).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_audited_under_the_action_of_their_path() {
        assert_eq!(action_of_path("/api/sign-in"), "SignIn");
        assert_eq!(action_of_path("/api/sign-in/mfa"), "SignInMFA");
        assert_eq!(action_of_path("/api/sign-in/mfa/"), "Unknown");
        assert_eq!(action_of_path("/api/sign-out"), "SignOut");
        assert_eq!(
            action_of_path("/api/iam/ResyncMFADevice"),
            "ResyncMFADevice"
        );
        assert_eq!(action_of_path("/api/audit/LookupEvents"), "LookupEvents");
        assert_eq!(
            action_of_path("/api/iam/UnlockMFADevice"),
            "UnlockMFADevice"
        );
        // Only real routes: a client cannot write "DeleteAccount" into the trail.
        assert_eq!(action_of_path("/api/iam/DeleteAccount"), "Unknown");
        assert_eq!(action_of_path("/api/iam/resyncmfadevice"), "Unknown");
        assert_eq!(action_of_path("/api/iam/Resync%20It"), "Unknown");
        assert_eq!(action_of_path("/api/iam/"), "Unknown");
        assert_eq!(action_of_path("/api/time"), "Unknown");
    }

    #[test]
    fn csrf_rules() {
        let none = Settings::default();
        let mut h = HeaderMap::new();
        assert!(matches!(
            check_csrf(&h, &none),
            Err(Error::UnsupportedMediaType)
        ));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(matches!(check_csrf(&h, &none), Err(Error::CrossOrigin(_))));
        h.insert(
            REQUESTED_WITH_HEADER,
            HeaderValue::from_static("mfa-resync"),
        );
        assert!(check_csrf(&h, &none).is_ok());
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_csrf(&h, &none).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(check_csrf(&h, &none).is_err());
        assert!(
            check_csrf(
                &h,
                &Settings {
                    allowed_origins: vec!["http://evil.example".into()],
                    ..Settings::default()
                }
            )
            .is_ok()
        );
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check_csrf(&h, &none).is_err());
    }

    /// Rule 28: with the public origins known, a foreign `Host` is refused whatever `Origin`
    /// says (DNS rebinding), and `Origin` must be a public or allowed origin, not merely the
    /// request's `Host`.
    #[test]
    fn host_and_origin_rules_with_known_public_origins() {
        let settings = Settings {
            public_origins: vec![
                "http://127.0.0.1:8080".into(),
                "http://localhost:8080".into(),
            ],
            allowed_origins: vec!["http://127.0.0.1:8081".into()],
            ..Settings::default()
        };
        let with = |host: &str, origin: Option<&str>| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert(
                REQUESTED_WITH_HEADER,
                HeaderValue::from_static("mfa-resync"),
            );
            if let Some(o) = origin {
                h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
            }
            h
        };
        for host in ["127.0.0.1:8080", "LOCALHOST:8080", "127.0.0.1:8081"] {
            assert!(check_host(&with(host, None), &settings).is_ok(), "{host}");
        }
        for host in ["evil.example", "evil.example:8080", "127.0.0.1:9999", ""] {
            assert!(check_host(&with(host, None), &settings).is_err(), "{host}");
        }
        let evil = with("evil.example", Some("http://evil.example"));
        assert!(check_host(&evil, &settings).is_err());
        // Same host and origin, but not the server's: refused.
        assert!(check_csrf(&evil, &settings).is_err());
        let own = with("127.0.0.1:8080", Some("http://localhost:8080"));
        assert!(check_csrf(&own, &settings).is_ok());
        // No public origin known (a router without a listener): no Host rule.
        assert!(check_host(&evil, &Settings::default()).is_ok());
    }
}

//! The CSRF rules of security rule 18 on every state change of the JSON API: JSON only (else
//! 415), the custom header, and no cross-site or foreign-origin request. A refusal is an
//! attempt too (rule 21): it is audited under the action its path names.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::api::{Action, REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE};

use crate::audit::{self, RequestMeta};
use crate::error::Error;
use crate::session;
use crate::state::AppState;

/// Security rule 18 for every `POST` under `/api`: JSON only (else 415), the custom header, and
/// no cross-site or foreign-origin request.
/// A refusal is an attempt too (rule 21): it is audited, see [`audit_refusal`].
pub(super) async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && let Err(e) = check_csrf(req.headers(), &state.settings.allowed_origins)
    {
        // Read before awaiting: a `&Request` is not `Send`.
        let token = super::cookie::token_from_headers(req.headers());
        let action = action_of_path(req.uri().path());
        let meta = super::extract::request_meta(req.extensions());
        audit_refusal(&state, token, action, &meta, &e).await;
        return e.into_response();
    }
    next.run(req).await
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
    refused: &Error,
) {
    let principal = match token {
        Some(token) => session::live_principal(state, &token).await.ok().flatten(),
        None => None,
    };
    let code = refused.code().as_str();
    audit::record_by(state, meta, action, principal.as_ref(), Some(code)).await;
}

/// The action an `/api/` path performs: exactly one of the JSON API's routes (`SignIn`, …,
/// `/api/iam/ResyncMFADevice` → `ResyncMFADevice`), else `Unknown`: a client cannot choose
/// what the trail says was attempted.
fn action_of_path(path: &str) -> &'static str {
    Action::of_json_path(path).map_or("Unknown", Action::name)
}

fn check_csrf(h: &HeaderMap, allowed_origins: &[String]) -> Result<(), Error> {
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
        let host = h
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| o == host);
        if !same && !allowed_origins.iter().any(|a| a == origin) {
            return Err(Error::CrossOrigin(
                "Requests from another origin are refused.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

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
        let mut h = HeaderMap::new();
        assert!(matches!(
            check_csrf(&h, &[]),
            Err(Error::UnsupportedMediaType)
        ));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(matches!(check_csrf(&h, &[]), Err(Error::CrossOrigin(_))));
        h.insert(
            REQUESTED_WITH_HEADER,
            HeaderValue::from_static("mfa-resync"),
        );
        assert!(check_csrf(&h, &[]).is_ok());
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_csrf(&h, &[]).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(check_csrf(&h, &[]).is_err());
        assert!(check_csrf(&h, &["http://evil.example".into()]).is_ok());
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(check_csrf(&h, &[]).is_err());
    }
}

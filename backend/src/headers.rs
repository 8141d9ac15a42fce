//! Browser-facing defences: the security headers and Content-Security-Policy of security rule 19
//! on every response, and the CSRF rules of rule 18 on every state change.

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use sha2::{Digest, Sha256};
use shared::api::{REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE};

use crate::audit::{self, RequestMeta};
use crate::error::Error;
use crate::session;
use crate::state::AppState;

/// The built single-page app and the CSP that lets exactly its inline bootstrap run.
#[derive(Debug)]
pub struct WebAssets {
    /// The folder Trunk built (`dist/`).
    pub dir: PathBuf,
    /// `'sha256-…'` of each inline script of `index.html`.
    pub script_hashes: Vec<String>,
}

impl WebAssets {
    /// Reads `DIR/index.html` and hashes each inline script's exact text.
    pub fn load(dir: &Path) -> std::io::Result<WebAssets> {
        let index = std::fs::read_to_string(dir.join("index.html"))?;
        Ok(WebAssets {
            dir: dir.to_path_buf(),
            script_hashes: inline_scripts(&index)
                .into_iter()
                .map(|s| format!("'sha256-{}'", BASE64.encode(&Sha256::digest(s.as_bytes()))))
                .collect(),
        })
    }
}

/// The text of every `<script>` without a `src` attribute.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start + "<script".len()..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let attrs = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script") else {
            break;
        };
        if !attrs.contains("src=") {
            out.push(&body[..close]);
        }
        rest = &body[close..];
    }
    out
}

/// The Content-Security-Policy for the app and the API.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script_src.push(' ');
        script_src.push_str(h);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self'"
    )
}

/// Adds the security headers to every response; API answers are never cached.
pub async fn security_headers(
    State(csp): State<HeaderValue>,
    req: Request,
    next: Next,
) -> Response {
    let is_api = req.uri().path().starts_with("/api");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Security rule 18 for every `POST` under `/api`: JSON only (else 415), the custom header, and
/// no cross-site or foreign-origin request.
/// A refusal is an attempt too (rule 21): it is audited, see [`audit_refusal`].
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && let Err(e) = check_csrf(req.headers(), &state.settings.allowed_origins)
    {
        // Read before awaiting: a `&Request` is not `Send`.
        let token = session::token_from_headers(req.headers());
        let action = action_of_path(req.uri().path());
        let meta = crate::routes::request_meta_of(req.extensions());
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
        Some(token) => session::live_principal(state, &token, crate::clock::now_ms())
            .await
            .ok()
            .flatten(),
        None => None,
    };
    audit::record_by(state, meta, action, principal.as_ref(), Some(refused)).await;
}

/// The action an `/api/` path performs: exactly one of the JSON API's routes (`SignIn`, …,
/// `/api/iam/ResyncMFADevice` → `ResyncMFADevice`), else `Unknown`: a client cannot choose
/// what the trail says was attempted.
fn action_of_path(path: &str) -> &'static str {
    shared::api::Action::of_json_path(path).map_or("Unknown", shared::api::Action::name)
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
    fn hashes_only_inline_scripts() {
        let html = r#"<head><script src="/a.js"></script><script type="module">import x from "/b.js";
x();</script></head>"#;
        assert_eq!(inline_scripts(html), vec!["import x from \"/b.js\";\nx();"]);
        let csp = content_security_policy(&["'sha256-x'".into()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-x';"));
        assert!(!csp.contains("unsafe-inline"));
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

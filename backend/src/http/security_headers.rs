//! The security headers and Content-Security-Policy of security rule 19, on every response;
//! API answers are never cached. Over HTTPS (`Settings::secure_transport`, rule 30) every
//! response also carries [`HSTS`].

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// `Strict-Transport-Security` over HTTPS: browsers use only HTTPS for this host (and its
/// subdomains) for two years.
pub(super) const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The headers added to every response, built once.
#[derive(Clone, Debug)]
pub(super) struct SecurityHeaders {
    /// The Content-Security-Policy.
    pub csp: HeaderValue,
    /// [`HSTS`] over HTTPS, else nothing.
    pub hsts: Option<HeaderValue>,
}

/// The Content-Security-Policy for the app and the API: scripts only from the origin, the
/// WebAssembly, and the inline bootstrap scripts hashed in `script_hashes`.
pub(super) fn content_security_policy(script_hashes: &[String]) -> String {
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
pub(super) async fn security_headers(
    State(headers): State<SecurityHeaders>,
    req: Request,
    next: Next,
) -> Response {
    let is_api = req.uri().path().starts_with("/api");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, headers.csp);
    if let Some(hsts) = headers.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_policy_allows_the_hashed_scripts_and_no_inline_code() {
        let csp = super::content_security_policy(&["'sha256-x'".into()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-x';"));
        assert!(!csp.contains("unsafe-inline"));
    }
}

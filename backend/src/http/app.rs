//! The whole application, assembled: every router, the fallback, and the layers.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware;
use tower_http::timeout::TimeoutLayer;

use super::routes::{admin, audit, auth, health, iam, time};
use super::security_headers::{self, SecurityHeaders};
use super::web::{self, WebAssets};
use super::{csrf, query, trace};
use crate::state::AppState;

/// A request whose handler has not answered within this is answered 503 Service Unavailable
/// (security rule 24): the server, not the client, was too slow, and the client may retry. No
/// request here is long-lived; the slowest, a sign-in, waits at most 2 s for a hashing slot.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application: the JSON API under `/api`, the IAM Query API on `POST /`, the built
/// app (when `web` is given) everywhere else with `index.html` for deep links, the security
/// headers on every response (HSTS too over HTTPS), the CSRF rules on every state change, the
/// [`REQUEST_TIMEOUT`], and a request id and log line per request.
pub fn app(state: AppState, web: Option<Arc<WebAssets>>) -> Router {
    let hashes = web
        .as_ref()
        .map(|w| w.script_hashes.clone())
        .unwrap_or_default();
    let csp = HeaderValue::from_str(&security_headers::content_security_policy(&hashes))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    let headers = SecurityHeaders {
        csp,
        hsts: state
            .settings
            .secure_transport
            .then(|| HeaderValue::from_static(security_headers::HSTS)),
    };
    let router = Router::new()
        .merge(health::router())
        .merge(time::router())
        .merge(auth::router())
        .merge(iam::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(query::router())
        .fallback(web::fallback)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::csrf))
        .layer(middleware::from_fn_with_state(
            headers,
            security_headers::security_headers,
        ))
        .layer(axum::Extension(web::Web(web)));
    trace::wrap(router).with_state(state)
}

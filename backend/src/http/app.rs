//! The whole application, assembled: every router, the fallback, and the layers.

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use axum::middleware;

use super::routes::{audit, auth, iam, time};
use super::web::{self, WebAssets};
use super::{csrf, query, security_headers, trace};
use crate::state::AppState;

/// The whole application: the JSON API under `/api`, the IAM Query API on `POST /`, the built
/// app (when `web` is given) everywhere else with `index.html` for deep links, the security
/// headers on every response, the CSRF rules on every state change, and a request id and log
/// line per request.
pub fn app(state: AppState, web: Option<Arc<WebAssets>>) -> Router {
    let hashes = web
        .as_ref()
        .map(|w| w.script_hashes.clone())
        .unwrap_or_default();
    let csp = HeaderValue::from_str(&security_headers::content_security_policy(&hashes))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    let router = Router::new()
        .merge(time::router())
        .merge(auth::router())
        .merge(iam::router())
        .merge(audit::router())
        .merge(query::router())
        .fallback(web::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::csrf))
        .layer(middleware::from_fn_with_state(
            csp,
            security_headers::security_headers,
        ))
        .layer(axum::Extension(web::Web(web)));
    trace::wrap(router).with_state(state)
}

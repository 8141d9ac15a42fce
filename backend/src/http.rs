//! Everything that knows HTTP and axum, in one place: the JSON API's routes (a `router()` per
//! module in [`routes`]), the IAM Query protocol ([`query`]), the extractors, the middleware
//! (CSRF, security headers, request id and trace), cookies, the built web app with its
//! fallback, the error's HTTP form, and the listener. The core — actions (`crate::iam`),
//! sessions, audit, policy, throttle, storage, crypto — imports none of it.
//!
//! A request's way: [`trace`] gives it an id and a span; [`security_headers`] and [`csrf`]
//! wrap it; a route in [`routes`] (or [`query`]) extracts its input ([`extract`]), calls one
//! action in `crate::iam`, and answers; an [`crate::Error`] becomes its JSON form in [`error`].

mod cookie;
mod csrf;
mod error;
mod extract;
mod query;
mod routes;
mod security_headers;
mod server;
mod trace;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use axum::middleware;

pub use server::{ServeOptions, serve};
pub use web::WebAssets;

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
    let router = routes::router()
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

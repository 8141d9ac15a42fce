//! The mfa-resync server: accounts, devices, sessions, IAM policy and the resync API, on SQLite.
//!
//! [`app`] builds the whole HTTP application from an [`AppState`]; `main.rs` only parses the
//! command line ([`cli`]) and runs it.

pub mod admin;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod headers;
pub mod iam;
pub mod password;
pub mod policy;
pub mod query;
pub mod routes;
pub mod session;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod throttle;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

pub use error::Error;
pub use state::AppState;

/// The whole application: the JSON API under `/api`, the built app (when `state.web` is set)
/// everywhere else with `index.html` for deep links, the security headers on every response,
/// the CSRF rules on every state change, and a request id and log line per request.
pub fn app(state: AppState) -> Router {
    let hashes = state
        .web
        .as_ref()
        .map(|w| w.script_hashes.clone())
        .unwrap_or_default();
    let csp = HeaderValue::from_str(&headers::content_security_policy(&hashes))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    routes::api_router()
        .merge(query::router())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), headers::csrf))
        .layer(middleware::from_fn_with_state(
            csp,
            headers::security_headers,
        ))
        .layer(middleware::from_fn(telemetry::request_span))
        .with_state(state)
}

/// Unknown `/api` paths answer JSON; everything else is the app (or 404 without one).
async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return Error::NoSuchEntity("No such API path.".into()).into_response();
    }
    match &state.web {
        Some(web) if req.method() == Method::GET || req.method() == Method::HEAD => {
            let index = ServeFile::new(web.dir.join("index.html"));
            match ServeDir::new(&web.dir).fallback(index).oneshot(req).await {
                Ok(res) => res.into_response(),
                Err(e) => Error::Internal(e.to_string()).into_response(),
            }
        }
        _ => Error::NoSuchEntity("Not found.".into()).into_response(),
    }
}

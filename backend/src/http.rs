//! Everything that knows HTTP and axum, in one place: the JSON API's routes (a `router()` per
//! module in `routes`), the IAM Query protocol (`query`), the extractors, the middleware
//! (CSRF, security headers, request id and trace), cookies, the built web app with its
//! fallback, the error's HTTP form, and the listener (`server`, `listener`, `tls`). The core — actions (`crate::iam`),
//! sessions, audit, policy, throttle, storage, crypto — imports none of it.
//!
//! A request's way: `trace` gives it an id and a span; `security_headers` and `csrf`
//! wrap it; a route in `routes` (or `query`) extracts its input (`extract`), calls one
//! action in `crate::iam`, and answers; an [`crate::Error`] becomes its JSON form in `error`.

mod app;
mod cookie;
mod csrf;
mod error;
mod extract;
mod listener;
mod query;
mod routes;
mod security_headers;
mod server;
mod tls;
mod trace;
mod web;

/// The HTTP layer's readers of outside input, for the fuzz targets (`fuzz/`) only.
#[doc(hidden)]
pub mod fuzzing;

pub use app::app;
pub use listener::{
    DEFAULT_HEADER_READ_TIMEOUT_SECS, DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_DEADLINE_SECS,
    IDLE_TIMEOUT, Limits,
};
pub use server::{ServeOptions, serve};
pub use tls::TlsFiles;
pub use web::WebAssets;

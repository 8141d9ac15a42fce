//! Everything that knows HTTP and axum, in one place: the JSON API's routes (a `router()` per
//! module in `routes`), the IAM Query protocol (`query`), the extractors, the middleware
//! (CSRF, security headers, request id and trace), cookies, the built web app with its
//! fallback, the error's HTTP form, and the listener. The core — actions (`crate::iam`),
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
mod query;
mod routes;
mod security_headers;
mod server;
mod trace;
mod web;

pub use app::app;
pub use server::{ServeOptions, serve};
pub use web::WebAssets;

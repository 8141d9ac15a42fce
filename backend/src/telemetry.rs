//! Structured logs (tracing) with a request id per request. Only method, path, status and
//! duration are logged for a request: never a body, so never a code, seed or password.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use data_encoding::HEXLOWER;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// The id of the current request, in the request's extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Logs to stderr; `RUST_LOG` overrides the default `info,sqlx=warn`.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Gives the request an id (also sent back as `X-Request-Id`) and a span, and logs its outcome.
pub async fn request_span(mut req: Request, next: Next) -> Response {
    let id = crate::crypto::random_bytes(8)
        .map(|b| HEXLOWER.encode(&b))
        .unwrap_or_else(|_| "0".repeat(16));
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path()
    );
    req.extensions_mut().insert(RequestId(id.clone()));
    let start = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            micros = start.elapsed().as_micros() as u64,
            "response"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

//! A request id and a log line per request: the id is always the server's own (a client's
//! `X-Request-Id` is ignored, so the audit trail's request ids cannot be chosen by a client),
//! is sent back as `X-Request-Id`, and names the request's span (tower-http's trace layer,
//! which also writes the log line). Only method, path, status and duration are logged: never
//! a body, so never a code, seed or password.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response};
use axum::middleware::Next;
use data_encoding::HEXLOWER;
use tower::ServiceBuilder;
use tower_http::request_id::RequestId;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::state::AppState;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// 64 random bits in hex.
fn new_request_id() -> HeaderValue {
    let id = crate::crypto::random_bytes(8)
        .map(|b| HEXLOWER.encode(&b))
        .unwrap_or_else(|_| "0".repeat(16));
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The request's id, as [`assign_request_id`] stored it.
pub(super) fn request_id(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<RequestId>()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Wraps `router` in the id, span and log layers.
pub(super) fn wrap(router: Router<AppState>) -> Router<AppState> {
    router.layer(
        ServiceBuilder::new()
            .layer(axum::middleware::from_fn(assign_request_id))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<Body>| {
                        tracing::info_span!(
                            "request",
                            id = %request_id(req.extensions()),
                            method = %req.method(),
                            path = %req.uri().path()
                        )
                    })
                    .on_response(|res: &Response<Body>, latency: Duration, _: &Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            micros = latency.as_micros() as u64,
                            "response"
                        );
                    }),
            ),
    )
}

/// Gives the request the server's own id, in its extensions only (the request's headers are
/// left as the client sent them: a signed Query request may have signed an `X-Request-Id` of
/// its own), and sends the id back as `X-Request-Id`.
async fn assign_request_id(mut req: Request<Body>, next: Next) -> Response<Body> {
    let id = new_request_id();
    req.extensions_mut().insert(RequestId::new(id.clone()));
    let mut res = next.run(req).await;
    res.headers_mut().insert(X_REQUEST_ID, id);
    res
}

//! `GET /healthz` and `GET /readyz`, for load balancers and orchestrators (issue 12).
//! `/healthz` says the process answers; `/readyz` that it can serve: its database answers within
//! [`READY_TIMEOUT`] and holds every migration this binary knows. `/readyz` turns 503 while the
//! database is away and 200 again by itself when it returns or when a standby is promoted (the
//! pool reconnects on the next query, to the new primary with a multi-host URL — an unanswered
//! probe wakes the host watcher of `storage/failover.rs`; nothing is cached here). Neither says more than its status and one word: they are
//! open to anyone who can reach the server.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// How long `/readyz` waits for the database before it answers 503: a load balancer's probe
/// must get an answer well within its own timeout.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The routes.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.storage.ready()).await {
        Ok(Ok(true)) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Ok(false)) => {
            tracing::warn!("not ready: the database schema is not this binary's");
            unavailable("schema not current\n")
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database did not answer");
            unavailable("database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            state.storage.suspect_unreachable();
            unavailable("database unavailable\n")
        }
    }
}

/// 503 with `Retry-After`, as every answer of an unavailable server.
fn unavailable(body: &'static str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        body,
    )
        .into_response()
}

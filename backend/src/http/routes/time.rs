//! `GET /api/time`: the server clock the browser's timer runs on.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::api::TimeResponse;

use crate::state::AppState;

/// The route.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new().route("/api/time", get(time))
}

async fn time(State(state): State<AppState>) -> Json<TimeResponse> {
    Json(TimeResponse {
        now_ms: state.clock.now_ms() as u64,
        step_seconds: 30,
    })
}

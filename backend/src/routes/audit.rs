//! `POST /api/audit/LookupEvents`: the audit trail, for administrators.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::api::LookupEventsResponse;

use super::parse_body;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// The route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/audit/LookupEvents", post(lookup_events))
}

async fn lookup_events(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<LookupEventsResponse>, Error> {
    Ok(Json(
        iam::lookup_events(&state, &caller, parse_body(&body)?).await?,
    ))
}

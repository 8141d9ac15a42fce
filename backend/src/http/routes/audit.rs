//! `POST /api/audit/LookupEvents`: the audit trail, for administrators.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::api::{Action, LookupEventsRequest, LookupEventsResponse};

use super::super::extract::AppJson;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// The route.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new().route(super::path(Action::LookupEvents), post(lookup_events))
}

async fn lookup_events(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<LookupEventsRequest>,
) -> Result<Json<LookupEventsResponse>, Error> {
    Ok(Json(iam::lookup_events(&state, &caller, req).await?))
}

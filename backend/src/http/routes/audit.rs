//! `POST /api/audit/LookupEvents`: the audit trail, for administrators; `POST
//! /api/audit/activity`: one's own activity, for everyone signed in with MFA.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::api::{
    Action, ActivityRequest, ActivityResponse, LookupEventsRequest, LookupEventsResponse,
};

use super::super::extract::AppJson;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// The route.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new()
        .route(super::path(Action::LookupEvents), post(lookup_events))
        .route(ACTIVITY_PATH, post(own_activity))
}

/// Where the app reads the signed-in person's activity.
pub const ACTIVITY_PATH: &str = "/api/audit/activity";

async fn own_activity(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<ActivityRequest>,
) -> Result<Json<ActivityResponse>, Error> {
    Ok(Json(iam::own_activity(&state, &caller, req).await?))
}

async fn lookup_events(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<LookupEventsRequest>,
) -> Result<Json<LookupEventsResponse>, Error> {
    Ok(Json(iam::lookup_events(&state, &caller, req).await?))
}

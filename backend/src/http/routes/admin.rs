//! `POST /api/admin/attention`: what a help desk should act on (issue 16) — the devices about to
//! leave the sign-in window and the hardware tokens nobody holds yet.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::api::{AttentionRequest, AttentionResponse};

use super::super::extract::AppJson;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// Where the app's administration page reads it.
pub const ATTENTION_PATH: &str = "/api/admin/attention";

/// The route.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new().route(ATTENTION_PATH, post(attention))
}

async fn attention(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(req): AppJson<AttentionRequest>,
) -> Result<Json<AttentionResponse>, Error> {
    Ok(Json(iam::attention(&state, &caller, req).await?))
}

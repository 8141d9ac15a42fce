//! The JSON API (`/api/…`, docs/api.md): thin handlers that extract the input, call one action
//! in `crate::iam`, and answer. Each module has a `router()`; [`router`] merges them.

mod audit;
mod auth;
mod iam;
mod time;

use axum::Router;
use shared::api::Action;

use crate::state::AppState;

/// Every `/api` route.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .merge(time::router())
        .merge(auth::router())
        .merge(iam::router())
        .merge(audit::router())
}

/// The JSON API's path of `action` (every action these routers serve has one).
fn path(action: Action) -> &'static str {
    action
        .surface()
        .json_path
        .expect("an action the JSON API serves")
}

//! The JSON API (`/api/…`, docs/api.md): thin handlers that extract the input, call one action
//! in `crate::iam`, and answer. Each module has a `router()`; `super::app` merges them.

pub(super) mod admin;
pub(super) mod audit;
pub(super) mod auth;
pub(super) mod health;
pub(super) mod iam;
pub(super) mod time;

use shared::api::Action;

/// The JSON API's path of `action` (every action these routers serve has one).
fn path(action: Action) -> &'static str {
    action
        .surface()
        .json_path
        .expect("an action the JSON API serves")
}

//! `POST /api/iam/{Action}`: IAM's actions with IAM's request members, as JSON. The list
//! actions read their paging members (`MaxItems`, `Marker`) from the same body.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::api::Action;

use super::parse_body;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// The route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/iam/{action}", post(dispatch))
}

async fn dispatch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, Error> {
    let s = &state;
    let c = &caller;
    let action = Action::of_json_path(&format!("{}{name}", shared::api::IAM_PATH_PREFIX));
    Ok(
        match action.ok_or_else(|| Error::Validation("Unknown action.".into()))? {
            Action::ListMfaDevices => {
                let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
                Json(iam::list_mfa_devices(s, c, req, paging).await?).into_response()
            }
            Action::ResyncMfaDevice => {
                Json(iam::resync_mfa_device(s, c, parse_body(&body)?).await?).into_response()
            }
            Action::EnableMfaDevice => {
                Json(iam::enable_mfa_device(s, c, parse_body(&body)?).await?).into_response()
            }
            Action::DeactivateMfaDevice => {
                Json(iam::deactivate_mfa_device(s, c, parse_body(&body)?).await?).into_response()
            }
            Action::CreateVirtualMfaDevice => {
                Json(iam::create_virtual_mfa_device(s, c, parse_body(&body)?).await?)
                    .into_response()
            }
            Action::DeleteVirtualMfaDevice => {
                Json(iam::delete_virtual_mfa_device(s, c, parse_body(&body)?).await?)
                    .into_response()
            }
            Action::ListVirtualMfaDevices => {
                let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
                Json(iam::list_virtual_mfa_devices(s, c, req, paging).await?).into_response()
            }
            Action::ListUsers => {
                let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
                Json(iam::list_users(s, c, req, paging).await?).into_response()
            }
            Action::ListAccessKeys => {
                let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
                Json(iam::list_access_keys(s, c, req, paging).await?).into_response()
            }
            Action::UnlockMfaDevice => {
                Json(iam::unlock_mfa_device(s, c, parse_body(&body)?).await?).into_response()
            }
            _ => return Err(Error::Validation("Unknown action.".into())),
        },
    )
}

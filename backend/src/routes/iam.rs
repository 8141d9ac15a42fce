//! `POST /api/iam/{Action}`: IAM's actions with IAM's request members, as JSON. The list
//! actions read their paging members (`MaxItems`, `Marker`) from the same body.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::api::action;

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
    Ok(match name.as_str() {
        action::LIST_MFA_DEVICES => {
            let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
            Json(iam::list_mfa_devices(s, c, req, paging).await?).into_response()
        }
        action::RESYNC_MFA_DEVICE => {
            Json(iam::resync_mfa_device(s, c, parse_body(&body)?).await?).into_response()
        }
        action::ENABLE_MFA_DEVICE => {
            Json(iam::enable_mfa_device(s, c, parse_body(&body)?).await?).into_response()
        }
        action::DEACTIVATE_MFA_DEVICE => {
            Json(iam::deactivate_mfa_device(s, c, parse_body(&body)?).await?).into_response()
        }
        action::CREATE_VIRTUAL_MFA_DEVICE => {
            Json(iam::create_virtual_mfa_device(s, c, parse_body(&body)?).await?).into_response()
        }
        action::DELETE_VIRTUAL_MFA_DEVICE => {
            Json(iam::delete_virtual_mfa_device(s, c, parse_body(&body)?).await?).into_response()
        }
        action::LIST_VIRTUAL_MFA_DEVICES => {
            let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
            Json(iam::list_virtual_mfa_devices(s, c, req, paging).await?).into_response()
        }
        action::LIST_USERS => {
            let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
            Json(iam::list_users(s, c, req, paging).await?).into_response()
        }
        action::LIST_ACCESS_KEYS => {
            let (req, paging) = (parse_body(&body)?, parse_body(&body)?);
            Json(iam::list_access_keys(s, c, req, paging).await?).into_response()
        }
        action::UNLOCK_MFA_DEVICE => {
            Json(iam::unlock_mfa_device(s, c, parse_body(&body)?).await?).into_response()
        }
        _ => return Err(Error::Validation("Unknown action.".into())),
    })
}

//! `GetUser`: one user (or the caller), for the IAM Query API (`aws iam get-user`).

use serde::{Deserialize, Serialize};
use shared::api::User;

use super::devices::resolve_target;
use super::users::user_of;
use super::{Caller, access_denied, audited, is_allowed};
use crate::error::Error;
use crate::state::AppState;

/// `GetUser`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserRequest {
    /// The user; the caller when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// The answer to `GetUser`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserResponse {
    /// The user (for the root user, `UserName` and `UserId` are the account id, as in IAM).
    pub user: User,
}

/// `GetUser`: authorised as `iam:GetUser` on the user's ARN.
pub async fn get_user(
    state: &AppState,
    caller: &Caller,
    req: GetUserRequest,
) -> Result<GetUserResponse, Error> {
    let user_name = req.user_name.as_deref();
    audited(state, caller, "GetUser", user_name, None, async {
        let target = resolve_target(state, caller, user_name).await?;
        if !is_allowed(state, caller, "iam:GetUser", &target.arn, target.is_self).await? {
            return Err(access_denied(caller, "iam:GetUser"));
        }
        let target = target.principal.ok_or_else(|| {
            Error::NoSuchEntity(format!(
                "The user with name {} cannot be found.",
                user_name.unwrap_or_default()
            ))
        })?;
        Ok(GetUserResponse {
            user: user_of(&target),
        })
    })
    .await
}

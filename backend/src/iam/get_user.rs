//! `GetUser`: one user (or the caller), for the IAM Query API (`aws iam get-user`).

use serde::{Deserialize, Serialize};
use shared::api::{Action, User};

use super::authorize::{Visibility, authorize_user};
use super::caller::{Caller, audited};
use super::users::user_of;
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
    let action = Action::GetUser;
    audited(state, caller, action, user_name, None, async {
        let target = authorize_user(state, caller, action, user_name, Visibility::Plain).await?;
        Ok(GetUserResponse {
            user: user_of(&target),
        })
    })
    .await
}

//! IAM users.

use serde::{Deserialize, Serialize};

/// `ListUsers` (no members).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersRequest {}

/// An IAM user (for the root user: `UserName` is the account id, as IAM reports it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// `/`.
    pub path: String,
    /// The user name.
    pub user_name: String,
    /// A stable id (`AIDA…`).
    pub user_id: String,
    /// `arn:aws:iam::ACCOUNT:user/NAME`.
    pub arn: String,
    /// When the user was created, RFC 3339 UTC.
    pub create_date: String,
}

/// The answer to `ListUsers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersResponse {
    /// The account's users, by name without regard to case.
    pub users: Vec<User>,
    /// Whether more users follow: then [`ListUsersResponse::marker`] asks for them.
    pub is_truncated: bool,
    /// For the next page (see [`Paging`]); only when `is_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

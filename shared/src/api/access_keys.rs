//! Access keys.

use serde::{Deserialize, Serialize};

/// `ListAccessKeys`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysRequest {
    /// Whose keys; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// An access key without its secret, as `ListAccessKeys` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    /// The owner's user name (for the root user, the account id).
    pub user_name: String,
    /// `AKIA…`.
    pub access_key_id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// When it was created, RFC 3339 UTC.
    pub create_date: String,
}

/// The answer to `ListAccessKeys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysResponse {
    /// The keys, oldest first.
    pub access_key_metadata: Vec<AccessKeyMetadata>,
    /// Whether more keys follow: then [`ListAccessKeysResponse::marker`] asks for them.
    pub is_truncated: bool,
    /// For the next page (see [`Paging`]); only when `is_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

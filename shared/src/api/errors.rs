//! Errors: the body of every error response and IAM's error codes.

use serde::{Deserialize, Serialize};

/// The body of every error response: `{"Error":{"Code":"…","Message":"…"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorResponse {
    /// The error.
    pub error: ApiError,
}

/// An error: IAM's code and a sentence for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    /// What went wrong, as a stable code.
    pub code: ErrorCode,
    /// What went wrong, for a person; never contains a code, seed or password.
    pub message: String,
    /// Codes refused and counted (`InvalidAuthenticationCode`): how many more refusals are
    /// free before a wait; 0 when the next one starts a wait, or this one did (its
    /// `Retry-After` says how long). Absent on every other error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u64>,
}

/// Error codes (IAM's where IAM has one) with their HTTP status, see [`ErrorCode::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: a member is missing or malformed (including a code that is not exactly its digits).
    ValidationError,
    /// 401: the account, user name or password is wrong (never says which).
    SignInFailed,
    /// 401: no session, or it expired.
    NotSignedIn,
    /// 403: the codes are not valid (wrong, stale, reused, not consecutive).
    InvalidAuthenticationCode,
    /// 403: the caller may not do this (policy, or a password-only session).
    AccessDenied,
    /// 403: a state-changing request without the CSRF header, or from another site.
    CrossOriginRequest,
    /// 404: no such user or device (also for another user's device the caller may not see).
    NoSuchEntity,
    /// 409: a user or device with that name exists already.
    EntityAlreadyExists,
    /// 409: the device is still assigned to a user.
    DeleteConflict,
    /// 409: the request cannot apply in the entity's current state (e.g. a FIDO key to resync).
    InvalidState,
    /// 415: a state-changing request whose body is not `application/json`.
    UnsupportedMediaType,
    /// 429: too many failed attempts; see `Retry-After`. Also a device locked until an
    /// administrator unlocks it.
    LimitExceeded,
    /// 500: something failed on the server (details are logged, never sent).
    ServiceFailure,
    /// 503: the server is at its limit for this kind of work (e.g. password hashing); see
    /// `Retry-After`. Nothing was done: the same request may simply be sent again.
    ServiceUnavailable,
    /// A code this version does not know (only produced when deserialising).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationError => 400,
            ErrorCode::SignInFailed | ErrorCode::NotSignedIn => 401,
            ErrorCode::InvalidAuthenticationCode
            | ErrorCode::AccessDenied
            | ErrorCode::CrossOriginRequest => 403,
            ErrorCode::NoSuchEntity => 404,
            ErrorCode::EntityAlreadyExists
            | ErrorCode::DeleteConflict
            | ErrorCode::InvalidState => 409,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::LimitExceeded => 429,
            ErrorCode::ServiceFailure | ErrorCode::Unknown => 500,
            ErrorCode::ServiceUnavailable => 503,
        }
    }

    /// The code as it appears in JSON, e.g. `"NoSuchEntity"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "ValidationError",
            ErrorCode::SignInFailed => "SignInFailed",
            ErrorCode::NotSignedIn => "NotSignedIn",
            ErrorCode::InvalidAuthenticationCode => "InvalidAuthenticationCode",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::CrossOriginRequest => "CrossOriginRequest",
            ErrorCode::NoSuchEntity => "NoSuchEntity",
            ErrorCode::EntityAlreadyExists => "EntityAlreadyExists",
            ErrorCode::DeleteConflict => "DeleteConflict",
            ErrorCode::InvalidState => "InvalidState",
            ErrorCode::UnsupportedMediaType => "UnsupportedMediaType",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::ServiceFailure => "ServiceFailure",
            ErrorCode::ServiceUnavailable => "ServiceUnavailable",
            ErrorCode::Unknown => "Unknown",
        }
    }

    /// Every code this version knows (all but [`ErrorCode::Unknown`]).
    pub const KNOWN: [ErrorCode; 14] = [
        ErrorCode::ValidationError,
        ErrorCode::SignInFailed,
        ErrorCode::NotSignedIn,
        ErrorCode::InvalidAuthenticationCode,
        ErrorCode::AccessDenied,
        ErrorCode::CrossOriginRequest,
        ErrorCode::NoSuchEntity,
        ErrorCode::EntityAlreadyExists,
        ErrorCode::DeleteConflict,
        ErrorCode::InvalidState,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::LimitExceeded,
        ErrorCode::ServiceFailure,
        ErrorCode::ServiceUnavailable,
    ];

    /// Parses [`ErrorCode::as_str`]'s spelling; a code this version does not know is
    /// [`ErrorCode::Unknown`], as when deserialising.
    pub fn parse(s: &str) -> ErrorCode {
        ErrorCode::KNOWN
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(ErrorCode::Unknown)
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An empty JSON object `{}`: the response of actions that return nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponse {}

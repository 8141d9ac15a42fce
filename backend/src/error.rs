//! The one error type of the server and its HTTP form (`{"Error":{"Code","Message"}}`).
//!
//! Actions return [`Error`]; only the HTTP boundary turns it into a response. Database and
//! internal errors are logged with the request's span and sent as a bare `ServiceFailure`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ErrorCode, ErrorResponse};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `ValidationError`: a member is missing or malformed.
    #[error("{0}")]
    Validation(String),
    /// 401 `SignInFailed`: wrong account, user name or password (never says which).
    #[error("The account, user name or password is incorrect.")]
    SignInFailed,
    /// 401 `NotSignedIn`: no session, or it expired.
    #[error("You are not signed in, or your session has expired. Please sign in again.")]
    NotSignedIn,
    /// 403 `InvalidAuthenticationCode`: wrong, stale, reused or non-consecutive codes.
    #[error("{0}")]
    InvalidAuthenticationCode(&'static str),
    /// 403 `AccessDenied`: policy or a password-only session forbids this.
    #[error("{0}")]
    AccessDenied(String),
    /// 403 `CrossOriginRequest`: the CSRF rules refused the request.
    #[error("{0}")]
    CrossOrigin(&'static str),
    /// 404 `NoSuchEntity`: no such user or device, or one the caller may not see.
    #[error("{0}")]
    NoSuchEntity(String),
    /// 409 `EntityAlreadyExists`.
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// 409 `DeleteConflict`: the device is still assigned.
    #[error("{0}")]
    DeleteConflict(String),
    /// 409 `InvalidState`: e.g. a FIDO key cannot be resynced.
    #[error("{0}")]
    InvalidState(String),
    /// 415 `UnsupportedMediaType`: a state change whose body is not `application/json`.
    #[error("State-changing requests must have Content-Type: application/json.")]
    UnsupportedMediaType,
    /// 429 `LimitExceeded` with `Retry-After`: throttled, or locked until an administrator
    /// unlocks it.
    #[error("{}", if *locked { "Too many failed attempts: this is locked until an administrator unlocks it." } else { "Too many failed attempts. Wait before trying again." })]
    LimitExceeded {
        /// Seconds to wait.
        retry_after: u64,
        /// Locked until an administrator unlocks it.
        locked: bool,
    },
    /// 500 `ServiceFailure`: the database failed (logged, not sent).
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// 500 `ServiceFailure`: something else failed on the server (logged, not sent).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The IAM error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation(_) => ErrorCode::ValidationError,
            Error::SignInFailed => ErrorCode::SignInFailed,
            Error::NotSignedIn => ErrorCode::NotSignedIn,
            Error::InvalidAuthenticationCode(_) => ErrorCode::InvalidAuthenticationCode,
            Error::AccessDenied(_) => ErrorCode::AccessDenied,
            Error::CrossOrigin(_) => ErrorCode::CrossOriginRequest,
            Error::NoSuchEntity(_) => ErrorCode::NoSuchEntity,
            Error::EntityAlreadyExists(_) => ErrorCode::EntityAlreadyExists,
            Error::DeleteConflict(_) => ErrorCode::DeleteConflict,
            Error::InvalidState(_) => ErrorCode::InvalidState,
            Error::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Error::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            Error::Database(_) | Error::Internal(_) => ErrorCode::ServiceFailure,
        }
    }

    /// The standard refusal of codes.
    pub fn invalid_code() -> Error {
        Error::InvalidAuthenticationCode(
            "The authentication codes are not valid for this device. Use fresh codes: two \
             consecutive codes for a resync, the code showing now to sign in.",
        )
    }

    /// The answer for a device that does not exist *or* that the caller may not see (security
    /// rule 14): both must be indistinguishable.
    pub fn no_such_device() -> Error {
        Error::NoSuchEntity("No MFA device with this serial number was found for this user.".into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let code = self.code();
        let message = match &self {
            Error::Database(e) => {
                tracing::error!(error = %e, "database error");
                "The service failed to process the request.".to_owned()
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "The service failed to process the request.".to_owned()
            }
            other => other.to_string(),
        };
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorResponse {
            error: ApiError { code, message },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Error::LimitExceeded { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

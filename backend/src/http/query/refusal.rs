//! Why a Query request failed: the protocol refused it before any action ran ([`Refusal`],
//! with AWS's common error codes, which the JSON API never produces), or the action did
//! ([`Failure::Failed`], keeping its IAM code and status; `LimitExceeded` is IAM's 409 here,
//! with `Retry-After`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use shared::api::Service;

use crate::error::Error;

/// A refusal of the protocol layer, with AWS's common error code and status.
#[derive(Debug)]
pub struct Refusal {
    /// AWS's error code, e.g. `SignatureDoesNotMatch`.
    pub code: &'static str,
    /// Its HTTP status.
    pub status: StatusCode,
    /// For a person.
    pub message: String,
}

impl Refusal {
    pub(super) fn new(
        code: &'static str,
        status: StatusCode,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal {
            code,
            status,
            message: message.into(),
        }
    }
    pub(super) fn missing_authentication_token() -> Refusal {
        Refusal::new(
            "MissingAuthenticationToken",
            StatusCode::FORBIDDEN,
            "Request is missing Authentication Token",
        )
    }
    pub(super) fn incomplete_signature(why: impl Into<String>) -> Refusal {
        Refusal::new("IncompleteSignature", StatusCode::BAD_REQUEST, why)
    }
    pub(super) fn invalid_client_token_id() -> Refusal {
        Refusal::new(
            "InvalidClientTokenId",
            StatusCode::FORBIDDEN,
            "The security token included in the request is invalid.",
        )
    }
    pub(super) fn expired_token() -> Refusal {
        Refusal::new(
            "ExpiredToken",
            StatusCode::BAD_REQUEST,
            "The security token included in the request is expired",
        )
    }
    pub(super) fn signature_does_not_match(why: impl Into<String>) -> Refusal {
        Refusal::new("SignatureDoesNotMatch", StatusCode::FORBIDDEN, why)
    }
    pub(super) fn request_expired(amz_date: &str) -> Refusal {
        Refusal::new(
            "RequestExpired",
            StatusCode::BAD_REQUEST,
            format!(
                "Request has expired: X-Amz-Date {amz_date} is more than 15 minutes from the server's time."
            ),
        )
    }
    pub(super) fn request_already_used() -> Refusal {
        Refusal::new(
            "RequestAlreadyUsed",
            StatusCode::FORBIDDEN,
            "This signed request was already accepted once: a signed request that changes \
             something is accepted only once. Sign it again (a repeat within the same second \
             has the same signature).",
        )
    }
    pub(super) fn missing_action() -> Refusal {
        Refusal::new(
            "MissingAction",
            StatusCode::BAD_REQUEST,
            "The request has no Action parameter.",
        )
    }
    pub(super) fn missing_parameter(name: &str) -> Refusal {
        Refusal::new(
            "MissingParameter",
            StatusCode::BAD_REQUEST,
            format!("The request must contain the parameter {name}."),
        )
    }
    pub(super) fn no_such_version(version: &str, service: Service) -> Refusal {
        Refusal::new(
            "NoSuchVersion",
            StatusCode::BAD_REQUEST,
            format!(
                "The requested version ({version}) of service {} does not exist; it speaks {}.",
                service.signing_name(),
                service.version()
            ),
        )
    }
    pub(super) fn invalid_action(action: &str) -> Refusal {
        Refusal::new(
            "InvalidAction",
            StatusCode::BAD_REQUEST,
            format!(
                "Could not find operation {action} for version {}.",
                Service::Iam.version()
            ),
        )
    }
    pub(super) fn invalid_parameter(why: impl Into<String>) -> Refusal {
        Refusal::new("InvalidParameterValue", StatusCode::BAD_REQUEST, why)
    }
    pub(super) fn service_failure(e: &Error) -> Refusal {
        tracing::error!(error = %e, "query authentication failed");
        Refusal::new(
            "ServiceFailure",
            StatusCode::INTERNAL_SERVER_ERROR,
            "The service failed to process the request.",
        )
    }
}

/// Why a Query request failed: the protocol refused it, or the action did.
#[derive(Debug)]
pub enum Failure {
    /// Before any action ran.
    Refused(Refusal),
    /// The action's own error.
    Failed(Error),
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Failure {
        Failure::Refused(r)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Failed(e)
    }
}

impl Failure {
    /// The service's `ErrorResponse` with IAM's status for the code.
    pub(super) fn into_response(self, service: Service, request_id: &str) -> Response {
        let (status, code, message, retry_after) = match self {
            Failure::Refused(r) => (r.status, r.code, r.message, None),
            Failure::Failed(Error::LimitExceeded {
                retry_after,
                locked,
            }) => {
                let e = Error::LimitExceeded {
                    retry_after,
                    locked,
                };
                (
                    StatusCode::CONFLICT,
                    "LimitExceeded",
                    e.to_string(),
                    Some(retry_after),
                )
            }
            Failure::Failed(e @ (Error::Database(_) | Error::Internal(_))) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceFailure",
                e.public_message(),
                None,
            ),
            Failure::Failed(e) => {
                let code = e.code();
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
                (status, code.as_str(), e.to_string(), e.retry_after())
            }
        };
        let body = super::xml::error(
            service,
            status.is_client_error(),
            code,
            &message,
            request_id,
        );
        let mut res = super::xml::response(status, body, request_id);
        if let Some(seconds) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}

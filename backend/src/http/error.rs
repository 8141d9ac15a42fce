//! The HTTP form of the one error type ([`crate::Error`]): `{"Error":{"Code","Message"}}` with
//! the status of its IAM code, and `Retry-After` on `LimitExceeded`. Database and internal
//! errors are logged with the request's span and sent as a bare `ServiceFailure`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ErrorResponse};

use crate::error::Error;
use shared::api::ErrorCode;

/// A request refused by an extractor — no live session, a malformed or oversized body — before
/// any action ran, so no action audited it. Its response carries [`Unaudited`], for the API's
/// gate (`super::csrf`) to audit it (security rules 21 and 25: every refusal, bounded).
#[derive(Debug)]
pub struct Rejected(pub Error);

/// The mark on the response of a [`Rejected`] request: its error code.
#[derive(Clone, Copy, Debug)]
pub(super) struct Unaudited(pub ErrorCode);

impl From<Error> for Rejected {
    fn from(e: Error) -> Rejected {
        Rejected(e)
    }
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        let code = self.0.code();
        let mut response = self.0.into_response();
        response.extensions_mut().insert(Unaudited(code));
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let code = self.code();
        let message = self.public_message();
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorResponse {
            error: ApiError {
                code,
                message,
                tries_left: self.tries_left(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

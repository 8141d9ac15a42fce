//! The HTTP form of the one error type ([`crate::Error`]): `{"Error":{"Code","Message"}}` with
//! the status of its IAM code, and `Retry-After` on `LimitExceeded`. Database and internal
//! errors are logged with the request's span and sent as a bare `ServiceFailure`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::api::{ApiError, ErrorResponse};

use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let code = self.code();
        let message = self.public_message();
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorResponse {
            error: ApiError { code, message },
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

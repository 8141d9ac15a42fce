//! The IAM Query protocol (issue 6): the unmodified `aws` CLI and boto3, pointed at this server
//! with `--endpoint-url`, call the same actions as the browser app.
//!
//! `POST /` with a form body `Action=…&Version=2010-05-08&…` (or `GET /?Action=…`), signed with
//! AWS Signature Version 4 by an access key ([`sigv4`]); the answer is IAM's XML
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/>). This is a thin adapter: parameters
//! become the actions' typed inputs ([`params`]), [`actions`] calls the one implementation of each
//! action in [`crate::iam`] (policy, throttling, replay protection and audit all live there), and
//! renders its typed output as XML ([`xml`]).
//!
//! Not the JSON API's browser defences: the CSRF layer only guards `/api/`, and a signed request
//! cannot be forged by a page the user visits (it holds no cookie and needs the secret). The
//! security headers still apply to every response.
//!
//! Errors: an action's [`Error`] keeps its IAM code and status (`LimitExceeded` is IAM's 409
//! here, with `Retry-After`); failures of the protocol itself, before any action runs — the
//! signature, a missing `Action` — are a [`Refusal`] with AWS's common error codes, which the JSON
//! API never produces.

mod actions;
mod params;
mod qr_png;
mod sigv4;
mod xml;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};

use shared::api::Action;

use crate::error::Error;
use crate::iam::{Authentication, Caller};
use crate::state::AppState;
use params::Params;

/// Request bodies larger than this are refused (IAM's own limit for Query requests is far
/// smaller than a megabyte; ours hold a few short members).
const MAX_BODY: usize = 64 * 1024;

/// `POST /` and `GET /?Action=…`. A `GET /` without `Action` is the app's, as before.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/", post(post_query).get(get_query))
}

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
    fn new(code: &'static str, status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            status,
            message: message.into(),
        }
    }
    fn missing_authentication_token() -> Refusal {
        Refusal::new(
            "MissingAuthenticationToken",
            StatusCode::FORBIDDEN,
            "Request is missing Authentication Token",
        )
    }
    fn incomplete_signature(why: impl Into<String>) -> Refusal {
        Refusal::new("IncompleteSignature", StatusCode::BAD_REQUEST, why)
    }
    fn invalid_client_token_id() -> Refusal {
        Refusal::new(
            "InvalidClientTokenId",
            StatusCode::FORBIDDEN,
            "The security token included in the request is invalid.",
        )
    }
    fn signature_does_not_match(why: impl Into<String>) -> Refusal {
        Refusal::new("SignatureDoesNotMatch", StatusCode::FORBIDDEN, why)
    }
    fn request_expired(amz_date: &str) -> Refusal {
        Refusal::new(
            "RequestExpired",
            StatusCode::BAD_REQUEST,
            format!(
                "Request has expired: X-Amz-Date {amz_date} is more than 15 minutes from the server's time."
            ),
        )
    }
    fn missing_action() -> Refusal {
        Refusal::new(
            "MissingAction",
            StatusCode::BAD_REQUEST,
            "The request has no Action parameter.",
        )
    }
    fn missing_parameter(name: &str) -> Refusal {
        Refusal::new(
            "MissingParameter",
            StatusCode::BAD_REQUEST,
            format!("The request must contain the parameter {name}."),
        )
    }
    fn no_such_version(version: &str) -> Refusal {
        Refusal::new(
            "NoSuchVersion",
            StatusCode::BAD_REQUEST,
            format!(
                "The requested version ({version}) of service AWSIdentityManagementV20100508 does not exist."
            ),
        )
    }
    fn invalid_action(action: &str) -> Refusal {
        Refusal::new(
            "InvalidAction",
            StatusCode::BAD_REQUEST,
            format!(
                "Could not find operation {action} for version {}.",
                params::VERSION
            ),
        )
    }
    fn invalid_parameter(why: impl Into<String>) -> Refusal {
        Refusal::new("InvalidParameterValue", StatusCode::BAD_REQUEST, why)
    }
    fn service_failure(e: &Error) -> Refusal {
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
    /// IAM's `ErrorResponse` with IAM's status for the code.
    fn into_response(self, request_id: &str) -> Response {
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
                let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_REQUEST);
                (status, code.as_str(), e.to_string(), None)
            }
        };
        let body = xml::error(status.is_client_error(), code, &message, request_id);
        let mut res = xml_response(status, body, request_id);
        if let Some(seconds) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    // CreateVirtualMFADevice answers with a seed: nothing here may be cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    res
}

async fn get_query(
    State(state): State<AppState>,
    web: Extension<super::web::Web>,
    req: Request,
) -> Response {
    let has_action = req
        .uri()
        .query()
        .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "Action"));
    if !has_action {
        return super::web::fallback(web, req).await;
    }
    handle(state, req).await
}

async fn post_query(State(state): State<AppState>, req: Request) -> Response {
    handle(state, req).await
}

async fn handle(state: AppState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let request_id = super::trace::request_id(&parts.extensions);
    let result = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => serve(&state, &parts, &body).await,
        Err(_) => {
            Err(Refusal::invalid_parameter("The request body is too large or unreadable.").into())
        }
    };
    match result {
        Ok((action, out)) => {
            let body = xml::success(action, out.as_ref(), &request_id);
            xml_response(StatusCode::OK, body, &request_id)
        }
        Err(failure) => failure.into_response(&request_id),
    }
}

/// Parameters, signature, then the action. Returns the action's name and its result element.
async fn serve(
    state: &AppState,
    parts: &Parts,
    body: &Bytes,
) -> Result<(&'static str, Option<xml::Xml>), Failure> {
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !body.is_empty() && !form {
        return Err(Refusal::invalid_parameter(
            "The body must be application/x-www-form-urlencoded.",
        )
        .into());
    }
    let params = Params::parse(parts.uri.query(), form.then_some(&body[..]))?;
    let label = Action::of_query_name(params.get("Action").unwrap_or(""))
        .map_or("QueryRequest", Action::name);
    let principal = sigv4::authenticate(state, parts, body, label).await?;
    let action = params.action()?;
    let caller = Caller {
        principal,
        authentication: Authentication::AccessKey,
        meta: super::extract::request_meta(&parts.extensions),
        policies: None,
    };
    let action = Action::of_query_name(action).ok_or_else(|| Refusal::invalid_action(action))?;
    Ok((
        action.name(),
        actions::run(state, &caller, action, &params).await?,
    ))
}

//! The IAM Query protocol (issue 6): the unmodified `aws` CLI and boto3, pointed at this server
//! with `--endpoint-url`, call the same actions as the browser app — and STS's
//! `GetSessionToken` and `GetCallerIdentity` (issue 15), in STS's version and namespace.
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
pub(crate) mod params;
mod qr_png;
pub(crate) mod refusal;
pub(crate) mod sigv4;
mod xml;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

use shared::api::{Action, Service};

use crate::iam::Caller;
use crate::state::AppState;
use params::Params;
use refusal::{Failure, Refusal};

/// Request bodies larger than this are refused (IAM's own limit for Query requests is far
/// smaller than a megabyte; ours hold a few short members).
const MAX_BODY: usize = 64 * 1024;

/// `POST /` and `GET /?Action=…`. A `GET /` without `Action` is the app's, as before.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/", post(post_query).get(get_query))
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
    let (result, service) = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => {
            // The service answering: the action's, as far as it can be told (IAM's otherwise).
            let action = form_urlencoded::parse(&body)
                .chain(form_urlencoded::parse(
                    parts.uri.query().unwrap_or("").as_bytes(),
                ))
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.into_owned());
            let service = params::service_of(action.as_deref());
            (serve(&state, &parts, &body, service).await, service)
        }
        Err(_) => (
            Err(Refusal::invalid_parameter("The request body is too large or unreadable.").into()),
            Service::Iam,
        ),
    };
    match result {
        Ok((action, out)) => {
            let body = xml::success(service, action, out.as_ref(), &request_id);
            xml::response(StatusCode::OK, body, &request_id)
        }
        Err(failure) => failure.into_response(service, &request_id),
    }
}

/// Parameters, signature (for `service`), then the action. Returns the action's name and its
/// result element.
async fn serve(
    state: &AppState,
    parts: &Parts,
    body: &Bytes,
    service: Service,
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
    let signed = sigv4::authenticate(state, parts, body, label, service).await?;
    let action = params.action()?;
    let action = Action::of_query_name(action).ok_or_else(|| Refusal::invalid_action(action))?;
    if action.changes_state() {
        sigv4::accept_once(state, parts, &signed, action.name()).await?;
    }
    let caller = Caller {
        principal: signed.principal,
        authentication: signed.authentication,
        meta: super::extract::request_meta(&parts.extensions),
        policies: None,
        session: None,
        access_key_id: Some(signed.access_key_id),
    };
    Ok((
        action.name(),
        actions::run(state, &caller, action, &params).await?,
    ))
}

//! The JSON API over HTTP: thin handlers that parse, call an action, and answer. Each module
//! exposes a `router()`; [`api_router`] merges them.

mod audit;
mod auth;
mod iam;
mod time;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::audit::RequestMeta;
use crate::clock::now_ms;
use crate::error::Error;
use crate::iam::{Authentication, Caller};
use crate::session;
use crate::state::AppState;
use crate::telemetry::RequestId;

/// Every `/api` route.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(time::router())
        .merge(auth::router())
        .merge(iam::router())
        .merge(audit::router())
}

/// Parses a JSON body into an action's input; a bad body is a 400 whose message names the
/// position, never the values (which could be codes or passwords).
pub(crate) fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "a member is missing or has the wrong type",
            _ => "it is not valid JSON",
        };
        Error::Validation(format!(
            "The request body was refused: {what} (line {}, column {}).",
            e.line(),
            e.column()
        ))
    })
}

/// The request's origin for the audit trail.
pub(crate) fn request_meta(parts: &Parts) -> RequestMeta {
    request_meta_of(&parts.extensions)
}

/// [`request_meta`] from a request's extensions (for middleware, which holds the request).
pub(crate) fn request_meta_of(extensions: &Extensions) -> RequestMeta {
    RequestMeta {
        source_ip: extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into()),
        request_id: extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default(),
    }
}

/// The request's origin, as an extractor.
pub(crate) struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        Ok(Meta(request_meta(parts)))
    }
}

/// The session cookie's token, if any.
pub(crate) struct SessionToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        Ok(SessionToken(session::token_from_headers(&parts.headers)))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = session::token_from_headers(&parts.headers).ok_or(Error::NotSignedIn)?;
        let found = session::lookup(state, &token, now_ms())
            .await?
            .ok_or(Error::NotSignedIn)?;
        let (row, principal, policies) = (found.session, found.principal, found.policies);
        let authentication = if row.mfa_present {
            Authentication::Mfa
        } else if row.mfa_pending {
            Authentication::PasswordOnly
        } else {
            Authentication::Password
        };
        Ok(Caller {
            principal,
            authentication,
            meta: request_meta(parts),
            policies: Some(policies),
        })
    }
}

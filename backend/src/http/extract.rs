//! The extractors every route uses: the typed JSON body ([`AppJson`], whose rejection is our
//! [`Error`]), the signed-in [`Caller`], the session cookie's token and the request's origin
//! for the audit trail.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::Extensions;
use axum::http::request::Parts;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::api::Paging;

use super::error::Rejected;
use crate::audit::RequestMeta;
use crate::error::Error;
use crate::iam::{Authentication, Caller};
use crate::session;
use crate::state::AppState;

/// A JSON body parsed into an action's input (an empty body is `{}`). A bad body is a 400
/// `ValidationError` whose message names the position, never the values (which could be codes
/// or passwords). The content type was checked by the CSRF layer.
pub(super) struct AppJson<T>(pub T);

/// The largest JSON body the API reads (security rule 25): its longest request (a
/// `CreateVirtualMFADevice` with a 512-character path, a password of 128 characters written
/// as `\uXXXX` escapes) is well under 4 KiB.
pub const MAX_JSON_BODY: usize = 8 * 1024;

/// A larger body is read this far and thrown away unkept, so that a client still sending it
/// gets its 400 instead of a broken connection; past this the connection is dropped.
const DRAINED_AT_MOST: usize = 4 * 1024 * 1024;

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, _: &S) -> Result<Self, Rejected> {
        Ok(read_json(req).await?)
    }
}

/// [`AppJson`]'s body, read within [`MAX_JSON_BODY`] and parsed.
async fn read_json<T: DeserializeOwned>(req: Request) -> Result<AppJson<T>, Error> {
    {
        let mut body = req.into_body();
        let (mut kept, mut seen) = (Vec::new(), 0usize);
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|_| Error::Validation("The request body could not be read.".into()))?;
            if let Some(data) = frame.data_ref() {
                seen += data.len();
                if seen <= MAX_JSON_BODY {
                    kept.extend_from_slice(data);
                } else if seen > DRAINED_AT_MOST {
                    break;
                }
            }
        }
        if seen > MAX_JSON_BODY {
            return Err(Error::Validation(format!(
                "The request body is larger than {MAX_JSON_BODY} bytes."
            )));
        }
        parse_body(&Bytes::from(kept)).map(AppJson)
    }
}

/// The body of a list action: its own members and IAM's paging members (`MaxItems`,
/// `Marker`), read from the same JSON object in one pass.
#[derive(Deserialize)]
pub(super) struct Listed<T> {
    /// The action's members.
    #[serde(flatten)]
    pub request: T,
    /// `MaxItems` and `Marker`.
    #[serde(flatten)]
    pub paging: Paging,
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
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

/// The request's origin for the audit trail, from its extensions (the peer address and the id
/// [`super::trace`] gave it).
pub(super) fn request_meta(extensions: &Extensions) -> RequestMeta {
    RequestMeta {
        source_ip: extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into()),
        request_id: super::trace::request_id(extensions),
    }
}

/// The request's origin, as an extractor.
pub(super) struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        Ok(Meta(request_meta(&parts.extensions)))
    }
}

/// The session cookie's token, if any.
pub(super) struct SessionToken(pub Option<String>);

impl FromRequestParts<AppState> for SessionToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        Ok(SessionToken(super::cookie::token_from_headers(
            &parts.headers,
            &state.settings,
        )))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Rejected> {
        Ok(caller(parts, state).await?)
    }
}

/// [`Caller`] from the session cookie.
async fn caller(parts: &Parts, state: &AppState) -> Result<Caller, Error> {
    {
        let token = super::cookie::token_from_headers(&parts.headers, &state.settings)
            .ok_or(Error::NotSignedIn)?;
        let found = session::lookup(state, &token)
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
            meta: request_meta(&parts.extensions),
            policies: Some(policies),
            session: Some(row.token_hash),
            access_key_id: None,
        })
    }
}

//! The readers of outside input that are private to the HTTP layer, reachable from outside the
//! crate for the fuzz targets (`fuzz/`, issue 14) and nothing else (hidden from the docs;
//! nothing in the server calls it). Each function is a thin door to the code the server runs,
//! not a copy of it. Not behind a cargo feature: the workspace's test run and the backend's
//! own would then build the backend twice, with and without it.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::Request;
use serde::de::DeserializeOwned;
use shared::api::Paging;

use super::extract::AppJson;
use super::query::params::Params;
use super::query::sigv4;
use crate::error::Error;
use crate::iam::paging::Position;

/// The parts of a SigV4 `Authorization` header as the server reads them (owned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id.
    pub key_id: String,
    /// The credential scope's date (`YYYYMMDD`, unchecked here).
    pub scope_date: String,
    /// The region signed for.
    pub region: String,
    /// The service signed for.
    pub service: String,
    /// `SignedHeaders`, split at `;`.
    pub signed_headers: Vec<String>,
    /// `Signature`.
    pub signature: String,
}

/// A Query API refusal: AWS's error code and its HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// e.g. `IncompleteSignature`.
    pub code: &'static str,
    /// e.g. 400.
    pub status: u16,
}

/// Reads an `Authorization` header value as [`sigv4`] does before it looks the key up.
pub fn authorization(value: &str) -> Result<Authorization, Refused> {
    sigv4::parse_authorization(value)
        .map(|a| Authorization {
            key_id: a.key_id.to_owned(),
            scope_date: a.scope_date.to_owned(),
            region: a.region.to_owned(),
            service: a.service.to_owned(),
            signed_headers: a.signed_headers.iter().map(|h| (*h).to_owned()).collect(),
            signature: a.signature.to_owned(),
        })
        .map_err(|r| Refused {
            code: r.code,
            status: r.status.as_u16(),
        })
}

/// Reads an `X-Amz-Date` value (`YYYYMMDD'T'HHMMSS'Z'`) as Unix seconds.
pub fn amz_date(text: &str) -> Option<i64> {
    sigv4::parse_amz_date(text)
}

/// What the Query API reads from a request's query string and form body: the parameters, each
/// name once, or the refusal.
pub fn query_params(query: Option<&str>, body: &[u8]) -> Result<Vec<(String, String)>, Refused> {
    let params = Params::parse(query, Some(body)).map_err(|r| Refused {
        code: r.code,
        status: r.status.as_u16(),
    })?;
    Ok(params.pairs())
}

/// What the Query API reads from accepted parameters, each read or refused.
#[derive(Debug)]
pub struct QueryInput<T> {
    /// `Action` (with IAM's `Version`).
    pub action: Result<String, Refused>,
    /// The action's input.
    pub input: Result<T, Error>,
    /// `MaxItems` and `Marker`.
    pub paging: Result<Paging, Error>,
}

/// The Query API's reading of parameters that [`query_params`] accepted, with `T` as the
/// action's input; `None` when the parameters are refused.
pub fn query_input<T: DeserializeOwned>(query: Option<&str>, body: &[u8]) -> Option<QueryInput<T>> {
    let params = Params::parse(query, Some(body)).ok()?;
    let action = params.action().map(str::to_owned).map_err(|r| Refused {
        code: r.code,
        status: r.status.as_u16(),
    });
    Some(QueryInput {
        action,
        input: params.input::<T>(),
        paging: params.paging(),
    })
}

/// Reads `body` as the JSON API's extractor does (size limit, strict JSON, `T`'s members), with
/// `content_type` as the request's `Content-Type`.
pub fn json_body<T: DeserializeOwned>(body: &[u8], content_type: Option<&str>) -> Result<T, Error> {
    let mut request = Request::builder().method("POST").uri("/api/fuzz");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let request = request
        .body(Body::from(body.to_vec()))
        .map_err(|e| Error::Validation(e.to_string()))?;
    let read = AppJson::<T>::from_request(request, &());
    match ready(read) {
        Ok(AppJson(value)) => Ok(value),
        Err(rejected) => Err(rejected.0),
    }
}

/// The lists whose markers [`marker`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// `ListUsers`.
    Users,
    /// `ListVirtualMFADevices`.
    VirtualDevices,
    /// `ListMFADevices`.
    Devices,
    /// `ListAccessKeys`.
    AccessKeys,
}

impl List {
    /// Every list.
    pub const ALL: [List; 4] = [
        List::Users,
        List::VirtualDevices,
        List::Devices,
        List::AccessKeys,
    ];
}

/// The marker as the server hands it out again, when `list` accepts `marker` (the position it
/// names, re-encoded); `None` when it is refused.
pub fn marker(marker: &str, list: List) -> Option<String> {
    let position = Position::decode(marker)?;
    let belongs = matches!(
        (&position, list),
        (Position::User(_), List::Users)
            | (Position::VirtualDevice(_), List::VirtualDevices)
            | (Position::Device(..), List::Devices)
            | (Position::AccessKey(..), List::AccessKeys)
    );
    belongs.then(|| position.encode())
}

/// The output of a future that needs no waiting (a request whose whole body is in memory).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("a request whose body is in memory is read at once"),
    }
}

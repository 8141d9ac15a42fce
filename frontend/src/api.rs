//! The typed client of the server's JSON API (`shared::api`), over the browser's `fetch`. One
//! error type, [`ApiError`]: the request never got an answer ([`ApiError::Fetch`]) or the server
//! refused it ([`ApiError::Api`], its `{"Error":{"Code","Message"}}` body decoded, with
//! `Retry-After`). What an error means to the person is said by
//! [`crate::components::error_notice::advice`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::futures::JsFuture;
use serde::Serialize;
use shared::api::{
    self as wire, Action, ErrorCode, ErrorResponse, REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, RequestInit, Response};

use crate::json::Decode;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// No usable answer: the network, or an answer that is not the API's. The detail is a fixed
    /// phrase: formatting the browser's and the decoder's errors would cost kilobytes of wasm.
    Fetch(&'static str),
    /// The server answered with an error.
    Api {
        /// IAM's error code.
        code: ErrorCode,
        /// The server's sentence.
        message: String,
        /// Seconds to wait, from `Retry-After` (a throttle's 429, or a refusal of codes that
        /// started a wait).
        retry_after: Option<u64>,
        /// For refused codes: the refusals still free before a wait (`TriesLeft`).
        tries_left: Option<u64>,
    },
}

impl ApiError {
    /// The error code, if the server answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Fetch(_) => None,
            ApiError::Api { code, .. } => Some(*code),
        }
    }

    /// Whether the session is gone (expired or signed out elsewhere).
    pub fn is_signed_out(&self) -> bool {
        self.code() == Some(ErrorCode::NotSignedIn)
    }
}

/// The request got no answer.
const NETWORK: ApiError = ApiError::Fetch("the server could not be reached");
/// The answer was not the API's.
const UNEXPECTED: ApiError = ApiError::Fetch("the answer was not what the app expects");

/// A request on its way: the body of a 2xx answer, or the decoded error. One boxed, non-generic
/// future serves every call; each call's own future only decodes what it brings back.
pub type Sent = Pin<Box<dyn Future<Output = Result<String, ApiError>>>>;

/// Starts a request: `GET path` without a body, else `POST path` with `body` as JSON. See
/// [`exchange`].
fn send(path: &str, body: Option<String>) -> Sent {
    Box::pin(exchange(fetch(path, body)))
}

/// The browser's `fetch`, called through web-sys: gloo-net's wrappers (its request builder,
/// error type and JSON support) cost 1.9 KB br of wasm and glue this app did not use (measured,
/// December 2026).
fn fetch(path: &str, body: Option<String>) -> Result<JsFuture, ApiError> {
    let init = RequestInit::new();
    if let Some(body) = body {
        let headers = Headers::new().map_err(|_| UNEXPECTED)?;
        headers
            .set(REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE)
            .and_then(|()| headers.set("Content-Type", "application/json"))
            .map_err(|_| UNEXPECTED)?;
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    Ok(JsFuture::from(
        web_sys::window()
            .ok_or(UNEXPECTED)?
            .fetch_with_str_and_init(path, &init),
    ))
}

/// Waits for the answer and returns the body of a 2xx answer, or the decoded error. Not generic
/// on purpose: one copy of the fetch machinery serves every call (generic `get`/`post` that
/// decoded inside cost about 1 KB gzip per API call, measured).
async fn exchange(started: Result<JsFuture, ApiError>) -> Result<String, ApiError> {
    let response: Response = started?.await.map_err(|_| NETWORK)?.unchecked_into();
    let ok = response.ok();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = JsFuture::from(response.text().map_err(|_| NETWORK)?)
        .await
        .map_err(|_| NETWORK)?
        .as_string()
        .ok_or(NETWORK)?;
    if ok {
        return Ok(text);
    }
    match decode::<ErrorResponse>(&text) {
        Ok(body) => Err(ApiError::Api {
            code: body.error.code,
            message: body.error.message,
            retry_after,
            tries_left: body.error.tries_left,
        }),
        Err(_) => Err(ApiError::Fetch(
            "the server answered an error without an error body",
        )),
    }
}

/// Parses JSON with the browser's `JSON.parse` and reads it (see [`crate::json`]).
fn decode<T: Decode>(text: &str) -> Result<T, crate::json::Error> {
    crate::json::from_str(text)
}

/// A request on its way whose answer reads as a `T`: a future of it, or handed whole to
/// [`crate::background::run_call`], which waits for every call with one compiled body (nested
/// generic `async fn`s per answer type instead cost the app 0.75 KB br of wasm, measured).
pub struct Call<T> {
    sent: Sent,
    read: Reader<T>,
}

/// How a call's text answer becomes its value.
type Reader<T> = fn(Result<String, ApiError>) -> Result<T, ApiError>;

impl<T: Decode> Call<T> {
    fn new(sent: Sent) -> Call<T> {
        Call {
            sent,
            read: read::<T>,
        }
    }
}

impl<T> Call<T> {
    /// The request's text answer on its way, and how to read it.
    pub fn into_parts(self) -> (Sent, Reader<T>) {
        (self.sent, self.read)
    }
}

impl<T> Future for Call<T> {
    type Output = Result<T, ApiError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let read = self.read;
        self.sent.as_mut().poll(cx).map(read)
    }
}

/// Reads a text answer as a `T`.
fn read<T: Decode>(answer: Result<String, ApiError>) -> Result<T, ApiError> {
    decode(&answer?).map_err(|_| UNEXPECTED)
}

/// `GET path`.
fn get<T: Decode>(path: &str) -> Call<T> {
    Call::new(send(path, None))
}

/// `POST` to the JSON API's path of `action` (every action the app calls has one), `body` as
/// JSON. The request is built now (the body serialised), so the future borrows nothing.
fn call<B: Serialize, T: Decode>(action: Action, body: &B) -> Call<T> {
    post(action.surface().json_path.unwrap_or("/api"), body)
}

/// `POST path`, `body` as JSON.
fn post<B: Serialize, T: Decode>(path: &str, body: &B) -> Call<T> {
    let sent = match crate::json::to_string(body) {
        Ok(body) => send(path, Some(body)),
        Err(_) => Box::pin(async { Err(UNEXPECTED) }),
    };
    Call::new(sent)
}

/// `GET /api/time`.
pub fn time() -> Call<wire::TimeResponse> {
    get("/api/time")
}

/// `GET /api/session`.
pub fn session() -> Call<wire::SessionResponse> {
    get("/api/session")
}

/// `POST /api/sign-in`.
pub fn sign_in(req: &wire::SignInRequest) -> Call<wire::SignInResponse> {
    call(Action::SignIn, req)
}

/// `POST /api/sign-in/root`.
pub fn sign_in_root(req: &wire::RootSignInRequest) -> Call<wire::SignInResponse> {
    call(Action::SignInRoot, req)
}

/// `POST /api/sign-in/mfa`.
pub fn sign_in_mfa(req: &wire::MfaSignInRequest) -> Call<wire::MfaSignInResponse> {
    call(Action::SignInMfa, req)
}

/// `POST /api/sign-out`.
pub fn sign_out() -> Call<wire::EmptyResponse> {
    call(Action::SignOut, &wire::EmptyResponse {})
}

/// `ListMFADevices`.
pub fn list_mfa_devices(user_name: Option<String>) -> Call<wire::ListMfaDevicesResponse> {
    call(
        Action::ListMfaDevices,
        &wire::ListMfaDevicesRequest { user_name },
    )
}

/// `ResyncMFADevice`.
pub fn resync(req: &wire::ResyncMfaDeviceRequest) -> Call<wire::ResyncMfaDeviceResponse> {
    call(Action::ResyncMfaDevice, req)
}

/// `EnableMFADevice`, answered as a resync that found no drift: both take two consecutive
/// codes through the same form (`ResyncPanel`), which then needs one kind of answer.
pub fn enable(req: &wire::EnableMfaDeviceRequest) -> Call<wire::ResyncMfaDeviceResponse> {
    let enabled: Call<wire::EmptyResponse> = call(Action::EnableMfaDevice, req);
    Call {
        sent: enabled.sent,
        read: |answer| {
            read::<wire::EmptyResponse>(answer).map(|_| wire::ResyncMfaDeviceResponse {
                drift_steps: 0,
                drift_seconds: 0,
            })
        },
    }
}

/// `DeactivateMFADevice`.
pub fn deactivate(req: &wire::DeactivateMfaDeviceRequest) -> Call<wire::EmptyResponse> {
    call(Action::DeactivateMfaDevice, req)
}

/// `CreateVirtualMFADevice`.
pub fn create_virtual(
    req: &wire::CreateVirtualMfaDeviceRequest,
) -> Call<wire::CreateVirtualMfaDeviceResponse> {
    call(Action::CreateVirtualMfaDevice, req)
}

/// One page of `ListUsers` (see [`crate::pages::admin`], which follows the markers).
pub fn list_users(paging: &wire::Paging) -> Call<wire::ListUsersResponse> {
    call(Action::ListUsers, paging)
}

/// The answer was not what the app expects (for checks made outside this module).
pub const fn unexpected() -> ApiError {
    UNEXPECTED
}

/// `UnlockMFADevice`.
pub fn unlock(req: &wire::UnlockMfaDeviceRequest) -> Call<wire::EmptyResponse> {
    call(Action::UnlockMfaDevice, req)
}

/// `POST /api/audit/LookupEvents`.
pub fn lookup_events(req: &wire::LookupEventsRequest) -> Call<wire::LookupEventsResponse> {
    call(Action::LookupEvents, req)
}

/// `POST /api/audit/activity`: a page of ten of the signed-in person's own events, older than
/// `next_token`'s.
pub fn activity(next_token: Option<String>) -> Call<wire::ActivityResponse> {
    post(
        "/api/audit/activity",
        &wire::ActivityRequest {
            max_results: Some(10),
            next_token,
        },
    )
}

/// `POST /api/admin/attention`: the devices that need a resync within 30 days and the hardware
/// tokens nobody holds.
pub fn attention() -> Call<wire::AttentionResponse> {
    post("/api/admin/attention", &wire::AttentionRequest::default())
}

/// The caller's own devices, as sign-in offers them (`ListMFADevices`): after a reload the
/// sign-in answer that offered them is gone, and the troubleshoot page lists them too.
pub fn device_choices() -> Call<Vec<wire::MfaDeviceChoice>> {
    let listed: Call<wire::ListMfaDevicesResponse> = call(
        Action::ListMfaDevices,
        &wire::ListMfaDevicesRequest { user_name: None },
    );
    Call {
        sent: listed.sent,
        read: |answer| {
            read::<wire::ListMfaDevicesResponse>(answer).map(|list| {
                list.mfa_devices
                    .into_iter()
                    .map(|d| wire::MfaDeviceChoice {
                        serial_number: d.serial_number,
                        kind: d.kind,
                    })
                    .collect()
            })
        },
    }
}

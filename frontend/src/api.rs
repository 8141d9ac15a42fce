//! The typed client of the server's JSON API (`shared::api`), over gloo-net. One error type,
//! [`ApiError`]: the request never got an answer ([`ApiError::Fetch`]) or the server refused it
//! ([`ApiError::Api`], its `{"Error":{"Code","Message"}}` body decoded, with `Retry-After`).
//! What an error means to the person is said by
//! [`crate::components::error_notice::advice`].

use gloo_net::http::{Request, Response};
use serde::Serialize;
use shared::api::{
    self as wire, Action, ErrorCode, ErrorResponse, REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE,
};

use crate::json::Decode;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// No usable answer: the network, or an answer that is not the API's. The detail is a fixed
    /// phrase: formatting gloo-net's and serde_json's errors would cost kilobytes of wasm.
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

/// Sends a request and returns the body of a 2xx answer, or the decoded error. Not generic on
/// purpose: one copy of the fetch machinery serves every call (generic `get`/`post` that
/// decoded inside cost about 1 KB gzip per API call, measured).
async fn exchange(request: Result<Request, gloo_net::Error>) -> Result<String, ApiError> {
    let response: Response = request
        .map_err(|_| UNEXPECTED)?
        .send()
        .await
        .map_err(|_| NETWORK)?;
    let ok = response.ok();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = response.text().await.map_err(|_| NETWORK)?;
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

fn parse<T: Decode>(text: Result<String, ApiError>) -> Result<T, ApiError> {
    decode(&text?).map_err(|_| UNEXPECTED)
}

/// Serialises a request body (see [`crate::json`]).
fn encode<B: Serialize>(body: &B) -> Option<String> {
    crate::json::to_string(body).ok()
}

async fn get<T: Decode>(path: &str) -> Result<T, ApiError> {
    parse(exchange(Request::get(path).build()).await)
}

async fn post<B: Serialize, T: Decode>(path: &str, body: &B) -> Result<T, ApiError> {
    let body = encode(body).ok_or(UNEXPECTED)?;
    parse(exchange(post_request(path, body)).await)
}

fn post_request(path: &str, body: String) -> Result<Request, gloo_net::Error> {
    Request::post(path)
        .header(REQUESTED_WITH_HEADER, REQUESTED_WITH_VALUE)
        .header("Content-Type", "application/json")
        .body(body)
}

/// `POST` to the JSON API's path of `action` (every action the app calls has one).
async fn call<B: Serialize, T: Decode>(action: Action, body: &B) -> Result<T, ApiError> {
    post(action.surface().json_path.unwrap_or("/api"), body).await
}

/// `GET /api/time`.
pub async fn time() -> Result<wire::TimeResponse, ApiError> {
    get("/api/time").await
}

/// `GET /api/session`.
pub async fn session() -> Result<wire::SessionResponse, ApiError> {
    get("/api/session").await
}

/// `POST /api/sign-in`.
pub async fn sign_in(req: &wire::SignInRequest) -> Result<wire::SignInResponse, ApiError> {
    call(Action::SignIn, req).await
}

/// `POST /api/sign-in/root`.
pub async fn sign_in_root(req: &wire::RootSignInRequest) -> Result<wire::SignInResponse, ApiError> {
    call(Action::SignInRoot, req).await
}

/// `POST /api/sign-in/mfa`.
pub async fn sign_in_mfa(
    req: &wire::MfaSignInRequest,
) -> Result<wire::MfaSignInResponse, ApiError> {
    call(Action::SignInMfa, req).await
}

/// `POST /api/sign-out`.
pub async fn sign_out() -> Result<wire::EmptyResponse, ApiError> {
    call(Action::SignOut, &wire::EmptyResponse {}).await
}

/// `ListMFADevices`.
pub async fn list_mfa_devices(
    user_name: Option<String>,
) -> Result<wire::ListMfaDevicesResponse, ApiError> {
    call(
        Action::ListMfaDevices,
        &wire::ListMfaDevicesRequest { user_name },
    )
    .await
}

/// `ResyncMFADevice`.
pub async fn resync(
    req: &wire::ResyncMfaDeviceRequest,
) -> Result<wire::ResyncMfaDeviceResponse, ApiError> {
    call(Action::ResyncMfaDevice, req).await
}

/// `EnableMFADevice`.
pub async fn enable(req: &wire::EnableMfaDeviceRequest) -> Result<wire::EmptyResponse, ApiError> {
    call(Action::EnableMfaDevice, req).await
}

/// `DeactivateMFADevice`.
pub async fn deactivate(
    req: &wire::DeactivateMfaDeviceRequest,
) -> Result<wire::EmptyResponse, ApiError> {
    call(Action::DeactivateMfaDevice, req).await
}

/// `CreateVirtualMFADevice`.
pub async fn create_virtual(
    req: &wire::CreateVirtualMfaDeviceRequest,
) -> Result<wire::CreateVirtualMfaDeviceResponse, ApiError> {
    call(Action::CreateVirtualMfaDevice, req).await
}

/// `ListUsers`, every page: the markers are followed to the end (1,000 users a page, at most
/// [`MAX_PAGES`] pages). An answer that does not move on — truncated without a marker, or an
/// empty page, or the same marker again — is an error, never a loop.
pub async fn list_users() -> Result<wire::ListUsersResponse, ApiError> {
    let mut paging = wire::Paging {
        marker: None,
        max_items: Some(1000),
    };
    let mut all = wire::ListUsersResponse {
        users: Vec::new(),
        is_truncated: false,
        marker: None,
    };
    for _ in 0..MAX_PAGES {
        let mut page: wire::ListUsersResponse = call(Action::ListUsers, &paging).await?;
        if page.is_truncated != page.marker.is_some()
            || (page.is_truncated && page.users.is_empty())
            || (page.marker.is_some() && page.marker == paging.marker)
        {
            return Err(UNEXPECTED);
        }
        all.users.append(&mut page.users);
        match page.marker {
            None => return Ok(all),
            marker => paging.marker = marker,
        }
    }
    Err(UNEXPECTED)
}

/// The most pages [`list_users`] follows (a million users).
pub const MAX_PAGES: usize = 1000;

/// `UnlockMFADevice`.
pub async fn unlock(req: &wire::UnlockMfaDeviceRequest) -> Result<wire::EmptyResponse, ApiError> {
    call(Action::UnlockMfaDevice, req).await
}

/// `POST /api/audit/LookupEvents`.
pub async fn lookup_events(
    req: &wire::LookupEventsRequest,
) -> Result<wire::LookupEventsResponse, ApiError> {
    call(Action::LookupEvents, req).await
}

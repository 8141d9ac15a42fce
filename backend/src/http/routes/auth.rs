//! Sign-in, the MFA step, the session and sign-out: the routes that set or clear the session
//! cookie.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::{
    Action, EmptyResponse, MfaSignInRequest, RootSignInRequest, SessionResponse, SignInRequest,
};

use super::super::cookie;
use super::super::extract::{AppJson, Meta, SessionToken};
use super::path;
use crate::error::Error;
use crate::iam::{self, Caller, SignedIn};
use crate::state::AppState;

/// The routes.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new()
        .route(path(Action::SignIn), post(sign_in))
        .route(path(Action::SignInRoot), post(sign_in_root))
        .route(path(Action::SignInMfa), post(sign_in_mfa))
        .route("/api/session", get(session_info))
        .route(path(Action::SignOut), post(sign_out))
}

/// The answer of a step that opened a session: its cookie and its JSON.
fn with_cookie<T: serde::Serialize>(
    state: &AppState,
    signed: SignedIn<T>,
) -> impl IntoResponse + use<T> {
    (
        AppendHeaders([(
            SET_COOKIE,
            cookie::set_cookie(&signed.token, &state.settings),
        )]),
        Json(signed.response),
    )
}

async fn sign_in(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SessionToken(old): SessionToken,
    AppJson(req): AppJson<SignInRequest>,
) -> Result<impl IntoResponse, Error> {
    let signed = iam::sign_in_user(&state, &meta, req, old.as_deref()).await?;
    Ok(with_cookie(&state, signed))
}

async fn sign_in_root(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SessionToken(old): SessionToken,
    AppJson(req): AppJson<RootSignInRequest>,
) -> Result<impl IntoResponse, Error> {
    let signed = iam::sign_in_root(&state, &meta, req, old.as_deref()).await?;
    Ok(with_cookie(&state, signed))
}

async fn sign_in_mfa(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    caller: Caller,
    AppJson(req): AppJson<MfaSignInRequest>,
) -> Result<impl IntoResponse, Error> {
    let token = token.ok_or(Error::NotSignedIn)?;
    let signed = iam::sign_in_mfa(&state, &caller, &token, req).await?;
    Ok(with_cookie(&state, signed))
}

async fn session_info(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SessionResponse>, Error> {
    Ok(Json(iam::session_info(&state, &caller).await?))
}

async fn sign_out(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SessionToken(token): SessionToken,
) -> Result<impl IntoResponse, Error> {
    iam::sign_out(&state, &meta, token.as_deref()).await?;
    Ok((
        AppendHeaders([(SET_COOKIE, cookie::clear_cookie(&state.settings))]),
        Json(EmptyResponse {}),
    ))
}

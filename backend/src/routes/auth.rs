//! Sign-in, the MFA step, the session and sign-out.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::EmptyResponse;

use super::{Meta, SessionToken, parse_body};
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::session;
use crate::state::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sign-in", post(sign_in))
        .route("/api/sign-in/root", post(sign_in_root))
        .route("/api/sign-in/mfa", post(sign_in_mfa))
        .route("/api/session", get(session_info))
        .route("/api/sign-out", post(sign_out))
}

async fn sign_in(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SessionToken(old): SessionToken,
    body: Bytes,
) -> Result<impl IntoResponse, Error> {
    let signed = iam::sign_in_user(&state, &meta, parse_body(&body)?, old.as_deref()).await?;
    Ok((
        AppendHeaders([(SET_COOKIE, session::set_cookie(&signed.token))]),
        Json(signed.response),
    ))
}

async fn sign_in_root(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SessionToken(old): SessionToken,
    body: Bytes,
) -> Result<impl IntoResponse, Error> {
    let signed = iam::sign_in_root(&state, &meta, parse_body(&body)?, old.as_deref()).await?;
    Ok((
        AppendHeaders([(SET_COOKIE, session::set_cookie(&signed.token))]),
        Json(signed.response),
    ))
}

async fn sign_in_mfa(
    State(state): State<AppState>,
    SessionToken(token): SessionToken,
    caller: Caller,
    body: Bytes,
) -> Result<impl IntoResponse, Error> {
    let token = token.ok_or(Error::NotSignedIn)?;
    let signed = iam::sign_in_mfa(&state, &caller, &token, parse_body(&body)?).await?;
    Ok((
        AppendHeaders([(SET_COOKIE, session::set_cookie(&signed.token))]),
        Json(signed.response),
    ))
}

async fn session_info(caller: Caller) -> impl IntoResponse {
    Json(iam::session_info(&caller))
}

async fn sign_out(
    State(state): State<AppState>,
    Meta(meta): Meta,
    SessionToken(token): SessionToken,
) -> Result<impl IntoResponse, Error> {
    iam::sign_out(&state, &meta, token.as_deref()).await?;
    Ok((
        AppendHeaders([(SET_COOKIE, session::clear_cookie())]),
        Json(EmptyResponse {}),
    ))
}

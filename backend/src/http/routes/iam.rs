//! `POST /api/iam/{Action}`: IAM's actions with IAM's request members, as JSON, one route per
//! action of [`Action`] that the JSON API serves. The list actions read their paging members
//! (`MaxItems`, `Marker`) from the same body ([`Listed`]). An unknown action's path is the
//! fallback's 404.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::api::{
    Action, DeactivateMfaDeviceRequest, DeleteVirtualMfaDeviceRequest, EmptyResponse,
    EnableMfaDeviceRequest, ListAccessKeysRequest, ListAccessKeysResponse, ListMfaDevicesRequest,
    ListMfaDevicesResponse, ListUsersRequest, ListUsersResponse, ListVirtualMfaDevicesRequest,
    ListVirtualMfaDevicesResponse, ResyncMfaDeviceRequest, ResyncMfaDeviceResponse,
    UnlockMfaDeviceRequest,
};
use shared::api::{CreateVirtualMfaDeviceRequest, CreateVirtualMfaDeviceResponse};

use super::super::extract::{AppJson, Listed};
use super::path;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// The routes.
pub(in crate::http) fn router() -> Router<AppState> {
    Router::new()
        .route(path(Action::ListMfaDevices), post(list_mfa_devices))
        .route(path(Action::ResyncMfaDevice), post(resync_mfa_device))
        .route(path(Action::EnableMfaDevice), post(enable_mfa_device))
        .route(
            path(Action::DeactivateMfaDevice),
            post(deactivate_mfa_device),
        )
        .route(
            path(Action::CreateVirtualMfaDevice),
            post(create_virtual_mfa_device),
        )
        .route(
            path(Action::DeleteVirtualMfaDevice),
            post(delete_virtual_mfa_device),
        )
        .route(
            path(Action::ListVirtualMfaDevices),
            post(list_virtual_mfa_devices),
        )
        .route(path(Action::ListUsers), post(list_users))
        .route(path(Action::ListAccessKeys), post(list_access_keys))
        .route(path(Action::UnlockMfaDevice), post(unlock_mfa_device))
}

/// Every handler here: the caller, the typed body, one action, its answer as JSON.
type Answer<T> = Result<Json<T>, Error>;

async fn list_mfa_devices(
    State(s): State<AppState>,
    c: Caller,
    AppJson(b): AppJson<Listed<ListMfaDevicesRequest>>,
) -> Answer<ListMfaDevicesResponse> {
    Ok(Json(
        iam::list_mfa_devices(&s, &c, b.request, b.paging).await?,
    ))
}

async fn resync_mfa_device(
    State(s): State<AppState>,
    c: Caller,
    AppJson(req): AppJson<ResyncMfaDeviceRequest>,
) -> Answer<ResyncMfaDeviceResponse> {
    Ok(Json(iam::resync_mfa_device(&s, &c, req).await?))
}

async fn enable_mfa_device(
    State(s): State<AppState>,
    c: Caller,
    AppJson(req): AppJson<EnableMfaDeviceRequest>,
) -> Answer<EmptyResponse> {
    Ok(Json(iam::enable_mfa_device(&s, &c, req).await?))
}

async fn deactivate_mfa_device(
    State(s): State<AppState>,
    c: Caller,
    AppJson(req): AppJson<DeactivateMfaDeviceRequest>,
) -> Answer<EmptyResponse> {
    Ok(Json(iam::deactivate_mfa_device(&s, &c, req).await?))
}

async fn create_virtual_mfa_device(
    State(s): State<AppState>,
    c: Caller,
    AppJson(req): AppJson<CreateVirtualMfaDeviceRequest>,
) -> Answer<CreateVirtualMfaDeviceResponse> {
    Ok(Json(iam::create_virtual_mfa_device(&s, &c, req).await?))
}

async fn delete_virtual_mfa_device(
    State(s): State<AppState>,
    c: Caller,
    AppJson(req): AppJson<DeleteVirtualMfaDeviceRequest>,
) -> Answer<EmptyResponse> {
    Ok(Json(iam::delete_virtual_mfa_device(&s, &c, req).await?))
}

async fn list_virtual_mfa_devices(
    State(s): State<AppState>,
    c: Caller,
    AppJson(b): AppJson<Listed<ListVirtualMfaDevicesRequest>>,
) -> Answer<ListVirtualMfaDevicesResponse> {
    Ok(Json(
        iam::list_virtual_mfa_devices(&s, &c, b.request, b.paging).await?,
    ))
}

async fn list_users(
    State(s): State<AppState>,
    c: Caller,
    AppJson(b): AppJson<Listed<ListUsersRequest>>,
) -> Answer<ListUsersResponse> {
    Ok(Json(iam::list_users(&s, &c, b.request, b.paging).await?))
}

async fn list_access_keys(
    State(s): State<AppState>,
    c: Caller,
    AppJson(b): AppJson<Listed<ListAccessKeysRequest>>,
) -> Answer<ListAccessKeysResponse> {
    Ok(Json(
        iam::list_access_keys(&s, &c, b.request, b.paging).await?,
    ))
}

async fn unlock_mfa_device(
    State(s): State<AppState>,
    c: Caller,
    AppJson(req): AppJson<UnlockMfaDeviceRequest>,
) -> Answer<EmptyResponse> {
    Ok(Json(iam::unlock_mfa_device(&s, &c, req).await?))
}

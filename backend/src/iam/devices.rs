//! ListMFADevices, ResyncMFADevice, DeactivateMFADevice and our UnlockMFADevice.

use shared::api::{
    DeactivateMfaDeviceRequest, EmptyResponse, ListMfaDevicesRequest, ListMfaDevicesResponse,
    MfaDevice, Paging, ResyncMfaDeviceRequest, ResyncMfaDeviceResponse, UnlockMfaDeviceRequest,
};
use shared::code::Digits;

use super::codes::{self, Commit};
use super::paging::{self, Position};
use super::validate::{precheck_code, validate_serial, validate_user_name};
use super::{Caller, access_denied, audited, is_allowed};
use crate::clock::{now_ms, rfc3339};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{DeviceRow, PrincipalRow};

/// The user an action names (or the caller), resolved before policy evaluation.
pub(crate) struct Target {
    /// The ARN policies are evaluated against: built from the STORED user name, so a name typed
    /// in another letter case cannot slip past a `Deny` on the user's ARN (user lookup ignores
    /// case, resource matching does not). For a user that does not exist, from the name typed.
    pub arn: String,
    /// Whether the target is the caller.
    pub is_self: bool,
    /// The user; `None` when no user has that name.
    pub principal: Option<PrincipalRow>,
}

/// Looks up the user named (without regard to case), or the caller when no name is given.
pub(crate) async fn resolve_target(
    state: &AppState,
    caller: &Caller,
    user_name: Option<&str>,
) -> Result<Target, Error> {
    let Some(name) = user_name else {
        return Ok(Target {
            arn: caller.arn(),
            is_self: true,
            principal: Some(caller.principal.clone()),
        });
    };
    validate_user_name(name)?;
    Ok(
        match state.storage.find_user(caller.account(), name).await? {
            Some(p) => Target {
                arn: p.arn(),
                is_self: p.id == caller.principal.id,
                principal: Some(p),
            },
            None => Target {
                arn: format!("arn:aws:iam::{}:user/{name}", caller.account()),
                is_self: false,
                principal: None,
            },
        },
    )
}

/// Authorises `action` on the target user's device `serial` and returns the device. Anything the
/// caller may not see answers exactly like a missing device (security rule 14).
async fn owned_device(
    state: &AppState,
    caller: &Caller,
    action: &str,
    user_name: Option<&str>,
    serial: &str,
) -> Result<DeviceRow, Error> {
    let target = authorized_owner(state, caller, action, user_name).await?;
    owners_device(state, caller, &target, serial).await
}

/// Authorises `action` on the devices of the user named (or the caller) and returns that user;
/// anything the caller may not see answers like a missing device (security rule 14).
async fn authorized_owner(
    state: &AppState,
    caller: &Caller,
    action: &str,
    user_name: Option<&str>,
) -> Result<PrincipalRow, Error> {
    let target = resolve_target(state, caller, user_name).await?;
    if !is_allowed(state, caller, action, &target.arn, target.is_self).await? {
        return Err(if target.is_self {
            access_denied(caller, action)
        } else {
            Error::no_such_device()
        });
    }
    target.principal.ok_or_else(Error::no_such_device)
}

/// The device `serial` of the caller's account when `target` owns it.
async fn owners_device(
    state: &AppState,
    caller: &Caller,
    target: &PrincipalRow,
    serial: &str,
) -> Result<DeviceRow, Error> {
    state
        .storage
        .device(caller.account(), serial)
        .await?
        .filter(|d| d.owner_id == Some(target.id))
        .ok_or_else(Error::no_such_device)
}

/// A device as listed.
pub(crate) fn describe(dev: &DeviceRow, owner: &str, now: i64) -> Result<MfaDevice, Error> {
    let kind = codes::kind(dev)?;
    let retry_after_seconds = (dev.throttled_until > now && !dev.locked)
        .then(|| ((dev.throttled_until - now) as u64).div_ceil(1000));
    Ok(MfaDevice {
        user_name: owner.to_owned(),
        serial_number: dev.serial_number.clone(),
        enable_date: rfc3339(dev.enabled_at.unwrap_or(dev.created_at)),
        kind,
        drift_steps: dev.state.drift_steps,
        drift_seconds: dev.state.drift_steps * dev.period,
        locked: dev.locked,
        retry_after_seconds,
    })
}

/// `ListMFADevices`: a page of the target user's devices with kind, drift and lock state, in the
/// order they were enabled.
pub async fn list_mfa_devices(
    state: &AppState,
    caller: &Caller,
    req: ListMfaDevicesRequest,
    paging: Paging,
) -> Result<ListMfaDevicesResponse, Error> {
    let user_name = req.user_name.as_deref();
    audited(state, caller, "ListMFADevices", user_name, None, async {
        let page = paging::page(&paging, |p| match p {
            Position::Device(enabled_at, serial) => Some((enabled_at, serial)),
            _ => None,
        })?;
        let target = resolve_target(state, caller, user_name).await?;
        if !is_allowed(
            state,
            caller,
            "iam:ListMFADevices",
            &target.arn,
            target.is_self,
        )
        .await?
        {
            return Err(access_denied(caller, "iam:ListMFADevices"));
        }
        let target = target.principal.ok_or_else(|| {
            Error::NoSuchEntity(format!(
                "The user with name {} cannot be found.",
                user_name.unwrap_or_default()
            ))
        })?;
        let now = now_ms();
        let owner = target.display_name();
        let rows = state
            .storage
            .devices_page(target.id, page.after.clone(), page.limit())
            .await?;
        // The storage's order: the enable date (the creation date standing in), then serial.
        let (rows, marker) = page.finish(rows, |d| {
            Position::Device(
                d.enabled_at.unwrap_or(d.created_at),
                d.serial_number.clone(),
            )
        });
        let mfa_devices = rows
            .iter()
            .map(|d| describe(d, &owner, now))
            .collect::<Result<_, _>>()?;
        Ok(ListMfaDevicesResponse {
            mfa_devices,
            is_truncated: marker.is_some(),
            marker,
        })
    })
    .await
}

/// `ResyncMFADevice`: two consecutive codes; the measured drift is stored and the codes burned.
pub async fn resync_mfa_device(
    state: &AppState,
    caller: &Caller,
    req: ResyncMfaDeviceRequest,
) -> Result<ResyncMfaDeviceResponse, Error> {
    let user_name = req.user_name.as_deref();
    let serial = req.serial_number.as_str();
    audited(
        state,
        caller,
        "ResyncMFADevice",
        user_name,
        Some(serial),
        async {
            validate_serial(serial)?;
            precheck_code("AuthenticationCode1", &req.authentication_code1)?;
            precheck_code("AuthenticationCode2", &req.authentication_code2)?;
            let (code1, code2) = (&req.authentication_code1, &req.authentication_code2);
            let target = authorized_owner(state, caller, "iam:ResyncMFADevice", user_name).await?;
            // Fast path: one statement finds the device and counts the attempt, when everything
            // checked before counting holds (both codes of the device's length included).
            if code1.len() == code2.len()
                && let Ok(digits) = Digits::new(code1.len() as u8)
                && let Ok(c1) = codes::parse("AuthenticationCode1", code1, digits)
                && let Ok(c2) = codes::parse("AuthenticationCode2", code2, digits)
            {
                let now = now_ms();
                let counted = state
                    .storage
                    .reserve_device_attempt(
                        caller.account(),
                        serial,
                        target.id,
                        i64::from(digits.get()),
                        now,
                    )
                    .await?;
                if let Some(dev) = counted {
                    let outcome = codes::check_pair_counted(state, &dev, &c1, &c2, now).await?;
                    return Ok(ResyncMfaDeviceResponse {
                        drift_steps: outcome.drift_steps,
                        drift_seconds: outcome.drift_seconds,
                    });
                }
            }
            // Otherwise the ordinary path gives the exact answer (no such device, FIDO key,
            // wrong length, throttled, locked).
            let dev = owners_device(state, caller, &target, serial).await?;
            let outcome = codes::check_pair(state, &dev, code1, code2, Commit::State).await?;
            Ok(ResyncMfaDeviceResponse {
                drift_steps: outcome.drift_steps,
                drift_seconds: outcome.drift_seconds,
            })
        },
    )
    .await
}

/// `DeactivateMFADevice`: a virtual device returns to the account's unassigned devices; a
/// hardware token or FIDO key is removed.
pub async fn deactivate_mfa_device(
    state: &AppState,
    caller: &Caller,
    req: DeactivateMfaDeviceRequest,
) -> Result<EmptyResponse, Error> {
    let user_name = req.user_name.as_deref();
    let serial = req.serial_number.as_str();
    audited(
        state,
        caller,
        "DeactivateMFADevice",
        user_name,
        Some(serial),
        async {
            validate_serial(serial)?;
            let dev =
                owned_device(state, caller, "iam:DeactivateMFADevice", user_name, serial).await?;
            let is_virtual = dev.kind == shared::api::DeviceKind::Virtual.as_str();
            state.storage.deactivate_device(dev.id, is_virtual).await?;
            Ok(EmptyResponse {})
        },
    )
    .await
}

/// `UnlockMFADevice` (ours): clears the failure counter, throttle and lock. Needs two codes for
/// nothing: it only lets the device's holder try again.
pub async fn unlock_mfa_device(
    state: &AppState,
    caller: &Caller,
    req: UnlockMfaDeviceRequest,
) -> Result<EmptyResponse, Error> {
    let user_name = req.user_name.as_deref();
    let serial = req.serial_number.as_str();
    audited(
        state,
        caller,
        "UnlockMFADevice",
        user_name,
        Some(serial),
        async {
            validate_serial(serial)?;
            let dev = owned_device(state, caller, "iam:UnlockMFADevice", user_name, serial).await?;
            state.storage.unlock_device(dev.id).await?;
            Ok(EmptyResponse {})
        },
    )
    .await
}

//! ListMFADevices, ResyncMFADevice, DeactivateMFADevice and our UnlockMFADevice: the actions
//! on the devices a user has.

use shared::api::{
    Action, AttentionRequest, AttentionResponse, DeactivateMfaDeviceRequest, DeviceKind,
    DriftPoint, EmptyResponse, ListMfaDevicesRequest, ListMfaDevicesResponse, MfaDevice,
    MfaDeviceChoice, Paging, ResyncMfaDeviceRequest, ResyncMfaDeviceResponse,
    UnlockMfaDeviceRequest,
};

use super::authorize::{Visibility, authorize_user};
use super::caller::{Caller, audited, prepare};
use super::codes::{self, CodePair};
use super::paging::{self, Position};
use super::validate::validate_serial;
use crate::clock::rfc3339;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::Device;
use shared::forecast::Sample;

/// Authorises `action` on the device `serial` of the user named (or the caller) and returns
/// it. Anything the caller may not see answers exactly like a missing device (rule 14).
async fn owned_device(
    state: &AppState,
    caller: &Caller,
    action: Action,
    user_name: Option<&str>,
    serial: &str,
) -> Result<Device, Error> {
    let owner = authorize_user(
        state,
        caller,
        action,
        user_name,
        Visibility::AsMissingDevice,
    )
    .await?;
    state
        .storage
        .device(caller.account(), serial)
        .await?
        .filter(|d| d.owner_id == Some(owner.id))
        .ok_or_else(Error::no_such_device)
}

/// A device as listed.
pub(crate) fn describe(dev: &Device, owner: &str, now: i64) -> MfaDevice {
    let t = dev.throttle;
    let retry_after_seconds = (t.throttled_until > now && !t.locked)
        .then(|| ((t.throttled_until - now) as u64).div_ceil(1000));
    MfaDevice {
        user_name: owner.to_owned(),
        serial_number: dev.serial_number.clone(),
        enable_date: rfc3339(dev.listed_date()),
        kind: dev.kind,
        drift_steps: dev.state.drift_steps,
        drift_seconds: dev.state.drift_steps * dev.period(),
        locked: t.locked,
        retry_after_seconds,
        drift_rate_seconds_per_day: None,
        resync_needed_by: None,
        counter_run_ahead_per_week: None,
        last_used_date: None,
        drift_history: Vec::new(),
    }
}

/// Issue 16: when a device's code was last accepted, and the rate a TOTP device's clock drifts
/// at and when it will need a resync, from the offsets its accepted codes measured since it was
/// enabled (`shared::forecast`); for HOTP, how far the counter runs ahead a week; no forecast
/// with too short a history.
async fn forecast(state: &AppState, dev: &Device, out: &mut MfaDevice) -> Result<(), Error> {
    if dev.codes.is_none() {
        return Ok(());
    }
    let samples: Vec<Sample> = state
        .storage
        .drift_samples(dev.id, dev.listed_date())
        .await?
        .into_iter()
        .map(|(at, offset)| Sample {
            at: at.div_euclid(1000),
            offset,
        })
        .collect();
    out.last_used_date = samples.last().map(|s| rfc3339(s.at.saturating_mul(1000)));
    let period = dev.period();
    // Seconds for TOTP; HOTP's offsets are counter values (its period is 0).
    let unit = if period == 0 { 1 } else { period };
    out.drift_history = samples
        .iter()
        .map(|s| DriftPoint {
            at: s.at,
            offset: s.offset.saturating_mul(unit),
        })
        .collect();
    if period == 0 {
        out.counter_run_ahead_per_week = shared::forecast::run_ahead_per_day(&samples)
            .map(|per_day| (per_day * 7.0 * 100.0).round() / 100.0);
        return Ok(());
    }
    if let Some(f) = shared::forecast::forecast(&samples, Some(dev.state.drift_steps)) {
        let per_day = f.rate_per_day * period as f64;
        out.drift_rate_seconds_per_day = Some((per_day * 100.0).round() / 100.0);
        out.resync_needed_by = f
            .leaves_window_at
            .map(|at| rfc3339(at.saturating_mul(1000)));
    }
    Ok(())
}

/// The devices of an account whose codes, at their rate, leave the sign-in window within
/// `within_ms` of now (or already have), soonest first: the help desk's list of people to
/// call before they are locked out (issue 16). The owner is the user name, or the account id
/// for the root user, as listed.
pub async fn needing_resync(
    state: &AppState,
    account_id: &str,
    within_ms: i64,
) -> Result<Vec<MfaDevice>, Error> {
    let now = state.clock.now_ms();
    let horizon = rfc3339(now.saturating_add(within_ms));
    let mut due = Vec::new();
    for dev in state
        .storage
        .assigned_devices_of_account(account_id)
        .await?
    {
        let owner = dev.owner_name.as_deref().unwrap_or(account_id).to_owned();
        let mut out = describe(&dev, &owner, now);
        forecast(state, &dev, &mut out).await?;
        // RFC 3339 UTC of one width: the text order is the time order.
        if out
            .resync_needed_by
            .as_ref()
            .is_some_and(|by| *by <= horizon)
        {
            due.push(out);
        }
    }
    due.sort_by(|a, b| a.resync_needed_by.cmp(&b.resync_needed_by));
    Ok(due)
}

/// Our `POST /api/admin/attention` (issue 16): the devices that leave the sign-in window within
/// `WithinDays` (30) at their measured rate, soonest first, and the hardware tokens nobody holds
/// yet — for whoever administers the account's users (allowed `ListUsers`), with MFA in a
/// browser session. A read: not audited, as reading one's activity is not.
pub async fn attention(
    state: &AppState,
    caller: &Caller,
    req: AttentionRequest,
) -> Result<AttentionResponse, Error> {
    let days = req.within_days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(Error::Validation("WithinDays must be 1 to 366.".into()));
    }
    super::authorize::authorize(state, caller, Action::ListUsers, "*").await?;
    let account = caller.account();
    let within = i64::from(days) * 86_400_000;
    let tokens = state
        .storage
        .unassigned_hardware_tokens(account, 1000)
        .await?;
    Ok(AttentionResponse {
        devices_needing_resync: needing_resync(state, account, within).await?,
        unassigned_hardware_tokens: tokens
            .into_iter()
            .map(|d| MfaDeviceChoice {
                serial_number: d.serial_number,
                kind: d.kind,
            })
            .collect(),
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
    audited(
        state,
        caller,
        Action::ListMfaDevices,
        user_name,
        None,
        async {
            let page = paging::page(&paging, |p| match p {
                Position::Device(enabled_at, serial) => Some((enabled_at, serial)),
                _ => None,
            })?;
            let target = authorize_user(
                state,
                caller,
                Action::ListMfaDevices,
                user_name,
                Visibility::Plain,
            )
            .await?;
            let now = state.clock.now_ms();
            let owner = target.display_name();
            let rows = state
                .storage
                .devices_page(target.id, page.after.clone(), page.limit())
                .await?;
            // The storage's order: the enable date (the creation date standing in), then serial.
            let (rows, marker) = page.finish(rows, |d| {
                Position::Device(d.listed_date(), d.serial_number.clone())
            });
            let mut mfa_devices = Vec::with_capacity(rows.len());
            for dev in &rows {
                let mut out = describe(dev, &owner, now);
                forecast(state, dev, &mut out).await?;
                mfa_devices.push(out);
            }
            Ok(ListMfaDevicesResponse {
                mfa_devices,
                is_truncated: marker.is_some(),
                marker,
            })
        },
    )
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
    let action = Action::ResyncMfaDevice;
    // The success's event is stored with the new state, in its transaction (rule 31).
    let event = prepare(caller, action, user_name, Some(serial));
    let result = async {
        validate_serial(serial)?;
        let pair = CodePair::parse(&req.authentication_code1, &req.authentication_code2)?;
        let owner = authorize_user(
            state,
            caller,
            action,
            user_name,
            Visibility::AsMissingDevice,
        )
        .await?;
        let outcome = codes::resync(state, &owner, serial, &pair, &event).await?;
        Ok(ResyncMfaDeviceResponse {
            drift_steps: outcome.drift_steps,
            drift_seconds: outcome.drift_seconds,
        })
    }
    .await;
    event.record(state, &result).await;
    result
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
    let action = Action::DeactivateMfaDevice;
    audited(state, caller, action, user_name, Some(serial), async {
        validate_serial(serial)?;
        let dev = owned_device(state, caller, action, user_name, serial).await?;
        let is_virtual = dev.kind == DeviceKind::Virtual;
        state.storage.deactivate_device(dev.id, is_virtual).await?;
        if let Some(owner) = dev.owner_id {
            super::caller::after_mfa_change(state, caller, owner).await?;
        }
        Ok(EmptyResponse {})
    })
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
    let action = Action::UnlockMfaDevice;
    audited(state, caller, action, user_name, Some(serial), async {
        validate_serial(serial)?;
        let dev = owned_device(state, caller, action, user_name, serial).await?;
        state.storage.unlock_device(dev.id).await?;
        Ok(EmptyResponse {})
    })
    .await
}

//! CreateVirtualMFADevice, EnableMFADevice, DeleteVirtualMFADevice, ListVirtualMFADevices.

use qrcode::QrCode;
use qrcode::render::svg;
use shared::api::{
    Action, AssignmentStatus, CreateVirtualMfaDeviceRequest, CreateVirtualMfaDeviceResponse,
    CreatedVirtualMfaDevice, DeleteVirtualMfaDeviceRequest, DeviceKind, EmptyResponse,
    EnableMfaDeviceRequest, ListVirtualMfaDevicesRequest, ListVirtualMfaDevicesResponse, Paging,
    User, VirtualMfaDevice,
};
use shared::code::Digits;
use shared::otpauth::{OtpauthKind, OtpauthUri};
use shared::secret::Secret;

use super::authorize::{Visibility, authorize, authorize_user};
use super::caller::{Caller, audited};
use super::codes::{self, CodePair, Commit, Window};
use super::paging::{self, Position};
use super::users::user_of;
use super::validate::{validate_device_name, validate_new_serial, validate_path, validate_serial};
use crate::clock::rfc3339;
use crate::crypto::{Sealed, random_bytes};
use crate::error::{Error, ResultExt};
use crate::state::AppState;
use crate::storage::{Device, NewDevice, StoredState};

/// Seeds are 160 bits (RFC 4226 §4 recommends 160) from the OS generator.
pub const SEED_BYTES: usize = 20;
/// A user may have at most eight MFA devices, as in AWS.
const MAX_DEVICES_PER_USER: i64 = 8;

/// The state of a device nobody has used yet.
pub const FRESH_STATE: StoredState = StoredState {
    drift_steps: 0,
    last_used_step: -1,
    hotp_counter: 0,
};

/// `CreateVirtualMFADevice`: a new unassigned virtual device; its seed is returned this once.
pub async fn create_virtual_mfa_device(
    state: &AppState,
    caller: &Caller,
    req: CreateVirtualMfaDeviceRequest,
) -> Result<CreateVirtualMfaDeviceResponse, Error> {
    let path = req.path.clone().unwrap_or_else(|| "/".to_owned());
    let name = req.virtual_mfa_device_name.as_str();
    let serial = format!("arn:aws:iam::{}:mfa{path}{name}", caller.account());
    let action = Action::CreateVirtualMfaDevice;
    audited(state, caller, action, None, Some(&serial), async {
        validate_device_name(name)?;
        validate_path(&path)?;
        validate_new_serial(&serial)?;
        authorize(state, caller, action, &serial).await?;
        let bytes = random_bytes(SEED_BYTES).map_err(Error::internal)?;
        let sealed = state
            .cipher
            .encrypt(
                Sealed::DeviceSeed {
                    account_id: caller.account(),
                    serial_number: &serial,
                },
                &bytes,
            )
            .map_err(Error::internal)?;
        let secret = Secret::from_bytes(bytes).map_err(Error::internal)?;
        let limits = &state.settings;
        let max_unassigned = if caller.principal.is_root {
            limits.max_devices_per_account
        } else {
            limits.max_unassigned_per_creator
        };
        let stored = state
            .storage
            .insert_virtual_device_within(
                NewDevice {
                    account_id: caller.account(),
                    serial_number: &serial,
                    kind: DeviceKind::Virtual.as_str(),
                    owner_id: None,
                    seed: Some(&sealed),
                    digits: 6,
                    period: 30,
                    state: FRESH_STATE,
                    enabled_at: None,
                    now_ms: state.clock.now_ms(),
                },
                caller.principal.id,
                limits.max_devices_per_account,
                max_unassigned,
            )
            .await
            // Taken before us, or by a concurrent request for the same name.
            .on_unique(|| {
                format!("MFADevice entity at the same path and name already exists: {serial}")
            })?;
        if stored.is_none() {
            return Err(Error::Quota(format!(
                "Too many MFA devices: an account may hold {} and you may have {} that are \
                 not yet enabled. Enable or delete one first.",
                limits.max_devices_per_account, max_unassigned
            )));
        }
        let alias = state
            .storage
            .find_account(caller.account())
            .await?
            .map_or_else(|| caller.account().to_owned(), |a| a.alias);
        let otpauth_uri = OtpauthUri {
            issuer: &format!("mfa-resync {alias}"),
            account: name,
            secret: &secret,
            digits: Digits::SIX,
            kind: OtpauthKind::Totp { period: 30 },
        }
        .to_uri();
        let qr_code_svg = QrCode::new(otpauth_uri.as_bytes())
            .map_err(Error::internal)?
            .render::<svg::Color>()
            .min_dimensions(200, 200)
            .build();
        Ok(CreateVirtualMfaDeviceResponse {
            virtual_mfa_device: CreatedVirtualMfaDevice {
                serial_number: serial.clone(),
                base32_string_seed: secret.to_base32(),
                otpauth_uri,
                qr_code_svg,
            },
        })
    })
    .await
}

/// Security rule 27: an unassigned device belongs to its creator. Someone else may enable or
/// delete it only when allowed to do `action` on the creator (the policy evaluated on the
/// creator's user ARN: an administrator is, a self-service user is not); otherwise it answers
/// like a missing device (rule 14), before any code is counted, so nobody can throttle, lock,
/// delete or take another's enrolment.
async fn creator_allows(
    state: &AppState,
    caller: &Caller,
    action: Action,
    dev: &Device,
) -> Result<(), Error> {
    let Some(creator) = dev.created_by.filter(|c| *c != caller.principal.id) else {
        return Ok(());
    };
    if dev.owner_id.is_some() {
        return Ok(());
    }
    let Some(creator) = state.storage.principal(creator).await? else {
        return Ok(());
    };
    match authorize(state, caller, action, &creator.arn()).await {
        Ok(()) => Ok(()),
        Err(Error::AccessDenied(_)) => Err(Error::no_such_device()),
        Err(e) => Err(e),
    }
}

/// The unassigned-or-assigned virtual device `serial` of the caller's account.
async fn virtual_device(state: &AppState, caller: &Caller, serial: &str) -> Result<Device, Error> {
    state
        .storage
        .device(caller.account(), serial)
        .await?
        .filter(|d| d.kind == DeviceKind::Virtual)
        .ok_or_else(Error::no_such_device)
}

/// The unassigned-or-assigned device `serial` of the caller's account that `EnableMFADevice`
/// may assign: a virtual device, or a hardware token (from a PSKC import, issue 16: the AWS
/// console's "Assign hardware TOTP token").
async fn enrollable_device(
    state: &AppState,
    caller: &Caller,
    serial: &str,
) -> Result<Device, Error> {
    state
        .storage
        .device(caller.account(), serial)
        .await?
        .filter(|d| {
            matches!(
                d.kind,
                DeviceKind::Virtual | DeviceKind::HardwareTotp | DeviceKind::HardwareHotp
            )
        })
        .ok_or_else(Error::no_such_device)
}

/// `EnableMFADevice`: assigns an unassigned virtual device or hardware token with two
/// consecutive codes showing now (window: the settings' `enable_window` steps).
pub async fn enable_mfa_device(
    state: &AppState,
    caller: &Caller,
    req: EnableMfaDeviceRequest,
) -> Result<EmptyResponse, Error> {
    let user_name = req.user_name.as_deref();
    let serial = req.serial_number.as_str();
    let action = Action::EnableMfaDevice;
    audited(state, caller, action, user_name, Some(serial), async {
        validate_serial(serial)?;
        let pair = CodePair::parse(&req.authentication_code1, &req.authentication_code2)?;
        let target = authorize_user(state, caller, action, user_name, Visibility::Plain).await?;
        let dev = enrollable_device(state, caller, serial).await?;
        if dev.owner_id.is_some() {
            return Err(Error::EntityAlreadyExists(
                "This MFA device is already in use.".into(),
            ));
        }
        creator_allows(state, caller, action, &dev).await?;
        let max_devices = if target.is_root {
            1
        } else {
            MAX_DEVICES_PER_USER
        };
        if state.storage.devices_of(target.id).await?.len() as i64 >= max_devices {
            // Checked again in the assignment itself, atomically (security rule 27).
            return Err(Error::too_many_devices(max_devices));
        }
        let window = Window::enable(&state.settings);
        let commit = Commit::Assign {
            owner: target.id,
            max_devices,
        };
        codes::check_pair(state, &dev, &pair, window, commit, None).await?;
        super::caller::after_mfa_change(state, caller, target.id).await?;
        Ok(EmptyResponse {})
    })
    .await
}

/// `DeleteVirtualMFADevice`: refused with `DeleteConflict` while assigned.
pub async fn delete_virtual_mfa_device(
    state: &AppState,
    caller: &Caller,
    req: DeleteVirtualMfaDeviceRequest,
) -> Result<EmptyResponse, Error> {
    let serial = req.serial_number.as_str();
    let action = Action::DeleteVirtualMfaDevice;
    audited(state, caller, action, None, Some(serial), async {
        validate_serial(serial)?;
        authorize(state, caller, action, serial).await?;
        let dev = virtual_device(state, caller, serial).await?;
        creator_allows(state, caller, action, &dev).await?;
        if dev.owner_id.is_some() {
            return Err(Error::DeleteConflict(
                "The MFA device is assigned to a user: deactivate it first.".into(),
            ));
        }
        state.storage.delete_device(dev.id).await?;
        Ok(EmptyResponse {})
    })
    .await
}

/// `ListVirtualMFADevices`: a page of the account's virtual devices, by serial number, with
/// the assignment status asked for.
pub async fn list_virtual_mfa_devices(
    state: &AppState,
    caller: &Caller,
    req: ListVirtualMfaDevicesRequest,
    paging: Paging,
) -> Result<ListVirtualMfaDevicesResponse, Error> {
    let action = Action::ListVirtualMfaDevices;
    audited(state, caller, action, None, None, async {
        let page = paging::page(&paging, |p| match p {
            Position::VirtualDevice(serial) => Some(serial),
            _ => None,
        })?;
        authorize(state, caller, action, "*").await?;
        let assigned = match req.assignment_status.unwrap_or_default() {
            AssignmentStatus::Any => None,
            AssignmentStatus::Assigned => Some(true),
            AssignmentStatus::Unassigned => Some(false),
        };
        let rows = state
            .storage
            .virtual_devices_page(
                caller.account(),
                assigned,
                page.after.as_deref(),
                page.limit(),
            )
            .await?;
        let (rows, marker) =
            page.finish(rows, |d| Position::VirtualDevice(d.serial_number.clone()));
        let mut out = Vec::with_capacity(rows.len());
        for dev in rows {
            let user: Option<User> = match dev.owner_id {
                Some(id) => state.storage.principal(id).await?.map(|p| user_of(&p)),
                None => None,
            };
            out.push(VirtualMfaDevice {
                serial_number: dev.serial_number,
                user,
                enable_date: dev.enabled_at.map(rfc3339),
            });
        }
        Ok(ListVirtualMfaDevicesResponse {
            virtual_mfa_devices: out,
            is_truncated: marker.is_some(),
            marker,
        })
    })
    .await
}

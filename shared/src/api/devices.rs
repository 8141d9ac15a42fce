//! MFA devices: listing, resync, enrolment, unlock.

use serde::{Deserialize, Serialize};

use super::users::User;

/// The kind of an MFA device. Serialised as in the command line: `"virtual"`, `"hardware-totp"`,
/// `"hardware-hotp"`, `"fido"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// An authenticator app (TOTP); its serial number is an ARN `arn:aws:iam::ACCOUNT:mfa/NAME`.
    Virtual,
    /// A hardware TOTP token (key fob); the vendor's serial number.
    HardwareTotp,
    /// A hardware HOTP (counter) token; the vendor's serial number.
    HardwareHotp,
    /// A FIDO security key: no codes, never drifts, cannot be resynced.
    Fido,
}

impl DeviceKind {
    /// The kind's name as in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Virtual => "virtual",
            DeviceKind::HardwareTotp => "hardware-totp",
            DeviceKind::HardwareHotp => "hardware-hotp",
            DeviceKind::Fido => "fido",
        }
    }

    /// Parses [`DeviceKind::as_str`]'s spelling.
    pub fn parse(s: &str) -> Option<DeviceKind> {
        [
            DeviceKind::Virtual,
            DeviceKind::HardwareTotp,
            DeviceKind::HardwareHotp,
            DeviceKind::Fido,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether the device produces codes and so can drift and be resynced.
    pub fn has_codes(self) -> bool {
        !matches!(self, DeviceKind::Fido)
    }
}

/// `ListMFADevices`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMfaDevicesRequest {
    /// Whose devices; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// One MFA device as `ListMFADevices` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaDevice {
    /// The owner's user name (for the root user, the account id, as IAM does).
    pub user_name: String,
    /// The serial number.
    pub serial_number: String,
    /// When it was enabled, RFC 3339 UTC (`2026-11-29T15:04:05Z`).
    pub enable_date: String,
    /// Ours: what kind of device.
    pub kind: DeviceKind,
    /// Ours: the stored drift in steps (positive: the device runs fast); 0 for FIDO keys.
    pub drift_steps: i64,
    /// Ours: the stored drift in seconds (`DriftSteps` × step).
    pub drift_seconds: i64,
    /// Ours: locked after too many failures until an administrator unlocks it.
    pub locked: bool,
    /// Ours: seconds until codes are evaluated again when throttled; `null` when not throttled.
    #[serde(default)]
    pub retry_after_seconds: Option<u64>,
    /// Ours (issue 16): seconds a day the device gains (negative: loses), fitted to the offsets
    /// its accepted codes measured since it was enabled; absent with too short a history
    /// (`shared::forecast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_rate_seconds_per_day: Option<f64>,
    /// Ours (issue 16), TOTP: when, at that rate, its codes leave the sign-in window (stored
    /// drift ± 1 step) — a resync is needed by then; RFC 3339 UTC. Absent when no forecast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resync_needed_by: Option<String>,
    /// Ours (issue 16), HOTP: counter values the token runs ahead of the server a week —
    /// presses never typed — from the counters its accepted codes skipped since it was enabled
    /// (`shared::forecast::run_ahead_per_day`); absent with too short a history. Past the
    /// server's look-ahead between two sign-ins, its codes stop working until a resync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_run_ahead_per_week: Option<f64>,
    /// Ours (issue 16): when a code of it was last accepted (sign-in, resync, STS), RFC 3339
    /// UTC; absent when never since it was enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<String>,
    /// Ours (issue 16), JSON API only: the offsets its accepted codes measured since it was
    /// enabled, oldest first, at most 200 (thinned evenly): what the app draws.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift_history: Vec<DriftPoint>,
}

/// One measured offset of a device (issue 16): where its clock, or its counter, was when one of
/// its codes was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DriftPoint {
    /// When, in Unix seconds (the server's clock).
    pub at: i64,
    /// How far ahead the device was: seconds for TOTP (steps × step), counter values for HOTP.
    pub offset: i64,
}

/// The answer to `ListMFADevices`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMfaDevicesResponse {
    /// The devices, in the order they were enabled.
    #[serde(rename = "MFADevices")]
    pub mfa_devices: Vec<MfaDevice>,
    /// Whether more devices follow: then [`ListMfaDevicesResponse::marker`] asks for them.
    pub is_truncated: bool,
    /// For the next page (see [`Paging`]); only when `is_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// `ResyncMFADevice`: two consecutive codes from the device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResyncMfaDeviceRequest {
    /// Whose device; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The device.
    pub serial_number: String,
    /// A code from the device.
    pub authentication_code1: String,
    /// The code the device shows next after `AuthenticationCode1`.
    pub authentication_code2: String,
}

/// The answer to a successful resync: the drift measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResyncMfaDeviceResponse {
    /// Steps the device is ahead of the server (negative: behind); 0 for HOTP tokens.
    pub drift_steps: i64,
    /// The same in seconds.
    pub drift_seconds: i64,
}

/// `EnableMFADevice`: assigns a (virtual) device to a user with two consecutive codes.
pub type EnableMfaDeviceRequest = ResyncMfaDeviceRequest;

/// `DeactivateMFADevice`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeactivateMfaDeviceRequest {
    /// Whose device; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The device.
    pub serial_number: String,
}

/// `UnlockMFADevice` (ours): clears a device's failure counter, throttle and lock.
pub type UnlockMfaDeviceRequest = DeactivateMfaDeviceRequest;

/// `CreateVirtualMFADevice`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVirtualMfaDeviceRequest {
    /// The device's name (1–226 of `[\w+=,.@-]`); the serial becomes
    /// `arn:aws:iam::ACCOUNT:mfa{Path}{Name}`.
    #[serde(rename = "VirtualMFADeviceName")]
    pub virtual_mfa_device_name: String,
    /// Path, `/` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A new virtual device, with its secret: shown this once, never again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatedVirtualMfaDevice {
    /// The serial number (an ARN).
    pub serial_number: String,
    /// The seed, Base32 without padding.
    pub base32_string_seed: String,
    /// Ours: the `otpauth://totp/…` URI an authenticator app imports.
    pub otpauth_uri: String,
    /// Ours: the URI as a QR code, an SVG document.
    #[serde(rename = "QRCodeSVG")]
    pub qr_code_svg: String,
}

/// The answer to `CreateVirtualMFADevice`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVirtualMfaDeviceResponse {
    /// The device.
    #[serde(rename = "VirtualMFADevice")]
    pub virtual_mfa_device: CreatedVirtualMfaDevice,
}

/// `DeleteVirtualMFADevice`: refused with `DeleteConflict` while assigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteVirtualMfaDeviceRequest {
    /// The device.
    pub serial_number: String,
}

/// Which virtual devices `ListVirtualMFADevices` returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignmentStatus {
    /// Assigned to a user.
    Assigned,
    /// Not assigned.
    Unassigned,
    /// Both.
    #[default]
    Any,
}

/// `ListVirtualMFADevices`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListVirtualMfaDevicesRequest {
    /// Filter; `Any` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_status: Option<AssignmentStatus>,
}

/// A virtual device as `ListVirtualMFADevices` shows it (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualMfaDevice {
    /// The serial number (an ARN).
    pub serial_number: String,
    /// The user it is assigned to, if any.
    #[serde(default)]
    pub user: Option<User>,
    /// When it was enabled, RFC 3339 UTC; `null` while unassigned.
    #[serde(default)]
    pub enable_date: Option<String>,
}

/// The answer to `ListVirtualMFADevices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListVirtualMfaDevicesResponse {
    /// The devices, by serial number.
    #[serde(rename = "VirtualMFADevices")]
    pub virtual_mfa_devices: Vec<VirtualMfaDevice>,
    /// Whether more devices follow: then [`ListVirtualMfaDevicesResponse::marker`] asks for them.
    pub is_truncated: bool,
    /// For the next page (see [`Paging`]); only when `is_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// Our `POST /api/admin/attention` (issue 16): what a help desk should act on before people are
/// locked out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttentionRequest {
    /// How far ahead to look, 1–366 days; 30 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_days: Option<u32>,
}

/// The answer to `POST /api/admin/attention`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttentionResponse {
    /// The account's assigned devices whose codes, at their measured rate, leave the sign-in
    /// window within the days asked (or have already), soonest first, with `ResyncNeededBy`
    /// and the other forecast members of `ListMFADevices`.
    pub devices_needing_resync: Vec<MfaDevice>,
    /// Hardware tokens nobody holds yet, by serial number (at most 1,000): the pool a person
    /// assigns from with `EnableMFADevice`.
    pub unassigned_hardware_tokens: Vec<super::MfaDeviceChoice>,
}

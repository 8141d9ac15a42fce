//! The JSON API between the browser app (and tests) and the server.
//!
//! Member names are IAM's (PascalCase, `MFADevices`, `AuthenticationCode1`, …) so the shapes match
//! the AWS IAM API reference. State changes are `POST` with `Content-Type: application/json` and the
//! header [`REQUESTED_WITH_HEADER`]`: `[`REQUESTED_WITH_VALUE`]. Every error has the body
//! [`ErrorResponse`] and the HTTP status of its [`ErrorCode`]; `429` also carries `Retry-After`.
//!
//! | method and path | request | response |
//! |---|---|---|
//! | `GET /api/time` | — | [`TimeResponse`] |
//! | `POST /api/sign-in` | [`SignInRequest`] | [`SignInResponse`] + session cookie |
//! | `POST /api/sign-in/root` | [`RootSignInRequest`] | [`SignInResponse`] + session cookie |
//! | `POST /api/sign-in/mfa` | [`MfaSignInRequest`] | [`MfaSignInResponse`] + rotated cookie |
//! | `GET /api/session` | — | [`SessionResponse`] |
//! | `POST /api/sign-out` | `{}` | [`EmptyResponse`] |
//! | `POST /api/iam/ListMFADevices` | [`ListMfaDevicesRequest`] | [`ListMfaDevicesResponse`] |
//! | `POST /api/iam/ResyncMFADevice` | [`ResyncMfaDeviceRequest`] | [`ResyncMfaDeviceResponse`] |
//! | `POST /api/iam/EnableMFADevice` | [`EnableMfaDeviceRequest`] | [`EmptyResponse`] |
//! | `POST /api/iam/DeactivateMFADevice` | [`DeactivateMfaDeviceRequest`] | [`EmptyResponse`] |
//! | `POST /api/iam/CreateVirtualMFADevice` | [`CreateVirtualMfaDeviceRequest`] | [`CreateVirtualMfaDeviceResponse`] |
//! | `POST /api/iam/DeleteVirtualMFADevice` | [`DeleteVirtualMfaDeviceRequest`] | [`EmptyResponse`] |
//! | `POST /api/iam/ListVirtualMFADevices` | [`ListVirtualMfaDevicesRequest`] | [`ListVirtualMfaDevicesResponse`] |
//! | `POST /api/iam/ListUsers` | [`ListUsersRequest`] | [`ListUsersResponse`] |
//! | `POST /api/iam/ListAccessKeys` | [`ListAccessKeysRequest`] | [`ListAccessKeysResponse`] |
//! | `POST /api/iam/UnlockMFADevice` | [`UnlockMfaDeviceRequest`] | [`EmptyResponse`] |
//! | `POST /api/audit/LookupEvents` | [`LookupEventsRequest`] | [`LookupEventsResponse`] |
//!
//! The four list actions (`ListMFADevices`, `ListVirtualMFADevices`, `ListUsers`,
//! `ListAccessKeys`) also read the [`Paging`] members `MaxItems` and `Marker` from the same JSON
//! object as their own members.

use serde::{Deserialize, Serialize};

/// The header every state-changing request must carry (CSRF defence, security rule 18).
pub const REQUESTED_WITH_HEADER: &str = "X-Requested-With";
/// The value of [`REQUESTED_WITH_HEADER`].
pub const REQUESTED_WITH_VALUE: &str = "mfa-resync";
/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "mfa_resync_session";

pub use crate::action::{Action, IAM_PATH_PREFIX};

// ---------------------------------------------------------------------------------------------
// Errors

/// The body of every error response: `{"Error":{"Code":"…","Message":"…"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorResponse {
    /// The error.
    pub error: ApiError,
}

/// An error: IAM's code and a sentence for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    /// What went wrong, as a stable code.
    pub code: ErrorCode,
    /// What went wrong, for a person; never contains a code, seed or password.
    pub message: String,
}

/// Error codes (IAM's where IAM has one) with their HTTP status, see [`ErrorCode::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: a member is missing or malformed (including a code that is not exactly its digits).
    ValidationError,
    /// 401: the account, user name or password is wrong (never says which).
    SignInFailed,
    /// 401: no session, or it expired.
    NotSignedIn,
    /// 403: the codes are not valid (wrong, stale, reused, not consecutive).
    InvalidAuthenticationCode,
    /// 403: the caller may not do this (policy, or a password-only session).
    AccessDenied,
    /// 403: a state-changing request without the CSRF header, or from another site.
    CrossOriginRequest,
    /// 404: no such user or device (also for another user's device the caller may not see).
    NoSuchEntity,
    /// 409: a user or device with that name exists already.
    EntityAlreadyExists,
    /// 409: the device is still assigned to a user.
    DeleteConflict,
    /// 409: the request cannot apply in the entity's current state (e.g. a FIDO key to resync).
    InvalidState,
    /// 415: a state-changing request whose body is not `application/json`.
    UnsupportedMediaType,
    /// 429: too many failed attempts; see `Retry-After`. Also a device locked until an
    /// administrator unlocks it.
    LimitExceeded,
    /// 500: something failed on the server (details are logged, never sent).
    ServiceFailure,
    /// A code this version does not know (only produced when deserialising).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationError => 400,
            ErrorCode::SignInFailed | ErrorCode::NotSignedIn => 401,
            ErrorCode::InvalidAuthenticationCode
            | ErrorCode::AccessDenied
            | ErrorCode::CrossOriginRequest => 403,
            ErrorCode::NoSuchEntity => 404,
            ErrorCode::EntityAlreadyExists
            | ErrorCode::DeleteConflict
            | ErrorCode::InvalidState => 409,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::LimitExceeded => 429,
            ErrorCode::ServiceFailure | ErrorCode::Unknown => 500,
        }
    }

    /// The code as it appears in JSON, e.g. `"NoSuchEntity"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "ValidationError",
            ErrorCode::SignInFailed => "SignInFailed",
            ErrorCode::NotSignedIn => "NotSignedIn",
            ErrorCode::InvalidAuthenticationCode => "InvalidAuthenticationCode",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::CrossOriginRequest => "CrossOriginRequest",
            ErrorCode::NoSuchEntity => "NoSuchEntity",
            ErrorCode::EntityAlreadyExists => "EntityAlreadyExists",
            ErrorCode::DeleteConflict => "DeleteConflict",
            ErrorCode::InvalidState => "InvalidState",
            ErrorCode::UnsupportedMediaType => "UnsupportedMediaType",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::ServiceFailure => "ServiceFailure",
            ErrorCode::Unknown => "Unknown",
        }
    }

    /// Every code this version knows (all but [`ErrorCode::Unknown`]).
    pub const KNOWN: [ErrorCode; 13] = [
        ErrorCode::ValidationError,
        ErrorCode::SignInFailed,
        ErrorCode::NotSignedIn,
        ErrorCode::InvalidAuthenticationCode,
        ErrorCode::AccessDenied,
        ErrorCode::CrossOriginRequest,
        ErrorCode::NoSuchEntity,
        ErrorCode::EntityAlreadyExists,
        ErrorCode::DeleteConflict,
        ErrorCode::InvalidState,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::LimitExceeded,
        ErrorCode::ServiceFailure,
    ];

    /// Parses [`ErrorCode::as_str`]'s spelling; a code this version does not know is
    /// [`ErrorCode::Unknown`], as when deserialising.
    pub fn parse(s: &str) -> ErrorCode {
        ErrorCode::KNOWN
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(ErrorCode::Unknown)
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An empty JSON object `{}`: the response of actions that return nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponse {}

// ---------------------------------------------------------------------------------------------
// Time and sessions

/// `GET /api/time`: the server's clock, which every code decision uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeResponse {
    /// Milliseconds since the Unix epoch, on the server.
    pub now_ms: u64,
    /// The TOTP step in seconds (30).
    pub step_seconds: u32,
}

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

/// `POST /api/sign-in`: an IAM user signs in with a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignInRequest {
    /// The 12-digit account id or the account alias.
    pub account: String,
    /// The IAM user name.
    pub user_name: String,
    /// The password.
    pub password: String,
}

/// `POST /api/sign-in/root`: the root user signs in with email and password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootSignInRequest {
    /// The root user's email address.
    pub email: String,
    /// The password.
    pub password: String,
}

/// A device to choose from at the MFA step (nothing secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaDeviceChoice {
    /// The device's serial number (pass it as `SerialNumber`).
    pub serial_number: String,
    /// What kind of device it is.
    pub kind: DeviceKind,
}

/// The answer to a successful password check. The session cookie is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignInResponse {
    /// `true` when the user has an MFA device: the session is password-only (it may list its own
    /// devices and resync one for ten minutes) until `POST /api/sign-in/mfa` succeeds.
    pub mfa_required: bool,
    /// The devices to choose from at the MFA step.
    #[serde(rename = "MFADevices", default)]
    pub mfa_devices: Vec<MfaDeviceChoice>,
}

/// `POST /api/sign-in/mfa`: completes sign-in with a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaSignInRequest {
    /// The code the device shows now: exactly its digits, nothing else.
    pub authentication_code: String,
    /// Which device; may be left out when the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

/// The answer to a successful MFA step. The session id was rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaSignInResponse {
    /// Always `true`.
    pub mfa_present: bool,
}

/// `GET /api/session`: who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionResponse {
    /// The 12-digit account id.
    pub account: String,
    /// The caller's ARN (`arn:aws:iam::ACCOUNT:root` or `…:user/NAME`).
    pub arn: String,
    /// The IAM user name; `null` for the root user.
    pub user_name: Option<String>,
    /// Whether the caller is the root user.
    pub root: bool,
    /// Whether the session passed MFA (otherwise it is password-only).
    pub mfa_present: bool,
}

// ---------------------------------------------------------------------------------------------
// Paging

/// The paging members of IAM's list actions, read from the same JSON object as the action's own
/// members (`{"UserName":"alice","MaxItems":2,"Marker":"…"}`).
///
/// A response with `"IsTruncated":true` carries a `Marker`; sending it back unchanged as
/// `Marker` gives the next page. The last page has `"IsTruncated":false` and no `Marker`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Paging {
    /// The `Marker` of the previous page's response; the first page when left out. Opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// At most this many items, 1–1000; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// MFA devices

/// `ListMFADevices`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMfaDevicesRequest {
    /// Whose devices; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// One MFA device as `ListMFADevices` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The answer to `ListMFADevices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

// ---------------------------------------------------------------------------------------------
// Users

/// `ListUsers` (no members).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersRequest {}

/// An IAM user (for the root user: `UserName` is the account id, as IAM reports it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// `/`.
    pub path: String,
    /// The user name.
    pub user_name: String,
    /// A stable id (`AIDA…`).
    pub user_id: String,
    /// `arn:aws:iam::ACCOUNT:user/NAME`.
    pub arn: String,
    /// When the user was created, RFC 3339 UTC.
    pub create_date: String,
}

/// The answer to `ListUsers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersResponse {
    /// The account's users, by name without regard to case.
    pub users: Vec<User>,
    /// Whether more users follow: then [`ListUsersResponse::marker`] asks for them.
    pub is_truncated: bool,
    /// For the next page (see [`Paging`]); only when `is_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Access keys

/// `ListAccessKeys`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysRequest {
    /// Whose keys; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// An access key without its secret, as `ListAccessKeys` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    /// The owner's user name (for the root user, the account id).
    pub user_name: String,
    /// `AKIA…`.
    pub access_key_id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// When it was created, RFC 3339 UTC.
    pub create_date: String,
}

/// The answer to `ListAccessKeys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysResponse {
    /// The keys, oldest first.
    pub access_key_metadata: Vec<AccessKeyMetadata>,
    /// Whether more keys follow: then [`ListAccessKeysResponse::marker`] asks for them.
    pub is_truncated: bool,
    /// For the next page (see [`Paging`]); only when `is_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Audit

/// `POST /api/audit/LookupEvents`: the audit trail, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsRequest {
    /// Only events whose target user is this one (without regard to case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Only events of this action, exactly as listed (`ResyncMFADevice`, `SignIn`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only successes, or only failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Only events concerning this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// 1–1000, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// From a previous response, for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The outcome of an audited attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It was refused or failed; see `ErrorCode`.
    Failure,
}

impl Outcome {
    /// The wire name, as serde writes it (and as the audit table stores it).
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "Success",
            Outcome::Failure => "Failure",
        }
    }

    /// The outcome of a wire name; `None` for any other text.
    pub fn parse(name: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// One audit event (security rule 21). Never holds a code, a seed or a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditEvent {
    /// The event's id.
    pub event_id: String,
    /// When, RFC 3339 UTC with milliseconds.
    pub event_time: String,
    /// Who did it (ARN); for a failed sign-in, the ARN that was named.
    pub actor: String,
    /// The action: `SignIn`, `SignInMFA`, `ResyncMFADevice`, …
    pub action: String,
    /// The user whose device or password was concerned.
    #[serde(default)]
    pub target_user: Option<String>,
    /// The device's serial number.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The client's address.
    pub source_ip: String,
    /// Success or failure.
    pub outcome: Outcome,
    /// The error code of a failure.
    #[serde(default)]
    pub error_code: Option<String>,
}

/// The answer to `LookupEvents`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsResponse {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
    /// Pass it back for the next page; `null` at the end.
    #[serde(default)]
    pub next_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_iam_shape() {
        let body = ErrorResponse {
            error: ApiError {
                code: ErrorCode::NoSuchEntity,
                message: "x".into(),
            },
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"Error":{"Code":"NoSuchEntity","Message":"x"}}"#
        );
        let unknown: ErrorResponse =
            serde_json::from_str(r#"{"Error":{"Code":"Brand New","Message":"y"}}"#).unwrap();
        assert_eq!(unknown.error.code, ErrorCode::Unknown);
        // `parse` agrees with serde on every code, and knows no more.
        for code in ErrorCode::KNOWN {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::parse(code.as_str()), code);
        }
        assert_eq!(ErrorCode::parse("Unknown"), ErrorCode::Unknown);
        for outcome in [Outcome::Success, Outcome::Failure] {
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(json, format!("\"{}\"", outcome.as_str()));
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("success"), None);
        assert_eq!(ErrorCode::parse("nosuchentity"), ErrorCode::Unknown);
    }

    #[test]
    fn member_names_are_iams() {
        let r = ResyncMfaDeviceRequest {
            user_name: None,
            serial_number: "S".into(),
            authentication_code1: "123456".into(),
            authentication_code2: "654321".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"SerialNumber":"S","AuthenticationCode1":"123456","AuthenticationCode2":"654321"}"#
        );
        let list = ListMfaDevicesResponse {
            mfa_devices: vec![],
            is_truncated: false,
            marker: None,
        };
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"{"MFADevices":[],"IsTruncated":false}"#
        );
        let truncated = ListUsersResponse {
            users: vec![],
            is_truncated: true,
            marker: Some("m".into()),
        };
        assert_eq!(
            serde_json::to_string(&truncated).unwrap(),
            r#"{"Users":[],"IsTruncated":true,"Marker":"m"}"#
        );
        let paging: Paging =
            serde_json::from_str(r#"{"UserName":"alice","MaxItems":2,"Marker":"m"}"#).unwrap();
        assert_eq!(
            paging,
            Paging {
                marker: Some("m".into()),
                max_items: Some(2)
            }
        );
        assert_eq!(
            serde_json::from_str::<Paging>("{}").unwrap(),
            Paging::default()
        );
        assert_eq!(
            serde_json::to_string(&DeviceKind::HardwareHotp).unwrap(),
            r#""hardware-hotp""#
        );
        assert_eq!(DeviceKind::parse("fido"), Some(DeviceKind::Fido));
    }
}

//! Time, sign-in and sessions.

use serde::{Deserialize, Serialize};

use super::devices::DeviceKind;

/// `GET /api/time`: the server's clock, which every code decision uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeResponse {
    /// Milliseconds since the Unix epoch, on the server.
    pub now_ms: u64,
    /// The TOTP step in seconds (30).
    pub step_seconds: u32,
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
    /// The actions this session may do now, by name (`ResyncMFADevice`, …): each evaluated as
    /// it would be on the caller's own user and devices, or on `*` for the account-wide lists,
    /// so the app offers only what will be allowed. An action on another user may still be
    /// refused (its policy names that user); `ListUsers` says the caller administers others.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// With MFA: what happened since the previous sign-in that the person did not do (refused
    /// passwords and codes, counted; changes to their devices by someone else), newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<super::ActivityEvent>,
}

//! The JSON API between the browser app (and tests) and the server.
//!
//! Member names are IAM's (PascalCase, `MFADevices`, `AuthenticationCode1`, …) so the shapes match
//! the AWS IAM API reference. State changes are `POST` with `Content-Type: application/json` and the
//! header [`REQUESTED_WITH_HEADER`]`: `[`REQUESTED_WITH_VALUE`]. Every error has the body
//! [`ErrorResponse`] and the HTTP status of its [`ErrorCode`]; `429` and `503` also carry `Retry-After`.
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

/// The header every state-changing request must carry (CSRF defence, security rule 18).
pub const REQUESTED_WITH_HEADER: &str = "X-Requested-With";
/// The value of [`REQUESTED_WITH_HEADER`].
pub const REQUESTED_WITH_VALUE: &str = "mfa-resync";
/// The name of the session cookie over plain HTTP.
pub const SESSION_COOKIE: &str = "mfa_resync_session";
/// The name of the session cookie over HTTPS: the `__Host-` prefix makes browsers keep it only
/// when it is `Secure`, has `Path=/` and no `Domain`, and was set over HTTPS.
pub const SECURE_SESSION_COOKIE: &str = "__Host-mfa_resync_session";

pub use crate::action::{Action, IAM_PATH_PREFIX, Service};

mod access_keys;
mod audit;
mod devices;
mod errors;
mod paging;
mod session;
mod users;

pub use access_keys::*;
pub use audit::*;
pub use devices::*;
pub use errors::*;
pub use paging::*;
pub use session::*;
pub use users::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// Each code's HTTP status (docs/api.md's table), and its name as text.
    #[test]
    fn every_error_code_has_its_status_and_shows_its_name() {
        let statuses = [
            400, 401, 401, 403, 403, 403, 404, 409, 409, 409, 415, 429, 500, 503,
        ];
        for (code, status) in ErrorCode::KNOWN.into_iter().zip(statuses) {
            assert_eq!(code.status(), status, "{code}");
            assert_eq!(code.to_string(), code.as_str());
            assert_eq!(ErrorCode::parse(&code.to_string()), code);
        }
        assert_eq!(ErrorCode::Unknown.status(), 500);
        assert_eq!(ErrorCode::NoSuchEntity.to_string(), "NoSuchEntity");
    }

    /// Only a FIDO key has no codes: it cannot drift or be resynchronised.
    #[test]
    fn only_fido_keys_have_no_codes() {
        for kind in [
            DeviceKind::Virtual,
            DeviceKind::HardwareTotp,
            DeviceKind::HardwareHotp,
        ] {
            assert!(kind.has_codes(), "{kind:?}");
        }
        assert!(!DeviceKind::Fido.has_codes());
    }

    #[test]
    fn error_body_has_iam_shape() {
        let body = ErrorResponse {
            error: ApiError {
                code: ErrorCode::NoSuchEntity,
                message: "x".into(),
                tries_left: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"Error":{"Code":"NoSuchEntity","Message":"x"}}"#
        );
        let refused: ErrorResponse = serde_json::from_str(
            r#"{"Error":{"Code":"InvalidAuthenticationCode","Message":"z","TriesLeft":2}}"#,
        )
        .unwrap();
        assert_eq!(refused.error.tries_left, Some(2));
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

//! The IAM actions, one implementation each, independent of HTTP and JSON: each takes the
//! [`Caller`] and typed input and returns typed output or [`crate::Error`]. The JSON routes
//! and the IAM Query adapter (`crate::http`) are thin layers over these functions.
//!
//! Every action runs the same way: `caller::audited` wraps it (one audit event whatever the
//! outcome), `validate` checks its members' shapes, `authorize` decides whether the caller
//! may (one function for every action), and, for codes, `codes` parses them once, counts the
//! attempt (`attempt`), asks `shared` and commits with one compare-and-set. The list actions
//! also take IAM's paging members ([`shared::api::Paging`]) and page with keyset markers
//! (`paging`).

mod access_keys;
mod activity;
mod attempt;
mod authorize;
mod caller;
mod codes;
mod devices;
mod get_user;
pub(crate) mod paging;
mod sign_in;
mod sts;
mod users;
mod validate;
mod virtual_devices;

pub use access_keys::{
    AccessKeyMetadata, CreatedAccessKey, DeleteAccessKeyRequest, ListAccessKeysRequest,
    ListAccessKeysResponse, SigningKey, create_access_key, delete_access_key, list_access_keys,
    signing_key,
};
pub use activity::own_activity;
pub use caller::{Authentication, Caller};
pub use devices::{
    attention, deactivate_mfa_device, list_mfa_devices, needing_resync, resync_mfa_device,
    unlock_mfa_device,
};
pub use get_user::{GetUserRequest, GetUserResponse, get_user};
pub use sign_in::{SignedIn, session_info, sign_in_mfa, sign_in_root, sign_in_user, sign_out};
pub use sts::{
    CallerIdentity, GetSessionTokenRequest, TemporaryCredentials, TemporaryRefusal,
    get_caller_identity, get_session_token, temporary_signing_key,
};
pub use users::{list_users, lookup_events};
pub use validate::{validate_serial, validate_user_name};
pub use virtual_devices::{
    create_virtual_mfa_device, delete_virtual_mfa_device, enable_mfa_device,
    list_virtual_mfa_devices,
};

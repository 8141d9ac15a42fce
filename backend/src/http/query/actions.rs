//! Each Query action: its input from the parameters, the one implementation in [`crate::iam`],
//! and its output as the members of IAM's service model (botocore's `iam/2010-05-08`; STS's
//! `sts/2011-06-15` for `GetSessionToken` and `GetCallerIdentity`): lists as
//! `<Name><member>…</member></Name>`, timestamps in ISO 8601, blobs in base64. Our own extras in
//! the JSON API's answers (drift, kind, lock) are not IAM members and are left out. The list
//! actions take `MaxItems` and `Marker` ([`Params::paging`]) and end with `IsTruncated` and, when
//! more items follow, `Marker`, as IAM's do.

use data_encoding::BASE64;
use shared::api::{Action, CreateVirtualMfaDeviceResponse, User};

use super::params::Params;
use super::qr_png;
use super::refusal::{Failure, Refusal};
use super::xml::Xml;
use crate::error::Error;
use crate::iam::{self, Caller};
use crate::state::AppState;

/// Runs `action` (one the Query API serves, [`Action::of_query_name`]); the `Result` element's members, or `None` for actions
/// whose output IAM's model leaves empty.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    action: Action,
    p: &Params,
) -> Result<Option<Xml>, Failure> {
    let (s, c) = (state, caller);
    let mut x = Xml::new();
    match action {
        Action::ResyncMfaDevice => {
            iam::resync_mfa_device(s, c, p.input()?).await?;
            return Ok(None);
        }
        Action::EnableMfaDevice => {
            iam::enable_mfa_device(s, c, p.input()?).await?;
            return Ok(None);
        }
        Action::DeactivateMfaDevice => {
            iam::deactivate_mfa_device(s, c, p.input()?).await?;
            return Ok(None);
        }
        Action::DeleteVirtualMfaDevice => {
            iam::delete_virtual_mfa_device(s, c, p.input()?).await?;
            return Ok(None);
        }
        Action::DeleteAccessKey => {
            iam::delete_access_key(s, c, p.input()?).await?;
            return Ok(None);
        }
        Action::ListMfaDevices => {
            let out = iam::list_mfa_devices(s, c, p.input()?, p.paging()?).await?;
            x.element("MFADevices", |x| {
                for d in &out.mfa_devices {
                    x.element("member", |x| {
                        x.leaf("UserName", &d.user_name)
                            .leaf("SerialNumber", &d.serial_number)
                            .leaf("EnableDate", &d.enable_date);
                    });
                }
            });
            truncation(&mut x, out.marker.as_deref());
        }
        Action::ListVirtualMfaDevices => {
            let out = iam::list_virtual_mfa_devices(s, c, p.input()?, p.paging()?).await?;
            x.element("VirtualMFADevices", |x| {
                for d in &out.virtual_mfa_devices {
                    x.element("member", |x| {
                        x.leaf("SerialNumber", &d.serial_number);
                        if let Some(u) = &d.user {
                            user(x, u);
                        }
                        x.optional("EnableDate", d.enable_date.as_deref());
                    });
                }
            });
            truncation(&mut x, out.marker.as_deref());
        }
        Action::CreateVirtualMfaDevice => {
            let out = iam::create_virtual_mfa_device(s, c, p.input()?).await?;
            created_device(&mut x, &out)?;
        }
        Action::GetUser => {
            let out = iam::get_user(s, c, p.input()?).await?;
            user(&mut x, &out.user);
        }
        Action::ListUsers => {
            let prefix = p.get("PathPrefix").unwrap_or("/").to_owned();
            // IAM's pathPrefixType: `/` then printable ASCII, at most 512.
            let ok = prefix.starts_with('/')
                && prefix.len() <= 512
                && prefix.bytes().all(|b| (0x21..=0x7f).contains(&b));
            if !ok {
                return Err(Error::Validation(
                    "PathPrefix must begin with / and hold printable ASCII.".into(),
                )
                .into());
            }
            let out = iam::list_users(s, c, p.input()?, p.paging()?).await?;
            // Every user's path is `/`: a prefix keeps the whole page (and its marker) or none
            // of the list.
            let kept = prefix == "/";
            x.element("Users", |x| {
                for u in out.users.iter().filter(|_| kept) {
                    x.element("member", |x| user_members(x, u));
                }
            });
            truncation(&mut x, out.marker.as_deref().filter(|_| kept));
        }
        Action::ListAccessKeys => {
            let out = iam::list_access_keys(s, c, p.input()?, p.paging()?).await?;
            x.element("AccessKeyMetadata", |x| {
                for k in &out.access_key_metadata {
                    x.element("member", |x| {
                        x.leaf("UserName", &k.user_name)
                            .leaf("AccessKeyId", &k.access_key_id)
                            .leaf("Status", &k.status)
                            .leaf("CreateDate", &k.create_date);
                    });
                }
            });
            truncation(&mut x, out.marker.as_deref());
        }
        Action::GetSessionToken => {
            let out = iam::get_session_token(s, c, p.input()?).await?;
            x.element("Credentials", |x| {
                x.leaf("AccessKeyId", &out.access_key_id)
                    .leaf("SecretAccessKey", &out.secret_access_key)
                    .leaf("SessionToken", &out.session_token)
                    .leaf("Expiration", &out.expiration);
            });
        }
        Action::GetCallerIdentity => {
            let out = iam::get_caller_identity(s, c).await?;
            x.leaf("UserId", &out.user_id)
                .leaf("Account", &out.account)
                .leaf("Arn", &out.arn);
        }
        other => return Err(Refusal::invalid_action(other.name()).into()),
    }
    Ok(Some(x))
}

/// A list's `IsTruncated`, and its `Marker` when more items follow.
fn truncation(x: &mut Xml, marker: Option<&str>) {
    x.leaf(
        "IsTruncated",
        if marker.is_some() { "true" } else { "false" },
    )
    .optional("Marker", marker);
}

/// `<User>` with IAM's `User` members.
fn user(x: &mut Xml, u: &User) {
    x.element("User", |x| user_members(x, u));
}

fn user_members(x: &mut Xml, u: &User) {
    x.leaf("Path", &u.path)
        .leaf("UserName", &u.user_name)
        .leaf("UserId", &u.user_id)
        .leaf("Arn", &u.arn)
        .leaf("CreateDate", &u.create_date);
}

/// `VirtualMFADevice/{SerialNumber,Base32StringSeed,QRCodePNG}`. Both secrets are blobs in IAM's
/// model, so base64 on the wire: `Base32StringSeed` is base64 of the Base32 text (the CLI's
/// `--bootstrap-method Base32StringSeed --outfile F` writes that text to F), `QRCodePNG` base64
/// of a PNG of the `otpauth://` URI.
fn created_device(x: &mut Xml, out: &CreateVirtualMfaDeviceResponse) -> Result<(), Failure> {
    let d = &out.virtual_mfa_device;
    let png = qr_png::render(&d.otpauth_uri)?;
    x.element("VirtualMFADevice", |x| {
        x.leaf("SerialNumber", &d.serial_number)
            .leaf(
                "Base32StringSeed",
                &BASE64.encode(d.base32_string_seed.as_bytes()),
            )
            .leaf("QRCodePNG", &BASE64.encode(&png));
    });
    Ok(())
}

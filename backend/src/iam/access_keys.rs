//! Access keys, the credentials of the IAM Query API (issue 6), and the actions on them.
//!
//! SigV4 proves possession of the secret by an HMAC the server must recompute, so the server
//! needs the plain secret: it is sealed (AES-256-GCM under the access-key secrets' own subkey of
//! the master key, bound to the owner's account and the key id: [`Sealed::AccessKeySecret`],
//! security rule 30) instead of hashed, and shown once, when the operator creates it on the
//! command line ([`create_access_key`]). `ListAccessKeys` and
//! `DeleteAccessKey` are actions like every other: policy-checked and audited.

use data_encoding::{BASE32_NOPAD, BASE64};
use serde::{Deserialize, Serialize};
pub use shared::api::{AccessKeyMetadata, ListAccessKeysRequest, ListAccessKeysResponse};
use shared::api::{Action, EmptyResponse, Paging};
use zeroize::Zeroizing;

use super::authorize::{Visibility, authorize_user};
use super::caller::{Caller, audited};
use super::paging::{self, Position};
use crate::clock::rfc3339;
use crate::crypto::{Sealed, random_bytes};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{AccessKeyRow, PrincipalRow};

/// IAM's quota: two access keys per user (and for the root user).
pub const ACCESS_KEYS_PER_USER: usize = 2;
/// The status of a usable key.
const ACTIVE: &str = "Active";

/// `DeleteAccessKey`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAccessKeyRequest {
    /// Whose key; the caller's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The key.
    pub access_key_id: String,
}

/// A key just created, with its secret: shown this once, never again.
/// (No `Debug`: it would print the secret.)
pub struct CreatedAccessKey {
    /// The owner's user name (for the root user, the account id).
    pub user_name: String,
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret, 40 characters.
    pub secret_access_key: Zeroizing<String>,
    /// `Active`.
    pub status: String,
    /// RFC 3339 UTC.
    pub create_date: String,
}

/// What a signature is checked with: the key's owner and its plain secret.
pub struct SigningKey {
    /// The owner, who becomes the caller.
    pub principal: PrincipalRow,
    /// The secret.
    pub secret: Zeroizing<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("principal", &self.principal.arn())
            .finish_non_exhaustive()
    }
}

/// Creates an access key for `principal` (the command line's `access-key create`): `AKIA` and 16
/// Base32 characters from 80 random bits, and a 40-character secret from 240 random bits, both
/// from the OS generator.
pub async fn create_access_key(
    state: &AppState,
    principal: &PrincipalRow,
) -> Result<CreatedAccessKey, Error> {
    if state.storage.access_keys_of(principal.id).await?.len() >= ACCESS_KEYS_PER_USER {
        return Err(Error::InvalidState(format!(
            "Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}. Delete one first."
        )));
    }
    let random = |n| random_bytes(n).map_err(Error::internal);
    let access_key_id = format!("AKIA{}", BASE32_NOPAD.encode(&random(10)?));
    let secret = Zeroizing::new(BASE64.encode(&random(30)?));
    let sealed = state
        .cipher
        .encrypt(
            Sealed::AccessKeySecret {
                account_id: &principal.account_id,
                access_key_id: &access_key_id,
            },
            secret.as_bytes(),
        )
        .map_err(Error::internal)?;
    let row = AccessKeyRow {
        access_key_id,
        principal_id: principal.id,
        secret: sealed,
        status: ACTIVE.to_owned(),
        created_at: state.clock.now_ms(),
    };
    state.storage.insert_access_key(&row).await?;
    Ok(CreatedAccessKey {
        user_name: principal.display_name(),
        access_key_id: row.access_key_id,
        secret_access_key: secret,
        status: row.status,
        create_date: rfc3339(row.created_at),
    })
}

/// The owner and plain secret of an active key; `None` for an unknown or inactive key.
pub async fn signing_key(
    state: &AppState,
    access_key_id: &str,
) -> Result<Option<SigningKey>, Error> {
    let Some(row) = state.storage.access_key(access_key_id).await? else {
        return Ok(None);
    };
    if row.status != ACTIVE {
        return Ok(None);
    }
    let Some(principal) = state.storage.principal(row.principal_id).await? else {
        return Ok(None);
    };
    let plain = state
        .cipher
        .decrypt(
            Sealed::AccessKeySecret {
                account_id: &principal.account_id,
                access_key_id: &row.access_key_id,
            },
            &row.secret,
        )
        .map_err(Error::internal)?;
    let secret = Zeroizing::new(
        String::from_utf8(plain.to_vec())
            .map_err(|_| Error::Internal("access key secret".into()))?,
    );
    Ok(Some(SigningKey { principal, secret }))
}

/// `AccessKeyId`: 16–128 of `[\w]` (IAM's `accessKeyIdType`).
fn validate_access_key_id(id: &str) -> Result<(), Error> {
    let ok =
        (16..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Validation(
            "AccessKeyId must be 16 to 128 letters, digits or _.".into(),
        ))
    }
}

/// `ListAccessKeys`: a page of the target user's keys, oldest first, without secrets.
pub async fn list_access_keys(
    state: &AppState,
    caller: &Caller,
    req: ListAccessKeysRequest,
    paging: Paging,
) -> Result<ListAccessKeysResponse, Error> {
    let user_name = req.user_name.as_deref();
    let action = Action::ListAccessKeys;
    audited(state, caller, action, user_name, None, async {
        let page = paging::page(&paging, |p| match p {
            Position::AccessKey(created_at, id) => Some((created_at, id)),
            _ => None,
        })?;
        let target = authorize_user(state, caller, action, user_name, Visibility::Plain).await?;
        let owner = target.display_name();
        let after = page.after.as_ref().map(|(at, id)| (*at, id.as_str()));
        let rows = state
            .storage
            .access_keys_page(target.id, after, page.limit())
            .await?;
        let (keys, marker) = page.finish(rows, |k| {
            Position::AccessKey(k.created_at, k.access_key_id.clone())
        });
        Ok(ListAccessKeysResponse {
            access_key_metadata: keys
                .into_iter()
                .map(|k| AccessKeyMetadata {
                    user_name: owner.clone(),
                    access_key_id: k.access_key_id,
                    status: k.status,
                    create_date: rfc3339(k.created_at),
                })
                .collect(),
            is_truncated: marker.is_some(),
            marker,
        })
    })
    .await
}

/// `DeleteAccessKey`: a key of the target user; any other id is `NoSuchEntity`.
pub async fn delete_access_key(
    state: &AppState,
    caller: &Caller,
    req: DeleteAccessKeyRequest,
) -> Result<EmptyResponse, Error> {
    let user_name = req.user_name.as_deref();
    let key_id = req.access_key_id.as_str();
    let action = Action::DeleteAccessKey;
    audited(state, caller, action, user_name, None, async {
        validate_access_key_id(key_id)?;
        let target = authorize_user(state, caller, action, user_name, Visibility::Plain).await?;
        if !state.storage.delete_access_key(key_id, target.id).await? {
            return Err(Error::NoSuchEntity(format!(
                "The Access Key with id {key_id} cannot be found."
            )));
        }
        Ok(EmptyResponse {})
    })
    .await
}

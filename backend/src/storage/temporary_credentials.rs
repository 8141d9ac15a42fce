//! SQL for temporary credentials (STS `GetSessionToken`, issue 15). The secret column holds
//! only the sealed secret and the token only its SHA-256; sealing, the token's check and the
//! rules of their use are in `iam::sts`.

use super::db::{Storage, on_db};

/// Temporary credentials to store.
#[derive(Clone, Debug)]
pub struct NewTemporaryCredentials<'a> {
    /// `ASIA…`.
    pub access_key_id: &'a str,
    /// Whose they are.
    pub principal_id: i64,
    /// The long-term access key that asked for them.
    pub parent_key_id: &'a str,
    /// The sealed secret (`crypto::Sealed::AccessKeySecret` with the `ASIA…` id).
    pub secret: &'a [u8],
    /// SHA-256 (hex) of the session token.
    pub token_hash: &'a str,
    /// The MFA device whose code was checked, its `enabled_at` then, and when (Unix ms); all
    /// `None` without MFA.
    pub mfa: Option<(i64, i64, i64)>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub expires_at: i64,
}

/// Stored temporary credentials, as a signature is checked with them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TemporaryCredentialsRow {
    /// `ASIA…`.
    pub access_key_id: String,
    /// Whose they are.
    pub principal_id: i64,
    /// The sealed secret.
    pub secret: Vec<u8>,
    /// SHA-256 (hex) of the session token.
    pub token_hash: String,
    /// Unix ms the MFA code was checked; `None`: no MFA.
    pub mfa_at: Option<i64>,
    /// Unix ms.
    pub expires_at: i64,
    /// Whether what they were made from still holds: the long-term key exists and is active,
    /// and the MFA device (if any) is still the principal's, enabled at the same time.
    pub still_valid: bool,
}

impl Storage {
    /// Stores new temporary credentials.
    pub async fn insert_temporary_credentials(
        &self,
        c: &NewTemporaryCredentials<'_>,
    ) -> Result<(), sqlx::Error> {
        let (device, enabled_at, mfa_at) = match c.mfa {
            Some((device, enabled_at, at)) => (Some(device), Some(enabled_at), Some(at)),
            None => (None, None, None),
        };
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "INSERT INTO temporary_credentials (access_key_id, principal_id, parent_key_id, \
                 secret, token_hash, mfa_device_id, mfa_enabled_at, mfa_at, created_at, \
                 expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ))
            .bind(c.access_key_id)
            .bind(c.principal_id)
            .bind(c.parent_key_id)
            .bind(c.secret)
            .bind(c.token_hash)
            .bind(device)
            .bind(enabled_at)
            .bind(mfa_at)
            .bind(c.created_at)
            .bind(c.expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The temporary credentials with this id, with whether what made them still holds.
    pub async fn temporary_credentials(
        &self,
        access_key_id: &str,
    ) -> Result<Option<TemporaryCredentialsRow>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT t.access_key_id, t.principal_id, t.secret, t.token_hash, t.mfa_at, \
                 t.expires_at, \
                 (EXISTS (SELECT 1 FROM access_keys k WHERE k.access_key_id = t.parent_key_id \
                   AND k.principal_id = t.principal_id AND k.status = 'Active') \
                  AND (t.mfa_device_id IS NULL OR EXISTS (SELECT 1 FROM mfa_devices d \
                   WHERE d.id = t.mfa_device_id AND d.owner_id = t.principal_id \
                   AND d.enabled_at = t.mfa_enabled_at))) AS still_valid \
                 FROM temporary_credentials t WHERE t.access_key_id = ?",
            ))
            .bind(access_key_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// Ends every temporary credential of a principal (its policies changed); returns how many.
    pub async fn delete_temporary_credentials_of(
        &self,
        principal_id: i64,
    ) -> Result<u64, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM temporary_credentials WHERE principal_id = ?",
            ))
            .bind(principal_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
    }

    /// Deletes the temporary credentials that expired before `before` (Unix ms).
    pub async fn delete_expired_temporary_credentials(
        &self,
        before: i64,
    ) -> Result<u64, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM temporary_credentials WHERE expires_at < ?",
            ))
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
    }
}

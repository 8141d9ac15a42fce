//! SQL for access keys (the IAM Query API's credentials). The secret column holds only the
//! sealed secret; sealing and unsealing happen in `iam::access_keys`.

use super::db::{Storage, on_db};
use super::sealed::SEAL_VERSION;

/// A stored access key.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccessKeyRow {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The root user or IAM user it belongs to.
    pub principal_id: i64,
    /// nonce || AES-256-GCM ciphertext of the secret, sealed for its account and key id
    /// (`crypto::Sealed::AccessKeySecret`).
    pub secret: Vec<u8>,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Unix ms.
    pub created_at: i64,
}

impl Storage {
    /// Stores a new access key.
    pub async fn insert_access_key(&self, key: &AccessKeyRow) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "INSERT INTO access_keys (access_key_id, principal_id, secret, status, created_at, \
                 seal_version) VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(&key.access_key_id)
            .bind(key.principal_id)
            .bind(&key.secret)
            .bind(&key.status)
            .bind(key.created_at)
            .bind(SEAL_VERSION)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The access key with this id.
    pub async fn access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRow>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT access_key_id, principal_id, secret, status, created_at FROM access_keys \
                 WHERE access_key_id = ?",
            ))
            .bind(access_key_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// A principal's access keys, oldest first.
    pub async fn access_keys_of(
        &self,
        principal_id: i64,
    ) -> Result<Vec<AccessKeyRow>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT access_key_id, principal_id, secret, status, created_at FROM access_keys \
                 WHERE principal_id = ? ORDER BY created_at, access_key_id",
            ))
            .bind(principal_id)
            .fetch_all(pool)
            .await
        })
    }

    /// A page of a principal's access keys, oldest first (then by key id): at most `limit` of
    /// those that sort after `after` (creation time in Unix ms, key id), or from the first.
    pub async fn access_keys_page(
        &self,
        principal_id: i64,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AccessKeyRow>, sqlx::Error> {
        let keyset = if after.is_some() {
            " AND (created_at > ? OR (created_at = ? AND access_key_id > ?))"
        } else {
            ""
        };
        let statement = format!(
            "SELECT access_key_id, principal_id, secret, status, created_at FROM access_keys \
             WHERE principal_id = ?{keyset} ORDER BY created_at, access_key_id LIMIT ?"
        );
        on_db!(self, |pool, sql| {
            let mut query = sqlx::query_as(sql(statement.clone())).bind(principal_id);
            if let Some((created_at, id)) = after {
                query = query.bind(created_at).bind(created_at).bind(id);
            }
            query.bind(limit).fetch_all(pool).await
        })
    }

    /// Deletes a principal's access key; `false` when it has no key with this id.
    pub async fn delete_access_key(
        &self,
        access_key_id: &str,
        principal_id: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM access_keys WHERE access_key_id = ? AND principal_id = ?",
            ))
            .bind(access_key_id)
            .bind(principal_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }
}

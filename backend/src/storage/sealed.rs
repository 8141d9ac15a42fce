//! SQL for the seal format (security rule 30, migration 0007): the rows whose seed or secret is
//! still sealed in the first format (`seal_version` 1), re-sealed and marked in one
//! transaction. Sealing itself is `crypto`'s.

use super::db::{Storage, on_db};

/// The seal format every insert writes: the purpose's subkey, and the purpose, the account and
/// the row as associated data.
pub(super) const SEAL_VERSION: i64 = 2;

/// A value stored sealed, with what it was sealed for: a first-format row to re-seal, or a
/// current row to check a key against.
#[derive(Debug)]
pub enum SealedRow<'a> {
    /// A device's seed.
    DeviceSeed {
        /// The device's account.
        account_id: &'a str,
        /// Its serial number.
        serial_number: &'a str,
        /// `mfa_devices.seed`.
        seed: &'a [u8],
    },
    /// An access key's secret.
    AccessKeySecret {
        /// The account of its owner.
        account_id: &'a str,
        /// `AKIA…`.
        access_key_id: &'a str,
        /// `access_keys.secret`.
        secret: &'a [u8],
    },
}

impl Storage {
    /// Whether any seed or access-key secret is stored (sealed, in either format).
    pub async fn holds_sealed_rows(&self) -> Result<bool, sqlx::Error> {
        let (held,): (bool,) = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT EXISTS (SELECT 1 FROM mfa_devices WHERE seed IS NOT NULL) \
                 OR EXISTS (SELECT 1 FROM access_keys)",
            ))
            .fetch_one(pool)
            .await
        })?;
        Ok(held)
    }

    /// Calls `check` with the first seed and the first access-key secret sealed in the current
    /// format, if any (by row id and key id): the rows a key must open.
    pub async fn check_sealed_samples<E>(
        &self,
        mut check: impl FnMut(SealedRow<'_>) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<sqlx::Error>,
    {
        let device: Option<(String, String, Vec<u8>)> = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT account_id, serial_number, seed FROM mfa_devices \
                 WHERE seed IS NOT NULL AND seal_version = ? ORDER BY id LIMIT 1",
            ))
            .bind(SEAL_VERSION)
            .fetch_optional(pool)
            .await
        })?;
        if let Some((account_id, serial_number, seed)) = &device {
            check(SealedRow::DeviceSeed {
                account_id,
                serial_number,
                seed,
            })?;
        }
        let key: Option<(String, String, Vec<u8>)> = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT p.account_id, k.access_key_id, k.secret FROM access_keys k \
                 JOIN principals p ON p.id = k.principal_id \
                 WHERE k.seal_version = ? ORDER BY k.access_key_id LIMIT 1",
            ))
            .bind(SEAL_VERSION)
            .fetch_optional(pool)
            .await
        })?;
        if let Some((account_id, access_key_id, secret)) = &key {
            check(SealedRow::AccessKeySecret {
                account_id,
                access_key_id,
                secret,
            })?;
        }
        Ok(())
    }

    /// Replaces every seed and secret stored at seal version 1 with what `reseal` makes of
    /// it, at version 2, in one transaction: an error from `reseal` (or the database) leaves
    /// every row as it was. Returns how many rows were re-sealed. A row is rewritten only while
    /// it still holds the blob that was read, so it is idempotent; a second run finds none.
    /// A device without a seed (FIDO) is just marked.
    pub async fn reseal_first_format<E>(
        &self,
        mut reseal: impl FnMut(SealedRow<'_>) -> Result<Vec<u8>, E>,
    ) -> Result<usize, E>
    where
        E: From<sqlx::Error>,
    {
        let (pending,): (bool,) = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT EXISTS (SELECT 1 FROM mfa_devices WHERE seal_version = 1) \
                 OR EXISTS (SELECT 1 FROM access_keys WHERE seal_version = 1)",
            ))
            .fetch_one(pool)
            .await
        })?;
        if !pending {
            return Ok(0);
        }
        // One transaction per engine; an error of `reseal` returns at once (the transaction,
        // dropped, rolls back), as does a database error (no retry: the next start re-seals).
        let resealed = on_db!(self, |pool, sql| {
            let mut tx = pool.begin().await?;
            // A write first, so the transaction takes the write lock (waiting for another writer)
            // before it reads: a read first would have to upgrade, which fails at once when
            // another process wrote in between.
            sqlx::query(sql(
                "UPDATE mfa_devices SET seal_version = ? WHERE seal_version = 1 AND seed IS NULL",
            ))
            .bind(SEAL_VERSION)
            .execute(&mut *tx)
            .await?;
            let devices: Vec<(i64, String, String, Vec<u8>)> = sqlx::query_as(sql(
                "SELECT id, account_id, serial_number, seed FROM mfa_devices \
             WHERE seal_version = 1 AND seed IS NOT NULL ORDER BY id",
            ))
            .fetch_all(&mut *tx)
            .await?;
            let keys: Vec<(String, String, Vec<u8>)> = sqlx::query_as(sql(
                "SELECT k.access_key_id, p.account_id, k.secret FROM access_keys k \
             JOIN principals p ON p.id = k.principal_id \
             WHERE k.seal_version = 1 ORDER BY k.access_key_id",
            ))
            .fetch_all(&mut *tx)
            .await?;
            let mut resealed = 0;
            for (id, account_id, serial_number, seed) in &devices {
                let new = match reseal(SealedRow::DeviceSeed {
                    account_id,
                    serial_number,
                    seed,
                }) {
                    Ok(new) => new,
                    Err(e) => return Err(e),
                };
                resealed += sqlx::query(sql("UPDATE mfa_devices SET seed = ?, seal_version = ? \
                 WHERE id = ? AND seal_version = 1 AND seed = ?"))
                .bind(&new)
                .bind(SEAL_VERSION)
                .bind(id)
                .bind(seed)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            for (access_key_id, account_id, secret) in &keys {
                let new = match reseal(SealedRow::AccessKeySecret {
                    account_id,
                    access_key_id,
                    secret,
                }) {
                    Ok(new) => new,
                    Err(e) => return Err(e),
                };
                resealed +=
                    sqlx::query(sql("UPDATE access_keys SET secret = ?, seal_version = ? \
                 WHERE access_key_id = ? AND seal_version = 1 AND secret = ?"))
                    .bind(&new)
                    .bind(SEAL_VERSION)
                    .bind(access_key_id)
                    .bind(secret)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(resealed)
        })?;
        Ok(usize::try_from(resealed).unwrap_or(usize::MAX))
    }
}

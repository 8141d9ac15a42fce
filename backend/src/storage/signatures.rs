//! SQL for the signatures already accepted (security rule 22): one insert that succeeds only
//! for a signature never seen, and the sweep of those past the clock-skew window.

use super::db::{Storage, on_db};

impl Storage {
    /// Records an accepted signature's digest until `expires_at` (Unix ms). `false` when it was
    /// already recorded: the request is a replay. One statement, so two servers racing with the
    /// same request accept it once.
    pub async fn accept_signature_once(
        &self,
        digest: &str,
        expires_at: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "INSERT INTO accepted_signatures (digest, expires_at) VALUES (?, ?) \
                 ON CONFLICT (digest) DO NOTHING",
            ))
            .bind(digest)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Forgets the signatures that expired before `now_ms`; returns how many.
    pub async fn delete_expired_signatures(&self, now_ms: i64) -> Result<u64, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql("DELETE FROM accepted_signatures WHERE expires_at < ?"))
                .bind(now_ms)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }
}

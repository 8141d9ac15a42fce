//! SQL that counts an attempt before it is evaluated (security rules 7, 8, 10), for devices,
//! passwords and unknown sign-in names alike, built from the throttle's scheme
//! ([`crate::throttle`]): storage reads the scheme's numbers, never the reverse.

use std::sync::LazyLock;

use super::db::Storage;
use crate::throttle::{self, ThrottleState};

/// A row with a failure counter, throttle and lock (security rules 7–10).
#[derive(Clone, Copy, Debug)]
pub enum ThrottleKey<'a> {
    /// A device's codes, shared by every path.
    Device(i64),
    /// A principal's password.
    Principal(i64),
    /// A sign-in name or email that matches no principal, by its keyed digest.
    UnknownSignIn(&'a str),
}

impl Storage {
    /// Counts an attempt before it is evaluated (security rules 7, 8, 10): one statement that
    /// adds the failure and applies the back-off and lock for the new count, only while `key`
    /// is neither throttled nor locked. Returns the new count, or `None` when the attempt may
    /// not be made. The failure is committed here, on its own, whatever happens to the request;
    /// only a success clears it (the device compare-and-set, [`Storage::reset_principal_failures`]).
    pub async fn reserve_attempt(
        &self,
        key: ThrottleKey<'_>,
        now_ms: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        static DEVICE: LazyLock<String> = LazyLock::new(|| reserve_sql("mfa_devices", "id"));
        static PRINCIPAL: LazyLock<String> = LazyLock::new(|| reserve_sql("principals", "id"));
        static UNKNOWN: LazyLock<String> = LazyLock::new(|| reserve_sql("sign_in_throttle", "key"));
        let query = match key {
            ThrottleKey::Device(id) => sqlx::query_scalar(LazyLock::force(&DEVICE).as_str())
                .bind(now_ms)
                .bind(id),
            ThrottleKey::Principal(id) => sqlx::query_scalar(LazyLock::force(&PRINCIPAL).as_str())
                .bind(now_ms)
                .bind(id),
            ThrottleKey::UnknownSignIn(k) => {
                sqlx::query(
                    "INSERT INTO sign_in_throttle (key) VALUES (?) ON CONFLICT (key) DO NOTHING",
                )
                .bind(k)
                .execute(&self.pool)
                .await?;
                sqlx::query_scalar(LazyLock::force(&UNKNOWN).as_str())
                    .bind(now_ms)
                    .bind(k)
            }
        };
        query.bind(now_ms).fetch_optional(&self.pool).await
    }

    /// The throttle of `key` as stored now; `None` when the row does not exist.
    pub async fn throttle_of(
        &self,
        key: ThrottleKey<'_>,
    ) -> Result<Option<ThrottleState>, sqlx::Error> {
        const COLUMNS: &str = "SELECT failures, throttled_until, locked FROM";
        let query = match key {
            ThrottleKey::Device(id) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} mfa_devices WHERE id = ?"
            )))
            .bind(id),
            ThrottleKey::Principal(id) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} principals WHERE id = ?"
            )))
            .bind(id),
            ThrottleKey::UnknownSignIn(k) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} sign_in_throttle WHERE key = ?"
            )))
            .bind(k),
        };
        let row: Option<(i64, i64, bool)> = query.fetch_optional(&self.pool).await?;
        Ok(
            row.map(|(failures, throttled_until, locked)| ThrottleState {
                failures,
                throttled_until,
                locked,
            }),
        )
    }
}

/// The one statement that counts an attempt before it is evaluated (security rules 7, 8, 10),
/// for `table` with the row chosen by `key_column`: adds the failure and sets the back-off and
/// lock of [`throttle::after_failure`] for the new count, only if the row is neither locked nor
/// throttled at `now`. Binds: now (ms), the key, now (ms). Returns the new count.
/// Portable SQL (no `MIN`/`LEAST`): the waits are spelled out from the throttle's constants.
pub(super) fn reserve_sql(table: &str, key_column: &str) -> String {
    format!(
        "{} WHERE {key_column} = ? AND locked = 0 AND throttled_until <= ? RETURNING failures",
        reserve_set_sql(table)
    )
}

/// `UPDATE {table} SET …` of [`reserve_sql`] without its `WHERE`: binds now (ms).
pub(super) fn reserve_set_sql(table: &str) -> String {
    let mut waits = String::new();
    let mut n = throttle::FREE_FAILURES;
    loop {
        let wait = throttle::after_failure(n, 0).throttled_until;
        if wait >= throttle::MAX_WAIT_SECONDS * 1000 {
            break;
        }
        waits.push_str(&format!(" WHEN {n} THEN {wait}"));
        n += 1;
    }
    format!(
        "UPDATE {table} SET failures = failures + 1, \
         throttled_until = CASE WHEN failures + 1 < {free} OR failures + 1 >= {lock} THEN 0 \
         ELSE ? + CASE failures + 1{waits} ELSE {max} END END, \
         locked = CASE WHEN failures + 1 >= {lock} THEN 1 ELSE locked END",
        free = throttle::FREE_FAILURES,
        lock = throttle::LOCK_AFTER,
        max = throttle::MAX_WAIT_SECONDS * 1000,
    )
}

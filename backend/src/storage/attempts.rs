//! SQL that counts an attempt before it is evaluated (security rules 7, 8, 10), for devices,
//! passwords and unknown sign-in names alike, built from the throttle's scheme
//! ([`crate::throttle`]): storage reads the scheme's numbers, never the reverse.

use std::sync::LazyLock;

use rusqlite::{OptionalExtension, params};

use super::db::{Storage, on_db};
use crate::throttle::{self, Scheme, ThrottleState};

/// A row with a failure counter, throttle and lock (security rules 7–10).
#[derive(Clone, Copy, Debug)]
pub enum ThrottleKey<'a> {
    /// A device's codes, shared by every path.
    Device(i64),
    /// A principal's password.
    Principal(i64),
    /// A sign-in name or email that matches no principal, by its keyed digest.
    UnknownSignIn(&'a str),
    /// A principal's codes across all its devices (security rule 29), by principal id.
    Codes(i64),
}

impl ThrottleKey<'_> {
    /// The table and its key column.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            ThrottleKey::Device(_) => ("mfa_devices", "id"),
            ThrottleKey::Principal(_) => ("principals", "id"),
            ThrottleKey::UnknownSignIn(_) => ("sign_in_throttle", "key"),
            ThrottleKey::Codes(_) => ("code_budgets", "principal_id"),
        }
    }
}

/// An unknown sign-in name's row, made on its first counted attempt.
const INSERT_UNKNOWN: &str =
    "INSERT INTO sign_in_throttle (key) VALUES (?) ON CONFLICT (key) DO NOTHING";
/// The time of an unknown name's counted failure.
const NOTE_UNKNOWN: &str = "UPDATE sign_in_throttle SET last_failure_at = ? WHERE key = ?";

/// [`Storage::reserve_attempt`]'s statement for a principal's code budget (rule 29): one
/// upsert, the first counted code makes the row with count 1. Binds the principal, then the
/// time twice.
pub(super) fn reserve_budget_sql() -> &'static str {
    static CODES: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO code_budgets (principal_id, failures) VALUES (?, 1) \
             ON CONFLICT (principal_id) DO {} \
             WHERE code_budgets.locked = FALSE AND code_budgets.throttled_until <= ? \
             RETURNING failures",
            reserve_set_sql_in("", "code_budgets", throttle::PER_PRINCIPAL).trim_start_matches(' ')
        )
    });
    LazyLock::force(&CODES).as_str()
}

/// [`Storage::reset_code_budget`]'s statement: binds the principal and its own lock.
pub(super) const RESET_CODE_BUDGET: &str = "UPDATE code_budgets SET failures = 0, \
     throttled_until = 0, locked = FALSE WHERE principal_id = ? AND failures > 0 \
     AND (locked = FALSE OR failures = ?)";

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
        if let Some(direct) = &self.direct {
            let statement = match key {
                ThrottleKey::Device(_) => LazyLock::force(&DEVICE),
                ThrottleKey::Principal(_) => LazyLock::force(&PRINCIPAL),
                ThrottleKey::UnknownSignIn(_) => LazyLock::force(&UNKNOWN),
                ThrottleKey::Codes(_) => reserve_budget_sql(),
            };
            // One statement, except for an unknown name: its row first, and its time after.
            // The statements bind the time, the key, the time; the budget's upsert its key first.
            let (first, second) = match key {
                ThrottleKey::Device(id) | ThrottleKey::Principal(id) => (now_ms, id),
                ThrottleKey::Codes(id) => (id, now_ms),
                ThrottleKey::UnknownSignIn(k) => {
                    let k = k.to_owned();
                    return direct
                        .run(move |c| {
                            c.prepare_cached(INSERT_UNKNOWN)?.execute([&k])?;
                            let count = c
                                .prepare_cached(statement)?
                                .query_row(params![now_ms, k, now_ms], |r| r.get::<_, i64>(0))
                                .optional()?;
                            if count.is_some() {
                                c.prepare_cached(NOTE_UNKNOWN)?
                                    .execute(params![now_ms, k])?;
                            }
                            Ok(count)
                        })
                        .await;
                }
            };
            return direct
                .run(move |c| {
                    c.prepare_cached(statement)?
                        .query_row(params![first, second, now_ms], |r| r.get(0))
                        .optional()
                })
                .await;
        }
        if let ThrottleKey::UnknownSignIn(k) = key {
            on_db!(self, |pool, sql| {
                sqlx::query(sql(INSERT_UNKNOWN))
                    .bind(k)
                    .execute(pool)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        let count = on_db!(self, |pool, sql| {
            let query = match key {
                ThrottleKey::Device(id) => {
                    sqlx::query_scalar(sql(LazyLock::force(&DEVICE).as_str()))
                        .bind(now_ms)
                        .bind(id)
                }
                ThrottleKey::Principal(id) => {
                    sqlx::query_scalar(sql(LazyLock::force(&PRINCIPAL).as_str()))
                        .bind(now_ms)
                        .bind(id)
                }
                ThrottleKey::Codes(id) => sqlx::query_scalar(sql(reserve_budget_sql()))
                    .bind(id)
                    .bind(now_ms),
                ThrottleKey::UnknownSignIn(k) => {
                    sqlx::query_scalar(sql(LazyLock::force(&UNKNOWN).as_str()))
                        .bind(now_ms)
                        .bind(k)
                }
            };
            query.bind(now_ms).fetch_optional(pool).await
        })?;
        if count.is_some() {
            self.note_password_failure(key, now_ms).await?;
        }
        Ok(count)
    }

    /// Stamps an unknown name's counted failure with its time, which
    /// [`Storage::forget_password_failures`] reads (every other count is kept until a success
    /// or an unlock).
    async fn note_password_failure(
        &self,
        key: ThrottleKey<'_>,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        let ThrottleKey::UnknownSignIn(k) = key else {
            return Ok(());
        };
        on_db!(self, |pool, sql| {
            sqlx::query(sql(NOTE_UNKNOWN))
                .bind(now_ms)
                .bind(k)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Forgets the rows of unknown sign-in names whose last failure is older than `before`
    /// (Unix ms) and that did not lock (security rule 24); returns how many. A principal's
    /// count is kept until a success or an unlock, so the lock after 100 consecutive failures
    /// (NIST SP 800-63B) stays reachable for a slow attacker.
    pub async fn forget_password_failures(&self, before: i64) -> Result<u64, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            sqlx::query(sql(
                "DELETE FROM sign_in_throttle WHERE locked = FALSE AND last_failure_at < ?",
            ))
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }

    /// Takes back the failure an attempt counted (security rule 23: it turned out to be an
    /// exact repeat of the last accepted codes; or the principal's budget refused the attempt
    /// after its device had counted it), only if `count` is still the stored count: the state
    /// is then exactly the one before the attempt (a wait it set is lifted; one set before had
    /// ended, or the attempt could not have been counted). If anything counted or succeeded
    /// since, nothing changes. Returns whether it was taken back.
    pub async fn refund_attempt(
        &self,
        key: ThrottleKey<'_>,
        count: i64,
    ) -> Result<bool, sqlx::Error> {
        let (table, column) = key.table();
        let statement = format!(
            "UPDATE {table} SET failures = failures - 1, throttled_until = 0, locked = FALSE \
             WHERE {column} = ? AND failures = ?"
        );
        let done = on_db!(self, |pool, sql| {
            let query = sqlx::query(sql(statement.clone()));
            let query = match key {
                ThrottleKey::Device(id) | ThrottleKey::Principal(id) | ThrottleKey::Codes(id) => {
                    query.bind(id)
                }
                ThrottleKey::UnknownSignIn(k) => query.bind(k),
            };
            query
                .bind(count)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A success on one of the principal's devices clears its code budget (rule 29), unless
    /// locked by another attempt than this one (`own_lock`, as for a device).
    pub async fn reset_code_budget(
        &self,
        principal_id: i64,
        own_lock: i64,
    ) -> Result<(), sqlx::Error> {
        if let Some(direct) = &self.direct {
            direct
                .run(move |c| {
                    c.prepare_cached(RESET_CODE_BUDGET)?
                        .execute(params![principal_id, own_lock])
                })
                .await?;
            return Ok(());
        }
        on_db!(self, |pool, sql| {
            sqlx::query(sql(RESET_CODE_BUDGET))
                .bind(principal_id)
                .bind(own_lock)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// An administrator's unlock of the principal's code budget.
    pub async fn unlock_code_budget(&self, principal_id: i64) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql("DELETE FROM code_budgets WHERE principal_id = ?"))
                .bind(principal_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The throttle of `key` as stored now; `None` when the row does not exist.
    pub async fn throttle_of(
        &self,
        key: ThrottleKey<'_>,
    ) -> Result<Option<ThrottleState>, sqlx::Error> {
        const COLUMNS: &str = "SELECT failures, throttled_until, locked FROM";
        let (table, column) = key.table();
        let statement = format!("{COLUMNS} {table} WHERE {column} = ?");
        let row: Option<(i64, i64, bool)> = on_db!(self, |pool, sql| {
            let query = sqlx::query_as(sql(statement.clone()));
            let query = match key {
                ThrottleKey::Device(id) | ThrottleKey::Principal(id) | ThrottleKey::Codes(id) => {
                    query.bind(id)
                }
                ThrottleKey::UnknownSignIn(k) => query.bind(k),
            };
            query.fetch_optional(pool).await
        })?;
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
        "{} WHERE {key_column} = ? AND locked = FALSE AND throttled_until <= ? RETURNING failures",
        reserve_set_sql(table)
    )
}

/// `UPDATE {table} SET …` of [`reserve_sql`] without its `WHERE`: binds now (ms).
pub(super) fn reserve_set_sql(table: &str) -> String {
    reserve_set_sql_in(&format!("{table} "), table, throttle::PER_DEVICE)
}

/// `UPDATE {update}SET …` for `scheme`, the stored values read as `{table}.column` (an upsert's
/// `DO UPDATE` names no table: `update` is then empty). Binds now (ms).
fn reserve_set_sql_in(update: &str, table: &str, scheme: Scheme) -> String {
    let mut waits = String::new();
    // Up to the lock at most (from it on no wait applies): the waits reach the longest well
    // before, but a loop bounded only by that would never end if they did not.
    for n in scheme.free..throttle::LOCK_AFTER {
        let wait = scheme.after_failure(n, 0).throttled_until;
        if wait >= throttle::MAX_WAIT_SECONDS * 1000 {
            break;
        }
        waits.push_str(&format!(" WHEN {n} THEN {wait}"));
    }
    let f = format!("{table}.failures");
    format!(
        "UPDATE {update}SET failures = {f} + 1, \
         throttled_until = CASE WHEN {f} + 1 < {free} OR {f} + 1 >= {lock} THEN 0 \
         ELSE ? + CASE {f} + 1{waits} ELSE {max} END END, \
         locked = CASE WHEN {f} + 1 >= {lock} THEN TRUE ELSE {table}.locked END",
        free = scheme.free,
        lock = throttle::LOCK_AFTER,
        max = throttle::MAX_WAIT_SECONDS * 1000,
    )
}

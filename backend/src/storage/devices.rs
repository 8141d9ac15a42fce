//! SQL for MFA devices: lookups and the state compare-and-set (the failure counter is counted
//! by [`Storage::reserve_attempt`]). Every row read becomes a typed [`Device`] on its way out.

use std::sync::LazyLock;

use rusqlite::{OptionalExtension, params};

use super::attempts::{RESET_CODE_BUDGET, ThrottleKey, reserve_budget_sql, reserve_set_sql};
use super::audit::{EventValues, INSERT_EVENT, NewAuditEvent, bind_event, insert_event};
use super::db::{Storage, on_db};
use super::device::{Device, DeviceRow, StoredState, typed, typed_one};
use super::sealed::SEAL_VERSION;

/// A device to insert.
pub struct NewDevice<'a> {
    /// The account.
    pub account_id: &'a str,
    /// The serial number.
    pub serial_number: &'a str,
    /// The kind's name.
    pub kind: &'a str,
    /// The owner; `None` for an unassigned virtual device.
    pub owner_id: Option<i64>,
    /// Encrypted seed.
    pub seed: Option<&'a [u8]>,
    /// Code length.
    pub digits: i64,
    /// TOTP step.
    pub period: i64,
    /// The initial state.
    pub state: StoredState,
    /// Unix ms, when assigned.
    pub enabled_at: Option<i64>,
    /// Unix ms.
    pub now_ms: i64,
}

const DEVICE_SELECT: &str = "SELECT d.id, d.account_id, d.serial_number, d.kind, d.owner_id, \
     p.user_name AS owner_name, d.seed, d.digits, d.period, \
     d.drift_steps, d.last_used_step, d.hotp_counter, d.enabled_at, d.failures, \
     d.throttled_until, d.locked, d.created_at, d.created_by \
     FROM mfa_devices d LEFT JOIN principals p ON p.id = d.owner_id";

/// A device's enable date as listed and ordered: an assigned device always has one; the
/// creation date stands in otherwise, so the order never depends on where a database sorts
/// `NULL`. A user's devices are ordered by it, then by row id (unique), so the order is total and
/// a page can continue after any device.
const ENABLED: &str = "COALESCE(d.enabled_at, d.created_at)";

/// The lock every statement that adds a device to an account, or assigns one, takes first, in
/// the same transaction, so the caps it reads (security rule 27) cannot be passed by two at
/// once: an update that changes nothing is a row lock on PostgreSQL, held to the commit, and on
/// SQLite takes the write lock at the start of the transaction (a read first could not upgrade
/// when another writer came in between). Portable, where `SELECT … FOR UPDATE` is not.
const LOCK_ACCOUNT: &str = "UPDATE accounts SET created_at = created_at WHERE id = ?";

/// Rows per statement of [`Storage::insert_devices`]: 13 parameters each, within SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters per statement.
const INSERT_BATCH: usize = 1000;

/// [`LOCK_ACCOUNT`] for the account of the device with this row id.
const LOCK_ACCOUNT_OF_DEVICE: &str = "UPDATE accounts SET created_at = created_at \
     WHERE id = (SELECT account_id FROM mfa_devices WHERE id = ?)";

/// [`Storage::reserve_device_attempt`]'s statement, built once.
static RESERVE_DEVICE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} WHERE account_id = ? AND serial_number = ? AND owner_id = ? AND digits = ? \
         AND kind IN ('virtual', 'hardware-totp', 'hardware-hotp') AND seed IS NOT NULL \
         AND locked = FALSE AND throttled_until <= ? \
         RETURNING id, account_id, serial_number, kind, owner_id, \
         (SELECT p.user_name FROM principals p WHERE p.id = mfa_devices.owner_id) AS owner_name, \
         seed, digits, period, drift_steps, last_used_step, hotp_counter, \
         enabled_at, failures, throttled_until, locked, created_at, created_by",
        reserve_set_sql("mfa_devices")
    )
});

/// What a won compare-and-set also writes, in its transaction
/// ([`Storage::compare_and_set_state`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct OnWin<'a> {
    /// The owner's code budget and this attempt's own lock on it: cleared
    /// ([`Storage::reset_code_budget`]).
    pub budget: Option<(i64, i64)>,
    /// The success's audit event: appended.
    pub event: Option<&'a NewAuditEvent<'a>>,
    /// (Unix ms, whole steps or counters) the code measured the device ahead: recorded.
    pub sample: Option<(i64, i64)>,
}

const INSERT_SAMPLE: &str = "INSERT INTO drift_samples (device_id, at, offset_steps) \
     VALUES (?, ?, ?) ON CONFLICT (device_id, at) DO NOTHING";

impl Storage {
    /// The resync's fast path: [`Storage::reserve_attempt`] for the device of `account_id` with
    /// this serial number, owned by `owner_id`, in the same single statement that reads it, and
    /// then for the owner's code budget (rule 29). It only applies when every check that comes
    /// before counting holds (the device exists, has that owner, has codes of `digits` digits
    /// and a seed, is neither locked nor throttled, and the owner's budget is neither); it then
    /// returns the device as counted (its `failures` is this attempt's count) and the budget's
    /// count, else `None` and nothing changed: the caller takes the ordinary path (read, check,
    /// [`Storage::reserve_attempt`]), which gives the exact answer for each case. On SQLite
    /// both counts are one transaction; on PostgreSQL two statements, the device's count taken
    /// back exactly ([`Storage::refund_attempt`]) when the budget refuses.
    pub async fn reserve_device_attempt(
        &self,
        account_id: &str,
        serial: &str,
        owner_id: i64,
        digits: i64,
        now_ms: i64,
    ) -> Result<Option<(Device, i64)>, sqlx::Error> {
        let sql = LazyLock::force(&RESERVE_DEVICE).as_str();
        if let Some(direct) = &self.direct {
            let budget = reserve_budget_sql();
            let (account_id, serial) = (account_id.to_owned(), serial.to_owned());
            let found = direct
                .run(move |c| {
                    let Some(row) = c
                        .prepare_cached(sql)?
                        .query_row(
                            params![now_ms, account_id, serial, owner_id, digits, now_ms],
                            DeviceRow::from_sqlite,
                        )
                        .optional()?
                    else {
                        return Ok(None);
                    };
                    let count: Option<i64> = c
                        .prepare_cached(budget)?
                        .query_row(params![owner_id, now_ms, now_ms], |r| r.get(0))
                        .optional()?;
                    match count {
                        Some(count) => Ok(Some((row, count))),
                        // Refused by the budget: the work is rolled back, the device's count
                        // with it.
                        None => Err(rusqlite::Error::QueryReturnedNoRows),
                    }
                })
                .await;
            return match found {
                Ok(Some((row, count))) => Ok(Some((Device::try_from(row)?, count))),
                Ok(None) | Err(sqlx::Error::RowNotFound) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let row = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(LazyLock::force(&RESERVE_DEVICE).as_str()))
                .bind(now_ms)
                .bind(account_id)
                .bind(serial)
                .bind(owner_id)
                .bind(digits)
                .bind(now_ms)
                .fetch_optional(pool)
                .await
        })?;
        let Some(dev) = typed_one(row)? else {
            return Ok(None);
        };
        match self
            .reserve_attempt(ThrottleKey::Codes(owner_id), now_ms)
            .await?
        {
            Some(count) => Ok(Some((dev, count))),
            None => {
                self.refund_attempt(ThrottleKey::Device(dev.id), dev.throttle.failures)
                    .await?;
                Ok(None)
            }
        }
    }

    /// Inserts a device under the account's lock (so it counts in the caps exactly as on
    /// SQLite's single writer); returns its row id.
    pub async fn insert_device(&self, d: NewDevice<'_>) -> Result<i64, sqlx::Error> {
        let (id,): (i64,) = on_db!(self, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(sql(LOCK_ACCOUNT))
                    .bind(d.account_id)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(sql(
                    "INSERT INTO mfa_devices (account_id, serial_number, kind, owner_id, seed, \
                     digits, period, drift_steps, last_used_step, hotp_counter, enabled_at, \
                     created_at, seal_version) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                ))
                .bind(d.account_id)
                .bind(d.serial_number)
                .bind(d.kind)
                .bind(d.owner_id)
                .bind(d.seed)
                .bind(d.digits)
                .bind(d.period)
                .bind(d.state.drift_steps)
                .bind(d.state.last_used_step)
                .bind(d.state.hotp_counter)
                .bind(d.enabled_at)
                .bind(d.now_ms)
                .bind(SEAL_VERSION)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(row)
            }
            .await
        })?;
        Ok(id)
    }

    /// Inserts many devices of one account at once (a bulk import, the load benchmark's seed):
    /// multi-row `INSERT`s of [`INSERT_BATCH`] rows, in one transaction under the account's
    /// lock, as [`Storage::insert_device`] does for one. Devices of another account than the
    /// first's are refused, and nothing is stored.
    pub async fn insert_devices(&self, devices: &[NewDevice<'_>]) -> Result<(), sqlx::Error> {
        let Some(first) = devices.first() else {
            return Ok(());
        };
        if devices.iter().any(|d| d.account_id != first.account_id) {
            return Err(sqlx::Error::Protocol(
                "insert_devices: every device must be of one account".into(),
            ));
        }
        const COLUMNS: &str = "INSERT INTO mfa_devices (account_id, serial_number, kind, \
             owner_id, seed, digits, period, drift_steps, last_used_step, hotp_counter, \
             enabled_at, created_at, seal_version) VALUES ";
        const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        on_db!(self, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(sql(LOCK_ACCOUNT))
                    .bind(first.account_id)
                    .execute(&mut *tx)
                    .await?;
                for batch in devices.chunks(INSERT_BATCH) {
                    let statement = format!("{COLUMNS}{}", vec![ROW; batch.len()].join(", "));
                    let mut query = sqlx::query(sql(statement));
                    for d in batch {
                        query = query
                            .bind(d.account_id)
                            .bind(d.serial_number)
                            .bind(d.kind)
                            .bind(d.owner_id)
                            .bind(d.seed)
                            .bind(d.digits)
                            .bind(d.period)
                            .bind(d.state.drift_steps)
                            .bind(d.state.last_used_step)
                            .bind(d.state.hotp_counter)
                            .bind(d.enabled_at)
                            .bind(d.now_ms)
                            .bind(SEAL_VERSION);
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await
            }
            .await
        })
    }

    /// Inserts an unassigned virtual device created by `created_by`, only while the account
    /// holds fewer than `max_in_account` devices and the creator fewer than `max_unassigned`
    /// unassigned devices of its own creation (security rule 27). The count is read by the
    /// statement that inserts, in a transaction that first takes the account's lock
    /// (`LOCK_ACCOUNT`), so two creators (on any server) cannot both pass it. `None`: a cap
    /// was reached and nothing was stored.
    pub async fn insert_virtual_device_within(
        &self,
        d: NewDevice<'_>,
        created_by: i64,
        max_in_account: i64,
        max_unassigned: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(sql(LOCK_ACCOUNT))
                    .bind(d.account_id)
                    .execute(&mut *tx)
                    .await?;
                let id = sqlx::query_scalar(sql(
                    "INSERT INTO mfa_devices (account_id, serial_number, kind, owner_id, seed, \
                     digits, period, drift_steps, last_used_step, hotp_counter, enabled_at, \
                     created_at, created_by, seal_version) \
                     SELECT ?, ?, ?, CAST(NULL AS BIGINT), ?, ?, ?, ?, ?, ?, CAST(NULL AS BIGINT), \
                     ?, ?, ? \
                     WHERE (SELECT COUNT(*) FROM mfa_devices WHERE account_id = ?) < ? \
                     AND (SELECT COUNT(*) FROM mfa_devices \
                     WHERE created_by = ? AND owner_id IS NULL) < ? \
                     RETURNING id",
                ))
                .bind(d.account_id)
                .bind(d.serial_number)
                .bind(d.kind)
                .bind(d.seed)
                .bind(d.digits)
                .bind(d.period)
                .bind(d.state.drift_steps)
                .bind(d.state.last_used_step)
                .bind(d.state.hotp_counter)
                .bind(d.now_ms)
                .bind(created_by)
                .bind(SEAL_VERSION)
                .bind(d.account_id)
                .bind(max_in_account)
                .bind(created_by)
                .bind(max_unassigned)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<Option<i64>, sqlx::Error>(id)
            }
            .await
        })
    }

    /// The device of `account_id` with this serial number.
    pub async fn device(
        &self,
        account_id: &str,
        serial: &str,
    ) -> Result<Option<Device>, sqlx::Error> {
        let statement = format!("{DEVICE_SELECT} WHERE d.account_id = ? AND d.serial_number = ?");
        let row = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(account_id)
                .bind(serial)
                .fetch_optional(pool)
                .await
        })?;
        typed_one(row)
    }

    /// The devices assigned to a principal, by enable date, then serial number.
    pub async fn devices_of(&self, owner_id: i64) -> Result<Vec<Device>, sqlx::Error> {
        let statement =
            format!("{DEVICE_SELECT} WHERE d.owner_id = ? ORDER BY {ENABLED}, d.serial_number");
        let rows = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(owner_id)
                .fetch_all(pool)
                .await
        })?;
        typed(rows)
    }

    /// Every assigned device of an account, by serial number: the drift report's input.
    pub async fn assigned_devices_of_account(
        &self,
        account_id: &str,
    ) -> Result<Vec<Device>, sqlx::Error> {
        let statement = format!(
            "{DEVICE_SELECT} WHERE d.account_id = ? AND d.owner_id IS NOT NULL \
             ORDER BY d.serial_number"
        );
        let rows = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(account_id)
                .fetch_all(pool)
                .await
        })?;
        typed(rows)
    }

    /// An account's hardware tokens that nobody holds yet (imported from PSKC, or left behind by
    /// a deactivation that kept them), by serial number, at most `limit`: the pool
    /// `EnableMFADevice` assigns from.
    pub async fn unassigned_hardware_tokens(
        &self,
        account_id: &str,
        limit: i64,
    ) -> Result<Vec<Device>, sqlx::Error> {
        let statement = format!(
            "{DEVICE_SELECT} WHERE d.account_id = ? AND d.owner_id IS NULL \
             AND d.kind IN ('hardware-totp', 'hardware-hotp') ORDER BY d.serial_number LIMIT ?"
        );
        let rows = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(statement.clone()))
                .bind(account_id)
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        typed(rows)
    }

    /// A page of [`Storage::devices_of`]: at most `limit` of the devices that sort after `after`
    /// (enable date in Unix ms, serial number), or from the first.
    pub async fn devices_page(
        &self,
        owner_id: i64,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<Device>, sqlx::Error> {
        let keyset = if after.is_some() {
            format!(" AND ({ENABLED} > ? OR ({ENABLED} = ? AND d.serial_number > ?))")
        } else {
            String::new()
        };
        let statement = format!(
            "{DEVICE_SELECT} WHERE d.owner_id = ?{keyset} ORDER BY {ENABLED}, d.serial_number LIMIT ?"
        );
        let rows = on_db!(self, |pool, sql| {
            let mut query = sqlx::query_as(sql(statement.clone())).bind(owner_id);
            if let Some((enabled, serial)) = &after {
                query = query.bind(enabled).bind(enabled).bind(serial);
            }
            query.bind(limit).fetch_all(pool).await
        })?;
        typed(rows)
    }

    /// A page of the virtual devices of an account, by serial number (unique within the
    /// account): at most `limit` of those whose serial number sorts after `after`, or from the
    /// first; only the assigned ones (`assigned` `Some(true)`), the unassigned ones
    /// (`Some(false)`) or all.
    pub async fn virtual_devices_page(
        &self,
        account_id: &str,
        assigned: Option<bool>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Device>, sqlx::Error> {
        let status = match assigned {
            Some(true) => " AND d.owner_id IS NOT NULL",
            Some(false) => " AND d.owner_id IS NULL",
            None => "",
        };
        let keyset = if after.is_some() {
            " AND d.serial_number > ?"
        } else {
            ""
        };
        let statement = format!(
            "{DEVICE_SELECT} WHERE d.account_id = ? AND d.kind = 'virtual'{status}{keyset} \
             ORDER BY d.serial_number LIMIT ?"
        );
        let rows = on_db!(self, |pool, sql| {
            let mut query = sqlx::query_as(sql(statement.clone())).bind(account_id);
            if let Some(serial) = after {
                query = query.bind(serial);
            }
            query.bind(limit).fetch_all(pool).await
        })?;
        typed(rows)
    }

    /// The atomic compare-and-set of security rule 6: writes `after` and clears the failure
    /// counter (the one this attempt reserved included, rule 9) only if the stored state still
    /// equals `before` and the device is not locked, unless the lock is the one this attempt's
    /// own reservation set (`own_lock`: its count when that reached the lock, else -1).
    /// When it wins, in the same transaction, what [`OnWin`] names: the owner's code budget
    /// cleared, the success's audit event appended (a change is never stored without its
    /// event, rule 31) and the offset the code measured recorded (issue 16). Returns whether
    /// this request won.
    pub async fn compare_and_set_state(
        &self,
        id: i64,
        before: StoredState,
        after: StoredState,
        own_lock: i64,
        on_win: OnWin<'_>,
    ) -> Result<bool, sqlx::Error> {
        const CAS: &str = "UPDATE mfa_devices SET drift_steps = ?, last_used_step = ?, \
             hotp_counter = ?, failures = 0, throttled_until = 0, locked = FALSE \
             WHERE id = ? AND drift_steps = ? AND last_used_step = ? AND hotp_counter = ? \
             AND (locked = FALSE OR failures = ?)";
        let values = (
            after.drift_steps,
            after.last_used_step,
            after.hotp_counter,
            id,
            before.drift_steps,
            before.last_used_step,
            before.hotp_counter,
            own_lock,
        );
        let OnWin {
            budget,
            event,
            sample,
        } = on_win;
        if let Some(direct) = &self.direct {
            let event = event.map(EventValues::from);
            return direct
                .run(move |c| {
                    let won = c.prepare_cached(CAS)?.execute(values)? == 1;
                    if won {
                        if let Some((principal_id, budget_lock)) = budget {
                            c.prepare_cached(RESET_CODE_BUDGET)?
                                .execute(params![principal_id, budget_lock])?;
                        }
                        if let Some(e) = &event {
                            insert_event(c, e)?;
                        }
                        if let Some((at, offset)) = sample {
                            c.prepare_cached(INSERT_SAMPLE)?
                                .execute(params![id, at, offset])?;
                        }
                    }
                    Ok(won)
                })
                .await;
        }
        on_db!(self, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(sql(CAS))
                    .bind(values.0)
                    .bind(values.1)
                    .bind(values.2)
                    .bind(values.3)
                    .bind(values.4)
                    .bind(values.5)
                    .bind(values.6)
                    .bind(values.7)
                    .execute(&mut *tx)
                    .await?;
                let won = done.rows_affected() == 1;
                if won {
                    if let Some((principal_id, budget_lock)) = budget {
                        sqlx::query(sql(RESET_CODE_BUDGET))
                            .bind(principal_id)
                            .bind(budget_lock)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(e) = event {
                        bind_event(sqlx::query(sql(INSERT_EVENT)), e)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some((at, offset)) = sample {
                        sqlx::query(sql(INSERT_SAMPLE))
                            .bind(id)
                            .bind(at)
                            .bind(offset)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(won)
            }
            .await
        })
    }

    /// The offsets measured on a device since `since` (Unix ms), oldest first.
    pub async fn drift_samples(
        &self,
        device_id: i64,
        since: i64,
    ) -> Result<Vec<(i64, i64)>, sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT at, offset_steps FROM drift_samples WHERE device_id = ? AND at >= ? \
                 ORDER BY at",
            ))
            .bind(device_id)
            .bind(since)
            .fetch_all(pool)
            .await
        })
    }

    /// The demo's device with a past: enabled at `enabled_at` (Unix ms) and with these
    /// measured offsets (Unix ms, whole steps), in one transaction. Nothing else backdates a
    /// device: the history of a real one only grows from its accepted codes.
    pub async fn backdate_with_history(
        &self,
        device_id: i64,
        enabled_at: i64,
        samples: &[(i64, i64)],
    ) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(sql("UPDATE mfa_devices SET enabled_at = ? WHERE id = ?"))
                    .bind(enabled_at)
                    .bind(device_id)
                    .execute(&mut *tx)
                    .await?;
                for &(at, offset) in samples {
                    sqlx::query(sql(INSERT_SAMPLE))
                        .bind(device_id)
                        .bind(at)
                        .bind(offset)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
            .await
        })
    }

    /// Bounds every device's history to [`shared::forecast::MAX_SAMPLES`], thinning the older
    /// samples evenly ([`shared::forecast::thin`]); returns how many were deleted.
    pub async fn thin_drift_samples(&self) -> Result<u64, sqlx::Error> {
        let crowded: Vec<(i64,)> = on_db!(self, |pool, sql| {
            sqlx::query_as(sql(
                "SELECT device_id FROM drift_samples GROUP BY device_id HAVING COUNT(*) > ?",
            ))
            .bind(shared::forecast::MAX_SAMPLES as i64)
            .fetch_all(pool)
            .await
        })?;
        let mut deleted = 0;
        for (device_id,) in crowded {
            let times: Vec<(i64,)> = on_db!(self, |pool, sql| {
                sqlx::query_as(sql(
                    "SELECT at FROM drift_samples WHERE device_id = ? ORDER BY at",
                ))
                .bind(device_id)
                .fetch_all(pool)
                .await
            })?;
            for i in shared::forecast::thin(times.len()) {
                deleted += on_db!(self, |pool, sql| {
                    sqlx::query(sql(
                        "DELETE FROM drift_samples WHERE device_id = ? AND at = ?",
                    ))
                    .bind(device_id)
                    .bind(times[i].0)
                    .execute(pool)
                    .await
                    .map(|done| done.rows_affected())
                })?;
            }
        }
        Ok(deleted)
    }

    /// Assigns an unassigned virtual device (EnableMFADevice), compare-and-set like
    /// [`Storage::compare_and_set_state`], and only while the owner has fewer than
    /// `max_devices` devices (security rule 27: the cap is part of the same statement, run
    /// under the account's lock as in [`Storage::insert_virtual_device_within`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn assign_device(
        &self,
        id: i64,
        owner_id: i64,
        max_devices: i64,
        now_ms: i64,
        before: StoredState,
        after: StoredState,
        own_lock: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = on_db!(self, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(sql(LOCK_ACCOUNT_OF_DEVICE))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query(sql(
                    "UPDATE mfa_devices SET owner_id = ?, enabled_at = ?, drift_steps = ?, \
                     last_used_step = ?, hotp_counter = ?, failures = 0, throttled_until = 0, \
                     locked = FALSE \
                     WHERE id = ? AND owner_id IS NULL AND drift_steps = ? AND last_used_step = ? \
                     AND hotp_counter = ? AND (locked = FALSE OR failures = ?) \
                     AND (SELECT COUNT(*) FROM mfa_devices WHERE owner_id = ?) < ?",
                ))
                .bind(owner_id)
                .bind(now_ms)
                .bind(after.drift_steps)
                .bind(after.last_used_step)
                .bind(after.hotp_counter)
                .bind(id)
                .bind(before.drift_steps)
                .bind(before.last_used_step)
                .bind(before.hotp_counter)
                .bind(own_lock)
                .bind(owner_id)
                .bind(max_devices)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(done.rows_affected())
            }
            .await
        })?;
        Ok(done == 1)
    }

    /// Clears failures, throttle and lock, and the owner's code budget (security rule 29: else
    /// a locked budget would keep the unlocked device refused).
    pub async fn unlock_device(&self, id: i64) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql("UPDATE mfa_devices SET failures = 0, throttled_until = 0, locked = FALSE WHERE id = ?"))
            .bind(id)
            .execute(pool)
    .await
    .map(|done| done.rows_affected())
        })?;
        on_db!(self, |pool, sql| {
            sqlx::query(sql("DELETE FROM code_budgets WHERE principal_id = \
                 (SELECT owner_id FROM mfa_devices WHERE id = ?)"))
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Deactivates: a virtual device returns to the unassigned pool (its last used step is kept,
    /// so codes already used can never enable it again); a hardware token or FIDO key is removed.
    pub async fn deactivate_device(&self, id: i64, is_virtual: bool) -> Result<(), sqlx::Error> {
        if is_virtual {
            on_db!(self, |pool, sql| {
                sqlx::query(sql(
                    "UPDATE mfa_devices SET owner_id = NULL, enabled_at = NULL, drift_steps = 0, \
                     failures = 0, throttled_until = 0, locked = FALSE WHERE id = ?",
                ))
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
            })?;
        } else {
            self.delete_device(id).await?;
        }
        Ok(())
    }

    /// Deletes a device row.
    pub async fn delete_device(&self, id: i64) -> Result<(), sqlx::Error> {
        on_db!(self, |pool, sql| {
            sqlx::query(sql("DELETE FROM mfa_devices WHERE id = ?"))
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}

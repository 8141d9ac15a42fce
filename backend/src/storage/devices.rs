//! SQL for MFA devices: lookups and the state compare-and-set (the failure counter is counted
//! by [`Storage::reserve_attempt`]). Rows become a typed [`Device`] here, once: kind, code
//! length, step and seed are checked at this boundary, so the rest of the server never
//! re-parses a stored string.

use std::sync::LazyLock;

use shared::api::DeviceKind;
use shared::code::Digits;
use shared::otp::Totp;

use super::attempts::reserve_set_sql;
use super::db::Storage;
use crate::throttle::ThrottleState;

/// A device as the server uses it.
#[derive(Clone, Debug)]
pub struct Device {
    /// Row id.
    pub id: i64,
    /// The account.
    pub account_id: String,
    /// The serial number.
    pub serial_number: String,
    /// The kind.
    pub kind: DeviceKind,
    /// The owner's principal id; `None` for an unassigned virtual device.
    pub owner_id: Option<i64>,
    /// The owner's user name (`None` for the root user or unassigned).
    pub owner_name: Option<String>,
    /// How it makes codes; `None` for a FIDO key, which has none.
    pub codes: Option<Codes>,
    /// The stored state.
    pub state: StoredState,
    /// Unix ms; `None` while unassigned.
    pub enabled_at: Option<i64>,
    /// Failures, back-off and lock.
    pub throttle: ThrottleState,
    /// Unix ms.
    pub created_at: i64,
}

/// What a device with codes makes them from.
#[derive(Clone, Debug)]
pub struct Codes {
    /// nonce || AES-256-GCM ciphertext of the seed.
    pub sealed_seed: Vec<u8>,
    /// Code length.
    pub digits: Digits,
    /// Time-based (with its step) or counter-based.
    pub generator: Generator,
}

/// How codes follow one another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// RFC 6238: one code per step of time.
    Totp(Totp),
    /// RFC 4226: one code per press.
    Hotp,
}

impl Device {
    /// Its enable date as listed and ordered (the creation date standing in while unassigned).
    pub fn listed_date(&self) -> i64 {
        self.enabled_at.unwrap_or(self.created_at)
    }

    /// Its TOTP step in seconds (0 for a device without a clock).
    pub fn period(&self) -> i64 {
        match self.codes.as_ref().map(|c| c.generator) {
            Some(Generator::Totp(t)) => i64::from(t.period),
            _ => 0,
        }
    }
}

impl TryFrom<DeviceRow> for Device {
    type Error = sqlx::Error;

    fn try_from(row: DeviceRow) -> Result<Device, sqlx::Error> {
        let bad = |what: &str| {
            sqlx::Error::Decode(format!("device {}: {what}", row.serial_number).into())
        };
        let kind = DeviceKind::parse(&row.kind).ok_or_else(|| bad("unknown kind"))?;
        let codes = if kind.has_codes() {
            let digits = u8::try_from(row.digits)
                .ok()
                .and_then(|d| Digits::new(d).ok())
                .ok_or_else(|| bad("code length"))?;
            let generator = if kind == DeviceKind::HardwareHotp {
                Generator::Hotp
            } else {
                let period = u32::try_from(row.period)
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("step"))?;
                Generator::Totp(Totp {
                    period,
                    t0: 0,
                    digits,
                })
            };
            let sealed_seed = row.seed.clone().ok_or_else(|| bad("no seed"))?;
            Some(Codes {
                sealed_seed,
                digits,
                generator,
            })
        } else {
            None
        };
        Ok(Device {
            id: row.id,
            account_id: row.account_id,
            serial_number: row.serial_number,
            kind,
            owner_id: row.owner_id,
            owner_name: row.owner_name,
            codes,
            state: row.state,
            enabled_at: row.enabled_at,
            throttle: ThrottleState {
                failures: row.failures,
                throttled_until: row.throttled_until,
                locked: row.locked,
            },
            created_at: row.created_at,
        })
    }
}

fn typed(rows: Vec<DeviceRow>) -> Result<Vec<Device>, sqlx::Error> {
    rows.into_iter().map(Device::try_from).collect()
}

fn typed_one(row: Option<DeviceRow>) -> Result<Option<Device>, sqlx::Error> {
    row.map(Device::try_from).transpose()
}

/// A device row as stored, with its owner's name when assigned; [`Device`] is its typed form.
#[derive(Clone, Debug, sqlx::FromRow)]
struct DeviceRow {
    /// Row id.
    pub id: i64,
    /// The account.
    pub account_id: String,
    /// The serial number.
    pub serial_number: String,
    /// `virtual`, `hardware-totp`, `hardware-hotp`, `fido`.
    pub kind: String,
    /// The owner's principal id; `None` for an unassigned virtual device.
    pub owner_id: Option<i64>,
    /// The owner's user name (`None` for the root user or unassigned).
    pub owner_name: Option<String>,
    /// nonce || AES-256-GCM ciphertext; `None` for FIDO keys.
    pub seed: Option<Vec<u8>>,
    /// Code length.
    pub digits: i64,
    /// TOTP step in seconds.
    pub period: i64,
    /// The stored state.
    #[sqlx(flatten)]
    pub state: StoredState,
    /// Unix ms; `None` while unassigned.
    pub enabled_at: Option<i64>,
    /// Consecutive failures.
    pub failures: i64,
    /// Unix ms.
    pub throttled_until: i64,
    /// Locked until an administrator unlocks.
    pub locked: bool,
    /// Unix ms.
    pub created_at: i64,
}

/// The code state that is compared-and-set as one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredState {
    /// TOTP drift in steps.
    pub drift_steps: i64,
    /// TOTP: last accepted step, -1 for none.
    pub last_used_step: i64,
    /// HOTP: the next counter expected.
    pub hotp_counter: i64,
}

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
     d.throttled_until, d.locked, d.created_at \
     FROM mfa_devices d LEFT JOIN principals p ON p.id = d.owner_id";

/// A device's enable date as listed and ordered: an assigned device always has one; the
/// creation date stands in otherwise, so the order never depends on where a database sorts
/// `NULL`. A user's devices are ordered by it, then by row id (unique), so the order is total and
/// a page can continue after any device.
const ENABLED: &str = "COALESCE(d.enabled_at, d.created_at)";

/// [`Storage::reserve_device_attempt`]'s statement, built once.
static RESERVE_DEVICE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} WHERE account_id = ? AND serial_number = ? AND owner_id = ? AND digits = ? \
         AND kind IN ('virtual', 'hardware-totp', 'hardware-hotp') AND seed IS NOT NULL \
         AND locked = 0 AND throttled_until <= ? \
         RETURNING id, account_id, serial_number, kind, owner_id, \
         (SELECT p.user_name FROM principals p WHERE p.id = mfa_devices.owner_id) AS owner_name, \
         seed, digits, period, drift_steps, last_used_step, hotp_counter, \
         enabled_at, failures, throttled_until, locked, created_at",
        reserve_set_sql("mfa_devices")
    )
});

impl Storage {
    /// The resync's fast path: [`Storage::reserve_attempt`] for the device of `account_id` with
    /// this serial number, owned by `owner_id`, in the same single statement that reads it. It
    /// only applies when every check that comes before counting holds (the device exists, has
    /// that owner, has codes of `digits` digits and a seed, and is neither locked nor
    /// throttled); it then returns the device as counted (its `failures` is this attempt's
    /// count), else `None` and nothing changed: the caller takes the ordinary path (read,
    /// check, [`Storage::reserve_attempt`]), which gives the exact answer for each case.
    pub async fn reserve_device_attempt(
        &self,
        account_id: &str,
        serial: &str,
        owner_id: i64,
        digits: i64,
        now_ms: i64,
    ) -> Result<Option<Device>, sqlx::Error> {
        let row = sqlx::query_as(LazyLock::force(&RESERVE_DEVICE).as_str())
            .bind(now_ms)
            .bind(account_id)
            .bind(serial)
            .bind(owner_id)
            .bind(digits)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        typed_one(row)
    }

    /// Inserts a device; returns its row id.
    pub async fn insert_device(&self, d: NewDevice<'_>) -> Result<i64, sqlx::Error> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO mfa_devices (account_id, serial_number, kind, owner_id, seed, digits, \
             period, drift_steps, last_used_step, hotp_counter, enabled_at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
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
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// The device of `account_id` with this serial number.
    pub async fn device(
        &self,
        account_id: &str,
        serial: &str,
    ) -> Result<Option<Device>, sqlx::Error> {
        let sql = format!("{DEVICE_SELECT} WHERE d.account_id = ? AND d.serial_number = ?");
        let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?;
        typed_one(row)
    }

    /// The devices assigned to a principal, by enable date, then serial number.
    pub async fn devices_of(&self, owner_id: i64) -> Result<Vec<Device>, sqlx::Error> {
        let sql =
            format!("{DEVICE_SELECT} WHERE d.owner_id = ? ORDER BY {ENABLED}, d.serial_number");
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .fetch_all(&self.pool)
            .await?;
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
        let sql = format!(
            "{DEVICE_SELECT} WHERE d.owner_id = ?{keyset} ORDER BY {ENABLED}, d.serial_number LIMIT ?"
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(owner_id);
        if let Some((enabled, serial)) = after {
            query = query.bind(enabled).bind(enabled).bind(serial);
        }
        typed(query.bind(limit).fetch_all(&self.pool).await?)
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
        let sql = format!(
            "{DEVICE_SELECT} WHERE d.account_id = ? AND d.kind = 'virtual'{status}{keyset} \
             ORDER BY d.serial_number LIMIT ?"
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id);
        if let Some(serial) = after {
            query = query.bind(serial);
        }
        typed(query.bind(limit).fetch_all(&self.pool).await?)
    }

    /// The atomic compare-and-set of security rule 6: writes `after` and clears the failure
    /// counter (the one this attempt reserved included, rule 9) only if the stored state still
    /// equals `before` and the device is not locked, unless the lock is the one this attempt's
    /// own reservation set (`own_lock`: its count when that reached the lock, else -1).
    /// Returns whether this request won.
    pub async fn compare_and_set_state(
        &self,
        id: i64,
        before: StoredState,
        after: StoredState,
        own_lock: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE mfa_devices SET drift_steps = ?, last_used_step = ?, hotp_counter = ?, \
             failures = 0, throttled_until = 0, locked = 0 \
             WHERE id = ? AND drift_steps = ? AND last_used_step = ? AND hotp_counter = ? \
             AND (locked = 0 OR failures = ?)",
        )
        .bind(after.drift_steps)
        .bind(after.last_used_step)
        .bind(after.hotp_counter)
        .bind(id)
        .bind(before.drift_steps)
        .bind(before.last_used_step)
        .bind(before.hotp_counter)
        .bind(own_lock)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Assigns an unassigned virtual device (EnableMFADevice), compare-and-set like
    /// [`Storage::compare_and_set_state`].
    pub async fn assign_device(
        &self,
        id: i64,
        owner_id: i64,
        now_ms: i64,
        before: StoredState,
        after: StoredState,
        own_lock: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE mfa_devices SET owner_id = ?, enabled_at = ?, drift_steps = ?, \
             last_used_step = ?, hotp_counter = ?, failures = 0, throttled_until = 0, \
             locked = 0 \
             WHERE id = ? AND owner_id IS NULL AND drift_steps = ? AND last_used_step = ? \
             AND hotp_counter = ? AND (locked = 0 OR failures = ?)",
        )
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
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Clears failures, throttle and lock.
    pub async fn unlock_device(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE mfa_devices SET failures = 0, throttled_until = 0, locked = 0 WHERE id = ?",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deactivates: a virtual device returns to the unassigned pool (its last used step is kept,
    /// so codes already used can never enable it again); a hardware token or FIDO key is removed.
    pub async fn deactivate_device(&self, id: i64, is_virtual: bool) -> Result<(), sqlx::Error> {
        if is_virtual {
            sqlx::query(
                "UPDATE mfa_devices SET owner_id = NULL, enabled_at = NULL, drift_steps = 0, \
                 failures = 0, throttled_until = 0, locked = 0 WHERE id = ?",
            )
            .bind(id)
            .execute(&self.pool)
            .await?;
        } else {
            self.delete_device(id).await?;
        }
        Ok(())
    }

    /// Deletes a device row.
    pub async fn delete_device(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM mfa_devices WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

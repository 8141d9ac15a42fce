//! A device as the server uses it, typed once at the storage boundary: the row's kind, code
//! length, step and seed are checked here ([`TryFrom<DeviceRow>`](Device#impl-TryFrom%3CDeviceRow%3E-for-Device)),
//! so the rest of the server never re-parses a stored string.

use shared::api::DeviceKind;
use shared::code::Digits;
use shared::otp::Totp;

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
    /// Who created it (a virtual device made by `CreateVirtualMFADevice`); `None` when
    /// imported by the operator or created before this was recorded.
    pub created_by: Option<i64>,
}

/// What a device with codes makes them from.
#[derive(Clone, Debug)]
pub struct Codes {
    /// nonce || AES-256-GCM ciphertext of the seed, sealed for the device's account and serial
    /// number (`crypto::Sealed::DeviceSeed`).
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
            created_by: row.created_by,
        })
    }
}

pub(super) fn typed(rows: Vec<DeviceRow>) -> Result<Vec<Device>, sqlx::Error> {
    rows.into_iter().map(Device::try_from).collect()
}

pub(super) fn typed_one(row: Option<DeviceRow>) -> Result<Option<Device>, sqlx::Error> {
    row.map(Device::try_from).transpose()
}

/// A device row as stored, with its owner's name when assigned; [`Device`] is its typed form.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(super) struct DeviceRow {
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
    /// Who created it.
    pub created_by: Option<i64>,
}

impl DeviceRow {
    /// The row as rusqlite reads it (`direct.rs`), by the column names of the sqlx mapping.
    pub(super) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
        Ok(DeviceRow {
            id: row.get("id")?,
            account_id: row.get("account_id")?,
            serial_number: row.get("serial_number")?,
            kind: row.get("kind")?,
            owner_id: row.get("owner_id")?,
            owner_name: row.get("owner_name")?,
            seed: row.get("seed")?,
            digits: row.get("digits")?,
            period: row.get("period")?,
            state: StoredState {
                drift_steps: row.get("drift_steps")?,
                last_used_step: row.get("last_used_step")?,
                hotp_counter: row.get("hotp_counter")?,
            },
            enabled_at: row.get("enabled_at")?,
            failures: row.get("failures")?,
            throttled_until: row.get("throttled_until")?,
            locked: row.get("locked")?,
            created_at: row.get("created_at")?,
            created_by: row.get("created_by")?,
        })
    }
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

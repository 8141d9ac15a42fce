//! Codes against a stored device, for every path (sign-in, resync, enable): strict parsing,
//! the attempt counted as a failure by one statement guarded by the shared throttle before any
//! evaluation (committed on its own), `shared`'s decision, and one atomic compare-and-set of the
//! state that also clears the counter on success.

use shared::api::DeviceKind;
use shared::code::{Code, Digits};
use shared::device::{HotpState, TotpState};
use shared::otp::Totp;
use shared::resync::{resync_hotp, resync_totp};
use shared::secret::Secret;
use shared::verify::{verify_hotp, verify_totp};

use crate::error::Error;
use crate::state::AppState;
use crate::storage::{DeviceRow, StoredState, ThrottleKey};
use crate::throttle;

/// The device's kind, from its row.
pub(crate) fn kind(dev: &DeviceRow) -> Result<DeviceKind, Error> {
    DeviceKind::parse(&dev.kind)
        .ok_or_else(|| Error::Internal(format!("device kind {:?}", dev.kind)))
}

/// Refuses FIDO keys, which have no codes (and so never drift).
fn require_codes(dev: &DeviceRow) -> Result<DeviceKind, Error> {
    let kind = kind(dev)?;
    if kind.has_codes() {
        Ok(kind)
    } else {
        Err(Error::InvalidState(format!(
            "{} is a FIDO security key: it has no clock or counter, so it never drifts and \
             cannot be resynchronised. If it no longer works, deactivate it \
             (DeactivateMFADevice) and assign another device.",
            dev.serial_number
        )))
    }
}

fn digits(dev: &DeviceRow) -> Result<Digits, Error> {
    Digits::new(dev.digits as u8).map_err(|_| Error::Internal("stored digits".into()))
}

pub(crate) fn parse(member: &str, input: &str, digits: Digits) -> Result<Code, Error> {
    Code::parse(input, digits).map_err(|e| Error::Validation(format!("{member}: {e}")))
}

fn secret(state: &AppState, dev: &DeviceRow) -> Result<Secret, Error> {
    let blob = dev
        .seed
        .as_deref()
        .ok_or_else(|| Error::Internal("device without seed".into()))?;
    let bytes = state
        .cipher
        .decrypt(&dev.serial_number, blob)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Secret::from_bytes(bytes.to_vec()).map_err(|e| Error::Internal(e.to_string()))
}

fn totp(dev: &DeviceRow, digits: Digits) -> Totp {
    Totp {
        period: dev.period as u32,
        t0: 0,
        digits,
    }
}

fn totp_state(s: StoredState) -> TotpState {
    TotpState {
        drift_steps: s.drift_steps,
        last_used_step: u64::try_from(s.last_used_step).ok(),
    }
}

fn stored_totp(t: TotpState, hotp_counter: i64) -> StoredState {
    StoredState {
        drift_steps: t.drift_steps,
        last_used_step: t.last_used_step.map_or(-1, |s| s as i64),
        hotp_counter,
    }
}

fn stored_hotp(h: HotpState, base: StoredState) -> StoredState {
    StoredState {
        hotp_counter: h.next_counter as i64,
        ..base
    }
}

/// What a successful pair measured.
pub(crate) struct PairOutcome {
    /// Drift in steps (0 for HOTP).
    pub drift_steps: i64,
    /// Drift in seconds.
    pub drift_seconds: i64,
}

/// How a found state is committed.
pub(crate) enum Commit {
    /// Compare-and-set the state (resync, sign-in).
    State,
    /// Assign the unassigned device to this principal (EnableMFADevice).
    Assign(i64),
}

/// Two consecutive codes: resync (window from the settings) or enable (`Commit::Assign`).
pub(crate) async fn check_pair(
    state: &AppState,
    dev: &DeviceRow,
    code1: &str,
    code2: &str,
    commit: Commit,
) -> Result<PairOutcome, Error> {
    require_codes(dev)?;
    let digits = digits(dev)?;
    let (c1, c2) = (
        parse("AuthenticationCode1", code1, digits)?,
        parse("AuthenticationCode2", code2, digits)?,
    );
    let reserved = reserve(state, dev).await?;
    evaluate_pair(state, dev, &c1, &c2, commit, reserved).await
}

/// Resync's fast path: the device was read by the very statement that counted this attempt
/// ([`crate::storage::Storage::reserve_device_attempt`], which only applies when the checks of
/// [`check_pair`] before counting hold), so one round trip less. `c1` and `c2` were parsed
/// with the device's digits.
pub(crate) async fn check_pair_counted(
    state: &AppState,
    dev: &DeviceRow,
    c1: &Code,
    c2: &Code,
    counted_at: i64,
) -> Result<PairOutcome, Error> {
    let reserved = throttle::Reserved {
        count: dev.failures,
        now: counted_at,
    };
    evaluate_pair(state, dev, c1, c2, Commit::State, reserved).await
}

/// The pair's evaluation once the attempt is counted: `shared`'s search, then the
/// compare-and-set.
async fn evaluate_pair(
    state: &AppState,
    dev: &DeviceRow,
    c1: &Code,
    c2: &Code,
    commit: Commit,
    reserved: throttle::Reserved,
) -> Result<PairOutcome, Error> {
    let kind = require_codes(dev)?;
    let digits = digits(dev)?;
    let now = reserved.now;
    let secret = secret(state, dev)?;
    let settings = &state.settings;
    let found = if kind == DeviceKind::HardwareHotp {
        let hotp = HotpState {
            next_counter: dev.state.hotp_counter as u64,
        };
        resync_hotp(&secret, digits, c1, c2, settings.hotp_lookahead, hotp)
            .ok()
            .map(|r| {
                let out = PairOutcome {
                    drift_steps: 0,
                    drift_seconds: 0,
                };
                (
                    stored_hotp(r.before, dev.state),
                    stored_hotp(r.after, dev.state),
                    out,
                )
            })
    } else {
        let window = match commit {
            Commit::State => settings.resync_window,
            Commit::Assign(_) => settings.enable_window,
        };
        let totp = totp(dev, digits);
        resync_totp(
            &totp,
            &secret,
            c1,
            c2,
            (now / 1000) as u64,
            window,
            totp_state(dev.state),
        )
        .ok()
        .map(|r| {
            let out = PairOutcome {
                drift_steps: r.drift.steps,
                drift_seconds: r.drift.seconds(totp.period),
            };
            let counter = dev.state.hotp_counter;
            (
                stored_totp(r.before, counter),
                stored_totp(r.after, counter),
                out,
            )
        })
    };
    let Some((before, after, outcome)) = found else {
        return Err(Error::invalid_code());
    };
    let own_lock = reserved.own_lock();
    let won = match commit {
        Commit::State => {
            state
                .storage
                .compare_and_set_state(dev.id, before, after, own_lock)
                .await?
        }
        Commit::Assign(owner) => {
            state
                .storage
                .assign_device(dev.id, owner, now, before, after, own_lock)
                .await?
        }
    };
    if won {
        Ok(outcome)
    } else {
        // Another request used these codes first: this one is a replay (already counted).
        Err(Error::invalid_code())
    }
}

/// One code at sign-in (stored drift ± 1 step; HOTP a few counters ahead).
pub(crate) async fn check_single(
    state: &AppState,
    dev: &DeviceRow,
    code: &str,
) -> Result<(), Error> {
    let kind = require_codes(dev)?;
    let digits = digits(dev)?;
    let code = parse("AuthenticationCode", code, digits)?;
    let reserved = reserve(state, dev).await?;
    let now = reserved.now;
    let secret = secret(state, dev)?;
    let found = if kind == DeviceKind::HardwareHotp {
        let hotp = HotpState {
            next_counter: dev.state.hotp_counter as u64,
        };
        verify_hotp(&secret, digits, &code, hotp).ok().map(|v| {
            (
                stored_hotp(v.before, dev.state),
                stored_hotp(v.after, dev.state),
            )
        })
    } else {
        let counter = dev.state.hotp_counter;
        verify_totp(
            &totp(dev, digits),
            &secret,
            &code,
            (now / 1000) as u64,
            totp_state(dev.state),
        )
        .ok()
        .map(|v| {
            (
                stored_totp(v.before, counter),
                stored_totp(v.after, counter),
            )
        })
    };
    match found {
        Some((before, after))
            if state
                .storage
                .compare_and_set_state(dev.id, before, after, reserved.own_lock())
                .await? =>
        {
            Ok(())
        }
        // Wrong, or a replay that lost the compare-and-set: the failure is already counted.
        _ => Err(Error::invalid_code()),
    }
}

/// Counts the attempt as a failure before any evaluation, in one statement guarded by the
/// throttle (rules 7, 8, 10): parallel requests cannot all pass a throttle read earlier, and a
/// cancelled request still counts. While throttled or locked the answer is the same
/// `LimitExceeded` for right and wrong codes. Only the success's compare-and-set clears it.
async fn reserve(state: &AppState, dev: &DeviceRow) -> Result<throttle::Reserved, Error> {
    throttle::reserve(
        &state.storage,
        ThrottleKey::Device(dev.id),
        Error::no_such_device,
    )
    .await
}

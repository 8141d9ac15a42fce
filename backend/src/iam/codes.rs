//! Codes against a stored device, for every path (sign-in, resync, enable), in one direction:
//! the codes are parsed once ([`CodePair::parse`], [`parse_code`]), the device's fitness is
//! checked once ([`usable`]: it has codes, of this length), the attempt is counted as a failure
//! by one statement guarded by the shared throttle before any evaluation (committed on its
//! own), `shared` decides within the [`Window`] it is given, and one atomic compare-and-set
//! stores the new state and clears the counter on success.
//!
//! Each attempt is counted twice: on the device, and on its owner's code budget across all its
//! devices (security rule 29, [`Counted`]). A failed attempt that is exactly the device's last
//! accepted code or pair — a double submit, or a replay that lost the race — is answered "already
//! used" and its failures are taken back (rule 23): two HMACs on the stored steps, no scan.

use shared::code::{Code, Digits};
use shared::device::{HotpState, TotpState};
use shared::resync::{resync_hotp, resync_totp};
use shared::secret::Secret;
use shared::verify::{repeats_last_hotp, repeats_last_totp, verify_hotp, verify_totp};

use super::attempt;
use super::validate::precheck_code;
use crate::audit::Prepared;
use crate::config::Settings;
use crate::crypto::Sealed;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{Codes, Device, Generator, OnWin, PrincipalRow, StoredState, ThrottleKey};
use crate::throttle::{PER_DEVICE, PER_PRINCIPAL, Reserved};

/// How far from the stored state a pair is searched for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// TOTP steps each side of now.
    pub totp_steps: u64,
    /// HOTP counters ahead of the stored one.
    pub hotp_lookahead: u64,
}

impl Window {
    /// `ResyncMFADevice`'s: wide (±24 h by default).
    pub fn resync(settings: &Settings) -> Window {
        Window {
            totp_steps: settings.resync_window,
            hotp_lookahead: settings.hotp_lookahead,
        }
    }

    /// `EnableMFADevice`'s: the codes showing now.
    pub fn enable(settings: &Settings) -> Window {
        Window {
            totp_steps: settings.enable_window,
            hotp_lookahead: settings.hotp_lookahead,
        }
    }
}

/// Two consecutive codes (resync, enable), each parsed once with its own length after the
/// strict check of security rule 1.
pub(crate) struct CodePair {
    first: Code,
    second: Code,
}

impl CodePair {
    /// `AuthenticationCode1` and `AuthenticationCode2`: exactly 6 (or 8) ASCII digits each.
    pub fn parse(code1: &str, code2: &str) -> Result<CodePair, Error> {
        Ok(CodePair {
            first: parse_code("AuthenticationCode1", code1)?,
            second: parse_code("AuthenticationCode2", code2)?,
        })
    }

    /// Their length, when both have the same.
    pub fn digits(&self) -> Option<Digits> {
        (self.first.digits() == self.second.digits()).then(|| self.first.digits())
    }
}

/// One code (`member` names it in the error): exactly 6 (or 8) ASCII digits.
pub(crate) fn parse_code(member: &str, input: &str) -> Result<Code, Error> {
    precheck_code(member, input)?;
    Digits::new(input.len() as u8)
        .and_then(|digits| Code::parse(input, digits))
        .map_err(|e| Error::Validation(format!("{member}: {e}")))
}

/// The device's codes, if it makes any and `codes` have its length: a FIDO key has no clock or
/// counter (so it never drifts), and a code of another length than the device's is malformed.
/// Checked before the attempt is counted.
pub(crate) fn usable<'d>(dev: &'d Device, codes: &[(&str, &Code)]) -> Result<&'d Codes, Error> {
    let Some(made) = dev.codes.as_ref() else {
        return Err(Error::InvalidState(format!(
            "{} is a FIDO security key: it has no clock or counter, so it never drifts and \
             cannot be resynchronised. If it no longer works, deactivate it \
             (DeactivateMFADevice) and assign another device.",
            dev.serial_number
        )));
    };
    for (member, code) in codes {
        if code.digits() != made.digits {
            // The device's length decides; its parser says what is wrong with this code.
            let why = Code::parse(code.as_str(), made.digits).err();
            return Err(Error::Validation(format!(
                "{member}: {}",
                why.map(|e| e.to_string()).unwrap_or_default()
            )));
        }
    }
    Ok(made)
}

fn pair_members(pair: &CodePair) -> [(&'static str, &Code); 2] {
    [
        ("AuthenticationCode1", &pair.first),
        ("AuthenticationCode2", &pair.second),
    ]
}

fn secret(state: &AppState, dev: &Device, codes: &Codes) -> Result<Secret, Error> {
    let bytes = state
        .cipher
        .decrypt(Sealed::seed_of(dev), &codes.sealed_seed)
        .map_err(Error::internal)?;
    Secret::from_bytes(bytes.to_vec()).map_err(Error::internal)
}

fn totp_state(s: StoredState) -> TotpState {
    TotpState {
        drift_steps: s.drift_steps,
        last_used_step: u64::try_from(s.last_used_step).ok(),
    }
}

fn stored_totp(t: TotpState, base: StoredState) -> StoredState {
    StoredState {
        drift_steps: t.drift_steps,
        last_used_step: t.last_used_step.map_or(-1, |s| s as i64),
        ..base
    }
}

fn hotp_state(s: StoredState) -> HotpState {
    HotpState {
        next_counter: s.hotp_counter as u64,
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
    /// Assign the unassigned device to `owner` (EnableMFADevice), while it has fewer than
    /// `max_devices` (checked in the same statement, security rule 27).
    Assign {
        /// The user it is enabled for.
        owner: i64,
        /// Its cap.
        max_devices: i64,
    },
}

/// `ResyncMFADevice`'s pair on `owner`'s device `serial`. The common case takes one round trip:
/// the storage finds and counts the device in one statement when everything checked before
/// counting holds; otherwise the device is read, checked and counted in turn, which gives the
/// exact answer (no such device, a FIDO key, another length, throttled, locked). The success's
/// audit `event` is stored with the new state, in its transaction.
pub(crate) async fn resync(
    state: &AppState,
    owner: &PrincipalRow,
    serial: &str,
    pair: &CodePair,
    event: &Prepared<'_>,
) -> Result<PairOutcome, Error> {
    let window = Window::resync(&state.settings);
    if let Some(digits) = pair.digits() {
        let now = state.clock.now_ms();
        let counted = state
            .storage
            .reserve_device_attempt(
                &owner.account_id,
                serial,
                owner.id,
                i64::from(digits.get()),
                now,
            )
            .await?;
        if let Some((dev, budget)) = counted {
            let counted = Counted {
                device_id: dev.id,
                device: Reserved {
                    count: dev.throttle.failures,
                    now,
                },
                owner: Some((owner.id, Reserved { count: budget, now })),
            };
            let codes = usable(&dev, &pair_members(pair))?;
            return evaluate_pair(
                state,
                &dev,
                codes,
                pair,
                window,
                Commit::State,
                counted,
                Some(event),
            )
            .await;
        }
    }
    let dev = state
        .storage
        .device(&owner.account_id, serial)
        .await?
        .filter(|d| d.owner_id == Some(owner.id))
        .ok_or_else(Error::no_such_device)?;
    check_pair(state, &dev, pair, window, Commit::State, Some(event)).await
}

/// Two consecutive codes on `dev`: fitness, the attempt counted, then the evaluation (`event`:
/// the success's audit event, stored by a [`Commit::State`] with the state).
pub(crate) async fn check_pair(
    state: &AppState,
    dev: &Device,
    pair: &CodePair,
    window: Window,
    commit: Commit,
    event: Option<&Prepared<'_>>,
) -> Result<PairOutcome, Error> {
    let codes = usable(dev, &pair_members(pair))?;
    let owner = match commit {
        Commit::State => dev.owner_id,
        Commit::Assign { owner, .. } => Some(owner),
    };
    let counted = reserve(state, dev, owner).await?;
    evaluate_pair(state, dev, codes, pair, window, commit, counted, event).await
}

/// The pair's evaluation once the attempt is counted: `shared`'s search, then the
/// compare-and-set.
#[allow(clippy::too_many_arguments)]
async fn evaluate_pair(
    state: &AppState,
    dev: &Device,
    codes: &Codes,
    pair: &CodePair,
    window: Window,
    commit: Commit,
    counted: Counted,
    event: Option<&Prepared<'_>>,
) -> Result<PairOutcome, Error> {
    let reserved = counted.device;
    let secret = secret(state, dev, codes)?;
    let (c1, c2) = (&pair.first, &pair.second);
    let base = dev.state;
    let found = match codes.generator {
        Generator::Hotp => resync_hotp(
            &secret,
            codes.digits,
            c1,
            c2,
            window.hotp_lookahead,
            hotp_state(base),
        )
        .ok()
        .map(|r| {
            let out = PairOutcome {
                drift_steps: 0,
                drift_seconds: 0,
            };
            (stored_hotp(r.before, base), stored_hotp(r.after, base), out)
        }),
        Generator::Totp(totp) => resync_totp(
            &totp,
            &secret,
            c1,
            c2,
            (reserved.now / 1000) as u64,
            window.totp_steps,
            totp_state(base),
        )
        .ok()
        .map(|r| {
            let out = PairOutcome {
                drift_steps: r.drift.steps,
                drift_seconds: r.drift.seconds(totp.period),
            };
            (stored_totp(r.before, base), stored_totp(r.after, base), out)
        }),
    };
    let repeats = |current: StoredState| match codes.generator {
        Generator::Hotp => repeats_last_hotp(&secret, codes.digits, &[c1, c2], hotp_state(current)),
        Generator::Totp(totp) => repeats_last_totp(&totp, &secret, &[c1, c2], totp_state(current)),
    };
    let Some((before, after, outcome)) = found else {
        return Err(refused(state, counted, repeats(base)).await);
    };
    let own_lock = reserved.own_lock();
    let won = match commit {
        Commit::State => {
            let row = event.map(|e| e.success(state.clock.now_ms()));
            let on_win = OnWin {
                budget: counted.budget(),
                event: row.as_ref(),
                sample: Some((reserved.now, measured(codes, before, after))),
            };
            let won = state
                .storage
                .compare_and_set_state(dev.id, before, after, own_lock, on_win)
                .await?;
            if let (true, Some(event)) = (won, event) {
                event.stored();
            }
            won
        }
        Commit::Assign { owner, max_devices } => {
            let won = state
                .storage
                .assign_device(
                    dev.id,
                    owner,
                    max_devices,
                    reserved.now,
                    before,
                    after,
                    own_lock,
                )
                .await?;
            let others = |d: &Device| d.id != dev.id;
            if !won
                && state
                    .storage
                    .devices_of(owner)
                    .await?
                    .iter()
                    .filter(|d| others(d))
                    .count() as i64
                    >= max_devices
            {
                // The codes were right: the cap, reached meanwhile, refused it.
                counted.refund(state).await?;
                return Err(Error::too_many_devices(max_devices));
            }
            won
        }
    };
    if won {
        if matches!(commit, Commit::Assign { .. }) {
            counted.succeeded(state).await?;
        }
        Ok(outcome)
    } else {
        // Another request changed the device first: if it used these very codes, this one is
        // their double (rule 23); otherwise an ordinary failure, already counted.
        let current = current_state(state, dev).await?;
        Err(refused(state, counted, current.is_some_and(repeats)).await)
    }
}

/// What an accepted code measured (issue 16's drift history): for TOTP the steps the device
/// is ahead of the server, which is the drift stored after it; for HOTP how many presses were
/// skipped (the counter used past the one expected).
fn measured(codes: &Codes, before: StoredState, after: StoredState) -> i64 {
    match codes.generator {
        Generator::Totp(_) => after.drift_steps,
        Generator::Hotp => after.hotp_counter - before.hotp_counter - 1,
    }
}

/// One code at sign-in (stored drift ± 1 step; HOTP a few counters ahead).
pub(crate) async fn check_single(state: &AppState, dev: &Device, code: &Code) -> Result<(), Error> {
    let codes = usable(dev, &[("AuthenticationCode", code)])?;
    let counted = reserve(state, dev, dev.owner_id).await?;
    let reserved = counted.device;
    let secret = secret(state, dev, codes)?;
    let base = dev.state;
    let found = match codes.generator {
        Generator::Hotp => verify_hotp(&secret, codes.digits, code, hotp_state(base))
            .ok()
            .map(|v| (stored_hotp(v.before, base), stored_hotp(v.after, base))),
        Generator::Totp(totp) => verify_totp(
            &totp,
            &secret,
            code,
            (reserved.now / 1000) as u64,
            totp_state(base),
        )
        .ok()
        .map(|v| (stored_totp(v.before, base), stored_totp(v.after, base))),
    };
    let repeats = |current: StoredState| match codes.generator {
        Generator::Hotp => repeats_last_hotp(&secret, codes.digits, &[code], hotp_state(current)),
        Generator::Totp(totp) => repeats_last_totp(&totp, &secret, &[code], totp_state(current)),
    };
    let Some((before, after)) = found else {
        return Err(refused(state, counted, repeats(base)).await);
    };
    if state
        .storage
        .compare_and_set_state(
            dev.id,
            before,
            after,
            reserved.own_lock(),
            OnWin {
                budget: counted.budget(),
                event: None,
                sample: Some((reserved.now, measured(codes, before, after))),
            },
        )
        .await?
    {
        Ok(())
    } else {
        let current = current_state(state, dev).await?;
        Err(refused(state, counted, current.is_some_and(repeats)).await)
    }
}

/// An attempt counted on the device and on the code budget of the principal it is for (rule
/// 29): the device's owner, or the user an unassigned device is being enabled for.
#[derive(Clone, Copy)]
pub(crate) struct Counted {
    device_id: i64,
    device: Reserved,
    owner: Option<(i64, Reserved)>,
}

impl Counted {
    /// The owner's code budget and this attempt's own lock on it, which a winning
    /// compare-and-set clears with the device's count.
    fn budget(&self) -> Option<(i64, i64)> {
        self.owner
            .map(|(owner, reserved)| (owner, reserved.own_lock()))
    }

    /// A success clears the owner's budget (the assignment cleared the device's).
    async fn succeeded(self, state: &AppState) -> Result<(), Error> {
        if let Some((owner, reserved)) = self.owner {
            state
                .storage
                .reset_code_budget(owner, reserved.own_lock())
                .await?;
        }
        Ok(())
    }

    /// The refusal of these counted codes, with what the throttle makes of the count: the
    /// refusals still free on the device and on its owner's budget, and the wait this one
    /// started on either (the longer).
    fn refusal(&self) -> Error {
        let budgets = [(PER_DEVICE, self.device.count)]
            .into_iter()
            .chain(self.owner.map(|(_, r)| (PER_PRINCIPAL, r.count)));
        let (mut tries_left, mut wait_ms) = (u64::MAX, 0);
        for (scheme, count) in budgets {
            tries_left = tries_left.min((scheme.free - count).max(0) as u64);
            wait_ms = wait_ms.max(scheme.after_failure(count, 0).throttled_until);
        }
        Error::CodesRefused {
            tries_left,
            wait_seconds: (wait_ms > 0).then_some((wait_ms / 1000) as u64),
        }
    }

    /// Takes both failures back (rule 23).
    async fn refund(self, state: &AppState) -> Result<(), Error> {
        let storage = &state.storage;
        storage
            .refund_attempt(ThrottleKey::Device(self.device_id), self.device.count)
            .await?;
        if let Some((owner, reserved)) = self.owner {
            storage
                .refund_attempt(ThrottleKey::Codes(owner), reserved.count)
                .await?;
        }
        Ok(())
    }
}

/// The answer to codes that did not pass: "already used", with the failures taken back, when
/// they are exactly the last accepted ones (rule 23); else the standard refusal, counted.
async fn refused(state: &AppState, counted: Counted, repeat: bool) -> Error {
    if !repeat {
        return counted.refusal();
    }
    match counted.refund(state).await {
        Ok(()) => Error::codes_already_used(),
        Err(e) => e,
    }
}

/// The device's state as stored now (after a lost compare-and-set).
async fn current_state(state: &AppState, dev: &Device) -> Result<Option<StoredState>, Error> {
    Ok(state
        .storage
        .device(&dev.account_id, &dev.serial_number)
        .await?
        .filter(|d| d.id == dev.id)
        .map(|d| d.state))
}

/// Counts the attempt on the device, then on the owner's code budget, before any evaluation
/// (rules 7, 8, 10, 29).
async fn reserve(state: &AppState, dev: &Device, owner: Option<i64>) -> Result<Counted, Error> {
    let device =
        attempt::reserve(state, ThrottleKey::Device(dev.id), Error::no_such_device).await?;
    count_owner(state, dev, device, owner).await
}

/// The owner's count of an attempt the device has counted. When the owner's budget refuses it
/// (429 on every device), the device's count is taken back: the attempt was never evaluated.
async fn count_owner(
    state: &AppState,
    dev: &Device,
    device: Reserved,
    owner: Option<i64>,
) -> Result<Counted, Error> {
    let owner = match owner {
        None => None,
        Some(id) => {
            match attempt::reserve(state, ThrottleKey::Codes(id), Error::no_such_device).await {
                Ok(reserved) => Some((id, reserved)),
                Err(refusal) => {
                    state
                        .storage
                        .refund_attempt(ThrottleKey::Device(dev.id), device.count)
                        .await?;
                    return Err(refusal);
                }
            }
        }
    };
    Ok(Counted {
        device_id: dev.id,
        device,
        owner,
    })
}

//! The per-device state the backend stores as is and compare-and-sets (RFC 4226 §7.4,
//! RFC 6238 §5.2 and §6).
//!
//! Every decision in [`crate::resync`] and [`crate::verify`] returns this state before and
//! after; a failed check returns none, so a failure can never change a device (security rule 4).

use serde::{Deserialize, Serialize};

/// A TOTP device's state: its clock drift and the last step it used.
///
/// The default is a freshly enrolled device: no drift, no step used yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TotpState {
    /// The device's clock drift in steps, positive when it runs fast (RFC 6238 §6: "record
    /// the time drift … in terms of number of time steps").
    pub drift_steps: i64,
    /// The last step accepted from this device; every step at or before it is refused
    /// (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP").
    pub last_used_step: Option<u64>,
}

impl TotpState {
    /// The drift as a [`Drift`].
    pub fn drift(&self) -> Drift {
        Drift {
            steps: self.drift_steps,
        }
    }

    /// Whether `step` was already used (at or before the last used step), RFC 6238 §5.2.
    pub fn is_burned(&self, step: u64) -> bool {
        self.last_used_step.is_some_and(|last| step <= last)
    }
}

/// An HOTP token's state: the next counter value the server expects (RFC 4226 §7.2, "the
/// counter on the HOTP validation system").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HotpState {
    /// The smallest counter still acceptable; every counter below it is used (RFC 4226 §7.2:
    /// the server increments its counter only after a successful authentication).
    pub next_counter: u64,
}

/// A device's clock drift in steps, positive when the device runs fast (its code for "now" is
/// one the server reaches later). RFC 6238 §6.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Drift {
    /// Whole steps; positive when the device runs fast.
    pub steps: i64,
}

impl Drift {
    /// The drift in seconds for a step of `period` seconds (RFC 6238 §4.1 X), saturating at
    /// the `i64` limits.
    pub fn seconds(&self, period: u32) -> i64 {
        self.steps.saturating_mul(i64::from(period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_seconds() {
        assert_eq!(Drift { steps: 120 }.seconds(30), 3_600);
        assert_eq!(Drift { steps: -2 }.seconds(30), -60);
        assert_eq!(Drift { steps: i64::MAX }.seconds(30), i64::MAX);
        assert_eq!(Drift { steps: i64::MIN }.seconds(30), i64::MIN);
        let state = TotpState {
            drift_steps: -7,
            last_used_step: None,
        };
        assert_eq!(state.drift(), Drift { steps: -7 });
    }

    #[test]
    fn burned_steps() {
        let fresh = TotpState::default();
        assert!(!fresh.is_burned(0));
        let used = TotpState {
            drift_steps: 0,
            last_used_step: Some(10),
        };
        assert!(used.is_burned(10));
        assert!(used.is_burned(0));
        assert!(!used.is_burned(11));
    }

    #[test]
    fn state_round_trips_through_json() {
        let state = TotpState {
            drift_steps: -7,
            last_used_step: Some(u64::MAX),
        };
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<TotpState>(&json).unwrap(), state);
        let hotp = HotpState { next_counter: 42 };
        let json = serde_json::to_string(&hotp).unwrap();
        assert_eq!(serde_json::from_str::<HotpState>(&json).unwrap(), hotp);
    }
}

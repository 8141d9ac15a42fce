//! One throttle scheme for devices and passwords (security rules 7–10), as a pure state
//! machine: the state after each failure, and whether an attempt may be evaluated now.
//!
//! ```text
//!   failures 0–4 ──failure──▶ 5: wait 30 s ──failure──▶ 6: wait 60 s … doubling … ≤ 1 h
//!        ▲                                                               │
//!        └──────────────── success (only a success) ◀────────────────────┤
//!                                                                        ▼
//!                                     100 failures: locked until an administrator unlocks
//! ```
//!
//! Codes are counted twice (security rule 29): on the device, by the scheme above, and on the
//! device's owner across all its devices ([`PER_PRINCIPAL`]: the same back-off after 10
//! failures, the same lock at 100), as NIST SP 800-63B-4 counts failures per subscriber.
//!
//! Every attempt is counted as a failure BEFORE it is evaluated, by one storage statement that
//! applies [`after_failure`] for the new count (built from this module's numbers by
//! `crate::storage`, counted by `crate::iam`'s attempt reservation); only a success clears
//! the count. So parallel requests cannot all pass a throttle read earlier, a cancelled request
//! still counts, and a throttled attempt is never evaluated.

use crate::error::Error;

/// Failures before the first wait.
pub const FREE_FAILURES: i64 = 5;
/// Wrong codes across all of a principal's devices before the first wait (rule 29).
pub const PRINCIPAL_FREE_FAILURES: i64 = 10;
/// Failures that lock until an administrator unlocks.
pub const LOCK_AFTER: i64 = 100;
/// The first wait.
pub const BASE_WAIT_SECONDS: i64 = 30;
/// The longest wait.
pub const MAX_WAIT_SECONDS: i64 = 3600;
/// What a locked device or user answers in `Retry-After`.
pub const LOCKED_RETRY_AFTER: u64 = 3600;

/// The persisted throttle of a device or a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    /// Consecutive failures.
    pub failures: i64,
    /// Unix ms before which nothing is evaluated.
    pub throttled_until: i64,
    /// Locked until an administrator unlocks.
    pub locked: bool,
}

impl ThrottleState {
    /// `Ok` when an attempt may be evaluated now; otherwise the `LimitExceeded` to answer,
    /// identical whatever the attempt holds (no oracle, rule 10).
    pub fn check(&self, now_ms: i64) -> Result<(), Error> {
        if self.locked {
            return Err(Error::LimitExceeded {
                retry_after: LOCKED_RETRY_AFTER,
                locked: true,
            });
        }
        if self.throttled_until > now_ms {
            let wait_ms = self.throttled_until - now_ms;
            return Err(Error::LimitExceeded {
                retry_after: (wait_ms as u64).div_ceil(1000),
                locked: false,
            });
        }
        Ok(())
    }
}

/// An attempt counted before its evaluation.
#[derive(Clone, Copy, Debug)]
pub struct Reserved {
    /// The failure count including this attempt.
    pub count: i64,
    /// When it was counted (Unix ms): the time the attempt is evaluated at.
    pub now: i64,
}

impl Reserved {
    /// The count when this very attempt set the lock (so its success may clear it), else -1.
    pub fn own_lock(&self) -> i64 {
        if self.count >= LOCK_AFTER {
            self.count
        } else {
            -1
        }
    }
}

/// A counter's scheme: how many failures are free before the back-off starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheme {
    /// Failures before the first wait.
    pub free: i64,
}

/// A device's codes and a password: 5 free failures.
pub const PER_DEVICE: Scheme = Scheme {
    free: FREE_FAILURES,
};
/// A principal's codes across its devices: 10 free failures (rule 29).
pub const PER_PRINCIPAL: Scheme = Scheme {
    free: PRINCIPAL_FREE_FAILURES,
};

/// The throttle after the `failures`-th consecutive failure at `now_ms` ([`PER_DEVICE`]).
pub fn after_failure(failures: i64, now_ms: i64) -> ThrottleState {
    PER_DEVICE.after_failure(failures, now_ms)
}

impl Scheme {
    /// The throttle after the `failures`-th consecutive failure at `now_ms`.
    pub fn after_failure(self, failures: i64, now_ms: i64) -> ThrottleState {
        after_failure_from(self.free, failures, now_ms)
    }
}

fn after_failure_from(free: i64, failures: i64, now_ms: i64) -> ThrottleState {
    let locked = failures >= LOCK_AFTER;
    let throttled_until = if failures >= free && !locked {
        let doublings = (failures - free).min(16) as u32;
        let wait = (BASE_WAIT_SECONDS << doublings).min(MAX_WAIT_SECONDS);
        now_ms + wait * 1000
    } else {
        0
    };
    ThrottleState {
        failures,
        throttled_until,
        locked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the attempt whose count reached the lock owns it (its success may clear it): below
    /// 100 no attempt owns a lock, and the owner is named by its count.
    #[test]
    fn the_attempt_that_reaches_the_lock_owns_it() {
        let own = |count| Reserved { count, now: 0 }.own_lock();
        assert_eq!(own(0), -1);
        assert_eq!(own(1), -1);
        assert_eq!(own(LOCK_AFTER - 1), -1);
        assert_eq!(own(LOCK_AFTER), LOCK_AFTER);
        assert_eq!(own(LOCK_AFTER + 7), LOCK_AFTER + 7);
    }

    /// The wait is counted from the failure and ends at its millisecond; `Retry-After` rounds
    /// the rest up to whole seconds; a lock answers the lock's hour whatever the clock says.
    #[test]
    fn a_wait_ends_at_its_millisecond_and_a_lock_never_does() {
        let t = after_failure(6, 10_000);
        assert_eq!(t.throttled_until, 70_000);
        let retry = |now| match t.check(now) {
            Err(Error::LimitExceeded {
                retry_after,
                locked: false,
            }) => Some(retry_after),
            Err(other) => panic!("{other:?}"),
            Ok(()) => None,
        };
        assert_eq!(retry(10_000), Some(60));
        assert_eq!(retry(68_999), Some(2));
        assert_eq!(retry(69_001), Some(1));
        assert_eq!(retry(69_999), Some(1));
        assert_eq!(retry(70_000), None);
        let locked = after_failure(LOCK_AFTER, 10_000);
        assert_eq!(locked.throttled_until, 0);
        for now in [0, 10_000, i64::MAX] {
            assert!(matches!(
                locked.check(now),
                Err(Error::LimitExceeded {
                    retry_after: LOCKED_RETRY_AFTER,
                    locked: true
                })
            ));
        }
    }

    #[test]
    fn backs_off_from_30_s_doubling_to_1_h_then_locks() {
        for f in 1..5 {
            assert_eq!(after_failure(f, 0).throttled_until, 0);
        }
        let waits: Vec<i64> = (5..=13)
            .map(|f| after_failure(f, 0).throttled_until / 1000)
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert!(!after_failure(99, 0).locked);
        assert!(after_failure(100, 0).locked);
        let t = after_failure(5, 1_000);
        assert!(matches!(
            t.check(1_000),
            Err(Error::LimitExceeded {
                retry_after: 30,
                locked: false
            })
        ));
        assert!(t.check(31_000).is_ok());
        // A principal's codes: the same back-off, from the 10th failure.
        assert_eq!(PER_PRINCIPAL.after_failure(9, 0).throttled_until, 0);
        assert_eq!(PER_PRINCIPAL.after_failure(10, 0).throttled_until, 30_000);
        assert_eq!(PER_PRINCIPAL.after_failure(11, 0).throttled_until, 60_000);
        assert!(PER_PRINCIPAL.after_failure(100, 0).locked);
    }

    /// Both schemes reach the longest wait eight failures after their free ones and keep it up
    /// to the lock, after which nothing waits: the storage's reserve statement spells out the
    /// waits up to the first longest one, and counts on them from the same clock (`now` + wait).
    #[test]
    fn each_scheme_reaches_the_longest_wait_and_keeps_it_until_the_lock() {
        let longest = MAX_WAIT_SECONDS * 1000;
        for scheme in [PER_DEVICE, PER_PRINCIPAL] {
            let until = |n| scheme.after_failure(n, 1_000).throttled_until;
            assert_eq!(until(scheme.free + 6), 1_000 + 1_920_000);
            for n in scheme.free + 7..LOCK_AFTER {
                assert_eq!(until(n), 1_000 + longest, "failure {n}");
                assert!(!scheme.after_failure(n, 1_000).locked);
            }
            for n in [LOCK_AFTER, LOCK_AFTER + 1, i64::MAX] {
                let t = scheme.after_failure(n, 1_000);
                assert_eq!((t.failures, t.throttled_until, t.locked), (n, 0, true));
            }
        }
    }
}

//! The server clock: the only source of time for every decision (security rule 20). It lives
//! in the application state ([`crate::AppState::clock`]): the system clock in `serve` and the
//! commands, a [`Clock::manual`] one in tests, which move it instead of waiting or rewriting
//! stored times.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the time comes from; cheap to clone (clones share a manual clock's time).
#[derive(Clone, Debug)]
pub struct Clock(Source);

#[derive(Clone, Debug)]
enum Source {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The operating system's clock.
    pub fn system() -> Clock {
        Clock(Source::System)
    }

    /// A clock that stands at `now_ms` until it is moved ([`Clock::advance`], [`Clock::set`]).
    pub fn manual(now_ms: i64) -> Clock {
        Clock(Source::Manual(Arc::new(AtomicI64::new(now_ms))))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Source::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            Source::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock by `ms` (a system clock cannot be moved: ignored).
    pub fn advance(&self, ms: i64) {
        if let Source::Manual(now) = &self.0 {
            now.fetch_add(ms, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `now_ms` (a system clock cannot be set: ignored).
    pub fn set(&self, now_ms: i64) {
        if let Source::Manual(now) = &self.0 {
            now.store(now_ms, Ordering::SeqCst);
        }
    }
}

/// RFC 3339 UTC with second precision, e.g. `2026-11-29T15:04:05Z`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// RFC 3339 UTC with milliseconds, for audit events.
pub fn rfc3339_ms(ms: i64) -> String {
    let base = rfc3339(ms);
    format!("{}.{:03}Z", &base[..base.len() - 1], ms.rem_euclid(1000))
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual(1_000);
        let copy = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        clock.advance(30_000);
        assert_eq!(copy.now_ms(), 31_000);
        copy.set(5);
        assert_eq!(clock.now_ms(), 5);
        assert!(Clock::system().now_ms() > 1_700_000_000_000);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_483_045_000), "2026-12-05T15:04:05Z");
        assert_eq!(
            super::rfc3339_ms(951_782_400_123),
            "2000-02-29T00:00:00.123Z"
        );
    }
}

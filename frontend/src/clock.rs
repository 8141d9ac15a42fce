//! The server's clock as seen from the browser: the offset between the browser's clock and the
//! server's, estimated from `GET /api/time` round trips (NTP's idea, RFC 5905 §8, with one
//! server timestamp: the server read its clock somewhere inside the round trip, most likely near
//! its middle). Pure arithmetic on milliseconds, so it is tested without a browser or a server.

/// One `GET /api/time` round trip, all in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// The browser's clock when the request left.
    pub sent_ms: f64,
    /// The browser's clock when the answer arrived.
    pub received_ms: f64,
    /// The server's clock in the answer (`NowMs`).
    pub server_ms: f64,
}

impl Sample {
    /// How long the round trip took.
    pub fn round_trip_ms(&self) -> f64 {
        (self.received_ms - self.sent_ms).max(0.0)
    }

    /// Server clock minus browser clock, assuming the server answered half-way through.
    /// The error is at most half the round trip.
    pub fn offset_ms(&self) -> f64 {
        self.server_ms - (self.sent_ms + self.received_ms) / 2.0
    }
}

/// The best estimate from several samples: the one with the shortest round trip, whose error
/// bound (half its round trip) is the smallest. `None` without samples.
pub fn best_offset_ms(samples: &[Sample]) -> Option<f64> {
    samples
        .iter()
        .min_by(|a, b| a.round_trip_ms().total_cmp(&b.round_trip_ms()))
        .map(Sample::offset_ms)
}

/// The server's clock now, given the browser's clock and the estimated offset.
pub fn server_now_ms(browser_now_ms: f64, offset_ms: f64) -> f64 {
    browser_now_ms + offset_ms
}

/// The TOTP step (RFC 6238 §4.2, T0 = 0) that contains `server_ms`.
pub fn step_at(server_ms: f64, step_seconds: u32) -> u64 {
    let step_ms = f64::from(step_seconds.max(1)) * 1000.0;
    (server_ms.max(0.0) / step_ms).floor() as u64
}

/// The last time a JavaScript `Date` holds, in ms since the epoch.
const MAX_DATE_MS: f64 = 8.64e15;

/// Milliseconds left in the step that contains `server_ms`, in `(0, step]`.
pub fn ms_left_in_step(server_ms: f64, step_seconds: u32) -> f64 {
    let step_ms = f64::from(step_seconds.max(1)) * 1000.0;
    // At most JavaScript's last date (8.64·10¹⁵ ms), where every product below is exact;
    // `max` also turns NaN into 0. Not `clamp`: its assertion formats floats (6 KB of wasm).
    #[allow(clippy::manual_clamp)]
    let t = server_ms.max(0.0).min(MAX_DATE_MS);
    // `floor` rather than `%` (`rem_euclid`): f64 remainder links libm's `fmod` and a u128
    // division, 1 KB gzip of wasm. `min` keeps a rounding at a step's very end in range.
    (step_ms - (t - (t / step_ms).floor() * step_ms)).min(step_ms)
}

/// Whole seconds left in the current step, rounded up, as a person reads a countdown (30 … 1).
pub fn seconds_left_in_step(server_ms: f64, step_seconds: u32) -> u32 {
    (ms_left_in_step(server_ms, step_seconds) / 1000.0).ceil() as u32
}

/// Whether the browser's clock is off by more than one step: then an authenticator running on
/// this computer (a browser extension, a desktop app) shows codes the server does not expect.
pub fn browser_clock_differs(offset_ms: f64, step_seconds: u32) -> bool {
    offset_ms.abs() > f64::from(step_seconds) * 1000.0
}

/// A signed duration in words: "2 min 30 s", "45 s", "1 h 5 min".
pub fn duration_in_words(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// The measured drift of a device in words for a person.
pub fn drift_in_words(drift_seconds: i64) -> String {
    format!("your device's clock {}", clock_drift(drift_seconds))
}

/// What a drift says about the device's clock, after "clock": "runs 2 min 30 s fast",
/// "runs 45 s slow", "is in step with the server's".
pub fn clock_drift(drift_seconds: i64) -> String {
    let side = match drift_seconds {
        0 => return "is in step with the server's".to_string(),
        d if d > 0 => "fast",
        _ => "slow",
    };
    format!(
        "runs {} {side}",
        duration_in_words(drift_seconds.unsigned_abs())
    )
}

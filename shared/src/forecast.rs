//! Where a device's clock is heading (issue 16): from the offsets measured at each accepted code,
//! the rate at which the device gains or loses time, and when, at that rate, it will leave the
//! sign-in window (the stored drift ± 1 step) if nothing corrects it. Pure: the times are
//! arguments.
//!
//! The fit is Theil–Sen: the median of the slopes between every pair of samples, robust to a
//! third of the points being wrong (a code typed at the edge of its step measures one step off).
//! Only the samples since the device's clock last jumped are used — a phone set right by the
//! network, a token replaced: a change between two samples of more than 2 steps plus what a
//! very bad quartz (1 step a day, ~350 ppm) could drift in between is a jump, not drift.
//! Fewer than [`MIN_SAMPLES`] samples, or spanning less than [`MIN_SPAN_SECONDS`], give no
//! forecast: a rate from a few minutes of history would be noise.
//!
//! Offsets are whole steps (what a code can tell): for TOTP the device's step minus the server's
//! at that moment; for HOTP, how far ahead of the next expected counter the pressed one was.
//! The history is bounded: [`thin`] keeps the newest samples and evenly spaced older ones.

/// One offset measured when a code was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds (the server's clock).
    pub at: i64,
    /// Whole steps (TOTP) or counters (HOTP) the device was ahead; negative when behind.
    pub offset: i64,
}

/// What the history says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forecast {
    /// Steps (TOTP) or counters (HOTP) gained per day; negative: losing.
    pub rate_per_day: f64,
    /// The offset the fit gives for the latest sample's time.
    pub offset_now: f64,
    /// TOTP: Unix seconds at which the fit leaves `stored ± 1` step; `None` when it does not
    /// (a rate of zero, or heading back into the window it is in… never past a century).
    pub leaves_window_at: Option<i64>,
}

/// At least this many samples since the last jump.
pub const MIN_SAMPLES: usize = 4;
/// Spanning at least this long (two days).
pub const MIN_SPAN_SECONDS: i64 = 2 * 86_400;
/// The history kept per device.
pub const MAX_SAMPLES: usize = 200;

const DAY: f64 = 86_400.0;
/// A change of more than this many steps between two samples, beyond what 1 step a day would
/// explain, is a jump of the device's clock.
const JUMP_STEPS: f64 = 2.0;
/// The horizon of a forecast (a century): beyond it, "not in any time that matters".
const HORIZON_SECONDS: f64 = 100.0 * 365.0 * DAY;

/// The samples since the device's clock last jumped; `samples` in time order.
pub fn since_last_jump(samples: &[Sample]) -> &[Sample] {
    let mut start = 0;
    for (i, pair) in samples.windows(2).enumerate() {
        let days = (pair[1].at - pair[0].at).max(0) as f64 / DAY;
        let change = (pair[1].offset - pair[0].offset).unsigned_abs() as f64;
        if change > JUMP_STEPS + days {
            start = i + 1;
        }
    }
    &samples[start..]
}

/// The Theil–Sen fit of `samples` (time order) since the last jump, and, for a TOTP device whose
/// stored drift is `stored` steps, when it leaves the sign-in window; `None` with too few
/// samples or too short a history.
pub fn forecast(samples: &[Sample], stored: Option<i64>) -> Option<Forecast> {
    let samples = since_last_jump(samples);
    let (first, last) = (samples.first()?, samples.last()?);
    if samples.len() < MIN_SAMPLES || last.at - first.at < MIN_SPAN_SECONDS {
        return None;
    }
    let mut slopes = Vec::with_capacity(samples.len() * (samples.len() - 1) / 2);
    for (i, a) in samples.iter().enumerate() {
        for b in &samples[i + 1..] {
            if b.at != a.at {
                slopes.push((b.offset - a.offset) as f64 / (b.at - a.at) as f64);
            }
        }
    }
    let slope = median(&mut slopes)?;
    // The intercept: the median of what each sample says the offset is at the last time.
    let mut at_last: Vec<f64> = samples
        .iter()
        .map(|s| s.offset as f64 + slope * (last.at - s.at) as f64)
        .collect();
    let offset_now = median(&mut at_last)?;
    let leaves_window_at = stored.and_then(|stored| {
        // The window is stored ± 1 step; a code is outside once the offset is 1.5 steps away
        // (half a step is where a whole-step reading turns).
        let edge = if slope > 0.0 {
            stored as f64 + 1.5
        } else if slope < 0.0 {
            stored as f64 - 1.5
        } else {
            return None;
        };
        let seconds = (edge - offset_now) / slope;
        (seconds.is_finite() && seconds <= HORIZON_SECONDS)
            .then(|| last.at + seconds.max(0.0).round() as i64)
    });
    Some(Forecast {
        rate_per_day: slope * DAY,
        offset_now,
        leaves_window_at,
    })
}

/// HOTP: how many counter values a token runs ahead of the server per day — presses nobody
/// typed (a button pressed in a pocket, codes generated and not used) — from the counters each
/// accepted code skipped (`samples`, time order, offsets ≥ 0). A token runs out of the server's
/// look-ahead when unused presses between two sign-ins pass it; the rate says how soon. `None`
/// with fewer than [`MIN_SAMPLES`] samples or less than [`MIN_SPAN_SECONDS`] of history. The
/// first sample's skips happened before the history starts, so they are not counted.
pub fn run_ahead_per_day(samples: &[Sample]) -> Option<f64> {
    let (first, last) = (samples.first()?, samples.last()?);
    let span = last.at - first.at;
    if samples.len() < MIN_SAMPLES || span < MIN_SPAN_SECONDS {
        return None;
    }
    let skipped: i64 = samples[1..].iter().map(|s| s.offset.max(0)).sum();
    Some(skipped as f64 * DAY / span as f64)
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Which of `len` samples (time order) to keep so that at most [`MAX_SAMPLES`] remain: the
/// newest half of the budget as they are, and the older ones evenly thinned. Returns the
/// indices to drop, ascending.
pub fn thin(len: usize) -> Vec<usize> {
    if len <= MAX_SAMPLES {
        return Vec::new();
    }
    let recent = MAX_SAMPLES / 2;
    let older = len - recent;
    let keep = MAX_SAMPLES - recent;
    // Keep `keep` of the `older` evenly: index i is kept when it is the first of its bucket.
    let mut dropped = Vec::with_capacity(len - MAX_SAMPLES);
    let mut next_kept = 0;
    for i in 0..older {
        let bucket_start = next_kept * older / keep;
        if i == bucket_start && next_kept < keep {
            next_kept += 1;
        } else {
            dropped.push(i);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_796_083_200;

    /// A device gaining `per_day` steps a day, sampled every `every` seconds `n` times,
    /// measured in whole steps (as codes measure it).
    fn history(per_day: f64, start: f64, every: i64, n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let at = T0 + i as i64 * every;
                let exact = start + per_day * (at - T0) as f64 / DAY;
                Sample {
                    at,
                    offset: exact.round() as i64,
                }
            })
            .collect()
    }

    #[test]
    fn a_constant_rate_is_found_and_the_exit_is_when_it_passes_one_and_a_half_steps() {
        // 0.2 steps (6 s) a day fast, from 0, sampled daily for 30 days.
        let h = history(0.2, 0.0, 86_400, 30);
        let f = forecast(&h, Some(0)).unwrap();
        assert!((f.rate_per_day - 0.2).abs() < 0.02, "{f:?}");
        // The offset was read as 6 by day 29 (5.8): stored 0 has long been left; with the
        // stored drift resynced to 6, the exit is 1.5 steps further: ~(7.5 - 5.8) / 0.2 days on.
        let f = forecast(&h, Some(6)).unwrap();
        let days = (f.leaves_window_at.unwrap() - h.last().unwrap().at) as f64 / DAY;
        assert!((days - 8.5).abs() < 1.5, "{days} days, {f:?}");
        // A window already left answers at once (the last sample's time).
        let past = forecast(&h, Some(0)).unwrap().leaves_window_at.unwrap();
        assert_eq!(past, h.last().unwrap().at);
    }

    #[test]
    fn a_slow_device_leaves_below_and_a_steady_one_never() {
        let slow = history(-0.5, 0.0, 43_200, 20);
        let f = forecast(&slow, Some(-4)).unwrap();
        assert!((f.rate_per_day + 0.5).abs() < 0.05, "{f:?}");
        assert!(f.leaves_window_at.unwrap() > slow.last().unwrap().at);
        let steady = history(0.0, 3.0, 86_400, 10);
        let f = forecast(&steady, Some(3)).unwrap();
        assert_eq!((f.rate_per_day, f.leaves_window_at), (0.0, None));
        assert_eq!(f.offset_now, 3.0);
    }

    #[test]
    fn a_jump_starts_the_history_again() {
        // Fast for ten days, then the phone's clock is set right (offset back to 0) and it
        // drifts slow after that.
        let mut h = history(0.4, 0.0, 86_400, 10);
        let after = history(-0.3, 0.0, 86_400, 8);
        h.extend(after.iter().map(|s| Sample {
            at: s.at + 10 * 86_400,
            offset: s.offset,
        }));
        assert_eq!(since_last_jump(&h).len(), 8);
        let f = forecast(&h, Some(0)).unwrap();
        assert!((f.rate_per_day + 0.3).abs() < 0.05, "{f:?}");
        // Drift itself is never a jump: 3 steps in 2 days is within 2 + 2.
        let smooth = [
            Sample { at: T0, offset: 0 },
            Sample {
                at: T0 + 2 * 86_400,
                offset: 3,
            },
        ];
        assert_eq!(since_last_jump(&smooth).len(), 2);
    }

    #[test]
    fn outliers_do_not_move_the_rate() {
        let mut h = history(0.25, 1.0, 86_400, 21);
        // A fifth of the readings one step off either way (codes typed at a step's edge).
        for (i, s) in h.iter_mut().enumerate() {
            if i % 5 == 2 {
                s.offset += if i % 2 == 0 { 1 } else { -1 };
            }
        }
        let f = forecast(&h, None).unwrap();
        assert!((f.rate_per_day - 0.25).abs() < 0.03, "{f:?}");
        assert_eq!(f.leaves_window_at, None, "no stored drift, no window");
    }

    #[test]
    fn too_few_points_or_too_short_a_history_give_no_forecast() {
        assert_eq!(forecast(&[], Some(0)), None);
        assert_eq!(forecast(&history(1.0, 0.0, 86_400, 3), Some(0)), None);
        // Many samples within a day: too short.
        assert_eq!(forecast(&history(1.0, 0.0, 600, 100), Some(0)), None);
        // Four samples over exactly two days: enough.
        assert!(forecast(&history(1.0, 0.0, 57_600, 4), Some(0)).is_some());
        // Samples at one instant have no slope between them.
        let same = [Sample { at: T0, offset: 0 }; 5];
        assert_eq!(forecast(&same, Some(0)), None);
    }

    /// HOTP: the skips after the first sample, per day of history; the first sample's skips
    /// (before the history) and a negative reading do not count; too short a history, none.
    #[test]
    fn an_hotp_tokens_run_ahead_is_its_skipped_presses_per_day() {
        let at = |day: i64, offset| Sample {
            at: day * 86_400,
            offset,
        };
        let week = [at(0, 50), at(2, 3), at(4, 0), at(7, 4), at(8, -1)];
        assert_eq!(run_ahead_per_day(&week), Some(7.0 / 8.0));
        assert_eq!(run_ahead_per_day(&week[..3]), None);
        let short = [at(0, 1), at(0, 1), at(1, 1), at(1, 1)];
        assert_eq!(run_ahead_per_day(&short), None);
        assert_eq!(run_ahead_per_day(&[]), None);
    }

    /// Two days of history exactly is enough, a second less is not; four samples are enough,
    /// three are not (for both the TOTP fit and the HOTP run-ahead).
    #[test]
    fn the_minimum_history_is_four_samples_over_two_days() {
        let at = |seconds: i64, offset| Sample {
            at: T0 + seconds,
            offset,
        };
        let two_days = [
            at(0, 0),
            at(60_000, 1),
            at(120_000, 1),
            at(MIN_SPAN_SECONDS, 2),
        ];
        assert!(forecast(&two_days, Some(0)).is_some());
        assert!(run_ahead_per_day(&two_days).is_some());
        let mut short = two_days;
        short[3].at -= 1;
        assert!(forecast(&short, Some(0)).is_none());
        assert!(run_ahead_per_day(&short).is_none());
        // A day and a half (more than 2 + 86,400 s, less than two days) is too short.
        let day_and_a_half = [at(0, 0), at(1, 0), at(2, 0), at(129_600, 1)];
        assert!(forecast(&day_and_a_half, Some(0)).is_none());
        assert!(run_ahead_per_day(&day_and_a_half).is_none());
        assert!(run_ahead_per_day(&two_days[1..]).is_none());
        // The run-ahead divides by the history's span, wherever it starts in time.
        assert_eq!(run_ahead_per_day(&two_days), Some(2.0));
    }

    /// A change of exactly two steps with no time between is drift read at a step's edge, not a
    /// jump; three is a jump; after half a day, 2.5 steps are allowed.
    #[test]
    fn a_jump_is_more_than_two_steps_plus_a_step_a_day() {
        let at = |seconds: i64, offset| Sample {
            at: T0 + seconds,
            offset,
        };
        let same_instant = [at(0, 0), at(0, 2)];
        assert_eq!(since_last_jump(&same_instant).len(), 2);
        let three = [at(0, 0), at(0, 3)];
        assert_eq!(since_last_jump(&three).len(), 1);
        let half_a_day = [at(0, 0), at(43_200, 2)];
        assert_eq!(since_last_jump(&half_a_day).len(), 2);
    }

    /// A drift that leaves the window in about ten years is forecast; one that would take more
    /// than a century is not ("not in any time that matters").
    #[test]
    fn a_forecast_looks_a_century_ahead_and_no_further() {
        // One step in four years: 1.5 steps in six.
        let slow = history(1.0 / (4.0 * 365.0), 0.0, 86_400 * 365, 5);
        let f = forecast(&slow, Some(0)).unwrap();
        let years = (f.leaves_window_at.unwrap() - slow.last().unwrap().at) as f64 / (365.0 * DAY);
        assert!((0.5..10.0).contains(&years), "{years}");
        // One step in a thousand years: 1.5 more would take 1,500.
        let glacial: Vec<Sample> = (0..4)
            .map(|i| Sample {
                at: T0 + i * 1_000 * 365 * 86_400,
                offset: i,
            })
            .collect();
        let f = forecast(&glacial, Some(3)).unwrap();
        assert!(f.rate_per_day > 0.0, "{f:?}");
        assert_eq!(f.leaves_window_at, None, "{f:?}");
    }

    /// The median of an odd count is the middle value, of an even count the mean of the two
    /// middle ones; of nothing, none.
    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [10.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut [5.0]), Some(5.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn thinning_keeps_the_newest_and_spreads_the_rest() {
        assert!(thin(MAX_SAMPLES).is_empty());
        for len in [MAX_SAMPLES + 1, 250, 400, 1_000] {
            let dropped = thin(len);
            assert_eq!(len - dropped.len(), MAX_SAMPLES, "{len}");
            // The newest half of the budget is never dropped, nor the oldest sample.
            assert!(
                dropped.iter().all(|&i| i < len - MAX_SAMPLES / 2 && i > 0),
                "{len}"
            );
            assert!(dropped.windows(2).all(|w| w[0] < w[1]));
            // The kept older ones are evenly spread: no gap more than twice the average.
            let kept: Vec<usize> = (0..len - MAX_SAMPLES / 2)
                .filter(|i| !dropped.contains(i))
                .collect();
            let average = (len - MAX_SAMPLES / 2) as f64 / kept.len() as f64;
            // …and reach the end of the older part (not the first hundred kept in a row).
            let older_end = len - MAX_SAMPLES / 2;
            assert!(
                (older_end - kept.last().unwrap()) as f64 <= 2.0 * average,
                "{len}"
            );
            assert!(
                kept.windows(2)
                    .all(|w| ((w[1] - w[0]) as f64) <= 2.0 * average),
                "{len}"
            );
        }
    }
}

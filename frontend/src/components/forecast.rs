//! Where a device's clock is heading (issue 16), in words: "gaining about 4 s a week; at this
//! rate it will need a resync around 2027-03-14". The rate is rounded to whole seconds before
//! it is written: formatting a float costs kilobytes of wasm. (The chart of the history does not
//! fit the app's transfer budget yet: branch `activity-ui`.)

use shared::api::MfaDevice;

use crate::clock::duration_in_words;

/// The forecast in words; "not yet" without a rate (too short a history).
pub fn forecast_sentence(d: &MfaDevice) -> String {
    let Some(rate) = d.drift_rate_seconds_per_day else {
        return "not yet".to_owned();
    };
    let per_week = (rate * 7.0).round() as i64;
    let mut s = match per_week {
        0 => "steady (under 1 s a week)".to_owned(),
        w => format!(
            "{} about {} a week",
            if w > 0 { "gaining" } else { "losing" },
            duration_in_words(w.unsigned_abs())
        ),
    };
    if let Some(by) = &d.resync_needed_by {
        // The day (UTC): month names would cost the app bytes it does not have.
        s.push_str("; at this rate it will need a resync around ");
        s.push_str(by.get(..10).unwrap_or(by));
    }
    s
}

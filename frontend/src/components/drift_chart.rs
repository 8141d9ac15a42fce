//! Where a device's clock is heading (issue 16): the sentence that says it ("gaining about
//! 4 s a week; at this rate it will need a resync around March 2027") and a small SVG chart of
//! the offsets its accepted codes measured. Drawn by hand: a polyline needs no chart library,
//! and integer coordinates keep float formatting (kilobytes of wasm) out of the app.

use leptos::prelude::*;
use shared::api::{DriftPoint, MfaDevice};

use crate::clock::duration_in_words;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2027-03-14T08:00:00Z` as "March 2027"; other text as it is.
pub fn month_and_year(rfc3339: &str) -> String {
    match (
        rfc3339.get(..4),
        rfc3339.get(5..7).and_then(|m| m.parse::<usize>().ok()),
    ) {
        (Some(year), Some(m @ 1..=12)) => format!("{} {year}", MONTHS[m - 1]),
        _ => rfc3339.to_owned(),
    }
}

/// The forecast in words, or `None` while the history is too short to fit a rate.
pub fn forecast_sentence(d: &MfaDevice) -> Option<String> {
    let per_week = (d.drift_rate_seconds_per_day? * 7.0).round() as i64;
    let mut s = match per_week {
        0 => "steady: it drifts less than 1 s a week".to_owned(),
        w => format!(
            "{} about {} a week",
            if w > 0 { "gaining" } else { "losing" },
            duration_in_words(w.unsigned_abs())
        ),
    };
    if let Some(by) = &d.resync_needed_by {
        s.push_str("; at this rate it will need a resync around ");
        s.push_str(&month_and_year(by));
    }
    Some(s)
}

/// Chart width and height in SVG units; the zero line is at half the height.
const W: i64 = 240;
const H: i64 = 60;

/// The polyline's points: time across (first sample left, last right), offset up (fast) and
/// down (slow), scaled so the largest offset, or at least `floor`, fills half the height.
pub fn points(history: &[DriftPoint], floor: i64) -> String {
    let (Some(first), Some(last)) = (history.first(), history.last()) else {
        return String::new();
    };
    let span = (last.at - first.at).max(1);
    let scale = history
        .iter()
        .map(|p| p.offset.saturating_abs())
        .fold(floor.max(1), i64::max);
    let mut out = String::new();
    for p in history {
        let x = (p.at - first.at) * W / span;
        let y = H / 2 - p.offset.max(-scale).min(scale) * (H / 2 - 2) / scale;
        out.push_str(&format!("{x},{y} "));
    }
    out
}

/// A device's drift over time: a line through its measured offsets (`history`, oldest first)
/// around a dashed zero line (in step with the server); `floor` fills half the height at
/// least (one step), so noise stays small. Nothing with fewer than two samples. A plain
/// function, not a component: it has no state, and a component's props builder costs wasm.
pub fn drift_chart(history: &[DriftPoint], floor: i64) -> Option<impl IntoView + use<>> {
    (history.len() > 1).then(|| {
        view! {
            <svg class="drift-chart" viewBox="0 0 240 60" role="img"
                aria-label="Chart of the device's measured drift over time; above the line: fast">
                <line x1="0" y1="30" x2="240" y2="30" class="zero" />
                <polyline points=points(history, floor) />
            </svg>
        }
    })
}

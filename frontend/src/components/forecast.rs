//! Where a device's clock is heading (issue 16): in words — "gaining about 4 s a week; at this
//! rate it will need a resync around 2027-03-14", or for a counter-based token "runs about 14
//! presses a week ahead of the server" — and as a small chart of the offsets its
//! accepted codes measured. The rate is rounded to whole seconds before it is written:
//! formatting a float costs kilobytes of wasm. The chart is drawn by hand: a polyline needs no
//! chart library, and integer coordinates keep float formatting out of the app.

use shared::api::{DeviceKind, DriftPoint, MfaDevice};

use crate::clock::duration_in_words;

/// The forecast in words; "not yet" without a rate (too short a history), "none" for a key
/// without codes. A TOTP device's clock has a rate and a day; an HOTP token, the presses a week
/// that never reach the server (the counter runs ahead; a sign-in's look-ahead catches up).
pub fn forecast_sentence(d: &MfaDevice) -> String {
    match d.kind {
        DeviceKind::Fido => return "none".to_owned(),
        DeviceKind::HardwareHotp => {
            return match d.counter_run_ahead_per_week.map(|n| n.round() as u64) {
                None => "not yet".to_owned(),
                Some(0) => "steady: every press reaches the server".to_owned(),
                Some(n) => format!("runs about {n} presses a week ahead of the server"),
            };
        }
        DeviceKind::Virtual | DeviceKind::HardwareTotp => {}
    }
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

/// Chart width and height in SVG units; the zero line (in step with the server) is at half the
/// height.
const W: i64 = 240;
const H: i64 = 60;

/// The polyline's points: time across (first sample left, last right), offset up (fast) and
/// down (slow), scaled so the largest offset, or at least `floor`, fills half the height less a
/// margin of 2.
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
        // Both within 0…240 and 2…58: written unsigned (the app formats no other integer type).
        let x = ((p.at - first.at).clamp(0, span) * W / span) as u64;
        let y = (H / 2 - p.offset.clamp(-scale, scale) * (H / 2 - 2) / scale) as u64;
        out.push_str(&format!("{x},{y} "));
    }
    out
}

/// A device's drift over time as SVG markup: a line through its measured offsets (`history`,
/// oldest first) around a dashed zero line; `floor` fills half the height at least (one step),
/// so noise stays small. Empty with fewer than two samples. Markup rather than `view!`
/// elements: only numbers go in, and each SVG element and attribute type would cost wasm.
pub fn drift_chart(history: &[DriftPoint], floor: i64) -> String {
    if history.len() < 2 {
        return String::new();
    }
    format!(
        r#"<svg viewBox="0 0 240 60" aria-hidden="true"><line x1="0" y1="30" x2="240" y2="30" class="zero"/><polyline points="{}"/></svg>"#,
        points(history, floor)
    )
}

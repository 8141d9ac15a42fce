//! The warning timer: seconds left in the server's current step as a ring, the phase sentence
//! of [`crate::timer`], the stale warning with a way to clear the codes, the note about the
//! browser's clock, and a polite live region that speaks only when the phase changes.

use leptos::prelude::*;

use crate::clock::seconds_left_in_step;
use crate::live::use_clock;
use crate::timer::{Phase, Timer};

/// Circumference of the ring (radius 20), in hundredths.
const RING_HUNDREDTHS: u64 = 12_566;

/// The timer beside the two code fields.
#[component]
pub fn WarningTimer(
    /// When each code was completed (set by the form).
    timer: RwSignal<Timer>,
    /// Clears both codes and puts focus back on code 1.
    #[prop(into)]
    on_clear: Callback<()>,
    /// Sends the codes although they may have expired (the person confirms it).
    #[prop(into)]
    on_anyway: Callback<()>,
    /// The text of that button.
    anyway_label: &'static str,
) -> impl IntoView {
    let clock = use_clock();
    let phase = Memo::new(move |_| match clock.now_ms() {
        Some(now) => timer.get().phase(now),
        None => Phase::EnterFirst,
    });
    let left = Memo::new(move |_| {
        clock
            .now_ms()
            .map(|now| seconds_left_in_step(now, clock.step_seconds()))
    });
    let kind = Memo::new(move |_| phase.get().kind());
    // Spoken when the phase changes, with the countdown as it was then; silent in between.
    let (announcement, set_announcement) = signal(String::new());
    Effect::new(move |previous: Option<()>| {
        kind.track();
        let message = phase.get_untracked().message();
        if previous.is_some() {
            set_announcement.set(message);
        }
    });
    // Whole hundredths, formatted as integers: float formatting costs 4 KB of wasm.
    let dash = move || {
        let step = u64::from(clock.step_seconds().max(1));
        let left = u64::from(left.get().unwrap_or(clock.step_seconds())).min(step);
        let hundredths = RING_HUNDREDTHS * (step - left) / step;
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    };
    view! {
        <div class="timer" class:stale=move || kind.get() == crate::timer::PhaseKind::Stale>
            <div class="countdown" role="timer" aria-label="Seconds left for the code showing now">
                <svg class="ring" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true">
                    <circle class="ring-track" cx="24" cy="24" r="20" fill="none" stroke-width="5"></circle>
                    <circle
                        class="ring-left"
                        cx="24"
                        cy="24"
                        r="20"
                        fill="none"
                        stroke-width="5"
                        stroke-dasharray="125.66"
                        stroke-dashoffset=dash
                        transform="rotate(-90 24 24)"
                    ></circle>
                </svg>
                <span class="seconds" data-testid="seconds-left">
                    {move || match left.get() {
                        Some(s) => format!("{s} s"),
                        None => "…".into(),
                    }}
                </span>
                <span class="visually-hidden">" left for the code showing now"</span>
            </div>
            <p class="phase" data-testid="timer-phase">{move || phase.get().message()}</p>
            {move || (kind.get() == crate::timer::PhaseKind::Stale).then(|| view! {
                <div class="actions">
                    <button type="button" on:click=move |_| on_clear.run(())>"Clear the codes"</button>
                    <button type="button" class="secondary" on:click=move |_| on_anyway.run(())>{anyway_label}</button>
                </div>
            })}
            {move || clock.browser_clock_differs().then(|| view! {
                <p class="note" data-testid="clock-note">
                    {move || {
                        let off = clock.offset_ms().unwrap_or(0.0) / 1000.0;
                        let words = crate::clock::duration_in_words(off.abs().round() as u64);
                        let side = if off > 0.0 { "behind" } else { "ahead of" };
                        format!(
                            "This computer's clock is {words} {side} the server's. If your authenticator runs on this computer, that is the likely reason its codes fail: set the clock automatically, then resynchronise."
                        )
                    }}
                </p>
            })}
            <p class="visually-hidden" aria-live="polite" data-testid="timer-announcement">
                {move || announcement.get()}
            </p>
        </div>
    }
}

//! An API error as a sentence that says what to do next; `LimitExceeded` counts its
//! `Retry-After` down on the browser's clock (a duration, so the clock's offset does not matter).

use leptos::prelude::*;
use shared::api::ErrorCode;

use crate::api::{ApiError, Doing, advice};
use crate::live::use_clock;

/// An error and when it arrived (browser clock, ms).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The error.
    pub error: ApiError,
    /// When it arrived.
    pub at_ms: f64,
}

impl Failure {
    /// Records `error` as arriving now.
    pub fn now(error: ApiError) -> Failure {
        Failure {
            error,
            at_ms: crate::live::browser_now_ms(),
        }
    }

    /// Whole seconds still to wait at `now_ms`, for a throttled device; `None` otherwise.
    pub fn wait_seconds(&self, now_ms: f64) -> Option<u64> {
        match &self.error {
            ApiError::Api {
                code: ErrorCode::LimitExceeded,
                retry_after: Some(s),
                ..
            } => {
                // The ticking clock may lag the arrival by a tick: never count up.
                let left = (*s as f64) * 1000.0 - (now_ms - self.at_ms).max(0.0);
                Some((left.max(0.0) / 1000.0).ceil() as u64)
            }
            _ => None,
        }
    }
}

/// Whether `failure` still blocks another attempt at the browser's `now_ms`.
pub fn still_throttled(failure: &Option<Failure>, now_ms: f64) -> bool {
    failure
        .as_ref()
        .and_then(|f| f.wait_seconds(now_ms))
        .is_some_and(|s| s > 0)
}

/// Shows the last failure, if any.
#[component]
pub fn ErrorNotice(
    /// The last failure.
    #[prop(into)]
    failure: Signal<Option<Failure>>,
    /// What the person was doing, for the advice.
    doing: Doing,
) -> impl IntoView {
    let clock = use_clock();
    let static_text = move || {
        failure.get().map(|f| match f.wait_seconds(f.at_ms) {
        Some(_) => "Too many failed attempts on this device. The server will not check codes for it until the wait below is over.".to_string(),
        None => advice(&f.error, doing),
    })
    };
    let wait = move || {
        failure
            .get()
            .and_then(|f| f.wait_seconds(clock.browser_now_ms()))
    };
    view! {
        <div role="alert" class="alert-slot">
            {move || static_text().map(|text| view! { <p class="error-box">{text}</p> })}
        </div>
        {move || wait().map(|s| if s > 0 {
            view! {
                <p class="countdown-text" role="timer" data-testid="retry-countdown">
                    "Try again in " {s} " s."
                </p>
            }.into_any()
        } else {
            view! {
                <p class="countdown-text" role="status" data-testid="retry-countdown">
                    "You can try again now, with fresh codes."
                </p>
            }.into_any()
        })}
    }
}

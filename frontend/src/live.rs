//! The server's clock, live: [`ServerClock`] estimates the offset from a few `GET /api/time`
//! round trips at start and refreshes it every minute, and ticks four times a second so the
//! timer and countdowns redraw. The arithmetic is in [`crate::clock`].
//!
//! Its round trips are the one request outside [`crate::background::run_call`], on purpose: the
//! clock belongs to the app itself (installed once by `App`, never unmounted), so there is no
//! page for an answer to outlive, and an answer only ever sets the clock's own signals (never a
//! session, never navigation). A synchronisation is also several round trips that update the
//! step as they go, which one "answer, then act" call does not describe.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::clock::{Sample, best_offset_ms, browser_clock_differs, server_now_ms};

/// The server's clock as the app sees it; a `Copy` handle shared through context.
#[derive(Clone, Copy)]
pub struct ServerClock {
    offset_ms: RwSignal<Option<f64>>,
    step_seconds: RwSignal<u32>,
    browser_now_ms: RwSignal<f64>,
    unreachable: RwSignal<bool>,
}

/// The browser's own clock, milliseconds since the Unix epoch.
pub fn browser_now_ms() -> f64 {
    js_sys::Date::now()
}

impl ServerClock {
    /// Starts measuring and ticking, and provides the clock to every component below.
    pub fn install() -> ServerClock {
        let clock = ServerClock {
            offset_ms: RwSignal::new(None),
            step_seconds: RwSignal::new(30),
            browser_now_ms: RwSignal::new(browser_now_ms()),
            unreachable: RwSignal::new(false),
        };
        spawn_local(clock.synchronise(3));
        if let Ok(tick) = set_interval_with_handle(
            move || clock.browser_now_ms.set(browser_now_ms()),
            Duration::from_millis(250),
        ) {
            on_cleanup(move || tick.clear());
        }
        if let Ok(refresh) = set_interval_with_handle(
            move || spawn_local(clock.synchronise(1)),
            Duration::from_secs(60),
        ) {
            on_cleanup(move || refresh.clear());
        }
        provide_context(clock);
        clock
    }

    /// Takes `rounds` samples and keeps the best estimate (a refresh competes with nothing
    /// older than itself: clocks drift, and a laptop may have slept).
    async fn synchronise(self, rounds: usize) {
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let sent_ms = browser_now_ms();
            match api::time().await {
                Ok(time) => {
                    samples.push(Sample {
                        sent_ms,
                        received_ms: browser_now_ms(),
                        server_ms: time.now_ms as f64,
                    });
                    self.step_seconds.set(time.step_seconds.max(1));
                }
                Err(_) => break,
            }
        }
        match best_offset_ms(&samples) {
            Some(offset) => {
                self.offset_ms.set(Some(offset));
                self.unreachable.set(false);
            }
            None => self.unreachable.set(true),
        }
    }

    /// The server's time now in milliseconds, once measured (reactive, four times a second).
    pub fn now_ms(&self) -> Option<f64> {
        let browser = self.browser_now_ms.get();
        self.offset_ms.get().map(|o| server_now_ms(browser, o))
    }

    /// The browser's time now (reactive, ticking), for local countdowns such as `Retry-After`.
    pub fn browser_now_ms(&self) -> f64 {
        self.browser_now_ms.get()
    }

    /// The server's now, read without subscribing (for event handlers).
    pub fn now_ms_untracked(&self) -> Option<f64> {
        self.offset_ms
            .get_untracked()
            .map(|o| server_now_ms(browser_now_ms(), o))
    }

    /// The TOTP step in seconds, as the server announced it.
    pub fn step_seconds(&self) -> u32 {
        self.step_seconds.get()
    }

    /// Whether the browser's clock is more than a step away from the server's (reactive).
    pub fn browser_clock_differs(&self) -> bool {
        self.offset_ms
            .get()
            .is_some_and(|o| browser_clock_differs(o, self.step_seconds.get()))
    }

    /// The estimated offset, server minus browser (reactive).
    pub fn offset_ms(&self) -> Option<f64> {
        self.offset_ms.get()
    }

    /// Whether the last attempt to read the server's clock failed (reactive).
    pub fn unreachable(&self) -> bool {
        self.unreachable.get()
    }
}

/// The clock in context.
pub fn use_clock() -> ServerClock {
    use_context::<ServerClock>().expect("App installs the server clock")
}

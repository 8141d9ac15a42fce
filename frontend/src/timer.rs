//! The warning timer's state machine: where the person is in entering two consecutive codes,
//! judged on the server's clock (see [`crate::clock`]). Pure: every function takes the server
//! time in milliseconds, so it is tested with fixed times.
//!
//! AWS's guide asks for "two consecutive codes"; the trap is codes that went stale between
//! typing and submitting. The steps: enter the code showing now → wait for the next one →
//! enter it → submit before the pair goes stale. Code 1 is stale once the step after the one it
//! was typed in has ended as well: by then the device shows a third code.

use crate::clock::{ms_left_in_step, step_at};

/// When each code was completed, on the server's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timer {
    step_seconds: u32,
    code1_at_ms: Option<f64>,
    code2_at_ms: Option<f64>,
}

/// Where the person is; [`Phase::kind`] changes only at the transitions, which is what a
/// screen reader hears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing entered yet: "enter the code your device shows now".
    EnterFirst,
    /// Code 1 entered, its step still running: wait for the next code.
    WaitForNext {
        /// Seconds until the server's next step begins.
        seconds: u32,
    },
    /// Code 1 entered and the next step has begun: type the new code.
    EnterSecond,
    /// Both entered and still fresh.
    SubmitNow {
        /// Seconds until the pair goes stale.
        seconds: u32,
    },
    /// Code 1 was typed more than a step ago: the codes may have expired.
    Stale,
}

/// [`Phase`] without its countdown, for announcements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseKind {
    /// See [`Phase::EnterFirst`].
    EnterFirst,
    /// See [`Phase::WaitForNext`].
    WaitForNext,
    /// See [`Phase::EnterSecond`].
    EnterSecond,
    /// See [`Phase::SubmitNow`].
    SubmitNow,
    /// See [`Phase::Stale`].
    Stale,
}

impl Phase {
    /// The phase without its countdown.
    pub fn kind(self) -> PhaseKind {
        match self {
            Phase::EnterFirst => PhaseKind::EnterFirst,
            Phase::WaitForNext { .. } => PhaseKind::WaitForNext,
            Phase::EnterSecond => PhaseKind::EnterSecond,
            Phase::SubmitNow { .. } => PhaseKind::SubmitNow,
            Phase::Stale => PhaseKind::Stale,
        }
    }

    /// What the person should do now, in a sentence.
    pub fn message(self) -> String {
        match self {
            Phase::EnterFirst => "Enter the code your device shows now.".into(),
            Phase::WaitForNext { seconds } => {
                format!("Wait for the next code (about {seconds} s), then enter it as code 2.")
            }
            Phase::EnterSecond => "Your device shows a new code now: enter it as code 2.".into(),
            Phase::SubmitNow { seconds } => {
                format!("Submit now — these codes expire in about {seconds} s.")
            }
            Phase::Stale => "Code 1 was typed more than a step ago: these codes may have expired. \
                 Clear them and start again with the code your device shows now."
                .into(),
        }
    }
}

impl Timer {
    /// A timer for devices with steps of `step_seconds` (30 for every device here).
    pub fn new(step_seconds: u32) -> Timer {
        Timer {
            step_seconds: step_seconds.max(1),
            code1_at_ms: None,
            code2_at_ms: None,
        }
    }

    /// The step length in seconds.
    pub fn step_seconds(&self) -> u32 {
        self.step_seconds
    }

    /// Code 1 became complete (`Some(now)`) or incomplete again (`None`). Completing it again
    /// keeps the first time, so editing a typo does not reset the clock.
    pub fn set_code1(&mut self, at_ms: Option<f64>) {
        self.code1_at_ms = match (self.code1_at_ms, at_ms) {
            (Some(first), Some(_)) => Some(first),
            (_, new) => new,
        };
    }

    /// Code 2 became complete or incomplete; as [`Timer::set_code1`].
    pub fn set_code2(&mut self, at_ms: Option<f64>) {
        self.code2_at_ms = match (self.code2_at_ms, at_ms) {
            (Some(first), Some(_)) => Some(first),
            (_, new) => new,
        };
    }

    /// Both codes cleared: start over.
    pub fn reset(&mut self) {
        self.code1_at_ms = None;
        self.code2_at_ms = None;
    }

    /// When the pair goes stale: the end of the step after code 1's.
    pub fn stale_at_ms(&self) -> Option<f64> {
        let step_ms = f64::from(self.step_seconds) * 1000.0;
        self.code1_at_ms
            .map(|t| (step_at(t, self.step_seconds) + 2) as f64 * step_ms)
    }

    /// Whether the codes may have expired.
    pub fn is_stale(&self, now_ms: f64) -> bool {
        self.stale_at_ms().is_some_and(|s| now_ms >= s)
    }

    /// Where the person is at `now_ms` (server clock).
    pub fn phase(&self, now_ms: f64) -> Phase {
        let Some(code1_at) = self.code1_at_ms else {
            return Phase::EnterFirst;
        };
        if self.is_stale(now_ms) {
            return Phase::Stale;
        }
        let stale_at = self.stale_at_ms().unwrap_or(now_ms);
        match self.code2_at_ms {
            Some(_) => Phase::SubmitNow {
                seconds: ((stale_at - now_ms) / 1000.0).ceil().max(1.0) as u32,
            },
            None if step_at(now_ms, self.step_seconds) == step_at(code1_at, self.step_seconds) => {
                Phase::WaitForNext {
                    seconds: (ms_left_in_step(now_ms, self.step_seconds) / 1000.0).ceil() as u32,
                }
            }
            None => Phase::EnterSecond,
        }
    }
}

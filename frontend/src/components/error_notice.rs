//! An API error as a sentence that says what to do next ([`advice`], which depends on what the
//! person was [`Doing`]); `LimitExceeded` counts its `Retry-After` down on the browser's clock
//! (a duration, so the clock's offset does not matter).

use leptos::prelude::*;
use shared::api::ErrorCode;

use crate::api::ApiError;
use crate::live::use_clock;

/// What the person was doing when an error came back; the advice depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doing {
    /// Signing in with a password.
    SignIn,
    /// Signing in with the device's code.
    MfaCode,
    /// Resynchronising with two codes.
    Resync,
    /// Enabling a new device with two codes.
    Enable,
    /// Anything else.
    Other,
}

/// A sentence that says what went wrong and what to do next.
pub fn advice(error: &ApiError, doing: Doing) -> String {
    let (code, message, retry_after) = match error {
        ApiError::Fetch(_) => {
            return "The server could not be reached. Check your connection and try again.".into();
        }
        ApiError::Api {
            code,
            message,
            retry_after,
        } => (*code, message, *retry_after),
    };
    match (code, doing) {
        (ErrorCode::InvalidAuthenticationCode, Doing::MfaCode) => {
            "That code was not accepted. Wait for your device to show a new code and try it; if codes keep failing, your device may be out of sync.".into()
        }
        (ErrorCode::InvalidAuthenticationCode, Doing::Resync | Doing::Enable) => {
            "The two codes were not consecutive codes of this device. Clear them and enter fresh ones: the code your device shows now, then the very next one.".into()
        }
        (ErrorCode::InvalidAuthenticationCode, _) => {
            "The codes were not accepted. Enter fresh codes from your device.".into()
        }
        (ErrorCode::SignInFailed, _) => {
            "The account, user name or password is not correct. Check them and try again.".into()
        }
        (ErrorCode::NotSignedIn, _) => "Your session has ended. Sign in again.".into(),
        // A cap on devices (IAM's quota error, no wait): the server's sentence says which.
        (ErrorCode::LimitExceeded, Doing::Other) if retry_after.is_none() => message.clone(),
        (ErrorCode::LimitExceeded, _) => match retry_after {
            Some(s) => format!(
                "Too many failed attempts on this device. Wait {s} s before you try again."
            ),
            None => "This device is locked after too many failed attempts. Ask an administrator to unlock it.".into(),
        },
        (ErrorCode::NoSuchEntity, _) => {
            "That user or device does not exist (or you may not see it). Reload the list and choose again.".into()
        }
        (ErrorCode::AccessDenied, _) => {
            format!("You are not allowed to do this: {message} Sign in with MFA, or ask an administrator.")
        }
        (ErrorCode::InvalidState, _) => message.to_string(),
        (ErrorCode::ValidationError, _) => format!("{message} Correct it and try again."),
        (ErrorCode::EntityAlreadyExists, _) => {
            "Something with that name exists already. Choose another name.".into()
        }
        (ErrorCode::DeleteConflict, _) => {
            "The device is still assigned to a user. Deactivate it first.".into()
        }
        (ErrorCode::ServiceFailure | ErrorCode::ServiceUnavailable, _) => {
            "The server failed to do this. Try again in a moment.".into()
        }
        _ => format!("{message} Reload the page and try again."),
    }
}

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

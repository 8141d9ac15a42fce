//! An API error as a sentence that says what to do next ([`advice`], which depends on what the
//! person was [`Doing`]); `LimitExceeded` counts its `Retry-After` down on the browser's clock
//! (a duration, so the clock's offset does not matter).

use leptos::prelude::*;
use shared::api::ErrorCode;

use crate::api::ApiError;
use crate::components::link::Link;
use crate::live::use_clock;
use crate::nav::Page;

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

/// A sentence that says what went wrong and what to do next, and for refused codes what the
/// throttle makes of them (tries left, or the wait that started).
pub fn advice(error: &ApiError, doing: Doing) -> String {
    let mut said = advice_alone(error, doing);
    if let ApiError::Api {
        code: ErrorCode::InvalidAuthenticationCode,
        retry_after,
        tries_left: Some(left),
        ..
    } = error
    {
        match (retry_after, left) {
            (Some(s), _) => {
                said.push_str(" That was too many in a row: a wait of ");
                said.push_str(&s.to_string());
                said.push_str(" s has started.");
            }
            (None, 0) => said.push_str(" The next wrong try starts a wait."),
            (None, 1) => said.push_str(" 1 try left before a 30 s wait."),
            (None, n) => {
                said.push(' ');
                said.push_str(&n.to_string());
                said.push_str(" tries left before a 30 s wait.");
            }
        }
    }
    said
}

fn advice_alone(error: &ApiError, doing: Doing) -> String {
    let (code, message, retry_after) = match error {
        ApiError::Fetch(_) => {
            return "The server could not be reached. Check your connection and try again.".into();
        }
        ApiError::Api {
            code,
            message,
            retry_after,
            ..
        } => (*code, message, *retry_after),
    };
    match (code, doing) {
        // An exact repeat of the last accepted codes (security rule 23): not counted, and not
        // a sign of drift.
        (ErrorCode::InvalidAuthenticationCode, Doing::MfaCode) if already_used(error) => {
            "That code was already used: wait for the next one.".into()
        }
        (ErrorCode::InvalidAuthenticationCode, _) if already_used(error) => {
            "These codes were already used: wait for the next code, then enter it and the one after it.".into()
        }
        (ErrorCode::InvalidAuthenticationCode, Doing::MfaCode) => {
            "That code was not accepted. Try the next code your device shows; if codes keep failing, your device may be out of sync.".into()
        }
        (ErrorCode::InvalidAuthenticationCode, Doing::Resync | Doing::Enable) => {
            "The two codes were not consecutive codes of this device. Enter fresh ones: the code your device shows now, then the very next one.".into()
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
            format!("You are not allowed to do this: {message} Ask an administrator if you need it.")
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

/// Whether the server refused codes as an exact repeat of the last accepted ones (its sentence
/// for rule 23, `backend/src/error.rs` `codes_already_used`; same IAM code as a wrong code).
pub fn already_used(error: &ApiError) -> bool {
    matches!(error, ApiError::Api { code: ErrorCode::InvalidAuthenticationCode, message, .. }
        if message.starts_with("These codes were already used"))
}

/// Whether resynchronising is the fix for `error`: codes refused, not as a repeat.
pub fn resync_helps(error: &ApiError) -> bool {
    error.code() == Some(ErrorCode::InvalidAuthenticationCode) && !already_used(error)
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
            // A throttle's 429, or refused codes whose refusal started a wait.
            ApiError::Api {
                code: ErrorCode::LimitExceeded | ErrorCode::InvalidAuthenticationCode,
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
    /// Offer "Resynchronise this device" inside the message when that is the fix, and move
    /// focus to the message (the field it came from is disabled while checking).
    #[prop(optional)]
    resync_link: bool,
) -> impl IntoView {
    let clock = use_clock();
    let box_ref = NodeRef::<leptos::html::P>::new();
    if resync_link {
        Effect::new(move |_| {
            if let Some(el) = box_ref.get() {
                let _ = el.focus();
            }
        });
    }
    let link = move || {
        (resync_link && failure.with(|f| f.as_ref().is_some_and(|f| resync_helps(&f.error))))
            .then(|| view! { " " <Link to=Page::Troubleshoot text="Resynchronise this device" /> })
    };
    let static_text = move || {
        failure.get().map(|f| match f.error.code() {
        Some(ErrorCode::LimitExceeded) if f.wait_seconds(f.at_ms).is_some() => "Too many failed attempts on this device. The server will not check codes for it until the wait below is over. What you typed is kept.".to_string(),
        _ => advice(&f.error, doing),
    })
    };
    let wait = move || {
        failure
            .get()
            .and_then(|f| f.wait_seconds(clock.browser_now_ms()))
    };
    view! {
        <div role="alert" class="alert-slot">
            {move || static_text().map(|text| view! {
                <p class="error-box" tabindex="-1" node_ref=box_ref>{text} {link}</p>
            })}
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

//! Resynchronising (or enabling) one device with two consecutive codes: the code form, the
//! request, and its errors. Used by the troubleshoot page, the credentials page and the
//! administrators' page.

use leptos::prelude::*;
use shared::api::{DeviceKind, ErrorCode, ResyncMfaDeviceRequest, ResyncMfaDeviceResponse};

use crate::api;
use crate::app_state::use_auth;
use crate::background::run_call;
use crate::clock::drift_in_words;
use crate::components::code_form::{CodeForm, CodePair};
use crate::components::error_notice::{Doing, ErrorNotice, Failure, still_throttled};
use crate::live::use_clock;

/// What the two codes are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairPurpose {
    /// `ResyncMFADevice`.
    Resync,
    /// `EnableMFADevice` (a new virtual device).
    Enable,
    /// `EnableMFADevice` of a hardware token from the account's pool (its own field ids, as
    /// both forms can be open at once).
    AssignToken,
}

/// The form that sends two codes for one device.
#[component]
pub fn ResyncPanel(
    /// Whose device; the caller's when `None`.
    #[prop(default = None)]
    user_name: Option<String>,
    /// The device's serial number.
    serial_number: String,
    /// Resync or enable.
    #[prop(default = PairPurpose::Resync)]
    purpose: PairPurpose,
    /// The kind of device: a counter-based token gets no step timer.
    #[prop(default = DeviceKind::Virtual)]
    kind: DeviceKind,
    /// Put focus on code 1 when the panel opens.
    #[prop(optional)]
    autofocus: bool,
    /// Why the person is here again (a final code that failed), until they send codes: one
    /// current message, never a pile of them.
    #[prop(default = None)]
    notice: Option<String>,
    /// Called after the server accepted the codes (the drift is zero when enabling), with
    /// code 2 (the code the device showed last).
    #[prop(into)]
    on_done: Callback<(ResyncMfaDeviceResponse, String)>,
) -> impl IntoView {
    let auth = use_auth();
    let clock = use_clock();
    let notice = RwSignal::new(notice);
    let failure = RwSignal::new(None::<Failure>);
    let (form_key, set_form_key) = signal(0u32);
    let pending = RwSignal::new(false);
    let send = Callback::new(move |pair: CodePair| {
        let code2 = pair.code2.clone();
        let request = ResyncMfaDeviceRequest {
            user_name: user_name.clone(),
            serial_number: serial_number.clone(),
            authentication_code1: pair.code1,
            authentication_code2: pair.code2,
        };
        let call = match purpose {
            PairPurpose::Resync => api::resync(&request),
            PairPurpose::Enable | PairPurpose::AssignToken => api::enable(&request),
        };
        run_call(pending, call, move |answer| match answer {
            Ok(done) => {
                failure.set(None);
                on_done.run((done, code2));
            }
            Err(e) if e.is_signed_out() => auth.expired(),
            Err(e) => {
                // Fresh codes are needed after any refusal: start the form over. Not after a
                // throttle's 429: the codes were not checked, what was typed is kept.
                let checked = e.code() != Some(ErrorCode::LimitExceeded);
                failure.set(Some(Failure::now(e)));
                if checked {
                    set_form_key.update(|k| *k += 1);
                }
            }
        });
    });
    let blocked =
        Signal::derive(move || failure.with(|f| still_throttled(f, clock.browser_now_ms())));
    let (label, anyway, doing) = match purpose {
        PairPurpose::Resync => ("Resynchronise", "Resynchronise anyway", Doing::Resync),
        PairPurpose::Enable | PairPurpose::AssignToken => {
            ("Assign MFA", "Assign MFA anyway", Doing::Enable)
        }
    };
    let id_prefix = match purpose {
        PairPurpose::Resync => "resync",
        PairPurpose::Enable => "enable",
        PairPurpose::AssignToken => "token",
    };
    view! {
        {move || notice.get().map(|n| view! { <p class="error-box" role="alert">{n}</p> })}
        <ErrorNotice failure=failure doing=doing />
        {move || {
            let restarted = form_key.get() > 0;
            view! {
                <CodeForm
                    autofocus=autofocus || restarted
                    counter=kind == DeviceKind::HardwareHotp
                    anyway_label=anyway
                    submit_label=label
                    id_prefix=id_prefix
                    pending=pending
                    blocked=blocked
                    on_submit=Callback::new(move |pair: CodePair| {
                        notice.set(None);
                        failure.set(None);
                        send.run(pair);
                    })
                />
            }
        }}
    }
}

/// What a resync's measured drift means, in a sentence (after [`ResyncPanel`]'s `on_done`).
pub fn result_sentence(kind: DeviceKind, drift_seconds: i64) -> String {
    if kind == DeviceKind::HardwareHotp {
        "The device is resynchronised: the server caught up with the token's counter.".into()
    } else {
        format!(
            "The device is resynchronised: {}.",
            drift_in_words(drift_seconds)
        )
    }
}

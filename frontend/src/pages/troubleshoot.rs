//! Troubleshoot: the MFA code was refused, so resynchronise the device from the password-only
//! session, then finish signing in with the code showing now. If that code fails, the resync
//! only "appeared to work" (AWS's guide): the codes were stale, so start over with fresh ones.

use leptos::prelude::*;
use shared::api::{
    DeviceKind, MfaDeviceChoice, MfaSignInRequest, MfaSignInResponse, ResyncMfaDeviceResponse,
};

use crate::api::{self, ApiError};
use crate::app_state::{SessionKind, use_auth};
use crate::background::run;
use crate::clock::{clock_drift, seconds_left_in_step};
use crate::components::code_input::{CodeInput, check_code, focus_when_mounted};
use crate::components::device_picker::{
    DevicePicker, breakable, code_devices, fido_note, kind_name,
};
use crate::components::error_notice::{Doing, ErrorNotice, Failure, resync_helps};
use crate::components::link::Link;
use crate::components::resync_panel::ResyncPanel;
use crate::components::submit_button::submit_button;
use crate::live::use_clock;
use crate::nav::Page;

/// Where the person is on this page.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Two codes for a resync; the sentence explains a restart.
    Resync(Option<String>),
    /// The server found the device: one more code confirms it and finishes signing in.
    Finish {
        serial: String,
        kind: DeviceKind,
        drift_seconds: i64,
        /// Code 2 of the pair: the device may still show it, and it cannot be used again.
        code2: String,
    },
}

/// The troubleshoot page.
#[component]
pub fn TroubleshootPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <h1>"Resynchronise your MFA device"</h1>
        <p class="lead">
            "Codes stop matching when a device's clock drifts or a token's button was pressed many times. Two consecutive codes show the server where your device is."
        </p>
        {move || {
            if auth.kind() == SessionKind::Unknown {
                view! { <p role="status">"Checking your session…"</p> }.into_any()
            } else if auth.password_only() {
                view! { <Flow /> }.into_any()
            } else if auth.has_mfa() {
                view! {
                    <p class="notice">"You are signed in with MFA. Resynchronise your devices from "
                        <Link to=Page::Credentials text="your security credentials" /> "."
                    </p>
                }.into_any()
            } else {
                view! {
                    <p class="notice">"First sign in with your password; when your MFA code is refused, come back here. "
                        <Link to=Page::SignIn text="Go to sign-in" />
                    </p>
                }.into_any()
            }
        }}
    }
}

/// The resync, then the final code.
#[component]
fn Flow() -> impl IntoView {
    let auth = use_auth();
    let step = RwSignal::new(Step::Resync(None));
    // The sign-in answer's devices at once; the full list (FIDO keys too) when it answers.
    let all = RwSignal::new(auth.devices_untracked());
    run(
        RwSignal::new(false),
        async move {
            api::list_mfa_devices(None).await.map(|list| {
                list.mfa_devices
                    .into_iter()
                    .map(|d| MfaDeviceChoice {
                        serial_number: d.serial_number,
                        kind: d.kind,
                    })
                    .collect()
            })
        },
        move |answer| match answer {
            Ok(devices) => all.set(devices),
            Err(e) if e.is_signed_out() => auth.expired(),
            Err(_) => {}
        },
    );
    let options = Signal::derive(move || all.with(|d| code_devices(d)));
    let has_fido = move || all.with(|d| d.iter().any(|d| !d.kind.has_codes()));
    // The device chosen at the code step, carried over.
    let selected = auth.chosen_device();
    // The panel is built again only when the device (or what kind it is) changes, not when the
    // list is read again: that would wipe what was typed.
    let chosen = Memo::new(move |_| {
        selected.get().map(|serial| {
            let kind =
                options.with(|o| o.iter().find(|d| d.serial_number == serial).map(|d| d.kind));
            (serial, kind.unwrap_or(DeviceKind::Virtual))
        })
    });
    // Focus goes to code 1 when the step opens, not each time another device is chosen (arrow
    // keys move through the radio buttons).
    let opening = StoredValue::new(true);
    move || match step.get() {
        Step::Resync(notice) => {
            opening.set_value(true);
            view! {
            <section class="card" aria-labelledby="resync-heading">
                <h2 id="resync-heading">"Enter two consecutive codes"</h2>
                <DevicePicker devices=options selected=selected legend="Which device do you want to resynchronise?" />
                {move || has_fido().then(fido_note)}
                {move || chosen.get().map(|(serial, kind)| {
                    let done_serial = serial.clone();
                    let autofocus = opening.get_value();
                    opening.set_value(false);
                    view! {
                        <ResyncPanel serial_number=serial kind=kind autofocus=autofocus notice=notice.clone()
                            on_done=Callback::new(move |(r, code2): (ResyncMfaDeviceResponse, String)| {
                                step.set(Step::Finish { serial: done_serial.clone(), kind, drift_seconds: r.drift_seconds, code2 });
                            }) />
                    }
                })}
            </section>
        }.into_any()
        }
        Step::Finish {
            serial,
            kind,
            drift_seconds,
            code2,
        } => view! {
            <Finish serial=serial kind=kind drift_seconds=drift_seconds code2=code2 step=step />
        }
        .into_any(),
    }
}

/// What the server found, said before the final code confirms it: "resynchronised" waits for
/// the code showing now (stale codes are "found" at the wrong place, AWS's trap).
pub fn found_sentence(kind: DeviceKind, drift_seconds: i64) -> String {
    if kind == DeviceKind::HardwareHotp {
        "Found your token's counter. Confirm with its next code: press the token's button.".into()
    } else {
        format!(
            "Found your device: its clock {}. Confirm with the code showing now.",
            clock_drift(drift_seconds)
        )
    }
}

/// The final check: the code showing now must sign in.
#[component]
fn Finish(
    /// The device's serial number.
    serial: String,
    /// Its kind.
    kind: DeviceKind,
    /// The drift the resync found.
    drift_seconds: i64,
    /// Code 2 of the resync, which the device may still show.
    code2: String,
    /// The page's step, to go back.
    step: RwSignal<Step>,
) -> impl IntoView {
    let auth = use_auth();
    let clock = use_clock();
    let counter = kind == DeviceKind::HardwareHotp;
    let code = RwSignal::new(String::new());
    let code_error = RwSignal::new(None::<String>);
    let code_ref = NodeRef::new();
    focus_when_mounted(code_ref);
    let failure = RwSignal::new(None::<Failure>);
    let serial_for_request = serial.clone();
    let pending = RwSignal::new(false);
    let answered = move |answer: Result<MfaSignInResponse, ApiError>| match answer {
        Ok(_) => auth.mfa_accepted(pending),
        Err(e) if e.is_signed_out() => auth.expired(),
        Err(e) if resync_helps(&e) => {
            step.set(Step::Resync(Some(
                "That code did not sign you in, so the resynchronisation only appeared to work: the codes you entered were probably stale (typed too long before you submitted them). Enter two fresh codes: the one your device shows now, then the very next one, and submit at once.".into(),
            )));
        }
        // "Already used" among them: stay on this step for the next code.
        Err(e) => failure.set(Some(Failure::now(e))),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        match check_code(&code.get_untracked()) {
            // Code 2 again: it was used by the resync, so it is refused here, unsent.
            Ok(c) if c.as_str() == code2 => code_error.set(Some(
                if counter {
                    "That is code 2 again: press the token's button for the next code."
                } else {
                    "That is code 2 again: wait for your device to show the next code."
                }
                .into(),
            )),
            Ok(c) => {
                code_error.set(None);
                let request = MfaSignInRequest {
                    authentication_code: c.as_str().to_owned(),
                    serial_number: Some(serial_for_request.clone()),
                };
                run(
                    pending,
                    async move { api::sign_in_mfa(&request).await },
                    answered,
                );
            }
            Err(e) => code_error.set(Some(e.to_string())),
        }
    };
    view! {
        <p class="success" role="status">{found_sentence(kind, drift_seconds)}</p>
        <form class="card" novalidate=true on:submit=submit>
            <h2>"Finish signing in"</h2>
            <p>
                "Enter the next code of your " {kind_name(kind)} " " <code inner_html=breakable(&serial)></code>
                ", not code 2 again."
            </p>
            <CodeInput id="final-code" label="Code showing now" value=code error=code_error node_ref=code_ref disabled=pending />
            <p class="countdown-text" role="timer" data-testid="next-code">
                {move || if counter {
                    "Press the token's button for the next code.".to_string()
                } else {
                    let left = clock.now_ms().map_or(0, |now| seconds_left_in_step(now, clock.step_seconds()));
                    format!("Next code in {left} s.")
                }}
            </p>
            <ErrorNotice failure=failure doing=Doing::MfaCode />
            <div class="actions">
                {submit_button("Sign in", "Checking…", pending.into(), false.into())}
                <button type="button" class="secondary" on:click=move |_| step.set(Step::Resync(None))>
                    "Back to the two codes"
                </button>
            </div>
        </form>
    }
}

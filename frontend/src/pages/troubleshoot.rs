//! Troubleshoot: the MFA code was refused, so resynchronise the device from the password-only
//! session, then finish signing in with the code showing now. If that code fails, the resync
//! only "appeared to work" (AWS's guide): the codes were stale, so start over with fresh ones.

use leptos::prelude::*;
use shared::api::{DeviceKind, ResyncMfaDeviceResponse};

use crate::api;
use crate::app_state::{SessionKind, use_auth};
use crate::background::run_call;
use crate::clock::{clock_drift, seconds_left_in_step};
use crate::components::device_picker::{
    DevicePicker, breakable, code_devices, fido_note, kind_name,
};
use crate::components::link::Link;
use crate::components::resync_panel::ResyncPanel;
use crate::live::use_clock;
use crate::nav::Page;
use crate::pages::sign_in::CodeStep;

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
    run_call(
        RwSignal::new(false),
        api::device_choices(),
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
    // Focus goes to code 1 when the step opens, not each time another device is chosen (arrow
    // keys move through the radio buttons).
    let opening = StoredValue::new(true);
    move || match step.get() {
        Step::Resync(notice) => {
            opening.set_value(true);
            view! {
            <section class="card" aria-labelledby="resync-heading">
                <h2 id="resync-heading">"Enter two consecutive codes"</h2>
                <DevicePicker devices=options selected=selected legend="Device to resynchronise" />
                {move || has_fido().then(fido_note)}
                // Built again only when the device changes, not when the list is read again
                // (that would wipe what was typed): its kind is read untracked.
                {move || selected.get().map(|serial| {
                    let kind = options.with_untracked(|o| o.iter().find(|d| d.serial_number == serial).map(|d| d.kind))
                        .unwrap_or(DeviceKind::Virtual);
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
    let clock = use_clock();
    let counter = kind == DeviceKind::HardwareHotp;
    let html = breakable(&serial);
    view! {
        <p class="success" role="status">{found_sentence(kind, drift_seconds)}</p>
        <CodeStep heading="Finish signing in" id="final-code" label="Code showing now"
            serial=Signal::stored(Some(serial))
            used=Some((code2, if counter {
                "That is code 2 again: press the token's button for the next code."
            } else {
                "That is code 2 again: wait for your device to show the next code."
            }))
            on_refused=Some(Callback::new(move |()| step.set(Step::Resync(Some(
                "That code did not sign you in, so the resynchronisation only appeared to work: the codes you entered were probably stale (typed too long before you submitted them). Enter two fresh codes: the one your device shows now, then the very next one, and submit at once.".into(),
            )))))
            secondary="Back to the two codes"
            on_secondary=Callback::new(move |()| step.set(Step::Resync(None)))>
            <p>
                "Enter the next code of your " {kind_name(kind)} " " <code inner_html=html.clone()></code>
                ", not code 2 again."
            </p>
            <p class="countdown-text" role="timer" data-testid="next-code">
                {move || if counter {
                    "Press the token's button for the next code.".to_string()
                } else {
                    let left = clock.now_ms().map_or(0, |now| seconds_left_in_step(now, clock.step_seconds()));
                    format!("Next code in {left} s.")
                }}
            </p>
        </CodeStep>
    }
}

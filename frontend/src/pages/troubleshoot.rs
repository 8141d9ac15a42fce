//! Troubleshoot: the MFA code was refused, so resynchronise the device from the password-only
//! session, then finish signing in with the code showing now. If that code fails, the resync
//! only "appeared to work" (AWS's guide): the codes were stale, so start over with fresh ones.

use leptos::prelude::*;
use shared::api::{DeviceKind, ErrorCode, MfaDeviceChoice, MfaSignInRequest, MfaSignInResponse};

use crate::api::{self, ApiError};
use crate::app_state::{SessionKind, use_auth};
use crate::background::run;
use crate::components::code_input::{CodeInput, check_code, focus_when_mounted};
use crate::components::device_picker::{DevicePicker, FIDO_EXPLANATION, code_devices, kind_name};
use crate::components::error_notice::{Doing, ErrorNotice, Failure};
use crate::components::link::Link;
use crate::components::resync_panel::{ResyncPanel, result_sentence};
use crate::components::submit_button::submit_button;
use crate::nav::Page;

/// Where the person is on this page.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Two codes for a resync; the sentence explains a restart.
    Resync(Option<String>),
    /// The resync worked: one more code to finish signing in.
    Finish {
        serial: String,
        kind: DeviceKind,
        drift_seconds: i64,
    },
}

/// The troubleshoot page.
#[component]
pub fn TroubleshootPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <h1>"Resynchronise your MFA device"</h1>
        <p class="lead">
            "When a device's clock drifts, or a token's button was pressed many times, its codes stop matching. "
            "Enter two consecutive codes and the server learns where your device is."
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
    let all = RwSignal::new(Vec::<MfaDeviceChoice>::new());
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
            Err(_) => all.set(auth.devices_untracked()),
        },
    );
    let options = Signal::derive(move || all.with(|d| code_devices(d)));
    let has_fido = move || all.with(|d| d.iter().any(|d| !d.kind.has_codes()));
    let selected = RwSignal::new(None::<String>);
    move || {
        match step.get() {
        Step::Resync(notice) => view! {
            {notice.map(|n| view! { <p class="error-box" role="alert">{n}</p> })}
            <section class="card" aria-labelledby="resync-heading">
                <h2 id="resync-heading">"Enter two consecutive codes"</h2>
                <DevicePicker devices=options selected=selected legend="Which device do you want to resynchronise?" />
                {move || has_fido().then(|| view! { <p class="note">{FIDO_EXPLANATION}</p> })}
                {move || selected.get().map(|serial| {
                    let kind = options.with(|o| o.iter().find(|d| d.serial_number == serial).map(|d| d.kind))
                        .unwrap_or(DeviceKind::Virtual);
                    let done_serial = serial.clone();
                    view! {
                        <ResyncPanel serial_number=serial on_done=Callback::new(move |r: shared::api::ResyncMfaDeviceResponse| {
                            step.set(Step::Finish { serial: done_serial.clone(), kind, drift_seconds: r.drift_seconds });
                        }) />
                    }
                })}
            </section>
        }.into_any(),
        Step::Finish { serial, kind, drift_seconds } => view! {
            <Finish serial=serial kind=kind drift_seconds=drift_seconds step=step />
        }.into_any(),
    }
    }
}

/// The final check: the code showing now must sign in.
#[component]
fn Finish(
    serial: String,
    kind: DeviceKind,
    drift_seconds: i64,
    step: RwSignal<Step>,
) -> impl IntoView {
    let auth = use_auth();
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
        Err(ApiError::Api {
            code: ErrorCode::InvalidAuthenticationCode,
            ..
        }) => {
            step.set(Step::Resync(Some(
                "That code did not sign you in, so the resynchronisation only appeared to work: the codes you entered were probably stale (typed too long before you submitted them). Start over with fresh codes: the one your device shows now, then the very next one, and submit at once.".into(),
            )));
        }
        Err(e) => failure.set(Some(Failure::now(e))),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match check_code(&code.get_untracked()) {
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
        <p class="success" role="status">{result_sentence(kind, drift_seconds)}</p>
        <form class="card" novalidate=true on:submit=submit>
            <h2>"Finish signing in"</h2>
            <p>
                "To make sure it worked, enter the next code of your " {kind_name(kind)} " "
                <code>{serial.clone()}</code>
                ": one you have not entered yet (wait for it to change if it still shows code 2)."
            </p>
            <CodeInput id="final-code" label="Code showing now" value=code error=code_error node_ref=code_ref disabled=pending />
            <ErrorNotice failure=failure doing=Doing::MfaCode />
            <div class="actions">
                {submit_button("Sign in", "Checking…", pending.into(), false.into())}
            </div>
        </form>
    }
}

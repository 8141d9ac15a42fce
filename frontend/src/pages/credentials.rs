//! Security credentials (signed in with MFA): what happened since the last sign-in, one's own
//! devices, assigning a new virtual device — a QR code and the secret, shown once, enabled with
//! two consecutive codes through the same form and timer as a resync — and recent activity.

use leptos::prelude::*;
use shared::api::{
    Action, CreateVirtualMfaDeviceRequest, CreateVirtualMfaDeviceResponse, CreatedVirtualMfaDevice,
    ErrorCode,
};

use crate::api::{self, ApiError};
use crate::app_state::use_auth;
use crate::background::run_call;
use crate::components::activity::{Activity, SinceLastSignIn};
use crate::components::device_table::DeviceTable;
use crate::components::error_notice::{Doing, ErrorNotice, Failure};
use crate::components::link::Link;
use crate::components::resync_panel::{PairPurpose, ResyncPanel};
use crate::components::submit_button::submit_button;
use crate::nav::Page;

/// The security credentials page.
#[component]
pub fn CredentialsPage() -> impl IntoView {
    let auth = use_auth();
    let reload = RwSignal::new(0u32);
    view! {
        <h1>"Security credentials"</h1>
        {move || {
            if auth.has_mfa() {
                let arn = auth.arn_untracked();
                view! {
                    <p class="lead">"Signed in as " <code>{arn}</code></p>
                    <SinceLastSignIn />
                    <section aria-labelledby="devices-heading">
                        <h2 id="devices-heading">"Your MFA devices"</h2>
                        <DeviceTable reload=reload />
                    </section>
                    // Offered only when the policy allows both of its steps (`Allowed`).
                    {move || (auth.allows(Action::CreateVirtualMfaDevice) && auth.allows(Action::EnableMfaDevice)).then(|| view! {
                        <AssignVirtual on_assigned=Callback::new(move |()| reload.update(|v| *v += 1)) />
                    })}
                    {move || auth.allows(Action::EnableMfaDevice).then(|| view! {
                        <AssignHardware on_assigned=Callback::new(move |()| reload.update(|v| *v += 1)) />
                    })}
                    <Activity />
                }.into_any()
            } else if auth.password_only() {
                view! {
                    <p class="notice">"Finish signing in with your MFA code first. "
                        <Link to=Page::SignIn text="Enter your code" />
                    </p>
                }.into_any()
            } else {
                view! { <p role="status">"Checking your session…"</p> }.into_any()
            }
        }}
    }
}

/// A secret in groups of four characters ("JBSW Y3DP …"), as authenticator apps show them:
/// easier to type and to compare. Apps ignore the spaces.
pub fn in_fours(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len() + secret.len() / 4);
    for (i, c) in secret.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Puts `text` on the clipboard (the browser may refuse without saying: the secret stays
/// shown to type).
fn copy_to_clipboard(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

/// Assigning a new virtual MFA device.
#[component]
fn AssignVirtual(
    /// Called once the device is enabled.
    on_assigned: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<CreatedVirtualMfaDevice>);
    let done = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<Failure>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let request = CreateVirtualMfaDeviceRequest {
            virtual_mfa_device_name: name.get_untracked().trim().to_owned(),
            path: None,
        };
        let answered = move |answer: Result<CreateVirtualMfaDeviceResponse, ApiError>| match answer
        {
            Ok(r) => {
                failure.set(None);
                created.set(Some(r.virtual_mfa_device));
            }
            Err(e) if e.is_signed_out() => auth.expired(),
            Err(e) => failure.set(Some(Failure::now(e))),
        };
        let create = move || run_call(pending, api::create_virtual(&request), answered);
        if auth.is_root() {
            // The root user's one device: said before a device is created (and left behind
            // unassigned when enabling it fails), not after both codes.
            run_call(pending, api::list_mfa_devices(None), move |list| {
                match list {
                Ok(list) if list.mfa_devices.is_empty() => create(),
                Ok(_) => answered(Err(ApiError::Api {
                    code: ErrorCode::InvalidState,
                    message: "The root user can have one MFA device: deactivate yours above first to assign another.".into(),
                    retry_after: None,
                    tries_left: None,
                })),
                Err(e) => answered(Err(e)),
            }
            });
        } else {
            create();
        }
    };
    view! {
        <section class="card" aria-labelledby="assign-heading">
            <h2 id="assign-heading">"Assign a virtual MFA device"</h2>
            {move || done.get().map(|d| view! { <p class="success" role="status">{d}</p> })}
            {move || match created.get() {
                None => view! {
                    <form on:submit=submit>
                        <div class="field">
                            <label for="device-name">"Device name"</label>
                            <p class="hint" id="device-name-hint">"Letters, digits and + = , . @ - _ (for example: my-phone)"</p>
                            <input id="device-name" type="text" required=true aria-describedby="device-name-hint"
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        </div>
                        <ErrorNotice failure=failure doing=Doing::Other />
                        <div class="actions">
                            {submit_button("Create the device", "Creating…", pending.into(), false.into())}
                        </div>
                    </form>
                }.into_any(),
                Some(device) => {
                    let serial = device.serial_number.clone();
                    let seed = device.base32_string_seed.clone();
                    let copied = RwSignal::new(false);
                    view! {
                        <ol class="enrol-steps">
                            <li>
                                <p>"Scan this QR code with your authenticator app:"</p>
                                <div class="qr" role="img" aria-label="QR code of the new device's secret" inner_html=device.qr_code_svg.clone()></div>
                            </li>
                            <li>
                                <p>"Or type this secret key into the app. It is shown only now: it cannot be displayed again."</p>
                                <p>
                                    <code class="secret" data-testid="secret">{in_fours(&device.base32_string_seed)}</code>
                                    " "
                                    <button type="button" class="secondary" on:click=move |_| {
                                        copy_to_clipboard(&seed);
                                        copied.set(true);
                                    }>"Copy the secret"</button>
                                </p>
                                {move || copied.get().then(|| view! { <p role="status">"Copied. Paste it into your app."</p> })}
                            </li>
                            <li>
                                <p>"Then enter two consecutive codes from the app for " <code>{serial.clone()}</code> ":"</p>
                                <ResyncPanel serial_number=serial purpose=PairPurpose::Enable autofocus=true
                                    on_done=Callback::new(move |_| {
                                        created.set(None);
                                        name.set(String::new());
                                        done.set(Some("The virtual MFA device is assigned. Use it the next time you sign in.".into()));
                                        on_assigned.run(());
                                    }) />
                            </li>
                        </ol>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// Assigning a hardware token from the account's pool (issue 16), as AWS's "Assign hardware TOTP
/// token": its serial number, then two consecutive codes through the same form and timer as a
/// resync. `EnableMFADevice` finds the token among those nobody holds.
#[component]
fn AssignHardware(
    /// Called once the token is assigned.
    on_assigned: Callback<()>,
) -> impl IntoView {
    let serial = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    view! {
        <section class="card" aria-labelledby="token-heading">
            <h2 id="token-heading">"Assign a hardware token"</h2>
            {move || done.get().map(|d| view! { <p class="success" role="status">{d}</p> })}
            <div class="field">
                <label for="token-serial">"Serial number"</label>
                <p class="hint" id="token-serial-hint">"Printed on the back of the token (for example: GAHT10000001)"</p>
                <input id="token-serial" type="text" autocomplete="off" aria-describedby="token-serial-hint"
                    prop:value=move || serial.get() on:input=move |ev| serial.set(event_target_value(&ev).trim().to_owned()) />
            </div>
            {move || {
                let s = serial.get();
                (!s.is_empty()).then(|| view! {
                    <ResyncPanel serial_number=s purpose=PairPurpose::AssignToken
                        on_done=Callback::new(move |_| {
                            serial.set(String::new());
                            done.set(Some("The hardware token is assigned. Use it the next time you sign in.".into()));
                            on_assigned.run(());
                        }) />
                })
            }}
        </section>
    }
}

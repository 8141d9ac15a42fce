//! A user's MFA devices with kind, enable date, drift and lock state, and what can be done with
//! each: resynchronise, deactivate, and (for administrators) unlock.

use leptos::prelude::*;
use shared::api::{DeactivateMfaDeviceRequest, DeviceKind, MfaDevice, ResyncMfaDeviceResponse};

use crate::api;
use crate::app_state::use_auth;
use crate::background::run_call;
use crate::clock::clock_drift;
use crate::components::device_picker::{FIDO_EXPLANATION, kind_name};
use crate::components::error_notice::{Doing, ErrorNotice, Failure, advice};
use crate::components::forecast::{drift_chart, forecast_sentence};
use crate::components::resync_panel::{ResyncPanel, result_sentence};

/// The drift column: "in step", "2 min 30 s fast".
fn drift_cell(d: &MfaDevice) -> String {
    if !d.kind.has_codes() {
        "never drifts".into()
    } else if d.kind == DeviceKind::HardwareHotp {
        "counter-based".into()
    } else if d.drift_seconds == 0 {
        "none: in step with the server".into()
    } else {
        format!("clock {}", clock_drift(d.drift_seconds))
    }
}

/// `2026-11-29T15:04:05Z` as `2026-11-29 15:04 UTC`.
fn readable_date(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) if rfc3339.ends_with('Z') => format!("{} UTC", minutes.replacen('T', " ", 1)),
        _ => rfc3339.to_owned(),
    }
}

/// The state column.
fn state_cell(d: &MfaDevice) -> String {
    match (d.locked, d.retry_after_seconds) {
        (true, _) => "Locked: an administrator must unlock it".into(),
        (false, Some(s)) => format!("Throttled for {s} s after failed attempts"),
        (false, None) => "Active".into(),
    }
}

/// The device table of one user (the caller when `user_name` is `None`).
#[component]
pub fn DeviceTable(
    /// Whose devices; the caller's when `None`.
    #[prop(default = None)]
    user_name: Option<String>,
    /// Show the administrators' unlock button.
    #[prop(optional)]
    admin: bool,
    /// Bumped by others (e.g. after enrolment) to reload the list.
    #[prop(optional, into)]
    reload: Signal<u32>,
) -> impl IntoView {
    let auth = use_auth();
    let version = RwSignal::new(0u32);
    let list_user = user_name.clone();
    let devices = RwSignal::new(None::<Result<shared::api::ListMfaDevicesResponse, api::ApiError>>);
    let loading = RwSignal::new(false);
    Effect::new(move |_| {
        version.track();
        reload.track();
        let user = list_user.clone();
        run_call(loading, api::list_mfa_devices(user), move |r| match r {
            Err(e) if e.is_signed_out() => auth.expired(),
            r => devices.set(Some(r)),
        });
    });
    let resyncing = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<Failure>);
    let act_user = user_name.clone();
    let busy = RwSignal::new(false);
    let act = Callback::new(move |(what, serial): (&'static str, String)| {
        let request = DeactivateMfaDeviceRequest {
            user_name: act_user.clone(),
            serial_number: serial,
        };
        let call = if what == "unlock" {
            api::unlock(&request)
        } else {
            api::deactivate(&request)
        };
        run_call(busy, call, move |answer| match answer {
            Ok(_) => {
                failure.set(None);
                confirming.set(None);
                result.set(Some(
                    if what == "unlock" {
                        "The device is unlocked."
                    } else {
                        "The device is deactivated."
                    }
                    .into(),
                ));
                version.update(|v| *v += 1);
            }
            Err(e) if e.is_signed_out() => auth.expired(),
            Err(e) => failure.set(Some(Failure::now(e))),
        });
    });
    let panel_user = user_name.clone();
    view! {
        {move || result.get().map(|r| view! { <p class="success" role="status">{r}</p> })}
        <ErrorNotice failure=failure doing=Doing::Other />
        // `with`, not `get`: the list is read where it is, never cloned.
        {move || devices.with(|answer| match answer {
            None => view! { <p role="status">"Loading devices…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error-box" role="alert">{advice(e, Doing::Other)}</p> }.into_any(),
            Some(Ok(list)) if list.mfa_devices.is_empty() => view! { <p>"No MFA devices are assigned."</p> }.into_any(),
            Some(Ok(list)) => {
                let panel_user = panel_user.clone();
                view! {
                    <ul class="devices" aria-label="MFA devices">
                        {list.mfa_devices.iter().map(|d| {
                            let kind = d.kind;
                            let serial = d.serial_number.clone();
                            let (s1, s2, s3, s4, s5) = (serial.clone(), serial.clone(), serial.clone(), serial.clone(), serial.clone());
                            let panel_user = panel_user.clone();
                            let has_codes = d.kind.has_codes();
                            let locked = d.locked || d.retry_after_seconds.is_some();
                            view! {
                                <li class="device">
                                    <h3>{kind_name(d.kind)}</h3>
                                    <dl>
                                        <dt>"Serial number"</dt><dd><code>{d.serial_number.clone()}</code></dd>
                                        <dt>"Enabled"</dt><dd>{readable_date(&d.enable_date)}</dd>
                                        <dt>"Drift"</dt><dd>{drift_cell(d)}</dd>
                                        <dt>"State"</dt><dd>{state_cell(d)}</dd>
                                        <dt>"Last used"</dt><dd>{d.last_used_date.as_deref().map_or("not yet".into(), readable_date)}</dd>
                                        <dt>"Forecast"</dt><dd>{forecast_sentence(d)}</dd>
                                    </dl>
                                    <div class="drift-chart" role="img" hidden=d.drift_history.len() < 2
                                        aria-label="Chart of the device's measured drift over time; above the line: fast"
                                        inner_html=drift_chart(&d.drift_history, if kind == DeviceKind::HardwareHotp { 10 } else { 30 })></div>
                                    {(!has_codes).then(|| view! { <p class="note">{FIDO_EXPLANATION}</p> })}
                                    <div class="actions">
                                        {has_codes.then(|| view! {
                                            <button type="button" aria-expanded=move || (resyncing.get().as_deref() == Some(s1.as_str())).to_string()
                                                on:click=move |_| {
                                                    result.set(None);
                                                    resyncing.update(|r| *r = if r.as_deref() == Some(s2.as_str()) { None } else { Some(s2.clone()) });
                                                }>
                                                "Resynchronise this device"
                                            </button>
                                        })}
                                        {(admin && locked).then(|| {
                                            let s = s5.clone();
                                            view! {
                                                <button type="button" on:click=move |_| { act.run(("unlock", s.clone())); }>"Unlock"</button>
                                            }
                                        })}
                                        <button type="button" class="danger" on:click=move |_| confirming.set(Some(s3.clone()))>
                                            "Deactivate"
                                        </button>
                                    </div>
                                    {move || (confirming.get().as_deref() == Some(s4.as_str())).then(|| {
                                        let s = s4.clone();
                                        view! {
                                            <div class="confirm" role="group" aria-label="Confirm deactivation">
                                                <p>"Deactivate this device? It will no longer sign in, and a virtual device must be set up again from scratch."</p>
                                                <button type="button" class="danger" on:click=move |_| { act.run(("deactivate", s.clone())); }>
                                                    "Yes, deactivate"
                                                </button>
                                                <button type="button" class="secondary" on:click=move |_| confirming.set(None)>"Keep it"</button>
                                            </div>
                                        }
                                    })}
                                    {move || {
                                        let open = resyncing.get().as_deref() == Some(serial.as_str());
                                        open.then(|| view! {
                                            <div class="resync-inline">
                                                <ResyncPanel user_name=panel_user.clone() serial_number=serial.clone() kind=kind autofocus=true
                                                    on_done=Callback::new(move |(r, _): (ResyncMfaDeviceResponse, String)| {
                                                        resyncing.set(None);
                                                        result.set(Some(result_sentence(kind, r.drift_seconds)));
                                                        version.update(|v| *v += 1);
                                                    }) />
                                            </div>
                                        })
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }
        })}
    }
}

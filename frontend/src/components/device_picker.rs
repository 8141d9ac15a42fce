//! Choosing a device when there are several (AWS allows up to eight per user).

use leptos::prelude::*;
use shared::api::{DeviceKind, MfaDeviceChoice};

/// A device as the picker shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceOption {
    /// The serial number.
    pub serial_number: String,
    /// Its kind.
    pub kind: DeviceKind,
}

/// The devices that show codes, as picker options; FIDO keys are left out.
pub fn code_devices(devices: &[MfaDeviceChoice]) -> Vec<DeviceOption> {
    devices
        .iter()
        .filter(|d| d.kind.has_codes())
        .map(|d| DeviceOption {
            serial_number: d.serial_number.clone(),
            kind: d.kind,
        })
        .collect()
}

/// A person's name for a kind of device.
pub fn kind_name(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Virtual => "Virtual MFA device (authenticator app)",
        DeviceKind::HardwareTotp => "Hardware TOTP token",
        DeviceKind::HardwareHotp => "Hardware HOTP token (counter-based)",
        DeviceKind::Fido => "FIDO security key",
    }
}

/// A serial number (or an ARN, an action's or error's name) as HTML that may wrap after each
/// `:` and `/` and between the words of a CamelCase name (`<wbr>`), never inside a word: ARNs
/// are long and a phone is narrow. Escaped: an administrator names devices.
pub fn breakable(serial: &str) -> String {
    let mut html = String::with_capacity(serial.len() + 16);
    let mut lower = false;
    for c in serial.chars() {
        if lower && c.is_ascii_uppercase() {
            html.push_str("<wbr>");
        }
        lower = c.is_ascii_lowercase();
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            ':' | '/' => {
                html.push(c);
                html.push_str("<wbr>");
            }
            c => html.push(c),
        }
    }
    html
}

/// The explanation for FIDO security keys, which have no clock and no codes.
pub const FIDO_EXPLANATION: &str = "A FIDO security key has no clock and shows no codes, so it never drifts and cannot be resynchronised. If it stopped working, sign in with another device and deactivate the key on the Security credentials page, or ask an administrator to deactivate it.";

/// Why a FIDO key is not offered, folded away: most people have none, and on a phone it
/// pushed the code fields off the first screen.
pub fn fido_note() -> impl IntoView {
    view! {
        <details class="note">
            <summary>"Why is my FIDO key not listed?"</summary>
            {FIDO_EXPLANATION}
        </details>
    }
}

/// Radio buttons for the devices; with one device, just its name.
#[component]
pub fn DevicePicker(
    /// The devices that can be chosen.
    #[prop(into)]
    devices: Signal<Vec<DeviceOption>>,
    /// The chosen serial number.
    selected: RwSignal<Option<String>>,
    /// The group's legend.
    #[prop(default = "Which device?")]
    legend: &'static str,
) -> impl IntoView {
    // The first device is chosen until the person chooses another (a list not read yet
    // keeps the choice: it may come from the sign-in page).
    Effect::new(move |_| {
        let list = devices.get();
        if list.is_empty() {
            return;
        }
        let current = selected.get_untracked();
        if current
            .as_ref()
            .is_none_or(|s| !list.iter().any(|d| &d.serial_number == s))
        {
            selected.set(list.first().map(|d| d.serial_number.clone()));
        }
    });
    move || {
        let list = devices.get();
        if list.is_empty() {
            view! { <p class="device-single">"No device that shows codes is assigned to you."</p> }
                .into_any()
        } else if list.len() == 1 {
            let d = &list[0];
            view! {
                <p class="device-single">
                    "Device: " <strong>{kind_name(d.kind)}</strong> " " <code inner_html=breakable(&d.serial_number)></code>
                </p>
            }
            .into_any()
        } else {
            view! {
                <fieldset class="device-picker">
                    <legend>{legend}</legend>
                    {list
                        .into_iter()
                        .map(|d| {
                            let serial = d.serial_number.clone();
                            let serial_check = serial.clone();
                            let serial_set = serial.clone();
                            view! {
                                <label class="radio">
                                    <input
                                        type="radio"
                                        name="device"
                                        value=serial.clone()
                                        prop:checked=move || {
                                            selected.get().as_deref() == Some(serial_check.as_str())
                                        }
                                        on:change=move |_| selected.set(Some(serial_set.clone()))
                                    />
                                    <span>
                                        {kind_name(d.kind)} <br/> <code inner_html=breakable(&serial)></code>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
            }
            .into_any()
        }
    }
}

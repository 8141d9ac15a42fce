//! A form's submit button: disabled while a request is under way or submitting is not possible,
//! and saying what is happening meanwhile ("Checking…").

use leptos::prelude::*;

/// The submit button. One non-generic function for every form: each inline copy of this markup
/// instantiated the view machinery anew (the 150 KB budget).
#[inline(never)]
pub fn submit_button(
    label: &'static str,
    busy_label: &'static str,
    pending: Signal<bool>,
    blocked: Signal<bool>,
) -> AnyView {
    view! {
        <button type="submit" disabled=move || pending.get() || blocked.get()>
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
    .into_any()
}

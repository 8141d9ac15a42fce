//! What happened to the signed-in person's sign-ins and devices (issue 16): the notices of what
//! happened since their last sign-in that they did not do (from the session), and "Recent
//! activity" — sign-ins, refused codes, resyncs and by whom, devices enabled or deactivated,
//! STS sessions — newest first, ten at a time. The server words each event
//! (`backend/src/iam/activity.rs`); the app puts its time in the browser's zone and language.

use leptos::prelude::*;
use shared::api::ActivityEvent;
use wasm_bindgen::JsValue;

use crate::api;
use crate::app_state::use_auth;
use crate::background::run_call;
use crate::components::device_picker::breakable;

/// An RFC 3339 time in the browser's time zone and language ("06/12/2026, 14:02:00").
pub fn local_time(rfc3339: &str) -> String {
    js_sys::Date::new(&JsValue::from_str(rfc3339))
        .to_locale_string("default", &JsValue::UNDEFINED)
        .into()
}

/// Events as the markup of list items: the local time, then what happened. Markup, not views:
/// a view per item cost 0.5 KB br more of wasm (measured); this, a loop. Escaped by [`breakable`], which
/// also lets the ARNs in sentences wrap on a phone.
pub fn items(events: &[ActivityEvent]) -> String {
    let mut html = String::new();
    for e in events {
        html.push_str("<li><time>");
        html.push_str(&breakable(&local_time(&e.event_time)));
        html.push_str("</time> ");
        html.push_str(&breakable(&e.summary));
        html.push_str("</li>");
    }
    html
}

/// The session's notices, above everything while there are any (hidden when none: one view
/// for both cases costs less wasm than an optional one).
#[component]
pub fn SinceLastSignIn() -> impl IntoView {
    let auth = use_auth();
    view! {
        <section class="notice" role="status" aria-labelledby="since-heading"
            hidden=move || auth.with_notices(|n| n.is_empty())>
            <h2 id="since-heading">"Since your last sign-in"</h2>
            <ul class="activity" inner_html=move || auth.with_notices(items)></ul>
        </section>
    }
}

/// The signed-in person's recent activity, with "Show older activity" while there is more.
#[component]
pub fn Activity() -> impl IntoView {
    let auth = use_auth();
    // The list's markup so far: each page adds its items (kept as markup, not as events: a
    // signal of a new type instantiates the reactive machinery anew).
    let shown = RwSignal::new(String::new());
    let next = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let load = move |token: Option<String>| {
        run_call(busy, api::activity(token), move |answer| match answer {
            Ok(page) => {
                shown.update(|h| h.push_str(&items(&page.events)));
                next.set(page.next_token);
            }
            Err(e) if e.is_signed_out() => auth.expired(),
            Err(_) => next.set(None),
        })
    };
    load(None);
    view! {
        <section class="card" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent activity"</h2>
            <ul class="activity" inner_html=move || shown.get()></ul>
            <button type="button" class="secondary" hidden=move || next.with(Option::is_none)
                on:click=move |_| load(next.get_untracked())>"Show older activity"</button>
        </section>
    }
}

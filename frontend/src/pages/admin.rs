//! Administration, where policy allows: what needs attention (devices about to need a resync,
//! hardware tokens nobody holds), the account's users, a user's devices (resync on their
//! behalf with codes read from the device by whoever holds it, unlock, deactivate), and the
//! audit trail filtered by user, action, outcome and device.

use leptos::prelude::*;
use shared::api::{
    Action, AttentionResponse, AuditEvent, ListUsersResponse, LookupEventsRequest,
    LookupEventsResponse, Outcome, Paging,
};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::app_state::use_auth;
use crate::background::run_call;
use crate::components::device_picker::{breakable, kind_name};
use crate::components::device_table::DeviceTable;
use crate::components::error_notice::{Doing, advice};
use crate::components::forecast::forecast_sentence;

/// The administration page.
#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    let users = RwSignal::new(None);
    all_users(
        RwSignal::new(false),
        ListUsersResponse {
            users: Vec::new(),
            is_truncated: false,
            marker: None,
        },
        None,
        0,
        Box::new(move |r| match r {
            Err(e) if e.is_signed_out() => auth.expired(),
            r => users.set(Some(r)),
        }),
    );
    let chosen = RwSignal::new(None::<String>);
    view! {
        <h1>"Administration"</h1>
        {move || match users.get() {
            None => view! { <p role="status">"Loading users…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error-box" role="alert">{denied_sentence(&e)}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <Attention />
                <section class="card" aria-labelledby="users-heading">
                    <h2 id="users-heading">"Users"</h2>
                    <div class="field">
                        <label for="user-select">"Show the MFA devices of"</label>
                        <select id="user-select" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            chosen.set((!v.is_empty()).then_some(v));
                        }>
                            <option value="" selected=true>"— choose a user —"</option>
                            {list.users.into_iter().map(|u| {
                                let (value, text) = (u.user_name.clone(), u.user_name);
                                view! { <option value=value>{text}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    {move || chosen.get().map(|user| view! {
                        <h3>"MFA devices of " {user.clone()}</h3>
                        <p class="hint">"To resynchronise on the user's behalf, ask whoever holds the device to read you two consecutive codes."</p>
                        <DeviceTable user_name=Some(user) admin=true />
                    })}
                </section>
                <AuditTrail />
            }.into_any(),
        }}
    }
}

/// What the help desk should act on before anyone is locked out (issue 16), as list items:
/// each device whose clock leaves the sign-in window within 30 days at its measured rate, then
/// each hardware token nobody holds yet.
pub fn attention_items(a: &AttentionResponse) -> String {
    let mut html = String::new();
    for d in &a.devices_needing_resync {
        let forecast = forecast_sentence(d);
        let parts = [
            &d.user_name,
            "'s device ",
            &d.serial_number,
            ": ",
            &forecast,
        ];
        push_item(&mut html, &parts);
    }
    for t in &a.unassigned_hardware_tokens {
        let parts = [
            &t.serial_number,
            ", ",
            kind_name(t.kind),
            ": assigned to nobody yet",
        ];
        push_item(&mut html, &parts);
    }
    if html.is_empty() {
        push_item(
            &mut html,
            &[
                "Nothing: no device needs a resync within 30 days, and every hardware token is assigned.",
            ],
        );
    }
    html
}

/// Appends a list item of `parts`, escaped.
fn push_item(html: &mut String, parts: &[&str]) {
    html.push_str("<li>");
    html.push_str(&breakable(&parts.concat()));
    html.push_str("</li>");
}

/// [`attention_items`] under a heading, read once when the page opens.
#[component]
fn Attention() -> impl IntoView {
    let auth = use_auth();
    let html = RwSignal::new(String::new());
    run_call(RwSignal::new(false), api::attention(), move |r| match r {
        Ok(a) => html.set(attention_items(&a)),
        Err(e) if e.is_signed_out() => auth.expired(),
        Err(e) => {
            let mut item = String::new();
            push_item(&mut item, &[&advice(&e, Doing::Other)]);
            html.set(item);
        }
    });
    view! {
        <section class="card" aria-labelledby="attention-heading">
            <h2 id="attention-heading">"Needs attention"</h2>
            <ul class="activity" inner_html=move || html.get()></ul>
        </section>
    }
}

/// The most pages [`all_users`] follows (a million users).
pub const MAX_PAGES: usize = 1000;

/// `ListUsers`, every page after `marker` added to `all`, then `done`: the markers are followed
/// to the end (1,000 users a page, at most [`MAX_PAGES`] pages), a page at a time through
/// [`run_call`]. An answer that does not move on — truncated without a marker, or an empty
/// page, or the same marker again — is an error, never a loop.
fn all_users(
    pending: RwSignal<bool>,
    mut all: ListUsersResponse,
    marker: Option<String>,
    pages: usize,
    done: Box<dyn FnOnce(Result<ListUsersResponse, ApiError>)>,
) {
    if pages == MAX_PAGES {
        return done(Err(api::unexpected()));
    }
    let paging = Paging {
        marker,
        max_items: Some(1000),
    };
    let call = api::list_users(&paging);
    run_call(pending, call, move |answer| {
        let mut page = match answer {
            Ok(page) => page,
            Err(e) => return done(Err(e)),
        };
        if page.is_truncated != page.marker.is_some()
            || (page.is_truncated && page.users.is_empty())
            || (page.marker.is_some() && page.marker == paging.marker)
        {
            return done(Err(api::unexpected()));
        }
        all.users.append(&mut page.users);
        match page.marker {
            None => done(Ok(all)),
            marker => all_users(pending, all, marker, pages + 1, done),
        }
    });
}

fn denied_sentence(e: &ApiError) -> String {
    match e.code() {
        Some(shared::api::ErrorCode::AccessDenied) => {
            "Your policy does not allow administering users. Ask an administrator of this account."
                .into()
        }
        _ => advice(e, Doing::Other),
    }
}

/// The actions the audit filter offers, from `shared`'s one list: those of [`Action::ALL`] that
/// are [`Action::in_audit_filter`], in its order. Worked out at compile time: the app holds
/// only the names.
pub const AUDIT_FILTER: [&str; AUDIT_FILTER_LEN] = audit_filter();

/// How many actions the audit filter offers.
const AUDIT_FILTER_LEN: usize = {
    let (mut i, mut n) = (0, 0);
    while i < Action::ALL.len() {
        if Action::ALL[i].in_audit_filter() {
            n += 1;
        }
        i += 1;
    }
    n
};

const fn audit_filter() -> [&'static str; AUDIT_FILTER_LEN] {
    let mut names = [""; AUDIT_FILTER_LEN];
    let (mut i, mut n) = (0, 0);
    while i < Action::ALL.len() {
        if Action::ALL[i].in_audit_filter() {
            names[n] = Action::ALL[i].name();
            n += 1;
        }
        i += 1;
    }
    names
}

/// The action filter's `<option>`s as markup: "Any action", then [`AUDIT_FILTER`] (names are
/// letters only, `shared` checks, so they need no escaping). Written at compile time: as
/// views, the options cost 1 KB gzip more (a list) or 355 B (ten views), as a string built at
/// run time 325 B; this, 200 B.
pub const AUDIT_FILTER_OPTIONS: &str = {
    const ANY: &[u8] = br#"<option value="">Any action</option>"#;
    const LEN: usize = {
        let (mut i, mut len) = (0, ANY.len());
        while i < AUDIT_FILTER.len() {
            len += "<option></option>".len() + AUDIT_FILTER[i].len();
            i += 1;
        }
        len
    };
    const fn put(out: &mut [u8; LEN], at: usize, part: &[u8]) -> usize {
        let mut i = 0;
        while i < part.len() {
            out[at + i] = part[i];
            i += 1;
        }
        at + part.len()
    }
    const BYTES: [u8; LEN] = {
        let mut out = [0; LEN];
        let (mut i, mut at) = (0, put(&mut out, 0, ANY));
        while i < AUDIT_FILTER.len() {
            at = put(&mut out, at, b"<option>");
            at = put(&mut out, at, AUDIT_FILTER[i].as_bytes());
            at = put(&mut out, at, b"</option>");
            i += 1;
        }
        out
    };
    match core::str::from_utf8(&BYTES) {
        Ok(html) => html,
        Err(_) => panic!("ASCII"),
    }
};

/// A filter's value in the submitted form, `None` when left empty (or "any").
fn chosen(form: &web_sys::FormData, name: &str) -> Option<String> {
    let v = form.get(name).as_string()?.trim().to_owned();
    (!v.is_empty()).then_some(v)
}

/// Whether an event matters by default: it changed something, or it was refused (a read that
/// succeeded is shown on request).
pub fn matters(e: &AuditEvent) -> bool {
    e.outcome == Outcome::Failure || Action::parse(&e.action).is_none_or(Action::changes_state)
}

/// The audit trail, newest first, filtered by user, action, outcome and device, with paging.
#[component]
fn AuditTrail() -> impl IntoView {
    // The filters of the list shown, for "Older events": set when an answer arrives, so a
    // refused filter leaves the list and its paging as they were.
    let applied = StoredValue::new(LookupEventsRequest {
        max_results: Some(25),
        ..LookupEventsRequest::default()
    });
    // Each load's number: an answer that a later load overtook is dropped, so the list never
    // mixes pages of two filters.
    let generation = StoredValue::new(0u32);
    let pages = RwSignal::new(Vec::<LookupEventsResponse>::new());
    let show_reads = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let loading = RwSignal::new(false);
    let load = move |request: LookupEventsRequest| {
        generation.update_value(|g| *g += 1);
        let this = generation.get_value();
        run_call(loading, api::lookup_events(&request), move |answer| {
            if generation.get_value() != this {
                return;
            }
            match answer {
                Ok(r) => {
                    error.set(None);
                    let more = request.next_token.is_some();
                    applied.set_value(LookupEventsRequest {
                        next_token: None,
                        ..request
                    });
                    pages.update(|p| {
                        if !more {
                            p.clear();
                        }
                        p.push(r);
                    });
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    load(applied.get_value());
    let next = move || pages.with(|p| p.last().and_then(|l| l.next_token.clone()));
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            // Plain markup, read through `FormData` on submit: no signal per field (the
            // bound version cost 1.4 KB gzip of wasm).
            <form class="inline" aria-label="Filter the audit trail" on:submit=move |ev| {
                ev.prevent_default();
                let Some(form) = ev.target().and_then(|t| t.dyn_into().ok()) else { return };
                let Ok(form) = web_sys::FormData::new_with_form(&form) else { return };
                load(LookupEventsRequest {
                    user_name: chosen(&form, "user"),
                    action: chosen(&form, "action"),
                    outcome: chosen(&form, "outcome").and_then(|o| Outcome::parse(&o)),
                    serial_number: chosen(&form, "serial"),
                    max_results: Some(25),
                    next_token: None,
                });
            }>
                <div class="field">
                    <label for="audit-user">"User name"</label>
                    <input id="audit-user" name="user" type="text" />
                </div>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" name="action" inner_html=AUDIT_FILTER_OPTIONS></select>
                </div>
                <div class="field">
                    <label for="audit-outcome">"Outcome"</label>
                    <select id="audit-outcome" name="outcome">
                        <option value="">"Any outcome"</option>
                        <option>"Success"</option>
                        <option>"Failure"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="audit-serial">"Device serial number"</label>
                    <input id="audit-serial" name="serial" type="text" />
                </div>
                <button type="submit">"Filter"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error-box" role="alert">{advice(&e, Doing::Other)}</p> })}
            // Changes and refusals first; the read-only calls that succeeded (most of the
            // trail) one click away, or shown when an action is chosen in the filter.
            <label class="radio">
                <input type="checkbox" prop:checked=move || show_reads.get()
                    on:change=move |_| show_reads.update(|v| *v = !*v) />
                "Show successful read-only calls too"
            </label>
            // A card per event on a phone (CSS), a table that fits the card on a desktop.
            <div class="table-wrap" tabindex="0" role="region" aria-label="Audit events">
                <table class="audit">
                    <thead><tr>
                        <th scope="col">"Time (UTC)"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                        <th scope="col">"User"</th><th scope="col">"Device"</th><th scope="col">"Outcome"</th>
                    </tr></thead>
                    <tbody>
                        {move || {
                            let all = show_reads.get() || applied.with_value(|a| a.action.is_some());
                            pages.get().into_iter().flat_map(|p| p.events).filter(|e| all || matters(e)).map(|e| view! {
                                <tr>
                                    <td data-label="Time">{e.event_time.replacen('T', " ", 1)}</td>
                                    <td data-label="Actor"><code inner_html=breakable(&e.actor)></code></td>
                                    <td data-label="Action" inner_html=breakable(&e.action)></td>
                                    <td data-label="User">{e.target_user.unwrap_or_default()}</td>
                                    <td data-label="Device"><code inner_html=breakable(&e.serial_number.unwrap_or_default())></code></td>
                                    <td data-label="Outcome" inner_html=match e.outcome {
                                        Outcome::Success => "Success".to_string(),
                                        Outcome::Failure => format!("Failure: {}", breakable(&e.error_code.unwrap_or_default())),
                                    } + &e.repeats.map(|n| format!(" ×{n}, the last at {}", e.last_event_time.unwrap_or_default())).unwrap_or_default()></td>
                                </tr>
                            }).collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            {move || pages.with(|p| !p.is_empty() && p.iter().all(|p| p.events.is_empty())).then(|| view! {
                <p role="status">"No events match these filters."</p>
            })}
            {move || next().map(|token| view! {
                <button type="button" class="secondary" on:click=move |_| load(LookupEventsRequest {
                    next_token: Some(token.clone()),
                    ..applied.get_value()
                })>
                    "Older events"
                </button>
            })}
        </section>
    }
}

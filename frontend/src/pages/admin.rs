//! Administration, where policy allows: the account's users, a user's devices (resync on their
//! behalf with codes read from the device by whoever holds it, unlock, deactivate), and the
//! audit trail filtered by user.

use leptos::prelude::*;
use shared::api::{LookupEventsRequest, LookupEventsResponse, Outcome};

use crate::api::{self, ApiError, Doing};
use crate::app_state::use_auth;
use crate::background::run;
use crate::components::device_table::DeviceTable;

/// The administration page.
#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    let users = RwSignal::new(None);
    run(RwSignal::new(false), api::list_users(), move |r| match r {
        Err(e) if e.is_signed_out() => auth.expired(),
        r => users.set(Some(r)),
    });
    let chosen = RwSignal::new(None::<String>);
    view! {
        <h1>"Administration"</h1>
        {move || match users.get() {
            None => view! { <p role="status">"Loading users…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error-box" role="alert">{denied_sentence(&e)}</p> }.into_any(),
            Some(Ok(list)) => view! {
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

fn denied_sentence(e: &ApiError) -> String {
    match e.code() {
        Some(shared::api::ErrorCode::AccessDenied) => {
            "Your policy does not allow administering users. Ask an administrator of this account."
                .into()
        }
        _ => api::advice(e, Doing::Other),
    }
}

/// The audit trail, newest first, with a user filter and paging.
#[component]
fn AuditTrail() -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let pages = RwSignal::new(Vec::<LookupEventsResponse>::new());
    let error = RwSignal::new(None::<ApiError>);
    let loading = RwSignal::new(false);
    let load = move |user: String, token: Option<String>| {
        let more = token.is_some();
        let request = LookupEventsRequest {
            user_name: (!user.is_empty()).then_some(user),
            max_results: Some(25),
            next_token: token,
        };
        run(
            loading,
            async move { api::lookup_events(&request).await },
            move |answer| match answer {
                Ok(r) => {
                    error.set(None);
                    pages.update(|p| {
                        if !more {
                            p.clear();
                        }
                        p.push(r);
                    });
                }
                Err(e) => error.set(Some(e)),
            },
        );
    };
    load(String::new(), None);
    let next = move || pages.with(|p| p.last().and_then(|l| l.next_token.clone()));
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <form class="inline" on:submit=move |ev| {
                ev.prevent_default();
                load(filter.get_untracked().trim().to_owned(), None);
            }>
                <div class="field">
                    <label for="audit-user">"Only events of user"</label>
                    <input id="audit-user" type="text" prop:value=move || filter.get()
                        on:input=move |ev| filter.set(event_target_value(&ev)) />
                </div>
                <button type="submit">"Filter"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error-box" role="alert">{api::advice(&e, Doing::Other)}</p> })}
            <div class="table-wrap" tabindex="0" role="region" aria-label="Audit events">
                <table>
                    <thead><tr>
                        <th scope="col">"Time (UTC)"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                        <th scope="col">"User"</th><th scope="col">"Device"</th><th scope="col">"Outcome"</th>
                    </tr></thead>
                    <tbody>
                        {move || pages.get().into_iter().flat_map(|p| p.events).map(|e| view! {
                            <tr>
                                <td>{e.event_time}</td>
                                <td><code>{e.actor}</code></td>
                                <td>{e.action}</td>
                                <td>{e.target_user.unwrap_or_default()}</td>
                                <td><code>{e.serial_number.unwrap_or_default()}</code></td>
                                <td>{match e.outcome {
                                    Outcome::Success => "Success".to_string(),
                                    Outcome::Failure => format!("Failure: {}", e.error_code.unwrap_or_default()),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {move || next().map(|token| view! {
                <button type="button" class="secondary" on:click=move |_| {
                    load(filter.get_untracked().trim().to_owned(), Some(token.clone()));
                }>"Older events"</button>
            })}
        </section>
    }
}

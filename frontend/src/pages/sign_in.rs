//! Sign-in: an IAM user (account id or alias, user name, password) or the root user (email,
//! password), then the device's code. A refused code offers the troubleshoot page.

use leptos::prelude::*;
use shared::api::{
    ErrorCode, MfaSignInRequest, MfaSignInResponse, RootSignInRequest, SignInRequest,
    SignInResponse,
};

use crate::api::{self, ApiError};
use crate::app_state::use_auth;
use crate::background::run_call;
use crate::components::code_input::{CodeInput, check_code, focus_when_mounted};
use crate::components::device_picker::{DevicePicker, code_devices, fido_note};
use crate::components::error_notice::{Doing, ErrorNotice, Failure, resync_helps, still_throttled};
use crate::components::link::Link;
use crate::components::submit_button::submit_button;
use crate::live::use_clock;
use crate::nav::Page;

/// The sign-in page: the password step, or the code step for a password-only session.
#[component]
pub fn SignInPage() -> impl IntoView {
    let auth = use_auth();
    // Only a change of this answer swaps the step: the session's kind also changes from
    // "not checked yet" to "signed out" while the person may already be typing.
    let password_only = Memo::new(move |_| auth.password_only());
    view! {
        <h1>"Sign in"</h1>
        {move || auth.notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        {move || if password_only.get() {
            view! { <MfaStep /> }.into_any()
        } else {
            view! { <PasswordStep /> }.into_any()
        }}
    }
}

/// A required, labelled input bound to `value`. One non-generic function: each inline copy of
/// this markup instantiated the view machinery anew.
#[inline(never)]
fn text_field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
) -> AnyView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type=kind autocomplete=autocomplete required=true
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </div>
    }
    .into_any()
}

/// Who signs in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    IamUser,
    Root,
}

/// The password step.
#[component]
fn PasswordStep() -> impl IntoView {
    let auth = use_auth();
    let (who, set_who) = signal(Who::IamUser);
    let account = RwSignal::new(String::new());
    let user_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<Failure>);
    let pending = RwSignal::new(false);
    let answered = move |answer: Result<SignInResponse, ApiError>| match answer {
        Ok(answer) => {
            failure.set(None);
            password.set(String::new());
            auth.password_accepted(answer, pending);
        }
        Err(e) => failure.set(Some(Failure::now(e))),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (a, u, e, p) = (
            account.get_untracked(),
            user_name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
        );
        let who = who.get_untracked();
        let call = match who {
            Who::IamUser => api::sign_in(&SignInRequest {
                account: a.trim().into(),
                user_name: u.trim().into(),
                password: p,
            }),
            Who::Root => api::sign_in_root(&RootSignInRequest {
                email: e.trim().into(),
                password: p,
            }),
        };
        run_call(pending, call, answered);
    };
    view! {
        <form class="card" on:submit=submit>
            <fieldset class="choice">
                <legend>"Sign in as"</legend>
                <label class="radio">
                    <input type="radio" name="who" prop:checked=move || who.get() == Who::IamUser
                        on:change=move |_| set_who.set(Who::IamUser) />
                    " IAM user"
                </label>
                <label class="radio">
                    <input type="radio" name="who" prop:checked=move || who.get() == Who::Root
                        on:change=move |_| set_who.set(Who::Root) />
                    " Root user"
                </label>
            </fieldset>
            {move || if who.get() == Who::Root { view! {
                {text_field("email", "Root user email address", "email", "username", email)}
            }.into_any() } else { view! {
                {text_field("account", "Account ID (12 digits) or account alias", "text", "organization", account)}
                {text_field("user-name", "IAM user name", "text", "username", user_name)}
            }.into_any() }}
            {text_field("password", "Password", "password", "current-password", password)}
            <ErrorNotice failure=failure doing=Doing::SignIn />
            <div class="actions">
                {submit_button("Sign in", "Signing in…", pending.into(), false.into())}
            </div>
            <p class="hint">"Codes refused? Sign in with your password first: the next step offers a resync. "
                <Link to=Page::Troubleshoot text="Having problems with your authentication device?" />
            </p>
        </form>
    }
}

/// The code step of a password-only session.
#[component]
fn MfaStep() -> impl IntoView {
    let auth = use_auth();
    // After a reload the sign-in answer is gone: list the caller's own devices instead.
    if auth.devices_untracked().is_empty() {
        run_call(
            RwSignal::new(false),
            api::device_choices(),
            move |answer| match answer {
                Ok(devices) => auth.devices_listed(devices),
                Err(e) if e.is_signed_out() => auth.expired(),
                Err(_) => {}
            },
        );
    }
    let options = Signal::derive(move || auth.with_devices(code_devices));
    let has_fido = move || auth.with_devices(|d| d.iter().any(|d| !d.kind.has_codes()));
    let selected = auth.chosen_device();
    view! {
        <CodeStep heading="Multi-factor authentication" id="mfa-code" label="MFA code" serial=selected
            secondary="Cancel and start again" on_secondary=Callback::new(move |()| auth.sign_out())>
            <p>"Your password was accepted. Enter the code your MFA device shows now."</p>
            <DevicePicker devices=options selected=selected legend="Sign in with which device?" />
            {move || has_fido().then(fido_note)}
        </CodeStep>
        <p>
            <Link to=Page::Troubleshoot text="Having problems with your authentication device?" />
        </p>
    }
}

/// One code that finishes signing in: the code step of sign-in, and the last step of
/// troubleshooting (one component for both: the app's size budget).
#[component]
pub fn CodeStep(
    /// The card's heading.
    heading: &'static str,
    /// The field's id.
    id: &'static str,
    /// The field's label.
    label: &'static str,
    /// The device the code comes from.
    #[prop(into)]
    serial: Signal<Option<String>>,
    /// A code refused before it is sent, with the sentence that says why (code 2 of the
    /// resync just made: the device may still show it).
    #[prop(default = None)]
    used: Option<(String, &'static str)>,
    /// Called instead of showing a refusal that a resync would fix (troubleshooting starts
    /// over); without it the refusal offers "Resynchronise this device".
    #[prop(default = None)]
    on_refused: Option<Callback<()>>,
    /// The second button's text.
    secondary: &'static str,
    /// What the second button does.
    on_secondary: Callback<()>,
    /// What comes before the field.
    children: Children,
) -> impl IntoView {
    let auth = use_auth();
    let clock = use_clock();
    let code = RwSignal::new(String::new());
    let code_error = RwSignal::new(None::<String>);
    let code_ref = NodeRef::new();
    focus_when_mounted(code_ref);
    let failure = RwSignal::new(None::<Failure>);
    let pending = RwSignal::new(false);
    let answered = move |answer: Result<MfaSignInResponse, ApiError>| match answer {
        Ok(_) => auth.mfa_accepted(pending),
        Err(e) if e.is_signed_out() => auth.expired(),
        Err(e) => {
            if let Some(restart) = on_refused.filter(|_| resync_helps(&e)) {
                return restart.run(());
            }
            // A throttle's 429 checked nothing: the code typed is kept.
            if e.code() != Some(ErrorCode::LimitExceeded) {
                code.set(String::new());
            }
            failure.set(Some(Failure::now(e)));
        }
    };
    let blocked =
        Signal::derive(move || failure.with(|f| still_throttled(f, clock.browser_now_ms())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if blocked.get_untracked() {
            return;
        }
        failure.set(None);
        match check_code(&code.get_untracked()) {
            // Code 2 again: used by the resync, so refused here, unsent.
            Ok(c) if used.as_ref().is_some_and(|(u, _)| u == c.as_str()) => {
                code_error.set(used.as_ref().map(|(_, why)| why.to_string()));
            }
            Ok(c) => {
                code_error.set(None);
                let request = MfaSignInRequest {
                    authentication_code: c.as_str().to_owned(),
                    serial_number: serial.get_untracked(),
                };
                run_call(pending, api::sign_in_mfa(&request), answered);
            }
            Err(e) => code_error.set(Some(e.to_string())),
        }
    };
    view! {
        <form class="card" novalidate=true on:submit=submit>
            <h2>{heading}</h2>
            {children()}
            <CodeInput id=id label=label value=code error=code_error
                node_ref=code_ref disabled=Signal::derive(move || pending.get() || blocked.get()) />
            <ErrorNotice failure=failure doing=Doing::MfaCode resync_link=on_refused.is_none() />
            <div class="actions">
                {submit_button("Sign in", "Checking…", pending.into(), blocked)}
                <button type="button" class="secondary" on:click=move |_| on_secondary.run(())>
                    {secondary}
                </button>
            </div>
        </form>
    }
}

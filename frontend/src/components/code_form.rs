//! Two consecutive codes and the warning timer: the form of a resync and of enabling a new
//! virtual device (IAM's `AuthenticationCode1` and `AuthenticationCode2`).

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::code_input::{CodeInput, check_code, focus_when_mounted, is_complete};
use crate::components::submit_button::submit_button;
use crate::components::warning_timer::WarningTimer;
use crate::live::use_clock;
use crate::timer::Timer;

/// Two codes, checked with `shared`'s rules, handed over as typed (spaces dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodePair {
    /// The first code.
    pub code1: String,
    /// The code the device showed next.
    pub code2: String,
}

/// The two code fields, the warning timer and the submit button.
#[component]
pub fn CodeForm(
    /// The submit button's text.
    submit_label: &'static str,
    /// Called with two valid codes.
    #[prop(into)]
    on_submit: Callback<CodePair>,
    /// A request is under way: the fields and button are disabled.
    #[prop(into)]
    pending: Signal<bool>,
    /// Submitting is not possible now (e.g. while throttled).
    #[prop(optional, into)]
    blocked: Signal<bool>,
    /// Prefix for the element ids, unique on the page.
    #[prop(default = "resync")]
    id_prefix: &'static str,
    /// Put focus on code 1 when shown (after a refusal starts the form over).
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    let clock = use_clock();
    let code1 = RwSignal::new(String::new());
    let code2 = RwSignal::new(String::new());
    let error1 = RwSignal::new(None::<String>);
    let error2 = RwSignal::new(None::<String>);
    let timer = RwSignal::new(Timer::new(30));
    let code1_ref = NodeRef::<Input>::new();
    let code2_ref = NodeRef::<Input>::new();
    if autofocus {
        focus_when_mounted(code1_ref);
    }

    // The timer learns when each field becomes complete or incomplete.
    Effect::new(move |_| {
        let complete = is_complete(&code1.get());
        let now = clock.now_ms_untracked();
        timer.update(|t| t.set_code1(if complete { now } else { None }));
        if complete {
            error1.set(None);
        }
    });
    Effect::new(move |_| {
        let complete = is_complete(&code2.get());
        let now = clock.now_ms_untracked();
        timer.update(|t| t.set_code2(if complete { now } else { None }));
        if complete {
            error2.set(None);
        }
    });

    let clear = Callback::new(move |()| {
        code1.set(String::new());
        code2.set(String::new());
        error1.set(None);
        error2.set(None);
        timer.update(Timer::reset);
        if let Some(input) = code1_ref.get_untracked() {
            let _ = input.focus();
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() || blocked.get_untracked() {
            return;
        }
        let first = check_code(&code1.get_untracked());
        let second = check_code(&code2.get_untracked());
        error1.set(first.as_ref().err().map(ToString::to_string));
        error2.set(second.as_ref().err().map(ToString::to_string));
        match (first, second) {
            (Ok(a), Ok(b)) => on_submit.run(CodePair {
                code1: a.as_str().to_owned(),
                code2: b.as_str().to_owned(),
            }),
            (Err(_), _) => {
                if let Some(input) = code1_ref.get_untracked() {
                    let _ = input.focus();
                }
            }
            (_, Err(_)) => {
                if let Some(input) = code2_ref.get_untracked() {
                    let _ = input.focus();
                }
            }
        }
    };

    let id1: &'static str = if id_prefix == "enable" {
        "enable-code-1"
    } else {
        "code-1"
    };
    let id2: &'static str = if id_prefix == "enable" {
        "enable-code-2"
    } else {
        "code-2"
    };
    view! {
        <form class="code-form" novalidate=true on:submit=submit>
            <div class="code-fields">
                <CodeInput
                    id=id1
                    label="Code 1"
                    hint="The code your device shows now"
                    value=code1
                    error=error1
                    node_ref=code1_ref
                    disabled=pending
                    on_complete=Callback::new(move |()| {
                        if let Some(input) = code2_ref.get_untracked() {
                            let _ = input.focus();
                        }
                    })
                />
                <CodeInput
                    id=id2
                    label="Code 2"
                    hint="The next code, once it appears"
                    value=code2
                    error=error2
                    node_ref=code2_ref
                    disabled=pending
                />
            </div>
            <WarningTimer timer=timer on_clear=clear />
            <div class="actions">
                {submit_button(submit_label, "Checking…", pending, blocked)}
                <button type="button" class="secondary" on:click=move |_| clear.run(())>
                    "Clear"
                </button>
            </div>
        </form>
    }
}

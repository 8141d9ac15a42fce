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

/// What code 2 says when it repeats code 1.
pub const SAME_CODE_TWICE: &str =
    "You typed the same code twice: code 2 is the next code your device shows, after code 1.";

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
    /// Put focus on code 1 when shown (the page opens on it, or a refusal starts it over).
    #[prop(optional)]
    autofocus: bool,
    /// A counter-based (HOTP) token: its codes come from a button press and never expire, so
    /// there is no step timer and no stale warning.
    #[prop(optional)]
    counter: bool,
    /// The button that sends codes the timer calls stale, after a fresh confirmation
    /// ("Resynchronise anyway").
    #[prop(default = "Send anyway")]
    anyway_label: &'static str,
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

    // Once the codes may have expired, the submit button stops sending them: only the stale
    // warning's own button does, a fresh confirmation (a stale pair "appears to work").
    let stale = Memo::new(move |_| {
        !counter
            && clock
                .now_ms()
                .is_some_and(|now| timer.with(|t| t.is_stale(now)))
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

    let send = move |anyway: bool| {
        if pending.get_untracked() || blocked.get_untracked() || (stale.get_untracked() && !anyway)
        {
            return;
        }
        let first = check_code(&code1.get_untracked());
        let second = check_code(&code2.get_untracked());
        error1.set(first.as_ref().err().map(ToString::to_string));
        error2.set(second.as_ref().err().map(ToString::to_string));
        match (first, second) {
            // Never consecutive: said before anything is sent (or counted).
            (Ok(a), Ok(b)) if a.as_str() == b.as_str() => {
                error2.set(Some(SAME_CODE_TWICE.into()));
                if let Some(input) = code2_ref.get_untracked() {
                    let _ = input.focus();
                }
            }
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
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(false);
    };
    let submit_blocked = Signal::derive(move || blocked.get() || stale.get());
    // While the server makes the person wait, nothing can be typed or sent, and the step
    // timer (which would run beside the wait's countdown) is hidden.
    // A memo: `blocked` follows the ticking clock, and the timer must not be rebuilt each tick.
    let waiting = Memo::new(move |_| blocked.get());
    let fields_off = Signal::derive(move || pending.get() || waiting.get());

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
                    hint=if counter { "Press the token's button and enter its code" } else { "Showing now" }
                    value=code1
                    error=error1
                    node_ref=code1_ref
                    disabled=fields_off
                    on_complete=Callback::new(move |()| {
                        if let Some(input) = code2_ref.get_untracked() {
                            let _ = input.focus();
                        }
                    })
                />
                <CodeInput
                    id=id2
                    label="Code 2"
                    hint=if counter { "Press the button again for the next code" } else { "The next one" }
                    value=code2
                    error=error2
                    node_ref=code2_ref
                    disabled=fields_off
                />
            </div>
            {move || if waiting.get() {
                ().into_any()
            } else if counter {
                view! { <p class="phase" data-testid="timer-phase">"Press the token's button for each code. Its codes do not expire."</p> }.into_any()
            } else {
                view! {
                    <WarningTimer timer=timer on_clear=clear anyway_label=anyway_label
                        on_anyway=Callback::new(move |()| send(true)) />
                }.into_any()
            }}
            <div class="actions">
                {submit_button(submit_label, "Checking…", pending, submit_blocked)}
                <button type="button" class="secondary" on:click=move |_| clear.run(())>
                    "Clear"
                </button>
            </div>
        </form>
    }
}

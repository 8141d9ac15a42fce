//! One code field: numeric keyboard, the browser's one-time-code autofill, a paste such as
//! "123 456" accepted (spaces dropped before anything is sent: the server never trims, see
//! `shared::code`), and the validation sentence of `shared`'s `Code`, as the server words it.

use leptos::html::Input;
use leptos::prelude::*;
use shared::code::{Code, CodeError, Digits};

/// Drops the spaces a person or a paste puts between the digit groups ("123 456").
pub fn without_spaces(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Checks a typed code with `shared`'s rules; `Err` holds the sentence to show.
pub fn check_code(input: &str) -> Result<Code, CodeError> {
    Code::parse(input, Digits::SIX)
}

/// Moves focus to `input` once it is in the document (a step that replaces the page's content
/// would otherwise leave keyboard users at the top of the page).
pub fn focus_when_mounted(input: NodeRef<Input>) {
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
}

/// Whether `input` is a complete six-digit code.
pub fn is_complete(input: &str) -> bool {
    check_code(input).is_ok()
}

/// A labelled one-time-code field with its error message.
#[component]
pub fn CodeInput(
    /// The element id; the label and the error message refer to it.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// What is typed (spaces already dropped).
    value: RwSignal<String>,
    /// The validation or server message for this field, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// A reference to the input, to move focus to it.
    #[prop(optional)]
    node_ref: NodeRef<Input>,
    /// Called when the field becomes a complete six-digit code.
    #[prop(optional, into)]
    on_complete: Option<Callback<()>>,
    /// A hint under the label.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Disables the field (while a request is under way).
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=id
                node_ref=node_ref
                class="code"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxlength="12"
                spellcheck="false"
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
                disabled=move || disabled.get()
                prop:value=move || value.get()
                on:input=move |ev| {
                    let clean = without_spaces(&event_target_value(&ev));
                    let complete = is_complete(&clean);
                    let was_complete = is_complete(&value.get_untracked());
                    value.set(clean);
                    if complete && !was_complete && let Some(cb) = on_complete {
                        cb.run(());
                    }
                }
            />
            <p class="error" id=error_id.clone() hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

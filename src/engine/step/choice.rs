//! A `choice` node: buttons to pick from, or the number or label typed.

use serde_json::Value;

use super::io::{Button, Input};
use super::machine::{lay_out, Given, Handled, Run};
use crate::engine::callback::Token;
use crate::engine::model::Choice;
use crate::i18n::Lang;

pub(super) fn answer(
    run: &mut Run<'_>,
    choices: &[Choice],
    save: Option<&String>,
    given: Given<'_>,
) -> Handled {
    let lang = run.lang();
    let picked = match given {
        Given::Token(Token::Choice(key)) => choices.iter().find(|c| c.key == key),
        Given::Input(Input::Text(t)) => {
            let t = t.trim();
            let by_number = t
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| choices.get(i));
            by_number.or_else(|| {
                choices.iter().find(|c| {
                    Lang::ALL
                        .iter()
                        .any(|l| c.label.get(*l).trim().eq_ignore_ascii_case(t))
                })
            })
        }
        _ => None,
    };
    let Some(c) = picked else {
        return Handled::Fail(None);
    };
    for (k, v) in &c.set {
        let v = run.arg(v);
        run.save(k, v);
    }
    if let Some(save) = save {
        run.save(save, Value::String(c.key.clone()));
        run.save(
            &format!("{save}_label"),
            Value::String(c.label.get(lang).to_string()),
        );
    }
    Handled::Next(c.next.clone())
}

pub(super) fn rows(run: &Run<'_>, choices: &[Choice], columns: Option<u8>) -> Vec<Vec<Button>> {
    let buttons: Vec<Button> = choices
        .iter()
        .map(|c| {
            run.button(
                c.label.get(run.lang()).to_string(),
                &Token::Choice(c.key.clone()),
            )
        })
        .collect();
    lay_out(buttons, columns.map(usize::from))
}

/// The label of the button with `key`, for the transcript.
pub(super) fn label(run: &Run<'_>, choices: &[Choice], key: &str) -> String {
    choices
        .iter()
        .find(|c| c.key == key)
        .map_or_else(|| key.to_string(), |c| c.label.get(run.lang()).to_string())
}

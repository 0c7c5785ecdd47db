//! A `yes_no` node: Yes/No buttons (or the word typed), each with its own
//! next node.

use serde_json::Value;

use super::io::{Button, Input};
use super::machine::{Given, Handled, Run};
use crate::engine::callback::Token;
use crate::texts::engine as phrases;

pub(super) fn answer(
    run: &mut Run<'_>,
    save: Option<&String>,
    yes: &str,
    no: &str,
    given: Given<'_>,
) -> Handled {
    let answer = match given {
        Given::Token(Token::Yes) => Some(true),
        Given::Token(Token::No) => Some(false),
        Given::Input(Input::Text(t)) => typed(t),
        _ => None,
    };
    let Some(answer) = answer else {
        return Handled::Fail(None);
    };
    if let Some(save) = save {
        run.save(save, Value::Bool(answer));
    }
    Handled::Next(if answer { yes } else { no }.to_string())
}

pub(super) fn rows(run: &Run<'_>) -> Vec<Vec<Button>> {
    vec![vec![
        run.button(run.phrase(phrases::YES), &Token::Yes),
        run.button(run.phrase(phrases::NO), &Token::No),
    ]]
}

fn typed(t: &str) -> Option<bool> {
    match t.trim().to_lowercase().as_str() {
        "y" | "yes" | "是" | "是的" | "好" | "对" | "1" => Some(true),
        "n" | "no" | "否" | "不" | "不是" | "不用" | "2" => Some(false),
        _ => None,
    }
}

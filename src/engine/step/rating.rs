//! A `rating` node: one to five stars, pressed or typed.

use serde_json::json;

use super::io::{Button, Input};
use super::machine::{Given, Handled, Run};
use crate::engine::callback::Token;

pub(super) fn answer(run: &mut Run<'_>, save: &str, next: &str, given: Given<'_>) -> Handled {
    let r = match given {
        Given::Token(Token::Rating(r)) => Some(r),
        Given::Input(Input::Text(t)) => t.trim().parse::<u8>().ok(),
        _ => None,
    };
    match r {
        Some(r) if (1..=5).contains(&r) => {
            run.save(save, json!(r));
            Handled::Next(next.to_string())
        }
        _ => Handled::Fail(None),
    }
}

pub(super) fn rows(run: &Run<'_>) -> Vec<Vec<Button>> {
    vec![(1..=5u8)
        .map(|r| run.button(format!("{r} ★"), &Token::Rating(r)))
        .collect()]
}

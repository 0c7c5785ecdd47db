//! A `location` node: a reply keyboard that shares the owner's location.

use serde_json::json;

use super::io::{Button, Input, Keyboard};
use super::machine::{Given, Handled, Run};
use crate::engine::callback::Token;
use crate::i18n::Text;
use crate::texts::engine as phrases;

pub(super) fn answer(
    run: &mut Run<'_>,
    optional: bool,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    match given {
        Given::Token(Token::Skip) if optional => run.skip(save, next),
        Given::Input(Input::Location {
            latitude,
            longitude,
        }) => {
            run.save(save, json!({"latitude": latitude, "longitude": longitude}));
            Handled::Next(next.to_string())
        }
        _ => Handled::Fail(None),
    }
}

/// The question with the location button, then the inline rows (Skip when
/// optional, and the navigation) under a hint.
pub(super) fn show(
    run: &mut Run<'_>,
    text: String,
    button: &Text,
    optional: bool,
    mut rows: Vec<Vec<Button>>,
) {
    let label = button.get(run.lang()).to_string();
    run.reply(text, Keyboard::RequestLocation { label });
    if optional {
        rows.insert(0, run.skip_row());
    }
    let hint = run.phrase(phrases::NAV_HINT);
    run.reply(hint, Keyboard::Inline(rows));
}

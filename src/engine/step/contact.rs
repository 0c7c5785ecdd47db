//! A `contact` node: a reply keyboard that shares the owner's own phone.

use serde_json::Value;

use super::io::{Button, Input, Keyboard};
use super::machine::{Given, Handled, Run};
use crate::i18n::Text;
use crate::texts::engine as phrases;

pub(super) fn answer(run: &mut Run<'_>, save: &str, next: &str, given: Given<'_>) -> Handled {
    let Given::Input(Input::Contact { phone, is_own }) = given else {
        return Handled::Fail(None);
    };
    if !is_own {
        return Handled::Fail(Some(run.phrase(phrases::CONTACT_NOT_OWN)));
    }
    run.save(save, Value::String(phone.clone()));
    Handled::Next(next.to_string())
}

/// The question with the contact button, then the navigation under a hint.
pub(super) fn show(run: &mut Run<'_>, text: String, button: &Text, rows: Vec<Vec<Button>>) {
    let label = button.get(run.lang()).to_string();
    run.reply(text, Keyboard::RequestContact { label });
    let hint = run.phrase(phrases::NAV_HINT);
    run.reply(hint, Keyboard::Inline(rows));
}

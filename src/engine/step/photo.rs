//! A `photo` node: up to `max` photos, kept as attachments of its field;
//! Done when there is at least one, Skip when optional and there is none.

use serde_json::json;

use super::io::{Button, Input, Keyboard};
use super::machine::{Given, Handled, Run};
use super::state::Attachment;
use crate::engine::callback::Token;
use crate::texts::engine as phrases;

pub(super) fn answer(
    run: &mut Run<'_>,
    max: usize,
    optional: bool,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    let lang = run.lang();
    let have = run
        .state
        .attachments
        .iter()
        .filter(|a| a.field == save)
        .count();
    match given {
        Given::Token(Token::Skip) if optional && have == 0 => {
            run.save(save, json!(0));
            Handled::Next(next.to_string())
        }
        Given::Token(Token::Done) if have > 0 => Handled::Next(next.to_string()),
        Given::Input(Input::Photos(photos)) if !photos.is_empty() => {
            let mut count = have;
            let mut trimmed = false;
            for p in photos {
                let dup = run
                    .state
                    .attachments
                    .iter()
                    .any(|a| a.field == save && a.file_unique_id == p.file_unique_id);
                if dup {
                    continue;
                }
                if count >= max {
                    trimmed = true;
                    continue;
                }
                run.state.attachments.push(Attachment {
                    field: save.to_string(),
                    file_id: p.file_id.clone(),
                    file_unique_id: p.file_unique_id.clone(),
                });
                count += 1;
            }
            run.save(save, json!(count));
            let max_s = max.to_string();
            if trimmed {
                let text = phrases::PHOTOS_TRIMMED.fill(lang, &[("max", &max_s)]);
                run.reply(text, Keyboard::None);
            }
            if count >= max {
                return Handled::Next(next.to_string());
            }
            run.state.tries = 0;
            let text =
                phrases::PHOTOS_RECEIVED.fill(lang, &[("n", &count.to_string()), ("max", &max_s)]);
            Handled::Again(text)
        }
        _ => Handled::Fail(None),
    }
}

pub(super) fn rows(run: &Run<'_>, optional: bool, save: &str) -> Vec<Vec<Button>> {
    if run.state.attachments.iter().any(|a| a.field == save) {
        vec![vec![run.button(run.phrase(phrases::DONE), &Token::Done)]]
    } else if optional {
        vec![run.skip_row()]
    } else {
        Vec::new()
    }
}

/// Arriving at the prompt (again) starts its photos afresh.
pub(super) fn clear(run: &mut Run<'_>, save: &str) {
    run.state.attachments.retain(|a| a.field != save);
    run.state.vars.remove(save);
}

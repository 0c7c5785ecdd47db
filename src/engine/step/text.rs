//! A `text` node: free text within length limits, optionally matching a
//! pattern.

use regex::Regex;
use serde_json::Value;

use super::io::{Button, Input};
use super::machine::{Given, Handled, Run};
use crate::engine::callback::Token;
use crate::texts::{engine as phrases, fill};

/// Takes an answer to a text node; the arguments are its fields.
#[allow(clippy::too_many_arguments)]
pub(super) fn answer(
    run: &mut Run<'_>,
    min_chars: usize,
    max_chars: usize,
    pattern: Option<&Regex>,
    example: Option<&String>,
    optional: bool,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    let lang = run.lang();
    match given {
        Given::Token(Token::Skip) if optional => run.skip(save, next),
        Given::Input(Input::Text(t)) => {
            let t = t.trim();
            let len = t.chars().count();
            if len > max_chars {
                let (len, max) = (len.to_string(), max_chars.to_string());
                return Handled::Fail(Some(fill(
                    phrases::TOO_LONG.get(lang),
                    &[("len", &len), ("max", &max)],
                )));
            }
            if len < min_chars {
                let min = min_chars.to_string();
                return Handled::Fail(Some(fill(phrases::TOO_SHORT.get(lang), &[("min", &min)])));
            }
            if !t.chars().any(char::is_alphanumeric) {
                return Handled::Fail(Some(run.phrase(phrases::NO_LETTERS)));
            }
            if let Some(re) = pattern {
                if !re.is_match(t) {
                    let ex = example.cloned().unwrap_or_default();
                    return Handled::Fail(Some(fill(
                        phrases::PATTERN_MISMATCH.get(lang),
                        &[("example", &ex)],
                    )));
                }
            }
            run.save(save, Value::String(t.to_string()));
            Handled::Next(next.to_string())
        }
        _ => Handled::Fail(None),
    }
}

pub(super) fn rows(run: &Run<'_>, optional: bool) -> Vec<Vec<Button>> {
    if optional {
        vec![run.skip_row()]
    } else {
        Vec::new()
    }
}

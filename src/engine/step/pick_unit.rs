//! A `pick_unit` node: one button per unit, from a var's list or the
//! person's own units (when no var `from` is set), the default one marked
//! (it comes first). A person with only one unit is not asked: it is taken.

use serde_json::Value;

use super::io::Button;
use super::machine::{lay_out, Given, Handled, Run};
use crate::engine::callback::Token;
use crate::engine::facts::UnitFact;
use crate::i18n::Text;
use crate::texts;

pub(super) fn answer(
    run: &mut Run<'_>,
    from: &str,
    all: bool,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    let i = match given {
        Given::Token(Token::Unit(i)) => i,
        Given::Token(Token::Skip) if all => return run.skip(save, next),
        _ => return Handled::Fail(None),
    };
    match unit_list(run, from).get(i) {
        Some(u) => {
            run.save(save, Value::String(u.code.clone()));
            Handled::Next(next.to_string())
        }
        None => Handled::Fail(None),
    }
}

/// A person with exactly one unit of their own is not asked which: it is
/// saved and the walk goes on. (A list from a var — close matches to
/// confirm, say — is always asked, even with one entry.)
pub(super) fn only_one(run: &mut Run<'_>, from: &str, save: &str) -> bool {
    if run.state.vars.contains_key(from) {
        return false;
    }
    match unit_list(run, from).as_slice() {
        [unit] => {
            let code = unit.code.clone();
            run.save(save, Value::String(code));
            true
        }
        _ => false,
    }
}

pub(super) fn rows(run: &Run<'_>, from: &str, all: Option<&Text>) -> Vec<Vec<Button>> {
    let buttons = unit_list(run, from)
        .iter()
        .enumerate()
        .map(|(i, u)| run.button(unit_label(run, u), &Token::Unit(i)))
        .collect();
    let mut rows = lay_out(buttons, Some(2));
    if let Some(label) = all {
        rows.push(vec![run.button(run.render(label), &Token::Skip)]);
    }
    rows
}

fn unit_list(run: &Run<'_>, from: &str) -> Vec<UnitFact> {
    match run.state.vars.get(from) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(code) => Some(UnitFact {
                    code: code.clone(),
                    role: String::new(),
                    is_default: false,
                }),
                Value::Object(_) => serde_json::from_value(v.clone()).ok(),
                _ => None,
            })
            .collect(),
        _ => run.facts.units.clone(),
    }
}

fn unit_label(run: &Run<'_>, u: &UnitFact) -> String {
    let role = match u.role.as_str() {
        "owner" => texts::labels::ROLE_OWNER.get(run.lang()),
        "tenant" => texts::labels::ROLE_TENANT.get(run.lang()),
        "family" => texts::labels::ROLE_FAMILY.get(run.lang()),
        _ => "",
    };
    let label = if role.is_empty() {
        u.code.clone()
    } else {
        format!("{} ({role})", u.code)
    };
    if u.is_default {
        format!("✅ {label}")
    } else {
        label
    }
}

//! A `pick_unit` node: one button per unit, from a var's list or the
//! person's own units.

use serde_json::Value;

use super::io::Button;
use super::machine::{lay_out, Given, Handled, Run};
use crate::engine::callback::Token;
use crate::engine::facts::UnitFact;
use crate::texts;

pub(super) fn answer(
    run: &mut Run<'_>,
    from: &str,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    let Given::Token(Token::Unit(i)) = given else {
        return Handled::Fail(None);
    };
    match unit_list(run, from).get(i) {
        Some(u) => {
            run.save(save, Value::String(u.code.clone()));
            Handled::Next(next.to_string())
        }
        None => Handled::Fail(None),
    }
}

pub(super) fn rows(run: &Run<'_>, from: &str) -> Vec<Vec<Button>> {
    let buttons = unit_list(run, from)
        .iter()
        .enumerate()
        .map(|(i, u)| run.button(unit_label(run, u), &Token::Unit(i)))
        .collect();
    lay_out(buttons, Some(2))
}

fn unit_list(run: &Run<'_>, from: &str) -> Vec<UnitFact> {
    match run.state.vars.get(from) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(code) => Some(UnitFact {
                    code: code.clone(),
                    role: String::new(),
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
    if role.is_empty() {
        u.code.clone()
    } else {
        format!("{} ({role})", u.code)
    }
}

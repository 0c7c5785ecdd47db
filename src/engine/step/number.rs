//! A `number` node: a whole number typed, within optional bounds.

use serde_json::json;

use super::io::Input;
use super::machine::{Given, Handled, Run};
use crate::texts::{engine as phrases, fill};

pub(super) fn answer(
    run: &mut Run<'_>,
    min: Option<i64>,
    max: Option<i64>,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    let Given::Input(Input::Text(t)) = given else {
        return Handled::Fail(None);
    };
    let Ok(n) = t.trim().parse::<i64>() else {
        return Handled::Fail(None);
    };
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let lo = min.map_or_else(|| "…".to_string(), |m| m.to_string());
        let hi = max.map_or_else(|| "…".to_string(), |m| m.to_string());
        return Handled::Fail(Some(fill(
            phrases::NUMBER_OUT_OF_RANGE.get(run.lang()),
            &[("min", &lo), ("max", &hi)],
        )));
    }
    run.save(save, json!(n));
    Handled::Next(next.to_string())
}

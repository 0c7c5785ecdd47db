//! A `date` node: one button per day ahead, in the office's time zone.

use chrono::{Datelike, Days, NaiveDate};
use serde_json::Value;

use super::io::Button;
use super::machine::{lay_out, Given, Handled, Run};
use crate::engine::callback::Token;
use crate::texts::{self, engine as phrases};

pub(super) fn answer(
    run: &mut Run<'_>,
    days: u32,
    from_today: bool,
    optional: bool,
    save: &str,
    next: &str,
    given: Given<'_>,
) -> Handled {
    match given {
        Given::Token(Token::Skip) if optional => run.skip(save, next),
        Given::Token(Token::Date(d)) => {
            let offered = offered_days(run, days, from_today);
            let last = offered.last().copied().unwrap_or(d);
            if d < today(run) || d > last {
                return Handled::Fail(Some(run.phrase(phrases::DAY_PASSED)));
            }
            run.save(save, Value::String(d.format("%Y-%m-%d").to_string()));
            Handled::Next(next.to_string())
        }
        _ => Handled::Fail(None),
    }
}

pub(super) fn rows(run: &Run<'_>, days: u32, from_today: bool, optional: bool) -> Vec<Vec<Button>> {
    let buttons = offered_days(run, days, from_today)
        .into_iter()
        .map(|d| run.button(label(run, d), &Token::Date(d)))
        .collect();
    let mut rows = lay_out(buttons, Some(3));
    if optional {
        rows.push(run.skip_row());
    }
    rows
}

pub(super) fn today(run: &Run<'_>) -> NaiveDate {
    run.now.with_timezone(&run.facts.timezone).date_naive()
}

/// The `days` days offered, from today or tomorrow.
pub(super) fn offered_days(run: &Run<'_>, days: u32, from_today: bool) -> Vec<NaiveDate> {
    let first = if from_today { 0 } else { 1 };
    (first..first + u64::from(days))
        .filter_map(|i| today(run).checked_add_days(Days::new(i)))
        .collect()
}

/// A day as a button shows it ("12 Mar, tomorrow").
pub(super) fn label(run: &Run<'_>, d: NaiveDate) -> String {
    let lang = run.lang();
    let weekday = match (d - today(run)).num_days() {
        0 => texts::labels::TODAY,
        1 => texts::labels::TOMORROW,
        _ => texts::weekday(d.weekday()),
    };
    texts::labels::DAY.fill(
        lang,
        &[
            ("month", texts::month(d.month()).get(lang)),
            ("day", &d.day().to_string()),
            ("weekday", weekday.get(lang)),
        ],
    )
}

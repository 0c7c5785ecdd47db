//! A `slot` node: a morning or afternoon of a day ahead, for a visit.

use chrono::{NaiveDate, Timelike};
use serde_json::json;

use super::date;
use super::io::Button;
use super::machine::{Given, Handled, Run};
use crate::engine::callback::{Half, Token};
use crate::texts::engine as phrases;

/// Half-day windows of the slot picker (local time).
const MORNING: (&str, &str, u32) = ("09:00", "12:00", 11);
const AFTERNOON: (&str, &str, u32) = ("14:00", "18:00", 17);

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
        Given::Token(Token::Slot(d, h)) => {
            let offered = slots(run, days, from_today);
            let last = offered.last().map(|s| s.0).unwrap_or(d);
            let open_today = offered.iter().any(|(day, hs)| *day == d && hs.contains(&h));
            let today = date::today(run);
            if d < today || d > last || (d == today && !open_today) {
                return Handled::Fail(Some(run.phrase(phrases::DAY_PASSED)));
            }
            let (from, to, half) = match h {
                Half::Am => (MORNING.0, MORNING.1, "am"),
                Half::Pm => (AFTERNOON.0, AFTERNOON.1, "pm"),
            };
            let value = json!({"date": d.format("%Y-%m-%d").to_string(), "half": half, "from": from, "to": to});
            run.save(save, value);
            Handled::Next(next.to_string())
        }
        _ => Handled::Fail(None),
    }
}

pub(super) fn rows(run: &Run<'_>, days: u32, from_today: bool, optional: bool) -> Vec<Vec<Button>> {
    let mut rows: Vec<Vec<Button>> = Vec::new();
    for (day, halves) in slots(run, days, from_today) {
        rows.push(
            halves
                .into_iter()
                .map(|h| {
                    let part = match h {
                        Half::Am => phrases::MORNING,
                        Half::Pm => phrases::AFTERNOON,
                    };
                    let label = format!("{} {}", date::label(run, day), run.phrase(part));
                    run.button(label, &Token::Slot(day, h))
                })
                .collect(),
        );
    }
    if optional {
        rows.push(run.skip_row());
    }
    rows
}

/// Half-days still ahead, per day; a window closes an hour before it ends.
fn slots(run: &Run<'_>, days: u32, from_today: bool) -> Vec<(NaiveDate, Vec<Half>)> {
    let hour = run.now.with_timezone(&run.facts.timezone).hour();
    let today = date::today(run);
    date::offered_days(run, days, from_today)
        .into_iter()
        .map(|d| {
            let halves = [(Half::Am, MORNING.2), (Half::Pm, AFTERNOON.2)]
                .into_iter()
                .filter(|(_, closes)| d != today || hour < *closes)
                .map(|(h, _)| h)
                .collect::<Vec<_>>();
            (d, halves)
        })
        .filter(|(_, h)| !h.is_empty())
        .collect()
}

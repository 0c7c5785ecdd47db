//! A `condition` node: the first branch whose test holds, or `else`.

use super::machine::Run;
use crate::engine::model::{Branch, Fact, Test};

/// The node a condition leads to.
pub(super) fn next(run: &Run<'_>, branches: &[Branch], otherwise: &str) -> String {
    branches
        .iter()
        .find(|b| holds(run, &b.test) != b.negate)
        .map_or_else(|| otherwise.to_string(), |b| b.next.clone())
}

fn holds(run: &Run<'_>, test: &Test) -> bool {
    match test {
        Test::Fact(Fact::Registered) => run.facts.registered,
        Test::Fact(Fact::HasUnits) => !run.facts.units.is_empty(),
        Test::Fact(Fact::SeveralUnits) => run.facts.units.len() > 1,
        Test::Fact(Fact::HasDefaultUnit) => run.facts.default_unit.is_some(),
        Test::VarEquals(name, value) => run.state.vars.get(name) == Some(value),
        Test::VarIsSet(name) => run.state.vars.get(name).is_some_and(|v| !v.is_null()),
    }
}

//! An `action` node: an effect for the runtime; with outcomes, the
//! conversation parks here until the runtime steps again with the outcome.

use std::collections::BTreeMap;

use serde_json::Value;

use super::machine::Run;
use super::state::Waiting;
use crate::engine::model::{EffectKind, NodeKind};

/// Emits the effect of action `id`; returns whether the conversation now
/// waits for its outcome.
pub(super) fn fire(
    run: &mut Run<'_>,
    id: &str,
    effect: EffectKind,
    args: &BTreeMap<String, Value>,
    outcomes: &BTreeMap<String, String>,
    transcript: bool,
) -> bool {
    let awaits = !outcomes.is_empty();
    let e = run.effect(effect, args, transcript, awaits);
    run.effects.push(e);
    if awaits {
        run.state.node = id.to_string();
        run.state.waiting = Waiting::Outcome;
    }
    awaits
}

/// Takes the outcome `name` of the parked action: keeps its vars and gives
/// the node it leads to (`None`: not an outcome of this action).
pub(super) fn outcome(
    run: &mut Run<'_>,
    name: &str,
    vars: &BTreeMap<String, Value>,
) -> Option<String> {
    run.note(format!("outcome: {name}"));
    let target = match run.node(&run.state.node).map(|n| &n.kind) {
        Some(NodeKind::Action { outcomes, .. }) => outcomes.get(name).cloned(),
        _ => None,
    };
    for (k, v) in vars {
        run.state.vars.insert(k.clone(), v.clone());
    }
    run.state.waiting = Waiting::Answer;
    target
}

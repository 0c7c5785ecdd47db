//! A `goto` node: this dialogue ends and the runtime starts another one.

use std::collections::BTreeMap;

use serde_json::Value;

use super::io::Effect;
use super::machine::Run;
use crate::engine::model::EffectKind;

/// Asks the runtime to start `dialogue` in the owner's language.
pub(super) fn start(run: &mut Run<'_>, dialogue: &str) {
    let mut args = BTreeMap::new();
    args.insert("dialogue".to_string(), Value::String(dialogue.to_string()));
    args.insert("lang".to_string(), Value::String(run.lang().code().into()));
    run.effects.push(Effect {
        kind: EffectKind::StartDialogue,
        args,
        awaits_outcome: false,
    });
}

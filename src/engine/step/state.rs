//! The stored conversation: where it stands, what it collected, and what it
//! waits for.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::model::Dialogue;
use crate::i18n::Lang;

/// A photo kept for the field (`save`) of the node that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub field: String,
    pub file_id: String,
    pub file_unique_id: String,
}

/// What the conversation is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// An answer to the prompt at `node`.
    #[default]
    Answer,
    /// The outcome of the action at `node`.
    Outcome,
    /// The outcome of a hand-off to staff.
    HandOff,
}

/// A conversation in progress; stored as JSONB between updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub dialogue: String,
    /// The dialogue file version the conversation started under.
    pub version: String,
    pub node: String,
    pub lang: Lang,
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    /// Prompts answered, most recent last: where Back goes.
    #[serde(default)]
    pub back: Vec<String>,
    /// Failed answers at the current prompt.
    #[serde(default)]
    pub tries: u32,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Numbers the latest prompt with buttons; older buttons are stale.
    #[serde(default)]
    pub serial: u32,
    #[serde(default)]
    pub waiting: Waiting,
    /// The conversation so far, for a hand-off to staff.
    #[serde(default)]
    pub transcript: Vec<String>,
    /// Variables given at the start (the owner's own words said them) whose
    /// question has not been reached yet: it is skipped when the value is an
    /// answer it takes. Reaching the question uses the mark up, so Back and
    /// "start over" ask it.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub prefilled: BTreeSet<String>,
}

impl State {
    /// Whether this state belongs to (this version of) `dialogue`.
    #[must_use]
    pub fn is_current(&self, dialogue: &Dialogue) -> bool {
        self.dialogue == dialogue.id && self.version == dialogue.version
    }
}

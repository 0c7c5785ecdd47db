//! The checked, typed dialogue the engine walks. The file's raw shape, as
//! serde reads it, is in [`super::load`].

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::i18n::Text;

/// What the runtime must do for an action node (or the engine itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// Match the shared phone against owners. Outcomes `matched_one`
    /// (vars `unit`, `role`), `matched_many` (var `units`: list of
    /// `{code, role}`), `unknown`.
    Register,
    /// Make `args.unit` the person's default unit. Outcome `saved`.
    SetDefaultUnit,
    /// File a ticket of `args.kind`. Outcome `filed` (var `ticket_no`).
    FileTicket,
    /// Format the fees of the person's units. Outcomes `ok` (var
    /// `fees_text`), `no_units`.
    ShowFees,
    /// Store the survey response. Outcomes `recorded`, `no_campaign`.
    RecordSurvey,
    /// Keep a suggestion for the daily digest. Outcome `saved`.
    SaveSuggestion,
    /// A consultation ticket with the transcript. Outcome `handed_off`
    /// (var `ticket_no`).
    HandOff,
    /// End this dialogue and start `args.dialogue`. No outcome.
    StartDialogue,
    /// Look up the unit typed in `args.text` (its code or a common variant
    /// of it). Outcomes `found` (var `unit_code`), `choose` (var
    /// `candidates`: codes to pick from — several variants, or close
    /// matches), `none`.
    FindUnit,
    /// Monthly arrears reminders on (`args.on` true) or off. Outcome `saved`.
    SetReminders,
    /// Active outages of the kind a repair of `args.category` may be part
    /// of (water, power, lift …) whose scope holds `args.unit`, that the
    /// person has not joined. Outcomes `found` (vars `outage_offer`: their
    /// notices and the question whether the repair is about them;
    /// `outage_ids`: their numbers), `none` (also for a category no outage
    /// is of).
    FindOutage,
    /// Add the person's report to the outages `args.outages` (numbers)
    /// instead of filing a repair. Outcomes `joined` (var `outage_joined`:
    /// what to tell them), `closed` (all of them are over meanwhile).
    JoinOutage,
}

/// A checked dialogue, ready for the engine.
#[derive(Debug, Clone)]
pub struct Dialogue {
    pub id: String,
    pub title: Text,
    /// Hash of the file bytes: a conversation started under another version
    /// is restarted.
    pub version: String,
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub say: Option<Text>,
    pub retry: Option<Text>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub key: String,
    pub label: Text,
    pub next: String,
    pub set: BTreeMap<String, serde_json::Value>,
}

/// A test a condition node makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Fact(Fact),
    VarEquals(String, serde_json::Value),
    VarIsSet(String),
}

/// Facts about the person a condition may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Registered,
    HasUnits,
    SeveralUnits,
    HasDefaultUnit,
}

impl Fact {
    pub const NAMES: [&'static str; 4] = [
        "registered",
        "has_units",
        "several_units",
        "has_default_unit",
    ];

    #[must_use]
    pub fn parse(name: &str) -> Option<Fact> {
        match name {
            "registered" => Some(Fact::Registered),
            "has_units" => Some(Fact::HasUnits),
            "several_units" => Some(Fact::SeveralUnits),
            "has_default_unit" => Some(Fact::HasDefaultUnit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub test: Test,
    pub negate: bool,
    pub next: String,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Message {
        next: String,
    },
    Choice {
        choices: Vec<Choice>,
        columns: Option<u8>,
        save: Option<String>,
    },
    Text {
        min_chars: usize,
        max_chars: usize,
        pattern: Option<Regex>,
        example: Option<String>,
        optional: bool,
        save: String,
        next: String,
    },
    Number {
        min: Option<i64>,
        max: Option<i64>,
        save: String,
        next: String,
    },
    Date {
        days: u32,
        from_today: bool,
        optional: bool,
        save: String,
        next: String,
    },
    Slot {
        days: u32,
        from_today: bool,
        optional: bool,
        save: String,
        next: String,
    },
    Photo {
        max: usize,
        optional: bool,
        save: String,
        next: String,
    },
    Location {
        button: Text,
        optional: bool,
        save: String,
        next: String,
    },
    Contact {
        button: Text,
        save: String,
        next: String,
    },
    YesNo {
        save: Option<String>,
        yes: String,
        no: String,
    },
    Rating {
        save: String,
        next: String,
    },
    PickUnit {
        from: String,
        /// The label of an "all my units" button (the var stays empty).
        all: Option<Text>,
        save: String,
        next: String,
    },
    Action {
        effect: EffectKind,
        args: BTreeMap<String, serde_json::Value>,
        outcomes: BTreeMap<String, String>,
        next: Option<String>,
        transcript: bool,
    },
    Condition {
        branches: Vec<Branch>,
        otherwise: String,
    },
    Goto {
        dialogue: String,
    },
    End,
}

impl NodeKind {
    /// Every node this one can lead to, for graph walks.
    #[must_use]
    pub fn targets(&self) -> Vec<&str> {
        match self {
            NodeKind::Message { next }
            | NodeKind::Text { next, .. }
            | NodeKind::Number { next, .. }
            | NodeKind::Date { next, .. }
            | NodeKind::Slot { next, .. }
            | NodeKind::Photo { next, .. }
            | NodeKind::Location { next, .. }
            | NodeKind::Contact { next, .. }
            | NodeKind::Rating { next, .. }
            | NodeKind::PickUnit { next, .. } => vec![next.as_str()],
            NodeKind::Choice { choices, .. } => choices.iter().map(|c| c.next.as_str()).collect(),
            NodeKind::YesNo { yes, no, .. } => vec![yes.as_str(), no.as_str()],
            NodeKind::Action { outcomes, next, .. } => outcomes
                .values()
                .map(String::as_str)
                .chain(next.as_deref())
                .collect(),
            NodeKind::Condition {
                branches,
                otherwise,
            } => branches
                .iter()
                .map(|b| b.next.as_str())
                .chain(std::iter::once(otherwise.as_str()))
                .collect(),
            NodeKind::Goto { .. } | NodeKind::End => Vec::new(),
        }
    }

    /// Whether the node waits for the owner.
    #[must_use]
    pub fn is_prompt(&self) -> bool {
        !matches!(
            self,
            NodeKind::Message { .. }
                | NodeKind::Action { .. }
                | NodeKind::Condition { .. }
                | NodeKind::Goto { .. }
                | NodeKind::End
        )
    }
}

impl Dialogue {
    /// The choices of the choice nodes that save their key as `var`, in the
    /// file's node order (a key offered twice comes once, first wins): what
    /// a `category` or a `place` can be, with its label in every language.
    #[must_use]
    pub fn choices_saved_as(&self, var: &str) -> Vec<&Choice> {
        let mut found: Vec<&Choice> = Vec::new();
        for node in self.nodes.values() {
            if let NodeKind::Choice {
                choices,
                save: Some(save),
                ..
            } = &node.kind
            {
                if save == var {
                    for c in choices {
                        if !found.iter().any(|f| f.key == c.key) {
                            found.push(c);
                        }
                    }
                }
            }
        }
        found
    }

    /// The label of the choice `key` saved as `var`, if the dialogue offers it.
    #[must_use]
    pub fn choice_label(&self, var: &str, key: &str) -> Option<&Text> {
        self.choices_saved_as(var)
            .into_iter()
            .find(|c| c.key == key)
            .map(|c| &c.label)
    }
}

/// What a dialogue starts with when the owner's own words already said
/// part of it ([`crate::engine::start_with`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefill {
    /// The node to start at; the dialogue's `start` when `None`.
    pub start: Option<String>,
    /// Variables already known. A question whose variable is among them is
    /// not asked when the value is an answer it would take.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// What the owner wrote, for the transcript.
    pub said: Option<String>,
}

//! The dialogue file format: the raw TOML shape (with source spans, for the
//! checker's line numbers) and the checked, typed dialogue the engine walks.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::i18n::Text;

type S<T> = Spanned<T>;

/// One dialogue file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDialogue {
    pub id: S<String>,
    pub title: S<RawText>,
    pub start: S<String>,
    pub nodes: S<BTreeMap<S<String>, S<RawNode>>>,
}

/// A text as written: language code → text. Every language is optional
/// here so the checker can name every missing translation (and an unknown
/// language) instead of stopping at the first.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RawText(pub BTreeMap<String, S<String>>);

/// One node as written: every key any kind may use, so a typo is an
/// "unknown key" and a key of another kind is reported by the checker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub kind: S<KindName>,
    pub say: Option<S<RawText>>,
    pub retry: Option<S<RawText>>,
    pub next: Option<S<String>>,
    pub save: Option<S<String>>,
    pub optional: Option<S<bool>>,
    // choice
    pub choices: Option<S<Vec<S<RawChoice>>>>,
    pub columns: Option<S<u8>>,
    // text
    pub min_chars: Option<S<usize>>,
    pub max_chars: Option<S<usize>>,
    pub pattern: Option<S<String>>,
    pub example: Option<S<String>>,
    // number, photo
    pub min: Option<S<i64>>,
    pub max: Option<S<i64>>,
    // date, slot
    pub days: Option<S<u32>>,
    pub from_today: Option<S<bool>>,
    // contact, location
    pub button: Option<S<RawText>>,
    // yes/no
    pub yes: Option<S<String>>,
    pub no: Option<S<String>>,
    // pick_unit
    pub from: Option<S<String>>,
    // condition
    pub branches: Option<S<Vec<S<RawBranch>>>>,
    #[serde(rename = "else")]
    pub otherwise: Option<S<String>>,
    // action
    pub effect: Option<S<EffectKind>>,
    pub args: Option<S<toml::Table>>,
    pub outcomes: Option<S<BTreeMap<S<String>, S<String>>>>,
    pub provides: Option<S<Vec<S<String>>>>,
    pub transcript: Option<S<bool>>,
    // goto
    pub dialogue: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub key: Option<S<String>>,
    pub label: S<RawText>,
    pub next: Option<S<String>>,
    pub set: Option<S<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    pub fact: Option<S<String>>,
    pub var: Option<S<String>>,
    pub equals: Option<S<toml::Value>>,
    pub is_set: Option<S<bool>>,
    pub not: Option<S<bool>>,
    pub next: Option<S<String>>,
}

/// The node kinds a file may use (`kind = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Message,
    Choice,
    Text,
    Number,
    Date,
    Slot,
    Photo,
    Location,
    Contact,
    YesNo,
    Rating,
    PickUnit,
    Action,
    Condition,
    Goto,
    End,
}

impl KindName {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KindName::Message => "message",
            KindName::Choice => "choice",
            KindName::Text => "text",
            KindName::Number => "number",
            KindName::Date => "date",
            KindName::Slot => "slot",
            KindName::Photo => "photo",
            KindName::Location => "location",
            KindName::Contact => "contact",
            KindName::YesNo => "yes_no",
            KindName::Rating => "rating",
            KindName::PickUnit => "pick_unit",
            KindName::Action => "action",
            KindName::Condition => "condition",
            KindName::Goto => "goto",
            KindName::End => "end",
        }
    }

    /// Whether the node waits for the owner (and so shows Back/Cancel).
    #[must_use]
    pub fn is_prompt(self) -> bool {
        !matches!(
            self,
            KindName::Message
                | KindName::Action
                | KindName::Condition
                | KindName::Goto
                | KindName::End
        )
    }
}

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
}

// ---------------------------------------------------------------- typed

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

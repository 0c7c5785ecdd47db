//! The stepping machinery every node kind shares: one [`Run`] of the step
//! function over a copy of the state, and the small moves it is made of
//! (reply, note, save, draw a button). Knows no node kind's rules; those live
//! in the kind's own file, and `step/mod.rs` dispatches to them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::io::{Button, Effect, Input, Keyboard, Reply, Step};
use super::state::{State, Waiting};
use crate::engine::callback::{self, Token};
use crate::engine::facts::Facts;
use crate::engine::load::MAX_LABEL_CHARS;
use crate::engine::model::{Dialogue, EffectKind, Node, NodeKind};
use crate::engine::render::{clamp, lookup, render};
use crate::i18n::{Lang, Text};
use crate::texts::{engine as phrases, Phrase};

/// Transcript lines kept for a hand-off.
const TRANSCRIPT_LINES: usize = 60;
const TRANSCRIPT_LINE_CHARS: usize = 500;

/// An answer: a button press or something the owner sent.
pub(super) enum Given<'i> {
    Token(Token),
    Input(&'i Input),
}

/// How a prompt took an answer.
pub(super) enum Handled {
    Next(String),
    /// Stay at the prompt and show it again with this text (more photos
    /// welcome); replies so far already written.
    Again(String),
    /// Not an answer; the message to give, or the node's retry text.
    Fail(Option<String>),
}

pub(super) struct Run<'a> {
    pub(super) d: &'a Dialogue,
    pub(super) facts: &'a Facts,
    pub(super) now: DateTime<Utc>,
    pub(super) state: State,
    pub(super) replies: Vec<Reply>,
    pub(super) effects: Vec<Effect>,
}

impl<'a> Run<'a> {
    pub(super) fn new(d: &'a Dialogue, facts: &'a Facts, now: DateTime<Utc>, state: State) -> Self {
        Run {
            d,
            facts,
            now,
            state,
            replies: Vec::new(),
            effects: Vec::new(),
        }
    }

    pub(super) fn finish(self, alive: bool) -> Step {
        Step {
            state: alive.then_some(self.state),
            replies: self.replies,
            effects: self.effects,
        }
    }

    pub(super) fn lang(&self) -> Lang {
        self.state.lang
    }

    pub(super) fn phrase(&self, p: Phrase) -> String {
        p.get(self.lang()).to_string()
    }

    pub(super) fn render(&self, text: &Text) -> String {
        render(
            text.get(self.lang()),
            self.lang(),
            &self.state.vars,
            self.facts,
        )
    }

    pub(super) fn reply(&mut self, text: String, keyboard: Keyboard) {
        self.replies.push(Reply {
            text: clamp(text, crate::i18n::MAX_TEXT),
            keyboard,
        });
    }

    /// Replies with a built-in text; the state does not change.
    pub(super) fn phrase_reply(&mut self, p: Phrase) -> bool {
        let text = self.phrase(p);
        self.reply(text, Keyboard::None);
        true
    }

    pub(super) fn note(&mut self, line: String) {
        let t = &mut self.state.transcript;
        t.push(clamp(line, TRANSCRIPT_LINE_CHARS));
        if t.len() > TRANSCRIPT_LINES {
            let extra = t.len() - TRANSCRIPT_LINES;
            t.drain(..extra);
        }
    }

    pub(super) fn note_owner(&mut self, what: String) {
        self.note(format!("owner: {what}"));
    }

    pub(super) fn node(&self, id: &str) -> Option<&'a Node> {
        self.d.nodes.get(id)
    }

    fn current_uses_reply_keyboard(&self) -> bool {
        matches!(
            self.node(&self.state.node).map(|n| &n.kind),
            Some(NodeKind::Contact { .. } | NodeKind::Location { .. })
        ) && self.state.waiting == Waiting::Answer
    }

    /// Our own mistake (a missing node): apologise and end.
    pub(super) fn broken(&mut self) -> bool {
        let text = self.phrase(phrases::SOMETHING_WRONG);
        self.reply(text, Keyboard::RemoveReplyKeyboard);
        false
    }

    pub(super) fn cancel(&mut self) -> bool {
        let keyboard = if self.current_uses_reply_keyboard() {
            Keyboard::RemoveReplyKeyboard
        } else {
            Keyboard::None
        };
        let text = self.phrase(phrases::CANCELLED);
        self.reply(text, keyboard);
        false
    }

    /// A contact or location prompt left a reply keyboard on screen.
    pub(super) fn leave_reply_keyboard(&mut self) {
        if self.current_uses_reply_keyboard() {
            let text = self.phrase(phrases::RECEIVED);
            self.reply(text, Keyboard::RemoveReplyKeyboard);
        }
    }

    pub(super) fn effect(
        &self,
        kind: EffectKind,
        file_args: &BTreeMap<String, Value>,
        transcript: bool,
        awaits_outcome: bool,
    ) -> Effect {
        let mut args: BTreeMap<String, Value> = file_args
            .iter()
            .map(|(k, v)| (k.clone(), self.arg(v)))
            .collect();
        args.insert("dialogue".into(), Value::String(self.d.id.clone()));
        args.insert("lang".into(), Value::String(self.lang().code().into()));
        args.insert("vars".into(), json!(self.state.vars));
        args.insert("photos".into(), json!(self.state.attachments));
        if transcript || kind == EffectKind::HandOff {
            args.insert("transcript".into(), json!(self.state.transcript));
        }
        Effect {
            kind,
            args,
            awaits_outcome,
        }
    }

    /// A file argument: `"{var}"` alone gives the var's raw value; other
    /// strings are rendered.
    pub(super) fn arg(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => {
                let name = s.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
                match name {
                    Some(n)
                        if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                            && !n.is_empty() =>
                    {
                        lookup(n, &self.state.vars, self.facts).unwrap_or(Value::Null)
                    }
                    _ => Value::String(render(s, self.lang(), &self.state.vars, self.facts)),
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| self.arg(i)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.arg(v))).collect())
            }
            other => other.clone(),
        }
    }

    pub(super) fn button(&self, label: String, token: &Token) -> Button {
        Button {
            label: clamp(label, MAX_LABEL_CHARS),
            data: callback::encode(self.state.serial, token),
        }
    }

    /// Back (not on the first prompt) and Cancel.
    pub(super) fn nav_row(&self) -> Vec<Button> {
        let mut row = Vec::new();
        if !self.state.back.is_empty() {
            row.push(self.button(self.phrase(phrases::BACK), &Token::Back));
        }
        row.push(self.button(self.phrase(phrases::CANCEL), &Token::Cancel));
        row
    }

    /// The row with the Skip button of an optional prompt.
    pub(super) fn skip_row(&self) -> Vec<Button> {
        vec![self.button(self.phrase(phrases::SKIP), &Token::Skip)]
    }

    /// An optional question left unanswered: its variable is cleared (a
    /// Back and a second pass must not keep an old answer) and the walk
    /// goes on to `next`.
    pub(super) fn skip(&mut self, save: &str, next: &str) -> Handled {
        self.state.vars.remove(save);
        Handled::Next(next.to_string())
    }

    pub(super) fn save(&mut self, name: &str, value: Value) {
        self.state.vars.insert(name.to_string(), value);
    }
}

/// Rows of buttons: `columns` per row, or as many as short labels allow.
pub(super) fn lay_out(buttons: Vec<Button>, columns: Option<usize>) -> Vec<Vec<Button>> {
    let width = |b: &Button| {
        b.label
            .chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    let per_row = columns.unwrap_or_else(|| match buttons.iter().map(width).max().unwrap_or(0) {
        0..=8 => 3,
        9..=16 => 2,
        _ => 1,
    });
    buttons
        .chunks(per_row.max(1))
        .map(<[Button]>::to_vec)
        .collect()
}

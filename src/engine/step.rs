//! The pure step function: (dialogue, state, input, facts, now) → new state,
//! replies and effects. No I/O, no clock, no randomness.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::callback::{self, Half, Token};
use super::facts::{Facts, UnitFact};
use super::load::MAX_LABEL_CHARS;
use super::model::{Dialogue, EffectKind, Fact, Node, NodeKind, Test};
use super::render::{clamp, display, lookup, render};
use crate::i18n::{Lang, Text};
use crate::texts::{self, engine as phrases, fill, Phrase};

/// Failed answers at one prompt before a human is offered.
pub const TRIES_BEFORE_HUMAN: u32 = 3;
/// Nodes passed in one step without asking; the checker refuses loops, this
/// is the belt to its braces.
const MAX_HOPS: usize = 64;
/// Transcript lines kept for a hand-off.
const TRANSCRIPT_LINES: usize = 60;
const TRANSCRIPT_LINE_CHARS: usize = 500;
/// Half-day windows of the slot picker (local time).
const MORNING: (&str, &str, u32) = ("09:00", "12:00", 11);
const AFTERNOON: (&str, &str, u32) = ("14:00", "18:00", 17);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub file_id: String,
    pub file_unique_id: String,
}

/// One thing the owner did (an album arrives as one `Photos`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Input {
    Text(String),
    /// Callback data of a button the engine drew (`d:…`).
    Button(String),
    Photos(Vec<Photo>),
    Contact {
        phone: String,
        is_own: bool,
    },
    Location {
        latitude: f64,
        longitude: f64,
    },
    Back,
    Cancel,
    /// The result of an effect that `awaits_outcome`.
    Outcome {
        name: String,
        vars: BTreeMap<String, Value>,
    },
    /// A sticker, voice message, …
    Unsupported,
}

/// A message to send, already in the owner's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub keyboard: Keyboard,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Keyboard {
    None,
    Inline(Vec<Vec<Button>>),
    /// A one-button reply keyboard with `request_contact`.
    RequestContact {
        label: String,
    },
    /// A one-button reply keyboard with `request_location`.
    RequestLocation {
        label: String,
    },
    RemoveReplyKeyboard,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    /// At most 64 bytes, starts with `d:`.
    pub data: String,
}

/// Work for the runtime. When `awaits_outcome`, the state is parked at the
/// action and the runtime must step again with `Input::Outcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub kind: EffectKind,
    pub args: BTreeMap<String, Value>,
    pub awaits_outcome: bool,
}

/// What one step produced. `state: None` means the conversation is over.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: Option<State>,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
}

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
}

impl State {
    /// Whether this state belongs to (this version of) `dialogue`.
    #[must_use]
    pub fn is_current(&self, dialogue: &Dialogue) -> bool {
        self.dialogue == dialogue.id && self.version == dialogue.version
    }
}

/// Starts `dialogue` in `lang`.
#[must_use]
pub fn start(dialogue: &Dialogue, lang: Lang, facts: &Facts, now: DateTime<Utc>) -> Step {
    let state = State {
        dialogue: dialogue.id.clone(),
        version: dialogue.version.clone(),
        node: dialogue.start.clone(),
        lang,
        vars: BTreeMap::new(),
        back: Vec::new(),
        tries: 0,
        attachments: Vec::new(),
        serial: 0,
        waiting: Waiting::Answer,
        transcript: Vec::new(),
    };
    let mut run = Run::new(dialogue, facts, now, state);
    let alive = run.flow(&dialogue.start);
    run.finish(alive)
}

/// Shows the current prompt again (a resumed draft), with fresh buttons.
#[must_use]
pub fn reprompt(dialogue: &Dialogue, state: &State, facts: &Facts, now: DateTime<Utc>) -> Step {
    if !state.is_current(dialogue) {
        return restart(dialogue, state, facts, now);
    }
    let mut run = Run::new(dialogue, facts, now, state.clone());
    match state.waiting {
        Waiting::Answer => {
            let node = state.node.clone();
            run.show_prompt(&node, None);
        }
        Waiting::Outcome | Waiting::HandOff => {
            run.phrase_reply(phrases::PLEASE_WAIT);
        }
    }
    run.finish(true)
}

/// Moves the conversation on by one owner input (or effect outcome).
#[must_use]
pub fn step(
    dialogue: &Dialogue,
    state: &State,
    input: &Input,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Step {
    if !state.is_current(dialogue) {
        return restart(dialogue, state, facts, now);
    }
    let input = match input {
        Input::Text(t) if t.trim() == "/cancel" => &Input::Cancel,
        Input::Text(t) if t.trim() == "/back" => &Input::Back,
        other => other,
    };
    let mut run = Run::new(dialogue, facts, now, state.clone());
    let alive = match (state.waiting, input) {
        (_, Input::Cancel) => run.cancel(),
        (Waiting::Outcome, Input::Outcome { name, vars }) => run.outcome(name, vars),
        (Waiting::HandOff, Input::Outcome { name, vars }) => run.handed_off(name, vars),
        (Waiting::Answer, Input::Outcome { .. }) => true,
        (_, Input::Button(data)) => match callback::decode(data) {
            Some((serial, token)) if serial == state.serial && state.waiting == Waiting::Answer => {
                run.token(token)
            }
            Some((serial, Token::Cancel)) if serial == state.serial => run.cancel(),
            _ => run.phrase_reply(phrases::EXPIRED),
        },
        (Waiting::Outcome | Waiting::HandOff, _) => run.phrase_reply(phrases::PLEASE_WAIT),
        (Waiting::Answer, Input::Back) => run.back(),
        (Waiting::Answer, input) => {
            let id = state.node.clone();
            run.note_owner(describe(input));
            let handled = run.answer(&id, Given::Input(input));
            run.after(&id, handled)
        }
    };
    run.finish(alive)
}

fn restart(dialogue: &Dialogue, state: &State, facts: &Facts, now: DateTime<Utc>) -> Step {
    let mut fresh = start(dialogue, state.lang, facts, now);
    fresh.replies.insert(
        0,
        Reply {
            text: phrases::RESTARTED.get(state.lang).to_string(),
            keyboard: Keyboard::RemoveReplyKeyboard,
        },
    );
    fresh
}

fn describe(input: &Input) -> String {
    match input {
        Input::Text(t) => t.clone(),
        Input::Button(d) => format!("[button {d}]"),
        Input::Photos(p) => format!("[photo ×{}]", p.len()),
        Input::Contact { phone, is_own } => format!(
            "[contact {phone}{}]",
            if *is_own { "" } else { ", not own" }
        ),
        Input::Location {
            latitude,
            longitude,
        } => format!("[location {latitude}, {longitude}]"),
        Input::Back => "[back]".into(),
        Input::Cancel => "[cancel]".into(),
        Input::Outcome { name, .. } => format!("[outcome {name}]"),
        Input::Unsupported => "[unsupported message]".into(),
    }
}

/// An answer: a button press or something the owner sent.
enum Given<'i> {
    Token(Token),
    Input(&'i Input),
}

/// How a prompt took an answer.
enum Handled {
    Next(String),
    /// Stay at the prompt; replies already written (more photos welcome).
    Stay,
    /// Not an answer; the message to give, or the node's retry text.
    Fail(Option<String>),
}

struct Run<'a> {
    d: &'a Dialogue,
    facts: &'a Facts,
    now: DateTime<Utc>,
    state: State,
    replies: Vec<Reply>,
    effects: Vec<Effect>,
}

impl<'a> Run<'a> {
    fn new(d: &'a Dialogue, facts: &'a Facts, now: DateTime<Utc>, state: State) -> Self {
        Run {
            d,
            facts,
            now,
            state,
            replies: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn finish(self, alive: bool) -> Step {
        Step {
            state: alive.then_some(self.state),
            replies: self.replies,
            effects: self.effects,
        }
    }

    fn lang(&self) -> Lang {
        self.state.lang
    }

    fn phrase(&self, p: Phrase) -> String {
        p.get(self.lang()).to_string()
    }

    fn render(&self, text: &Text) -> String {
        render(
            text.get(self.lang()),
            self.lang(),
            &self.state.vars,
            self.facts,
        )
    }

    fn reply(&mut self, text: String, keyboard: Keyboard) {
        self.replies.push(Reply {
            text: clamp(text, super::load::MAX_TEXT_CHARS),
            keyboard,
        });
    }

    /// Replies with a built-in text; the state does not change.
    fn phrase_reply(&mut self, p: Phrase) -> bool {
        let text = self.phrase(p);
        self.reply(text, Keyboard::None);
        true
    }

    fn note(&mut self, line: String) {
        let t = &mut self.state.transcript;
        t.push(clamp(line, TRANSCRIPT_LINE_CHARS));
        if t.len() > TRANSCRIPT_LINES {
            let extra = t.len() - TRANSCRIPT_LINES;
            t.drain(..extra);
        }
    }

    fn note_owner(&mut self, what: String) {
        self.note(format!("owner: {what}"));
    }

    fn node(&self, id: &str) -> Option<&'a Node> {
        self.d.nodes.get(id)
    }

    fn current_uses_reply_keyboard(&self) -> bool {
        matches!(
            self.node(&self.state.node).map(|n| &n.kind),
            Some(NodeKind::Contact { .. } | NodeKind::Location { .. })
        ) && self.state.waiting == Waiting::Answer
    }

    /// Our own mistake (a missing node): apologise and end.
    fn broken(&mut self) -> bool {
        let text = self.phrase(phrases::SOMETHING_WRONG);
        self.reply(text, Keyboard::RemoveReplyKeyboard);
        false
    }

    fn cancel(&mut self) -> bool {
        let keyboard = if self.current_uses_reply_keyboard() {
            Keyboard::RemoveReplyKeyboard
        } else {
            Keyboard::None
        };
        let text = self.phrase(phrases::CANCELLED);
        self.reply(text, keyboard);
        false
    }

    fn back(&mut self) -> bool {
        match self.state.back.pop() {
            Some(prev) => {
                self.leave_reply_keyboard();
                self.flow(&prev)
            }
            None => {
                let id = self.state.node.clone();
                self.show_prompt(&id, None);
                true
            }
        }
    }

    /// A contact or location prompt left a reply keyboard on screen.
    fn leave_reply_keyboard(&mut self) {
        if self.current_uses_reply_keyboard() {
            let text = self.phrase(phrases::RECEIVED);
            self.reply(text, Keyboard::RemoveReplyKeyboard);
        }
    }

    /// Walks from `id` through nodes that do not wait for the owner; returns
    /// whether the conversation goes on.
    fn flow(&mut self, id: &str) -> bool {
        let mut id = id.to_string();
        for _ in 0..MAX_HOPS {
            let Some(node) = self.node(&id) else {
                return self.broken();
            };
            if !node.kind.is_prompt() {
                if let Some(say) = &node.say {
                    let text = self.render(say);
                    self.note(format!("bot: {text}"));
                    self.reply(text, Keyboard::None);
                }
            }
            match &node.kind {
                NodeKind::Message { next } => id = next.clone(),
                NodeKind::Condition {
                    branches,
                    otherwise,
                } => {
                    id = branches
                        .iter()
                        .find(|b| self.test(&b.test) != b.negate)
                        .map_or_else(|| otherwise.clone(), |b| b.next.clone());
                }
                NodeKind::Action {
                    effect,
                    args,
                    outcomes,
                    next,
                    transcript,
                } => {
                    let awaits = !outcomes.is_empty();
                    let e = self.effect(*effect, args, *transcript, awaits);
                    self.effects.push(e);
                    if awaits {
                        self.state.node = id;
                        self.state.waiting = Waiting::Outcome;
                        return true;
                    }
                    match next {
                        Some(n) => id = n.clone(),
                        None => return self.broken(),
                    }
                }
                NodeKind::End => return false,
                NodeKind::Goto { dialogue } => {
                    let mut args = BTreeMap::new();
                    args.insert("dialogue".to_string(), Value::String(dialogue.clone()));
                    args.insert("lang".to_string(), Value::String(self.lang().code().into()));
                    self.effects.push(Effect {
                        kind: EffectKind::StartDialogue,
                        args,
                        awaits_outcome: false,
                    });
                    return false;
                }
                _ => {
                    self.state.node = id.clone();
                    self.state.tries = 0;
                    self.state.waiting = Waiting::Answer;
                    if let NodeKind::Photo { save, .. } = &node.kind {
                        self.state.attachments.retain(|a| &a.field != save);
                        self.state.vars.remove(save);
                    }
                    self.show_prompt(&id, None);
                    return true;
                }
            }
        }
        self.broken()
    }

    fn test(&self, test: &Test) -> bool {
        match test {
            Test::Fact(Fact::Registered) => self.facts.registered,
            Test::Fact(Fact::HasUnits) => !self.facts.units.is_empty(),
            Test::Fact(Fact::SeveralUnits) => self.facts.units.len() > 1,
            Test::Fact(Fact::HasDefaultUnit) => self.facts.default_unit.is_some(),
            Test::VarEquals(name, value) => self.state.vars.get(name) == Some(value),
            Test::VarIsSet(name) => self.state.vars.get(name).is_some_and(|v| !v.is_null()),
        }
    }

    fn effect(
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
    fn arg(&self, v: &Value) -> Value {
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

    fn outcome(&mut self, name: &str, vars: &BTreeMap<String, Value>) -> bool {
        self.note(format!("outcome: {name}"));
        let target = match self.node(&self.state.node).map(|n| &n.kind) {
            Some(NodeKind::Action { outcomes, .. }) => outcomes.get(name).cloned(),
            _ => None,
        };
        for (k, v) in vars {
            self.state.vars.insert(k.clone(), v.clone());
        }
        self.state.waiting = Waiting::Answer;
        match target {
            Some(t) => self.flow(&t),
            None => self.broken(),
        }
    }

    fn handed_off(&mut self, name: &str, vars: &BTreeMap<String, Value>) -> bool {
        if name != "handed_off" {
            return self.broken();
        }
        let ticket = vars
            .get("ticket_no")
            .map_or_else(String::new, |v| display(v, self.lang()));
        let text = fill(
            phrases::HANDED_OFF.get(self.lang()),
            &[("ticket_no", &ticket)],
        );
        self.reply(text, Keyboard::RemoveReplyKeyboard);
        false
    }

    fn token(&mut self, token: Token) -> bool {
        let id = self.state.node.clone();
        match token {
            Token::Back => self.back(),
            Token::Cancel => self.cancel(),
            Token::Human if self.state.tries >= TRIES_BEFORE_HUMAN => {
                self.note_owner("[talk to staff]".into());
                let e = self.effect(EffectKind::HandOff, &BTreeMap::new(), true, true);
                self.effects.push(e);
                self.state.waiting = Waiting::HandOff;
                true
            }
            Token::KeepTrying if self.state.tries >= TRIES_BEFORE_HUMAN => {
                self.state.tries = 0;
                self.show_prompt(&id, None);
                true
            }
            Token::Human | Token::KeepTrying => self.phrase_reply(phrases::EXPIRED),
            token => {
                let before = self.state.clone();
                let label = self.token_label(&id, &token);
                self.note_owner(format!("[{label}]"));
                match self.answer(&id, Given::Token(token)) {
                    // A button this prompt never drew: forged or from a
                    // changed file; it must change nothing.
                    Handled::Fail(None) => {
                        self.state = before;
                        self.phrase_reply(phrases::EXPIRED)
                    }
                    handled => self.after(&id, handled),
                }
            }
        }
    }

    fn token_label(&self, id: &str, token: &Token) -> String {
        match (token, self.node(id).map(|n| &n.kind)) {
            (Token::Choice(key), Some(NodeKind::Choice { choices, .. })) => choices
                .iter()
                .find(|c| &c.key == key)
                .map_or_else(|| key.clone(), |c| c.label.get(self.lang()).to_string()),
            (Token::Rating(r), _) => r.to_string(),
            (Token::Yes, _) => self.phrase(phrases::YES),
            (Token::No, _) => self.phrase(phrases::NO),
            (Token::Skip, _) => self.phrase(phrases::SKIP),
            (Token::Done, _) => self.phrase(phrases::DONE),
            (t, _) => format!("{t:?}"),
        }
    }

    fn after(&mut self, id: &str, handled: Handled) -> bool {
        match handled {
            Handled::Next(target) => {
                self.leave_reply_keyboard();
                self.state.back.push(id.to_string());
                self.state.tries = 0;
                self.flow(&target)
            }
            Handled::Stay => true,
            Handled::Fail(message) => {
                self.fail(id, message);
                true
            }
        }
    }

    fn fail(&mut self, id: &str, message: Option<String>) {
        self.state.tries += 1;
        let Some(node) = self.node(id) else {
            self.broken();
            return;
        };
        let text = message
            .or_else(|| node.retry.as_ref().map(|r| self.render(r)))
            .unwrap_or_else(|| self.phrase(default_retry(&node.kind)));
        if self.state.tries >= TRIES_BEFORE_HUMAN {
            self.state.serial += 1;
            let offer = vec![
                self.button(self.phrase(phrases::TALK_TO_STAFF), &Token::Human),
                self.button(self.phrase(phrases::KEEP_TRYING), &Token::KeepTrying),
            ];
            let rows = vec![offer, self.nav_row()];
            let text = format!("{text}\n\n{}", self.phrase(phrases::HUMAN_OFFER));
            self.reply(text, Keyboard::Inline(rows));
        } else {
            self.show_prompt(id, Some(text));
        }
    }

    fn button(&self, label: String, token: &Token) -> Button {
        Button {
            label: clamp(label, MAX_LABEL_CHARS),
            data: callback::encode(self.state.serial, token),
        }
    }

    /// Back (not on the first prompt) and Cancel.
    fn nav_row(&self) -> Vec<Button> {
        let mut row = Vec::new();
        if !self.state.back.is_empty() {
            row.push(self.button(self.phrase(phrases::BACK), &Token::Back));
        }
        row.push(self.button(self.phrase(phrases::CANCEL), &Token::Cancel));
        row
    }

    /// Shows prompt `id` with `text` (its `say` when `None`) and fresh buttons.
    fn show_prompt(&mut self, id: &str, text: Option<String>) {
        let Some(node) = self.node(id) else {
            self.broken();
            return;
        };
        let text = text
            .or_else(|| node.say.as_ref().map(|s| self.render(s)))
            .unwrap_or_default();
        self.note(format!("bot: {text}"));
        self.state.serial += 1;
        let nav = self.nav_row();
        let skip = |run: &Self| vec![run.button(run.phrase(phrases::SKIP), &Token::Skip)];
        let mut rows: Vec<Vec<Button>> = Vec::new();
        match &node.kind {
            NodeKind::Choice {
                choices, columns, ..
            } => {
                let buttons: Vec<Button> = choices
                    .iter()
                    .map(|c| {
                        self.button(
                            c.label.get(self.lang()).to_string(),
                            &Token::Choice(c.key.clone()),
                        )
                    })
                    .collect();
                rows = lay_out(buttons, columns.map(usize::from));
            }
            NodeKind::Text { optional, .. }
            | NodeKind::Date { optional, .. }
            | NodeKind::Slot { optional, .. }
                if *optional
                    && !matches!(node.kind, NodeKind::Date { .. } | NodeKind::Slot { .. }) =>
            {
                rows.push(skip(self));
            }
            _ => {}
        }
        match &node.kind {
            NodeKind::Date {
                days,
                from_today,
                optional,
                ..
            } => {
                let buttons = self
                    .days(*days, *from_today)
                    .into_iter()
                    .map(|d| self.button(self.day_label(d), &Token::Date(d)))
                    .collect();
                rows = lay_out(buttons, Some(3));
                if *optional {
                    rows.push(skip(self));
                }
            }
            NodeKind::Slot {
                days,
                from_today,
                optional,
                ..
            } => {
                for (day, halves) in self.slots(*days, *from_today) {
                    rows.push(
                        halves
                            .into_iter()
                            .map(|h| {
                                let part = match h {
                                    Half::Am => phrases::MORNING,
                                    Half::Pm => phrases::AFTERNOON,
                                };
                                let label =
                                    format!("{} {}", self.day_label(day), self.phrase(part));
                                self.button(label, &Token::Slot(day, h))
                            })
                            .collect(),
                    );
                }
                if *optional {
                    rows.push(skip(self));
                }
            }
            NodeKind::Photo { optional, save, .. } => {
                if self.state.attachments.iter().any(|a| &a.field == save) {
                    rows.push(vec![self.button(self.phrase(phrases::DONE), &Token::Done)]);
                } else if *optional {
                    rows.push(skip(self));
                }
            }
            NodeKind::YesNo { .. } => rows.push(vec![
                self.button(self.phrase(phrases::YES), &Token::Yes),
                self.button(self.phrase(phrases::NO), &Token::No),
            ]),
            NodeKind::Rating { .. } => {
                rows.push(
                    (1..=5u8)
                        .map(|r| self.button(format!("{r} ★"), &Token::Rating(r)))
                        .collect(),
                );
            }
            NodeKind::PickUnit { from, .. } => {
                let buttons = self
                    .unit_list(from)
                    .iter()
                    .enumerate()
                    .map(|(i, u)| self.button(self.unit_label(u), &Token::Unit(i)))
                    .collect();
                rows = lay_out(buttons, Some(2));
            }
            _ => {}
        }
        rows.push(nav);
        match &node.kind {
            NodeKind::Contact { button, .. } => {
                let label = button.get(self.lang()).to_string();
                self.reply(text, Keyboard::RequestContact { label });
                let hint = self.phrase(phrases::NAV_HINT);
                self.reply(hint, Keyboard::Inline(rows));
            }
            NodeKind::Location {
                button, optional, ..
            } => {
                let label = button.get(self.lang()).to_string();
                self.reply(text, Keyboard::RequestLocation { label });
                if *optional {
                    rows.insert(0, skip(self));
                }
                let hint = self.phrase(phrases::NAV_HINT);
                self.reply(hint, Keyboard::Inline(rows));
            }
            _ => self.reply(text, Keyboard::Inline(rows)),
        }
    }

    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.facts.timezone).date_naive()
    }

    fn days(&self, days: u32, from_today: bool) -> Vec<NaiveDate> {
        let first = if from_today { 0 } else { 1 };
        (first..first + u64::from(days))
            .filter_map(|i| self.today().checked_add_days(Days::new(i)))
            .collect()
    }

    /// Half-days still ahead, per day; a window closes an hour before it ends.
    fn slots(&self, days: u32, from_today: bool) -> Vec<(NaiveDate, Vec<Half>)> {
        let hour = self.now.with_timezone(&self.facts.timezone).hour();
        let today = self.today();
        self.days(days, from_today)
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

    fn day_label(&self, d: NaiveDate) -> String {
        let lang = self.lang();
        let weekday = match (d - self.today()).num_days() {
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

    fn unit_list(&self, from: &str) -> Vec<UnitFact> {
        match self.state.vars.get(from) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(code) => Some(UnitFact {
                        code: code.clone(),
                        role: String::new(),
                    }),
                    Value::Object(_) => serde_json::from_value(v.clone()).ok(),
                    _ => None,
                })
                .collect(),
            _ => self.facts.units.clone(),
        }
    }

    fn unit_label(&self, u: &UnitFact) -> String {
        let role = match u.role.as_str() {
            "owner" => texts::labels::ROLE_OWNER.get(self.lang()),
            "tenant" => texts::labels::ROLE_TENANT.get(self.lang()),
            "family" => texts::labels::ROLE_FAMILY.get(self.lang()),
            _ => "",
        };
        if role.is_empty() {
            u.code.clone()
        } else {
            format!("{} ({role})", u.code)
        }
    }

    fn save(&mut self, name: &str, value: Value) {
        self.state.vars.insert(name.to_string(), value);
    }

    #[allow(clippy::too_many_lines)]
    fn answer(&mut self, id: &str, given: Given<'_>) -> Handled {
        let Some(node) = self.node(id) else {
            return Handled::Fail(None);
        };
        let lang = self.lang();
        match (&node.kind, given) {
            (NodeKind::Choice { choices, save, .. }, given) => {
                let picked = match given {
                    Given::Token(Token::Choice(key)) => choices.iter().find(|c| c.key == key),
                    Given::Input(Input::Text(t)) => {
                        let t = t.trim();
                        let by_number = t
                            .parse::<usize>()
                            .ok()
                            .and_then(|n| n.checked_sub(1))
                            .and_then(|i| choices.get(i));
                        by_number.or_else(|| {
                            choices.iter().find(|c| {
                                Lang::ALL
                                    .iter()
                                    .any(|l| c.label.get(*l).trim().eq_ignore_ascii_case(t))
                            })
                        })
                    }
                    _ => None,
                };
                let Some(c) = picked else {
                    return Handled::Fail(None);
                };
                for (k, v) in &c.set {
                    let v = self.arg(v);
                    self.save(k, v);
                }
                if let Some(save) = save {
                    self.save(save, Value::String(c.key.clone()));
                    self.save(
                        &format!("{save}_label"),
                        Value::String(c.label.get(lang).to_string()),
                    );
                }
                Handled::Next(c.next.clone())
            }
            (
                NodeKind::Text {
                    min_chars,
                    max_chars,
                    pattern,
                    example,
                    optional,
                    save,
                    next,
                },
                given,
            ) => match given {
                Given::Token(Token::Skip) if *optional => {
                    self.state.vars.remove(save);
                    Handled::Next(next.clone())
                }
                Given::Input(Input::Text(t)) => {
                    let t = t.trim();
                    let len = t.chars().count();
                    if len > *max_chars {
                        let (len, max) = (len.to_string(), max_chars.to_string());
                        return Handled::Fail(Some(fill(
                            phrases::TOO_LONG.get(lang),
                            &[("len", &len), ("max", &max)],
                        )));
                    }
                    if len < *min_chars {
                        let min = min_chars.to_string();
                        return Handled::Fail(Some(fill(
                            phrases::TOO_SHORT.get(lang),
                            &[("min", &min)],
                        )));
                    }
                    if !t.chars().any(char::is_alphanumeric) {
                        return Handled::Fail(Some(self.phrase(phrases::NO_LETTERS)));
                    }
                    if let Some(re) = pattern {
                        if !re.is_match(t) {
                            let ex = example.clone().unwrap_or_default();
                            return Handled::Fail(Some(fill(
                                phrases::PATTERN_MISMATCH.get(lang),
                                &[("example", &ex)],
                            )));
                        }
                    }
                    self.save(save, Value::String(t.to_string()));
                    Handled::Next(next.clone())
                }
                _ => Handled::Fail(None),
            },
            (
                NodeKind::Number {
                    min,
                    max,
                    save,
                    next,
                },
                Given::Input(Input::Text(t)),
            ) => {
                let Ok(n) = t.trim().parse::<i64>() else {
                    return Handled::Fail(None);
                };
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    let lo = min.map_or_else(|| "…".to_string(), |m| m.to_string());
                    let hi = max.map_or_else(|| "…".to_string(), |m| m.to_string());
                    return Handled::Fail(Some(fill(
                        phrases::NUMBER_OUT_OF_RANGE.get(lang),
                        &[("min", &lo), ("max", &hi)],
                    )));
                }
                self.save(save, json!(n));
                Handled::Next(next.clone())
            }
            (
                NodeKind::Date {
                    days,
                    from_today,
                    optional,
                    save,
                    next,
                },
                given,
            ) => match given {
                Given::Token(Token::Skip) if *optional => {
                    self.state.vars.remove(save);
                    Handled::Next(next.clone())
                }
                Given::Token(Token::Date(d)) => {
                    let offered = self.days(*days, *from_today);
                    let last = offered.last().copied().unwrap_or(d);
                    if d < self.today() || d > last {
                        return Handled::Fail(Some(self.phrase(phrases::DAY_PASSED)));
                    }
                    self.save(save, Value::String(d.format("%Y-%m-%d").to_string()));
                    Handled::Next(next.clone())
                }
                _ => Handled::Fail(None),
            },
            (
                NodeKind::Slot {
                    days,
                    from_today,
                    optional,
                    save,
                    next,
                },
                given,
            ) => match given {
                Given::Token(Token::Skip) if *optional => {
                    self.state.vars.remove(save);
                    Handled::Next(next.clone())
                }
                Given::Token(Token::Slot(d, h)) => {
                    let offered = self.slots(*days, *from_today);
                    let last = offered.last().map(|s| s.0).unwrap_or(d);
                    let open_today = offered.iter().any(|(day, hs)| *day == d && hs.contains(&h));
                    if d < self.today() || d > last || (d == self.today() && !open_today) {
                        return Handled::Fail(Some(self.phrase(phrases::DAY_PASSED)));
                    }
                    let (from, to, half) = match h {
                        Half::Am => (MORNING.0, MORNING.1, "am"),
                        Half::Pm => (AFTERNOON.0, AFTERNOON.1, "pm"),
                    };
                    let value = json!({"date": d.format("%Y-%m-%d").to_string(), "half": half, "from": from, "to": to});
                    self.save(save, value);
                    Handled::Next(next.clone())
                }
                _ => Handled::Fail(None),
            },
            (
                NodeKind::Photo {
                    max,
                    optional,
                    save,
                    next,
                },
                given,
            ) => {
                let have = self
                    .state
                    .attachments
                    .iter()
                    .filter(|a| &a.field == save)
                    .count();
                match given {
                    Given::Token(Token::Skip) if *optional && have == 0 => {
                        self.save(save, json!(0));
                        Handled::Next(next.clone())
                    }
                    Given::Token(Token::Done) if have > 0 => Handled::Next(next.clone()),
                    Given::Input(Input::Photos(photos)) if !photos.is_empty() => {
                        let mut count = have;
                        let mut trimmed = false;
                        for p in photos {
                            let dup =
                                self.state.attachments.iter().any(|a| {
                                    &a.field == save && a.file_unique_id == p.file_unique_id
                                });
                            if dup {
                                continue;
                            }
                            if count >= *max {
                                trimmed = true;
                                continue;
                            }
                            self.state.attachments.push(Attachment {
                                field: save.clone(),
                                file_id: p.file_id.clone(),
                                file_unique_id: p.file_unique_id.clone(),
                            });
                            count += 1;
                        }
                        self.save(save, json!(count));
                        let max_s = max.to_string();
                        if trimmed {
                            let text = fill(phrases::PHOTOS_TRIMMED.get(lang), &[("max", &max_s)]);
                            self.reply(text, Keyboard::None);
                        }
                        if count >= *max {
                            return Handled::Next(next.clone());
                        }
                        self.state.tries = 0;
                        let text = fill(
                            phrases::PHOTOS_RECEIVED.get(lang),
                            &[("n", &count.to_string()), ("max", &max_s)],
                        );
                        self.show_prompt(id, Some(text));
                        Handled::Stay
                    }
                    _ => Handled::Fail(None),
                }
            }
            (
                NodeKind::Location {
                    optional,
                    save,
                    next,
                    ..
                },
                given,
            ) => match given {
                Given::Token(Token::Skip) if *optional => {
                    self.state.vars.remove(save);
                    Handled::Next(next.clone())
                }
                Given::Input(Input::Location {
                    latitude,
                    longitude,
                }) => {
                    self.save(save, json!({"latitude": latitude, "longitude": longitude}));
                    Handled::Next(next.clone())
                }
                _ => Handled::Fail(None),
            },
            (
                NodeKind::Contact { save, next, .. },
                Given::Input(Input::Contact { phone, is_own }),
            ) => {
                if !is_own {
                    return Handled::Fail(Some(self.phrase(phrases::CONTACT_NOT_OWN)));
                }
                self.save(save, Value::String(phone.clone()));
                Handled::Next(next.clone())
            }
            (NodeKind::YesNo { save, yes, no }, given) => {
                let answer = match given {
                    Given::Token(Token::Yes) => Some(true),
                    Given::Token(Token::No) => Some(false),
                    Given::Input(Input::Text(t)) => typed_yes_no(t),
                    _ => None,
                };
                let Some(answer) = answer else {
                    return Handled::Fail(None);
                };
                if let Some(save) = save {
                    self.save(save, Value::Bool(answer));
                }
                Handled::Next(if answer { yes.clone() } else { no.clone() })
            }
            (NodeKind::Rating { save, next }, given) => {
                let r = match given {
                    Given::Token(Token::Rating(r)) => Some(r),
                    Given::Input(Input::Text(t)) => t.trim().parse::<u8>().ok(),
                    _ => None,
                };
                match r {
                    Some(r) if (1..=5).contains(&r) => {
                        self.save(save, json!(r));
                        Handled::Next(next.clone())
                    }
                    _ => Handled::Fail(None),
                }
            }
            (NodeKind::PickUnit { from, save, next }, Given::Token(Token::Unit(i))) => {
                match self.unit_list(from).get(i) {
                    Some(u) => {
                        self.save(save, Value::String(u.code.clone()));
                        Handled::Next(next.clone())
                    }
                    None => Handled::Fail(None),
                }
            }
            _ => Handled::Fail(None),
        }
    }
}

fn typed_yes_no(t: &str) -> Option<bool> {
    match t.trim().to_lowercase().as_str() {
        "y" | "yes" | "是" | "是的" | "好" | "对" | "1" => Some(true),
        "n" | "no" | "否" | "不" | "不是" | "不用" | "2" => Some(false),
        _ => None,
    }
}

/// The built-in retry text of a node kind.
fn default_retry(kind: &NodeKind) -> Phrase {
    match kind {
        NodeKind::Text { .. } => phrases::RETRY_TEXT,
        NodeKind::Number { .. } => phrases::RETRY_NUMBER,
        NodeKind::Date { .. } | NodeKind::Slot { .. } => phrases::RETRY_DATE,
        NodeKind::Photo { optional: true, .. } => phrases::RETRY_PHOTO_OPTIONAL,
        NodeKind::Photo { .. } => phrases::RETRY_PHOTO,
        NodeKind::Location { .. } => phrases::RETRY_LOCATION,
        NodeKind::Contact { .. } => phrases::RETRY_CONTACT,
        NodeKind::YesNo { .. } => phrases::RETRY_YES_NO,
        NodeKind::Rating { .. } => phrases::RETRY_RATING,
        _ => phrases::RETRY_CHOICE,
    }
}

/// Rows of buttons: `columns` per row, or as many as short labels allow.
fn lay_out(buttons: Vec<Button>, columns: Option<usize>) -> Vec<Vec<Button>> {
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

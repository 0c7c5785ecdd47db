//! The pure step function: (dialogue, state, input, facts, now) → new state,
//! replies and effects. No I/O, no clock, no randomness.
//!
//! This file walks the dialogue and dispatches on the node kind; each kind's
//! own rules (how it takes an answer, which buttons it draws) live in the
//! file named after it. `message` and `end` have none beyond the walk in
//! [`Run::flow`]. The shared moves are in `machine.rs`, the data that goes in
//! and out in `io.rs` and `state.rs`.

mod action;
mod choice;
mod condition;
mod contact;
mod date;
mod goto;
mod io;
mod location;
mod machine;
mod number;
mod photo;
mod pick_unit;
mod prefill;
mod rating;
mod slot;
mod state;
mod text;
mod yes_no;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use self::io::{Button, Effect, Input, Keyboard, Photo, Prefill, Reply, Step};
use self::machine::{Given, Handled, Run};
pub use self::state::{Attachment, State, Waiting};
use super::callback::{self, Token};
use super::facts::Facts;
use super::model::{Dialogue, EffectKind, NodeKind};
use super::render::display;
use crate::i18n::Lang;
use crate::texts::{engine as phrases, fill, Phrase};

/// Failed answers at one prompt before a human is offered.
pub const TRIES_BEFORE_HUMAN: u32 = 3;
/// Nodes passed in one step without asking; the checker refuses loops, this
/// is the belt to its braces.
const MAX_HOPS: usize = 64;

/// Starts `dialogue` in `lang`.
#[must_use]
pub fn start(dialogue: &Dialogue, lang: Lang, facts: &Facts, now: DateTime<Utc>) -> Step {
    start_with(dialogue, lang, facts, now, &Prefill::default())
}

/// Starts `dialogue` at `prefill.start` (or its start) with variables the
/// owner's own words already gave; the questions they answer are skipped
/// (see `prefill.rs`).
#[must_use]
pub fn start_with(
    dialogue: &Dialogue,
    lang: Lang,
    facts: &Facts,
    now: DateTime<Utc>,
    prefill: &Prefill,
) -> Step {
    let first = prefill
        .start
        .clone()
        .unwrap_or_else(|| dialogue.start.clone());
    let state = State {
        dialogue: dialogue.id.clone(),
        version: dialogue.version.clone(),
        node: first.clone(),
        lang,
        vars: prefill.vars.clone(),
        back: Vec::new(),
        tries: 0,
        attachments: Vec::new(),
        serial: 0,
        waiting: Waiting::Answer,
        transcript: Vec::new(),
        prefilled: prefill.vars.keys().cloned().collect(),
    };
    let mut run = Run::new(dialogue, facts, now, state);
    if let Some(said) = &prefill.said {
        run.note_owner(said.clone());
    }
    let alive = run.flow(&first);
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

/// The walk and the dispatch on node kinds; the kinds' rules are in their
/// own files.
impl Run<'_> {
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
                } => id = condition::next(self, branches, otherwise),
                NodeKind::Action {
                    effect,
                    args,
                    outcomes,
                    next,
                    transcript,
                } => {
                    if action::fire(self, &id, *effect, args, outcomes, *transcript) {
                        return true;
                    }
                    match next {
                        Some(n) => id = n.clone(),
                        None => return self.broken(),
                    }
                }
                NodeKind::PickUnit {
                    from, save, next, ..
                } if pick_unit::only_one(self, from, save) => {
                    id = next.clone();
                }
                NodeKind::End => return false,
                NodeKind::Goto { dialogue } => {
                    goto::start(self, dialogue);
                    return false;
                }
                _ => {
                    if let Some(target) = self.prefilled_answer(&id) {
                        id = target;
                        continue;
                    }
                    self.state.node = id.clone();
                    self.state.tries = 0;
                    self.state.waiting = Waiting::Answer;
                    if let NodeKind::Photo { save, .. } = &node.kind {
                        photo::clear(self, save);
                    }
                    self.show_prompt(&id, None);
                    return true;
                }
            }
        }
        self.broken()
    }

    fn outcome(&mut self, name: &str, vars: &BTreeMap<String, Value>) -> bool {
        match action::outcome(self, name, vars) {
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
            (Token::Choice(key), Some(NodeKind::Choice { choices, .. })) => {
                choice::label(self, choices, key)
            }
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
            Handled::Again(text) => {
                self.show_prompt(id, Some(text));
                true
            }
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
        let mut rows: Vec<Vec<Button>> = match &node.kind {
            NodeKind::Choice {
                choices, columns, ..
            } => choice::rows(self, choices, *columns),
            NodeKind::Text { optional, .. } => text::rows(self, *optional),
            NodeKind::Date {
                days,
                from_today,
                optional,
                ..
            } => date::rows(self, *days, *from_today, *optional),
            NodeKind::Slot {
                days,
                from_today,
                optional,
                ..
            } => slot::rows(self, *days, *from_today, *optional),
            NodeKind::Photo { optional, save, .. } => photo::rows(self, *optional, save),
            NodeKind::YesNo { .. } => yes_no::rows(self),
            NodeKind::Rating { .. } => rating::rows(self),
            NodeKind::PickUnit { from, all, .. } => pick_unit::rows(self, from, all.as_ref()),
            _ => Vec::new(),
        };
        rows.push(nav);
        match &node.kind {
            NodeKind::Contact { button, .. } => contact::show(self, text, button, rows),
            NodeKind::Location {
                button, optional, ..
            } => location::show(self, text, button, *optional, rows),
            _ => self.reply(text, Keyboard::Inline(rows)),
        }
    }

    fn answer(&mut self, id: &str, given: Given<'_>) -> Handled {
        let Some(node) = self.node(id) else {
            return Handled::Fail(None);
        };
        match &node.kind {
            NodeKind::Choice { choices, save, .. } => {
                choice::answer(self, choices, save.as_ref(), given)
            }
            NodeKind::Text {
                min_chars,
                max_chars,
                pattern,
                example,
                optional,
                save,
                next,
            } => text::answer(
                self,
                *min_chars,
                *max_chars,
                pattern.as_ref(),
                example.as_ref(),
                *optional,
                save,
                next,
                given,
            ),
            NodeKind::Number {
                min,
                max,
                save,
                next,
            } => number::answer(self, *min, *max, save, next, given),
            NodeKind::Date {
                days,
                from_today,
                optional,
                save,
                next,
            } => date::answer(self, *days, *from_today, *optional, save, next, given),
            NodeKind::Slot {
                days,
                from_today,
                optional,
                save,
                next,
            } => slot::answer(self, *days, *from_today, *optional, save, next, given),
            NodeKind::Photo {
                max,
                optional,
                save,
                next,
            } => photo::answer(self, *max, *optional, save, next, given),
            NodeKind::Location {
                optional,
                save,
                next,
                ..
            } => location::answer(self, *optional, save, next, given),
            NodeKind::Contact { save, next, .. } => contact::answer(self, save, next, given),
            NodeKind::YesNo { save, yes, no } => {
                yes_no::answer(self, save.as_ref(), yes, no, given)
            }
            NodeKind::Rating { save, next } => rating::answer(self, save, next, given),
            NodeKind::PickUnit {
                from,
                all,
                save,
                next,
            } => pick_unit::answer(self, from, all.is_some(), save, next, given),
            NodeKind::Message { .. }
            | NodeKind::Action { .. }
            | NodeKind::Condition { .. }
            | NodeKind::Goto { .. }
            | NodeKind::End => Handled::Fail(None),
        }
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

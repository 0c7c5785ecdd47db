//! Generated walks: every path of every dialogue file, for every kind of
//! person and both languages, driven with synthetic valid answers. A path is
//! cut when it comes back to a prompt it has shown; Back is pressed once at
//! every prompt of every path and must land on the previous prompt.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{buttons, dialogues, facts, now, photos};
use crate::engine::callback::{self, Token};
use crate::engine::facts::Facts;
use crate::engine::model::{Dialogue, NodeKind};
use crate::engine::start;
use crate::engine::step::{step, Input, Keyboard, State, Step, Waiting};
use crate::i18n::Lang;
use crate::i18n::MAX_TEXT;

struct Walker<'a> {
    d: &'a Dialogue,
    facts: &'a Facts,
    paths: usize,
    retried: BTreeSet<String>,
}

fn outcome_vars() -> BTreeMap<String, Value> {
    [
        ("ticket_no", json!("T-0001")),
        ("unit", json!("3-2-1101")),
        ("role", json!("owner")),
        ("unit_code", json!("A栋1203")),
        ("candidates", json!(["A栋1203", "B栋1203"])),
        ("reminders_state", json!("Fee reminders are on.")),
        (
            "units",
            json!([{"code": "3-2-1101", "role": "owner"}, {"code": "5-1-302", "role": "family"}]),
        ),
        (
            "fees_text",
            json!("3-2-1101 · 2026-11 · management fee 331.15 (89.5 m² × 3.70)"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// What Telegram would accept, and what we promise the runtime.
fn assert_sendable(s: &Step, d: &Dialogue) {
    for r in &s.replies {
        let n = r.text.chars().count();
        assert!(
            n > 0 && n <= MAX_TEXT,
            "{}: reply of {n} chars: {:?}",
            d.id,
            r.text
        );
        if let Keyboard::RequestContact { label } | Keyboard::RequestLocation { label } =
            &r.keyboard
        {
            assert!(!label.is_empty() && label.chars().count() <= 64);
        }
    }
    for b in buttons(&s.replies) {
        assert!(
            b.data.len() <= callback::MAX_BYTES && b.data.starts_with(callback::PREFIX),
            "{}",
            b.data
        );
        assert!(callback::decode(&b.data).is_some(), "{}", b.data);
        assert!(
            !b.label.is_empty() && b.label.chars().count() <= 64,
            "{}",
            b.label
        );
    }
    if let Some(state) = &s.state {
        let stored = serde_json::to_value(state).unwrap();
        let back: State = serde_json::from_value(stored).unwrap();
        assert_eq!(&back, state);
    }
}

impl Walker<'_> {
    fn go(&mut self, state: &State, input: &Input) -> Step {
        let s = step(self.d, state, input, self.facts, now());
        assert_sendable(&s, self.d);
        s
    }

    fn walk(&mut self, s: &Step, seen: &mut Vec<String>) {
        let Some(state) = &s.state else {
            assert!(
                !s.replies.is_empty() || !s.effects.is_empty(),
                "{}: a path ended with nothing said or done",
                self.d.id
            );
            self.paths += 1;
            return;
        };
        let node = self
            .d
            .nodes
            .get(&state.node)
            .expect("state at a known node");
        if state.waiting == Waiting::Outcome {
            assert!(
                s.effects.iter().any(|e| e.awaits_outcome),
                "{}: parked without an effect",
                self.d.id
            );
            let NodeKind::Action { outcomes, .. } = &node.kind else {
                panic!("{}: waiting for an outcome at {}", self.d.id, state.node);
            };
            for name in outcomes.keys() {
                let next = self.go(
                    state,
                    &Input::Outcome {
                        name: name.clone(),
                        vars: outcome_vars(),
                    },
                );
                self.walk(&next, seen);
            }
            return;
        }
        if seen.contains(&state.node) {
            self.paths += 1;
            return;
        }
        if self.retried.insert(state.node.clone()) {
            self.retry_then_human(state);
        }
        seen.push(state.node.clone());
        for input in answers(&node.kind, s) {
            let next = self.go(state, &input);
            assert_ne!(
                next.state.as_ref(),
                Some(state),
                "{}: {input:?} changed nothing at {}",
                self.d.id,
                state.node
            );
            self.walk(&next, seen);
        }
        if let Some(previous) = state.back.last() {
            let next = self.go(state, &Input::Back);
            assert_eq!(
                next.state.as_ref().map(|s| &s.node),
                Some(previous),
                "{}: Back",
                self.d.id
            );
            self.paths += 1;
        }
        seen.pop();
    }

    /// Cancel, and three off-topic messages then "talk to staff", once per prompt.
    fn retry_then_human(&mut self, state: &State) {
        let cancelled = self.go(state, &Input::Cancel);
        assert!(cancelled.state.is_none() && !cancelled.replies.is_empty());
        self.paths += 1;
        let mut s = state.clone();
        for _ in 0..3 {
            let next = self.go(&s, &Input::Unsupported);
            s = next.state.expect("a failed try keeps the conversation");
        }
        let human = callback::encode(s.serial, &Token::Human);
        let handed = self.go(&s, &Input::Button(human));
        assert!(handed.effects.iter().any(|e| e.awaits_outcome));
        let parked = handed.state.expect("parked for the hand-off");
        let done = self.go(
            &parked,
            &Input::Outcome {
                name: "handed_off".into(),
                vars: outcome_vars(),
            },
        );
        assert!(done.state.is_none() && done.replies[0].text.contains("T-0001"));
        self.paths += 1;
    }
}

/// Valid answers to the prompt: every button that can branch, one of those
/// that cannot, and a typed answer where one is expected.
fn answers(kind: &NodeKind, s: &Step) -> Vec<Input> {
    let answer_buttons: Vec<(Token, String)> = buttons(&s.replies)
        .into_iter()
        .filter_map(|b| callback::decode(&b.data).map(|(_, t)| (t, b.data.clone())))
        .filter(|(t, _)| {
            !matches!(
                t,
                Token::Back | Token::Cancel | Token::Human | Token::KeepTrying
            )
        })
        .collect();
    let all = || {
        answer_buttons
            .iter()
            .map(|(_, d)| Input::Button(d.clone()))
            .collect::<Vec<_>>()
    };
    let first_and_skip = || {
        let mut v: Vec<Input> = answer_buttons
            .iter()
            .filter(|(t, _)| !matches!(t, Token::Skip))
            .take(1)
            .map(|(_, d)| Input::Button(d.clone()))
            .collect();
        v.extend(
            answer_buttons
                .iter()
                .filter(|(t, _)| matches!(t, Token::Skip))
                .map(|(_, d)| Input::Button(d.clone())),
        );
        v
    };
    let skip = || {
        answer_buttons
            .iter()
            .filter(|(t, _)| matches!(t, Token::Skip))
            .map(|(_, d)| Input::Button(d.clone()))
            .collect::<Vec<_>>()
    };
    match kind {
        NodeKind::Choice { .. } | NodeKind::YesNo { .. } => all(),
        NodeKind::Date { .. }
        | NodeKind::Slot { .. }
        | NodeKind::Rating { .. }
        | NodeKind::PickUnit { .. } => first_and_skip(),
        NodeKind::Text {
            min_chars, example, ..
        } => {
            let text = example
                .clone()
                .unwrap_or_else(|| "Test answer ".repeat(min_chars / 12 + 1));
            let mut v = vec![Input::Text(text)];
            v.extend(skip());
            v
        }
        NodeKind::Number { min, .. } => vec![Input::Text(min.unwrap_or(1).to_string())],
        NodeKind::Photo { max, .. } => {
            let mut v = vec![photos(*max)];
            v.extend(skip());
            v
        }
        NodeKind::Location { .. } => {
            let mut v = vec![Input::Location {
                latitude: 30.27,
                longitude: 120.15,
            }];
            v.extend(skip());
            v
        }
        NodeKind::Contact { .. } => vec![Input::Contact {
            phone: "+8613800000000".into(),
            is_own: true,
        }],
        _ => Vec::new(),
    }
}

#[test]
fn every_path_of_every_dialogue_ends_in_an_end_node_or_an_effect() {
    let all = dialogues();
    let people = [facts(false, 0), facts(true, 1), facts(true, 2)];
    let mut total = 0;
    for d in all.iter() {
        let mut per_dialogue = 0;
        for f in &people {
            for lang in [Lang::Zh, Lang::En] {
                let mut w = Walker {
                    d,
                    facts: f,
                    paths: 0,
                    retried: BTreeSet::new(),
                };
                let first = start(d, lang, f, now());
                assert_sendable(&first, d);
                w.walk(&first, &mut Vec::new());
                per_dialogue += w.paths;
            }
        }
        println!("{}: {per_dialogue} paths", d.id);
        assert!(
            per_dialogue >= 10,
            "{} walked only {per_dialogue} paths",
            d.id
        );
        total += per_dialogue;
    }
    println!("total: {total} paths");
    assert!(total >= 3000, "only {total} paths");
}

//! The dialogue engine alone (criterion): `step()` at a prompt of each node
//! kind the shipped dialogues ask at, `start()` of each dialogue (which walks
//! the pass-through kinds: condition, message, goto, action), an effect's
//! outcome fed back, and loading + checking every dialogue file.
//!
//! `cargo bench --bench engine` (scripts/bench runs it with short warm-up
//! and measurement times and puts the medians in its table).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use propdesk::engine::callback::{self, Token};
use propdesk::engine::model::NodeKind;
use propdesk::engine::step::Waiting;
use propdesk::engine::{self, Dialogue, Facts, Input, Keyboard, Photo, State, Step, UnitFact};
use propdesk::i18n::Lang;
use serde_json::{json, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

fn facts() -> Facts {
    let units: Vec<UnitFact> = ["3-2-1101", "5-1-302"]
        .iter()
        .map(|c| UnitFact {
            code: (*c).to_string(),
            role: "owner".into(),
        })
        .collect();
    Facts {
        registered: true,
        default_unit: None,
        units,
        timezone: chrono_tz::Asia::Shanghai,
        duty_phone: "0755-8888 0000".into(),
    }
}

/// The name of a node kind, as the dialogue files spell it.
fn kind_name(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Message { .. } => "message",
        NodeKind::Choice { .. } => "choice",
        NodeKind::Text { .. } => "text",
        NodeKind::Number { .. } => "number",
        NodeKind::Date { .. } => "date",
        NodeKind::Slot { .. } => "slot",
        NodeKind::Photo { .. } => "photo",
        NodeKind::Location { .. } => "location",
        NodeKind::Contact { .. } => "contact",
        NodeKind::YesNo { .. } => "yes_no",
        NodeKind::Rating { .. } => "rating",
        NodeKind::PickUnit { .. } => "pick_unit",
        NodeKind::Action { .. } => "action",
        NodeKind::Condition { .. } => "condition",
        NodeKind::Goto { .. } => "goto",
        NodeKind::End => "end",
    }
}

/// A valid answer at a prompt of `kind` whose step showed `replies`.
fn answer(kind: &NodeKind, step: &Step) -> Option<Input> {
    let button = step
        .replies
        .iter()
        .flat_map(|r| match &r.keyboard {
            Keyboard::Inline(rows) => rows.iter().flatten().cloned().collect(),
            _ => Vec::new(),
        })
        .find(|b| {
            callback::decode(&b.data).is_some_and(|(_, t)| {
                !matches!(
                    t,
                    Token::Back | Token::Cancel | Token::Human | Token::KeepTrying | Token::Skip
                )
            })
        })
        .map(|b| Input::Button(b.data));
    match kind {
        NodeKind::Text { example, .. } => Some(Input::Text(
            example
                .clone()
                .unwrap_or_else(|| "The lift on floor 3 is noisy at night.".into()),
        )),
        NodeKind::Number { min, .. } => Some(Input::Text(min.unwrap_or(1).to_string())),
        NodeKind::Photo { .. } => Some(Input::Photos(vec![Photo {
            file_id: "file-1".into(),
            file_unique_id: "uniq-1".into(),
        }])),
        NodeKind::Location { .. } => Some(Input::Location {
            latitude: 22.54,
            longitude: 114.06,
        }),
        NodeKind::Contact { .. } => Some(Input::Contact {
            phone: "+8613800000000".into(),
            is_own: true,
        }),
        _ => button,
    }
}

/// One prompt to step at: the dialogue, the state waiting there, the answer.
struct Prompt {
    dialogue: Dialogue,
    state: State,
    input: Input,
}

/// Walks every shipped dialogue with the first valid answer at each prompt
/// and keeps the first prompt of each node kind met, and the first state
/// waiting for an effect's outcome.
fn prompts(dialogues: &engine::Dialogues) -> (BTreeMap<&'static str, Prompt>, Option<Prompt>) {
    let mut found = BTreeMap::new();
    let mut outcome = None;
    let mut ids: Vec<String> = dialogues.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    for id in ids {
        let Some(dialogue) = dialogues.get(&id) else {
            continue;
        };
        let mut step = engine::start(dialogue, Lang::En, &facts(), now());
        for _ in 0..32 {
            let Some(state) = step.state.clone() else {
                break;
            };
            let input = if state.waiting == Waiting::Answer {
                let Some(node) = dialogue.nodes.get(&state.node) else {
                    break;
                };
                let Some(input) = answer(&node.kind, &step) else {
                    break;
                };
                found
                    .entry(kind_name(&node.kind))
                    .or_insert_with(|| Prompt {
                        dialogue: dialogue.clone(),
                        state: state.clone(),
                        input: input.clone(),
                    });
                input
            } else {
                let input = Input::Outcome {
                    name: "filed".into(),
                    vars: [("ticket_no".to_string(), json!("T-0001"))]
                        .into_iter()
                        .collect::<BTreeMap<String, Value>>(),
                };
                outcome.get_or_insert_with(|| Prompt {
                    dialogue: dialogue.clone(),
                    state: state.clone(),
                    input: input.clone(),
                });
                input
            };
            step = engine::step(dialogue, &state, &input, &facts(), now());
        }
    }
    (found, outcome)
}

fn engine_benches(c: &mut Criterion) {
    let dialogues = match engine::load_dir(&dir()) {
        Ok(d) => d,
        Err(problems) => panic!("the shipped dialogues have problems: {problems:?}"),
    };
    let facts = facts();
    let (found, outcome) = prompts(&dialogues);
    for (kind, prompt) in &found {
        c.bench_function(&format!("step/{kind}"), |b| {
            b.iter(|| {
                engine::step(
                    black_box(&prompt.dialogue),
                    black_box(&prompt.state),
                    black_box(&prompt.input),
                    &facts,
                    now(),
                )
            });
        });
    }
    if let Some(prompt) = &outcome {
        c.bench_function("step/action_outcome", |b| {
            b.iter(|| {
                engine::step(
                    black_box(&prompt.dialogue),
                    black_box(&prompt.state),
                    black_box(&prompt.input),
                    &facts,
                    now(),
                )
            });
        });
    }
    let mut ids: Vec<String> = dialogues.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    for id in &ids {
        let Some(dialogue) = dialogues.get(id) else {
            continue;
        };
        c.bench_function(&format!("start/{id}"), |b| {
            b.iter(|| engine::start(black_box(dialogue), Lang::En, &facts, now()));
        });
    }
    c.bench_function("load_and_check/all_dialogues", |b| {
        b.iter(|| {
            let problems = engine::check_dir(black_box(&dir()));
            assert!(problems.is_empty());
        });
    });
}

criterion_group!(benches, engine_benches);
criterion_main!(benches);

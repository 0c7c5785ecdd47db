//! The dialogue engine alone (criterion): `step()` at a prompt of each node
//! kind (met walking the shipped dialogues and `engine_kinds.toml`, which
//! asks every input kind; `step/action` feeds an effect's outcome back),
//! `start()` of each shipped dialogue (which walks the pass-through kinds:
//! condition, message, goto), and loading + checking every dialogue file.
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
            is_default: false,
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

/// Valid answers at a prompt of `kind` whose step showed `replies`: each
/// answer button (Skip too), or a typed answer.
fn answers(kind: &NodeKind, step: &Step) -> Vec<Input> {
    let buttons: Vec<Input> = step
        .replies
        .iter()
        .flat_map(|r| match &r.keyboard {
            Keyboard::Inline(rows) => rows.iter().flatten().cloned().collect(),
            _ => Vec::new(),
        })
        .filter(|b| {
            callback::decode(&b.data).is_some_and(|(_, t)| {
                !matches!(
                    t,
                    Token::Back | Token::Cancel | Token::Human | Token::KeepTrying
                )
            })
        })
        .map(|b| Input::Button(b.data))
        .collect();
    let typed = match kind {
        NodeKind::Text { example, .. } => {
            Some(Input::Text(example.clone().unwrap_or_else(|| {
                "The lift on floor 3 is noisy at night.".into()
            })))
        }
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
        _ => None,
    };
    typed.into_iter().chain(buttons).collect()
}

/// What an effect answers, for every outcome a dialogue may wait for.
fn outcome_vars() -> BTreeMap<String, Value> {
    [
        ("ticket_no", json!("T-0001")),
        ("unit", json!("3-2-1101")),
        ("role", json!("owner")),
        (
            "units",
            json!([{"code": "3-2-1101", "role": "owner"}, {"code": "5-1-302", "role": "family"}]),
        ),
        (
            "fees_text",
            json!("3-2-1101 · 2026-11 · management fee 331.15"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// One prompt to step at: the dialogue, the state waiting there, the answer.
struct Prompt {
    dialogue: Dialogue,
    state: State,
    input: Input,
}

/// Walks every path of `dialogue` (up to a few hundred steps) with valid
/// answers and outcomes, keeping the first prompt met of each node kind
/// (`action` for a state waiting for an effect's outcome).
fn walk(dialogue: &Dialogue, found: &mut BTreeMap<&'static str, Prompt>) {
    let mut stack = vec![engine::start(dialogue, Lang::En, &facts(), now())];
    let mut steps = 0;
    while let Some(step) = stack.pop() {
        steps += 1;
        if steps > 400 {
            return;
        }
        let Some(state) = step.state.clone() else {
            continue;
        };
        let Some(node) = dialogue.nodes.get(&state.node) else {
            continue;
        };
        let (kind, inputs) = match (&node.kind, state.waiting) {
            (kind, Waiting::Answer) => (kind_name(kind), answers(kind, &step)),
            (NodeKind::Action { outcomes, .. }, _) => (
                "action",
                outcomes
                    .keys()
                    .map(|name| Input::Outcome {
                        name: name.clone(),
                        vars: outcome_vars(),
                    })
                    .collect(),
            ),
            _ => continue,
        };
        let Some(first) = inputs.first() else {
            continue;
        };
        found.entry(kind).or_insert_with(|| Prompt {
            dialogue: dialogue.clone(),
            state: state.clone(),
            input: first.clone(),
        });
        for input in inputs {
            stack.push(engine::step(dialogue, &state, &input, &facts(), now()));
        }
    }
}

fn engine_benches(c: &mut Criterion) {
    let dialogues = match engine::load_dir(&dir()) {
        Ok(d) => d,
        Err(problems) => panic!("the shipped dialogues have problems: {problems:?}"),
    };
    // The shipped files use most kinds; this one uses every input kind.
    let kinds = engine::load::compile(
        Path::new("benches/engine_kinds.toml"),
        include_str!("engine_kinds.toml"),
    );
    let Some(every_kind) = kinds.dialogue else {
        panic!("benches/engine_kinds.toml: {:?}", kinds.problems);
    };
    let facts = facts();
    let mut found = BTreeMap::new();
    for dialogue in dialogues.iter().chain([&every_kind]) {
        walk(dialogue, &mut found);
    }
    let mut group = c.benchmark_group("step");
    for (kind, prompt) in &found {
        group.bench_function(*kind, |b| {
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
    group.finish();
    let mut group = c.benchmark_group("start");
    for dialogue in dialogues.iter() {
        group.bench_function(&dialogue.id, |b| {
            b.iter(|| engine::start(black_box(dialogue), Lang::En, &facts, now()));
        });
    }
    group.finish();
    let mut group = c.benchmark_group("load_and_check");
    group.bench_function("all_dialogues", |b| {
        b.iter(|| {
            let problems = engine::check_dir(black_box(&dir()));
            assert!(problems.is_empty());
        });
    });
    group.finish();
}

criterion_group!(benches, engine_benches);
criterion_main!(benches);

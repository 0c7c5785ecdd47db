//! Engine tests over the shipped dialogue files: conversations that read
//! like transcripts, and a generated walk of every path of every file.

mod conversations;
mod paths;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::facts::{Facts, UnitFact};
use super::step::{Button, Input, Keyboard, Photo, Reply, State, Step};
use super::{load_dir, Dialogue, Dialogues};
use crate::i18n::Lang;

fn dialogues() -> Dialogues {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dialogues");
    match load_dir(&dir) {
        Ok(d) => d,
        Err(p) => panic!("{p:#?}"),
    }
}

/// Friday 27 November 2026, 10:00 in Shanghai.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap()
}

fn facts(registered: bool, units: usize) -> Facts {
    let units: Vec<UnitFact> = ["3-2-1101", "5-1-302", "7-3-501"]
        .iter()
        .take(units)
        .enumerate()
        .map(|(i, c)| UnitFact {
            code: (*c).to_string(),
            role: "owner".into(),
            is_default: i == 0,
        })
        .collect();
    Facts {
        registered,
        default_unit: units.first().map(|u| u.code.clone()),
        units,
        timezone: chrono_tz::Asia::Shanghai,
        duty_phone: "0571-8888 1234".into(),
    }
}

fn photos(n: usize) -> Input {
    Input::Photos(
        (0..n)
            .map(|i| Photo {
                file_id: format!("file-{i}"),
                file_unique_id: format!("uniq-{i}"),
            })
            .collect(),
    )
}

fn buttons(replies: &[Reply]) -> Vec<&Button> {
    replies
        .iter()
        .flat_map(|r| match &r.keyboard {
            Keyboard::Inline(rows) => rows.iter().flatten().collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// One owner talking to one dialogue.
struct Chat {
    dialogue: Dialogue,
    facts: Facts,
    state: Option<State>,
    last: Step,
}

impl Chat {
    fn open(id: &str, lang: Lang, facts: Facts) -> Chat {
        let dialogue = dialogues().get(id).unwrap().clone();
        let last = super::start(&dialogue, lang, &facts, now());
        Chat {
            dialogue,
            facts,
            state: last.state.clone(),
            last,
        }
    }

    fn send(&mut self, input: Input) -> &Step {
        let state = self.state.as_ref().expect("the conversation is over");
        self.last = super::step(&self.dialogue, state, &input, &self.facts, now());
        self.state = self.last.state.clone();
        &self.last
    }

    fn text(&mut self, t: &str) -> &Step {
        self.send(Input::Text(t.into()))
    }

    /// Presses the button labelled `label` in the latest replies.
    fn press(&mut self, label: &str) -> &Step {
        let data = self.button(label).data.clone();
        self.send(Input::Button(data))
    }

    fn button(&self, label: &str) -> &Button {
        buttons(&self.last.replies)
            .into_iter()
            .find(|b| b.label == label)
            .unwrap_or_else(|| panic!("no button {label:?} in {:#?}", self.last.replies))
    }

    fn labels(&self) -> Vec<String> {
        buttons(&self.last.replies)
            .iter()
            .map(|b| b.label.clone())
            .collect()
    }

    fn outcome(&mut self, name: &str, vars: &[(&str, Value)]) -> &Step {
        let vars: BTreeMap<String, Value> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        self.send(Input::Outcome {
            name: name.into(),
            vars,
        })
    }

    fn said(&self) -> String {
        self.last
            .replies
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn node(&self) -> &str {
        &self.state.as_ref().expect("over").node
    }
}

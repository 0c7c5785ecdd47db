//! The engine's step function driven by bytes: each byte picks a move
//! (press the n-th button, type, send photos, go back, cancel, report an
//! outcome) on one of the shipped dialogues. Never a panic; button data
//! within the engine's share of Telegram's 64 bytes.
#![no_main]

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use propdesk::engine::{self, callback, Dialogues, Facts, Input, Keyboard, Photo, UnitFact};
use propdesk::i18n::Lang;

fn dialogues() -> &'static Dialogues {
    static D: OnceLock<Dialogues> = OnceLock::new();
    D.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dialogues");
        engine::load_dir(&dir).unwrap_or_else(|p| panic!("{p:?}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let all: Vec<_> = dialogues().iter().collect();
    let Some((&first, moves)) = data.split_first() else {
        return;
    };
    let dialogue = all[usize::from(first) % all.len()];
    let lang = if first & 0x80 == 0 {
        Lang::Zh
    } else {
        Lang::En
    };
    let facts = Facts {
        registered: first & 0x40 != 0,
        units: vec![UnitFact {
            code: "3-2-1101".into(),
            role: "owner".into(),
            is_default: true,
        }],
        default_unit: Some("3-2-1101".into()),
        timezone: chrono_tz::Asia::Shanghai,
        duty_phone: "0755-8888 0000".into(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
    let mut last = engine::start(dialogue, lang, &facts, now);
    for &b in moves {
        let Some(state) = last.state.clone() else {
            break;
        };
        let buttons: Vec<String> = last
            .replies
            .iter()
            .flat_map(|r| match &r.keyboard {
                Keyboard::Inline(rows) => rows.iter().flatten().map(|b| b.data.clone()).collect(),
                _ => Vec::new(),
            })
            .collect();
        for data in &buttons {
            assert!(data.len() <= callback::MAX_BYTES);
        }
        let input = match b % 8 {
            0..=2 if !buttons.is_empty() => {
                Input::Button(buttons[usize::from(b / 8) % buttons.len()].clone())
            }
            3 => Input::Text(
                String::from_utf8_lossy(&moves[..usize::from(b) % (moves.len() + 1)]).into_owned(),
            ),
            4 => Input::Photos(
                (0..usize::from(b / 8) % 7)
                    .map(|i| Photo {
                        file_id: format!("f{i}"),
                        file_unique_id: format!("u{i}"),
                    })
                    .collect(),
            ),
            5 => Input::Back,
            6 => Input::Outcome {
                name: ["filed", "ok", "matched_one", "unknown"][usize::from(b / 8) % 4].into(),
                vars: Default::default(),
            },
            _ => Input::Cancel,
        };
        last = engine::step(dialogue, &state, &input, &facts, now);
    }
});

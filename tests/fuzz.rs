//! Property-based fuzzing (proptest) of the code that reads what others
//! send: the engine's step function, both callback-data codecs, the
//! dialogue loader, the CSV importer's parsing and the webhook body parser.
//! None may panic on any input, and each keeps its own promises (round
//! trips, Telegram's 64-byte limit, replies within Telegram's sizes).
//!
//! `cargo test --test fuzz` runs a bounded number of cases (a few seconds in
//! all) from a fixed seed; `scripts/fuzz` runs many more
//! (`PROPDESK_FUZZ_CASES`) from a random seed (`PROPDESK_FUZZ_SEED`) and
//! reports cases and cases/s for each target. cargo-fuzz needs a nightly toolchain;
//! the `fuzz/` folder holds libFuzzer targets for where one is available.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{json, Value};

use propdesk::domain::incidents::IncidentId;
use propdesk::domain::tickets::TicketId;
use propdesk::domain::visits::Outcome;
use propdesk::engine::callback::{self as engine_callback, Half, Token};
use propdesk::engine::{self, Dialogues, Facts, Input, Keyboard, Photo, State, UnitFact};
use propdesk::i18n::Lang;
use propdesk::telegram::callback::{AudienceChoice, Callback, MenuItem, SlotFor, MAX_BYTES};

// ------------------------------------------------------------------ harness

/// Cases per target: `PROPDESK_FUZZ_CASES` when set, else `default` (sized
/// so that all targets take a few seconds) times `PROPDESK_FUZZ_SCALE`.
fn cases(default: u32) -> u32 {
    let number = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u32>().ok());
    number("PROPDESK_FUZZ_CASES")
        .unwrap_or_else(|| default.saturating_mul(number("PROPDESK_FUZZ_SCALE").unwrap_or(1)))
}

/// Runs `test` on `cases` values of `strategy`, prints how many ran and how
/// fast, and fails with the shrunk input if one fails or panics.
///
/// On a thread with a 64 MiB stack: in a debug build, proptest's nested
/// strategies (the update generator) need more than a test thread's 2 MiB
/// to generate and shrink values — the harness's stack, not the code under
/// test, which runs within 2 MiB (checked by `runs_within_a_small_stack`).
fn fuzz<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: impl FnOnce() -> S + Send,
    test: impl Fn(S::Value) -> Result<(), TestCaseError> + Sync,
) where
    S::Value: std::fmt::Debug,
{
    std::thread::scope(|scope| {
        let run = std::thread::Builder::new()
            .name(format!("fuzz {name}"))
            .stack_size(64 << 20)
            .spawn_scoped(scope, || run_cases(name, cases, strategy(), &test))
            .unwrap_or_else(|e| panic!("starting the fuzz thread: {e}"));
        if let Err(panic) = run.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

fn run_cases<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: &(impl Fn(S::Value) -> Result<(), TestCaseError> + Sync),
) where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let seed = seed();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let ran = AtomicU64::new(0);
    let started = Instant::now();
    let result = runner.run(&strategy, |value| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(value)
    });
    let secs = started.elapsed().as_secs_f64();
    let n = ran.load(Ordering::Relaxed);
    println!(
        "fuzz {name}: {n} cases in {secs:.2} s ({:.0} cases/s), seed {seed}",
        n as f64 / secs.max(1e-9)
    );
    if let Err(e) = result {
        panic!("fuzz {name} failed with PROPDESK_FUZZ_SEED={seed}: {e}");
    }
}

/// The seed of every target's cases: `PROPDESK_FUZZ_SEED` (a number, or
/// `random` for a new one each run), else 0 — so that `cargo test` tries the
/// same cases on the same code every time and a commit that passed once
/// passes again. `scripts/fuzz` explores with random seeds; a failure names
/// its seed, and setting it replays the run.
fn seed() -> u64 {
    match std::env::var("PROPDESK_FUZZ_SEED").ok().as_deref() {
        None | Some("") => 0,
        Some("random") => {
            use std::hash::BuildHasher;
            std::collections::hash_map::RandomState::new().hash_one(Instant::now())
        }
        Some(number) => number.parse().unwrap_or_else(|_| {
            panic!("PROPDESK_FUZZ_SEED is a number or `random`, not {number:?}")
        }),
    }
}

fn repo_dialogues() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues")
}

fn dialogues() -> &'static Dialogues {
    static D: OnceLock<Dialogues> = OnceLock::new();
    D.get_or_init(|| match engine::load_dir(&repo_dialogues()) {
        Ok(d) => d,
        Err(p) => panic!("the shipped dialogues do not load: {p:?}"),
    })
}

/// Any text, weighted towards what trips parsers: separators, digits,
/// multi-byte characters, controls, and very long runs.
fn nasty_text(max: usize) -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => proptest::collection::vec(
            prop_oneof![
                Just(':'), Just('.'), Just('-'), Just('d'), Just('t'), Just('c'),
                Just('0'), Just('9'), Just('é'), Just('号'), Just('😀'), Just('\u{0}'),
                Just('\n'), Just(' '), Just(','), Just('"'), Just('='), Just('['),
                any::<char>(),
            ],
            0..max,
        )
        .prop_map(|cs| cs.into_iter().collect()),
        1 => any::<String>(),
    ]
}

// ----------------------------------------------------------- callback data

fn ticket() -> impl Strategy<Value = TicketId> {
    (1..=i64::MAX).prop_map(TicketId)
}

fn positive() -> impl Strategy<Value = i64> {
    1..=i64::MAX
}

/// A whole minute that `DateTime` can hold.
fn minute() -> impl Strategy<Value = DateTime<Utc>> {
    let max = DateTime::<Utc>::MAX_UTC.timestamp().div_euclid(60);
    let min = DateTime::<Utc>::MIN_UTC.timestamp().div_euclid(60) + 1;
    (min..=max)
        .prop_map(|m| DateTime::from_timestamp(m * 60, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH))
}

fn engine_token() -> impl Strategy<Value = Token> {
    let date = (1i32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default());
    prop_oneof![
        Just(Token::Back),
        Just(Token::Cancel),
        Just(Token::Human),
        Just(Token::KeepTrying),
        Just(Token::Skip),
        Just(Token::Done),
        Just(Token::Yes),
        Just(Token::No),
        any::<u8>().prop_map(Token::Rating),
        date.clone().prop_map(Token::Date),
        (date, any::<bool>())
            .prop_map(|(d, am)| Token::Slot(d, if am { Half::Am } else { Half::Pm })),
        any::<usize>().prop_map(Token::Unit),
        "[a-z0-9_]{1,40}".prop_map(Token::Choice),
    ]
}

fn dialogue_data() -> impl Strategy<Value = String> {
    (any::<u32>(), engine_token())
        .prop_map(|(serial, token)| engine_callback::encode(serial, &token))
}

fn callback() -> impl Strategy<Value = Callback> {
    let menu = proptest::sample::select(MenuItem::ALL.to_vec());
    let audience = proptest::sample::select(AudienceChoice::ALL.to_vec());
    let outcome = prop_oneof![
        Just(Outcome::Done),
        Just(Outcome::OwnerAbsent),
        Just(Outcome::FollowUp)
    ];
    let lang = proptest::sample::select(Lang::ALL.to_vec());
    let subject = prop_oneof![
        ticket().prop_map(SlotFor::Ticket),
        positive().prop_map(SlotFor::Unit)
    ];
    prop_oneof![
        menu.prop_map(Callback::Menu),
        lang.prop_map(Callback::Language),
        dialogue_data()
            .prop_filter("within the engine's share", |d| d.len()
                <= engine_callback::MAX_BYTES)
            .prop_map(Callback::Dialogue),
        Just(Callback::ResumeContinue),
        Just(Callback::ResumeDiscard),
        ticket().prop_map(Callback::Claim),
        ticket().prop_map(Callback::Assign),
        (ticket(), any::<i32>())
            .prop_map(|(ticket, staff_no)| Callback::GiveTo { ticket, staff_no }),
        any::<i64>().prop_map(Callback::QueuePage),
        ticket().prop_map(Callback::CancelTicket),
        ticket().prop_map(Callback::KeepTicket),
        (ticket(), 1u8..=5).prop_map(|(ticket, stars)| Callback::Rate { ticket, stars }),
        ticket().prop_map(Callback::Reopen),
        ticket().prop_map(Callback::SkipComment),
        ticket().prop_map(Callback::MyComment),
        ticket().prop_map(Callback::NewRequest),
        positive().prop_map(Callback::BroadcastCancel),
        (positive(), audience)
            .prop_map(|(broadcast, choice)| Callback::BroadcastAudience { broadcast, choice }),
        positive().prop_map(Callback::BroadcastNoPhoto),
        (positive(), any::<bool>())
            .prop_map(|(broadcast, yes)| Callback::BroadcastRsvp { broadcast, yes }),
        (positive(), any::<bool>())
            .prop_map(|(broadcast, yes)| Callback::BroadcastUrgent { broadcast, yes }),
        positive().prop_map(Callback::BroadcastSendNow),
        positive().prop_map(Callback::BroadcastSendLater),
        positive().prop_map(Callback::BroadcastConfirm),
        positive().prop_map(Callback::BroadcastPreview),
        positive().prop_map(Callback::BroadcastJoin),
        positive().prop_map(Callback::BroadcastDecline),
        positive().prop_map(|i| Callback::IncidentNotify(IncidentId(i))),
        positive().prop_map(|i| Callback::IncidentJoin(IncidentId(i))),
        Just(Callback::IncidentOther),
        (subject, minute()).prop_map(|(subject, at)| Callback::VisitSlot { subject, at }),
        (positive(), outcome)
            .prop_map(|(visit, outcome)| Callback::VisitOutcome { visit, outcome }),
        (positive(), minute()).prop_map(|(visit, at)| Callback::VisitConfirm { visit, at }),
        (positive(), minute()).prop_map(|(visit, at)| Callback::VisitReschedule { visit, at }),
        (positive(), minute()).prop_map(|(visit, at)| Callback::VisitMove { visit, at }),
    ]
}

/// Data a forged or garbled press could carry: valid encodings cut,
/// spliced and sprinkled with other characters, and plain garbage.
fn forged_data() -> impl Strategy<Value = String> {
    prop_oneof![
        nasty_text(80),
        (callback(), nasty_text(12), any::<usize>()).prop_map(|(c, junk, at)| {
            let data = c.encode();
            let mut cut = at % (data.len() + 1);
            while !data.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}{junk}", &data[..cut])
        }),
        (dialogue_data(), nasty_text(6)).prop_map(|(d, junk)| format!("1{d}{junk}")),
        (any::<u32>(), nasty_text(12)).prop_map(|(s, junk)| format!("1d:{s}:t{junk}")),
    ]
}

#[test]
fn fuzz_callback_codec_round_trips_within_64_bytes() {
    fuzz("callback encode/decode", cases(2_000), callback, |c| {
        let data = c.encode();
        prop_assert!(
            !data.is_empty() && data.len() <= MAX_BYTES,
            "{} bytes: {data}",
            data.len()
        );
        prop_assert_eq!(Callback::decode(&data), Some(c));
        Ok(())
    });
}

#[test]
fn fuzz_callback_decode_never_panics() {
    fuzz(
        "callback decode (forged)",
        cases(500),
        forged_data,
        |data| {
            if let Some(c) = Callback::decode(&data) {
                // Whatever decodes means one thing: it encodes back to data
                // that decodes to the same.
                prop_assert_eq!(Callback::decode(&c.encode()), Some(c));
            }
            Ok(())
        },
    );
}

/// Found by cargo-fuzz (`callback_decode`): dialogue data longer than
/// Telegram's 64 bytes decoded, and encoded back beyond the limit. Longer
/// data is forged: it decodes to nothing.
#[test]
fn regression_callback_data_over_64_bytes_decodes_to_nothing() {
    let crash = format!(
        "1d:-:*RRRRRnt@{}d:\u{7}dd{}*-:R:",
        "\0".repeat(3),
        "\0".repeat(41)
    );
    let text = crash.as_str();
    assert_eq!(text.len(), 68);
    assert_eq!(Callback::decode(text), None);
    let longest_dialogue = format!("1d:{}", "k".repeat(MAX_BYTES - 3));
    assert!(Callback::decode(&longest_dialogue).is_some());
    assert_eq!(Callback::decode(&format!("{longest_dialogue}k")), None);
}

/// Found by cargo-fuzz (`callback_decode`): a report period of a year
/// before 1000 (`1rp:x:q:08011`) decoded, but encoded back unpadded
/// (`q:8011`), which no longer decoded. Years are written with four digits.
#[test]
fn regression_report_periods_of_early_years_round_trip() {
    let forged = "1rp:x:q:08011";
    let c = Callback::decode(forged).unwrap();
    assert_eq!(c.encode(), forged);
    assert_eq!(Callback::decode(&c.encode()), Some(c));
    let month = Callback::decode("1rp:p:m:005002").unwrap();
    assert_eq!(month.encode(), "1rp:p:m:005002");
}

/// Found by cargo-fuzz (`callback_decode`): a date token of eight bytes
/// that are not all digits (`-8\x0c \r114`) was read by chrono as the year
/// -8 and did not encode back to the same data. Only digits are a date.
#[test]
fn regression_engine_date_tokens_are_eight_digits() {
    assert_eq!(engine_callback::decode("d:1:t-8\u{c} \r114"), None);
    assert_eq!(engine_callback::decode("d:1:t+2026112"), None);
    assert_eq!(engine_callback::decode("d:1:t 2026112"), None);
    let (serial, token) = engine_callback::decode("d:1:t20261127").unwrap();
    assert_eq!(engine_callback::encode(serial, &token), "d:1:t20261127");
}

/// Found by `fuzz_engine_step_over_the_shipped_dialogues`: a conversation
/// holding the number 3.695667258812314e-207 was written to JSON and read
/// back as 3.6956672588123136e-207 (serde_json's fast float parser). The
/// parser reads every double back exactly now (`float_roundtrip`).
#[test]
fn regression_state_numbers_round_trip_exactly() {
    for x in [3.695667258812314e-207_f64, 0.1, 1e308, 5e-324, -2.5e-300] {
        let text = serde_json::to_string(&json!({ "ticket_no": [x] })).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["ticket_no"][0].as_f64(), Some(x), "{text}");
    }
}

#[test]
fn fuzz_engine_callback_codec() {
    fuzz(
        "engine callback round trip",
        cases(2_000),
        || (any::<u32>(), engine_token()),
        |(serial, token)| {
            let data = engine_callback::encode(serial, &token);
            prop_assert_eq!(engine_callback::decode(&data), Some((serial, token)));
            Ok(())
        },
    );
    fuzz(
        "engine callback decode (forged)",
        cases(500),
        || {
            prop_oneof![
                forged_data(),
                (any::<u32>(), nasty_text(10)).prop_map(|(s, t)| format!("d:{s}:t{t}"))
            ]
        },
        |data| {
            let _ = engine_callback::decode(&data);
            if let Some(rest) = data.strip_prefix('1') {
                let _ = engine_callback::decode(rest);
            }
            Ok(())
        },
    );
}

// ------------------------------------------------------------------ engine

#[derive(Debug, Clone)]
enum Move {
    /// The n-th button of the latest replies (if any).
    Press(usize),
    Forged(String),
    Text(String),
    Photos(usize),
    Contact(String, bool),
    Location(f64, f64),
    Back,
    Cancel,
    Outcome(String, BTreeMap<String, Value>),
    Unsupported,
    /// The runtime shows the prompt again (a resumed draft).
    Reprompt,
}

fn json_value() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        nasty_text(40).prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn outcome_vars() -> impl Strategy<Value = BTreeMap<String, Value>> {
    let key = prop_oneof![
        Just("ticket_no".to_string()),
        Just("fees_text".to_string()),
        Just("unit".to_string()),
        Just("role".to_string()),
        Just("units".to_string()),
        "[a-z_]{1,10}",
    ];
    let realistic = prop_oneof![
        Just(("ticket_no".to_string(), json!(42))),
        Just(("fees_text".to_string(), json!("¥300.00"))),
        Just(("unit".to_string(), json!("3-2-1101"))),
        Just(("role".to_string(), json!("owner"))),
        Just(("units".to_string(), json!(["3-2-1101", "5-1-0302"]))),
    ];
    prop_oneof![
        proptest::collection::btree_map(key, json_value(), 0..5),
        proptest::collection::vec(realistic, 0..5).prop_map(|v| v.into_iter().collect()),
    ]
}

fn a_move() -> impl Strategy<Value = Move> {
    let outcome_name = prop_oneof![
        Just("filed".to_string()),
        Just("ok".to_string()),
        Just("no_units".to_string()),
        Just("matched_one".to_string()),
        Just("matched_many".to_string()),
        Just("unknown".to_string()),
        Just("saved".to_string()),
        nasty_text(10),
    ];
    prop_oneof![
        8 => any::<usize>().prop_map(Move::Press),
        1 => forged_data().prop_map(Move::Forged),
        4 => prop_oneof![
            nasty_text(60),
            Just("/back".to_string()),
            Just("/cancel".to_string()),
            Just("The lock sticks, please come tomorrow.".to_string()),
            "[0-9 .,-]{0,12}",
            "x{4000,5000}",
        ]
        .prop_map(Move::Text),
        1 => (0usize..12).prop_map(Move::Photos),
        1 => (prop_oneof!["\\+?[0-9 -]{0,16}", nasty_text(20)], any::<bool>())
            .prop_map(|(p, own)| Move::Contact(p, own)),
        1 => (any::<f64>(), any::<f64>()).prop_map(|(a, b)| Move::Location(a, b)),
        1 => Just(Move::Back),
        1 => Just(Move::Cancel),
        2 => (outcome_name, outcome_vars()).prop_map(|(n, v)| Move::Outcome(n, v)),
        1 => Just(Move::Unsupported),
        1 => Just(Move::Reprompt),
    ]
}

fn facts() -> impl Strategy<Value = Facts> {
    (any::<bool>(), 0usize..4, nasty_text(20)).prop_map(|(registered, n, phone)| {
        let units: Vec<UnitFact> = ["3-2-1101", "5-1-0302", "7-3-0501"]
            .iter()
            .take(n)
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
            duty_phone: phone,
        }
    })
}

/// Telegram's limits on what the engine produces.
fn check_step(step: &engine::Step) -> Result<(), TestCaseError> {
    for reply in &step.replies {
        let units = reply.text.encode_utf16().count();
        prop_assert!(units <= 4096, "a reply of {units} UTF-16 units");
        if let Keyboard::Inline(rows) = &reply.keyboard {
            for button in rows.iter().flatten() {
                prop_assert!(!button.label.is_empty(), "a button without a label");
                prop_assert!(
                    button.data.len() <= engine_callback::MAX_BYTES,
                    "{} bytes of data: {}",
                    button.data.len(),
                    button.data
                );
                prop_assert!(
                    engine_callback::decode(&button.data).is_some(),
                    "a button the engine cannot read back: {}",
                    button.data
                );
            }
        }
    }
    if let Some(state) = &step.state {
        // The state is stored as JSON between updates and must come back.
        let text = serde_json::to_string(state).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: State =
            serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        let again = serde_json::to_string(&back).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(text, again);
    }
    Ok(())
}

/// Walks `dialogue` with `moves`, checking every step.
fn walk(
    dialogue: &engine::Dialogue,
    lang: Lang,
    facts: &Facts,
    start_at: i64,
    moves: &[Move],
) -> Result<(), TestCaseError> {
    let mut now = Utc.timestamp_opt(start_at, 0).single().unwrap_or_default();
    let mut last = engine::start(dialogue, lang, facts, now);
    check_step(&last)?;
    for m in moves {
        now += chrono::Duration::seconds(37);
        let Some(state) = last.state.clone() else {
            last = engine::start(dialogue, lang, facts, now);
            check_step(&last)?;
            continue;
        };
        let buttons: Vec<String> = last
            .replies
            .iter()
            .flat_map(|r| match &r.keyboard {
                Keyboard::Inline(rows) => rows.iter().flatten().map(|b| b.data.clone()).collect(),
                _ => Vec::new(),
            })
            .collect();
        let input = match m {
            Move::Press(n) if buttons.is_empty() => Input::Text(format!("{n}")),
            Move::Press(n) => Input::Button(buttons[n % buttons.len()].clone()),
            Move::Forged(d) => Input::Button(d.clone()),
            Move::Text(t) => Input::Text(t.clone()),
            Move::Photos(n) => Input::Photos(
                (0..*n)
                    .map(|i| Photo {
                        file_id: format!("file-{i}"),
                        file_unique_id: format!("u-{i}"),
                    })
                    .collect(),
            ),
            Move::Contact(phone, own) => Input::Contact {
                phone: phone.clone(),
                is_own: *own,
            },
            Move::Location(a, b) => Input::Location {
                latitude: *a,
                longitude: *b,
            },
            Move::Back => Input::Back,
            Move::Cancel => Input::Cancel,
            Move::Outcome(name, vars) => Input::Outcome {
                name: name.clone(),
                vars: vars.clone(),
            },
            Move::Unsupported => Input::Unsupported,
            Move::Reprompt => {
                last = engine::step::reprompt(dialogue, &state, facts, now);
                check_step(&last)?;
                continue;
            }
        };
        last = engine::step(dialogue, &state, &input, facts, now);
        check_step(&last)?;
    }
    Ok(())
}

#[test]
fn fuzz_engine_step_over_the_shipped_dialogues() {
    let ids: Vec<String> = dialogues().iter().map(|d| d.id.clone()).collect();
    let strategy = move || {
        (
            proptest::sample::select(ids),
            proptest::sample::select(Lang::ALL.to_vec()),
            facts(),
            // 2000-01-01 .. 2100-01-01, any time of day (slots, quiet hours).
            946_684_800i64..4_102_444_800,
            proptest::collection::vec(a_move(), 0..40),
        )
    };
    fuzz(
        "engine step",
        cases(150),
        strategy,
        |(id, lang, facts, at, moves)| {
            let dialogue = dialogues()
                .get(&id)
                .ok_or_else(|| TestCaseError::fail("no dialogue"))?;
            walk(dialogue, lang, &facts, at, &moves)
        },
    );
}

// ------------------------------------------------------------------ loader

/// A shipped dialogue file with random edits: lines dropped, doubled or
/// swapped, values replaced, the text cut short.
fn mutated_dialogue() -> impl Strategy<Value = String> {
    let files: Vec<String> = std::fs::read_dir(repo_dialogues())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "toml") && !p.ends_with("texts.toml")
                })
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .collect()
        })
        .unwrap_or_default();
    let edit = prop_oneof![
        (any::<usize>()).prop_map(|n| (0u8, n, String::new())),
        (any::<usize>()).prop_map(|n| (1u8, n, String::new())),
        (any::<usize>()).prop_map(|n| (2u8, n, String::new())),
        (
            any::<usize>(),
            prop_oneof![
                nasty_text(20),
                Just("\"\"".to_string()),
                Just("[]".to_string()),
                Just("{}".to_string()),
                Just("\"end\"".to_string()),
                Just("\"start\"".to_string()),
                Just("99999999999999999999".to_string()),
                Just("\"x\"".to_string()),
                Just("true".to_string()),
            ]
        )
            .prop_map(|(n, v)| (3u8, n, v)),
        (any::<usize>()).prop_map(|n| (4u8, n, String::new())),
    ];
    (
        proptest::sample::select(files),
        proptest::collection::vec(edit, 0..6),
    )
        .prop_map(|(file, edits)| {
            let mut lines: Vec<String> = file.lines().map(str::to_owned).collect();
            for (kind, n, value) in edits {
                if lines.is_empty() {
                    break;
                }
                let i = n % lines.len();
                match kind {
                    0 => {
                        lines.remove(i);
                    }
                    1 => {
                        let line = lines[i].clone();
                        lines.insert(i, line);
                    }
                    2 => {
                        let j = (n / 7) % lines.len();
                        lines.swap(i, j);
                    }
                    3 => {
                        if let Some(eq) = lines[i].find(" = ") {
                            lines[i] = format!("{} = {value}", &lines[i][..eq]);
                        }
                    }
                    _ => lines.truncate(i),
                }
            }
            lines.join("\n")
        })
}

#[test]
fn fuzz_dialogue_loader_on_arbitrary_toml() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("fuzzed.toml");
    let strategy = || prop_oneof![1 => nasty_text(400), 4 => mutated_dialogue()];
    fuzz("dialogue loader", cases(200), strategy, |text| {
        std::fs::write(&file, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let problems = engine::check_dir(dir.path());
        match engine::load_dir(dir.path()) {
            Ok(loaded) => {
                prop_assert!(
                    problems.is_empty(),
                    "loaded, yet the checker found {problems:?}"
                );
                // What loads must also run.
                for d in loaded.iter() {
                    walk(
                        d,
                        Lang::En,
                        &test_facts(),
                        1_764_000_000,
                        &[
                            Move::Press(0),
                            Move::Press(1),
                            Move::Text("hello there".into()),
                            Move::Press(0),
                        ],
                    )?;
                }
            }
            Err(problems) => prop_assert!(!problems.is_empty(), "refused without a problem"),
        }
        Ok(())
    });
}

fn test_facts() -> Facts {
    Facts {
        registered: true,
        units: vec![UnitFact {
            code: "3-2-1101".into(),
            role: "owner".into(),
            is_default: true,
        }],
        default_unit: Some("3-2-1101".into()),
        timezone: chrono_tz::Asia::Shanghai,
        duty_phone: "0755-8888 0000".into(),
    }
}

// ------------------------------------------------------------ CSV importer

/// Bytes as office exports come: CSV-ish text in UTF-8 (maybe with a BOM),
/// GBK, UTF-16, or noise.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        nasty_text(12),
        "[0-9]{1,2}-[0-9]{1,2}-[0-9]{3,5}",
        "[0-9]{1,6}(\\.[0-9]{0,3})?",
        "20[0-9]{2}-[0-9]{2}(-[0-9]{2})?",
        "\\+?86 ?1[0-9]{10}",
        Just("owner".to_string()),
        Just("\"a,b\"".to_string()),
        Just("\"unterminated".to_string()),
    ];
    let header = prop_oneof![
        Just("unit,building,entrance,floor,area_m2".to_string()),
        Just("unit,name,phone,role".to_string()),
        Just("unit,period,item,amount_due,amount_paid,due_date".to_string()),
        Just("UNIT , Unit,name".to_string()),
        nasty_text(30),
    ];
    let text = (
        header,
        proptest::collection::vec(proptest::collection::vec(cell, 0..8), 0..12),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    )
        .prop_map(|(header, rows, eol)| {
            let mut out = header;
            for row in rows {
                out.push_str(eol);
                out.push_str(&row.join(","));
            }
            out
        });
    prop_oneof![
        4 => text.clone().prop_map(String::into_bytes),
        1 => text.clone().prop_map(|t| [b"\xEF\xBB\xBF".as_slice(), t.as_bytes()].concat()),
        1 => text.prop_map(|t| encoding_rs::GBK.encode(&t).0.into_owned()),
        1 => proptest::collection::vec(any::<u8>(), 0..300),
        1 => proptest::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| [b"\xFF\xFE".as_slice(), &b].concat()),
    ]
}

#[test]
fn fuzz_csv_import_parsing_on_arbitrary_bytes() {
    use propdesk::domain::fees::{parse_due_date, Cents, Period};
    use propdesk::domain::phone::Phone;
    use propdesk::domain::units::{Area, Place, Role, UnitCode};
    use propdesk::import::source::{decode, Columns, Fields};

    const KINDS: [&[&str]; 3] = [
        &["unit", "building", "entrance", "floor", "area_m2"],
        &["unit", "name", "phone", "role"],
        &[
            "unit",
            "period",
            "item",
            "amount_due",
            "amount_paid",
            "due_date",
        ],
    ];
    let path = Path::new("fuzzed.csv");
    fuzz("CSV import parsing", cases(500), csv_bytes, |bytes| {
        let Ok(decoded) = decode(path, bytes) else {
            return Ok(());
        };
        // Read as the importer reads: no header handling by csv, flexible rows.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(decoded.text.as_bytes());
        let mut records = reader.records();
        let Some(Ok(header)) = records.next() else {
            return Ok(());
        };
        let rows: Vec<csv::StringRecord> = records.filter_map(Result::ok).collect();
        for expected in KINDS {
            let Ok(columns) = Columns::check(path, &header, expected) else {
                continue;
            };
            for (i, record) in rows.iter().enumerate() {
                if record.len() != columns.width {
                    continue;
                }
                let fields = Fields::new(i as u64 + 2, record, &columns);
                for column in expected {
                    let value = fields.get(column);
                    let _ = fields.required(column);
                    let _ = UnitCode::parse(value).map(|c| c.as_str().len());
                    let _ = Place::parse(value, value, value);
                    let _ = Area::parse(value);
                    let _ = Role::parse(value);
                    let _ = Phone::parse(value).map(|p| p.to_string());
                    let _ = Period::parse(value).map(|p| p.to_string());
                    let _ = Cents::parse(value, column);
                    let _ = parse_due_date(value);
                }
            }
        }
        Ok(())
    });
}

// ------------------------------------------------------------ webhook body

/// A Telegram update as JSON, close enough to real ones that most parse,
/// with fields dropped, retyped or stuffed with odd values.
fn update_json() -> impl Strategy<Value = Value> {
    let text = nasty_text(50);
    let id = prop_oneof![any::<i64>(), Just(0i64), Just(i64::from(i32::MAX) + 1)];
    let user = (
        id.clone(),
        text.clone(),
        proptest::option::of("[a-z]{2}(-[A-Z]{2})?"),
    )
        .prop_map(|(id, name, lang)| {
            let mut u = json!({"id": id, "is_bot": false, "first_name": name});
            if let Some(l) = lang {
                u["language_code"] = json!(l);
            }
            u
        });
    let chat = (
        id.clone(),
        prop_oneof![
            Just("private"),
            Just("group"),
            Just("supergroup"),
            Just("channel"),
            Just("weird")
        ],
    )
        .prop_map(|(id, kind)| json!({"id": id, "type": kind, "title": "t", "first_name": "F"}));
    let message = (
        any::<i32>(),
        user.clone(),
        chat,
        text.clone(),
        any::<i64>(),
        0u8..5,
    )
        .prop_map(|(mid, from, chat, text, date, extra)| {
            let mut m = json!({"message_id": mid, "date": date, "chat": chat, "from": from});
            match extra {
                0 => m["text"] = json!(text),
                1 => {
                    m["photo"] =
                        json!([{"file_id": text, "file_unique_id": "u", "width": 1, "height": 1}])
                }
                2 => m["contact"] = json!({"phone_number": text, "first_name": "F", "user_id": 5}),
                3 => m["location"] = json!({"latitude": 1.5, "longitude": -200.0}),
                _ => m["media_group_id"] = json!(text),
            }
            m
        });
    let kind = prop_oneof![
        message.clone().prop_map(|m| ("message", m)),
        message.clone().prop_map(|m| ("edited_message", m)),
        message.clone().prop_map(|m| ("channel_post", m)),
        (
            text.clone(),
            user,
            message,
            proptest::option::of(text.clone())
        )
            .prop_map(|(qid, from, m, data)| {
                let mut q = json!({"id": qid, "from": from, "chat_instance": "ci", "message": m});
                if let Some(d) = data {
                    q["data"] = json!(d);
                }
                ("callback_query", q)
            }),
        (text.clone(), json_value()).prop_map(|(_, v)| ("poll", v)),
        ("[a-z_]{1,20}", json_value()).prop_map(|(k, v)| (
            if k.is_empty() {
                "x"
            } else {
                "message_reaction"
            },
            v
        )),
    ];
    (
        any::<i64>(),
        kind,
        proptest::collection::vec(("[a-z_]{1,10}", json_value()), 0..3),
    )
        .prop_map(|(update_id, (name, body), extra)| {
            let mut u = json!({"update_id": update_id});
            u[name] = body;
            for (k, v) in extra {
                u[k] = v;
            }
            u
        })
}

#[test]
fn fuzz_webhook_body_parser() {
    use propdesk::intake::webhook::parse_update;

    let bodies = || {
        prop_oneof![
            3 => update_json().prop_map(|v| v.to_string().into_bytes()),
            1 => update_json().prop_map(|v| {
                let s = v.to_string().into_bytes();
                s[..s.len() / 2].to_vec()
            }),
            1 => proptest::collection::vec(any::<u8>(), 0..200),
            1 => nasty_text(100).prop_map(String::into_bytes),
        ]
    };
    fuzz("webhook body parser", cases(600), bodies, |body| {
        if let Ok(incoming) = parse_update(&body) {
            // What the inbox stores (Telegram's JSON) is what the processor
            // reads back: the same update.
            let update = &incoming.update;
            let _ = update.chat().map(|c| c.id.0);
            let _ = update.from().map(|u| u.id.0);
            let _ = propdesk::inbox::kind_name(&update.kind);
            let stored = incoming.raw.to_string();
            let again = parse_update(stored.as_bytes()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(
                &again.update,
                update,
                "the stored update reads back differently: {}",
                stored
            );
        }
        Ok(())
    });
}

/// The code under test parses a large update well within a tokio worker's
/// 2 MiB stack (the fuzz harness itself runs on a bigger one).
#[test]
fn runs_within_a_small_stack() {
    let body = serde_json::to_vec(&json!({
        "update_id": 1,
        "callback_query": {
            "id": "q", "chat_instance": "c", "data": "1d:0:y",
            "from": {"id": 5, "is_bot": false, "first_name": "号".repeat(500)},
            "message": {
                "message_id": 1, "date": 0,
                "chat": {"id": 5, "type": "private", "first_name": "F"},
                "from": {"id": 5, "is_bot": false, "first_name": "F"},
                "text": "x".repeat(4000),
                "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
                "reply_to_message": {
                    "message_id": 0, "date": 0,
                    "chat": {"id": 5, "type": "private", "first_name": "F"},
                    "text": "earlier"
                }
            }
        }
    }))
    .expect("json");
    let dialogue_dir = repo_dialogues();
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let incoming = propdesk::intake::webhook::parse_update(&body).expect("parses");
            let stored = incoming.raw.to_string();
            let again =
                propdesk::intake::webhook::parse_update(stored.as_bytes()).expect("reads back");
            assert_eq!(again.update, incoming.update);
            let loaded = engine::load_dir(&dialogue_dir).expect("loads");
            for d in loaded.iter() {
                let _ = engine::start(d, Lang::En, &test_facts(), Utc::now());
            }
        })
        .expect("a thread")
        .join()
        .expect("within 2 MiB");
}

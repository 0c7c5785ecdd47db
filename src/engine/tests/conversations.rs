//! Conversations with the shipped dialogues, one behaviour each.

use serde_json::json;

use super::{facts, photos, Chat};
use crate::engine::callback::{self, Half, Token};
use crate::engine::model::EffectKind;
use crate::engine::step::{Input, Keyboard, Waiting};
use crate::i18n::Lang;

/// bot: What is the complaint about? [Noise] … [Cancel]
/// owner: presses Noise → bot: Please describe what happened…
/// owner: presses Noise again (old message) → bot: This button has expired.
#[test]
fn a_button_from_an_older_message_has_expired_and_changes_nothing() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    let noise = chat.button("Noise").data.clone();
    chat.press("Noise");
    let before = chat.state.clone();
    chat.send(Input::Button(noise));
    assert!(chat.said().contains("expired"), "{}", chat.said());
    assert_eq!(chat.state, before);
}

#[test]
fn a_forged_button_is_treated_as_expired() {
    let mut chat = Chat::open("complaint", Lang::Zh, facts(true, 1));
    let before = chat.state.clone();
    chat.send(Input::Button("d:1:c.not-a-choice-or-serial:zz".into()));
    chat.send(Input::Button("d:99:c.noise".into()));
    assert!(chat.said().contains("过期"));
    assert_eq!(chat.state, before);
}

#[test]
fn the_first_prompt_offers_cancel_only_and_later_ones_back_and_cancel() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    assert!(chat.labels().contains(&"✖ Cancel".to_string()));
    assert!(!chat.labels().contains(&"« Back".to_string()));
    chat.press("Noise");
    assert!(chat.labels().contains(&"« Back".to_string()));
}

#[test]
fn back_returns_to_the_previous_prompt_and_cancel_ends_politely() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    chat.press("Noise");
    assert_eq!(chat.node(), "details");
    chat.press("« Back");
    assert_eq!(chat.node(), "category");
    assert!(chat.said().contains("What is the complaint about?"));
    chat.press("Parking");
    chat.text("/cancel");
    assert!(chat.state.is_none());
    assert!(chat.said().starts_with("Cancelled."));
    assert!(chat.last.effects.is_empty());
}

/// owner: (sticker) ×3 at a score → bot offers staff; owner presses it →
/// hand-off effect with the transcript; outcome → reference shown.
#[test]
fn three_failed_tries_offer_a_human_who_gets_the_transcript() {
    let mut chat = Chat::open("survey", Lang::En, facts(true, 1));
    chat.send(Input::Unsupported);
    assert!(chat.said().contains("Please press a score from 1 to 5."));
    chat.text("great");
    assert!(!chat.labels().contains(&"Talk to staff".to_string()));
    chat.text("really great");
    assert!(chat.said().contains("member of staff"));
    assert!(chat.labels().contains(&"Talk to staff".to_string()));
    chat.press("Talk to staff");
    let effect = &chat.last.effects[0];
    assert_eq!(effect.kind, EffectKind::HandOff);
    assert!(effect.awaits_outcome);
    let transcript = effect.args["transcript"].as_array().unwrap();
    assert!(
        transcript.iter().any(|l| l == "owner: really great"),
        "{transcript:?}"
    );
    chat.outcome("handed_off", &[("ticket_no", json!("C-0042"))]);
    assert!(chat.said().contains("C-0042"));
    assert!(chat.state.is_none());
}

#[test]
fn keep_trying_starts_the_count_again() {
    let mut chat = Chat::open("survey", Lang::Zh, facts(true, 1));
    for _ in 0..3 {
        chat.text("好");
    }
    chat.press("继续尝试");
    assert_eq!(chat.state.as_ref().unwrap().tries, 0);
    chat.press("4 ★");
    assert_eq!(chat.node(), "cleanliness");
}

#[test]
fn text_over_the_limit_is_refused_with_the_limit_and_its_length() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    chat.press("Noise");
    chat.text(&"x".repeat(5000));
    assert!(
        chat.said().contains("5000") && chat.said().contains("2000"),
        "{}",
        chat.said()
    );
    assert_eq!(chat.node(), "details");
}

#[test]
fn only_emoji_is_asked_for_words() {
    let mut chat = Chat::open("suggestion", Lang::En, facts(false, 0));
    chat.text("😀😀😀😀😀👍");
    assert!(chat.said().contains("in words"));
    assert_eq!(chat.node(), "text");
}

#[test]
fn text_where_a_photo_is_asked_gets_the_photo_retry() {
    let mut chat = Chat::open("suggestion", Lang::En, facts(false, 0));
    chat.text("More benches near the pond, please.");
    chat.text("here is my photo");
    assert!(chat.said().contains("Please send a photo, or press Skip."));
}

/// owner: forwards a neighbour's contact → refused with a specific text;
/// owner: shares own contact → register; several units → pick a default.
#[test]
fn someone_elses_contact_is_refused_and_own_contact_registers_with_a_default_unit() {
    let mut chat = Chat::open("registration", Lang::En, facts(false, 0));
    assert!(matches!(
        chat.last.replies[0].keyboard,
        Keyboard::RequestContact { .. }
    ));
    chat.send(Input::Contact {
        phone: "+8613800000000".into(),
        is_own: false,
    });
    assert!(chat.said().contains("only accept your own number"));
    assert_eq!(chat.node(), "phone");
    chat.send(Input::Contact {
        phone: "+8613900000000".into(),
        is_own: true,
    });
    assert_eq!(chat.last.replies[0].keyboard, Keyboard::RemoveReplyKeyboard);
    let register = &chat.last.effects[0];
    assert_eq!(register.kind, EffectKind::Register);
    assert_eq!(register.args["phone"], json!("+8613900000000"));
    let units =
        json!([{"code": "3-2-1101", "role": "owner"}, {"code": "5-1-302", "role": "tenant"}]);
    chat.outcome("matched_many", &[("units", units)]);
    assert!(chat.said().contains("3-2-1101, 5-1-302"));
    chat.press("5-1-302 (tenant)");
    assert_eq!(chat.last.effects[0].kind, EffectKind::SetDefaultUnit);
    assert_eq!(chat.last.effects[0].args["unit"], json!("5-1-302"));
    chat.outcome("saved", &[]);
    assert!(chat.said().contains("5-1-302"));
    assert!(chat.said().contains("remind you here each month"));
    chat.press("No");
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.kind, &e.args["on"]),
        (EffectKind::SetReminders, &json!(false))
    );
    chat.outcome(
        "saved",
        &[("reminders_state", json!("Done: fee reminders are off."))],
    );
    assert!(chat.said().contains("fee reminders are off"));
    assert!(chat.state.is_none());
}

#[test]
fn an_unknown_phone_can_leave_name_and_unit_for_staff() {
    let mut chat = Chat::open("registration", Lang::Zh, facts(false, 0));
    chat.send(Input::Contact {
        phone: "13700000000".into(),
        is_own: true,
    });
    chat.outcome("unknown", &[]);
    chat.press("是");
    chat.text("王小明");
    assert!(
        chat.said().contains("A栋1203"),
        "the examples: {}",
        chat.said()
    );
    chat.text("a栋 1203");
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.kind, &e.args["text"]),
        (EffectKind::FindUnit, &json!("a栋 1203"))
    );
    chat.outcome("found", &[("unit_code", json!("A栋1203"))]);
    assert!(chat.said().contains("房号 A栋1203"), "{}", chat.said());
    chat.press("租户");
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.kind, &e.args["kind"], &e.args["role"], &e.args["unit"]),
        (
            EffectKind::FileTicket,
            &json!("registration"),
            &json!("tenant"),
            &json!("A栋1203")
        )
    );
    chat.outcome("filed", &[("ticket_no", json!("R-7"))]);
    assert!(chat.said().contains("R-7"));
}

/// applicant: types a unit no code matches → close ones offered; none of
/// them → Back and type again; nothing at all → type again or visit.
#[test]
fn a_unit_that_matches_nothing_gets_close_matches_then_another_try() {
    let mut chat = Chat::open("registration", Lang::En, facts(false, 0));
    chat.send(Input::Contact {
        phone: "13700000000".into(),
        is_own: true,
    });
    chat.outcome("unknown", &[]);
    chat.press("Yes");
    chat.text("Wang Xiaoming");
    chat.text("A-1208");
    chat.outcome("choose", &[("candidates", json!(["A栋1203", "B栋1208"]))]);
    assert!(chat.said().contains("No unit is written exactly “A-1208”"));
    assert_eq!(chat.labels(), ["A栋1203", "B栋1208", "« Back", "✖ Cancel"]);
    chat.press("« Back");
    assert_eq!(chat.node(), "unit");
    chat.text("Z-99");
    chat.outcome("none", &[]);
    assert!(chat.said().contains("There is no unit “Z-99”"));
    chat.press("Type it again");
    chat.text("B-1208");
    chat.outcome("choose", &[("candidates", json!(["B栋1208"]))]);
    // One close match is still confirmed, never taken silently.
    assert_eq!(chat.node(), "pick_close");
    chat.press("B栋1208");
    assert!(chat.said().contains("related to unit B栋1208"));
}

/// owner of two units: reporting for the second; the default is marked.
#[test]
fn an_owner_of_two_units_picks_the_unit_with_the_default_marked() {
    let mut chat = Chat::open("repair", Lang::En, facts(true, 2));
    assert!(chat.said().contains("Which unit is this for?"));
    assert_eq!(
        chat.labels(),
        ["✅ 3-2-1101 (owner)", "5-1-302 (owner)", "✖ Cancel"]
    );
    chat.press("5-1-302 (owner)");
    assert!(chat.said().contains("is this one of these emergencies"));
    chat.press("None of these");
    chat.press("Water / plumbing");
    // A water repair asks for a water outage declared for the unit: none.
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.kind, &e.args["category"], &e.args["unit"]),
        (EffectKind::FindOutage, &json!("water"), &json!("5-1-302"))
    );
    chat.outcome("none", &[]);
    assert!(
        chat.said().contains("describe the problem"),
        "{}",
        chat.said()
    );
    chat.text("The kitchen tap drips all night.");
    chat.press("Skip");
    chat.press("My unit");
    chat.press("Yes");
    chat.press("Skip");
    assert!(chat.said().contains("Unit: 5-1-302"), "{}", chat.said());
    assert!(
        chat.said().contains("Place: My unit 5-1-302"),
        "{}",
        chat.said()
    );
    chat.press("Yes");
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.kind, &e.args["unit"]),
        (EffectKind::FileTicket, &json!("5-1-302"))
    );
}

/// owner of one unit: never asked which.
#[test]
fn an_owner_of_one_unit_is_not_asked_which() {
    let chat = Chat::open("complaint", Lang::En, facts(true, 1));
    assert!(chat.said().contains("What is the complaint about?"));
    assert!(!chat.said().contains("Which unit"));
}

/// An album of 10 photos arrives as one input: the first 5 are kept.
#[test]
fn an_album_is_one_answer_and_extra_photos_are_dropped_with_a_note() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    chat.press("Noise");
    chat.text("Drilling after 22:00 every night.");
    chat.send(photos(10));
    assert!(chat.said().contains("kept the first 5"));
    assert_eq!(chat.node(), "place");
    assert_eq!(chat.state.as_ref().unwrap().attachments.len(), 5);
}

#[test]
fn photos_in_several_messages_add_up_until_done() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    chat.press("Noise");
    chat.text("Drilling after 22:00 every night.");
    chat.send(photos(2));
    assert!(chat.said().contains("Received 2 photos"));
    chat.press("Done");
    chat.press("My unit");
    assert!(
        chat.said().contains("Photos: 2") && chat.said().contains("My unit 3-2-1101"),
        "{}",
        chat.said()
    );
    chat.press("Yes");
    let e = &chat.last.effects[0];
    assert_eq!(e.args["photos"].as_array().unwrap().len(), 2);
    assert_eq!(e.args["category"], json!("noise"));
    assert_eq!(e.args["location"], json!("3-2-1101"));
}

/// owner: presses "Water leaking" → the duty phone is shown in the same reply
/// batch, and the ticket is filed as urgent.
#[test]
fn a_repair_emergency_shows_the_duty_phone_at_once_and_files_urgent() {
    let mut chat = Chat::open("repair", Lang::En, facts(true, 1));
    chat.press("🚰 Water leaking");
    assert!(chat.said().contains("0571-8888 1234"));
    chat.text("Water coming through the kitchen ceiling");
    chat.press("Skip");
    chat.press("My unit");
    assert_eq!(chat.node(), "confirm_urgent");
    chat.press("Yes");
    let e = &chat.last.effects[0];
    assert_eq!(e.args["priority"], json!("urgent"));
    assert_eq!(e.args["emergency"], json!("leak"));
}

#[test]
fn a_normal_repair_collects_permission_and_a_half_day_slot() {
    let mut chat = Chat::open("repair", Lang::Zh, facts(true, 1));
    chat.press("都不是");
    chat.press("门 / 锁");
    chat.text("入户门锁芯坏了，钥匙转不动");
    chat.press("跳过");
    chat.press("本户");
    chat.press("是");
    // Friday 27 November in Shanghai: the picker offers the next 5 days, two halves each.
    let labels = chat.labels();
    assert_eq!(
        labels[..3],
        [
            "11月28日 明天 上午",
            "11月28日 明天 下午",
            "11月29日 周日 上午"
        ]
    );
    let serial = chat.state.as_ref().unwrap().serial;
    let yesterday = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    chat.send(Input::Button(callback::encode(
        serial,
        &Token::Slot(yesterday, Half::Am),
    )));
    assert!(chat.said().contains("已经过去"), "{}", chat.said());
    chat.press("11月28日 明天 上午");
    chat.press("是");
    let e = &chat.last.effects[0];
    assert_eq!(e.args["permission_to_enter"], json!(true));
    assert_eq!(e.args["appointment"]["date"], json!("2026-11-28"));
    assert_eq!(e.args["appointment"]["half"], json!("am"));
}

#[test]
fn unregistered_people_are_offered_registration_before_a_complaint() {
    let mut chat = Chat::open("complaint", Lang::En, facts(false, 0));
    assert!(chat.said().contains("registered"));
    chat.press("Register now");
    assert!(chat.state.is_none());
    assert_eq!(chat.last.effects[0].kind, EffectKind::StartDialogue);
    assert_eq!(chat.last.effects[0].args["dialogue"], json!("registration"));
}

#[test]
fn fees_are_shown_from_the_outcome() {
    let mut chat = Chat::open("fees", Lang::En, facts(true, 2));
    assert!(chat.said().contains("Fees of which unit?"));
    chat.press("5-1-302 (owner)");
    assert_eq!(chat.last.effects[0].kind, EffectKind::ShowFees);
    assert_eq!(chat.last.effects[0].args["unit"], json!("5-1-302"));
    assert_eq!(chat.state.as_ref().unwrap().waiting, Waiting::Outcome);
    chat.text("hello?");
    assert!(chat.said().contains("One moment"));
    chat.outcome(
        "ok",
        &[("fees_text", json!("3-2-1101 2026-11 management fee 331.15"))],
    );
    assert!(chat.said().contains("331.15"));
    assert!(chat.state.is_none());
}

#[test]
fn the_survey_records_six_scores_a_comment_and_anonymity() {
    let mut chat = Chat::open("survey", Lang::En, facts(true, 1));
    for score in ["5 ★", "4 ★", "3 ★", "2 ★", "1 ★", "5 ★"] {
        chat.press(score);
    }
    chat.text("Thanks for the new benches");
    chat.press("Yes");
    let e = &chat.last.effects[0];
    assert_eq!(e.kind, EffectKind::RecordSurvey);
    assert_eq!(
        (e.args["overall"].clone(), e.args["repairs"].clone()),
        (json!(5), json!(2))
    );
    assert_eq!(e.args["anonymous"], json!(true));
    assert_eq!(e.args["comment"], json!("Thanks for the new benches"));
}

#[test]
fn a_conversation_started_under_an_older_file_restarts() {
    let mut chat = Chat::open("complaint", Lang::En, facts(true, 1));
    chat.press("Noise");
    if let Some(s) = chat.state.as_mut() {
        s.version = "older".into();
    }
    chat.text("anything");
    assert!(chat.said().contains("updated"));
    assert_eq!(chat.node(), "category");
}

#[test]
fn the_consultation_answers_from_the_file_and_falls_back_to_a_ticket() {
    let mut chat = Chat::open("consultation", Lang::En, facts(false, 0));
    chat.press("Office hours");
    assert!(chat.said().contains("8:30–17:30"));
    chat.press("✍️ This did not help: ask the office");
    chat.text("Can I rent the clubhouse for a party?");
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.args["kind"].clone(), e.args["category"].clone()),
        (json!("consultation"), json!("hours"))
    );
    assert!(e.args["transcript"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
}

/// Number, date and location prompts and a `several_units` branch, which
/// the shipped dialogues do not use yet.
const OTHER_KINDS: &str = r#"id = "visit"
title = { zh = "来访", en = "Visit", zh-Hant = "來訪" }
start = "units"

[nodes.units]
kind = "condition"
branches = [{ fact = "several_units", next = "people" }]
else = "people"

[nodes.people]
kind = "number"
say = { zh = "几位？", en = "How many people?", zh-Hant = "幾位？" }
min = 1
max = 6
save = "people"
next = "day"

[nodes.day]
kind = "date"
say = { zh = "哪天？", en = "Which day?", zh-Hant = "哪天？" }
days = 3
save = "day"
next = "where"

[nodes.where]
kind = "location"
say = { zh = "在哪？", en = "Where?", zh-Hant = "在哪？" }
optional = true
save = "spot"
next = "bye"

[nodes.bye]
kind = "end"
say = { zh = "{people} 人，{day}，{spot}", en = "{people} people on {day} at {spot}", zh-Hant = "{people} 人，{day}，{spot}" }
"#;

#[test]
fn number_date_and_location_prompts_take_their_answers() {
    let compiled = crate::engine::load::compile(std::path::Path::new("visit.toml"), OTHER_KINDS);
    assert!(compiled.problems.is_empty(), "{:?}", compiled.problems);
    let dialogue = compiled.dialogue.unwrap();
    let f = facts(true, 2);
    let mut chat = Chat {
        last: crate::engine::start(&dialogue, Lang::En, &f, super::now()),
        dialogue,
        facts: f,
        state: None,
    };
    chat.state = chat.last.state.clone();
    chat.text("9");
    assert!(chat.said().contains("from 1 to 6"));
    chat.text("two");
    assert!(chat.said().contains("Please type a number."));
    chat.text("2");
    assert_eq!(
        chat.labels()[..3],
        ["Tomorrow 28 Nov", "Sun 29 Nov", "Mon 30 Nov"]
    );
    chat.press("Sun 29 Nov");
    assert!(matches!(
        chat.last.replies[0].keyboard,
        Keyboard::RequestLocation { .. }
    ));
    chat.send(Input::Location {
        latitude: 30.25,
        longitude: 120.5,
    });
    assert_eq!(chat.last.replies[0].keyboard, Keyboard::RemoveReplyKeyboard);
    assert!(
        chat.said()
            .contains("2 people on 2026-11-29 at 30.25, 120.5"),
        "{}",
        chat.said()
    );
    assert!(chat.state.is_none());
}

/// owner: Lift → bot (a lift outage is declared for the unit): the notice,
/// "is your repair about this?" [Add me to this outage] [Report something
/// else]; joining ends the repair with no ticket; "something else" goes on
/// to the description. A door repair is never asked.
#[test]
fn a_repair_of_an_outage_kind_is_offered_the_outage_and_may_join_it() {
    let offer = [
        (
            "outage_offer",
            json!("Lift outage #4 in building 3.\n\nIs your repair about this?"),
        ),
        ("outage_ids", json!([4])),
    ];
    let mut chat = Chat::open("repair", Lang::En, facts(true, 1));
    chat.press("None of these");
    chat.press("Lift");
    assert_eq!(chat.last.effects[0].kind, EffectKind::FindOutage);
    chat.outcome("found", &offer);
    assert!(chat.said().contains("Lift outage #4"), "{}", chat.said());
    chat.press("Add me to this outage");
    let e = &chat.last.effects[0];
    assert_eq!(
        (e.kind, &e.args["outages"]),
        (EffectKind::JoinOutage, &json!([4]))
    );
    chat.outcome("joined", &[("outage_joined", json!("Noted: outage #4."))]);
    assert!(chat.said().contains("Noted: outage #4."));
    assert!(chat.state.is_none(), "no ticket: the conversation is over");

    let mut chat = Chat::open("repair", Lang::En, facts(true, 1));
    chat.press("None of these");
    chat.press("Lift");
    chat.outcome("found", &offer);
    chat.press("Report something else");
    assert_eq!(chat.node(), "details");
    // Closed between the offer and the press: the repair goes on.
    let mut chat = Chat::open("repair", Lang::En, facts(true, 1));
    chat.press("None of these");
    chat.press("Lift");
    chat.outcome("found", &offer);
    chat.press("Add me to this outage");
    chat.outcome("closed", &[]);
    assert!(chat.said().contains("has just ended"), "{}", chat.said());
    assert_eq!(chat.node(), "details");

    let mut chat = Chat::open("repair", Lang::En, facts(true, 1));
    chat.press("None of these");
    chat.press("Door / lock");
    assert!(chat.last.effects.is_empty());
    assert_eq!(chat.node(), "details");
}

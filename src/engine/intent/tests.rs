//! Routing over small hand-made intent sets: each rule of `route` on its own.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Intent, Intents, Route, Term};
use crate::i18n::Text;

fn intent(name: &str, dialogue: &str, set: &[(&str, Value)], words: &[&str]) -> Intent {
    Intent {
        name: name.into(),
        dialogue: dialogue.into(),
        label: Text::from_fn(|_| name.to_string()),
        start: None,
        set: set
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        text: Some("description".into()),
        terms: words
            .iter()
            .map(|w| match w.strip_prefix("re:") {
                Some(p) => Term::Pattern(regex_lite::Regex::new(&format!("(?i){p}")).unwrap()),
                None => Term::keyword(w),
            })
            .collect(),
    }
}

fn estate() -> Intents {
    Intents::new(vec![
        intent("repair", "repair", &[], &["坏了", "broken", "repair"]),
        intent(
            "water",
            "repair",
            &[("category", json!("water")), ("priority", json!("normal"))],
            &["水龙头", "tap", "re:龙头.{0,6}漏水?"],
        ),
        intent(
            "flood",
            "repair",
            &[("category", json!("water")), ("priority", json!("urgent"))],
            &["漏水", "flooding"],
        ),
        intent(
            "lift",
            "repair",
            &[("category", json!("lift")), ("priority", json!("normal"))],
            &["电梯", "lift"],
        ),
        intent(
            "noise",
            "complaint",
            &[("category", json!("noise"))],
            &["吵", "noisy", "barking"],
        ),
        intent(
            "parking",
            "complaint",
            &[("category", json!("parking"))],
            &["停车", "parking"],
        ),
        intent(
            "faq_parking",
            "consultation",
            &[("topic", json!("parking"))],
            &["停车", "parking"],
        ),
    ])
}

fn names(route: &Route<'_>) -> Vec<String> {
    match route {
        Route::Nothing => vec![],
        Route::One(i) => vec![i.name.clone()],
        Route::Ambiguous(l) | Route::Several(l) => l.iter().map(|i| i.name.clone()).collect(),
    }
}

#[test]
fn a_message_with_one_problem_finds_its_intent() {
    let all = estate();
    assert_eq!(names(&all.route("my kitchen tap drips")), ["water"]);
    assert_eq!(names(&all.route("楼上太吵了")), ["noise"]);
    assert_eq!(all.route("hello"), Route::Nothing);
}

#[test]
fn the_longest_match_wins_so_a_dripping_tap_is_no_flood() {
    let all = estate();
    assert_eq!(names(&all.route("厨房水龙头漏水了")), ["water"]);
    assert_eq!(names(&all.route("楼上漏水了")), ["flood"]);
}

#[test]
fn a_general_intent_lends_its_words_to_the_specific_one() {
    let all = estate();
    // 坏了 alone is a repair of some kind; with 电梯 it is the lift.
    assert_eq!(names(&all.route("家里东西坏了")), ["repair"]);
    assert_eq!(names(&all.route("电梯坏了")), ["lift"]);
    assert_eq!(names(&all.route("the lift is broken")), ["lift"]);
}

#[test]
fn an_emergency_wins_over_everything_else() {
    let all = estate();
    assert_eq!(
        names(&all.route("the lift is broken, flooding in the lobby, dogs barking")),
        ["flood"]
    );
}

#[test]
fn the_same_words_for_two_intents_are_a_question() {
    let all = estate();
    assert!(matches!(all.route("parking"), Route::Ambiguous(_)));
    assert_eq!(names(&all.route("停车的事")), ["parking", "faq_parking"]);
}

#[test]
fn two_problems_in_two_clauses_ask_which_first() {
    let all = estate();
    let route = all.route("the lift is broken and also the dog below is barking");
    assert!(matches!(route, Route::Several(_)), "{route:?}");
    assert_eq!(names(&route), ["lift", "noise"]);
    let route = all.route("楼上太吵了，还有电梯坏了");
    assert_eq!(names(&route), ["noise", "lift"], "in the order written");
    // One problem said twice is one problem.
    assert_eq!(names(&all.route("tap drips, the tap is old")), ["water"]);
}

#[test]
fn a_prefill_carries_the_set_the_intent_and_the_words() {
    let all = estate();
    let water = all.get("water").unwrap();
    let p = water.prefill("  my tap drips ");
    assert_eq!(p.vars["category"], json!("water"));
    assert_eq!(p.vars["intent"], json!("water"));
    assert_eq!(p.vars["description"], json!("my tap drips"));
    assert_eq!(p.said.as_deref(), Some("my tap drips"));
}

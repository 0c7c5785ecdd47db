//! From a node as read to the typed node the engine walks, with the checks
//! serde cannot make: translations and lengths, choice keys, regexes,
//! ranges, a condition's tests.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::raw::{
    ActionNode, ChoiceNode, ConditionNode, ContactNode, DaysNode, LocationNode, NumberNode,
    PhotoNode, RawBranch, RawNode, RawText, TextNode, S,
};
use super::report::Report;
use crate::engine::callback;
use crate::engine::model::{Branch, Choice, Fact, Node, NodeKind, Test};
use crate::i18n::{Lang, Text, MAX_TEXT};
use crate::texts::Phrase;

/// Telegram does not publish a limit on inline button labels; long labels
/// are cut on screen, so we refuse anything over 64 characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// The most days a date or slot picker offers, so its buttons stay readable.
pub const MAX_PICKER_DAYS: u32 = 14;
/// Telegram albums hold at most 10 photos.
pub const MAX_PHOTOS: i64 = 10;

/// The typed node, or `None` when it has a problem (reported).
pub fn node(r: &mut Report, name: &str, line: usize, raw: &RawNode) -> Option<Node> {
    let at = At { name, line };
    let (say, retry, kind) = match raw {
        RawNode::Message(n) => (
            Some(&n.say),
            None,
            Some(NodeKind::Message {
                next: value(&n.next),
            }),
        ),
        RawNode::Choice(n) => (Some(&n.say), n.retry.as_ref(), choice(r, &at, n)),
        RawNode::Text(n) => (Some(&n.say), n.retry.as_ref(), text_node(r, &at, n)),
        RawNode::Number(n) => (Some(&n.say), n.retry.as_ref(), number(r, &at, n)),
        RawNode::Date(n) => (Some(&n.say), n.retry.as_ref(), days(r, &at, n, false)),
        RawNode::Slot(n) => (Some(&n.say), n.retry.as_ref(), days(r, &at, n, true)),
        RawNode::Photo(n) => (Some(&n.say), n.retry.as_ref(), photo(r, &at, n)),
        RawNode::Location(n) => (Some(&n.say), n.retry.as_ref(), location(r, &at, n)),
        RawNode::Contact(n) => (Some(&n.say), n.retry.as_ref(), contact(r, &at, n)),
        RawNode::YesNo(n) => (
            Some(&n.say),
            n.retry.as_ref(),
            Some(NodeKind::YesNo {
                save: n.save.as_ref().map(value),
                yes: value(&n.yes),
                no: value(&n.no),
            }),
        ),
        RawNode::Rating(n) => (
            Some(&n.say),
            n.retry.as_ref(),
            save(r, &at, &n.save).map(|save| NodeKind::Rating {
                save,
                next: value(&n.next),
            }),
        ),
        RawNode::PickUnit(n) => {
            let all = n.all.as_ref().map(|a| label(r, a, "`all`"));
            (
                Some(&n.say),
                n.retry.as_ref(),
                save(r, &at, &n.save).and_then(|save| {
                    Some(NodeKind::PickUnit {
                        from: n.from.as_ref().map_or_else(|| "units".into(), value),
                        all: match all {
                            Some(label) => Some(label?),
                            None => None,
                        },
                        save,
                        next: value(&n.next),
                    })
                }),
            )
        }
        RawNode::Action(n) => (n.say.as_ref(), None, action(r, &at, n)),
        RawNode::Condition(n) => (n.say.as_ref(), None, condition(r, n)),
        RawNode::Goto(n) => (
            n.say.as_ref(),
            None,
            Some(NodeKind::Goto {
                dialogue: value(&n.dialogue),
            }),
        ),
        RawNode::End(n) => (Some(&n.say), None, Some(NodeKind::End)),
    };
    // Each part is checked even when another failed, to report them all.
    let say = optional_text(r, say, "`say`");
    let retry = optional_text(r, retry, "`retry`");
    Some(Node {
        say: say?,
        retry: retry?,
        kind: kind?,
    })
}

/// A text a node may leave out: `Some(None)` when it does, `None` when it
/// is there and has a problem.
fn optional_text(r: &mut Report, raw: Option<&S<RawText>>, what: &str) -> Option<Option<Text>> {
    match raw {
        Some(t) => text(r, t, what).map(Some),
        None => Some(None),
    }
}

/// The node a check is about, for its messages.
struct At<'a> {
    name: &'a str,
    line: usize,
}

fn value(v: &S<String>) -> String {
    v.get_ref().clone()
}

fn flag(v: Option<&S<bool>>) -> bool {
    v.is_some_and(|v| *v.get_ref())
}

/// The variable an answer is saved in: it must have a name.
fn save(r: &mut Report, at: &At, v: &S<String>) -> Option<String> {
    if v.get_ref().is_empty() {
        r.at(&v.span(), format!("node `{}` needs `save`", at.name));
        return None;
    }
    Some(value(v))
}

/// A text in every language, each at most 4096 characters.
pub fn text(r: &mut Report, raw: &S<RawText>, what: &str) -> Option<Text> {
    let span = raw.span();
    for code in raw.get_ref().0.keys() {
        if Lang::parse(code).is_none() {
            let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
            r.at(
                &span,
                format!(
                    "{what}: unknown language `{code}` (languages: {})",
                    known.join(", ")
                ),
            );
        }
    }
    let mut texts = Vec::new();
    for lang in Lang::ALL {
        match raw.get_ref().0.get(lang.code()) {
            Some(v) if !v.get_ref().trim().is_empty() => {
                let n = v.get_ref().chars().count();
                if n > MAX_TEXT {
                    r.at(
                        &v.span(),
                        format!(
                            "{what} ({}) is {n} characters; Telegram allows {MAX_TEXT}",
                            lang.code()
                        ),
                    );
                }
                texts.push(Some(value(v)));
            }
            _ => {
                r.at(
                    &span,
                    format!("missing translation: {what} has no `{}` text", lang.code()),
                );
                texts.push(None);
            }
        }
    }
    let texts: Vec<String> = texts.into_iter().collect::<Option<_>>()?;
    Some(Text::from_fn(|lang| {
        texts.get(lang.index()).cloned().unwrap_or_default()
    }))
}

/// A button label: a text of at most 64 characters in each language.
pub fn label(r: &mut Report, raw: &S<RawText>, what: &str) -> Option<Text> {
    let text = text(r, raw, what)?;
    for lang in Lang::ALL {
        let n = text.get(lang).chars().count();
        if n > MAX_LABEL_CHARS {
            r.at(
                &raw.span(),
                format!(
                    "{what} ({}) is {n} characters; button labels may have at most {MAX_LABEL_CHARS}",
                    lang.code()
                ),
            );
        }
    }
    Some(text)
}

fn choice(r: &mut Report, at: &At, n: &ChoiceNode) -> Option<NodeKind> {
    let name = at.name;
    let list = n.choices.get_ref();
    let mut ok = true;
    if list.is_empty() {
        r.at_line(
            at.line,
            format!("dead end: choice node `{name}` has no `choices`"),
        );
        ok = false;
    }
    let mut choices = Vec::new();
    let mut keys = BTreeSet::new();
    for (i, c) in list.iter().enumerate() {
        let span = c.span();
        let c = c.get_ref();
        let key = c.key.as_ref().map_or_else(|| (i + 1).to_string(), value);
        if key.is_empty()
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            r.at(
                &span,
                format!("choice key `{key}` may use only letters, digits, `_` and `-`"),
            );
            ok = false;
        }
        let bytes = callback::worst_case_len(&key);
        if bytes > callback::MAX_BYTES {
            r.at(
                &span,
                format!(
                    "callback data for choice `{key}` would be {bytes} bytes; a button allows {}; use a shorter key",
                    callback::MAX_BYTES
                ),
            );
            ok = false;
        }
        if !keys.insert(key.clone()) {
            r.at(
                &span,
                format!("duplicate choice key `{key}` in node `{name}`"),
            );
            ok = false;
        }
        match label(r, &c.label, "choice label") {
            Some(label) => choices.push(Choice {
                key,
                label,
                next: value(&c.next),
                set: c
                    .set
                    .as_ref()
                    .map(|t| table_to_json(t.get_ref()))
                    .unwrap_or_default(),
            }),
            None => ok = false,
        }
    }
    if let Some(c) = &n.columns {
        if !(1..=8).contains(c.get_ref()) {
            r.at(&c.span(), "`columns` must be from 1 to 8".into());
            ok = false;
        }
    }
    ok.then(|| NodeKind::Choice {
        choices,
        columns: n.columns.as_ref().map(|c| *c.get_ref()),
        save: n.save.as_ref().map(value),
    })
}

fn text_node(r: &mut Report, at: &At, n: &TextNode) -> Option<NodeKind> {
    let name = at.name;
    let min_chars = n.min_chars.as_ref().map_or(1, |v| *v.get_ref());
    let max_chars = n.max_chars.as_ref().map_or(2000, |v| *v.get_ref());
    if max_chars > MAX_TEXT || min_chars > max_chars || max_chars == 0 {
        r.at_line(
            at.line,
            format!("node `{name}`: need 0 ≤ min_chars ≤ max_chars ≤ {MAX_TEXT}, 1 ≤ max_chars"),
        );
    }
    let pattern = n
        .pattern
        .as_ref()
        .and_then(|p| regex(r, p, Regex::new(&format!("^(?:{})$", p.get_ref()))));
    let example = n.example.as_ref().map(value);
    match (&pattern, &example) {
        (Some(re), Some(ex)) if !re.is_match(ex) => r.at_line(
            at.line,
            format!("node `{name}`: the example `{ex}` does not match `pattern`"),
        ),
        (Some(_), None) => r.at_line(
            at.line,
            format!("node `{name}`: a `pattern` needs an `example` the owner is shown"),
        ),
        _ => {}
    }
    Some(NodeKind::Text {
        min_chars,
        max_chars,
        pattern,
        example,
        optional: flag(n.optional.as_ref()),
        save: save(r, at, &n.save)?,
        next: value(&n.next),
    })
}

fn number(r: &mut Report, at: &At, n: &NumberNode) -> Option<NodeKind> {
    let min = n.min.as_ref().map(|v| *v.get_ref());
    let max = n.max.as_ref().map(|v| *v.get_ref());
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            r.at_line(at.line, format!("node `{}`: `min` is above `max`", at.name));
        }
    }
    Some(NodeKind::Number {
        min,
        max,
        save: save(r, at, &n.save)?,
        next: value(&n.next),
    })
}

/// A `date` node, or a `slot` node when `slot`.
fn days(r: &mut Report, at: &At, n: &DaysNode, slot: bool) -> Option<NodeKind> {
    let days = n.days.as_ref().map_or(7, |d| *d.get_ref());
    if !(1..=MAX_PICKER_DAYS).contains(&days) {
        r.at_line(
            at.line,
            format!(
                "node `{}`: `days` must be from 1 to {MAX_PICKER_DAYS}",
                at.name
            ),
        );
    }
    let from_today = flag(n.from_today.as_ref());
    let optional = flag(n.optional.as_ref());
    let save = save(r, at, &n.save)?;
    let next = value(&n.next);
    Some(if slot {
        NodeKind::Slot {
            days,
            from_today,
            optional,
            save,
            next,
        }
    } else {
        NodeKind::Date {
            days,
            from_today,
            optional,
            save,
            next,
        }
    })
}

fn photo(r: &mut Report, at: &At, n: &PhotoNode) -> Option<NodeKind> {
    let max = n.max.as_ref().map_or(1, |v| *v.get_ref());
    if !(1..=MAX_PHOTOS).contains(&max) {
        r.at_line(
            at.line,
            format!(
                "node `{}`: `max` photos must be from 1 to {MAX_PHOTOS}",
                at.name
            ),
        );
    }
    Some(NodeKind::Photo {
        max: usize::try_from(max.clamp(1, MAX_PHOTOS)).unwrap_or(1),
        optional: flag(n.optional.as_ref()),
        save: save(r, at, &n.save)?,
        next: value(&n.next),
    })
}

/// A share button's label, or the catalogue's when the file has none.
fn button(r: &mut Report, raw: Option<&S<RawText>>, default: Phrase) -> Option<Text> {
    match raw {
        Some(b) => label(r, b, "`button`"),
        None => Some(Text::from_fn(|lang| default.get(lang).into())),
    }
}

fn location(r: &mut Report, at: &At, n: &LocationNode) -> Option<NodeKind> {
    let button = button(r, n.button.as_ref(), crate::texts::engine::SHARE_LOCATION);
    Some(NodeKind::Location {
        button: button?,
        optional: flag(n.optional.as_ref()),
        save: save(r, at, &n.save)?,
        next: value(&n.next),
    })
}

fn contact(r: &mut Report, at: &At, n: &ContactNode) -> Option<NodeKind> {
    let button = button(r, n.button.as_ref(), crate::texts::engine::SHARE_CONTACT);
    Some(NodeKind::Contact {
        button: button?,
        save: save(r, at, &n.save)?,
        next: value(&n.next),
    })
}

fn action(r: &mut Report, at: &At, n: &ActionNode) -> Option<NodeKind> {
    let outcomes: BTreeMap<String, String> = n
        .outcomes
        .iter()
        .flat_map(|o| o.get_ref())
        .map(|(k, v)| (value(k), value(v)))
        .collect();
    let next = n.next.as_ref().map(value);
    if outcomes.is_empty() && next.is_none() {
        r.at_line(
            at.line,
            format!(
                "dead end: action node `{}` has no `outcomes` and no `next`",
                at.name
            ),
        );
        return None;
    }
    Some(NodeKind::Action {
        effect: *n.effect.get_ref(),
        args: n
            .args
            .as_ref()
            .map(|t| table_to_json(t.get_ref()))
            .unwrap_or_default(),
        outcomes,
        next,
        transcript: flag(n.transcript.as_ref()),
    })
}

fn condition(r: &mut Report, n: &ConditionNode) -> Option<NodeKind> {
    let mut branches = Vec::new();
    let mut ok = true;
    for b in n.branches.iter().flat_map(|l| l.get_ref()) {
        match branch(r, &b.span(), b.get_ref()) {
            Some(b) => branches.push(b),
            None => ok = false,
        }
    }
    ok.then(|| NodeKind::Condition {
        branches,
        otherwise: value(&n.otherwise),
    })
}

fn branch(r: &mut Report, span: &std::ops::Range<usize>, b: &RawBranch) -> Option<Branch> {
    let test = match (&b.fact, &b.var) {
        (Some(f), None) => match Fact::parse(f.get_ref()) {
            Some(fact) => Test::Fact(fact),
            None => {
                r.at(
                    span,
                    format!(
                        "unknown fact `{}`; known: {}",
                        f.get_ref(),
                        Fact::NAMES.join(", ")
                    ),
                );
                return None;
            }
        },
        (None, Some(v)) => match &b.equals {
            Some(equals) => Test::VarEquals(
                value(v),
                serde_json::to_value(equals.get_ref()).unwrap_or_default(),
            ),
            None => Test::VarIsSet(value(v)),
        },
        _ => {
            r.at(span, "a branch needs exactly one of `fact` or `var`".into());
            return None;
        }
    };
    Some(Branch {
        test,
        negate: flag(b.not.as_ref()) ^ b.is_set.as_ref().is_some_and(|s| !*s.get_ref()),
        next: value(&b.next),
    })
}

/// The regex written at `p` as compiled (with either regex crate), or its
/// problem reported at `p`.
pub(super) fn regex<R, E: std::fmt::Display>(
    r: &mut Report,
    p: &S<String>,
    compiled: Result<R, E>,
) -> Option<R> {
    match compiled {
        Ok(re) => Some(re),
        Err(e) => {
            let why = e.to_string();
            let why = why.lines().last().unwrap_or_default().trim();
            r.at(&p.span(), format!("the regex does not compile: {why}"));
            None
        }
    }
}

pub(super) fn table_to_json(t: &toml::Table) -> BTreeMap<String, serde_json::Value> {
    t.iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect()
}

//! `[intents.NAME]` of a dialogue file: from the raw shape to
//! [`Intent`]s, with the checks a file allows (names, translations,
//! regexes, the node to start at, the variable for the text), and — once
//! every file is read — the examples, each routed over all intents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::convert::{label, regex, table_to_json};
use super::raw::{RawIntent, RawWords, S};
use super::report::{Problem, Report};
use crate::engine::intent::{Intent, Intents, Route, Term, MAX_NAME_BYTES};
use crate::engine::model::{Node, NodeKind};
use crate::i18n::Lang;

/// A message an intent declares it must catch, where it is written.
#[derive(Debug, Clone)]
pub struct Example {
    pub intent: String,
    pub text: String,
    pub line: usize,
}

/// What a file's intents compile to.
#[derive(Debug, Default)]
pub struct FileIntents {
    pub intents: Vec<Intent>,
    pub examples: Vec<Example>,
    /// Names with their lines, for the check of duplicates across files.
    pub names: Vec<(String, usize)>,
}

/// The intents of dialogue `dialogue`, whose nodes are `nodes`.
pub fn convert(
    r: &mut Report,
    dialogue: &str,
    raw: &[(S<String>, S<RawIntent>)],
    nodes: &BTreeMap<String, Node>,
) -> FileIntents {
    let saved = saved_vars(nodes);
    let mut out = FileIntents::default();
    for (name, intent) in raw {
        let line = r.line(&name.span());
        out.names.push((name.get_ref().clone(), line));
        if let Some((i, examples)) = one(r, dialogue, name, intent, nodes, &saved) {
            out.intents.push(i);
            out.examples.extend(examples);
        }
    }
    out
}

fn one(
    r: &mut Report,
    dialogue: &str,
    name: &S<String>,
    raw: &S<RawIntent>,
    nodes: &BTreeMap<String, Node>,
    saved: &BTreeSet<String>,
) -> Option<(Intent, Vec<Example>)> {
    let span = raw.span();
    let n = name.get_ref();
    let raw = raw.get_ref();
    let mut ok = true;
    if n.is_empty()
        || n.len() > MAX_NAME_BYTES
        || !n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        r.at(
            &name.span(),
            format!("intent name `{n}`: use 1–{MAX_NAME_BYTES} lowercase letters, digits and `_` (it travels in a button)"),
        );
        ok = false;
    }
    let label = label(r, &raw.label, "intent label");
    if let Some(start) = &raw.start {
        if !nodes.contains_key(start.get_ref()) {
            r.at(
                &start.span(),
                format!(
                    "intent `{n}` starts at `{}`, which is no node of this file",
                    start.get_ref()
                ),
            );
            ok = false;
        }
    }
    if let Some(text) = &raw.text {
        if !saved.contains(text.get_ref()) {
            r.at(
                &text.span(),
                format!(
                    "intent `{n}`: no question of this file saves `{}`, so the owner's words would go nowhere",
                    text.get_ref()
                ),
            );
            ok = false;
        }
    }
    let mut terms = Vec::new();
    let mut covered: Vec<Lang> = Vec::new();
    for (words, is_pattern) in [(&raw.keywords, false), (&raw.patterns, true)] {
        let what = if is_pattern { "patterns" } else { "keywords" };
        for (lang, list) in by_language(r, words.as_ref(), n, what) {
            for w in list.get_ref() {
                let term = if is_pattern {
                    pattern(r, w, n)
                } else {
                    keyword(r, w, n)
                };
                match term {
                    Some(t) => {
                        terms.push(t);
                        if !covered.contains(&lang) {
                            covered.push(lang);
                        }
                    }
                    None => ok = false,
                }
            }
        }
    }
    let mut examples = Vec::new();
    let mut exemplified: Vec<Lang> = Vec::new();
    for (lang, list) in by_language(r, raw.examples.as_ref(), n, "examples") {
        for e in list.get_ref() {
            if !exemplified.contains(&lang) {
                exemplified.push(lang);
            }
            examples.push(Example {
                intent: n.clone(),
                text: e.get_ref().clone(),
                line: r.line(&e.span()),
            });
        }
    }
    for lang in Lang::ALL {
        if !covered.contains(&lang) {
            r.at(
                &span,
                format!(
                    "missing translation: intent `{n}` has no `{}` keywords or patterns",
                    lang.code()
                ),
            );
            ok = false;
        }
        if !exemplified.contains(&lang) {
            r.at(
                &span,
                format!(
                    "intent `{n}` has no `{}` example: write a message it must catch",
                    lang.code()
                ),
            );
            ok = false;
        }
    }
    let label = label?;
    ok.then(|| {
        (
            Intent {
                name: n.clone(),
                dialogue: dialogue.to_string(),
                label,
                start: raw.start.as_ref().map(|s| s.get_ref().clone()),
                set: raw
                    .set
                    .as_ref()
                    .map(|t| table_to_json(t.get_ref()))
                    .unwrap_or_default(),
                text: raw.text.as_ref().map(|t| t.get_ref().clone()),
                terms,
            },
            examples,
        )
    })
}

/// The lists of `words` by known language; an unknown one is reported.
fn by_language<'w>(
    r: &mut Report,
    words: Option<&'w RawWords>,
    intent: &str,
    what: &str,
) -> Vec<(Lang, &'w S<Vec<S<String>>>)> {
    let Some(words) = words else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (code, list) in words.get_ref() {
        match Lang::parse(code) {
            Some(lang) => out.push((lang, list)),
            None => {
                let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                r.at(
                    &list.span(),
                    format!(
                        "intent `{intent}` {what}: unknown language `{code}` (languages: {})",
                        known.join(", ")
                    ),
                );
            }
        }
    }
    out
}

fn keyword(r: &mut Report, w: &S<String>, intent: &str) -> Option<Term> {
    if !w.get_ref().chars().any(char::is_alphanumeric) {
        r.at(
            &w.span(),
            format!(
                "intent `{intent}`: keyword `{}` has no letters",
                w.get_ref()
            ),
        );
        return None;
    }
    Some(Term::keyword(w.get_ref()))
}

fn pattern(r: &mut Report, p: &S<String>, intent: &str) -> Option<Term> {
    let re = regex(
        r,
        p,
        regex_lite::Regex::new(&format!("(?i){}", p.get_ref())),
    )?;
    if re.is_match("") {
        r.at(
            &p.span(),
            format!("intent `{intent}`: the pattern matches an empty message; it would match everything"),
        );
        return None;
    }
    Some(Term::Pattern(re))
}

/// Every variable a question of the file saves.
fn saved_vars(nodes: &BTreeMap<String, Node>) -> BTreeSet<String> {
    nodes
        .values()
        .filter_map(|n| match &n.kind {
            NodeKind::Text { save, .. }
            | NodeKind::Number { save, .. }
            | NodeKind::Date { save, .. }
            | NodeKind::Slot { save, .. }
            | NodeKind::Photo { save, .. }
            | NodeKind::Location { save, .. }
            | NodeKind::Contact { save, .. }
            | NodeKind::Rating { save, .. }
            | NodeKind::PickUnit { save, .. } => Some(save.clone()),
            NodeKind::Choice { save, .. } | NodeKind::YesNo { save, .. } => save.clone(),
            _ => None,
        })
        .collect()
}

/// An intent name used in two places.
#[must_use]
pub fn duplicates(names: &[(PathBuf, String, usize)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, &PathBuf> = BTreeMap::new();
    for (file, name, line) in names {
        if let Some(first) = seen.get(name.as_str()) {
            problems.push(Problem::new(
                file,
                *line,
                format!(
                    "duplicate intent name `{name}` (also in {})",
                    first.display()
                ),
            ));
        } else {
            seen.insert(name, file);
        }
    }
    problems
}

/// Every example that does not route to its own intent over all intents.
#[must_use]
pub fn misrouted(intents: &Intents, examples: &[(PathBuf, Example)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (file, e) in examples {
        let wrong = match intents.route(&e.text) {
            Route::One(i) if i.name == e.intent => continue,
            Route::One(i) => format!("routes to `{}` ({})", i.name, i.dialogue),
            Route::Ambiguous(list) => format!("is ambiguous between {}", names_of(&list)),
            Route::Several(list) => format!("reads as several problems: {}", names_of(&list)),
            Route::Nothing => "matches no keyword or pattern".to_string(),
        };
        problems.push(Problem::new(
            file,
            e.line,
            format!("example {:?} of intent `{}` {wrong}", e.text, e.intent),
        ));
    }
    problems
}

fn names_of(list: &[&Intent]) -> String {
    list.iter()
        .map(|i| format!("`{}`", i.name))
        .collect::<Vec<_>>()
        .join(", ")
}

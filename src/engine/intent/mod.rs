//! Free text finds its dialogue. Each dialogue file may declare intents:
//! what an owner writes when they mean this dialogue (keywords and regular
//! expressions per language), what that already tells us (`set`: the
//! category, the priority …), and where their own words go (`text`: the
//! description). [`Intents::route`] reads a message and says which intent
//! it is — one, several that fit the same words (ask which), several
//! problems at once (ask which first), or none (the menu).
//!
//! Pure: no I/O, no clock. The terms are compiled once when the dialogue
//! folder is loaded ([`crate::engine::load_dir`]).
//!
//! How a message is read:
//! 1. Every term of every intent is looked for ([`words`]); a word counts 2
//!    (1 where it names a place: "in the lift", "电梯里"), a pattern 4. A hit
//!    inside a longer hit is dropped: the longest match wins (`水龙头漏水` is
//!    a tap, not a flood).
//! 2. A general intent lends its hits to the more specific intents of its
//!    dialogue that were found too (`坏了` + `水龙头` is a plumbing repair):
//!    an intent is more specific when it sets everything the general one
//!    sets, and more.
//! 3. An emergency (an intent that sets `priority = "urgent"`) wins outright.
//! 4. The message is cut into clauses (punctuation, "and", "还有" … but not
//!    inside a hit). When two clauses are each led by different intents,
//!    the owner wrote about two problems.
//! 5. Otherwise the highest score wins; a tie is a question for the owner.

mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde_json::Value;

pub use self::words::{normalize, Term};
use super::model::Prefill;
use crate::i18n::Text;

/// The most bytes an intent's name may have: it travels in a button's data.
pub const MAX_NAME_BYTES: usize = 32;
/// The most intents offered as buttons when the owner must choose.
pub const MAX_OFFERED: usize = 4;
/// The variable that records which intent started a dialogue: conditions
/// may test it (`{ var = "intent", is_set = true }`), tickets keep it.
pub const INTENT_VAR: &str = "intent";

/// One way into a dialogue from the owner's own words.
#[derive(Debug, Clone)]
pub struct Intent {
    pub name: String,
    /// The dialogue (file) that declares it.
    pub dialogue: String,
    /// The button that offers it when the owner must choose.
    pub label: Text,
    /// The node to start at; the dialogue's `start` when `None`.
    pub start: Option<String>,
    /// What the message already tells: these variables are set, and the
    /// questions that would ask for them are skipped.
    pub set: BTreeMap<String, Value>,
    /// The variable that takes the owner's message (a description).
    pub text: Option<String>,
    pub terms: Vec<Term>,
}

impl Intent {
    /// An emergency: it sets `priority = "urgent"`.
    #[must_use]
    pub fn is_urgent(&self) -> bool {
        self.set.get("priority").and_then(Value::as_str) == Some("urgent")
    }

    /// Whether this intent says everything `other` says, and more, in the
    /// same dialogue.
    fn refines(&self, other: &Intent) -> bool {
        self.dialogue == other.dialogue
            && self.set.len() > other.set.len()
            && other.set.iter().all(|(k, v)| self.set.get(k) == Some(v))
    }

    /// The variables to start the dialogue with, for the message `said`.
    #[must_use]
    pub fn prefill(&self, said: &str) -> Prefill {
        let mut vars = self.set.clone();
        vars.insert(INTENT_VAR.into(), Value::String(self.name.clone()));
        let said = said.trim();
        if let Some(var) = &self.text {
            vars.insert(var.clone(), Value::String(said.to_string()));
        }
        Prefill {
            start: self.start.clone(),
            vars,
            said: Some(said.to_string()),
        }
    }
}

/// What a message is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Route<'a> {
    /// Nothing we know: the menu.
    Nothing,
    One(&'a Intent),
    /// The same words fit several intents: the owner picks one.
    Ambiguous(Vec<&'a Intent>),
    /// The message names several problems: the owner picks the first.
    Several(Vec<&'a Intent>),
}

impl PartialEq for Intent {
    fn eq(&self, other: &Intent) -> bool {
        self.name == other.name
    }
}

/// Every intent of the dialogue folder, in file order.
#[derive(Debug, Clone, Default)]
pub struct Intents {
    list: Vec<Intent>,
}

/// A term of intent `intent` found at `span`.
#[derive(Debug, Clone)]
struct Hit {
    intent: usize,
    span: Range<usize>,
    weight: u32,
    /// Written as declared, not a typo of it.
    exact: bool,
}

impl Intents {
    #[must_use]
    pub fn new(list: Vec<Intent>) -> Intents {
        Intents { list }
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Intent> {
        self.list.iter().find(|i| i.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Intent> {
        self.list.iter()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// What `text` is about.
    #[must_use]
    pub fn route(&self, text: &str) -> Route<'_> {
        let norm = normalize(text);
        let hits = self.hits(&norm);
        if hits.is_empty() {
            return Route::Nothing;
        }
        let scores = self.scores(&hits);
        let urgent = scores
            .iter()
            .filter(|(i, _)| self.list[**i].is_urgent())
            .max_by_key(|(i, s)| (**s, std::cmp::Reverse(**i)));
        if let Some((i, _)) = urgent {
            return Route::One(&self.list[*i]);
        }
        let problems = self.problems(&norm, &hits, &scores);
        if problems.len() > 1 {
            let offered: Vec<&Intent> = problems
                .iter()
                .flatten()
                .map(|i| &self.list[*i])
                .take(MAX_OFFERED)
                .collect();
            return Route::Several(offered);
        }
        let best = scores.values().copied().max().unwrap_or(0);
        let top: Vec<&Intent> = scores
            .iter()
            .filter(|(_, s)| **s == best)
            .map(|(i, _)| &self.list[*i])
            .take(MAX_OFFERED)
            .collect();
        match top.as_slice() {
            [] => Route::Nothing,
            [one] => Route::One(one),
            _ => Route::Ambiguous(top),
        }
    }

    /// Each intent found in `text` with its score, best first: what
    /// [`Intents::route`] weighed, for people tuning the keywords.
    #[must_use]
    pub fn explain(&self, text: &str) -> Vec<(&str, u32)> {
        let norm = normalize(text);
        let mut scores: Vec<(&str, u32)> = self
            .scores(&self.hits(&norm))
            .into_iter()
            .map(|(i, s)| (self.list[i].name.as_str(), s))
            .collect();
        scores.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
        scores
    }

    /// Every hit that counts: inside no longer hit, and a general intent's
    /// hits lent to the specific intents found with it.
    fn hits(&self, norm: &str) -> Vec<Hit> {
        let mut all: Vec<Hit> = Vec::new();
        for (i, intent) in self.list.iter().enumerate() {
            for term in &intent.terms {
                for (span, exact) in term.hits(norm) {
                    all.push(Hit {
                        intent: i,
                        weight: term.weight(norm, &span),
                        span,
                        exact,
                    });
                }
            }
        }
        // The longest match wins; one span counts once per intent, at its
        // heaviest; a typo that is some term's exact word is that word
        // (`barking` is no mistyped `parking`).
        let inside = |h: &Hit| {
            all.iter().any(|o| {
                let within = o.span.start <= h.span.start && h.span.end <= o.span.end;
                let overlaps = o.span.start < h.span.end && h.span.start < o.span.end;
                (within && o.span.len() > h.span.len()) || (!h.exact && o.exact && overlaps)
            })
        };
        let mut kept: Vec<Hit> = all.iter().filter(|h| !inside(h)).cloned().collect();
        kept.sort_by_key(|h| {
            (
                h.intent,
                h.span.start,
                h.span.end,
                std::cmp::Reverse(h.weight),
            )
        });
        kept.dedup_by(|a, b| a.intent == b.intent && a.span == b.span);
        let found: BTreeSet<usize> = kept.iter().map(|h| h.intent).collect();
        let mut lent = Vec::new();
        for h in kept {
            let general = &self.list[h.intent];
            let specific: Vec<usize> = found
                .iter()
                .copied()
                .filter(|s| self.list[*s].refines(general))
                .collect();
            if specific.is_empty() {
                lent.push(h);
            } else {
                lent.extend(specific.into_iter().map(|s| Hit {
                    intent: s,
                    ..h.clone()
                }));
            }
        }
        lent
    }

    /// The score of each intent found, by its place in the list.
    fn scores(&self, hits: &[Hit]) -> BTreeMap<usize, u32> {
        let mut scores = BTreeMap::new();
        for h in hits {
            *scores.entry(h.intent).or_insert(0) += h.weight;
        }
        scores
    }

    /// The problems the message names: the intents leading each clause,
    /// clauses led by the same intents taken together, in the order written.
    /// Each problem's intents are its best scorers over the whole message.
    fn problems(&self, norm: &str, hits: &[Hit], scores: &BTreeMap<usize, u32>) -> Vec<Vec<usize>> {
        // A pattern written across a joining word ("left a mess and
        // didn't") reads it as one statement.
        let starts: Vec<usize> = words::clause_starts(norm)
            .into_iter()
            .filter(|s| !hits.iter().any(|h| h.span.start < *s && *s < h.span.end))
            .collect();
        let clause_of = |pos: usize| starts.partition_point(|s| *s <= pos).saturating_sub(1);
        let mut by_clause: BTreeMap<usize, BTreeMap<usize, u32>> = BTreeMap::new();
        for h in hits {
            *by_clause
                .entry(clause_of(h.span.start))
                .or_default()
                .entry(h.intent)
                .or_insert(0) += h.weight;
        }
        let mut groups: Vec<BTreeSet<usize>> = Vec::new();
        for in_clause in by_clause.values() {
            let best = in_clause.values().copied().max().unwrap_or(0);
            let mut leaders: BTreeSet<usize> = in_clause
                .iter()
                .filter(|(_, s)| **s == best)
                .map(|(i, _)| *i)
                .collect();
            // Every earlier problem this clause shares an intent with is
            // the same problem.
            groups.retain(|g| {
                if g.is_disjoint(&leaders) {
                    return true;
                }
                leaders.extend(g.iter().copied());
                false
            });
            groups.push(leaders);
        }
        groups.sort_by_key(|g| g.iter().map(|i| first_hit(hits, *i)).min());
        groups
            .into_iter()
            .map(|g| {
                let best = g.iter().map(|i| scores[i]).max().unwrap_or(0);
                let mut top: Vec<usize> = g.into_iter().filter(|i| scores[i] == best).collect();
                top.sort_by_key(|i| first_hit(hits, *i));
                top
            })
            .collect()
    }
}

/// Where intent `i` is first found.
fn first_hit(hits: &[Hit], i: usize) -> usize {
    hits.iter()
        .filter(|h| h.intent == i)
        .map(|h| h.span.start)
        .min()
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests;

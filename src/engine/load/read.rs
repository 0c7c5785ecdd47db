//! From the file's text to its raw shape ([`super::raw`]): TOML syntax, then
//! serde per part — the head (`id`, `title`, `start`), and each node on its
//! own, by its `kind` — so every bad node is reported, each at the line of
//! the key or value serde refused, with the node it is in.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::raw::{Kind, RawHead, RawIntent, RawNode, S};
use super::report::Report;

/// A file as read: its head when that was sound, and its nodes by name,
/// `None` for a node that could not be read (its problem is reported).
#[derive(Default)]
pub struct RawDialogue {
    pub head: Option<RawHead>,
    pub nodes: BTreeMap<S<String>, Option<S<RawNode>>>,
    /// The intents that could be read, by name (a bad one is reported).
    pub intents: Vec<(S<String>, S<RawIntent>)>,
}

/// Keys that lead to other nodes: without one a node is a dead end.
const LEADS: [&str; 5] = ["next", "yes", "no", "else", "choices"];

/// Reads `src`; every problem goes to `report`.
pub fn dialogue(src: &str, report: &mut Report) -> RawDialogue {
    let root = match DeTable::parse(src) {
        Ok(root) => root,
        Err(e) => {
            report.at(&e.span().unwrap_or(0..0), e.message().trim().to_string());
            return RawDialogue::default();
        }
    };
    let keys = Keys::of(root.get_ref());
    let nodes = root.get_ref().get("nodes").cloned();
    let intents = root.get_ref().get("intents").cloned();
    let head = match RawHead::deserialize(toml::de::Deserializer::from(root)) {
        Ok(head) => Some(head),
        Err(e) => {
            let (span, message) = explain_head(&keys, &e);
            report.at(&span, message);
            None
        }
    };
    let mut read = BTreeMap::new();
    // A `nodes` that is not a table of tables was refused with the head.
    if let Some(DeValue::Table(nodes)) = nodes.map(Spanned::into_inner) {
        for (name, value) in nodes {
            let name = Spanned::new(name.span(), name.into_inner().into_owned());
            let node = node(name.get_ref(), value, report);
            read.insert(name, node);
        }
    }
    let mut wanted = Vec::new();
    // An `intents` that is not a table of tables was refused with the head.
    if let Some(DeValue::Table(all)) = intents.map(Spanned::into_inner) {
        for (name, value) in all {
            let name = Spanned::new(name.span(), name.into_inner().into_owned());
            if let Some(intent) = intent(name.get_ref(), value, report) {
                wanted.push((name, intent));
            }
        }
    }
    RawDialogue {
        head,
        nodes: read,
        intents: wanted,
    }
}

/// One intent, reported at the key serde refused.
fn intent(name: &str, value: Spanned<DeValue<'_>>, report: &mut Report) -> Option<S<RawIntent>> {
    let span = value.span();
    match RawIntent::deserialize(ValueDeserializer::from(value)) {
        Ok(intent) => Some(Spanned::new(span, intent)),
        Err(e) => {
            report.at(
                &e.span().unwrap_or(span),
                format!("{} (intent `{name}`)", e.message()),
            );
            None
        }
    }
}

/// Where a serde error in the head is and what to tell the person editing.
fn explain_head(keys: &Keys, e: &toml::de::Error) -> (Range<usize>, String) {
    let span = e.span().unwrap_or(0..0);
    let message = e.message();
    let text = if quoted_after(message, "missing field ").is_some() {
        let all: Vec<String> = RawHead::keys().iter().map(|k| format!("`{k}`")).collect();
        format!("{message}: a dialogue file needs {}", all.join(", "))
    } else if quoted_after(message, "unknown field ").is_some() {
        message.to_string()
    } else {
        match keys.around(&span) {
            Some(key) => format!("{message} (`{key}`)"),
            None => message.to_string(),
        }
    };
    (span, text)
}

/// One node: its `kind` chooses the struct the other keys are read into.
fn node(name: &str, value: Spanned<DeValue<'_>>, report: &mut Report) -> Option<S<RawNode>> {
    let span = value.span();
    // Not a table: refused with the head already.
    let DeValue::Table(mut table) = value.into_inner() else {
        return None;
    };
    let at = NodeAt {
        name,
        span: span.clone(),
        keys: Keys::of(&table),
    };
    let Some(kind) = table.remove("kind") else {
        report.at(
            &span,
            format!("node `{name}` needs `kind`: one of {}", kinds().join(", ")),
        );
        return None;
    };
    let kind = match Kind::deserialize(ValueDeserializer::from(kind)) {
        Ok(kind) => kind,
        Err(e) => {
            let message = if e.message().starts_with("unknown variant") {
                format!("{} (`kind` of node `{name}`)", e.message())
            } else {
                format!(
                    "`kind` of node `{name}` must be one of {}",
                    kinds().join(", ")
                )
            };
            report.at(&e.span().unwrap_or(span), message);
            return None;
        }
    };
    let body = ValueDeserializer::from(Spanned::new(span.clone(), DeValue::Table(table)));
    match kind.read(body) {
        Ok(node) => Some(Spanned::new(span, node)),
        Err(e) => {
            let (span, message) = at.explain(kind, &e);
            report.at(&span, message);
            None
        }
    }
}

fn kinds() -> Vec<&'static str> {
    Kind::ALL.iter().map(|k| k.name()).collect()
}

/// A table's keys with the spans of the key and of its value.
struct Keys(Vec<(String, Range<usize>, Range<usize>)>);

impl Keys {
    fn of(table: &DeTable<'_>) -> Keys {
        Keys(
            table
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), k.span(), v.span()))
                .collect(),
        )
    }

    /// The key whose name or value holds `span`.
    fn around(&self, span: &Range<usize>) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, key, value)| {
                [key, value]
                    .iter()
                    .any(|r| r.start <= span.start && span.end <= r.end)
            })
            .map(|(k, _, _)| k.as_str())
    }

    /// Whether a key of this table is written exactly at `span` (serde
    /// reports an unknown key there).
    fn has_key_at(&self, span: &Range<usize>) -> bool {
        self.0.iter().any(|(_, key, _)| key == span)
    }
}

/// The node a serde error is in, to say it in the node's terms.
struct NodeAt<'a> {
    name: &'a str,
    span: Range<usize>,
    keys: Keys,
}

impl NodeAt<'_> {
    /// Where the error is and what to tell the person editing the file.
    fn explain(&self, kind: Kind, e: &toml::de::Error) -> (Range<usize>, String) {
        let name = self.name;
        let span = e.span().unwrap_or_else(|| self.span.clone());
        let message = e.message();
        // Missing keys: the span is the node's table, or the inner table
        // (a choice, a branch) that lacks the key.
        if let Some(key) = quoted_after(message, "missing field ") {
            let inner = (span != self.span)
                .then(|| self.keys.around(&span))
                .flatten();
            let text = match (LEADS.contains(&key), inner) {
                (true, None) => format!("dead end: node `{name}` has no `{key}`"),
                (true, Some(list)) => {
                    format!("dead end: node `{name}` has no `{key}` in one of its `{list}`")
                }
                (false, None) if key == "say" => {
                    format!("node `{name}` needs `say`: what the bot tells the owner")
                }
                (false, None) => format!("node `{name}` needs `{key}`"),
                (false, Some(list)) => {
                    format!("node `{name}` needs `{key}` in each of its `{list}`")
                }
            };
            return (span, text);
        }
        if let Some(key) = quoted_after(message, "unknown field ") {
            if self.keys.has_key_at(&span) {
                let takers: Vec<String> = Kind::ALL
                    .iter()
                    .filter(|k| k.keys().contains(&key))
                    .map(|k| format!("`{}`", k.name()))
                    .collect();
                let text = if takers.is_empty() {
                    format!("{message} (node `{name}`)")
                } else {
                    format!(
                        "unknown key `{key}` for a `{}` node (`{name}`); {} nodes take it",
                        kind.name(),
                        takers.join(", ")
                    )
                };
                return (span, text);
            }
        }
        let text = match self.keys.around(&span) {
            Some(key) => format!("{message} (`{key}` of node `{name}`)"),
            None => format!("{message} (node `{name}`)"),
        };
        (span, text)
    }
}

/// `x` from a serde message `<prefix>`x`…`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(key, _)| key)
}

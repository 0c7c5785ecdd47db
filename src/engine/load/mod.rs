//! Reading `dialogues/*.toml`: TOML with spans, serde structs per node kind
//! ([`raw`], read by [`read`]), the checks serde cannot make while turning
//! them into a typed [`Dialogue`] ([`convert`], [`graph`]), and every problem
//! with its line ([`report`]).

mod convert;
mod graph;
mod intents;
mod raw;
mod read;
mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use self::graph::Graph;
use self::raw::RawNode;
use self::report::Report;
use crate::engine::intent::Intents;
use crate::engine::model::Dialogue;

pub use self::convert::{MAX_LABEL_CHARS, MAX_PHOTOS, MAX_PICKER_DAYS};
pub use self::intents::{Example, FileIntents};
pub use self::report::Problem;

/// All loaded dialogues, by id.
#[derive(Debug, Clone, Default)]
pub struct Dialogues {
    by_id: BTreeMap<String, Dialogue>,
    /// How free text finds these dialogues.
    intents: Intents,
}

impl Dialogues {
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Dialogue> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Dialogue> {
        self.by_id.values()
    }

    /// The intents every file declares, for free text.
    #[must_use]
    pub fn intents(&self) -> &Intents {
        &self.intents
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The dialogue folder's files that are not dialogues: the text catalogue
/// (see [`crate::texts`]) and the canned replies (`domain::canned`).
pub const NOT_DIALOGUES: &[&str] = &[crate::texts::FILE_NAME, "canned.toml"];

/// Loads every `*.toml` in `dir` but [`NOT_DIALOGUES`]; any problem in any file refuses the lot.
pub fn load_dir(dir: &Path) -> Result<Dialogues, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut files = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_none_or(|n| !NOT_DIALOGUES.contains(&n))
            })
            .collect::<Vec<_>>(),
        Err(e) => {
            return Err(vec![Problem::new(
                dir,
                0,
                format!("cannot read the dialogue folder: {e}"),
            )])
        }
    };
    files.sort();
    let mut by_id: BTreeMap<String, Dialogue> = BTreeMap::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut gotos = Vec::new();
    let mut intents = Vec::new();
    let mut names = Vec::new();
    let mut examples = Vec::new();
    for path in &files {
        let src = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    problems.push(Problem::new(path, 1, "the file is not UTF-8 text".into()));
                    continue;
                }
            },
            Err(e) => {
                problems.push(Problem::new(path, 1, format!("cannot read the file: {e}")));
                continue;
            }
        };
        let compiled = compile(path, &src);
        problems.extend(compiled.problems);
        if let Some((id, line)) = compiled.id {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if stem != id {
                problems.push(Problem::new(
                    path,
                    line,
                    format!("id `{id}` does not match the file name; name the file `{id}.toml`"),
                ));
            }
            if let Some(first) = seen.get(&id) {
                problems.push(Problem::new(
                    path,
                    line,
                    format!("duplicate dialogue id `{id}` (also in {})", first.display()),
                ));
            } else {
                seen.insert(id.clone(), path.clone());
            }
        }
        gotos.extend(
            compiled
                .gotos
                .into_iter()
                .map(|(t, line)| (path.clone(), t, line)),
        );
        let found = compiled.intents;
        names.extend(found.names.into_iter().map(|(n, l)| (path.clone(), n, l)));
        examples.extend(found.examples.into_iter().map(|e| (path.clone(), e)));
        intents.extend(found.intents);
        if let Some(d) = compiled.dialogue {
            by_id.entry(d.id.clone()).or_insert(d);
        }
    }
    for (path, target, line) in gotos {
        if !seen.contains_key(&target) {
            problems.push(Problem::new(
                &path,
                line,
                format!("unknown dialogue id `{target}`"),
            ));
        }
    }
    problems.extend(intents::duplicates(&names));
    let intents = Intents::new(intents);
    // Examples are routed over every intent: only when all could be read.
    if problems.is_empty() {
        problems.extend(intents::misrouted(&intents, &examples));
    }
    if problems.is_empty() {
        Ok(Dialogues { by_id, intents })
    } else {
        problems.sort();
        problems.dedup();
        Err(problems)
    }
}

/// A stable hash of the file bytes (FNV-1a, 64 bit), as hex.
#[must_use]
pub fn version_of(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// What compiling one file yields.
pub struct Compiled {
    pub dialogue: Option<Dialogue>,
    pub problems: Vec<Problem>,
    /// The dialogue id and its line, when the file got that far.
    pub id: Option<(String, usize)>,
    /// Other dialogues this one starts (`goto`), with lines.
    pub gotos: Vec<(String, usize)>,
    /// Its intents (only those without a problem) and their examples.
    pub intents: intents::FileIntents,
}

/// Parses and checks one file's text; `dialogue` is set only when the file
/// has no problem.
#[must_use]
pub fn compile(file: &Path, src: &str) -> Compiled {
    let mut report = Report::new(file, src);
    let raw = read::dialogue(src, &mut report);
    let mut graph = Graph::new();
    let mut nodes = BTreeMap::new();
    let mut gotos = Vec::new();
    for (name, node) in &raw.nodes {
        let line = report.line(&name.span());
        let Some(node) = node else {
            graph.add_unread(name.get_ref(), line);
            continue;
        };
        let node = node.get_ref();
        graph.add(&report, name.get_ref(), line, node);
        if let RawNode::Goto(goto) = node {
            gotos.push((
                goto.dialogue.get_ref().clone(),
                report.line(&goto.dialogue.span()),
            ));
        }
        if let Some(typed) = convert::node(&mut report, name.get_ref(), line, node) {
            nodes.insert(name.get_ref().clone(), typed);
        }
    }
    let head = raw.head.as_ref();
    let title = head.and_then(|h| convert::label(&mut report, &h.title, "title"));
    let intents = match head {
        Some(h) => intents::convert(&mut report, h.id.get_ref(), &raw.intents, &nodes),
        None => intents::FileIntents::default(),
    };
    graph.check(head.map(|h| &h.start), &mut report);
    let dialogue = match (head, title) {
        (Some(head), Some(title)) if report.is_clean() => Some(Dialogue {
            id: head.id.get_ref().clone(),
            title,
            version: version_of(src.as_bytes()),
            start: head.start.get_ref().clone(),
            nodes,
        }),
        _ => None,
    };
    Compiled {
        dialogue,
        id: head.map(|h| (h.id.get_ref().clone(), report.line(&h.id.span()))),
        problems: report.into_problems(),
        gotos,
        intents,
    }
}

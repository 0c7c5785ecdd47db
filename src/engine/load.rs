//! Reading `dialogues/*.toml`: parse with spans, turn the raw shape into a
//! typed [`Dialogue`], and collect every problem with its line number.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use regex::Regex;
use toml::Spanned;

use super::callback;
use super::model::{
    Branch, Choice, Dialogue, Fact, KindName, Node, NodeKind, RawDialogue, RawNode, RawText, Test,
};
use crate::i18n::{Lang, Text, MAX_TEXT};

/// Telegram does not publish a limit on inline button labels; long labels
/// are cut on screen, so we refuse anything over 64 characters.
pub const MAX_LABEL_CHARS: usize = 64;
/// The most days a date or slot picker offers, so its buttons stay readable.
pub const MAX_PICKER_DAYS: u32 = 14;
/// Telegram albums hold at most 10 photos.
pub const MAX_PHOTOS: i64 = 10;

/// One thing wrong with a dialogue file; displays as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// All loaded dialogues, by id.
#[derive(Debug, Clone, Default)]
pub struct Dialogues {
    by_id: BTreeMap<String, Dialogue>,
}

impl Dialogues {
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Dialogue> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Dialogue> {
        self.by_id.values()
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

/// Loads every `*.toml` in `dir` but the text catalogue (`texts.toml`, see
/// [`crate::texts`]); any problem in any file refuses the lot.
pub fn load_dir(dir: &Path) -> Result<Dialogues, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut files = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter(|p| p.file_name().is_none_or(|n| n != crate::texts::FILE_NAME))
            .collect::<Vec<_>>(),
        Err(e) => {
            return Err(vec![Problem {
                file: dir.to_path_buf(),
                line: 0,
                message: format!("cannot read the dialogue folder: {e}"),
            }])
        }
    };
    files.sort();
    let mut by_id: BTreeMap<String, Dialogue> = BTreeMap::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut gotos = Vec::new();
    for path in &files {
        let src = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    problems.push(problem(path, 1, "the file is not UTF-8 text".into()));
                    continue;
                }
            },
            Err(e) => {
                problems.push(problem(path, 1, format!("cannot read the file: {e}")));
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
                problems.push(problem(
                    path,
                    line,
                    format!("id `{id}` does not match the file name; name the file `{id}.toml`"),
                ));
            }
            if let Some(first) = seen.get(&id) {
                problems.push(problem(
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
        if let Some(d) = compiled.dialogue {
            by_id.entry(d.id.clone()).or_insert(d);
        }
    }
    for (path, target, line) in gotos {
        if !seen.contains_key(&target) {
            problems.push(problem(
                &path,
                line,
                format!("unknown dialogue id `{target}`"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(Dialogues { by_id })
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

fn problem(file: &Path, line: usize, message: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        line,
        message,
    }
}

/// What compiling one file yields.
pub struct Compiled {
    pub dialogue: Option<Dialogue>,
    pub problems: Vec<Problem>,
    /// The dialogue id and its line, when the file got that far.
    pub id: Option<(String, usize)>,
    /// Other dialogues this one starts (`goto`), with lines.
    pub gotos: Vec<(String, usize)>,
}

/// Parses and checks one file's text; `dialogue` is set only when the file
/// has no problem.
#[must_use]
pub fn compile(file: &Path, src: &str) -> Compiled {
    let mut cx = Cx {
        file,
        src,
        problems: Vec::new(),
    };
    let raw: RawDialogue = match toml::from_str(src) {
        Ok(raw) => raw,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(src, s.start));
            cx.problems
                .push(problem(file, line, e.message().trim().to_string()));
            return Compiled {
                dialogue: None,
                problems: cx.problems,
                id: None,
                gotos: Vec::new(),
            };
        }
    };
    let id_line = cx.line(&raw.id.span());
    let title = cx.label(&raw.title, "title");
    let mut graph = Graph::default();
    let mut nodes = BTreeMap::new();
    let mut gotos = Vec::new();
    for (name, node) in raw.nodes.get_ref() {
        let line = cx.line(&name.span());
        let name = name.get_ref().clone();
        if let Some(n) = cx.node(&name, line, node.get_ref(), &mut graph, &mut gotos) {
            nodes.insert(name, n);
        }
    }
    graph.start = Some((raw.start.get_ref().clone(), cx.line(&raw.start.span())));
    cx.graph_checks(&graph);
    let dialogue = match (cx.problems.is_empty(), title) {
        (true, Some(title)) => Some(Dialogue {
            id: raw.id.get_ref().clone(),
            title,
            version: version_of(src.as_bytes()),
            start: raw.start.get_ref().clone(),
            nodes,
        }),
        _ => None,
    };
    Compiled {
        dialogue,
        problems: cx.problems,
        id: Some((raw.id.get_ref().clone(), id_line)),
        gotos,
    }
}

fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}

/// The node graph with lines, for the graph-wide checks.
#[derive(Default)]
struct Graph {
    start: Option<(String, usize)>,
    nodes: BTreeMap<String, GraphNode>,
}

/// (line, waits for the owner, targets with the lines naming them)
type GraphNode = (usize, bool, Vec<(String, usize)>);
/// A key, where it is written, and the node kinds that use it.
type KeyUse<'r> = (&'static str, Option<Range<usize>>, &'r [KindName]);

struct Cx<'a> {
    file: &'a Path,
    src: &'a str,
    problems: Vec<Problem>,
}

type S<T> = Spanned<T>;

impl Cx<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        line_of(self.src, span.start)
    }

    fn report(&mut self, line: usize, message: String) {
        self.problems.push(problem(self.file, line, message));
    }

    /// A text in every language, each at most 4096 characters.
    fn text(&mut self, raw: &S<RawText>, what: &str) -> Option<Text> {
        let line = self.line(&raw.span());
        for code in raw.get_ref().0.keys() {
            if Lang::parse(code).is_none() {
                let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                self.report(
                    line,
                    format!(
                        "{what}: unknown language `{code}` (languages: {})",
                        known.join(", ")
                    ),
                );
            }
        }
        let get = |cx: &mut Self, value: Option<&S<String>>, lang: Lang| match value {
            Some(v) if !v.get_ref().trim().is_empty() => {
                let n = v.get_ref().chars().count();
                if n > MAX_TEXT {
                    let l = cx.line(&v.span());
                    cx.report(
                        l,
                        format!(
                            "{what} ({}) is {n} characters; Telegram allows {MAX_TEXT}",
                            lang.code()
                        ),
                    );
                }
                Some(v.get_ref().clone())
            }
            _ => {
                cx.report(
                    line,
                    format!("missing translation: {what} has no `{}` text", lang.code()),
                );
                None
            }
        };
        let texts: Vec<Option<String>> = Lang::ALL
            .into_iter()
            .map(|lang| get(self, raw.get_ref().0.get(lang.code()), lang))
            .collect();
        let texts: Vec<String> = texts.into_iter().collect::<Option<_>>()?;
        Some(Text::from_fn(|lang| {
            texts.get(lang.index()).cloned().unwrap_or_default()
        }))
    }

    /// A button label: a text of at most 64 characters in each language.
    fn label(&mut self, raw: &S<RawText>, what: &str) -> Option<Text> {
        let text = self.text(raw, what)?;
        for lang in Lang::ALL {
            let n = text.get(lang).chars().count();
            if n > MAX_LABEL_CHARS {
                let line = self.line(&raw.span());
                self.report(
                    line,
                    format!(
                        "{what} ({}) is {n} characters; button labels may have at most {MAX_LABEL_CHARS}",
                        lang.code()
                    ),
                );
            }
        }
        Some(text)
    }

    /// A required key naming another node; its absence is a dead end.
    fn target(
        &mut self,
        value: &Option<S<String>>,
        node: &str,
        line: usize,
        key: &str,
        edges: &mut Vec<(String, usize)>,
    ) -> Option<String> {
        match value {
            Some(v) => {
                edges.push((v.get_ref().clone(), self.line(&v.span())));
                Some(v.get_ref().clone())
            }
            None => {
                self.report(line, format!("dead end: node `{node}` has no `{key}`"));
                None
            }
        }
    }

    fn required(
        &mut self,
        value: &Option<S<String>>,
        node: &str,
        line: usize,
        key: &str,
    ) -> Option<String> {
        match value {
            Some(v) if !v.get_ref().is_empty() => Some(v.get_ref().clone()),
            _ => {
                self.report(line, format!("node `{node}` needs `{key}`"));
                None
            }
        }
    }

    fn node(
        &mut self,
        name: &str,
        line: usize,
        raw: &RawNode,
        graph: &mut Graph,
        gotos: &mut Vec<(String, usize)>,
    ) -> Option<Node> {
        let kind = *raw.kind.get_ref();
        self.keys_apply(name, kind, raw);
        let say = raw.say.as_ref().and_then(|t| self.text(t, "`say`"));
        if raw.say.is_none()
            && (kind.is_prompt() || matches!(kind, KindName::Message | KindName::End))
        {
            self.report(
                line,
                format!("node `{name}` needs `say`: what the bot tells the owner"),
            );
        }
        let retry = raw.retry.as_ref().and_then(|t| self.text(t, "`retry`"));
        let mut edges = Vec::new();
        let optional = raw.optional.as_ref().is_some_and(|o| *o.get_ref());
        let kind_typed = self.kind(name, line, kind, raw, optional, &mut edges, gotos);
        graph
            .nodes
            .insert(name.to_string(), (line, kind.is_prompt(), edges));
        Some(Node {
            say,
            retry,
            kind: kind_typed?,
        })
    }

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    fn kind(
        &mut self,
        name: &str,
        line: usize,
        kind: KindName,
        raw: &RawNode,
        optional: bool,
        edges: &mut Vec<(String, usize)>,
        gotos: &mut Vec<(String, usize)>,
    ) -> Option<NodeKind> {
        let save = || raw.save.as_ref().map(|s| s.get_ref().clone());
        Some(match kind {
            KindName::Message => NodeKind::Message {
                next: self.target(&raw.next, name, line, "next", edges)?,
            },
            KindName::Choice => {
                let Some(list) = &raw.choices else {
                    self.report(
                        line,
                        format!("dead end: choice node `{name}` has no `choices`"),
                    );
                    return None;
                };
                let mut choices = Vec::new();
                let mut keys = BTreeSet::new();
                let mut ok = true;
                if list.get_ref().is_empty() {
                    self.report(
                        line,
                        format!("dead end: choice node `{name}` has no `choices`"),
                    );
                    ok = false;
                }
                for (i, c) in list.get_ref().iter().enumerate() {
                    let c_line = self.line(&c.span());
                    let c = c.get_ref();
                    let key = c
                        .key
                        .as_ref()
                        .map_or_else(|| (i + 1).to_string(), |k| k.get_ref().clone());
                    if !key
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                        || key.is_empty()
                    {
                        self.report(
                            c_line,
                            format!("choice key `{key}` may use only letters, digits, `_` and `-`"),
                        );
                        ok = false;
                    }
                    let bytes = callback::worst_case_len(&key);
                    if bytes > callback::MAX_BYTES {
                        self.report(
                            c_line,
                            format!(
                                "callback data for choice `{key}` would be {bytes} bytes; a button allows {}; use a shorter key",
                                callback::MAX_BYTES
                            ),
                        );
                        ok = false;
                    }
                    if !keys.insert(key.clone()) {
                        self.report(
                            c_line,
                            format!("duplicate choice key `{key}` in node `{name}`"),
                        );
                        ok = false;
                    }
                    let label = self.label(&c.label, "choice label");
                    let next = self.target(&c.next, name, c_line, "next` in a choice", edges);
                    let set = c
                        .set
                        .as_ref()
                        .map(|t| table_to_json(t.get_ref()))
                        .unwrap_or_default();
                    match (label, next) {
                        (Some(label), Some(next)) => choices.push(Choice {
                            key,
                            label,
                            next,
                            set,
                        }),
                        _ => ok = false,
                    }
                }
                let columns = raw.columns.as_ref().map(|c| *c.get_ref());
                if let Some(c) = &raw.columns {
                    if !(1..=8).contains(c.get_ref()) {
                        let l = self.line(&c.span());
                        self.report(l, "`columns` must be from 1 to 8".into());
                    }
                }
                if !ok {
                    return None;
                }
                NodeKind::Choice {
                    choices,
                    columns,
                    save: save(),
                }
            }
            KindName::Text => {
                let min_chars = raw.min_chars.as_ref().map_or(1, |v| *v.get_ref());
                let max_chars = raw.max_chars.as_ref().map_or(2000, |v| *v.get_ref());
                if max_chars > MAX_TEXT || min_chars > max_chars || max_chars == 0 {
                    self.report(
                        line,
                        format!("node `{name}`: need 0 ≤ min_chars ≤ max_chars ≤ {MAX_TEXT}, 1 ≤ max_chars"),
                    );
                }
                let pattern = match &raw.pattern {
                    Some(p) => match Regex::new(&format!("^(?:{})$", p.get_ref())) {
                        Ok(re) => Some(re),
                        Err(e) => {
                            let l = self.line(&p.span());
                            let why = e
                                .to_string()
                                .lines()
                                .last()
                                .unwrap_or_default()
                                .trim()
                                .to_string();
                            self.report(l, format!("the regex does not compile: {why}"));
                            None
                        }
                    },
                    None => None,
                };
                let example = raw.example.as_ref().map(|e| e.get_ref().clone());
                match (&pattern, &example) {
                    (Some(re), Some(ex)) if !re.is_match(ex) => {
                        self.report(
                            line,
                            format!("node `{name}`: the example `{ex}` does not match `pattern`"),
                        );
                    }
                    (Some(_), None) => {
                        self.report(
                            line,
                            format!(
                                "node `{name}`: a `pattern` needs an `example` the owner is shown"
                            ),
                        );
                    }
                    _ => {}
                }
                NodeKind::Text {
                    min_chars,
                    max_chars,
                    pattern,
                    example,
                    optional,
                    save: self.required(&raw.save, name, line, "save")?,
                    next: self.target(&raw.next, name, line, "next", edges)?,
                }
            }
            KindName::Number => {
                let min = raw.min.as_ref().map(|v| *v.get_ref());
                let max = raw.max.as_ref().map(|v| *v.get_ref());
                if let (Some(a), Some(b)) = (min, max) {
                    if a > b {
                        self.report(line, format!("node `{name}`: `min` is above `max`"));
                    }
                }
                NodeKind::Number {
                    min,
                    max,
                    save: self.required(&raw.save, name, line, "save")?,
                    next: self.target(&raw.next, name, line, "next", edges)?,
                }
            }
            KindName::Date | KindName::Slot => {
                let days = raw.days.as_ref().map_or(7, |d| *d.get_ref());
                if !(1..=MAX_PICKER_DAYS).contains(&days) {
                    self.report(
                        line,
                        format!("node `{name}`: `days` must be from 1 to {MAX_PICKER_DAYS}"),
                    );
                }
                let from_today = raw.from_today.as_ref().is_some_and(|v| *v.get_ref());
                let save = self.required(&raw.save, name, line, "save")?;
                let next = self.target(&raw.next, name, line, "next", edges)?;
                if kind == KindName::Date {
                    NodeKind::Date {
                        days,
                        from_today,
                        optional,
                        save,
                        next,
                    }
                } else {
                    NodeKind::Slot {
                        days,
                        from_today,
                        optional,
                        save,
                        next,
                    }
                }
            }
            KindName::Photo => {
                let max = raw.max.as_ref().map_or(1, |v| *v.get_ref());
                if !(1..=MAX_PHOTOS).contains(&max) {
                    self.report(
                        line,
                        format!("node `{name}`: `max` photos must be from 1 to {MAX_PHOTOS}"),
                    );
                }
                NodeKind::Photo {
                    max: usize::try_from(max.clamp(1, MAX_PHOTOS)).unwrap_or(1),
                    optional,
                    save: self.required(&raw.save, name, line, "save")?,
                    next: self.target(&raw.next, name, line, "next", edges)?,
                }
            }
            KindName::Location | KindName::Contact => {
                let button = match &raw.button {
                    Some(b) => self.label(b, "`button`")?,
                    None => {
                        let p = if kind == KindName::Contact {
                            crate::texts::engine::SHARE_CONTACT
                        } else {
                            crate::texts::engine::SHARE_LOCATION
                        };
                        Text::from_fn(|lang| p.get(lang).into())
                    }
                };
                let save = self.required(&raw.save, name, line, "save")?;
                let next = self.target(&raw.next, name, line, "next", edges)?;
                if kind == KindName::Contact {
                    NodeKind::Contact { button, save, next }
                } else {
                    NodeKind::Location {
                        button,
                        optional,
                        save,
                        next,
                    }
                }
            }
            KindName::YesNo => {
                let yes = self.target(&raw.yes, name, line, "yes", edges);
                let no = self.target(&raw.no, name, line, "no", edges);
                NodeKind::YesNo {
                    save: save(),
                    yes: yes?,
                    no: no?,
                }
            }
            KindName::Rating => NodeKind::Rating {
                save: self.required(&raw.save, name, line, "save")?,
                next: self.target(&raw.next, name, line, "next", edges)?,
            },
            KindName::PickUnit => NodeKind::PickUnit {
                from: raw
                    .from
                    .as_ref()
                    .map_or_else(|| "units".to_string(), |f| f.get_ref().clone()),
                save: self.required(&raw.save, name, line, "save")?,
                next: self.target(&raw.next, name, line, "next", edges)?,
            },
            KindName::Action => {
                let Some(effect) = &raw.effect else {
                    self.report(line, format!("action node `{name}` needs `effect`"));
                    return None;
                };
                let mut outcomes = BTreeMap::new();
                if let Some(map) = &raw.outcomes {
                    for (k, v) in map.get_ref() {
                        edges.push((v.get_ref().clone(), self.line(&v.span())));
                        outcomes.insert(k.get_ref().clone(), v.get_ref().clone());
                    }
                }
                let next = match &raw.next {
                    Some(v) => {
                        edges.push((v.get_ref().clone(), self.line(&v.span())));
                        Some(v.get_ref().clone())
                    }
                    None => None,
                };
                if outcomes.is_empty() && next.is_none() {
                    self.report(
                        line,
                        format!("dead end: action node `{name}` has no `outcomes` and no `next`"),
                    );
                    return None;
                }
                NodeKind::Action {
                    effect: *effect.get_ref(),
                    args: raw
                        .args
                        .as_ref()
                        .map(|t| table_to_json(t.get_ref()))
                        .unwrap_or_default(),
                    outcomes,
                    next,
                    transcript: raw.transcript.as_ref().is_some_and(|t| *t.get_ref()),
                }
            }
            KindName::Condition => {
                let mut branches = Vec::new();
                let mut ok = true;
                for b in raw.branches.iter().flat_map(|l| l.get_ref()) {
                    let b_line = self.line(&b.span());
                    let b = b.get_ref();
                    let test = match (&b.fact, &b.var) {
                        (Some(f), None) => match Fact::parse(f.get_ref()) {
                            Some(fact) => Some(Test::Fact(fact)),
                            None => {
                                self.report(
                                    b_line,
                                    format!(
                                        "unknown fact `{}`; known: {}",
                                        f.get_ref(),
                                        Fact::NAMES.join(", ")
                                    ),
                                );
                                None
                            }
                        },
                        (None, Some(v)) => Some(match &b.equals {
                            Some(value) => Test::VarEquals(
                                v.get_ref().clone(),
                                serde_json::to_value(value.get_ref()).unwrap_or_default(),
                            ),
                            None => Test::VarIsSet(v.get_ref().clone()),
                        }),
                        _ => {
                            self.report(
                                b_line,
                                "a branch needs exactly one of `fact` or `var`".into(),
                            );
                            None
                        }
                    };
                    let negate = b.not.as_ref().is_some_and(|n| *n.get_ref())
                        ^ b.is_set.as_ref().is_some_and(|s| !*s.get_ref());
                    let next = self.target(&b.next, name, b_line, "next` in a branch", edges);
                    match (test, next) {
                        (Some(test), Some(next)) => branches.push(Branch { test, negate, next }),
                        _ => ok = false,
                    }
                }
                let otherwise = self.target(&raw.otherwise, name, line, "else", edges);
                if !ok {
                    return None;
                }
                NodeKind::Condition {
                    branches,
                    otherwise: otherwise?,
                }
            }
            KindName::Goto => {
                let Some(d) = &raw.dialogue else {
                    self.report(line, format!("goto node `{name}` needs `dialogue`"));
                    return None;
                };
                gotos.push((d.get_ref().clone(), self.line(&d.span())));
                NodeKind::Goto {
                    dialogue: d.get_ref().clone(),
                }
            }
            KindName::End => NodeKind::End,
        })
    }

    /// Reports keys that the node's kind does not use.
    fn keys_apply(&mut self, name: &str, kind: KindName, raw: &RawNode) {
        use KindName as K;
        let present: [KeyUse<'_>; 24] = [
            (
                "retry",
                raw.retry.as_ref().map(Spanned::span),
                &[
                    K::Choice,
                    K::Text,
                    K::Number,
                    K::Date,
                    K::Slot,
                    K::Photo,
                    K::Location,
                    K::Contact,
                    K::YesNo,
                    K::Rating,
                    K::PickUnit,
                ],
            ),
            (
                "next",
                raw.next.as_ref().map(Spanned::span),
                &[
                    K::Message,
                    K::Text,
                    K::Number,
                    K::Date,
                    K::Slot,
                    K::Photo,
                    K::Location,
                    K::Contact,
                    K::Rating,
                    K::PickUnit,
                    K::Action,
                ],
            ),
            (
                "save",
                raw.save.as_ref().map(Spanned::span),
                &[
                    K::Choice,
                    K::Text,
                    K::Number,
                    K::Date,
                    K::Slot,
                    K::Photo,
                    K::Location,
                    K::Contact,
                    K::YesNo,
                    K::Rating,
                    K::PickUnit,
                ],
            ),
            (
                "optional",
                raw.optional.as_ref().map(Spanned::span),
                &[K::Text, K::Date, K::Slot, K::Photo, K::Location],
            ),
            (
                "choices",
                raw.choices.as_ref().map(Spanned::span),
                &[K::Choice],
            ),
            (
                "columns",
                raw.columns.as_ref().map(Spanned::span),
                &[K::Choice],
            ),
            (
                "min_chars",
                raw.min_chars.as_ref().map(Spanned::span),
                &[K::Text],
            ),
            (
                "max_chars",
                raw.max_chars.as_ref().map(Spanned::span),
                &[K::Text],
            ),
            (
                "pattern",
                raw.pattern.as_ref().map(Spanned::span),
                &[K::Text],
            ),
            (
                "example",
                raw.example.as_ref().map(Spanned::span),
                &[K::Text],
            ),
            ("min", raw.min.as_ref().map(Spanned::span), &[K::Number]),
            (
                "max",
                raw.max.as_ref().map(Spanned::span),
                &[K::Number, K::Photo],
            ),
            (
                "days",
                raw.days.as_ref().map(Spanned::span),
                &[K::Date, K::Slot],
            ),
            (
                "from_today",
                raw.from_today.as_ref().map(Spanned::span),
                &[K::Date, K::Slot],
            ),
            (
                "button",
                raw.button.as_ref().map(Spanned::span),
                &[K::Location, K::Contact],
            ),
            ("yes", raw.yes.as_ref().map(Spanned::span), &[K::YesNo]),
            ("no", raw.no.as_ref().map(Spanned::span), &[K::YesNo]),
            ("from", raw.from.as_ref().map(Spanned::span), &[K::PickUnit]),
            (
                "branches",
                raw.branches.as_ref().map(Spanned::span),
                &[K::Condition],
            ),
            (
                "else",
                raw.otherwise.as_ref().map(Spanned::span),
                &[K::Condition],
            ),
            (
                "effect",
                raw.effect.as_ref().map(Spanned::span),
                &[K::Action],
            ),
            ("args", raw.args.as_ref().map(Spanned::span), &[K::Action]),
            (
                "outcomes",
                raw.outcomes.as_ref().map(Spanned::span),
                &[K::Action],
            ),
            (
                "dialogue",
                raw.dialogue.as_ref().map(Spanned::span),
                &[K::Goto],
            ),
        ];
        let more = [
            ("provides", raw.provides.as_ref().map(Spanned::span)),
            ("transcript", raw.transcript.as_ref().map(Spanned::span)),
        ];
        for (key, span, kinds) in present {
            if let Some(span) = span {
                if !kinds.contains(&kind) {
                    let line = self.line(&span);
                    self.report(
                        line,
                        format!(
                            "unknown key `{key}` for a `{}` node (`{name}`)",
                            kind.name()
                        ),
                    );
                }
            }
        }
        for (key, span) in more {
            if let Some(span) = span {
                if kind != K::Action {
                    let line = self.line(&span);
                    self.report(
                        line,
                        format!(
                            "unknown key `{key}` for a `{}` node (`{name}`)",
                            kind.name()
                        ),
                    );
                }
            }
        }
    }

    /// Dangling targets, unreachable nodes and loops that never ask anything.
    fn graph_checks(&mut self, graph: &Graph) {
        let mut roots = Vec::new();
        if let Some((start, line)) = &graph.start {
            if graph.nodes.contains_key(start) {
                roots.push(start.clone());
            } else {
                self.report(
                    *line,
                    format!("`start` names `{start}`, which is not a node"),
                );
            }
        }
        let mut dangling = false;
        for (name, (_, _, edges)) in &graph.nodes {
            for (target, line) in edges {
                if !graph.nodes.contains_key(target) {
                    dangling = true;
                    self.report(*line, format!("dangling target: node `{name}` leads to `{target}`, which is not a node"));
                }
            }
        }
        let mut reached: BTreeSet<String> = BTreeSet::new();
        while let Some(n) = roots.pop() {
            if !reached.insert(n.clone()) {
                continue;
            }
            if let Some((_, _, edges)) = graph.nodes.get(&n) {
                roots.extend(
                    edges
                        .iter()
                        .map(|(t, _)| t.clone())
                        .filter(|t| graph.nodes.contains_key(t)),
                );
            }
        }
        for (name, (line, _, _)) in &graph.nodes {
            // A misspelt target strands everything behind it; report the
            // typo alone rather than a cascade.
            if !reached.contains(name) && graph.start.is_some() && !dangling {
                self.report(
                    *line,
                    format!("unreachable node `{name}`: nothing leads to it"),
                );
            }
        }
        // A cycle of nodes that never wait for the owner would spin forever.
        let mut done: BTreeSet<&str> = BTreeSet::new();
        for name in graph.nodes.keys() {
            let mut path = Vec::new();
            if let Some(looped) = self.spin(graph, name, &mut path, &mut done) {
                let line = graph.nodes.get(&looped).map_or(1, |n| n.0);
                self.report(
                    line,
                    format!("node `{looped}` is on a loop that never asks the owner anything"),
                );
            }
        }
    }

    fn spin<'g>(
        &self,
        graph: &'g Graph,
        node: &'g str,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<String> {
        if path.contains(&node) {
            return Some(node.to_string());
        }
        if done.contains(node) {
            return None;
        }
        let (_, prompt, edges) = graph.nodes.get(node)?;
        done.insert(node);
        if *prompt {
            return None;
        }
        path.push(node);
        for (t, _) in edges {
            if let Some(found) = self.spin(graph, t, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
}

fn table_to_json(t: &toml::Table) -> BTreeMap<String, serde_json::Value> {
    t.iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect()
}

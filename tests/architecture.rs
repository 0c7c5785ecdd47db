//! The module graph of `src/`, read from the source: which module uses which
//! (`use crate::…`, `use super::…`, inline `crate::…` paths), and the rules it
//! must keep — no import cycle between any two modules, and `domain`/`engine`
//! below everything that uses them (no `processor`, `telegram`, `app` or
//! teloxide in them), and the pipeline's stages (`intake` → inbox →
//! `processor` → `outbox` → `sender`) not reaching into one another.
//!
//! `cargo test --test architecture -- --nocapture` prints the graph's cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles that exist today and are being taken apart. The test fails when a
/// cycle appears that is not listed here, and when a listed one is gone (so
/// the list only ever shrinks).
const KNOWN_CYCLES: &[&[&str]] = &[];

/// Layers that must not reach up: (module prefix, forbidden prefixes).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "processor",
            "telegram",
            "intake",
            "outbox",
            "sender",
            "app",
            "scheduler",
            "<teloxide>",
        ],
    ),
    (
        "engine",
        &[
            "processor",
            "telegram",
            "intake",
            "outbox",
            "sender",
            "app",
            "scheduler",
            "domain",
            "<teloxide>",
        ],
    ),
    // The pipeline's stages know only the tables between them: intake
    // writes the inbox, the sender drains the outbox; neither knows what
    // the processor does with an update.
    ("intake", &["processor", "outbox", "sender", "scheduler"]),
    ("outbox", &["processor", "intake", "sender", "scheduler"]),
    ("sender", &["processor", "intake", "scheduler"]),
];

/// Layering exceptions that exist today and are being removed; same ratchet
/// as [`KNOWN_CYCLES`]: (module, forbidden dependency).
const KNOWN_LAYER_BREACHES: &[(&str, &str)] = &[];

#[test]
fn the_module_graph_has_no_cycle_but_the_known_ones() {
    let graph = Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let cycles = graph.cycles();
    for cycle in &cycles {
        println!("cycle: {}", cycle.join(" → "));
    }
    let known: BTreeSet<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|c| c.iter().map(|m| (*m).to_string()).collect())
        .collect();
    let found: BTreeSet<Vec<String>> = cycles.into_iter().collect();
    let new: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(new.is_empty(), "new import cycles: {new:?}");
    assert!(
        gone.is_empty(),
        "these cycles are gone: take them off KNOWN_CYCLES: {gone:?}"
    );
}

#[test]
fn domain_and_engine_do_not_reach_up() {
    let graph = Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut breaches = BTreeSet::new();
    for (module, deps) in &graph.edges {
        for (layer, forbidden) in LAYERS {
            if !in_module(module, layer) {
                continue;
            }
            for dep in deps {
                if forbidden.iter().any(|f| in_module(dep, f)) {
                    breaches.insert((module.clone(), dep.clone()));
                }
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN_LAYER_BREACHES
        .iter()
        .map(|(m, d)| ((*m).to_string(), (*d).to_string()))
        .collect();
    let new: Vec<_> = breaches.difference(&known).collect();
    let gone: Vec<_> = known.difference(&breaches).collect();
    assert!(new.is_empty(), "modules reaching up a layer: {new:?}");
    assert!(
        gone.is_empty(),
        "fixed: take these off KNOWN_LAYER_BREACHES: {gone:?}"
    );
}

#[test]
fn the_reader_sees_grouped_nested_and_relative_imports() {
    let modules: BTreeSet<String> = ["a", "a::b", "a::b::c", "d", "e"]
        .iter()
        .map(|m| (*m).to_string())
        .collect();
    let source = "use crate::{d, a::b::{self, c::Thing}};\n\
                  use super::e as other;\n\
                  fn f() { crate::d::g(); }\n\
                  // use crate::e; is a comment\n\
                  const S: &str = \"use crate::e;\"; const R: &str = r#\"use crate::e;\"#;\n\
                  fn l<'a>(x: &'a str) -> char { '\\'' }\n\
                  #[cfg(test)]\nmod tests { use crate::e; }\n";
    let deps = dependencies("a::b", source, &modules);
    let parent = dependencies("a", "mod b;\nfn f() { b::c::g(); super::{x}; }\n", &modules);
    assert_eq!(parent, ["a::b::c".to_string()].into_iter().collect());
    let expected: BTreeSet<String> = ["a::b::c", "d", "a"]
        .iter()
        .map(|m| (*m).to_string())
        .collect();
    assert_eq!(deps, expected);
}

fn in_module(module: &str, prefix: &str) -> bool {
    module == prefix || module.starts_with(&format!("{prefix}::"))
}

struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    fn read(src: &Path) -> Graph {
        let files = rust_files(src);
        let modules: BTreeMap<String, PathBuf> = files
            .into_iter()
            .map(|file| (module_of(src, &file), file))
            .collect();
        let names: BTreeSet<String> = modules.keys().cloned().collect();
        let edges = modules
            .iter()
            .map(|(module, file)| {
                let source = std::fs::read_to_string(file).expect("a readable source file");
                (module.clone(), dependencies(module, &source, &names))
            })
            .collect();
        Graph { edges }
    }

    /// Strongly connected components of more than one module, each sorted.
    fn cycles(&self) -> Vec<Vec<String>> {
        let mut tarjan = Tarjan {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            next: 0,
            components: Vec::new(),
        };
        for module in self.edges.keys() {
            if !tarjan.index.contains_key(module) {
                tarjan.visit(module);
            }
        }
        let mut cycles: Vec<Vec<String>> = tarjan
            .components
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        cycles.sort();
        cycles
    }
}

struct Tarjan<'g> {
    graph: &'g Graph,
    index: BTreeMap<String, usize>,
    low: BTreeMap<String, usize>,
    stack: Vec<String>,
    next: usize,
    components: Vec<Vec<String>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, v: &str) {
        self.index.insert(v.to_string(), self.next);
        self.low.insert(v.to_string(), self.next);
        self.next += 1;
        self.stack.push(v.to_string());
        let deps: Vec<String> = self.graph.edges[v]
            .iter()
            .filter(|d| self.graph.edges.contains_key(*d))
            .cloned()
            .collect();
        for w in deps {
            if !self.index.contains_key(&w) {
                self.visit(&w);
                let low = self.low[v].min(self.low[&w]);
                self.low.insert(v.to_string(), low);
            } else if self.stack.contains(&w) {
                let low = self.low[v].min(self.index[&w]);
                self.low.insert(v.to_string(), low);
            }
        }
        if self.low[v] == self.index[v] {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                let done = w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable src folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `src/processor/features/staff/mod.rs` → `processor::features::staff`; `src/lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The modules `module`'s non-test code refers to.
fn dependencies(module: &str, source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = without_tests(&without_comments(source));
    let mut paths = Vec::new();
    for statement in use_statements(&code) {
        expand_use_tree("", &statement, &mut paths);
    }
    paths.extend(inline_paths(&code));
    // `mod due;` then `due::run(..)`: a path through a child module needs no
    // prefix, but it is a dependency all the same.
    for child in child_modules(&code) {
        for path in inline_paths_from(&code, &format!("{child}::")) {
            paths.push(format!("self::{path}"));
        }
    }
    let here: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut deps = BTreeSet::new();
    for path in paths {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let Some(first) = segments.first() else {
            continue;
        };
        let absolute: Vec<&str> = match *first {
            "crate" | "propdesk" => segments[1..].to_vec(),
            "super" | "self" => {
                let mut base = here.clone();
                let mut rest = &segments[..];
                while let Some((head, tail)) = rest.split_first() {
                    match *head {
                        "super" => {
                            base.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = tail;
                }
                base.extend_from_slice(rest);
                base
            }
            "teloxide" => {
                deps.insert("<teloxide>".to_string());
                continue;
            }
            _ => continue,
        };
        if let Some(target) = longest_module(&absolute, modules) {
            if target != module {
                deps.insert(target);
            }
        }
    }
    deps
}

fn longest_module(segments: &[&str], modules: &BTreeSet<String>) -> Option<String> {
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// The source without comments and with every string and char literal
/// emptied, so only code is left to read paths from.
fn without_comments(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match (c, next) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ('r', Some('"' | '#')) if !ident_char(out.chars().next_back()) => {
                let mut hashes = 0;
                let mut j = i + 1;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                let closing: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                while j < chars.len() && !chars[j..].starts_with(&closing) {
                    j += 1;
                }
                out.push_str("\"\"");
                i = j + closing.len();
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                out.push_str("\"\"");
                i += 1;
            }
            ('\'', _) => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                let literal_end = if next == Some('\\') {
                    chars[i + 2..]
                        .iter()
                        .position(|&c| c == '\'')
                        .map(|p| i + 2 + p)
                } else if chars.get(i + 2) == Some(&'\'') {
                    Some(i + 2)
                } else {
                    None
                };
                match literal_end {
                    Some(end) => {
                        out.push_str("' '");
                        i = end + 1;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Test modules sit at the end of a file behind `#[cfg(test)]`.
fn without_tests(code: &str) -> String {
    match code.find("#[cfg(test)]") {
        Some(i) => code[..i].to_string(),
        None => code.to_string(),
    }
}

fn use_statements(code: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut rest = code;
    while let Some(i) = find_word(rest, "use") {
        let after = &rest[i + 3..];
        let Some(end) = after.find(';') else {
            break;
        };
        statements.push(normalise(&after[..end]));
        rest = &after[end..];
    }
    statements
}

/// One space between words, none around `::`, braces and commas.
fn normalise(tree: &str) -> String {
    let spaced = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    for c in spaced.chars() {
        if c == ' ' && out.ends_with([':', '{', ',']) {
            continue;
        }
        if matches!(c, ':' | '{' | '}' | ',') && out.ends_with(' ') {
            out.pop();
        }
        out.push(c);
    }
    out
}

fn find_word(haystack: &str, word: &str) -> Option<usize> {
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(i) = haystack[from..].find(word) {
        let at = from + i;
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(at + word.len()).copied();
        let boundary = |c: Option<u8>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == b'_'));
        if boundary(before) && after.is_some_and(|c| c == b' ' || c == b'\n') {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// `a::{b, c::{d, e as f}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand_use_tree(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        let name = tree.split(" as ").next().unwrap_or(tree);
        out.push(format!("{prefix}{name}"));
        return;
    };
    let head = tree[..open].trim_end_matches("::");
    let close = tree.rfind('}').filter(|&c| c > open).unwrap_or(tree.len());
    let body = &tree[open + 1..close];
    let prefix = if head.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}{head}::")
    };
    let mut depth = 0;
    let mut item = String::new();
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                if !item.is_empty() {
                    expand_use_tree(&prefix, &item, out);
                }
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    if !item.is_empty() {
        expand_use_tree(&prefix, &item, out);
    }
}

/// `crate::a::b` and `super::a` paths written inline in code.
fn inline_paths(code: &str) -> Vec<String> {
    ["crate::", "super::", "teloxide::"]
        .iter()
        .flat_map(|root| inline_paths_from(code, root))
        .collect()
}

/// Paths starting with `root` that are not part of a longer path; a group
/// (`super::{a, b}`) is left to the `use` reader.
fn inline_paths_from(code: &str, root: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find(root) {
        let at = from + i;
        let before = code[..at].chars().next_back();
        from = at + root.len();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        if !path.ends_with("::") {
            paths.push(path);
        }
    }
    paths
}

/// The modules declared in this file (`mod x;`, `pub mod x;`).
fn child_modules(code: &str) -> Vec<String> {
    let mut children = Vec::new();
    let mut rest = code;
    while let Some(i) = find_word(rest, "mod") {
        let after = &rest[i + 3..];
        let name: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if after.trim_start()[name.len()..].starts_with(';') && !name.is_empty() {
            children.push(name);
        }
        rest = after;
    }
    children
}

//! The checks over the whole node graph of a file: targets that name no
//! node, nodes nothing leads to, and loops that never ask the owner.

use std::collections::{BTreeMap, BTreeSet};

use super::raw::{RawNode, S};
use super::report::Report;

/// The node graph with lines.
pub struct Graph {
    nodes: BTreeMap<String, GraphNode>,
    /// Every node was read; with one unread, its targets are unknown.
    complete: bool,
}

struct GraphNode {
    line: usize,
    /// Waits for the owner, so a loop through it is fine.
    prompt: bool,
    /// The nodes it leads to, with the lines naming them.
    edges: Vec<(String, usize)>,
}

impl Graph {
    #[must_use]
    pub fn new() -> Graph {
        Graph {
            nodes: BTreeMap::new(),
            complete: true,
        }
    }

    pub fn add(&mut self, report: &Report, name: &str, line: usize, node: &RawNode) {
        let edges = node
            .targets()
            .into_iter()
            .map(|t| (t.get_ref().clone(), report.line(&t.span())))
            .collect();
        let prompt = node.kind().is_prompt();
        self.nodes.insert(
            name.to_string(),
            GraphNode {
                line,
                prompt,
                edges,
            },
        );
    }

    /// A node that could not be read: it is there, but where it leads is
    /// unknown, so it counts as waiting and unreachable nodes go unreported.
    pub fn add_unread(&mut self, name: &str, line: usize) {
        self.complete = false;
        self.nodes.insert(
            name.to_string(),
            GraphNode {
                line,
                prompt: true,
                edges: Vec::new(),
            },
        );
    }

    /// Dangling targets, unreachable nodes and loops that never ask
    /// anything; `start` is `None` when the file's head was unreadable.
    pub fn check(&self, start: Option<&S<String>>, report: &mut Report) {
        let mut roots = Vec::new();
        if let Some(start) = start {
            if self.nodes.contains_key(start.get_ref()) {
                roots.push(start.get_ref().as_str());
            } else {
                report.at(
                    &start.span(),
                    format!("`start` names `{}`, which is not a node", start.get_ref()),
                );
            }
        }
        let mut dangling = false;
        for (name, node) in &self.nodes {
            for (target, line) in &node.edges {
                if !self.nodes.contains_key(target) {
                    dangling = true;
                    report.at_line(
                        *line,
                        format!("dangling target: node `{name}` leads to `{target}`, which is not a node"),
                    );
                }
            }
        }
        let mut reached: BTreeSet<&str> = BTreeSet::new();
        while let Some(n) = roots.pop() {
            if !reached.insert(n) {
                continue;
            }
            if let Some(node) = self.nodes.get(n) {
                roots.extend(
                    node.edges
                        .iter()
                        .map(|(t, _)| t.as_str())
                        .filter(|t| self.nodes.contains_key(*t)),
                );
            }
        }
        // A misspelt target strands everything behind it; report the typo
        // alone rather than a cascade.
        if start.is_some() && !dangling && self.complete {
            for (name, node) in &self.nodes {
                if !reached.contains(name.as_str()) {
                    report.at_line(
                        node.line,
                        format!("unreachable node `{name}`: nothing leads to it"),
                    );
                }
            }
        }
        // A cycle of nodes that never wait for the owner would spin forever.
        let mut done: BTreeSet<&str> = BTreeSet::new();
        for name in self.nodes.keys() {
            let mut path = Vec::new();
            if let Some(looped) = self.spin(name, &mut path, &mut done) {
                let line = self.nodes.get(looped).map_or(1, |n| n.line);
                report.at_line(
                    line,
                    format!("node `{looped}` is on a loop that never asks the owner anything"),
                );
            }
        }
    }

    /// A node on a loop of non-waiting nodes reachable from `node`.
    fn spin<'g>(
        &'g self,
        node: &'g str,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<&'g str> {
        if path.contains(&node) {
            return Some(node);
        }
        if done.contains(node) {
            return None;
        }
        let n = self.nodes.get(node)?;
        done.insert(node);
        if n.prompt {
            return None;
        }
        path.push(node);
        for (t, _) in &n.edges {
            if let Some(found) = self.spin(t, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
}

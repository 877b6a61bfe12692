//! The path filter: which nodes to keep when the user filters by a substring or a regex of the
//! absolute path. A node is kept when its path matches or a descendant's does, so the tree still
//! leads to every match.
//!
//! A substring without `/` lies inside one path component, so each distinct (interned) name is
//! tested once and one pass in id order marks a node when its name or its parent matches. Other
//! patterns walk the arena depth first, building each path in one reused buffer. Typing more of a
//! substring only narrows: the paths containing `abc` are among those containing `ab`, so each
//! keystroke re-tests only the previous matches, and Backspace returns to a remembered earlier
//! result. Regexes have no such order and are applied when the user confirms.

use regex::{Regex, RegexBuilder};

use crate::model::{FileTree, NodeId, ROOT};

/// A set of node ids.
#[derive(Debug, Clone)]
pub struct Bitset {
    words: Vec<u64>,
}

impl Bitset {
    pub fn new(len: usize) -> Bitset {
        Bitset {
            words: vec![0; len.div_ceil(64)],
        }
    }

    pub fn get(&self, node: NodeId) -> bool {
        let i = node.index();
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn set(&mut self, node: NodeId) {
        let i = node.index();
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
}

/// How much earlier substring results may hold, in node ids, before the oldest are dropped.
const HISTORY_BUDGET: usize = 8 << 20;

#[derive(Debug, Default)]
pub struct PathFilter {
    text: String,
    regex: bool,
    /// Nodes whose path matches, in id order.
    matched: Vec<NodeId>,
    /// Matched nodes and their ancestors; `None` when no filter is set.
    keep: Option<Bitset>,
    /// Earlier substring patterns and their matches, each narrower than the one before.
    history: Vec<(String, Vec<NodeId>)>,
    /// The filter is a set of nodes (a package's files, the entrypoint's closure), `text` its name.
    node_set: bool,
}

impl PathFilter {
    pub fn is_active(&self) -> bool {
        self.keep.is_some()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_regex(&self) -> bool {
        self.regex
    }

    /// Nodes whose path matches, in id order.
    pub fn matched(&self) -> &[NodeId] {
        &self.matched
    }

    /// Whether the node passes (always, when no filter is set).
    pub fn keeps(&self, node: NodeId) -> bool {
        self.keep.as_ref().is_none_or(|k| k.get(node))
    }

    /// Whether the filter is a named set of nodes rather than a typed pattern.
    pub fn is_node_set(&self) -> bool {
        self.node_set
    }

    /// Keep exactly `nodes` and the directories leading to them; `label` names the set.
    pub fn set_nodes(&mut self, tree: &FileTree, label: &str, mut nodes: Vec<NodeId>) {
        nodes.sort_unstable();
        nodes.dedup();
        self.keep = Some(keep_set(tree, &nodes));
        self.matched = nodes;
        self.text = label.to_string();
        self.regex = false;
        self.history.clear();
        self.node_set = true;
    }

    pub fn clear(&mut self) {
        self.node_set = false;
        self.text.clear();
        self.regex = false;
        self.matched = Vec::new();
        self.keep = None;
        self.history.clear();
    }

    /// Filter by `pattern` (a substring, or a regex when `regex`); an empty pattern clears. An
    /// invalid regex leaves the filter as it was and returns the reason.
    pub fn set(&mut self, tree: &FileTree, pattern: &str, regex: bool) -> Result<(), String> {
        if pattern.is_empty() {
            self.clear();
            return Ok(());
        }
        if pattern == self.text && regex == self.regex && self.keep.is_some() && !self.node_set {
            return Ok(());
        }
        if self.node_set {
            self.clear();
        }
        let matched = if regex {
            let re = compile(pattern)?;
            self.history.clear();
            walk_matches(tree, false, |path, _| re.is_match(path))
        } else {
            self.substring_matches(tree, pattern)
        };
        self.keep = Some(keep_set(tree, &matched));
        self.matched = matched;
        self.text = pattern.to_string();
        self.regex = regex;
        Ok(())
    }

    fn substring_matches(&mut self, tree: &FileTree, pattern: &str) -> Vec<NodeId> {
        while self
            .history
            .last()
            .is_some_and(|(p, _)| !pattern.contains(p.as_str()))
        {
            self.history.pop();
        }
        let matched = match self.history.last() {
            Some((p, m)) if p == pattern => m.clone(),
            Some((_, m)) if !pattern.contains('/') => by_name(tree, Some(m), pattern),
            Some((_, m)) => narrow(tree, m, pattern),
            None if !pattern.contains('/') => by_name(tree, None, pattern),
            None => {
                let needle = pattern.as_bytes();
                walk_matches(tree, true, |path, name_start| {
                    // The parent's path did not match, so a match must reach into "/name".
                    let from = (name_start - 1).saturating_sub(needle.len() - 1);
                    contains(&path.as_bytes()[from..], needle)
                })
            }
        };
        if self.history.last().is_none_or(|(p, _)| p != pattern) {
            self.history.push((pattern.to_string(), matched.clone()));
        }
        let mut held: usize = self.history.iter().map(|(_, m)| m.len()).sum();
        while held > HISTORY_BUDGET && self.history.len() > 1 {
            held -= self.history.remove(0).1.len();
        }
        matched
    }
}

/// Paths containing a pattern without `/`: such a match lies inside one component, so each
/// interned name is tested at most once, and a node matches if its name or its parent does. One
/// pass in id order (parents come first) over `candidates`, or over every node.
fn by_name(tree: &FileTree, candidates: Option<&[NodeId]>, pattern: &str) -> Vec<NodeId> {
    const UNTESTED: u8 = 0;
    const NO: u8 = 1;
    const YES: u8 = 2;
    let needle = pattern.as_bytes();
    let mut memo = vec![UNTESTED; tree.names.len()];
    let mut hit = Bitset::new(tree.node_count());
    let mut out = Vec::new();
    let mut test = |id: NodeId| {
        let node = tree.node(id);
        let matches = node.parent().is_some_and(|p| p != ROOT && hit.get(p)) || {
            let slot = &mut memo[node.name as usize];
            if *slot == UNTESTED {
                let name = tree.names.get(node.name).as_bytes();
                *slot = if contains(name, needle) { YES } else { NO };
            }
            *slot == YES
        };
        if matches {
            hit.set(id);
            out.push(id);
        }
    };
    match candidates {
        Some(c) => c.iter().for_each(|&id| test(id)),
        None => tree.non_root_ids().for_each(test),
    }
    out
}

/// Compile a user's regex with bounded size.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
                .to_string()
        })
}

/// Visit every node depth first with its absolute path and collect those `test(path, name_start)`
/// accepts. With `inherit`, a descendant of a match matches without being tested (true of
/// substrings: the parent's path is a prefix).
fn walk_matches(
    tree: &FileTree,
    inherit: bool,
    mut test: impl FnMut(&str, usize) -> bool,
) -> Vec<NodeId> {
    let mut matched = Vec::new();
    let mut path = String::new();
    // (node, length of the parent's path in `path`, whether the parent matched)
    let mut stack: Vec<(NodeId, u32, bool)> =
        tree.children(ROOT).iter().map(|&c| (c, 0, false)).collect();
    while let Some((id, parent_len, parent_matched)) = stack.pop() {
        path.truncate(parent_len as usize);
        path.push('/');
        let name_start = path.len();
        path.push_str(tree.name(id));
        let hit = (inherit && parent_matched) || test(&path, name_start);
        if hit {
            matched.push(id);
        }
        let len = path.len() as u32;
        stack.extend(tree.children(id).iter().map(|&c| (c, len, hit)));
    }
    matched.sort_unstable();
    matched
}

/// The nodes of `candidates` (id order) whose path contains `pattern`.
fn narrow(tree: &FileTree, candidates: &[NodeId], pattern: &str) -> Vec<NodeId> {
    let needle = pattern.as_bytes();
    let mut hit = Bitset::new(tree.node_count());
    let mut out = Vec::new();
    // The tail of the last parent's path: siblings usually come together.
    let mut tail: Vec<u8> = Vec::new();
    let mut tail_of = None;
    let mut window: Vec<u8> = Vec::new();
    for &id in candidates {
        // (The root itself, were it a candidate, has as little above it as the root's children.)
        let parent = tree.node(id).parent().unwrap_or(ROOT);
        let matches = if parent != ROOT && hit.get(parent) {
            true
        } else {
            // The parent's path lacks the pattern: test its tail, '/', and the name.
            if tail_of != Some(parent) {
                tail.clear();
                tail_of_path(tree, parent, needle.len().saturating_sub(1), &mut tail);
                tail_of = Some(parent);
            }
            window.clear();
            window.extend_from_slice(&tail);
            window.push(b'/');
            window.extend_from_slice(tree.name(id).as_bytes());
            contains(&window, needle)
        };
        if matches {
            hit.set(id);
            out.push(id);
        }
    }
    out
}

/// Append to `out` at least the last `want` bytes of the node's path (fewer at the root).
fn tail_of_path(tree: &FileTree, node: NodeId, want: usize, out: &mut Vec<u8>) {
    let mut parts = Vec::new();
    let mut have = 0;
    for n in tree.lineage(node) {
        if have >= want {
            break;
        }
        let name = tree.name(n);
        parts.push(name);
        have += name.len() + 1;
    }
    for part in parts.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(part.as_bytes());
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn keep_set(tree: &FileTree, matched: &[NodeId]) -> Bitset {
    let mut keep = Bitset::new(tree.node_count());
    for &id in matched {
        let mut cur = Some(id);
        while let Some(n) = cur
            && !keep.get(n)
        {
            keep.set(n);
            cur = tree.node(n).parent();
        }
    }
    keep
}

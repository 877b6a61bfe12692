//! Paths a team has decided to live with (`--ignore-path GLOB`, `ignore = [...]` in
//! `.imgscope.toml`; dive #347): a cache a runtime
//! needs, a vendored tree kept on purpose. Matching files leave the reclaimable bytes, the
//! duplicates and the trim plan, and are counted apart so the report says what was set aside.
//! A glob matches an absolute path (`/var/cache/**`, `**/*.pyc`); a matching directory sets aside
//! everything below it.

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::model::{FileTree, NodeId};

/// The globs, compiled once.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<String>,
    set: Option<GlobSet>,
}

impl Ignore {
    /// Compile `patterns`, each with where it was given (`--ignore-path`, `.imgscope.toml
    /// ignore[0]`); a bad one is an error naming it and its origin.
    pub fn new(patterns: &[(String, String)]) -> Result<Ignore, String> {
        if patterns.is_empty() {
            return Ok(Ignore::default());
        }
        let mut builder = GlobSetBuilder::new();
        for (origin, p) in patterns {
            // `var/cache/**` means the same as `/var/cache/**`.
            let absolute = if p.starts_with('/') || p.starts_with("**") {
                p.clone()
            } else {
                format!("/{p}")
            };
            builder.add(Glob::new(&absolute).map_err(|e| format!("{origin} {p:?}: {e}"))?);
        }
        let set = builder.build().map_err(|e| format!("ignored paths: {e}"))?;
        let mut unique: Vec<String> = Vec::new();
        for (_, p) in patterns {
            if !unique.contains(p) {
                unique.push(p.clone());
            }
        }
        Ok(Ignore {
            patterns: unique,
            set: Some(set),
        })
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_none()
    }

    /// One flag per node of `tree`: whether it is set aside (it matches, or a directory above it
    /// does). Empty when nothing is ignored.
    pub fn mask(&self, tree: &FileTree) -> Vec<bool> {
        let Some(set) = &self.set else {
            return Vec::new();
        };
        let mut mask = vec![false; tree.node_count()];
        tree.walk_paths(|node, path| {
            let below_ignored = tree.node(node).parent().is_some_and(|p| mask[p.index()]);
            mask[node.index()] = below_ignored || set.is_match(path);
        });
        mask
    }
}

/// Whether `node` is set aside by `mask` (an empty mask sets nothing aside).
pub fn ignored(mask: &[bool], node: NodeId) -> bool {
    mask.get(node.index()).copied().unwrap_or(false)
}

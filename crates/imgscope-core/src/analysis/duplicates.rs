//! Duplicate content: visible regular files with the same bytes (same BLAKE3 digest and size) at
//! different paths. A dedup (hardlink, or one copy in a shared layer) would keep one of each group;
//! the rest is what it would save. Hardlinks are not duplicates: they already share one inode.

use crate::model::{ContentHash, EntryKind, FileTree, NodeId};

#[derive(Debug, Clone)]
pub struct DuplicateGroup {
    pub hash: ContentHash,
    pub size: u64,
    /// The paths' nodes, in path order.
    pub nodes: Vec<NodeId>,
}

impl DuplicateGroup {
    /// Bytes saved by keeping one copy.
    pub fn savings(&self) -> u64 {
        self.size * (self.nodes.len() as u64 - 1)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Duplicates {
    /// Groups of two or more, largest savings first.
    pub groups: Vec<DuplicateGroup>,
    pub savings_bytes: u64,
    /// Whether content hashes were available (they are not when hashing was turned off).
    pub hashed: bool,
}

/// Groups of identical visible files; files `ignored` sets aside (see [`super::ignore`]) are left
/// out.
pub fn find(tree: &FileTree, ignored: &[bool]) -> Duplicates {
    // One flat list sorted by content (32 bytes a file; a map of vectors cost five times that on
    // a million files), then runs of equal content are the groups.
    let hashed_file = |node: NodeId| {
        if super::ignore::ignored(ignored, node) {
            return None;
        }
        let v = tree.live_final(node)?;
        if v.kind != EntryKind::File || v.size == 0 {
            return None;
        }
        tree.hash(v).map(|hash| (hash, v.size, node))
    };
    let count = tree
        .non_root_ids()
        .filter(|&n| hashed_file(n).is_some())
        .count();
    let mut files: Vec<(ContentHash, u64, NodeId)> = Vec::with_capacity(count);
    files.extend(tree.non_root_ids().filter_map(hashed_file));
    files.sort_unstable();
    let mut groups: Vec<DuplicateGroup> = files
        .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
        .filter(|run| run.len() > 1)
        .map(|run| {
            let mut nodes: Vec<NodeId> = run.iter().map(|f| f.2).collect();
            nodes.sort_by_cached_key(|n| tree.path(*n));
            DuplicateGroup {
                hash: run[0].0,
                size: run[0].1,
                nodes,
            }
        })
        .collect();
    drop(files);
    groups.sort_by(|a, b| {
        b.savings()
            .cmp(&a.savings())
            .then_with(|| tree.path(a.nodes[0]).cmp(&tree.path(b.nodes[0])))
    });
    let savings_bytes = groups.iter().map(|g| g.savings()).sum();
    Duplicates {
        groups,
        savings_bytes,
        hashed: count > 0,
    }
}

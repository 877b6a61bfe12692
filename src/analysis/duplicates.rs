//! Duplicate content: visible regular files with the same bytes (same BLAKE3 digest and size) at
//! different paths. A dedup (hardlink, or one copy in a shared layer) would keep one of each group;
//! the rest is what it would save. Hardlinks are not duplicates: they already share one inode.

use hashbrown::HashMap;

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

pub fn find(tree: &FileTree) -> Duplicates {
    let mut by_content: HashMap<(ContentHash, u64), Vec<NodeId>> = HashMap::new();
    let mut hashed = false;
    for node in 1..tree.node_count() as NodeId {
        let Some(v) = tree.live_final(node) else {
            continue;
        };
        if v.kind != EntryKind::File || v.size == 0 {
            continue;
        }
        let Some(hash) = v.hash else { continue };
        hashed = true;
        by_content.entry((hash, v.size)).or_default().push(node);
    }
    let mut groups: Vec<DuplicateGroup> = by_content
        .into_iter()
        .filter(|(_, nodes)| nodes.len() > 1)
        .map(|((hash, size), mut nodes)| {
            nodes.sort_by_cached_key(|n| tree.path(*n));
            DuplicateGroup { hash, size, nodes }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.savings()
            .cmp(&a.savings())
            .then_with(|| tree.path(a.nodes[0]).cmp(&tree.path(b.nodes[0])))
    });
    let savings_bytes = groups.iter().map(|g| g.savings()).sum();
    Duplicates {
        groups,
        savings_bytes,
        hashed,
    }
}

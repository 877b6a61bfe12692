//! Merging layers into one file tree with overlay semantics, layer by layer, bottom first.
//!
//! Each layer is applied in two phases, as container runtimes do: first its whiteouts and opaque
//! markers hide paths of the layers below, then its entries are written in tar order (a later
//! entry for the same path wins). Every write becomes a [`Version`](crate::model::Version) on the path's node, so the tree
//! can answer "what did layer L add, change, remove" and "what did the filesystem look like at L".
//!
//! While merging, the dive-compatible efficiency ledger is fed (see [`super::efficiency`]), because
//! it needs each layer's own entry tree, which only exists here.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::efficiency::DiveLedger;
use crate::model::{
    Change, ChangeCounts, EntryKind, FileTree, LayerEntries, NewVersion, NodeId, ROOT, RawEntry,
    VersionId, growth,
};

pub struct Merger {
    tree: FileTree,
    /// Every node but the root, found by (parent, name); the key is read from the node itself,
    /// so an entry costs 4 bytes.
    child_index: HashTable<NodeId>,
    hasher: hashbrown::DefaultHashBuilder,
    /// `layer + 1` of the last layer in which the node had an entry below it.
    has_child_in: Vec<u32>,
    dive: DiveLedger,
    layers: usize,
    unread: Vec<UnreadContent>,
    /// For the layer applied last: (entry index, version) of its captured entries.
    captured_versions: Vec<(u32, VersionId, NodeId)>,
}

/// Where the unread content of a file version lies: at `offset` in the file holding `layer`.
/// 16 bytes: the layer index and the offset share one word (files are far below 2^48 bytes).
#[derive(Debug, Clone, Copy)]
pub struct UnreadContent {
    pub node: NodeId,
    pub version: VersionId,
    layer_offset: u64,
}

impl UnreadContent {
    const OFFSET_BITS: u32 = 48;

    /// `None` when the offset or the layer index does not fit (the content then stays unhashed).
    pub fn new(node: NodeId, version: VersionId, layer: usize, offset: u64) -> Option<Self> {
        let layer = u16::try_from(layer).ok()?;
        (offset >> Self::OFFSET_BITS == 0).then_some(UnreadContent {
            node,
            version,
            layer_offset: (u64::from(layer) << Self::OFFSET_BITS) | offset,
        })
    }

    pub fn layer(&self) -> usize {
        (self.layer_offset >> Self::OFFSET_BITS) as usize
    }

    pub fn offset(&self) -> u64 {
        self.layer_offset & ((1 << Self::OFFSET_BITS) - 1)
    }
}

impl Default for Merger {
    fn default() -> Self {
        Self::new()
    }
}

impl Merger {
    pub fn new() -> Self {
        Merger {
            tree: FileTree::new(),
            child_index: HashTable::new(),
            hasher: Default::default(),
            has_child_in: vec![0],
            dive: DiveLedger::default(),
            layers: 0,
            unread: Vec::new(),
            captured_versions: Vec::new(),
        }
    }

    /// Apply the next layer (layers must come in order, bottom first).
    pub fn apply(&mut self, layer: &LayerEntries) -> ChangeCounts {
        let index = self.layers;
        self.layers += 1;
        let mark = index as u32 + 1;
        let mut counts = ChangeCounts::default();
        self.tree.reserve_versions(layer.entries.len());
        // The leaves of this layer's own tree, for dive's efficiency ledger: its whiteouts (a
        // `.wh.NAME` node of their own in dive's tree) and its entries.
        let mut whiteout_leaves: Vec<(NodeId, u64)> = Vec::new();
        let mut leaves: Vec<(NodeId, u64)> = Vec::new();

        // Phase 1: find (or create) the node of every entry and mark the directories that have
        // entries below them in this layer, so leaves of this layer's own tree are known.
        let mut nodes = Vec::with_capacity(layer.entries.len());
        for entry in &layer.entries {
            let path = layer.path(entry);
            let node = self.node_for(path);
            nodes.push(node);
            // A marker lives inside its directory (`dir/.wh.name`, `dir/.wh..wh..opq`): its
            // directory, and the opaque directory itself, have a child in this layer.
            let mut cur = match entry.kind {
                EntryKind::Opaque => Some(node),
                _ => self.tree.node(node).parent(),
            };
            while let Some(dir) = cur
                && self.has_child_in[dir.index()] != mark
            {
                self.has_child_in[dir.index()] = mark;
                cur = self.tree.node(dir).parent();
            }
        }

        // Phase 2a: whiteouts and opaque directories hide what the layers below wrote.
        for (entry, &node) in layer.entries.iter().zip(&nodes) {
            match entry.kind {
                EntryKind::Whiteout => {
                    let was = self.tree.live_final(node).map(|v| v.kind);
                    let removed = self.remove_subtree(node, index, true, &mut counts);
                    // dive sizes a whiteout by what it removed only when that was a directory.
                    let dive_size = if was == Some(EntryKind::Dir) {
                        removed
                    } else {
                        0
                    };
                    whiteout_leaves.push((node, dive_size));
                }
                // The root has no version of its own but is always there: an opaque root hides
                // every layer below (as containerd and Docker apply it).
                EntryKind::Opaque if node == ROOT || self.tree.live_final(node).is_some() => {
                    self.remove_subtree(node, index, false, &mut counts);
                }
                _ => {}
            }
        }

        // Phase 2b: write the entries in tar order.
        self.captured_versions.clear();
        let mut captured = layer.captured.iter().map(|(i, _)| *i as usize).peekable();
        for (i, (entry, &node)) in layer.entries.iter().zip(&nodes).enumerate() {
            if entry.kind.is_marker() {
                continue;
            }
            if node == ROOT {
                continue; // the root directory entry ("./") carries nothing we report
            }
            self.ensure_parent_dirs(node, index, &mut counts);
            let vid = self.write_entry(layer, entry, node, index, &mut counts);
            while captured.next_if(|&c| c < i).is_some() {}
            if captured.next_if_eq(&i).is_some() {
                self.captured_versions.push((i as u32, vid, node));
            }
            if entry.kind == EntryKind::File
                && entry.size > 0
                && let Some(&offset) = layer.data_offsets.get(i)
                && let Some(unread) = UnreadContent::new(node, vid, index, offset)
            {
                growth::push(&mut self.unread, unread);
            }
            if self.has_child_in[node.index()] != mark {
                leaves.push((node, entry.size));
            }
        }
        self.dive.record_layer(index, &whiteout_leaves, &leaves);
        counts
    }

    /// Versions written so far, by every layer merged (what the tree's memory grows with).
    pub fn version_count(&self) -> usize {
        self.tree.version_count()
    }

    /// Paths any layer merged so far named (nodes of the tree).
    pub fn node_count(&self) -> usize {
        self.tree.node_count()
    }

    /// For the layer applied last: the version each of its captured entries became, as (entry
    /// index, version, node), in entry order (see [`LayerEntries::captured`]).
    pub fn captured_versions(&self) -> &[(u32, VersionId, NodeId)] {
        &self.captured_versions
    }

    /// Regular files whose content was not read while decoding (see
    /// `decode::decode_plain_layer_at`): where to find it, for hashing the few that need it.
    pub fn take_unread(&mut self) -> Vec<UnreadContent> {
        std::mem::take(&mut self.unread)
    }

    /// Seal the tree (sort children) and hand back the tree and the efficiency ledger.
    pub fn finish(mut self) -> (FileTree, DiveLedger) {
        self.tree.seal();
        (self.tree, self.dive)
    }

    fn node_for(&mut self, path: &str) -> NodeId {
        let mut cur = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let name = self.tree.names.intern(part);
            let hash = self.hasher.hash_one((cur, name));
            let tree = &self.tree;
            let found = self.child_index.find(hash, |&id| {
                let node = tree.node(id);
                node.is_child_of(cur) && node.name == name
            });
            cur = match found {
                Some(&id) => id,
                None => {
                    let id = self.tree.add_node(cur, name);
                    let (tree, hasher) = (&self.tree, &self.hasher);
                    self.child_index.insert_unique(hash, id, |&id| {
                        let node = tree.node(id);
                        // Every indexed node has a parent (the root is not indexed).
                        hasher.hash_one((node.parent().unwrap_or(ROOT), node.name))
                    });
                    growth::push(&mut self.has_child_in, 0);
                    id
                }
            };
        }
        cur
    }

    /// Mark `node` (when `include_self`) and all its live descendants removed in `layer`.
    /// Returns the bytes (tar-header sizes) of everything removed.
    fn remove_subtree(
        &mut self,
        node: NodeId,
        layer: usize,
        include_self: bool,
        counts: &mut ChangeCounts,
    ) -> u64 {
        let mut bytes = 0;
        let mut stack = Vec::new();
        if include_self {
            stack.push(node);
        } else {
            self.push_children(node, &mut stack);
        }
        while let Some(id) = stack.pop() {
            let Some(live) = self.tree.live_final(id) else {
                continue;
            };
            let mut removed = live.clone();
            removed.change = Change::Removed;
            removed.layer = layer as u16;
            removed.implicit = false;
            bytes += removed.size;
            if removed.kind != EntryKind::Dir {
                counts.removed += 1;
                if removed.kind == EntryKind::File {
                    counts.removed_bytes += removed.size;
                }
            }
            let is_dir = removed.kind == EntryKind::Dir;
            self.tree.push_version_record(id, removed);
            if is_dir {
                self.push_children(id, &mut stack);
            }
        }
        bytes
    }

    fn push_children(&self, node: NodeId, stack: &mut Vec<NodeId>) {
        stack.extend(self.tree.unsealed_children(node));
    }

    /// Make every ancestor of `node` a live directory, as the layer's entries imply.
    fn ensure_parent_dirs(&mut self, node: NodeId, layer: usize, counts: &mut ChangeCounts) {
        let mut chain = Vec::new();
        for dir in self.tree.ancestors(node) {
            match self.tree.live_final(dir) {
                Some(v) if v.kind == EntryKind::Dir => break,
                _ => chain.push(dir),
            }
        }
        for &dir in chain.iter().rev() {
            let before = self.tree.live_final(dir).cloned();
            let change = if before.is_some() {
                Change::Modified
            } else {
                Change::Added
            };
            if before.is_some() {
                // A file (or link) replaced by a directory the layer implies.
                counts.modified += 1;
            }
            self.tree.push_version(
                dir,
                NewVersion {
                    layer: layer as u16,
                    change,
                    implicit: true,
                    kind: EntryKind::Dir,
                    size: 0,
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    mtime: 0,
                    hash: None,
                    link: None,
                },
            );
        }
    }

    fn write_entry(
        &mut self,
        layer: &LayerEntries,
        entry: &RawEntry,
        node: NodeId,
        index: usize,
        counts: &mut ChangeCounts,
    ) -> VersionId {
        let current = self.tree.live_final(node).map(|v| v.kind);
        // Added or modified relative to the filesystem below this layer.
        let below = if index == 0 {
            None
        } else {
            self.tree.live_at(node, index - 1).map(|v| v.kind)
        };
        let change = if below.is_some() {
            Change::Modified
        } else {
            Change::Added
        };
        if current == Some(EntryKind::Dir) && entry.kind != EntryKind::Dir {
            // A non-directory replaces a directory: everything below it goes.
            self.remove_subtree(node, index, false, counts);
        }
        if entry.kind != EntryKind::Dir {
            let bytes = if entry.kind == EntryKind::File {
                entry.size
            } else {
                0
            };
            match change {
                Change::Added => {
                    counts.added += 1;
                    counts.added_bytes += bytes;
                }
                _ => {
                    counts.modified += 1;
                    counts.modified_bytes += bytes;
                }
            }
        }
        self.tree.push_version(
            node,
            NewVersion {
                layer: index as u16,
                change,
                implicit: false,
                kind: entry.kind,
                size: entry.size,
                mode: entry.mode,
                uid: entry.uid,
                gid: entry.gid,
                mtime: entry.mtime,
                hash: entry.hash,
                link: entry.link.map(|span| layer.str(span)),
            },
        )
    }
}

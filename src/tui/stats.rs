//! Per-layer numbers the file tree needs and the analysis does not keep: for one layer, which
//! paths exist (or were removed by it), how each changed, what kinds of change lie below each
//! directory, the bytes the layer itself wrote under it, and the bytes it removed under it.
//!
//! Computed once per selected layer in one pass over the arena (children have larger ids than their
//! parents, so a reverse pass sums bottom-up) and cached by the viewer; a keypress never repeats it.
//! For the last layer the sizes are [`crate::analysis::Analysis::sizes`] itself, so the tree shows
//! the numbers the reports print; for earlier layers they are summed in the same pass by the rule
//! of [`FileTree::subtree_sizes`] (a test holds the two equal).

use crate::model::{Change, EntryKind, FileTree, NodeId};

/// Change-kind bits, used both for a node's own change and for the kinds found in its subtree.
pub const UNCHANGED: u8 = 1;
pub const ADDED: u8 = 2;
pub const MODIFIED: u8 = 4;
pub const REMOVED: u8 = 8;
/// Every kind of change the layer made.
pub const CHANGED: u8 = ADDED | MODIFIED | REMOVED;
pub const ALL_KINDS: u8 = UNCHANGED | CHANGED;

pub fn change_bit(change: Change) -> u8 {
    match change {
        Change::Added => ADDED,
        Change::Modified => MODIFIED,
        Change::Removed => REMOVED,
    }
}

#[derive(Debug)]
pub struct LayerStats {
    pub layer: usize,
    /// Sizes of the filesystem as of the layer; `None` for the last layer, whose sizes are the
    /// analysis's own.
    sizes: Option<Vec<u64>>,
    /// For a live node, the bytes of regular files this layer added or modified at or below it;
    /// for a node the layer removed, the bytes it removed there.
    delta: Vec<u64>,
    /// For a live node, the bytes the layer removed below it (what `delta` leaves out of a live
    /// directory: the layer's removals under it).
    removed: Vec<u64>,
    /// High nibble: the node's own change kind at this layer (0 = not present). Low nibble: the
    /// kinds present in its subtree, itself included (a directory whose own version predates the
    /// layer counts as unchanged only when nothing is below it).
    mask: Vec<u8>,
    /// One bit per node: its version as of the layer (live or removed) is a directory. Lets the
    /// tree ask "directory?" of a million rows without walking version chains.
    dirs: Vec<u64>,
}

impl LayerStats {
    /// The numbers for `layer`; `last` says it is the image's top layer. One reverse pass over
    /// the arena; the aggregated sizes are summed exactly as [`FileTree::subtree_sizes`] sums them.
    pub fn compute(tree: &FileTree, layer: usize, last: bool) -> LayerStats {
        let n = tree.node_count();
        let mut sizes = (!last).then(|| vec![0u64; n]);
        let mut delta = vec![0u64; n];
        let mut removed = vec![0u64; n];
        let mut mask = vec![0u8; n];
        let mut dirs = vec![0u64; n.div_ceil(64)];
        for (node, parent) in tree.parent_links().rev() {
            let Some((_, v)) = tree.version_at(node, layer) else {
                continue;
            };
            let (i, p) = (node.index(), parent.index());
            if v.kind == EntryKind::Dir {
                dirs[i / 64] |= 1 << (i % 64);
            }
            let here = v.layer as usize == layer;
            if !here && !v.is_live() {
                continue; // removed by an earlier layer: not part of this view
            }
            if let Some(sizes) = sizes.as_mut()
                && v.is_live()
            {
                if v.kind == EntryKind::File {
                    sizes[i] += v.size;
                }
                sizes[p] += sizes[i];
            }
            let own = if here {
                change_bit(v.change)
            } else {
                UNCHANGED
            };
            let below = mask[i] & ALL_KINDS;
            let counts_self = here || v.kind != EntryKind::Dir || below == 0;
            mask[i] = (own << 4) | below | if counts_self { own } else { 0 };
            if here && v.kind == EntryKind::File {
                delta[i] += v.size;
            }
            mask[p] |= mask[i] & ALL_KINDS;
            // Removed bytes count towards a parent only when the layer removed the parent too.
            let to_parent = v.is_live()
                || tree
                    .version_at(parent, layer)
                    .is_some_and(|(_, pv)| !pv.is_live() && pv.layer as usize == layer);
            if to_parent {
                delta[p] += delta[i];
            }
            if v.is_live() {
                removed[p] += removed[i];
            } else if !to_parent {
                // The top of what the layer removed here: its bytes go to the live directory.
                removed[p] += delta[i];
            }
        }
        if n > 0 {
            mask[0] |= UNCHANGED << 4;
        }
        LayerStats {
            layer,
            sizes,
            delta,
            removed,
            mask,
            dirs,
        }
    }

    /// Whether the node's version as of the layer (live or removed) is a directory (the root,
    /// which has no version, is not).
    pub fn is_dir(&self, node: NodeId) -> bool {
        let i = node.index();
        self.dirs
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Whether the node exists at this layer or was removed by it.
    /// The directories of the layer's filesystem (not the root), in id order.
    pub fn dirs(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.dirs.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros();
                    bits &= bits - 1;
                    NodeId::from_index(w * 64 + bit as usize)
                })
            })
        })
    }

    pub fn present(&self, node: NodeId) -> bool {
        self.mask.get(node.index()).is_some_and(|m| *m != 0)
    }

    /// The node's own change bit at this layer ([`UNCHANGED`] if an earlier layer wrote it; 0 if
    /// absent).
    pub fn own(&self, node: NodeId) -> u8 {
        self.mask.get(node.index()).map_or(0, |m| m >> 4)
    }

    /// The change kinds at or below the node.
    pub fn below(&self, node: NodeId) -> u8 {
        self.mask.get(node.index()).map_or(0, |m| m & ALL_KINDS)
    }

    /// Aggregated size as of the layer; `final_sizes` are the analysis's sizes of the last layer.
    pub fn size(&self, node: NodeId, final_sizes: &[u64]) -> u64 {
        let sizes = self.sizes.as_deref().unwrap_or(final_sizes);
        sizes.get(node.index()).copied().unwrap_or(0)
    }

    /// Bytes the layer wrote at or below the node (or removed, for a node it removed).
    pub fn delta(&self, node: NodeId) -> u64 {
        self.delta.get(node.index()).copied().unwrap_or(0)
    }

    /// Bytes the layer removed below a live node (0 for a node it removed: see [`Self::delta`]).
    pub fn removed_below(&self, node: NodeId) -> u64 {
        self.removed.get(node.index()).copied().unwrap_or(0)
    }

    /// Heap bytes held, for cache accounting.
    pub fn heap_bytes(&self) -> usize {
        self.sizes.as_ref().map_or(0, |s| s.len() * 8)
            + self.delta.len() * 8
            + self.removed.len() * 8
            + self.mask.len()
            + self.dirs.len() * 8
    }
}

//! Reclaimable bytes: regular-file content stored in some layer but not visible in the final
//! filesystem — overwritten by a later layer (a chmod or chown that copies the file counts), deleted
//! by a whiteout of the file or of a parent directory, or hidden by an opaque directory. These are
//! bytes every pull downloads and every node stores for nothing.
//!
//! A hidden file that a visible hardlink of the same layer still points to is not reclaimable: its
//! content is reachable through the link.

use hashbrown::HashSet;

use crate::model::{Change, EntryKind, FileTree, NodeId, VersionId};

/// One hidden copy of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenCopy {
    pub layer: usize,
    pub change: Change,
    pub size: u64,
    /// The layer whose write or removal hid this copy.
    pub hidden_by: usize,
    /// Whether it was hidden by a removal (whiteout, opaque dir) rather than an overwrite.
    pub removed: bool,
}

/// Copies [`ReclaimablePath::describe_copies`] names before it counts the rest.
pub const DESCRIBED_COPIES: usize = 8;

/// All hidden copies of one path.
#[derive(Debug, Clone)]
pub struct ReclaimablePath {
    pub node: NodeId,
    pub bytes: u64,
    pub copies: Vec<HiddenCopy>,
}

impl ReclaimablePath {
    /// The copies in plain words: `layer 3 overwritten by 4; layer 4 removed by 9`; past
    /// [`DESCRIBED_COPIES`], `…; and N more`.
    pub fn describe_copies(&self) -> String {
        let mut out = self
            .copies
            .iter()
            .take(DESCRIBED_COPIES)
            .map(|c| {
                format!(
                    "layer {} {} by {}",
                    c.layer,
                    if c.removed { "removed" } else { "overwritten" },
                    c.hidden_by
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        if self.copies.len() > DESCRIBED_COPIES {
            out.push_str(&format!(
                "; and {} more",
                self.copies.len() - DESCRIBED_COPIES
            ));
        }
        out
    }
}

#[derive(Debug, Clone, Default)]
pub struct Waste {
    pub reclaimable_bytes: u64,
    /// Reclaimable bytes stored in each layer.
    pub per_layer: Vec<u64>,
    /// Every path with reclaimable bytes, largest first (ties by node id).
    pub paths: Vec<ReclaimablePath>,
    /// Reclaimable bytes of paths set aside by `--ignore-path` (not in the figures above).
    pub ignored_bytes: u64,
}

/// The bytes hidden copies waste, per path and per layer; paths `ignored` sets aside (see
/// [`super::ignore`]) are counted apart.
pub fn reclaimable(tree: &FileTree, layer_count: usize, ignored: &[bool]) -> Waste {
    let kept_by_links = versions_kept_by_hardlinks(tree);
    let mut waste = Waste {
        per_layer: vec![0; layer_count],
        ..Default::default()
    };
    for node in tree.non_root_ids() {
        // Walk the chain newest first; the newest version is the visible one.
        let mut copies = Vec::new();
        let mut chain = tree.version_chain(node);
        let Some((_, mut hider)) = chain.next() else {
            continue;
        };
        for (vid, v) in chain {
            if v.kind == EntryKind::File
                && v.change != Change::Removed
                && v.size > 0
                && !kept_by_links.contains(&vid)
            {
                copies.push(HiddenCopy {
                    layer: v.layer as usize,
                    change: v.change,
                    size: v.size,
                    hidden_by: hider.layer as usize,
                    removed: hider.change == Change::Removed,
                });
            }
            hider = v;
        }
        if copies.is_empty() {
            continue;
        }
        copies.reverse();
        let bytes: u64 = copies.iter().map(|c| c.size).sum();
        if super::ignore::ignored(ignored, node) {
            waste.ignored_bytes = waste.ignored_bytes.saturating_add(bytes);
            continue;
        }
        for c in &copies {
            if let Some(slot) = waste.per_layer.get_mut(c.layer) {
                *slot += c.size;
            }
        }
        waste.reclaimable_bytes += bytes;
        waste.paths.push(ReclaimablePath {
            node,
            bytes,
            copies,
        });
    }
    waste
        .paths
        .sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.node.cmp(&b.node)));
    waste
}

/// Hidden file versions that a visible hardlink written in the same layer still reaches.
fn versions_kept_by_hardlinks(tree: &FileTree) -> HashSet<VersionId> {
    let mut kept = HashSet::new();
    for node in tree.non_root_ids() {
        let Some(link) = tree.live_final(node) else {
            continue;
        };
        if link.kind != EntryKind::Hardlink {
            continue;
        }
        let Some(target) = tree.link_target(link).and_then(|t| tree.lookup(t)) else {
            continue;
        };
        if let Some((vid, v)) = tree.version_at(target, link.layer as usize)
            && v.kind == EntryKind::File
            && v.layer == link.layer
            && tree.node(target).last() != Some(vid)
        {
            kept.insert(vid);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_hidden_thousands_of_times_is_described_in_a_line() {
        let copy = |layer| HiddenCopy {
            layer,
            change: Change::Added,
            size: 1,
            hidden_by: layer + 1,
            removed: false,
        };
        let p = ReclaimablePath {
            node: NodeId::from_index(1),
            bytes: 4_096,
            copies: (0..4_096).map(copy).collect(),
        };
        let text = p.describe_copies();
        assert!(text.starts_with("layer 0 overwritten by 1; layer 1 overwritten by 2;"));
        assert!(
            text.ends_with("layer 7 overwritten by 8; and 4088 more"),
            "{text}"
        );
        assert!(text.len() < 300);
    }
}

//! A diff's marks on the viewer's image. For `imgscope diff OLD NEW` the viewer shows NEW; this
//! holds what [`crate::diff::ImageDiff`] says about it — the change and byte delta of every node of
//! NEW's tree ([`ImageDiff::by_new_node`]), the change of every NEW layer, the layers only OLD has,
//! and the totals — looked up by node or layer while drawing. Nothing is recomputed here, and
//! nothing here draws.

use hashbrown::HashMap;

use crate::diff::{self, ChangeKind, Delta, ImageDiff, LayerDiff, Side};
use crate::model::{Image, NodeId};
use crate::pipeline::load::Loaded;

/// One changed node of NEW's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeMark {
    pub change: ChangeKind,
    /// Regular-file bytes at the path (below it, for a directory), in OLD and NEW.
    pub size: Delta,
    /// For a directory: its index in `ImageDiff::dirs` (entries added, removed, changed below).
    pub dir: Option<u32>,
}

/// A layer only OLD has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedLayer {
    /// Its index in OLD.
    pub index: usize,
    pub size: u64,
    pub compressed: u64,
}

pub struct DiffMarks {
    /// OLD as given on the command line, and its name.
    pub old_input: String,
    pub old_name: String,
    /// OLD's manifest digest (else its config digest), to tell two images of one name apart.
    pub old_digest: Option<String>,
    pub diff: ImageDiff,
    nodes: HashMap<NodeId, NodeMark>,
    /// For each NEW layer, its index in `diff.layers`.
    layer_of: Vec<Option<u32>>,
    /// OLD's layers that no NEW layer was matched with, in OLD's order.
    pub removed_layers: Vec<RemovedLayer>,
    /// The command of each of OLD's layers.
    pub old_commands: Vec<String>,
}

impl DiffMarks {
    /// The marks of `diff` (OLD against NEW) on NEW.
    pub fn new(old_input: &str, old: &Image, new: &Image, diff: ImageDiff) -> DiffMarks {
        let kinds = diff.by_new_node();
        let mut nodes: HashMap<NodeId, NodeMark> = HashMap::with_capacity(kinds.len());
        let dirs = diff
            .dirs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((d.new_node?, d.size, Some(i as u32))));
        let files = diff
            .files
            .iter()
            .filter_map(|f| Some((f.new_node?, f.size, None)));
        for (node, size, dir) in dirs.chain(files) {
            if let Some(&change) = kinds.get(&node) {
                nodes.insert(node, NodeMark { change, size, dir });
            }
        }
        let mut layer_of = vec![None; new.layers.len()];
        let mut removed_layers = Vec::new();
        for (i, l) in diff.layers.iter().enumerate() {
            match (l.new, l.old) {
                (Some(n), _) => {
                    if let Some(slot) = layer_of.get_mut(n) {
                        *slot = Some(i as u32);
                    }
                }
                (None, Some(o)) => removed_layers.push(RemovedLayer {
                    index: o,
                    size: l.size.old,
                    compressed: l.compressed.old,
                }),
                (None, None) => {}
            }
        }
        removed_layers.sort_by_key(|l| l.index);
        DiffMarks {
            old_input: old_input.to_string(),
            old_name: old.display_name().to_string(),
            old_digest: old
                .manifest_digest
                .clone()
                .or_else(|| old.config_digest.clone()),
            diff,
            nodes,
            layer_of,
            removed_layers,
            old_commands: old.layers.iter().map(|l| l.command().to_string()).collect(),
        }
    }

    /// Compare two loaded images.
    pub fn compare(old_input: &str, old: &Loaded, new: &Loaded) -> DiffMarks {
        fn side(l: &Loaded) -> Side<'_> {
            Side {
                image: &l.image,
                analysis: &l.analysis,
            }
        }
        let d = diff::diff(side(old), side(new));
        DiffMarks::new(old_input, &old.image, &new.image, d)
    }

    /// How the node differs from OLD's entry at its path; `None` if it does not (nor anything
    /// below it).
    pub fn node(&self, node: NodeId) -> Option<&NodeMark> {
        self.nodes.get(&node)
    }

    /// Whether the node, or something below it, changed.
    pub fn changed(&self, node: NodeId) -> bool {
        self.nodes.contains_key(&node)
    }

    /// How NEW's layer `index` compares with OLD's layers.
    pub fn layer(&self, index: usize) -> Option<&LayerDiff> {
        let i = (*self.layer_of.get(index)?)?;
        self.diff.layers.get(i as usize)
    }

    /// The command of OLD's layer `index` (empty if it has none).
    pub fn old_command(&self, index: usize) -> &str {
        self.old_commands.get(index).map_or("", String::as_str)
    }
}

/// The one-character mark of a change, in the tree and the layers pane.
pub fn symbol(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Grown => "↑",
        ChangeKind::Shrunk => "↓",
        ChangeKind::Modified => "~",
        ChangeKind::Unchanged => "=",
    }
}

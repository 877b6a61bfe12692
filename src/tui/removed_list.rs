//! The diff's removed list: what only OLD has — every file, link, device and directory of OLD's
//! final filesystem that NEW does not have at its path, read from `ImageDiff::files` and `dirs` —
//! largest first, to scroll and pick from in place of the tree (NEW's tree has no node for them).
//! Picking a row leads to the nearest path NEW does have.

use crate::diff::{ChangeKind, ImageDiff};
use crate::model::{EntryKind, FileTree, NodeId, ROOT};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedEntry {
    pub path: String,
    /// What it was in OLD.
    pub kind: EntryKind,
    /// Regular-file bytes in OLD (below it, for a directory).
    pub bytes: u64,
    /// The OLD layer that wrote it (not known for a directory).
    pub layer: Option<usize>,
    /// For a directory: its index in `ImageDiff::dirs`.
    pub dir: Option<u32>,
}

#[derive(Debug, Default)]
pub struct RemovedList {
    pub rows: Vec<RemovedEntry>,
    pub cursor: usize,
    pub offset: usize,
}

impl RemovedList {
    pub fn new(diff: &ImageDiff) -> RemovedList {
        let dirs = diff
            .dirs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.change == ChangeKind::Removed)
            .map(|(i, d)| RemovedEntry {
                path: d.path.clone(),
                kind: EntryKind::Dir,
                bytes: d.size.old,
                layer: None,
                dir: Some(i as u32),
            });
        let files = diff
            .files
            .iter()
            .filter(|f| f.change == ChangeKind::Removed)
            .map(|f| RemovedEntry {
                path: f.path.clone(),
                kind: f.old_kind.unwrap_or(EntryKind::File),
                bytes: f.size.old,
                layer: f.layer,
                dir: None,
            });
        let mut rows: Vec<RemovedEntry> = dirs.chain(files).collect();
        rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        RemovedList {
            rows,
            cursor: 0,
            offset: 0,
        }
    }

    pub fn selected(&self) -> Option<&RemovedEntry> {
        self.rows.get(self.cursor)
    }

    /// Where the selected entry leads in NEW's tree: its own path when NEW has something live there
    /// (of another type), else its nearest ancestor NEW has; `ROOT` when that is the root.
    pub fn target(&self, tree: &FileTree) -> Option<NodeId> {
        let entry = self.selected()?;
        let mut path = entry.path.as_str();
        loop {
            if path.is_empty() || path == "/" {
                return Some(ROOT);
            }
            if let Some(node) = tree.lookup(path)
                && tree.live_final(node).is_some()
            {
                return Some(node);
            }
            path = match path.rfind('/') {
                Some(i) => &path[..i],
                None => "",
            };
        }
    }
}

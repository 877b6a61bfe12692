//! The waste view's rows: the analysis's reclaimable paths (largest first) and its duplicate-content
//! groups with their paths, flattened once per image into one list to scroll and pick from.
//! Selecting a row names the node (and layer) to jump to in the tree.

use crate::analysis::Analysis;
use crate::model::NodeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasteRow {
    ReclaimHeader,
    /// Index into `analysis.waste.paths`.
    Reclaim(u32),
    DuplicatesHeader,
    /// Index into `analysis.duplicates.groups`.
    Group(u32),
    /// (group, position of the path in the group).
    GroupPath(u32, u32),
    /// An explanatory line: nothing reclaimable, no duplicates, hashing off.
    Note(&'static str),
}

/// Where a row leads in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub node: NodeId,
    /// The layer to show it at; `None` for the last.
    pub layer: Option<usize>,
}

#[derive(Debug, Default)]
pub struct WasteList {
    pub rows: Vec<WasteRow>,
    pub cursor: usize,
    pub offset: usize,
}

impl WasteList {
    pub fn new(analysis: &Analysis) -> WasteList {
        let mut rows = vec![WasteRow::ReclaimHeader];
        if analysis.waste.paths.is_empty() {
            rows.push(WasteRow::Note(
                "nothing reclaimable: no layer hides bytes of another",
            ));
        }
        rows.extend((0..analysis.waste.paths.len() as u32).map(WasteRow::Reclaim));
        rows.push(WasteRow::DuplicatesHeader);
        let dups = &analysis.duplicates;
        if !dups.hashed && dups.groups.is_empty() {
            rows.push(WasteRow::Note(
                "no file contents were hashed (no files, or --no-hash)",
            ));
        } else if dups.groups.is_empty() {
            rows.push(WasteRow::Note("no duplicate content"));
        }
        for (g, group) in dups.groups.iter().enumerate() {
            rows.push(WasteRow::Group(g as u32));
            rows.extend((0..group.nodes.len() as u32).map(|p| WasteRow::GroupPath(g as u32, p)));
        }
        let cursor = rows.iter().position(|r| r.is_target()).unwrap_or(0);
        WasteList {
            rows,
            cursor,
            offset: 0,
        }
    }

    pub fn selected(&self) -> Option<WasteRow> {
        self.rows.get(self.cursor).copied()
    }

    pub fn move_by(&mut self, delta: isize) {
        let max = self.rows.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(max);
    }

    pub fn end(&mut self) {
        self.cursor = self.rows.len().saturating_sub(1);
    }

    /// Where the selected row leads.
    pub fn target(&self, analysis: &Analysis) -> Option<Target> {
        target(self.selected()?, analysis)
    }
}

impl WasteRow {
    fn is_target(self) -> bool {
        matches!(
            self,
            WasteRow::Reclaim(_) | WasteRow::Group(_) | WasteRow::GroupPath(..)
        )
    }
}

/// A reclaimable path is shown at the first layer that stored a hidden copy; a duplicate in the
/// final filesystem.
pub fn target(row: WasteRow, analysis: &Analysis) -> Option<Target> {
    match row {
        WasteRow::Reclaim(i) => {
            let p = analysis.waste.paths.get(i as usize)?;
            Some(Target {
                node: p.node,
                layer: p.copies.first().map(|c| c.layer),
            })
        }
        WasteRow::Group(g) => Some(Target {
            node: *analysis.duplicates.groups.get(g as usize)?.nodes.first()?,
            layer: None,
        }),
        WasteRow::GroupPath(g, p) => Some(Target {
            node: *analysis
                .duplicates
                .groups
                .get(g as usize)?
                .nodes
                .get(p as usize)?,
            layer: None,
        }),
        _ => None,
    }
}

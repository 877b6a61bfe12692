//! The waste view's rows: the analysis's reclaimable paths (largest first) and its duplicate-content
//! groups with their paths, flattened once per image into one list to scroll and pick from.
//! Selecting a row names the node (and layer) to jump to in the tree.

use crate::analysis::Analysis;
use crate::analysis::plan::{Action as PlanAction, Plan, Risk};
use crate::model::NodeId;
use crate::text::{clip, escape_control, human_size};

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
    /// What the trim plan's safe actions save on the image, beyond what later layers hide
    /// ([`WasteList::plan_note`]); Enter opens the plan.
    Plan,
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
    /// The plan's word on this image, escaped, once every image has loaded: the first row's
    /// short form and the details' whole text.
    pub plan_note: Option<(String, String)>,
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
            plan_note: None,
        }
    }

    /// Put the plan's word on the image first (once; a second call replaces the text).
    pub fn set_plan_note(&mut self, note: (String, String)) {
        if self.plan_note.is_none() {
            self.rows.insert(0, WasteRow::Plan);
            self.cursor += 1;
            self.offset = 0;
        }
        self.plan_note = Some(note);
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

/// What the plan's safe actions on image `i` (of the set named by `names`) save that the waste
/// view's reclaimable bytes do not count — package caches, temporary files: bytes the final image
/// still holds — and how to get there; `None` when no safe action touches it. Escaped.
pub fn plan_note(plan: &Plan, i: usize, names: &[String]) -> Option<(String, String)> {
    let safe: Vec<&PlanAction> = plan.for_image(i).filter(|a| a.risk == Risk::Safe).collect();
    let first = safe.first()?;
    let mut seen = std::collections::HashSet::new();
    let bytes: u64 = safe
        .iter()
        .flat_map(|a| a.claims.iter())
        .filter(|(c, _)| seen.insert(*c))
        .map(|(_, b)| b)
        .sum();
    let whose = match first.owner {
        Some(o) if o == i => String::new(),
        Some(o) => format!(
            " (on its base {}, once per node)",
            escape_control(names.get(o).map_or("?", String::as_str))
        ),
        None => " (on shared layers, once per node)".to_string(),
    };
    let actions = if safe.len() == 1 { "action" } else { "actions" };
    let short = format!(
        "Plan: {} safe {actions} save {}{whose} · Enter opens the plan",
        safe.len(),
        human_size(bytes),
    );
    let full = format!(
        "{} safe {actions} of the plan save {}{whose}. They count the bytes later layers hide (the reclaimable paths below) and the bytes the final image still holds that nothing needs to run (package caches, temporary files), which the reclaimable count leaves out. The first: {}. Enter or S opens the plan.",
        safe.len(),
        human_size(bytes),
        clip(&escape_control(&first.what), 2000)
    );
    Some((short, full))
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

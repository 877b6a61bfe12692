//! The plan-and-sharing view's footer, as state: the selected row in full (an action's whole
//! `why` with its largest paths, an image's verdict, a layer's command), how far it is scrolled,
//! and the jumps between the view's sections. The view draws it (`views/sharing.rs`); the layout
//! sizes the footer to it.

use super::plan_state::{PlanState, Row, letter};
use crate::text::{escape_control as esc, human_size as hs};

impl PlanState {
    /// The selected row in full, for the footer: every word of it (the footer scrolls).
    pub fn details(&self) -> String {
        let s = self;
        let sh = &s.set.sharing;
        match s.selected() {
            Some(Row::Image(i)) => {
                let i = i as usize;
                let Some(cells) = s.images.get(i) else {
                    return String::new();
                };
                let base = sh
                    .images
                    .get(i)
                    .and_then(|img| img.base)
                    .and_then(|b| sh.bases.get(b))
                    .map(|b| format!(" · base: {}", esc(&b.name)))
                    .unwrap_or_default();
                let role = if cells.role.is_empty() {
                    String::new()
                } else {
                    format!(" · {} ({})", cells.role, cells.role_why)
                };
                format!(
                    "{} {}{role}: {}{base}",
                    letter(i),
                    cells.name,
                    cells.verdict
                )
            }
            Some(Row::Layer(id)) => {
                let id = id as usize;
                let (Some(cells), Some(layer)) = (s.layers.get(id), sh.layers.get(id)) else {
                    return String::new();
                };
                format!(
                    "layer {id} · {} · used by {}: {}",
                    cells.size,
                    s.named(&layer.users),
                    if cells.command.is_empty() {
                        "(no history entry)"
                    } else {
                        &cells.command
                    }
                )
            }
            Some(Row::Base(b)) => sh.bases.get(b as usize).map_or_else(String::new, |base| {
                format!(
                    "base {}: {} layers, used by {}",
                    esc(&base.name),
                    base.layers,
                    s.named(&base.images)
                )
            }),
            Some(Row::Plan(k)) => s.plan.get(k as usize).map_or_else(String::new, |cells| {
                let paths = if cells.paths.is_empty() {
                    String::new()
                } else {
                    format!(" · largest: {}", cells.paths.join(", "))
                };
                format!(
                    "{} · {} · {}{paths}",
                    cells.kind,
                    cells.risk.key(),
                    cells.why
                )
            }),
            Some(Row::Package(k)) => s.packages.get(k as usize).map_or_else(String::new, |c| {
                format!("{} · Enter opens {} with the tree showing only its files", c.line.trim(), c.name)
            }),
            Some(Row::Pair(p)) => s.set.content.pairs.get(p as usize).map_or_else(String::new, |pair| {
                format!(
                    "{} and {} hold {} of identical files, {} of it in layers they do not share (stored twice on a node)",
                    s.named(&[pair.a]),
                    s.named(&[pair.b]),
                    hs(pair.common_bytes),
                    hs(pair.separate_bytes)
                )
            }),
            _ => String::new(),
        }
    }

    /// Move to the first row of the next section (`forward`) or of the previous one: sections
    /// begin at a heading (the plan, the images, the layers, the packages, …).
    pub fn jump_section(&mut self, forward: bool) {
        let starts: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Row::Heading(_)))
            .filter_map(|(i, _)| (i..self.rows.len()).find(|&j| self.rows[j].selectable()))
            .collect::<std::collections::BTreeSet<usize>>()
            .into_iter()
            .collect();
        let target = if forward {
            starts.iter().copied().find(|&i| i > self.cursor)
        } else {
            // The start of the section the cursor is in, or of the one before when at its start.
            starts.iter().copied().rev().find(|&i| i < self.cursor)
        };
        if let Some(i) = target {
            self.cursor = i;
            self.details_scroll = 0;
        }
    }
}

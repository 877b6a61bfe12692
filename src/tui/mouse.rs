//! Mouse hits: which pane or tab a click lands on, and what a click there does.

use ratatui::layout::{Position, Rect};

use super::action::*;
use super::app::{App, Pane, RightPane, View};
use super::update::activate_waste;

impl App {
    pub(super) fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let areas = self.areas();
        let pos = Position::new(column, row);
        [
            (areas.layers, Pane::Layers),
            (areas.right, Pane::Right),
            (areas.details, Pane::Details),
        ]
        .into_iter()
        .find(|(r, _)| r.contains(pos))
        .map(|(_, p)| p)
    }

    pub(super) fn click(&mut self, column: u16, row: u16) {
        let areas = self.areas();
        let pos = Position::new(column, row);
        if areas.tabs.is_some_and(|t| t.contains(pos)) {
            if self.diff.is_some() {
                return; // a diff's header, not tabs
            }
            let hit = self
                .tabs()
                .into_iter()
                .find(|t| column >= t.x && column < t.x.saturating_add(t.width));
            if let Some(spot) = hit {
                self.close_content();
                match spot.tab {
                    Tab::Image(i) => {
                        self.current = i;
                        self.view = View::Image;
                    }
                    Tab::Sharing => self.open_sharing(),
                }
            }
            return;
        }
        if self.content.is_some() {
            return;
        }
        if self.view == View::Sharing {
            self.click_sharing(row);
            return;
        }
        let Some(pane) = self.pane_at(column, row) else {
            return;
        };
        self.set_focus(pane);
        let right = self.right;
        let Some(v) = self.viewer_mut() else { return };
        let row_in = |area: Rect, offset: usize| {
            area.contains(pos).then(|| offset + (row - area.y) as usize)
        };
        match pane {
            Pane::Layers => {
                if let Some(i) = row_in(areas.layer_rows(), v.layer_cursor_offset)
                    && i < v.layer_count()
                {
                    v.select_layer(i);
                }
            }
            Pane::Right if right == RightPane::Tree => {
                if let Some(i) = row_in(areas.right_rows(), v.tree.offset)
                    && i < v.tree.rows().len()
                {
                    if i == v.tree.cursor {
                        v.with_tree(|t, lens| t.toggle(lens));
                    } else {
                        v.tree.cursor = i;
                        v.details_scroll = 0;
                    }
                }
            }
            Pane::Right if right == RightPane::Removed => {
                if let Some(i) = row_in(areas.right_rows(), v.removed.offset)
                    && i < v.removed.rows.len()
                {
                    if i == v.removed.cursor {
                        if let Some(note) = v.show_removed() {
                            self.right = RightPane::Tree;
                            self.message = Some(note);
                        }
                    } else {
                        v.removed.cursor = i;
                        v.details_scroll = 0;
                    }
                }
            }
            Pane::Right => {
                if let Some(i) = row_in(areas.right_rows(), v.waste.offset)
                    && i < v.waste.rows.len()
                {
                    if i == v.waste.cursor {
                        if let Some(note) = activate_waste(v) {
                            self.right = RightPane::Tree;
                            self.message = note;
                        }
                    } else {
                        v.waste.cursor = i;
                        v.details_scroll = 0;
                    }
                }
            }
            Pane::Details => {}
        }
    }
}

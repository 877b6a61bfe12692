//! The sharing view's updates: opening it, moving in it, clicks, and jumping from a row to the
//! image and file it names.

use super::action::*;
use super::app::{App, Pane, RightPane, Slot, View};
use super::plan_state::Row;
use crate::model::NodeId;
use crate::text::human_size;

impl App {
    pub(super) fn open_sharing(&mut self) {
        self.close_content();
        self.view = View::Sharing;
    }

    pub(super) fn update_sharing(&mut self, action: Action) {
        let page = self.areas().sharing_rows().height.max(1) as isize;
        match action {
            Action::Escape | Action::ToggleSharing => self.view = View::Image,
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = Some(0),
            Action::NextImage | Action::PrevImage => {
                self.view = View::Image;
                self.apply(action);
            }
            // Leaves the view only for an image that is there.
            Action::GoToImage(_) => self.apply(action),
            Action::Click { column, row } => self.click(column, row),
            Action::Activate => self.sharing_jump(),
            _ => {
                let Some(s) = self.sharing.as_mut() else {
                    return;
                };
                match action {
                    Action::Up => s.move_by(-1),
                    Action::Down => s.move_by(1),
                    Action::PageUp => s.move_by(-page),
                    Action::PageDown => s.move_by(page),
                    Action::Home => s.home(),
                    Action::End => s.end(),
                    Action::Scroll { down, .. } => {
                        s.move_by(if down { WHEEL_ROWS } else { -WHEEL_ROWS })
                    }
                    Action::SharingSort => s.cycle_sort(),
                    Action::PackageSort => s.cycle_package_sort(),
                    Action::FocusNext => s.jump_section(true),
                    Action::FocusPrev => s.jump_section(false),
                    Action::DetailsDown => s.details_scroll = s.details_scroll.saturating_add(1),
                    Action::DetailsUp => s.details_scroll = s.details_scroll.saturating_sub(1),
                    _ => {}
                }
            }
        }
    }

    /// A click in the sharing list: select the row; on the selected row, open it.
    pub(super) fn click_sharing(&mut self, row: u16) {
        let rows = self.areas().sharing_rows();
        let Some(s) = self.sharing.as_mut() else {
            return;
        };
        if row < rows.y || row >= rows.bottom() {
            return;
        }
        let i = s.offset + (row - rows.y) as usize;
        if !s.rows.get(i).is_some_and(|r| r.selectable()) {
            return;
        }
        if i == s.cursor {
            self.sharing_jump();
        } else {
            s.cursor = i;
        }
    }

    /// Open the image (and layer) the selected sharing row leads to, always in the file tree: a
    /// package row or a plan action filters the tree to every file it covers.
    pub(super) fn sharing_jump(&mut self) {
        let Some(s) = &self.sharing else { return };
        let Some((image, layer)) = s.target() else {
            return;
        };
        let Some(&slot) = s.slots.get(image) else {
            return;
        };
        let path = s.target_path();
        let covered = s
            .target_package()
            .map(|(label, nodes)| (label, nodes, None))
            .or_else(|| self.action_files(image));
        self.current = slot;
        self.view = View::Image;
        self.right = RightPane::Tree;
        if let (Some((label, nodes, bytes)), Some(v)) = (covered, self.viewer_mut()) {
            let count = nodes.len();
            v.show_nodes(&label, nodes);
            if let Some(layer) = layer {
                v.select_layer(layer);
            }
            // The largest file, selected in the filtered tree.
            if let Some(node) = path.and_then(|p| v.file_tree().lookup(&p))
                && v.lens().shows(node)
            {
                let _ = v.reveal(crate::tui::waste_list::Target { node, layer });
            }
            let bytes = bytes.map_or_else(String::new, |b| format!(", {}", human_size(b)));
            self.message = Some(format!(
                "{label}: {count} files{bytes} (f changes the filter, Esc clears it)"
            ));
            self.set_focus(Pane::Right);
            return;
        }
        match (layer, self.viewer_mut()) {
            (Some(layer), Some(v)) => {
                v.select_layer(layer);
                self.set_focus(Pane::Layers);
            }
            _ => self.set_focus(Pane::Right),
        }
    }

    /// For a plan row: the filter's label, every file the action removes as nodes of the tree of
    /// `image` (the set's index of the image the action is shown in), and their bytes. A file
    /// is claimed in the tree of its layer's first image with decoded layers; in another image's
    /// tree it is found by its path.
    fn action_files(&self, image: usize) -> Option<(String, Vec<NodeId>, Option<u64>)> {
        let s = self.sharing.as_ref()?;
        let Some(Row::Plan(k)) = s.selected() else {
            return None;
        };
        let action = s.set.plan.actions.get(k as usize)?;
        let cells = s.plan.get(k as usize)?;
        let viewer_of = |set_image: usize| match &self.images.get(*s.slots.get(set_image)?)?.state {
            Slot::Ready(v) if !v.analysis().layers_only => Some(v),
            _ => None,
        };
        let target = viewer_of(image)?;
        // The first image with decoded layers that holds each distinct layer, as the plan picks it.
        let holder = |d: usize| {
            s.set
                .sharing
                .image_layers
                .iter()
                .enumerate()
                .find(|(i, keys)| keys.contains(&d) && viewer_of(*i).is_some())
                .map(|(i, _)| i)
        };
        let mut nodes: Vec<NodeId> = Vec::with_capacity(action.claims.len());
        let mut bytes = 0u64;
        for &((d, node), size) in &action.claims {
            let Some(rep) = holder(d as usize) else {
                continue;
            };
            let found = if rep == image {
                Some(node)
            } else {
                viewer_of(rep)
                    .map(|v| v.file_tree().path(node))
                    .and_then(|p| target.file_tree().lookup(&p))
            };
            if let Some(n) = found {
                nodes.push(n);
                bytes += size;
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        Some((format!("plan: {}", cells.kind), nodes, Some(bytes)))
    }
}

//! The sharing view's updates: opening it, moving in it, clicks, and jumping from a row to the
//! image and file it names.

use super::action::*;
use super::app::{App, Pane, View};

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

    /// Open the image (and layer) the selected sharing row leads to.
    pub(super) fn sharing_jump(&mut self) {
        let Some(s) = &self.sharing else { return };
        let Some((image, layer)) = s.target() else {
            return;
        };
        let Some(&slot) = s.slots.get(image) else {
            return;
        };
        let path = s.target_path();
        let package = s.target_package();
        self.current = slot;
        self.view = View::Image;
        if let (Some((label, nodes)), Some(v)) = (package, self.viewer_mut()) {
            let count = nodes.len();
            v.show_nodes(&label, nodes);
            self.message = Some(format!("{label}: {count} files (f to change the filter)"));
            self.set_focus(Pane::Right);
            return;
        }
        match (layer, self.viewer_mut()) {
            (Some(layer), Some(v)) => {
                // A plan action: its largest file, shown in the tree at the action's layer.
                let node = path.and_then(|p| v.file_tree().lookup(&p));
                match node {
                    Some(node) => {
                        let note = v.reveal(crate::tui::waste_list::Target {
                            node,
                            layer: Some(layer),
                        });
                        self.message = note;
                        self.set_focus(Pane::Right);
                    }
                    None => {
                        v.select_layer(layer);
                        self.set_focus(Pane::Layers);
                    }
                }
            }
            _ => self.set_focus(Pane::Right),
        }
    }
}

//! Everything that can happen to the viewer, as one [`Action`] enum, and the one `App::update`
//! that dispatches it: focus, navigation and the viewer's panes here; each mode's own updates
//! beside its state (the input line in `input_line.rs`, mouse hits in `mouse.rs`, the content
//! view, export and clipboard in `content_update.rs`, the sharing view in `sharing_update.rs`).
//! Keys and mouse events become actions in `keys.rs`; the loader's results and the clock arrive
//! as `Tick`. Nothing here draws, so tests drive the viewer with actions alone.

use std::time::Instant;

use super::app::{App, Input, InputKind, Pane, RightPane, View};
use super::layout::{self, Areas};
use super::tree_view::visible_offset;
use super::viewer::Viewer;
use super::waste_list;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Close the help or the input line; with neither open, quit.
    Escape,
    ToggleHelp,
    /// Ctrl-Z: the runner restores the terminal and stops the process; `update` ignores it.
    Suspend,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Tree: collapse the directory or go to its parent.
    Left,
    /// Tree: expand the directory or step into it.
    Right,
    /// Space: expand or collapse the selected directory.
    Toggle,
    /// Enter: open the selected directory, jump to a waste entry, or move from layers to the tree.
    Activate,
    CollapseAll,
    ExpandAll,
    /// Aggregated filesystem or this layer's changes only.
    ToggleMode,
    /// Show the aggregated filesystem, or this layer's changes only (dive's Ctrl-A, Ctrl-L).
    SetMode(super::tree_view::Mode),
    /// dive's Ctrl-A: in the layers pane the aggregated filesystem, elsewhere hide or show added
    /// entries.
    AddedOrAggregated,
    /// Show or hide the tree's permission and owner columns (dive's Ctrl-B).
    ToggleAttributes,
    /// Size or name order.
    ToggleSort,
    /// Hide or show a change kind (`stats::UNCHANGED`, `ADDED`, `MODIFIED`, `REMOVED`).
    ToggleHidden(u8),
    /// The waste view in place of the tree.
    ToggleWaste,
    /// A diff: show only what changed against the old image, or everything.
    ToggleChangedOnly,
    /// The tree filtered to the entrypoint's runtime closure, then to everything else, then all.
    CycleClosure,
    /// A diff: the list of what only the old image has, in place of the tree.
    ToggleRemoved,
    OpenFilter,
    OpenSearch,
    SearchNext,
    SearchPrev,
    /// Jump to the next of the largest files.
    NextBiggest,
    /// Jump back to the previous of the largest files.
    PrevBiggest,
    NextImage,
    PrevImage,
    /// Go to image N (from 0), as the tab bar numbers it (from 1).
    GoToImage(u8),
    /// Show the selected file's contents (as of the selected layer); in the content view, close it.
    ViewFile,
    /// Ask for a destination, then write the selected file there.
    ExportFile,
    /// Copy the tree's selected path to the terminal's clipboard.
    CopyPath,
    /// Copy the selected layer's digest to the terminal's clipboard.
    CopyDigest,
    /// Content view: wrap long lines, or scroll them sideways.
    ToggleWrap,
    /// Content view: hex dump or text.
    ToggleHex,
    /// The sharing view across all images, or back to the image.
    ToggleSharing,
    /// Sharing view: the next order of the per-image table.
    SharingSort,
    /// Sort the plan view's package rows by the next key.
    PackageSort,
    InputChar(char),
    InputBackspace,
    /// Clear the input line.
    InputClear,
    /// Filter input: substring or regex.
    InputToggleRegex,
    InputAccept,
    /// Yes to the question on the input line (overwrite the export's destination).
    ConfirmYes,
    Click {
        column: u16,
        row: u16,
    },
    Scroll {
        column: u16,
        row: u16,
        down: bool,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed: take finished loads, refresh progress.
    Tick(Instant),
}

/// Rows a mouse-wheel step moves.
pub(super) const WHEEL_ROWS: isize = 3;

impl App {
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Tick(now) => {
                self.now = now;
                self.receive_loads();
                self.receive_jobs();
                self.fit();
                return;
            }
            Action::Resize { width, height } => {
                self.width = width;
                self.height = height;
                self.fit();
                return;
            }
            Action::Suspend => return,
            _ => {}
        }
        self.message = None;
        if self.help.is_some() {
            self.update_help(action);
            return;
        }
        if self.input.is_some() && self.update_input(action) {
            self.fit();
            return;
        }
        if self.content.is_some() {
            self.update_content(action);
        } else if self.view == View::Sharing {
            self.update_sharing(action);
        } else {
            self.apply(action);
        }
        self.fit();
    }

    /// The pane layout for the current size and image.
    pub fn areas(&self) -> Areas {
        let layers = self.viewer().map_or(0, |v| v.layer_count());
        layout::compute(self.width, self.height, self.has_top_bar(), layers)
    }

    /// Keep every cursor inside its pane after a change or a resize.
    fn fit(&mut self) {
        let areas = self.areas();
        if let Some(c) = self.content.as_mut() {
            let rows = areas.content_rows();
            c.fit(rows.width, rows.height);
        }
        if let Some(s) = self.sharing.as_mut() {
            let h = areas.sharing_rows().height as usize;
            s.offset = visible_offset(s.offset, s.cursor, h, s.rows.len());
        }
        let tree_h = areas.right_rows().height as usize;
        let layers_h = areas.layer_rows().height as usize;
        if let Some(v) = self.viewer_mut() {
            v.tree.scroll_into_view(tree_h);
            v.waste.offset =
                visible_offset(v.waste.offset, v.waste.cursor, tree_h, v.waste.rows.len());
            let removed = &mut v.removed;
            removed.offset =
                visible_offset(removed.offset, removed.cursor, tree_h, removed.rows.len());
            v.layer_cursor_offset =
                visible_offset(v.layer_cursor_offset, v.layer, layers_h, v.layer_count());
        }
    }

    fn update_help(&mut self, action: Action) {
        let scroll = self.help.unwrap_or(0);
        // As far as the help scrolls at the size last drawn.
        let max = self.help_max.get();
        let by = |d: i32| Some((i32::from(scroll) + d).clamp(0, i32::from(max)) as u16);
        self.help = match action {
            Action::Escape | Action::ToggleHelp | Action::Click { .. } => None,
            Action::Quit => {
                self.quit = true;
                None
            }
            Action::Up => by(-1),
            Action::Down => by(1),
            Action::Scroll { down, .. } => by(if down { 3 } else { -3 }),
            Action::PageUp => by(-10),
            Action::PageDown => by(10),
            Action::Home => Some(0),
            Action::End => Some(max),
            _ => Some(scroll),
        };
    }

    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            // Esc cancels; it never quits (a second Esc after closing an overlay must not end
            // the session): it clears a filter, or says which key quits.
            Action::Escape => {
                let cleared = self.viewer_mut().is_some_and(|v| {
                    let active = v.filter.is_active();
                    if active {
                        let _ = v.set_filter("", false);
                    }
                    active
                });
                self.message = Some(if cleared {
                    "filter cleared".into()
                } else {
                    "q quits".into()
                });
            }
            Action::ToggleHelp => self.help = Some(0),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(2),
            Action::NextImage => self.switch_image(1),
            Action::PrevImage => self.switch_image(self.images.len().saturating_sub(1)),
            Action::GoToImage(n) => self.go_to_image(usize::from(n)),
            Action::ViewFile => self.open_content(),
            Action::ExportFile => self.ask_export(),
            Action::CopyPath | Action::CopyDigest => self.copy(action),
            Action::ToggleSharing => self.open_sharing(),
            Action::Up => self.navigate(self.focus, Nav::By(-1)),
            Action::Down => self.navigate(self.focus, Nav::By(1)),
            Action::PageUp => self.navigate(self.focus, Nav::Page(-1)),
            Action::PageDown => self.navigate(self.focus, Nav::Page(1)),
            Action::Home => self.navigate(self.focus, Nav::Home),
            Action::End => self.navigate(self.focus, Nav::End),
            Action::Click { column, row } => self.click(column, row),
            Action::Scroll { column, row, down } => {
                let dir = if down { 1 } else { -1 };
                match self.pane_at(column, row) {
                    Some(Pane::Layers) => self.navigate(Pane::Layers, Nav::By(dir)),
                    Some(pane) => self.navigate(pane, Nav::By(dir * WHEEL_ROWS)),
                    None => {}
                }
            }
            _ => self.apply_to_viewer(action),
        }
    }

    /// Actions on the current image; nothing happens while it loads or after it failed.
    fn apply_to_viewer(&mut self, action: Action) {
        let focus = self.focus;
        let right = self.right;
        let Some(v) = self.viewer_mut() else {
            return;
        };
        let mut show_tree = true;
        let mut note = None;
        match action {
            Action::Left if focus == Pane::Right && right == RightPane::Tree => {
                v.tree.left();
            }
            Action::Right if focus == Pane::Right && right == RightPane::Tree => {
                v.with_tree(|t, lens| t.right(lens));
            }
            Action::Right if focus == Pane::Layers => {
                self.set_focus(Pane::Right);
                return;
            }
            Action::Activate
                if focus == Pane::Right
                    && right == RightPane::Tree
                    && v.tree.selected().is_some_and(|n| !v.lens().is_dir(n)) =>
            {
                self.open_content();
                return;
            }
            Action::Toggle | Action::Activate
                if focus == Pane::Right && right == RightPane::Tree =>
            {
                v.with_tree(|t, lens| t.toggle(lens));
            }
            Action::Toggle | Action::Activate
                if focus == Pane::Right && right == RightPane::Removed =>
            {
                match v.show_removed() {
                    Some(jumped) => note = Some(jumped),
                    None => return, // an empty list leads nowhere
                }
            }
            Action::Toggle | Action::Activate if focus == Pane::Right => {
                match activate_waste(v) {
                    Some(jumped) => note = jumped,
                    None => return, // a header: it leads nowhere
                }
            }
            Action::Activate if focus == Pane::Layers => {
                self.set_focus(Pane::Right);
                return;
            }
            Action::CollapseAll => v.with_tree(|t, lens| t.collapse_all(lens)),
            Action::ExpandAll => v.with_tree(|t, lens| t.expand_all(lens)),
            Action::ToggleMode => v.toggle_mode(),
            Action::SetMode(mode) => {
                if v.mode != mode {
                    v.toggle_mode();
                }
            }
            Action::AddedOrAggregated if focus == Pane::Layers => {
                if v.mode != super::tree_view::Mode::Aggregated {
                    v.toggle_mode();
                }
            }
            Action::AddedOrAggregated => v.toggle_hidden(super::stats::ADDED),
            Action::ToggleAttributes => {
                v.attributes = !v.attributes;
                note = Some(if v.attributes {
                    "showing permissions and owners (on a wide enough pane)".into()
                } else {
                    "permissions and owners hidden".into()
                });
            }
            Action::ToggleSort => v.toggle_sort(),
            Action::ToggleHidden(bit) => v.toggle_hidden(bit),
            Action::NextBiggest => note = Some(v.step_biggest(true)),
            Action::PrevBiggest => note = Some(v.step_biggest(false)),
            Action::ToggleChangedOnly => note = Some(v.toggle_changed_only()),
            Action::CycleClosure => note = Some(v.cycle_closure()),
            Action::ToggleWaste => {
                self.right = match right {
                    RightPane::Waste => RightPane::Tree,
                    RightPane::Tree | RightPane::Removed => RightPane::Waste,
                };
                self.set_focus(Pane::Right);
                return;
            }
            Action::ToggleRemoved => {
                if v.diff().is_none() {
                    self.message =
                        Some("o lists what only the old image has: imgscope diff OLD NEW".into());
                    return;
                }
                self.right = match right {
                    RightPane::Removed => RightPane::Tree,
                    RightPane::Tree | RightPane::Waste => RightPane::Removed,
                };
                self.set_focus(Pane::Right);
                return;
            }
            Action::OpenFilter => {
                // A named set (a package, the closure) is no pattern to edit: start empty.
                let previous = if v.filter.is_node_set() {
                    (String::new(), false)
                } else {
                    (v.filter.text().to_string(), v.filter.is_regex())
                };
                self.input = Some(Input {
                    kind: InputKind::Filter,
                    text: previous.0.clone(),
                    regex: previous.1,
                    error: None,
                    origin: 0,
                    previous,
                });
            }
            Action::OpenSearch => {
                v.begin_search();
                self.input = Some(Input {
                    kind: InputKind::Search,
                    text: String::new(),
                    regex: false,
                    error: None,
                    origin: v.tree.cursor,
                    previous: (String::new(), false),
                });
            }
            Action::SearchNext | Action::SearchPrev => {
                note = v.search_again(action == Action::SearchNext);
            }
            _ => show_tree = false,
        }
        if show_tree {
            self.right = RightPane::Tree;
            if matches!(
                action,
                Action::NextBiggest | Action::PrevBiggest | Action::OpenFilter | Action::OpenSearch
            ) {
                self.set_focus(Pane::Right);
            }
        }
        if note.is_some() {
            self.message = note;
        }
    }

    pub(super) fn set_focus(&mut self, pane: Pane) {
        self.focus = pane;
        if pane != Pane::Details {
            self.subject = pane;
        }
    }

    fn cycle_focus(&mut self, step: usize) {
        const ORDER: [Pane; 3] = [Pane::Layers, Pane::Right, Pane::Details];
        let i = ORDER.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.set_focus(ORDER[(i + step) % ORDER.len()]);
    }

    fn go_to_image(&mut self, n: usize) {
        if n < self.images.len() {
            self.close_content();
            self.current = n;
            self.view = View::Image;
        } else {
            self.message = Some(match self.images.len() {
                1 => "one image: the digits go to the tabs of several".into(),
                count => format!("no image {} (there are {count})", n + 1),
            });
        }
    }

    fn switch_image(&mut self, step: usize) {
        if !self.images.is_empty() {
            self.current = (self.current + step) % self.images.len();
        }
    }

    fn navigate(&mut self, pane: Pane, nav: Nav) {
        let areas = self.areas();
        let right = self.right;
        let Some(v) = self.viewer_mut() else { return };
        match pane {
            Pane::Layers => {
                let page = areas.layer_rows().height.max(1) as isize;
                let count = v.layer_count();
                let target = nav.resolve(v.layer, count, page);
                v.select_layer(target);
            }
            Pane::Right if right == RightPane::Tree => {
                let page = areas.right_rows().height.max(1) as isize;
                let len = v.tree.rows().len();
                v.tree.cursor = nav.resolve(v.tree.cursor, len, page);
                v.details_scroll = 0;
            }
            Pane::Right if right == RightPane::Removed => {
                let page = areas.right_rows().height.max(1) as isize;
                let len = v.removed.rows.len();
                v.removed.cursor = nav.resolve(v.removed.cursor, len, page);
                v.details_scroll = 0;
            }
            Pane::Right => {
                let page = areas.right_rows().height.max(1) as isize;
                let len = v.waste.rows.len();
                v.waste.cursor = nav.resolve(v.waste.cursor, len, page);
                v.details_scroll = 0;
            }
            Pane::Details => {
                let page = areas.details_inner().height.max(1) as isize;
                let len = v.details_len.get().min(u16::MAX as usize);
                v.details_scroll = nav.resolve(v.details_scroll as usize, len, page) as u16;
            }
        }
    }
}

/// What a tab opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Image(usize),
    Sharing,
}

/// A tab where the tab bar draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabSpot {
    pub x: u16,
    /// Columns on screen (the label may be cut at the right).
    pub width: u16,
    pub label: String,
    pub tab: Tab,
}

/// Jump from the selected waste row to the tree: `None` if the row leads nowhere (a header),
/// else the note for the status line, if any.
pub(super) fn activate_waste(v: &mut Viewer) -> Option<Option<String>> {
    let target = v
        .waste
        .selected()
        .and_then(|row| waste_list::target(row, v.analysis()))?;
    Some(v.reveal(target))
}

#[derive(Debug, Clone, Copy)]
enum Nav {
    By(isize),
    Page(isize),
    Home,
    End,
}

impl Nav {
    /// The new position in a list of `len` items from `cur`.
    fn resolve(self, cur: usize, len: usize, page: isize) -> usize {
        let max = len.saturating_sub(1);
        match self {
            Nav::By(d) => cur.saturating_add_signed(d).min(max),
            Nav::Page(d) => cur.saturating_add_signed(d * page).min(max),
            Nav::Home => 0,
            Nav::End => max,
        }
    }
}

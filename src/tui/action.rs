//! Everything that can happen to the viewer, as one [`Action`] enum, and the one `App::update`
//! that applies it. Keys and mouse events become actions in `keys.rs`; the loader's results and the
//! clock arrive as `Tick`. Nothing here draws, so tests drive the viewer with actions alone.

use std::time::Instant;

use ratatui::layout::{Position, Rect};
use unicode_width::UnicodeWidthStr;

use super::app::{App, ExportTarget, Input, InputKind, Pane, RightPane, Slot, View};
use super::content::{self, ContentView, HSTEP, JobResult};
use super::filter;
use super::layout::{self, Areas};
use super::tree_view::visible_offset;
use super::viewer::Viewer;
use super::waste_list;
use crate::content::FileLocation;
use crate::model::NodeId;
use crate::text::escape_control;

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
const WHEEL_ROWS: isize = 3;

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

    /// Apply an action to the open input line; false if it is not an editing action (the line is
    /// then accepted and the action applied as usual).
    fn update_input(&mut self, action: Action) -> bool {
        let Some(input) = self.input.as_mut() else {
            return false;
        };
        if input.kind == InputKind::Overwrite {
            self.input = None;
            let existing = self.export.as_mut().and_then(|t| t.existing.take());
            match (action, existing) {
                (Action::ConfirmYes, Some(path)) => self.start_export(path),
                (_, existing) => {
                    self.export = None;
                    self.message = Some(match existing {
                        Some(path) => format!(
                            "not exported: {} is kept as it was",
                            escape_control(&path.display().to_string())
                        ),
                        None => "export cancelled".into(),
                    });
                }
            }
            // Ctrl-C still quits; any other key was the answer.
            return action != Action::Quit;
        }
        match action {
            Action::InputChar(c) => input.text.push(c),
            Action::InputBackspace => {
                input.text.pop();
            }
            Action::InputClear => input.text.clear(),
            Action::InputToggleRegex if input.kind == InputKind::Filter => {
                input.regex = !input.regex;
            }
            Action::InputToggleRegex => {}
            Action::InputAccept => {
                self.accept_input();
                return true;
            }
            Action::Escape => {
                self.cancel_input();
                return true;
            }
            Action::Quit => return false,
            // Anything else ends the line: a filter or search is kept, an export is not written
            // (only Enter writes).
            _ if input.kind == InputKind::Export => {
                self.cancel_input();
                return false;
            }
            _ => {
                self.accept_input();
                return self.input.is_some();
            }
        }
        self.input_changed();
        true
    }

    /// Apply the input as it is typed: a substring filter or a search at once; a regex is only
    /// checked, and applied on Enter.
    fn input_changed(&mut self) {
        let Some(input) = self.input.clone() else {
            return;
        };
        if input.kind == InputKind::Export {
            return;
        }
        let Some(viewer) = self.viewer_mut() else {
            return;
        };
        let error = match input.kind {
            InputKind::Filter if input.regex => {
                if input.text.is_empty() {
                    None
                } else {
                    filter::compile(&input.text).err()
                }
            }
            InputKind::Filter => viewer.set_filter(&input.text, false).err(),
            InputKind::Export | InputKind::Overwrite => None,
            InputKind::Search => {
                (!viewer.search_typed(&input.text)).then(|| "no match".to_string())
            }
        };
        if let Some(i) = self.input.as_mut() {
            i.error = error;
        }
    }

    fn accept_input(&mut self) {
        let Some(input) = self.input.clone() else {
            return;
        };
        if input.kind == InputKind::Export {
            self.input = None;
            self.finish_export(&input.text);
            return;
        }
        let Some(viewer) = self.viewer_mut() else {
            self.input = None;
            return;
        };
        match input.kind {
            InputKind::Filter => {
                if let Err(e) = viewer.set_filter(&input.text, input.regex) {
                    if let Some(i) = self.input.as_mut() {
                        i.error = Some(e);
                    }
                    return;
                }
                let note = viewer.filter.is_active().then(|| {
                    let n = viewer.filter.matched().len();
                    format!("filter: {n} matching path{}", if n == 1 { "" } else { "s" })
                });
                self.message = note;
            }
            InputKind::Search => {
                viewer.search = (!input.text.is_empty()).then(|| input.text.clone());
                viewer.end_search(true);
            }
            InputKind::Export | InputKind::Overwrite => {}
        }
        self.input = None;
    }

    fn cancel_input(&mut self) {
        let Some(input) = self.input.take() else {
            return;
        };
        if input.kind == InputKind::Export {
            self.export = None;
            self.message = Some("export cancelled".into());
            return;
        }
        let Some(viewer) = self.viewer_mut() else {
            return;
        };
        match input.kind {
            InputKind::Filter => {
                let (text, regex) = input.previous;
                // The previous filter was valid when it was set.
                let _ = viewer.set_filter(&text, regex);
            }
            InputKind::Search => viewer.end_search(false),
            InputKind::Export | InputKind::Overwrite => {}
        }
    }

    fn apply(&mut self, action: Action) {
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

    fn set_focus(&mut self, pane: Pane) {
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

    fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
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

    fn click(&mut self, column: u16, row: u16) {
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

    /// The tab bar as drawn and clicked: the image tabs from the left, scrolled so that the
    /// current image's is on screen — `…` stands for those scrolled off at the left, `+N…` for the
    /// N that do not fit at the right (a click on either goes to the nearest hidden image) — and
    /// the sharing view's pinned at the right.
    pub fn tabs(&self) -> Vec<TabSpot> {
        let mut labels = self.tab_labels();
        let sharing = (self.images.len() > 1).then(|| labels.pop()).flatten();
        let width = |s: &str| UnicodeWidthStr::width(s).min(u16::MAX as usize) as u16;
        let sharing_w = sharing.as_deref().map_or(0, width);
        let bar = self.width.saturating_sub(sharing_w);
        let widths: Vec<u16> = labels.iter().map(|l| width(l)).collect();
        let count = widths.len();
        let current = self.current.min(count.saturating_sub(1));
        // Room for the `+N…` mark, whenever some tab may not fit.
        let all: u32 = widths.iter().map(|&w| u32::from(w)).sum();
        let mark_w = if all > u32::from(bar) {
            width(&format!(" +{count}… "))
        } else {
            0
        };
        let room = bar.saturating_sub(mark_w);
        // The first image tab shown: the current one must fit after it (and the `…`).
        let fits = |start: usize| {
            let lead = u16::from(start > 0);
            widths[start..=current]
                .iter()
                .fold(lead, |a, w| a.saturating_add(*w))
                <= room
        };
        let mut start = 0;
        while start < current && !fits(start) {
            start += 1;
        }
        let mut out = Vec::new();
        let mut x = 0u16;
        if start > 0 {
            out.push(TabSpot {
                x,
                width: 1,
                label: "…".into(),
                tab: Tab::Image(start - 1),
            });
            x = 1;
        }
        let mut next = start;
        for (i, label) in labels.into_iter().enumerate().skip(start) {
            let fits_whole = x.saturating_add(widths[i]) <= room;
            // Only the current tab is ever cut (when it alone is wider than the bar).
            if !fits_whole && (i != current || x >= room) {
                break;
            }
            let w = widths[i].min(room - x);
            let label = if w < widths[i] {
                crate::text::clip(&label, usize::from(w)).into_owned()
            } else {
                label
            };
            out.push(TabSpot {
                x,
                width: w,
                label,
                tab: Tab::Image(i),
            });
            x += w;
            next = i + 1;
        }
        if next < count {
            let label = format!(" +{}… ", count - next);
            out.push(TabSpot {
                x,
                width: width(&label),
                label,
                tab: Tab::Image(next),
            });
        }
        if let Some(label) = sharing {
            out.push(TabSpot {
                x: self.width.saturating_sub(sharing_w),
                width: sharing_w.min(self.width),
                label,
                tab: Tab::Sharing,
            });
        }
        out
    }

    /// The tab bar's labels, in order: every image's, then the sharing view's.
    pub fn tab_labels(&self) -> Vec<String> {
        self.images
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let name = match &slot.state {
                    Slot::Ready(v) => v.image().display_name().to_string(),
                    _ => slot.input.clone(),
                };
                let name = crate::text::escape_control(&name).into_owned();
                let name = crate::text::clip(&name, 40);
                let state = match &slot.state {
                    Slot::Loading { progress, .. } => {
                        format!(" {}", super::format::percent_loaded(progress))
                    }
                    Slot::Failed { .. } => " failed".into(),
                    Slot::Ready(_) => String::new(),
                };
                format!(" {} {name}{state} ", i + 1)
            })
            .chain((self.images.len() > 1).then(|| " S sharing ".to_string()))
            .collect()
    }
}

/// The content view, the export line, the clipboard and the sharing view.
impl App {
    /// `y` / `Y`: put the tree's selected path, or the selected layer's digest, where the
    /// terminal loop sends it to the clipboard — escaped as the viewer shows it.
    fn copy(&mut self, action: Action) {
        let Some(v) = self.viewer() else { return };
        let text = if action == Action::CopyPath {
            if self.right != RightPane::Tree {
                self.message = Some(format!(
                    "y copies the path selected in the tree ({} goes back to it)",
                    self.back_to_tree_key()
                ));
                return;
            }
            match v.tree.selected() {
                Some(node) => v.file_tree().path(node),
                None => {
                    self.message = Some("no file selected".into());
                    return;
                }
            }
        } else {
            let layer = v.image().layers.get(v.layer);
            match layer.and_then(|l| l.digest.as_ref().or(l.diff_id.as_ref())) {
                Some(d) => d.clone(),
                None => {
                    self.message = Some("the layer has no digest".into());
                    return;
                }
            }
        };
        let text = escape_control(&text).into_owned();
        if !self.clipboard {
            self.message = Some(format!(
                "clipboard off (--no-clipboard, or not a terminal): {text}"
            ));
            return;
        }
        // The copied text last, whole when it fits: it is what the note is about.
        self.message = Some(format!("copied: {text}"));
        self.to_copy = Some(text);
    }

    /// Open the content view on the tree's selected file, as of the selected layer; the bytes are
    /// read on a worker thread.
    fn open_content(&mut self) {
        if self.right != RightPane::Tree {
            self.message = Some(format!(
                "v shows the file selected in the tree ({} goes back to it)",
                self.back_to_tree_key()
            ));
            return;
        }
        let Some(v) = self.viewer() else { return };
        let Some(node) = v.tree.selected() else {
            self.message = Some("no file selected".into());
            return;
        };
        let (path, layer, blobs) = (v.file_tree().path(node), v.layer, v.blobs().clone());
        let view = match locate(v, node) {
            Err(e) => ContentView::failed(path, layer, &e),
            Ok(at) => {
                let mut view = ContentView::new(path, layer);
                view.job = Some(self.jobs.read(blobs, at.clone()));
                view.location = Some(at);
                view
            }
        };
        self.close_content();
        self.content = Some(view);
    }

    /// The key that brings the tree back in place of the right pane's list.
    fn back_to_tree_key(&self) -> &'static str {
        match self.right {
            RightPane::Removed => "o",
            _ => "w",
        }
    }

    fn close_content(&mut self) {
        if let Some(mut c) = self.content.take() {
            c.cancel();
        }
    }

    /// Open the export line for the selected file (or the one the content view shows).
    fn ask_export(&mut self) {
        if self.content.is_none() && self.right != RightPane::Tree {
            self.message = Some(format!(
                "x exports the file selected in the tree ({} goes back to it)",
                self.back_to_tree_key()
            ));
            return;
        }
        match self.export_target() {
            Ok(target) => {
                let text = target.name.clone();
                self.export = Some(target);
                self.input = Some(Input {
                    kind: InputKind::Export,
                    text,
                    regex: false,
                    error: None,
                    origin: 0,
                    previous: (String::new(), false),
                });
            }
            Err(e) => self.message = Some(format!("cannot export: {}", content::one_line(&e))),
        }
    }

    /// What an export would write: the content view's file, else the tree's selected one.
    fn export_target(&self) -> Result<ExportTarget, String> {
        let v = self.viewer().ok_or("no image")?;
        let (at, path, name) = match &self.content {
            Some(c) => match &c.location {
                Some(at) => {
                    let name = c.path.rsplit('/').next().unwrap_or("").to_string();
                    (at.clone(), c.path.clone(), name)
                }
                None => {
                    return Err(match &c.state {
                        content::ContentState::Failed(e) => e.clone(),
                        _ => "the file could not be located".into(),
                    });
                }
            },
            None => {
                let node = v.tree.selected().ok_or("no file selected")?;
                let tree = v.file_tree();
                (
                    locate(v, node)?,
                    tree.path(node),
                    tree.name(node).to_string(),
                )
            }
        };
        let mode = crate::content::export_mode(v.file_tree(), &at);
        Ok(ExportTarget {
            blobs: v.blobs().clone(),
            at,
            mode,
            name: content::safe_file_name(&name),
            shown: escape_control(&path).into_owned(),
            existing: None,
        })
    }

    /// The export line was accepted: write the file on a worker thread — after asking, when the
    /// destination exists (anything there, a link included).
    fn finish_export(&mut self, dest: &str) {
        let Some(t) = self.export.as_mut() else {
            return;
        };
        match content::export_target(dest, &t.name) {
            Ok(target) if target.symlink_metadata().is_ok() => {
                let shown = escape_control(&target.display().to_string()).into_owned();
                t.existing = Some(target);
                self.input = Some(Input {
                    kind: InputKind::Overwrite,
                    text: shown,
                    regex: false,
                    error: None,
                    origin: 0,
                    previous: (String::new(), false),
                });
            }
            Ok(target) => self.start_export(target),
            Err(e) => {
                self.export = None;
                self.message = Some(format!("not exported: {e}"));
            }
        }
    }

    /// Write the file the export line is for to `target`, on a worker thread.
    fn start_export(&mut self, target: std::path::PathBuf) {
        let Some(t) = self.export.take() else { return };
        self.message = Some(format!(
            "exporting {} to {}…",
            t.shown,
            escape_control(&target.display().to_string())
        ));
        self.jobs.export(t.blobs, t.at, t.mode, target, t.shown);
    }

    /// Take the results of finished reads and exports.
    fn receive_jobs(&mut self) {
        for done in self.jobs.finished() {
            match done {
                JobResult::Read { id, result } => {
                    if let Some(c) = self.content.as_mut()
                        && c.job.as_ref().is_some_and(|(j, _)| *j == id)
                    {
                        c.fill(result);
                    }
                }
                JobResult::Export(note) => {
                    self.message = Some(match note {
                        Ok(m) | Err(m) => m,
                    });
                }
            }
        }
    }

    fn update_content(&mut self, action: Action) {
        let page = self.areas().content_rows().height.max(1) as isize;
        if matches!(action, Action::ExportFile) {
            self.ask_export();
            return;
        }
        let Some(c) = self.content.as_mut() else {
            return;
        };
        match action {
            Action::Escape | Action::ViewFile => self.close_content(),
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = Some(0),
            Action::Up => c.scroll_by(-1),
            Action::Down => c.scroll_by(1),
            Action::PageUp => c.scroll_by(-page),
            Action::PageDown => c.scroll_by(page),
            Action::Home => c.scroll = 0,
            Action::End => c.scroll = c.max_scroll(),
            Action::Left => c.hscroll_by(-(HSTEP as isize)),
            Action::Right => c.hscroll_by(HSTEP as isize),
            Action::Scroll { down, .. } => c.scroll_by(if down { WHEEL_ROWS } else { -WHEEL_ROWS }),
            Action::ToggleWrap => c.toggle_wrap(),
            Action::ToggleHex => c.toggle_hex(),
            Action::Click { column, row } => self.click(column, row),
            _ => {}
        }
    }

    fn open_sharing(&mut self) {
        self.close_content();
        self.view = View::Sharing;
    }

    fn update_sharing(&mut self, action: Action) {
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
    fn click_sharing(&mut self, row: u16) {
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
    fn sharing_jump(&mut self) {
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

/// Locate the file at `node` as of the viewer's layer, explaining a removal.
fn locate(v: &Viewer, node: NodeId) -> Result<FileLocation, String> {
    let tree = v.file_tree();
    let path = tree.path(node);
    match tree.version_at(node, v.layer) {
        None => return Err(format!("{path} is not in layer {}", v.layer)),
        Some((_, ver)) if !ver.is_live() => {
            return Err(format!(
                "{path} was removed by layer {}: it has no content here",
                ver.layer
            ));
        }
        _ => {}
    }
    crate::content::locate(tree, &path, Some(v.layer)).map_err(|e| format!("{e:#}"))
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
fn activate_waste(v: &mut Viewer) -> Option<Option<String>> {
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

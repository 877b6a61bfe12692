//! Everything that can happen to the viewer, as one [`Action`] enum, and the one `App::update`
//! that applies it. Keys and mouse events become actions in `keys.rs`; the loader's results and the
//! clock arrive as `Tick`. Nothing here draws, so tests drive the viewer with actions alone.

use std::time::Instant;

use ratatui::layout::{Position, Rect};

use super::app::{App, Input, InputKind, Pane, RightPane, Slot};
use super::filter;
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
    /// Size or name order.
    ToggleSort,
    /// Hide or show a change kind (`stats::UNCHANGED`, `ADDED`, `MODIFIED`, `REMOVED`).
    ToggleHidden(u8),
    /// The waste view in place of the tree.
    ToggleWaste,
    OpenFilter,
    OpenSearch,
    SearchNext,
    SearchPrev,
    /// Jump to the next of the largest files.
    NextBiggest,
    NextImage,
    PrevImage,
    InputChar(char),
    InputBackspace,
    /// Clear the input line.
    InputClear,
    /// Filter input: substring or regex.
    InputToggleRegex,
    InputAccept,
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
        self.apply(action);
        self.fit();
    }

    /// The pane layout for the current size and image.
    pub fn areas(&self) -> Areas {
        let layers = self.viewer().map_or(0, |v| v.layer_count());
        layout::compute(self.width, self.height, self.images.len() > 1, layers)
    }

    /// Keep every cursor inside its pane after a change or a resize.
    fn fit(&mut self) {
        let areas = self.areas();
        let tree_h = areas.right_rows().height as usize;
        let layers_h = areas.layer_rows().height as usize;
        if let Some(v) = self.viewer_mut() {
            v.tree.scroll_into_view(tree_h);
            v.waste.offset =
                visible_offset(v.waste.offset, v.waste.cursor, tree_h, v.waste.rows.len());
            v.layer_cursor_offset =
                visible_offset(v.layer_cursor_offset, v.layer, layers_h, v.layer_count());
        }
    }

    fn update_help(&mut self, action: Action) {
        let scroll = self.help.unwrap_or(0);
        self.help = match action {
            Action::Escape | Action::ToggleHelp | Action::Click { .. } => None,
            Action::Quit => {
                self.quit = true;
                None
            }
            Action::Up => Some(scroll.saturating_sub(1)),
            Action::Down => Some(scroll.saturating_add(1)),
            Action::Scroll { down, .. } => Some(if down {
                scroll.saturating_add(3)
            } else {
                scroll.saturating_sub(3)
            }),
            Action::PageUp => Some(scroll.saturating_sub(10)),
            Action::PageDown => Some(scroll.saturating_add(10)),
            Action::Home => Some(0),
            Action::End => Some(u16::MAX),
            _ => Some(scroll),
        };
    }

    /// Apply an action to the open input line; false if it is not an editing action (the line is
    /// then accepted and the action applied as usual).
    fn update_input(&mut self, action: Action) -> bool {
        let Some(input) = self.input.as_mut() else {
            return false;
        };
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
            InputKind::Search => {
                if input.text.is_empty() {
                    viewer.tree.cursor = input.origin;
                    None
                } else if viewer.find(&input.text, input.origin, true) {
                    None
                } else {
                    Some("no match".to_string())
                }
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
            }
        }
        self.input = None;
    }

    fn cancel_input(&mut self) {
        let Some(input) = self.input.take() else {
            return;
        };
        let Some(viewer) = self.viewer_mut() else {
            return;
        };
        match input.kind {
            InputKind::Filter => {
                let (text, regex) = input.previous;
                // The previous filter was valid when it was set.
                let _ = viewer.set_filter(&text, regex);
            }
            InputKind::Search => viewer.tree.cursor = input.origin,
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::Quit | Action::Escape => self.quit = true,
            Action::ToggleHelp => self.help = Some(0),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(2),
            Action::NextImage => self.switch_image(1),
            Action::PrevImage => self.switch_image(self.images.len().saturating_sub(1)),
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
            Action::Toggle | Action::Activate
                if focus == Pane::Right && right == RightPane::Tree =>
            {
                v.with_tree(|t, lens| t.toggle(lens));
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
            Action::ToggleSort => v.toggle_sort(),
            Action::ToggleHidden(bit) => v.toggle_hidden(bit),
            Action::NextBiggest => note = Some(v.next_biggest()),
            Action::ToggleWaste => {
                self.right = match right {
                    RightPane::Tree => RightPane::Waste,
                    RightPane::Waste => RightPane::Tree,
                };
                self.set_focus(Pane::Right);
                return;
            }
            Action::OpenFilter => {
                let previous = (v.filter.text().to_string(), v.filter.is_regex());
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
                let forward = action == Action::SearchNext;
                match v.search.clone() {
                    None => note = Some("no search: press / to search".into()),
                    Some(q) => {
                        let n = v.tree.rows().len().max(1);
                        let from = if forward {
                            v.tree.cursor + 1
                        } else {
                            v.tree.cursor + n - 1
                        } % n;
                        if !v.find(&q, from, forward) {
                            note = Some(format!(
                                "no match for {}",
                                crate::report::escape::escape_control(&q)
                            ));
                        }
                    }
                }
            }
            _ => show_tree = false,
        }
        if show_tree {
            self.right = RightPane::Tree;
            if matches!(
                action,
                Action::NextBiggest | Action::OpenFilter | Action::OpenSearch
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
            let mut x = 0u16;
            for (i, label) in self.tab_labels().iter().enumerate() {
                let w = label.chars().count() as u16;
                if column >= x && column < x + w {
                    self.current = i;
                    return;
                }
                x = x.saturating_add(w);
            }
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

    /// The tab bar's labels, in order; clicks are resolved against the same text that is drawn.
    pub fn tab_labels(&self) -> Vec<String> {
        self.images
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let name = match &slot.state {
                    Slot::Ready(v) => v.image().display_name().to_string(),
                    _ => slot.input.clone(),
                };
                let name = crate::report::escape::escape_control(&name).into_owned();
                let name = super::format::clip(&name, 40);
                let state = match &slot.state {
                    Slot::Loading { progress, .. } => {
                        format!(" {}", super::format::percent_loaded(progress))
                    }
                    Slot::Failed { .. } => " failed".into(),
                    Slot::Ready(_) => String::new(),
                };
                format!(" {} {name}{state} ", i + 1)
            })
            .collect()
    }
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

//! `App::update`: the one place an [`Action`] changes the viewer's state. It dispatches on the
//! screen on top ([`Screen`], from `App::screen`): the help here, the panes here (focus,
//! navigation, the tree, waste and removed lists), each other screen's own update beside its state
//! (the input line in `input_line.rs`, the content view, export and clipboard in
//! `content_update.rs`, the plan in `plan_update.rs`; mouse hits in `mouse.rs`). Nothing here
//! draws, so tests drive the viewer with actions alone.

use super::action::{Action, WHEEL_ROWS};
use super::app::{App, Input, InputKind, Pane, RightPane, View};
use super::layout::{self, Areas};
use super::screen::Screen;
use super::tree_state::visible_offset;
use super::viewer::Viewer;
use super::waste_list::{self, WasteRow};

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
            Action::Interrupt => {
                self.quit = true;
                self.interrupted = true;
                return;
            }
            _ => {}
        }
        self.message = None;
        match self.screen() {
            Screen::Help => self.update_help(action),
            Screen::Input | Screen::Confirm if self.update_input(action) => {}
            // An action that ends the input line goes on to the screen below it.
            Screen::Input | Screen::Confirm => self.update_below_input(action),
            Screen::Content => self.update_content(action),
            Screen::Plan => self.update_sharing(action),
            Screen::Panes | Screen::History | Screen::Releases => self.apply(action),
        }
        self.fit();
    }

    /// An action the input line passed on (it ended the line, or is Quit), applied to the
    /// screen the line is over: the content view, the plan or the panes.
    fn update_below_input(&mut self, action: Action) {
        if self.content.is_some() {
            self.update_content(action);
        } else if self.view == View::Sharing {
            self.update_sharing(action);
        } else {
            self.apply(action);
        }
    }

    /// The pane layout for the current size and image.
    pub fn areas(&self) -> Areas {
        self.areas_for(self.width, self.height)
    }

    /// The pane layout for a terminal of `width` × `height` and the current image: the plan
    /// view's footer sized to the selected row's text.
    pub fn areas_for(&self, width: u16, height: u16) -> Areas {
        let layers = self.viewer().map_or(0, |v| v.layer_count());
        let mut areas = layout::compute(width, height, self.has_top_bar(), layers);
        if self.view == View::Sharing
            && let Some(s) = &self.sharing
        {
            let width = areas.sharing_rows().width as usize;
            let lines = super::format::wrap(&s.details(), width, width).len();
            areas.footer_lines = u16::try_from(lines).unwrap_or(u16::MAX);
        }
        areas
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
                    format!("{} quits", self.keys.key_for(Screen::Panes, Action::Quit))
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
            Action::Toggle | Action::Activate
                if focus == Pane::Right && v.waste.selected() == Some(WasteRow::Plan) =>
            {
                self.open_sharing();
                return;
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
            Action::ToggleCollapseAll => v.with_tree(|t, lens| t.toggle_collapse_all(lens)),
            Action::ToggleMode => v.toggle_mode(),
            Action::SetMode(mode) => {
                if v.mode != mode {
                    v.toggle_mode();
                }
            }
            Action::AddedOrAggregated if focus == Pane::Layers => {
                if v.mode != super::tree_state::Mode::Aggregated {
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

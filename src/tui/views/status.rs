//! The status line: the input line being edited, or the tree's mode, layer, sort, hidden kinds,
//! filter, search and, in a diff, changed-only or where the diff's marks show (the content and
//! sharing views: their keys), then the last note; the key to help on the right.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::text::escape_control as esc;
use crate::text::{clip, shorten_middle};
use crate::tui::action::Action;
use crate::tui::app::{App, InputKind, Slot, View};
use crate::tui::screen::Screen;
use crate::tui::stats::{ADDED, MODIFIED, REMOVED, UNCHANGED};
use crate::tui::theme::Theme;
use crate::tui::tree_state::{Mode, Sort};
use unicode_width::UnicodeWidthStr;

/// `help_keys`: the key hint bar is not shown, so the line ends with the keys to help and to quit.
pub fn draw(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, help_keys: bool) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let line = match &app.input {
        // The text is the destination, escaped when it was set.
        Some(input) if input.kind == InputKind::Overwrite => Line::from(vec![
            Span::styled("Export: ", theme.header()),
            Span::raw(clip(&input.text, 512).into_owned()),
            Span::styled(" exists. Overwrite it? (y/N) ", theme.header()),
            Span::styled("█", theme.plain()),
        ]),
        Some(input) => {
            let prompt = match input.kind {
                InputKind::Filter if input.regex => "Filter (regex): ",
                InputKind::Filter => "Filter (substring): ",
                InputKind::Search => "Search: ",
                InputKind::Export | InputKind::Overwrite => "Export to: ",
            };
            let mut spans = vec![
                Span::styled(prompt, theme.header()),
                Span::raw(clip(&esc(&input.text), 512).into_owned()),
                Span::styled("█", theme.plain()),
            ];
            if input.kind == InputKind::Search
                && let Some(counter) = app.viewer().and_then(|v| v.search_counter())
            {
                spans.push(Span::styled(format!("  {counter}"), theme.header()));
            }
            if let Some(e) = &input.error {
                spans.push(Span::styled(format!("  {}", esc(e)), theme.error()));
            }
            let hint = match input.kind {
                InputKind::Filter => "  Enter apply · Esc cancel · Ctrl-R regex",
                InputKind::Search => "  Enter keep · Esc cancel · n/N next/prev",
                InputKind::Export | InputKind::Overwrite => {
                    "  Enter write · Esc cancel · Ctrl-U clear"
                }
            };
            // With the hint bar, the keys are there.
            if help_keys {
                spans.push(Span::styled(hint, theme.dim()));
            }
            Line::from(spans)
        }
        None => summary(app, theme, area.width as usize),
    };
    buf.set_line(area.x, area.y, &line, area.width);
    let help = format!(
        " {} help  {} quit ",
        app.keys.key_for(Screen::Panes, Action::ToggleHelp),
        app.keys.key_for(Screen::Panes, Action::Quit)
    );
    let w = help.chars().count() as u16;
    let used = u16::try_from(line.width()).unwrap_or(u16::MAX);
    if help_keys && area.width > used.saturating_add(w) && app.input.is_none() {
        buf.set_string(area.right() - w, area.y, &help, theme.dim());
    }
}

/// The status line with the note at its end. A note that does not fit is never cut at its end
/// (where the cause is): the state before it gives way from its end (the mode stays; the panes'
/// titles say most of it again) until the note fits, then the note is shortened in its middle.
fn summary(app: &App, theme: &Theme, width: usize) -> Line<'static> {
    let mut line = state(app, theme);
    let Some(m) = &app.message else {
        return line;
    };
    while line.spans.len() > 1 && line.width() + 2 + m.width() > width {
        line.spans.pop();
    }
    let room = width.saturating_sub(line.width() + 2);
    line.spans.push(Span::raw("  "));
    line.spans
        .push(Span::styled(shorten_middle(m, room), theme.header()));
    line
}

/// The status line's state part: the view or mode, layer, sort, hidden kinds, filter, search…
fn state(app: &App, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(c) = &app.content {
        spans.push(Span::styled(" CONTENT ", theme.status()));
        let mut keys = String::new();
        if c.body().is_some() {
            keys.push_str(" ↑↓ scroll");
            if !c.hex {
                keys.push_str(if c.wrap {
                    " · w no wrap"
                } else {
                    " · w wrap"
                });
            }
            keys.push_str(if c.hex { " · H text" } else { " · H hex" });
            keys.push_str(" · x export ·");
        }
        keys.push_str(" Esc close");
        spans.push(Span::styled(keys, theme.dim()));
        return Line::from(spans);
    }
    if app.view == View::Sharing {
        spans.push(Span::styled(" SHARING ", theme.status()));
        spans.push(Span::styled(" Enter opens · s sorts · S back", theme.dim()));
        return Line::from(spans);
    }
    let Some(slot) = app.slot() else {
        return Line::raw("");
    };
    let v = match &slot.state {
        Slot::Ready(v) => v,
        Slot::Loading { .. } => return Line::styled(" loading…", theme.dim()),
        Slot::Failed { .. } => return Line::styled(" failed to load", theme.error()),
    };
    let mode = match v.mode {
        Mode::Aggregated => " AGGREGATED ",
        Mode::Changes => " LAYER CHANGES ",
    };
    spans.push(Span::styled(mode, theme.status()));
    if v.layer_count() > 0 {
        spans.push(Span::raw(format!(
            " {}",
            crate::tui::format::layer_of(v.layer, v.layer_count())
        )));
    }
    spans.push(Span::raw(match v.sort {
        Sort::Size => " · size↓",
        Sort::Name => " · name",
    }));
    let hidden: Vec<&str> = [
        (UNCHANGED, "unchanged"),
        (ADDED, "added"),
        (MODIFIED, "modified"),
        (REMOVED, "removed"),
    ]
    .iter()
    .filter(|(bit, _)| v.hidden & bit != 0)
    .map(|(_, name)| *name)
    .collect();
    if !hidden.is_empty() {
        spans.push(Span::raw(format!(" · hiding {}", hidden.join(", "))));
    }
    if v.filter.is_active() && v.filter.is_node_set() {
        spans.push(Span::raw(format!(
            " · {} ({})",
            clip(&esc(v.filter.text()), 60),
            v.filter.matched().len()
        )));
    } else if v.filter.is_active() {
        let kind = if v.filter.is_regex() {
            "regex"
        } else {
            "filter"
        };
        spans.push(Span::raw(format!(
            " · {kind} {} ({})",
            clip(&esc(v.filter.text()), 40),
            v.filter.matched().len()
        )));
    }
    if let Some(q) = &v.search {
        let counter = v
            .search_counter()
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        spans.push(Span::raw(format!(
            " · search {}{counter}",
            clip(&esc(q), 30)
        )));
    }
    if v.diff_view() && v.changed_only {
        spans.push(Span::raw(" · changed only (d: all)"));
    } else if v.diff_view() {
        spans.push(Span::raw(" · d: changed only · o: removed"));
    } else if v.diff().is_some() {
        spans.push(Span::styled(
            " · diff marks: last layer, aggregated",
            theme.dim(),
        ));
    }
    Line::from(spans)
}

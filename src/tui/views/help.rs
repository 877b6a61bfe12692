//! The help overlay: every binding of the key table, grouped by where it applies — the keys that
//! work everywhere said once at the top, each section's movement keys on one line — plus the
//! mouse, the change marks, and a diff's marks; in two columns on a wide terminal. Generated from
//! the key table in effect (`KeyTable`: the user's keys), so it cannot fall out of date.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::diff::ChangeKind;
use crate::tui::action::Action;
use crate::tui::diff_marks::symbol;
use crate::tui::format::wrap;
use crate::tui::keys::{KeyTable, Screen, label};
use crate::tui::stats::{ADDED, MODIFIED, REMOVED};
use crate::tui::theme::Theme;
use unicode_width::UnicodeWidthStr;

/// From this inner width on, the help is set in two columns.
const TWO_COLUMNS_FROM: u16 = 120;
/// The widest the overlay gets with one column, and with two.
const ONE_COLUMN_MAX: u16 = 84;
const TWO_COLUMNS_MAX: u16 = 170;

/// Draw the overlay scrolled by `scroll` lines; `max_scroll` learns how far it can scroll.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    scroll: u16,
    max_scroll: &Cell<u16>,
    keys: &KeyTable,
    theme: &Theme,
) {
    let room = area.width.saturating_sub(4);
    let width = if room >= TWO_COLUMNS_FROM + 2 {
        room.min(TWO_COLUMNS_MAX)
    } else {
        room.min(ONE_COLUMN_MAX)
    };
    let height = area.height.saturating_sub(2);
    if width < 10 || height < 3 {
        return;
    }
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(popup, buf);
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(Line::styled(" Keys · Esc closes ", theme.title(true)));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let two = inner.width >= TWO_COLUMNS_FROM;
    let col_w = if two {
        (inner.width - 3) / 2
    } else {
        inner.width
    };
    let mut left = lines(keys, theme, col_w as usize);
    let right = if two {
        let split = split_point(&left);
        let mut right = left.split_off(split);
        // The right column starts with its section, not a blank line.
        if right.first().is_some_and(|l| l.width() == 0) {
            right.remove(0);
        }
        right
    } else {
        Vec::new()
    };
    let total = left.len().max(right.len());
    let max = total
        .saturating_sub(inner.height as usize)
        .min(u16::MAX as usize) as u16;
    max_scroll.set(max);
    let scroll = scroll.min(max);
    let left_area = Rect {
        width: col_w,
        ..inner
    };
    Paragraph::new(left)
        .scroll((scroll, 0))
        .render(left_area, buf);
    if two {
        let right_area = Rect {
            x: inner.x + col_w + 3,
            width: inner.width - col_w - 3,
            ..inner
        };
        Paragraph::new(right)
            .scroll((scroll, 0))
            .render(right_area, buf);
    }
    super::list_marks(
        buf,
        popup,
        scroll as usize,
        inner.height as usize,
        total,
        theme,
    );
}

/// Where to cut the lines into two columns: the section break nearest the middle.
fn split_point(lines: &[Line]) -> usize {
    let half = lines.len().div_ceil(2);
    (0..lines.len())
        .filter(|&i| lines[i].width() == 0)
        .min_by_key(|&i| i.abs_diff(half))
        .unwrap_or(half)
}

/// Bindings that move or scroll; in a section they are one line. (In the panes the arrows left
/// and right open and close directories: they are listed on their own.)
fn moves(context: Screen, action: Action) -> bool {
    match action {
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Home
        | Action::End => true,
        Action::Left | Action::Right => context != Screen::Panes,
        _ => false,
    }
}

/// What a section's movement keys do, said once.
fn moves_help(context: Screen) -> &'static str {
    match context {
        Screen::Panes => {
            "move: line, page, first, last (layers: selects the layer; details: scrolls)"
        }
        Screen::Content => "scroll: line, page, top, bottom, sideways",
        _ => "move: line, page, first, last",
    }
}

/// Keys that work the same everywhere but while typing: said once, at the top.
fn everywhere(action: Action) -> bool {
    matches!(action, Action::Quit | Action::Suspend | Action::ToggleHelp)
}

/// A section's entries: each binding as (keys, what), its movement keys merged into one entry,
/// and — outside the panes — the keys that work everywhere left out.
fn entries(table: &KeyTable, context: Screen) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut moving: Vec<String> = Vec::new();
    for b in table.entries().iter().filter(|b| b.screen == context) {
        let keys: Vec<String> = b.keys.iter().map(label).collect();
        // A binding the user's keys left without a key.
        let keys = if keys.is_empty() {
            vec!["(no key)".to_string()]
        } else {
            keys
        };
        if moves(context, b.action) {
            moving.extend(keys);
            continue;
        }
        if !moving.is_empty() {
            out.push((moving.join(" "), moves_help(context)));
            moving.clear();
        }
        if (context != Screen::Panes && everywhere(b.action)) || b.action == Action::Interrupt {
            continue;
        }
        out.push((keys.join(" "), b.help));
    }
    if !moving.is_empty() {
        out.push((moving.join(" "), moves_help(context)));
    }
    out
}

fn lines(table: &KeyTable, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    const KEYS: usize = 20;
    let mut out = Vec::new();
    let room = width.saturating_sub(KEYS).max(10);
    let push = |out: &mut Vec<Line<'static>>, keys: &str, help: &str| {
        let keys = format!("  {keys}");
        let keys_w = keys.width();
        // Keys longer than their column take a line of their own.
        if keys_w >= KEYS {
            out.push(Line::styled(keys.clone(), theme.key()));
        }
        for (i, part) in wrap(help, room, room).into_iter().enumerate() {
            let lead = if i == 0 && keys_w < KEYS {
                keys.as_str()
            } else {
                ""
            };
            out.push(Line::from(vec![
                Span::styled(format!("{lead:<KEYS$}"), theme.key()),
                Span::raw(part),
            ]));
        }
    };
    // Ctrl-C and Ctrl-Z work everywhere: the panes' interrupt, the input line's suspend.
    out.push(Line::styled("Everywhere", theme.header()));
    for b in table.entries().iter().filter(|b| {
        (b.screen == Screen::Panes && b.action == Action::Interrupt)
            || (b.screen == Screen::Input && b.action == Action::Suspend)
    }) {
        let keys: Vec<String> = b.keys.iter().map(label).collect();
        push(&mut out, &keys.join(" "), b.help);
    }
    let sections = [
        (Screen::Panes, "Panes"),
        (Screen::Content, "File contents (v, or Enter on a file)"),
        (Screen::Plan, "Plan and sharing view (S)"),
        (
            Screen::Input,
            "Filter, search and export line (typing edits it)",
        ),
        (
            Screen::Confirm,
            "Export to an existing file: overwrite it? (y/N)",
        ),
        (Screen::Help, "This help"),
    ];
    for (context, title) in sections {
        out.push(Line::raw(""));
        out.push(Line::styled(title, theme.header()));
        for (keys, help) in entries(table, context) {
            push(&mut out, &keys, help);
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Mouse", theme.header()));
    let mouse =
        "click selects (a second click opens or jumps); the wheel scrolls the pane under it";
    for part in wrap(
        mouse,
        width.saturating_sub(2).max(10),
        width.saturating_sub(2).max(10),
    ) {
        out.push(Line::raw(format!("  {part}")));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Marks in the file tree", theme.header()));
    let room = width.saturating_sub(2).max(10);
    out.extend(pack(
        vec![
            vec![Span::styled("A", theme.change(ADDED)), Span::raw(" added")],
            vec![
                Span::styled("M", theme.change(MODIFIED)),
                Span::raw(" modified"),
            ],
            vec![
                Span::styled("R", theme.change(REMOVED)),
                Span::raw(" removed by the selected layer"),
            ],
            vec![
                Span::styled("*", theme.dim()),
                Span::raw(" has changes below"),
            ],
        ],
        room,
    ));
    for (k, part) in wrap(
        "in the layers pane: the layer stores bytes a later layer hides",
        room.saturating_sub(2).max(10),
        room.saturating_sub(2).max(10),
    )
    .into_iter()
    .enumerate()
    {
        let mark = if k == 0 { "!" } else { " " };
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(mark, theme.waste()),
            Span::raw(format!(" {part}")),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Marks in a diff (imgscope diff OLD NEW), against the old image",
        theme.header(),
    ));
    let marks = [
        ChangeKind::Added,
        ChangeKind::Grown,
        ChangeKind::Shrunk,
        ChangeKind::Modified,
        ChangeKind::Removed,
        ChangeKind::Unchanged,
    ]
    .into_iter()
    .map(|change| {
        vec![
            Span::styled(symbol(change), theme.diff(change)),
            Span::raw(format!(" {}", change.label())),
        ]
    })
    .collect();
    out.extend(pack(marks, room));
    let note = "the tree shows the final filesystem with each entry's byte delta;         removed entries are listed by o, removed layers in the details pane";
    for part in wrap(note, room, room) {
        out.push(Line::raw(format!("  {part}")));
    }
    out
}

/// Groups of spans (a mark and its word) laid out on lines of at most `width` columns, two
/// spaces in front and three between groups: a group never breaks, a line ends before the group
/// that would not fit.
fn pack(groups: Vec<Vec<Span<'static>>>, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for group in groups {
        let w: usize = group.iter().map(|s| s.content.width()).sum();
        if !line.is_empty() && used + 3 + w > width {
            lines.push(Line::from(std::mem::take(&mut line)));
        }
        if line.is_empty() {
            line.push(Span::raw("  "));
            used = 2;
        } else {
            line.push(Span::raw("   "));
            used += 3;
        }
        used += w;
        line.extend(group);
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

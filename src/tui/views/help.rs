//! The help overlay: every binding of the key table, grouped by where it applies, plus the mouse,
//! the change marks, and a diff's marks. Generated from `keys::BINDINGS`, so it cannot fall out of date.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::diff::ChangeKind;
use crate::tui::diff_marks::symbol;
use crate::tui::format::wrap;
use crate::tui::keys::{BINDINGS, Context, label};
use crate::tui::stats::{ADDED, MODIFIED, REMOVED};
use crate::tui::theme::Theme;

pub fn draw(buf: &mut Buffer, area: Rect, scroll: u16, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(84);
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
    let lines = lines(theme, inner.width as usize);
    let max = lines.len().saturating_sub(inner.height as usize) as u16;
    let scroll = scroll.min(max);
    let total = lines.len();
    Paragraph::new(lines).scroll((scroll, 0)).render(inner, buf);
    super::list_marks(
        buf,
        popup,
        scroll as usize,
        inner.height as usize,
        total,
        theme,
    );
}

fn lines(theme: &Theme, width: usize) -> Vec<Line<'static>> {
    const KEYS: usize = 20;
    let mut out = Vec::new();
    let sections = [
        (Context::Main, "Panes"),
        (Context::Content, "File contents (v, or Enter on a file)"),
        (Context::Sharing, "Sharing view (S, with several images)"),
        (
            Context::Input,
            "Filter, search and export line (typing edits it)",
        ),
        (
            Context::Confirm,
            "Export to an existing file: overwrite it? (y/N)",
        ),
        (Context::Help, "This help"),
    ];
    for (context, title) in sections {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(title, theme.header()));
        for b in BINDINGS.iter().filter(|b| b.context == context) {
            let keys: Vec<String> = b.keys.iter().map(label).collect();
            let keys = format!("  {}", keys.join(" "));
            let room = width.saturating_sub(KEYS).max(10);
            for (i, part) in wrap(b.help, room, room).into_iter().enumerate() {
                let lead = if i == 0 { keys.as_str() } else { "" };
                out.push(Line::from(vec![
                    Span::styled(format!("{lead:<KEYS$}"), theme.key()),
                    Span::raw(part),
                ]));
            }
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
    out.push(Line::from(vec![
        Span::styled("  A", theme.change(ADDED)),
        Span::raw(" added   "),
        Span::styled("M", theme.change(MODIFIED)),
        Span::raw(" modified   "),
        Span::styled("R", theme.change(REMOVED)),
        Span::raw(" removed by the selected layer   "),
        Span::styled("*", theme.dim()),
        Span::raw(" has changes below"),
    ]));
    out.push(Line::from(vec![
        Span::styled("  !", theme.waste()),
        Span::raw(" in the layers pane: the layer stores bytes a later layer hides"),
    ]));
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Marks in a diff (imgscope diff OLD NEW), against the old image",
        theme.header(),
    ));
    let mut marks = vec![Span::raw("  ")];
    for change in [
        ChangeKind::Added,
        ChangeKind::Grown,
        ChangeKind::Shrunk,
        ChangeKind::Modified,
        ChangeKind::Removed,
        ChangeKind::Unchanged,
    ] {
        marks.push(Span::styled(symbol(change), theme.diff(change)));
        marks.push(Span::raw(format!(" {}  ", change.label())));
    }
    out.push(Line::from(marks));
    let note = "the tree shows the final filesystem with each entry's byte delta;         removed entries are listed by o, removed layers in the details pane";
    let room = width.saturating_sub(2).max(10);
    for part in wrap(note, room, room) {
        out.push(Line::raw(format!("  {part}")));
    }
    out
}

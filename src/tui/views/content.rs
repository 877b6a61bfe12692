//! The content view, over the whole body: the file's path and layer in the title, a line saying
//! what is shown (text or hex dump, size, whether the read was capped, where a link led), then the
//! rows on screen — text lines with their numbers (wrapped or scrolled sideways), or hex-dump rows
//! (offset, bytes, printable ASCII). Text was escaped when it was read; nothing else reaches the
//! screen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::pane;
use crate::text::{clip, plural};
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::content::{Body, ContentState, ContentView, READ_CAP, hex_row};
use crate::tui::format::wrap_at_most;
use crate::tui::theme::Theme;

pub fn draw(buf: &mut Buffer, area: Rect, c: &ContentView, theme: &Theme) {
    let title = format!(" {} · layer {} ", clip(&esc(&c.path), 200), c.layer);
    let inner = pane(buf, area, title, theme, true);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let info = match &c.state {
        ContentState::Reading => Line::styled(
            format!(
                "reading… (layer {} is read up to the file)",
                c.location.as_ref().map_or(c.layer, |at| at.layer)
            ),
            theme.dim(),
        ),
        ContentState::Failed(e) => {
            // One line of text, wrapped to the pane.
            let w = inner.width as usize;
            for (y, part) in wrap_at_most(e, w, w, inner.height as usize)
                .into_iter()
                .enumerate()
            {
                buf.set_stringn(inner.x, inner.y + y as u16, part, w, theme.error());
            }
            return;
        }
        ContentState::Ready(body) => info(c, body, theme),
    };
    buf.set_line(inner.x, inner.y, &info, inner.width);
    // Where the rows on screen are, when they do not all fit.
    let total = c.row_count();
    let height = inner.height.saturating_sub(1) as usize;
    if total > height && height > 0 {
        let at = format!(
            " rows {}–{} of {total}",
            c.scroll + 1,
            (c.scroll + height).min(total)
        );
        let w = at.chars().count() as u16;
        if inner.width > info.width() as u16 + w {
            buf.set_stringn(inner.right() - w, inner.y, at, w as usize, theme.dim());
        }
    }
    let rows = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let Some(body) = c.body() else { return };
    if c.hex {
        draw_hex(buf, rows, c, body, theme);
    } else {
        draw_text(buf, rows, c, body, theme);
    }
}

fn info(c: &ContentView, body: &Body, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    let kind = if body.bytes.is_empty() {
        "empty file".to_string()
    } else if c.hex {
        format!(
            "{} · hex dump",
            if body.is_text { "text" } else { "binary" }
        )
    } else if body.is_text {
        format!("text · {}", plural(body.text.lines.len(), "line", "lines"))
    } else {
        "binary, shown as text (H: hex dump)".to_string()
    };
    if body.truncated() {
        spans.push(Span::styled(format!("{kind} · "), theme.dim()));
        spans.push(Span::styled(
            format!(
                "first {} of {} shown",
                hs(READ_CAP.min(body.total)),
                hs(body.total)
            ),
            theme.header(),
        ));
    } else {
        spans.push(Span::styled(
            format!("{kind} · {}", hs(body.total)),
            theme.dim(),
        ));
    }
    if let Some(at) = &c.location {
        let linked = at.entry_path.trim_start_matches('/') != c.path.trim_start_matches('/');
        let from = if linked {
            format!(" · content of /{}", clip(&esc(&at.entry_path), 200))
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("{from} · written by layer {}", at.layer),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

fn draw_text(buf: &mut Buffer, area: Rect, c: &ContentView, body: &Body, theme: &Theme) {
    let gutter = c.layout.gutter;
    let room = (area.width as usize).saturating_sub(gutter);
    for (y, row) in c
        .layout
        .rows
        .iter()
        .skip(c.scroll)
        .take(area.height as usize)
        .enumerate()
    {
        let y = area.y + y as u16;
        let line = body.text.line(row.line as usize);
        let piece = &line[row.start as usize..row.end as usize];
        if gutter > 0 {
            let number = if row.start == 0 {
                format!("{:>w$} ", row.line + 1, w = gutter - 1)
            } else {
                " ".repeat(gutter)
            };
            buf.set_stringn(area.x, y, number, area.width as usize, theme.dim());
        }
        if room == 0 {
            continue;
        }
        let shown = if c.wrap {
            piece
        } else {
            skip_columns(piece, c.hscroll)
        };
        buf.set_stringn(area.x + gutter as u16, y, shown, room, theme.plain());
    }
}

/// `s` without its first `cols` columns (a wide character cut in two is dropped).
fn skip_columns(s: &str, cols: usize) -> &str {
    let mut at = 0;
    for (i, ch) in s.char_indices() {
        if at >= cols {
            return &s[i..];
        }
        at += ch.width().unwrap_or(0);
    }
    ""
}

fn draw_hex(buf: &mut Buffer, area: Rect, c: &ContentView, body: &Body, theme: &Theme) {
    let per_row = c.layout.per_row.max(1);
    for y in 0..area.height as usize {
        let offset = (c.scroll + y) * per_row;
        if offset >= body.bytes.len() {
            break;
        }
        let row = hex_row(&body.bytes, offset, per_row);
        let (off, rest) = row.split_at(8);
        let line = Line::from(vec![
            Span::styled(off.to_string(), theme.dim()),
            Span::raw(rest.to_string()),
        ]);
        buf.set_line(area.x, area.y + y as u16, &line, area.width);
    }
}

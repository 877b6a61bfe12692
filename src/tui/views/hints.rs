//! The key hint bar above the status line, as dive has one: the main keys of what has focus (the
//! panes, the content view, the plan, the help, the input line), generated from the key table
//! (`KeyTable::hints`, the user's keys), so it names exactly the keys that work. As many as fit, in the table's order.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::tui::app::App;

use crate::tui::theme::Theme;

const GAP: &str = "  ";

pub fn draw(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let room = area.width as usize;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, word) in app.keys.hints(app.screen()) {
        let w = key.width() + 1 + word.width() + GAP.width();
        if used + w > room {
            break;
        }
        used += w;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {word}{GAP}"), theme.dim()));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

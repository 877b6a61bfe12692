//! The tab bar, shown when several images were given: one label per image with its load state;
//! `[` and `]` or a click switch between them.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let mut x = area.x;
    for (i, label) in app.tab_labels().iter().enumerate() {
        if x >= area.right() {
            break;
        }
        let style = if i == app.current {
            theme.status()
        } else {
            theme.dim()
        };
        let (end, _) = buf.set_stringn(x, area.y, label, (area.right() - x) as usize, style);
        x = end;
    }
}

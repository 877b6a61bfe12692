//! The tab bar, shown when several images were given: one label per image with its load state,
//! then the sharing view's, pinned at the right; `[` and `]`, `S` or a click switch between them. The
//! layout is `App::tabs`, which clicks are resolved against too.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::tui::action::Tab;
use crate::tui::app::{App, View};
use crate::tui::theme::Theme;

pub fn draw(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    for spot in app.tabs() {
        let active = match (app.view, spot.tab) {
            (View::Image, Tab::Image(i)) => i == app.current,
            (View::Sharing, Tab::Sharing) => true,
            _ => false,
        };
        let style = if active { theme.status() } else { theme.dim() };
        let x = area.x.saturating_add(spot.x);
        if x >= area.right() {
            continue;
        }
        let room = (area.right() - x).min(spot.width) as usize;
        buf.set_stringn(x, area.y, &spot.label, room, style);
    }
}

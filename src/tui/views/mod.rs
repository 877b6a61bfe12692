//! Drawing: a pure function of the [`App`] into a frame. Each pane has its own module and draws
//! only the rows on screen into the buffer; nothing here changes state. Every string that comes
//! from an image is passed through `escape_control` before it reaches the buffer.

mod content;
mod details;
mod diff_facts;
mod diff_header;
mod fact_lines;
mod help;
mod hints;
mod layers;
mod loading;
mod removed;
mod sharing;
mod status;
mod summary;
mod tabs;
mod tree;
mod waste;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Widget};

use super::action::Action;
use super::app::{App, Pane, RightPane, Slot, View};
use super::screen::Screen;
use super::theme::Theme;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = Theme::with_palette(app.color, app.palette);
    // The frame's size (the app's may lag a resize by one event), laid out as the app does.
    let areas = app.areas_for(area.width, area.height);
    let buf = frame.buffer_mut();
    if let Some(top) = areas.tabs {
        if app.diff.is_some() {
            diff_header::draw(buf, top, app, &theme);
        } else {
            tabs::draw(buf, top, app, &theme);
        }
    }
    if let Some(row) = areas.summary {
        summary::draw(buf, row, app, &theme);
    }
    if app.view == View::Sharing {
        sharing::draw(buf, &areas, app, &theme);
    } else if let Some(slot) = app.slot() {
        let body = areas.body();
        let keys_note = format!(
            "{} quits; with several images, {} and {} switch",
            app.keys.key_for(Screen::Panes, Action::Quit),
            app.keys.key_for(Screen::Panes, Action::PrevImage),
            app.keys.key_for(Screen::Panes, Action::NextImage),
        );
        let chrome = loading::Chrome {
            theme: &theme,
            keys_note: &keys_note,
        };
        match &slot.state {
            Slot::Loading { progress, started } => match &app.diff {
                Some(origin) => loading::draw_diff_progress(
                    buf,
                    body,
                    origin,
                    (&slot.input, progress),
                    *started,
                    app.now,
                    &chrome,
                ),
                None => loading::draw_progress(
                    buf,
                    body,
                    &slot.input,
                    progress,
                    *started,
                    app.now,
                    &chrome,
                ),
            },
            Slot::Failed { error } => {
                let what = match &app.diff {
                    Some(origin) => format!("{} → {}", origin.old, slot.input),
                    None => slot.input.clone(),
                };
                loading::draw_failure(buf, body, &what, error, &chrome)
            }
            Slot::Ready(_) if app.content.is_some() => {
                if let Some(c) = &app.content {
                    content::draw(buf, body, c, &theme);
                }
            }
            Slot::Ready(v) => {
                layers::draw(buf, areas.layers, v, &theme, app.focus == Pane::Layers);
                let right_focused = app.focus == Pane::Right;
                match app.right {
                    RightPane::Tree => tree::draw(buf, areas.right, v, &theme, right_focused),
                    RightPane::Waste => waste::draw(buf, areas.right, v, &theme, right_focused),
                    RightPane::Removed => removed::draw(buf, areas.right, v, &theme, right_focused),
                }
                let subject = match app.subject {
                    Pane::Right if app.right == RightPane::Waste => details::Subject::Waste,
                    Pane::Right if app.right == RightPane::Removed => details::Subject::Removed,
                    Pane::Right => details::Subject::File,
                    _ => details::Subject::Layer,
                };
                details::draw(
                    buf,
                    areas.details,
                    v,
                    subject,
                    &theme,
                    app.focus == Pane::Details,
                );
            }
        }
    }
    if let Some(row) = areas.hints {
        hints::draw(buf, row, app, &theme);
    }
    status::draw(buf, areas.status, app, &theme, areas.hints.is_none());
    if let Some(scroll) = app.help {
        help::draw(buf, area, scroll, &app.help_max, &app.keys, &theme);
    }
}

/// Draw a bordered pane with a title and return the area inside it.
fn pane(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    title: String,
    theme: &Theme,
    focused: bool,
) -> Rect {
    // Without colour a bold border is all that tells focus: the title says it too.
    let title = if focused && !theme.color {
        format!("▶{title}")
    } else {
        title
    };
    // A title too long for the border is cut with `…`, not silently.
    let room = area.width.saturating_sub(2) as usize;
    let title = if unicode_width::UnicodeWidthStr::width(title.as_str()) > room {
        let mut cut = title
            .chars()
            .scan(0usize, |w, c| {
                *w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                (*w < room).then_some(c)
            })
            .collect::<String>();
        cut.push('…');
        cut
    } else {
        title
    };
    let block = Block::bordered()
        .border_style(theme.border(focused))
        .title(Line::styled(title, theme.title(focused)));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// Say on a bordered pane's frame that rows are hidden: `↑ N more` at the right of the top border,
/// `↓ N more` at the right of the bottom one (nothing when all rows fit).
fn scroll_marks(
    buf: &mut ratatui::buffer::Buffer,
    frame: Rect,
    above: usize,
    below: usize,
    theme: &Theme,
) {
    if above > 0 {
        border_note(buf, frame, frame.y, &format!(" ↑ {above} more "), theme);
    }
    if below > 0 && frame.height > 1 {
        border_note(
            buf,
            frame,
            frame.bottom() - 1,
            &format!(" ↓ {below} more "),
            theme,
        );
    }
}

/// [`scroll_marks`] for a list of `total` rows drawn from `first` in `height` rows.
fn list_marks(
    buf: &mut ratatui::buffer::Buffer,
    frame: Rect,
    first: usize,
    height: usize,
    total: usize,
    theme: &Theme,
) {
    let below = total.saturating_sub(first.saturating_add(height));
    scroll_marks(buf, frame, first.min(total), below, theme);
}

/// `text` on row `y` of the frame's border, right-aligned inside its corners, if it fits.
fn border_note(buf: &mut ratatui::buffer::Buffer, frame: Rect, y: u16, text: &str, theme: &Theme) {
    let w = unicode_width::UnicodeWidthStr::width(text) as u16;
    if frame.width < w.saturating_add(4) {
        return;
    }
    buf.set_stringn(
        frame.right() - 2 - w,
        y,
        text,
        w as usize,
        theme.title(false),
    );
}

/// Draw a list row; one longer than the row ends with `…` in its last column, so a name cut by
/// a narrow pane says it is cut.
fn set_row(buf: &mut ratatui::buffer::Buffer, area: Rect, line: &Line) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    buf.set_line(area.x, area.y, line, area.width);
    if line.width() > area.width as usize {
        let last = (area.right() - 1, area.y);
        let style = buf[last].style();
        buf[last].set_symbol("…").set_style(style);
    }
}

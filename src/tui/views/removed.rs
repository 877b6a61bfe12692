//! A diff's removed list (in place of the tree): every entry only the old image has, largest first,
//! with its old size, what it was, and the old layer that wrote it. Enter goes to the nearest path
//! the new image has.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::pane;
use crate::diff::ChangeKind;
use crate::model::EntryKind;
use crate::text::escape_control as esc;
use crate::text::signed_size;
use crate::text::{clip, plural};
use crate::tui::diff_marks::symbol;
use crate::tui::removed_list::RemovedEntry;
use crate::tui::theme::Theme;
use crate::tui::tree_state::{visible_offset, visible_rows};
use crate::tui::viewer::Viewer;

pub fn draw(buf: &mut Buffer, area: Rect, v: &Viewer, theme: &Theme, focused: bool) {
    let list = &v.removed;
    let title = format!(
        " Only in the old image: {} ",
        plural(list.rows.len(), "entry", "entries")
    );
    let inner = pane(buf, area, title, theme, focused);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if list.rows.is_empty() {
        buf.set_line(
            inner.x,
            inner.y,
            &Line::styled(
                "nothing: the new image has every path of the old one",
                theme.dim(),
            ),
            inner.width,
        );
        return;
    }
    let height = inner.height as usize;
    let first = visible_offset(list.offset, list.cursor, height, list.rows.len());
    super::list_marks(buf, area, first, height, list.rows.len(), theme);
    for (y, i, entry) in visible_rows(&list.rows, list.offset, list.cursor, height) {
        let rect = Rect::new(inner.x, inner.y + y as u16, inner.width, 1);
        super::set_row(buf, rect, &line(entry, theme));
        if i == list.cursor {
            buf.set_style(rect, theme.selected(focused));
        }
    }
}

fn line(entry: &RemovedEntry, theme: &Theme) -> Line<'static> {
    let style = theme.diff(ChangeKind::Removed);
    let mut path = clip(&esc(&entry.path), 1024).into_owned();
    if entry.kind == EntryKind::Dir {
        path.push('/');
    }
    let mut spans = vec![
        Span::styled(symbol(ChangeKind::Removed), style),
        Span::styled(
            format!(
                " {:>10}  ",
                signed_size(i64::try_from(entry.bytes).map_or(i64::MIN, |b| -b))
            ),
            style,
        ),
        Span::styled(path, style),
    ];
    let mut what = Vec::new();
    if !matches!(entry.kind, EntryKind::File | EntryKind::Dir) {
        what.push(entry.kind.label().to_string());
    }
    if let Some(layer) = entry.layer {
        what.push(format!("old layer {layer}"));
    }
    if !what.is_empty() {
        spans.push(Span::styled(format!("  {}", what.join(" · ")), theme.dim()));
    }
    Line::from(spans)
}

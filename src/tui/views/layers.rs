//! The layers pane: one row per layer with its index, a mark when it stores reclaimable bytes,
//! compressed (for uncompressed archives: blob) and uncompressed size, a bar proportional to the largest layer, and the command that
//! made it on one line (the details pane has it in full). In aggregated mode the layers above the
//! selected one are dimmed: they are not part of the files shown. In a diff each layer also has
//! its change against the old image's layers (`=` unchanged, `+ ↑ ↓ ~`), and the title counts the
//! old image's layers that are gone. When the image's base is known (`--base`, or annotations),
//! the base's layers say `base` before their command.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::pane;
use crate::text::one_line_command;
use crate::tui::diff_marks::symbol;
use crate::tui::format::bar;
use crate::tui::theme::Theme;
use crate::tui::tree_state::{Mode, visible_offset};
use crate::tui::viewer::Viewer;

/// Before the command of a layer the base holds.
const BASE_MARK: &str = "base ";

pub fn draw(buf: &mut Buffer, area: Rect, v: &Viewer, theme: &Theme, focused: bool) {
    let count = v.layer_count();
    let diff = v.diff();
    let title = match diff.map_or(0, |d| d.removed_layers.len()) {
        0 => format!(" Layers ({count}) "),
        gone => format!(" Layers ({count}, {gone} removed) "),
    };
    let inner = pane(buf, area, title, theme, focused);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cw = v
        .layer_sizes
        .iter()
        .map(|(c, _)| c.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let sw = v
        .layer_sizes
        .iter()
        .map(|(_, s)| s.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let bar_w = match inner.width {
        w if w >= 70 => 10,
        w if w >= 44 => 6,
        _ => 4,
    };
    // The marks after the index: reclaimable bytes, and in a diff the change.
    let marks_w = if diff.is_some() { 2 } else { 1 };
    // Uncompressed layers: the column is the blob's size (the tar, headers and padding
    // included), a little more than SIZE; "compressed" would read as a bug.
    let blob_column = match crate::tui::format::blob_label(v.image()) {
        "blob" => "BLOB",
        _ => "COMPR",
    };
    let header = format!(
        "{:>3}{:marks_w$} {:>cw$} {:>sw$} {:bar_w$} COMMAND",
        "#", "", blob_column, "SIZE", ""
    );
    buf.set_line(
        inner.x,
        inner.y,
        &Line::styled(header, theme.dim()),
        inner.width,
    );
    let rows = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    if count == 0 {
        buf.set_line(
            rows.x,
            rows.y,
            &Line::styled("no layers", theme.dim()),
            rows.width,
        );
        return;
    }
    let image = v.image();
    let per_layer = &v.analysis().waste.per_layer;
    let base = v.analysis().base.as_ref();
    let offset = visible_offset(v.layer_cursor_offset, v.layer, rows.height as usize, count);
    super::list_marks(buf, area, offset, rows.height as usize, count, theme);
    let fixed = 3 + marks_w + 1 + cw + 1 + sw + 1 + bar_w + 1;
    let cmd_w = (rows.width as usize).saturating_sub(fixed);
    for (y, i) in (offset..count).take(rows.height as usize).enumerate() {
        let layer = &image.layers[i];
        let (compressed, size) = &v.layer_sizes[i];
        let wasted = per_layer.get(i).copied().unwrap_or(0) > 0;
        let fraction = if v.max_layer_size == 0 {
            0.0
        } else {
            layer.size as f64 / v.max_layer_size as f64
        };
        let mut spans = vec![
            Span::raw(format!("{i:>3}")),
            if wasted {
                Span::styled("!", theme.waste())
            } else {
                Span::raw(" ")
            },
        ];
        if let Some(d) = diff {
            spans.push(match d.layer(i) {
                Some(l) => Span::styled(symbol(l.change), theme.diff(l.change)),
                None => Span::raw(" "),
            });
        }
        spans.extend([
            Span::raw(format!(" {compressed:>cw$} {size:>sw$} ")),
            Span::styled(bar(fraction, bar_w), theme.bar()),
            Span::raw(" "),
        ]);
        let inherited = base.is_some_and(|b| b.is_inherited(i));
        if inherited {
            spans.push(Span::styled(BASE_MARK, theme.dim()));
        }
        let room = cmd_w.saturating_sub(if inherited { BASE_MARK.len() } else { 0 });
        spans.push(Span::raw(one_line_command(layer.command(), room.max(1))));
        let line = Line::from(spans);
        let row = Rect::new(rows.x, rows.y + y as u16, rows.width, 1);
        super::set_row(buf, row, &line);
        if i == v.layer {
            buf.set_style(row, theme.selected(focused));
        } else if v.mode == Mode::Aggregated && i > v.layer {
            buf.set_style(row, theme.dim());
        }
    }
}

//! A diff's header bar (the row where several images have their tabs): `diff: OLD → NEW`, then the
//! total deltas — uncompressed and compressed size, files and layers — each coloured by its sign
//! (the details pane has the old and new values).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::diff::{ChangeKind, Delta};
use crate::gate::signed_size;
use crate::report::escape::escape_control as esc;
use crate::tui::app::{App, Slot};
use crate::tui::format::clip_start;
use crate::tui::theme::Theme;

/// Longest image name (in characters) on the bar; narrower terminals clip names harder (keeping
/// their end, where the tag is), down to `NAME_MIN`, so that the totals stay on screen.
const NAME_MAX: usize = 40;
const NAME_MIN: usize = 12;
/// Columns the totals take (about).
const TOTALS_W: usize = 64;

pub fn draw(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some(origin) = &app.diff else { return };
    let Some(slot) = app.slot() else { return };
    let marks = app.viewer().and_then(|v| v.diff().map(|m| (v, m)));
    let (old, new) = match marks {
        Some((v, m)) => (m.old_name.as_str(), v.image().display_name()),
        None => (origin.old.as_str(), slot.input.as_str()),
    };
    let room = ((area.width as usize).saturating_sub(TOTALS_W) / 2).clamp(NAME_MIN, NAME_MAX);
    let name = |s: &str| clip_start(&esc(s), room).into_owned();
    let mut spans = vec![
        Span::styled(" diff: ", theme.status()),
        Span::styled(format!(" {} → {}", name(old), name(new)), theme.header()),
    ];
    match (&slot.state, marks) {
        (Slot::Loading { .. }, _) => spans.push(Span::styled("  loading…", theme.dim())),
        (Slot::Failed { .. }, _) => spans.push(Span::styled("  failed", theme.error())),
        (Slot::Ready(_), Some((_, m))) => {
            let d = &m.diff;
            let totals = [
                ("size", signed_size(d.size.delta()), d.size),
                (
                    "compressed",
                    signed_size(d.compressed.delta()),
                    d.compressed,
                ),
                ("files", signed_count(d.file_count), d.file_count),
                ("layers", signed_count(d.layer_count), d.layer_count),
            ];
            for (label, text, delta) in totals {
                spans.push(Span::raw(format!(" · {label} ")));
                spans.push(Span::styled(text, theme.diff(sign(delta.delta()))));
            }
        }
        (Slot::Ready(_), None) => {}
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// A count's change: `+2`, `-1`, `0`.
fn signed_count(d: Delta) -> String {
    match d.delta() {
        0 => "0".into(),
        n => format!("{n:+}"),
    }
}

/// How a total moved.
fn sign(delta: i64) -> ChangeKind {
    match delta.signum() {
        1 => ChangeKind::Grown,
        -1 => ChangeKind::Shrunk,
        _ => ChangeKind::Unchanged,
    }
}

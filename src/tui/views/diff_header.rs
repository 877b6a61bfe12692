//! A diff's header bar (the row where several images have their tabs): `diff: OLD → NEW` — two
//! images of one name told apart by their short digests — then the totals: the size delta,
//! reclaimable bytes and efficiency old → new, the compressed size, file and layer deltas, each
//! coloured by its sign, as many as fit (the details pane has all the old and new values).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::diff::{ChangeKind, Delta};
use crate::text::clip_start;
use crate::text::signed_size;
use crate::text::{escape_control as esc, human_size};
use crate::tui::app::{App, Slot};
use crate::tui::theme::Theme;
use unicode_width::UnicodeWidthStr;

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
    // Two images of one name (two builds of a tag): the name once, then each short digest.
    let digests = marks.and_then(|(v, m)| {
        let new_digest = v
            .image()
            .manifest_digest
            .as_deref()
            .or(v.image().config_digest.as_deref());
        Some((
            short_digest(m.old_digest.as_deref()?),
            short_digest(new_digest?),
        ))
    });
    let names = match digests {
        Some((a, b)) if old == new && a != b => {
            format!(" {} @{a} → @{b}", name(old))
        }
        _ => format!(" {} → {}", name(old), name(new)),
    };
    let mut spans = vec![
        Span::styled(" diff: ", theme.status()),
        Span::styled(names, theme.header()),
    ];
    match (&slot.state, marks) {
        (Slot::Loading { .. }, _) => spans.push(Span::styled("  loading…", theme.dim())),
        (Slot::Failed { .. }, _) => spans.push(Span::styled("  failed", theme.error())),
        (Slot::Ready(_), Some((_, m))) => {
            let d = &m.diff;
            let r = d.reclaimable.total;
            let (eff_old, eff_new) = d.efficiency;
            let eff_delta = ((eff_new - eff_old) * 10_000.0).round() as i64;
            let totals = [
                ("size", signed_size(d.size.delta()), d.size.delta()),
                (
                    "compressed",
                    signed_size(d.compressed.delta()),
                    d.compressed.delta(),
                ),
                (
                    "reclaimable",
                    old_to_new(human_size(r.old), human_size(r.new)),
                    r.delta(),
                ),
                (
                    "efficiency",
                    old_to_new(
                        format!("{:.1}%", eff_old * 100.0),
                        format!("{:.1}%", eff_new * 100.0),
                    ),
                    eff_delta,
                ),
                ("files", signed_count(d.file_count), d.file_count.delta()),
                ("layers", signed_count(d.layer_count), d.layer_count.delta()),
            ];
            // As many as fit, in this order.
            let mut used: usize = spans.iter().map(|s| s.content.width()).sum();
            for (label, text, delta) in totals {
                let lead = format!(" · {label} ");
                let w = lead.width() + text.width();
                if used + w > area.width as usize {
                    break;
                }
                used += w;
                spans.push(Span::raw(lead));
                spans.push(Span::styled(text, theme.diff(sign(delta))));
            }
        }
        (Slot::Ready(_), None) => {}
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// `old → new`, or the one value when they are the same.
fn old_to_new(old: String, new: String) -> String {
    if old == new {
        new
    } else {
        format!("{old} → {new}")
    }
}

/// The first 12 hex digits of a digest (`sha256:0123…` → `0123456789ab`), escaped.
fn short_digest(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    esc(&hex.chars().take(12).collect::<String>()).into_owned()
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

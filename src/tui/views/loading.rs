//! The body while an image loads (a gauge with layers done, bytes read and the rate, polled from
//! the loader's atomic counters; for a diff, one for the old image and one for the new) and after
//! a load failed (the error, escaped, as a message). While an engine prepares its export, the
//! engine's own records of the image (inspect, history) are shown under the gauge.

use std::sync::atomic::Ordering;
use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::pane;
use crate::model::EnginePreview;
use crate::pipeline::load::Progress;
use crate::text::{clip, plural};
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::app::DiffOrigin;
use crate::tui::format::{bar, load_fraction};
use crate::tui::theme::Theme;

/// What every loading and failure pane shares: the colours, and the line of keys under it (the
/// keys in effect, the user's when remapped).
pub struct Chrome<'a> {
    pub theme: &'a Theme,
    pub keys_note: &'a str,
}

pub fn draw_progress(
    buf: &mut Buffer,
    area: Rect,
    input: &str,
    p: &Progress,
    started: Instant,
    now: Instant,
    chrome: &Chrome,
) {
    let title = format!(" Loading {} ", clip(&esc(input), 200));
    progress_pane(buf, area, title, p, false, (started, now), chrome);
}

/// A diff's two loads, the old image's above the new one's (which starts once the old one is in).
pub fn draw_diff_progress(
    buf: &mut Buffer,
    area: Rect,
    origin: &DiffOrigin,
    new: (&str, &Progress),
    started: Instant,
    now: Instant,
    chrome: &Chrome,
) {
    let top = Rect {
        height: area.height / 2,
        ..area
    };
    let bottom = Rect {
        y: top.bottom(),
        height: area.height - top.height,
        ..area
    };
    let title = |which: &str, input: &str| format!(" Loading {which} {} ", clip(&esc(input), 200));
    let clock = (started, now);
    let old_title = title("old", &origin.old);
    progress_pane(buf, top, old_title, &origin.progress, false, clock, chrome);
    let waiting = !origin.loaded.load(Ordering::Relaxed);
    let new_title = title("new", new.0);
    progress_pane(buf, bottom, new_title, new.1, waiting, clock, chrome);
}

/// One load's pane; `waiting` says it has not started (a diff's new image waits for the old one).
/// `clock` is when loading started, and now.
fn progress_pane(
    buf: &mut Buffer,
    area: Rect,
    title: String,
    p: &Progress,
    waiting: bool,
    (started, now): (Instant, Instant),
    chrome: &Chrome,
) {
    let theme = chrome.theme;
    let inner = pane(buf, area, title, theme, true);
    if inner.height == 0 || inner.width < 4 {
        return;
    }
    let elapsed = now.saturating_duration_since(started).as_secs_f64();
    let read = p.bytes_read.load(Ordering::Relaxed);
    let total = p.bytes_total.load(Ordering::Relaxed);
    let rate = if elapsed > 0.0 {
        (read as f64 / elapsed) as u64
    } else {
        0
    };
    let phase = if waiting {
        "waiting for the old image…"
    } else if p.analyzing.load(Ordering::Relaxed) {
        "merging layers and analyzing…"
    } else if p.layers_total.load(Ordering::Relaxed) == 0 && read == 0 && p.preview.get().is_some()
    {
        "waiting for the engine's export…"
    } else if p.layers_total.load(Ordering::Relaxed) == 0 {
        "reading the manifest…"
    } else {
        "decoding layers…"
    };
    let fraction = load_fraction(p);
    let width = (inner.width as usize).saturating_sub(8).min(60);
    let mut lines = vec![
        Line::raw(""),
        Line::styled(format!("  {phase}"), theme.header()),
        Line::raw(""),
        Line::from(vec![
            Span::raw("  "),
            Span::styled(bar(fraction, width), theme.gauge()),
            Span::raw(format!(" {:>3.0}%", fraction * 100.0)),
        ]),
        Line::raw(""),
        Line::raw(format!(
            "  layers {}/{} · {} of {} read · {}/s · {:.1} s",
            p.layers_done.load(Ordering::Relaxed),
            p.layers_total.load(Ordering::Relaxed),
            hs(read),
            hs(total),
            hs(rate),
            elapsed
        )),
        Line::raw(""),
        Line::styled(format!("  {}", chrome.keys_note), theme.dim()),
    ];
    if let Some(preview) = p.preview.get() {
        lines.push(Line::raw(""));
        lines.extend(preview_lines(preview, inner.width as usize, theme));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

/// The engine's own records of the image, shown while its export is prepared and read.
fn preview_lines(p: &EnginePreview, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let room = width.saturating_sub(14).max(8);
    let fact = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("  {label:<10}"), theme.dim()),
            Span::raw(clip(&esc(&value), room).into_owned()),
        ])
    };
    let mut lines = vec![Line::styled(
        "  What the engine reports, before its export:",
        theme.header(),
    )];
    lines.push(fact("engine", p.engine.clone()));
    lines.push(fact("id", p.id.clone()));
    if !p.tags.is_empty() {
        lines.push(fact("tags", p.tags.join(", ")));
    }
    if let Some(created) = &p.created {
        lines.push(fact("created", created.clone()));
    }
    if let Some(platform) = &p.platform {
        lines.push(fact("platform", platform.clone()));
    }
    let size = p.size.map_or_else(|| "unknown".to_string(), hs);
    lines.push(fact(
        "size",
        format!("{size} in {}", plural(p.layer_count, "layer", "layers")),
    ));
    if !p.history.is_empty() {
        lines.push(Line::styled("  history, oldest first:", theme.dim()));
        let command_room = width.saturating_sub(16).max(8);
        for step in &p.history {
            lines.push(Line::from(vec![
                Span::raw(format!("  {:>10}  ", hs(step.size))),
                Span::raw(clip(&esc(&step.created_by), command_room).into_owned()),
            ]));
        }
    }
    lines
}

pub fn draw_failure(buf: &mut Buffer, area: Rect, input: &str, error: &str, chrome: &Chrome) {
    let theme = chrome.theme;
    let title = format!(" Could not load {} ", clip(&esc(input), 200));
    let inner = pane(buf, area, title, theme, true);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let mut lines = vec![Line::raw("")];
    lines.extend(
        clip(error, 16 * 1024)
            .lines()
            .map(|l| Line::styled(format!("  {}", esc(l)), theme.error())),
    );
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!("  {}", chrome.keys_note), theme.dim()));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

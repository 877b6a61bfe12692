//! The body while an image loads (a gauge with layers done, bytes read and the rate, polled from
//! the loader's atomic counters) and after a load failed (the error, escaped, as a message).

use std::sync::atomic::Ordering;
use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::pane;
use crate::load::Progress;
use crate::report::escape::{escape_control as esc, human_size as hs};
use crate::tui::format::{bar, clip, load_fraction};
use crate::tui::theme::Theme;

pub fn draw_progress(
    buf: &mut Buffer,
    area: Rect,
    input: &str,
    p: &Progress,
    started: Instant,
    now: Instant,
    theme: &Theme,
) {
    let title = format!(" Loading {} ", clip(&esc(input), 200));
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
    let phase = if p.analyzing.load(Ordering::Relaxed) {
        "merging layers and analyzing…"
    } else if p.layers_total.load(Ordering::Relaxed) == 0 {
        "reading the manifest…"
    } else {
        "decoding layers…"
    };
    let fraction = load_fraction(p);
    let width = (inner.width as usize).saturating_sub(8).min(60);
    let lines = vec![
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
        Line::styled(
            "  q quits; with several images, [ and ] switch",
            theme.dim(),
        ),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

pub fn draw_failure(buf: &mut Buffer, area: Rect, input: &str, error: &str, theme: &Theme) {
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
    lines.push(Line::styled(
        "  q quits; with several images, [ and ] switch",
        theme.dim(),
    ));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

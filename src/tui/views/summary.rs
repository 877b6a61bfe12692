//! The pinned summary line: the current image's headline numbers — name, size, compressed (or blob)
//! size, reclaimable bytes, dive's efficiency score and the trim plan's top saving — always on
//! screen above the panes, as dive keeps its wasted bytes and score in view. Fitted to the width:
//! long labels, then short ones, then the least telling numbers dropped; the name is cut with `…`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::text::clip;
use crate::text::rough_percent as percent;
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::app::{App, PlanHeadline, Slot};
use crate::tui::format::blob_label;
use crate::tui::theme::Theme;

/// The fewest columns the name keeps before numbers are dropped.
const NAME_MIN: usize = 16;
const SEPARATOR: &str = " · ";

pub fn draw(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let line = match app.slot().map(|s| &s.state) {
        Some(Slot::Ready(_)) => fitted(app, theme, area.width as usize),
        Some(Slot::Loading { .. }) => Line::styled(
            format!(
                " {} · loading…",
                clip(&esc(app.slot().map_or("", |s| &s.input)), 200)
            ),
            theme.dim(),
        ),
        Some(Slot::Failed { .. }) => Line::styled(
            format!(
                " {} · failed to load",
                clip(&esc(app.slot().map_or("", |s| &s.input)), 200)
            ),
            theme.error(),
        ),
        None => Line::raw(""),
    };
    buf.set_line(area.x, area.y, &line, area.width);
}

/// One number of the summary, in a long and a short form.
struct Part {
    /// Which goes first when the line is short: the highest is dropped first.
    drop_order: u8,
    long: Vec<Span<'static>>,
    short: Vec<Span<'static>>,
}

fn width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// The parts of the summary in the order they are shown.
fn parts(app: &App, theme: &Theme) -> (String, Vec<Part>) {
    let Some(v) = app.viewer() else {
        return (String::new(), Vec::new());
    };
    let image = v.image();
    let analysis = v.analysis();
    let name = esc(image.display_name()).into_owned();
    let label = |s: &str| Span::styled(s.to_string(), theme.dim());
    let value = |s: String| Span::styled(s, theme.plain());
    let mut out = Vec::new();
    let blob = blob_label(image);
    if analysis.layers_only {
        out.push(Part {
            drop_order: 0,
            long: vec![
                value(hs(image.compressed_size())),
                label(&format!(" {blob} (layers not read)")),
            ],
            short: vec![
                value(hs(image.compressed_size())),
                label(&format!(" {blob}")),
            ],
        });
        return (name, out);
    }
    out.push(Part {
        drop_order: 0,
        long: vec![label("size "), value(hs(image.size()))],
        short: vec![value(hs(image.size()))],
    });
    let compressed = compressed_part(image, theme);
    let reclaimable = analysis.waste.reclaimable_bytes;
    let waste_style = if reclaimable > 0 {
        theme.waste()
    } else {
        theme.plain()
    };
    let ratio = format!(" ({:.1}%)", analysis.reclaimable_ratio(image) * 100.0);
    out.push(compressed);
    out.push(Part {
        drop_order: 1,
        long: vec![
            label("reclaimable "),
            Span::styled(hs(reclaimable), waste_style),
            label(&ratio),
        ],
        short: vec![
            Span::styled(hs(reclaimable), waste_style),
            label(" reclaimable"),
        ],
    });
    let plan = match app.plan_headline() {
        PlanHeadline::Top(action) => {
            let style = if action.worth_it {
                theme.key()
            } else {
                theme.plain()
            };
            Part {
                drop_order: 2,
                long: vec![
                    label("plan: "),
                    Span::styled(
                        format!("{} saves {}", action.kind.key(), hs(action.node_saving)),
                        style,
                    ),
                    label(&format!(" ({})", percent(action.share_of_node_cost))),
                ],
                short: vec![
                    label("plan: "),
                    Span::styled(
                        format!("{} −{}", action.kind.key(), hs(action.node_saving)),
                        style,
                    ),
                ],
            }
        }
        PlanHeadline::Nothing => Part {
            drop_order: 2,
            long: vec![label("plan: nothing to trim")],
            short: vec![label("plan: none")],
        },
        PlanHeadline::Pending => Part {
            drop_order: 2,
            long: vec![label("plan: waiting for the images")],
            short: vec![label("plan: …")],
        },
        PlanHeadline::LayersOnly => Part {
            drop_order: 2,
            long: vec![label("plan: layers not read")],
            short: vec![label("plan: –")],
        },
    };
    out.push(Part {
        drop_order: 3,
        long: vec![
            label("efficiency "),
            value(format!("{:.2}%", analysis.efficiency.score * 100.0)),
        ],
        short: vec![
            label("eff. "),
            value(format!("{:.1}%", analysis.efficiency.score * 100.0)),
        ],
    });
    out.push(plan);
    (name, out)
}

fn compressed_part(image: &crate::model::Image, theme: &Theme) -> Part {
    let blob = blob_label(image);
    let label = |s: &str| Span::styled(s.to_string(), theme.dim());
    Part {
        drop_order: 4,
        long: vec![
            Span::styled(hs(image.compressed_size()), theme.plain()),
            label(&format!(" {blob}")),
        ],
        short: vec![
            Span::styled(hs(image.compressed_size()), theme.plain()),
            label(if blob == "compressed" {
                " compr."
            } else {
                " blob"
            }),
        ],
    }
}

/// The summary fitted to `width` columns.
fn fitted(app: &App, theme: &Theme, width_cols: usize) -> Line<'static> {
    let (name, parts) = parts(app, theme);
    let room = width_cols.saturating_sub(1); // a leading space
    for keep in (0..=parts.len()).rev() {
        for long in [true, false] {
            let chosen: Vec<&Vec<Span>> = parts
                .iter()
                .filter(|p| usize::from(p.drop_order) < keep)
                .map(|p| if long { &p.long } else { &p.short })
                .collect();
            let numbers: usize = chosen.iter().map(|s| width(s) + SEPARATOR.width()).sum();
            let name_width = name.width();
            let fits_whole = name_width + numbers <= room;
            let fits_cut = room.saturating_sub(numbers) >= NAME_MIN.min(name_width);
            if !(fits_whole || fits_cut) && keep > 0 {
                continue;
            }
            let shown = clip(&name, room.saturating_sub(numbers).max(1)).into_owned();
            let mut spans = vec![Span::raw(" "), Span::styled(shown, theme.header())];
            for part in chosen {
                spans.push(Span::styled(SEPARATOR, theme.dim()));
                spans.extend(part.iter().cloned());
            }
            return Line::from(spans).style(Style::new());
        }
    }
    Line::raw("")
}

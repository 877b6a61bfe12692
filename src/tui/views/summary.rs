//! The pinned summary line: the current image's headline numbers — name, role (service,
//! interpreted, shell), size, compressed (or blob) size, reclaimable bytes, dive's efficiency score
//! and what the trim plan saves on the image's own layers (safe first, then all of it), then what
//! it saves on the layers the image inherits, once per node, named by the base they belong to —
//! always on screen above the panes, as dive keeps its wasted bytes and score in view. Fitted to
//! the width: the whole name first; then long labels, then short ones, then the shortest, then
//! the least telling numbers dropped (the compressed size, the efficiency, the base's figure, the
//! role, the reclaimable bytes, the plan, the size, in that order); only a name longer than the
//! line is cut, in the middle.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::text::rough_percent as percent;
use crate::text::{clip, shorten_middle};
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::app::{App, ImageSaving, InheritedSaving, PlanHeadline, Slot};
use crate::tui::format::blob_label;
use crate::tui::theme::Theme;

/// The fewest columns the name keeps before numbers are dropped.
const NAME_MIN: usize = 16;
/// The most columns the base's name takes in the long form, the short one and the shortest.
const BASE_NAME: [usize; 3] = [40, 24, 16];
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

/// One number of the summary, in a long and a short form (and, for some, a shortest one).
struct Part {
    /// Which goes first when the line is short: the highest is dropped first.
    drop_order: u8,
    long: Vec<Span<'static>>,
    short: Vec<Span<'static>>,
    /// The shortest form; the short one when there is none.
    tiny: Option<Vec<Span<'static>>>,
}

impl Part {
    fn new(drop_order: u8, long: Vec<Span<'static>>, short: Vec<Span<'static>>) -> Part {
        Part {
            drop_order,
            long,
            short,
            tiny: None,
        }
    }

    /// Form 0 is the long one, 1 the short, 2 the shortest.
    fn form(&self, level: usize) -> &Vec<Span<'static>> {
        match level {
            0 => &self.long,
            1 => &self.short,
            _ => self.tiny.as_ref().unwrap_or(&self.short),
        }
    }
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
        out.push(Part::new(
            0,
            vec![
                value(hs(image.compressed_size())),
                label(&format!(" {blob} (layers not read)")),
            ],
            vec![
                value(hs(image.compressed_size())),
                label(&format!(" {blob}")),
            ],
        ));
        return (name, out);
    }
    // What the image is for decides what the plan offers it: next to its name.
    let role = analysis.role.role.key();
    out.push(Part::new(
        3,
        vec![label("role "), value(role.to_string())],
        vec![value(role.to_string())],
    ));
    out.push(Part::new(
        0,
        vec![label("size "), value(hs(image.size()))],
        vec![value(hs(image.size()))],
    ));
    let compressed = compressed_part(image, theme);
    let reclaimable = analysis.waste.reclaimable_bytes;
    let waste_style = if reclaimable > 0 {
        theme.waste()
    } else {
        theme.plain()
    };
    let ratio = format!(" ({:.1}%)", analysis.reclaimable_ratio(image) * 100.0);
    out.push(compressed);
    out.push(Part::new(
        2,
        vec![
            label("reclaimable "),
            Span::styled(hs(reclaimable), waste_style),
            label(&ratio),
        ],
        vec![
            Span::styled(hs(reclaimable), waste_style),
            label(" reclaimable"),
        ],
    ));
    let mut base = None;
    let plan = match app.plan_headline() {
        PlanHeadline::Saving(saving) => {
            base = saving.inherited.as_ref().map(|i| base_part(i, theme));
            plan_part(&saving, theme)
        }
        PlanHeadline::Nothing => Part::new(
            1,
            vec![label("plan: nothing to trim")],
            vec![label("plan: none")],
        ),
        PlanHeadline::Pending => Part::new(
            1,
            vec![label("plan: waiting for the images")],
            vec![label("plan: …")],
        ),
        PlanHeadline::LayersOnly => Part::new(
            1,
            vec![label("plan: layers not read")],
            vec![label("plan: –")],
        ),
    };
    out.push(Part::new(
        5,
        vec![
            label("efficiency "),
            value(format!("{:.2}%", analysis.efficiency.score * 100.0)),
        ],
        vec![
            label("eff. "),
            value(format!("{:.1}%", analysis.efficiency.score * 100.0)),
        ],
    ));
    out.push(plan);
    out.extend(base);
    (name, out)
}

/// What the plan saves on the image's own layers, the safe actions first: `plan: safe 1.0 MiB
/// (23%), all 1.3 MiB (30%)`, `plan: safe −1.0 MiB, all −1.3 MiB`, `plan: safe −1.0 MiB`. A figure
/// is in the key style when an action it counts is worth it.
fn plan_part(saving: &ImageSaving, theme: &Theme) -> Part {
    let label = |s: &str| Span::styled(s.to_string(), theme.dim());
    let style = |worth: bool| if worth { theme.key() } else { theme.plain() };
    let safe = |text: String| Span::styled(text, style(saving.safe_worth_it));
    let all = |text: String| Span::styled(text, style(saving.worth_it));
    // Only its base's layers have something to trim (the base part follows): say so rather than
    // show a saving of zero.
    if saving.all == 0 && saving.inherited.is_some() {
        return Part {
            drop_order: 1,
            long: vec![label("plan: nothing of its own to trim")],
            short: vec![label("plan: own none")],
            tiny: Some(vec![label("plan: own none")]),
        };
    }
    Part {
        drop_order: 1,
        long: vec![
            label("plan: safe "),
            safe(hs(saving.safe)),
            label(&format!(" ({}), all ", percent(saving.safe_share))),
            all(hs(saving.all)),
            label(&format!(" ({})", percent(saving.all_share))),
        ],
        short: vec![
            label("plan: safe "),
            safe(format!("−{}", hs(saving.safe))),
            label(", all "),
            all(format!("−{}", hs(saving.all))),
        ],
        tiny: Some(vec![
            label("plan: safe "),
            safe(format!("−{}", hs(saving.safe))),
        ]),
    }
}

/// What the plan saves on the layers the image inherits, once per node for every image using
/// them, named by the base they belong to: `base fleet/builder −571.5 MiB once per node`, the
/// name shorter in the shorter forms; `shared −1.0 MiB once per node` when they belong to no one
/// image. Dropped after the compressed size and the efficiency score, before the role and the
/// plan's own figures.
fn base_part(inherited: &InheritedSaving, theme: &Theme) -> Part {
    let label = |s: &str| Span::styled(s.to_string(), theme.dim());
    let style = if inherited.worth_it {
        theme.key()
    } else {
        theme.plain()
    };
    let form = |level: usize, tail: bool| {
        let mut spans = match &inherited.base {
            Some(name) => vec![
                label("base "),
                Span::styled(shorten_middle(name, BASE_NAME[level]), theme.plain()),
                label(" "),
            ],
            None => vec![label("shared ")],
        };
        spans.push(Span::styled(format!("−{}", hs(inherited.bytes)), style));
        if tail {
            spans.push(label(" once per node"));
        }
        spans
    };
    Part {
        drop_order: 4,
        long: form(0, true),
        short: form(1, true),
        tiny: Some(form(2, true)),
    }
}

fn compressed_part(image: &crate::model::Image, theme: &Theme) -> Part {
    let blob = blob_label(image);
    let label = |s: &str| Span::styled(s.to_string(), theme.dim());
    Part::new(
        6,
        vec![
            Span::styled(hs(image.compressed_size()), theme.plain()),
            label(&format!(" {blob}")),
        ],
        vec![
            Span::styled(hs(image.compressed_size()), theme.plain()),
            label(if blob == "compressed" {
                " compr."
            } else {
                " blob"
            }),
        ],
    )
}

/// The summary fitted to `width` columns.
fn fitted(app: &App, theme: &Theme, width_cols: usize) -> Line<'static> {
    let (name, parts) = parts(app, theme);
    let room = width_cols.saturating_sub(1); // a leading space
    // Drop orders need not be contiguous (the base's part is there only for an image on a base).
    let orders = parts.iter().map(|p| usize::from(p.drop_order) + 1).max();
    let line = |chosen: Vec<&Vec<Span<'static>>>, shown: String| {
        let mut spans = vec![Span::raw(" "), Span::styled(shown, theme.header())];
        for part in chosen {
            spans.push(Span::styled(SEPARATOR, theme.dim()));
            spans.extend(part.iter().cloned());
        }
        Line::from(spans).style(Style::new())
    };
    let choose = |keep: usize, level: usize| -> Vec<&Vec<Span<'static>>> {
        parts
            .iter()
            .filter(|p| usize::from(p.drop_order) < keep)
            .map(|p| p.form(level))
            .collect()
    };
    let numbers = |chosen: &[&Vec<Span<'static>>]| -> usize {
        chosen.iter().map(|s| width(s) + SEPARATOR.width()).sum()
    };
    // The whole name first: numbers give way (shorter forms, then the least telling dropped)
    // before the name is cut, since the name says which image this is.
    for keep in (0..=orders.unwrap_or(0)).rev() {
        for level in 0..3 {
            let chosen = choose(keep, level);
            if name.width() + numbers(&chosen) <= room {
                return line(chosen, name.clone());
            }
        }
    }
    // A name longer than the line: cut in the middle (the tag at its end stays), with the
    // headline numbers beside it where at least NAME_MIN columns are left for it.
    for keep in (0..=orders.unwrap_or(0)).rev() {
        for level in 0..3 {
            let chosen = choose(keep, level);
            let left = room.saturating_sub(numbers(&chosen));
            if left >= NAME_MIN.min(name.width()) || keep == 0 {
                return line(chosen, shorten_middle(&name, left.max(1)));
            }
        }
    }
    Line::raw("")
}

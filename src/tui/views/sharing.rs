//! The plan-and-sharing view, over the whole body: the rows on screen of the precomputed list —
//! the trim plan's savings per risk and actions (each with its risk, in the theme's risk style),
//! then totals, the per-image table (each image with its column letter, its role before its
//! verdict), the layer × image matrix (a bar proportional to the largest distinct layer, ● where
//! the image uses the layer), bases, content sharing, trim candidates — and a footer with the
//! selected row in full. Every string from an image was escaped when the rows were built.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::pane;
use crate::text::clip;
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::action::Action;
use crate::tui::app::{App, Slot};
use crate::tui::format::{bar, wrap};
use crate::tui::layout::Areas;
use crate::tui::plan_state::{MAX_COLUMNS, PlanState, Row, SharingSort, letter};
use crate::tui::screen::Screen;
use crate::tui::theme::Theme;
use crate::tui::tree_state::{visible_offset, visible_rows};

/// Width of a size column.
const SIZE_W: usize = 10;
/// Width of the matrix's bars.
const BAR_W: usize = 8;
/// Width of a plan action's risk (`safe`, `rebuild`, `risky`).
const RISK_W: usize = 7;

pub fn draw(buf: &mut Buffer, areas: &Areas, app: &App, theme: &Theme) {
    let Some(s) = &app.sharing else {
        waiting(buf, areas.body(), app, theme);
        return;
    };
    let title = match s.set.names.len() {
        1 => " Trim plan · Enter opens · S back ".to_string(),
        n => format!(
            " Plan & sharing · {n} images · sorted {} · Enter opens · S back ",
            s.sort.label()
        ),
    };
    let inner = pane(buf, areas.body(), title, theme, true);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let rows = areas.sharing_rows();
    let height = rows.height as usize;
    let layout = Columns::new(s, rows.width as usize);
    let first = visible_offset(s.offset, s.cursor, height, s.rows.len());
    super::list_marks(buf, areas.body(), first, height, s.rows.len(), theme);
    for (y, i, row) in visible_rows(&s.rows, s.offset, s.cursor, height) {
        let line = line(s, *row, &layout, theme);
        let rect = Rect::new(rows.x, rows.y + y as u16, rows.width, 1);
        super::set_row(buf, rect, &line);
        if i == s.cursor && row.selectable() {
            buf.set_style(rect, theme.selected(true));
        }
    }
    let footer = areas.sharing_footer();
    if footer.height > 0 {
        draw_footer(buf, footer, s, app, theme);
    }
}

/// The rule and the selected row in full, scrolled by `details_scroll`; the rule says how much is
/// above and below, and the keys that scroll it.
fn draw_footer(buf: &mut Buffer, footer: Rect, s: &PlanState, app: &App, theme: &Theme) {
    let w = footer.width as usize;
    let rows = footer.height as usize - 1;
    let lines = wrap(&s.details(), w, w);
    let top = usize::from(s.details_scroll).min(lines.len().saturating_sub(rows));
    let rule = "─".repeat(w);
    buf.set_stringn(footer.x, footer.y, rule, w, theme.dim());
    let below = lines.len().saturating_sub(top + rows);
    if top > 0 || below > 0 {
        let keys = format!(
            "{}/{}",
            app.keys.key_for(Screen::Plan, Action::DetailsDown),
            app.keys.key_for(Screen::Plan, Action::DetailsUp)
        );
        let note = match (top, below) {
            (0, b) => format!(" ↓ {b} more · {keys} scroll "),
            (t, 0) => format!(" ↑ {t} more · {keys} scroll "),
            (t, b) => format!(" ↑ {t} ↓ {b} more · {keys} scroll "),
        };
        let nw = note.chars().count() as u16;
        if nw + 2 <= footer.width {
            buf.set_string(footer.right() - nw - 1, footer.y, note, theme.dim());
        }
    }
    for (k, part) in lines.into_iter().skip(top).take(rows).enumerate() {
        buf.set_stringn(footer.x, footer.y + 1 + k as u16, part, w, theme.plain());
    }
}

/// Before the analysis exists: why.
fn waiting(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let inner = pane(buf, area, " Plan & sharing ".into(), theme, true);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let loaded = app
        .images
        .iter()
        .filter(|s| matches!(s.state, Slot::Ready(_)))
        .count();
    let text = if app.is_loading() {
        format!(
            "waiting for every image to load ({loaded} of {} loaded)",
            app.images.len()
        )
    } else {
        format!("no image loaded ({loaded} of {} loaded)", app.images.len())
    };
    buf.set_stringn(inner.x, inner.y, text, inner.width as usize, theme.dim());
}

/// Column widths for the list's width.
struct Columns {
    name: usize,
    /// Room left for the verdict in an image row (0: not shown).
    verdict: usize,
    /// Image columns shown in the matrix.
    marks: usize,
    /// Room for a layer's command.
    command: usize,
}

impl Columns {
    fn new(s: &PlanState, width: usize) -> Columns {
        // "a " + name + 4 × (2 + size) + 2 + verdict
        let sizes = 4 * (2 + SIZE_W);
        let name = s
            .name_width
            .clamp(5, 36)
            .min(width.saturating_sub(2 + sizes))
            .max(5);
        let verdict = width.saturating_sub(2 + name + sizes + 2);
        // "   #" + " " + size + " " + bar + " " + marks + "  " + command
        let fixed = 4 + 1 + SIZE_W + 1 + BAR_W + 1 + 2;
        let marks = s
            .set
            .names
            .len()
            .min(MAX_COLUMNS)
            .min(width.saturating_sub(fixed + 12));
        Columns {
            name,
            verdict: if verdict >= 12 { verdict } else { 0 },
            marks,
            command: width.saturating_sub(fixed + marks),
        }
    }
}

fn size_header(label: &str, sorted: bool) -> String {
    let label = if sorted {
        format!("{label}↓")
    } else {
        label.to_string()
    };
    format!("  {label:>SIZE_W$}")
}

fn line(s: &PlanState, row: Row, c: &Columns, theme: &Theme) -> Line<'static> {
    let sh = &s.set.sharing;
    match row {
        Row::Heading(i) => Line::styled(
            s.headings.get(i as usize).cloned().unwrap_or_default(),
            theme.header(),
        ),
        Row::Blank => Line::raw(""),
        Row::Note(i) => Line::raw(format!(
            "  {}",
            s.notes.get(i as usize).map_or("", String::as_str)
        )),
        Row::ImageHeader => {
            let mut text = format!("  {:<w$}", "IMAGE", w = c.name);
            text.push_str(&size_header("SIZE", s.sort == SharingSort::Size));
            text.push_str(&size_header("SHARED", false));
            text.push_str(&size_header("UNIQUE", s.sort == SharingSort::Unique));
            text.push_str(&size_header("AMORTIZED", s.sort == SharingSort::Amortized));
            if c.verdict > 0 {
                text.push_str("  VERDICT");
            }
            Line::styled(text, theme.dim())
        }
        Row::Image(i) => {
            let i = i as usize;
            let Some(cells) = s.images.get(i) else {
                return Line::raw("");
            };
            let mut spans = vec![
                Span::styled(format!("{} ", letter(i)), theme.key()),
                Span::raw(format!("{:<w$}", clip(&cells.name, c.name), w = c.name)),
                Span::raw(format!(
                    "  {:>SIZE_W$}  {:>SIZE_W$}  {:>SIZE_W$}  {:>SIZE_W$}",
                    cells.size, cells.shared, cells.unique, cells.amortized
                )),
            ];
            if c.verdict > 0 {
                let verdict = if cells.role.is_empty() {
                    cells.verdict.clone()
                } else {
                    format!("{} · {}", cells.role, cells.verdict)
                };
                spans.push(Span::styled(
                    format!("  {}", clip(&verdict, c.verdict)),
                    theme.dim(),
                ));
            }
            Line::from(spans)
        }
        Row::MatrixHeader => {
            let letters: String = (0..c.marks).map(letter).collect();
            let more = if c.marks < s.set.names.len() {
                format!(
                    " · columns: first {} of {} images",
                    c.marks,
                    s.set.names.len()
                )
            } else {
                String::new()
            };
            Line::styled(
                format!(
                    "{:>4} {:>SIZE_W$} {:BAR_W$} {letters}  COMMAND{more}",
                    "#", "SIZE", ""
                ),
                theme.dim(),
            )
        }
        Row::Layer(id) => {
            let id = id as usize;
            let (Some(cells), Some(layer)) = (s.layers.get(id), sh.layers.get(id)) else {
                return Line::raw("");
            };
            let mut spans = vec![
                Span::raw(format!("{id:>4}")),
                if cells.reclaimable {
                    Span::styled("!", theme.waste())
                } else {
                    Span::raw(" ")
                },
                Span::raw(format!("{:>SIZE_W$} ", cells.size)),
                Span::styled(bar(cells.fraction, BAR_W), theme.bar()),
                Span::raw(" "),
            ];
            for i in 0..c.marks {
                spans.push(if layer.users.binary_search(&i).is_ok() {
                    Span::styled("●", theme.gauge())
                } else {
                    Span::styled("·", theme.dim())
                });
            }
            spans.push(Span::raw(format!(
                "  {}",
                clip(&cells.command, c.command.max(1))
            )));
            Line::from(spans)
        }
        Row::Base(b) => {
            let Some(base) = sh.bases.get(b as usize) else {
                return Line::raw("");
            };
            let users: Vec<String> = base.images.iter().map(|&i| letter(i).to_string()).collect();
            Line::raw(format!(
                "  {} · {} · images {}",
                clip(&esc(&base.name), 60),
                base.bytes
                    .size
                    .map_or_else(|| hs(base.bytes.compressed), hs),
                users.join(", ")
            ))
        }
        Row::Plan(k) => {
            let Some(cells) = s.plan.get(k as usize) else {
                return Line::raw("");
            };
            let verdict = if cells.worth_it {
                Span::styled("WORTH IT ", theme.waste())
            } else {
                Span::styled("not worth", theme.dim())
            };
            Line::from(vec![
                Span::raw(format!("  {:>2}. {:<6} ", k + 1, cells.kind)),
                Span::styled(
                    format!("{:<RISK_W$}", cells.risk.key()),
                    theme.risk(cells.risk),
                ),
                Span::raw(" "),
                Span::styled(format!("{:>SIZE_W$}", cells.node_saving), theme.waste()),
                Span::raw(format!(" {:>5}  ", cells.share)),
                verdict,
                Span::raw(format!("  {}", clip(&cells.what, c.command.max(20) + 40))),
            ])
        }
        Row::Package(k) => Line::raw(format!(
            "  {}",
            s.packages.get(k as usize).map_or("", |c| c.line.as_str())
        )),
        Row::Pair(p) => {
            let Some(pair) = s.set.content.pairs.get(p as usize) else {
                return Line::raw("");
            };
            let name = |i: usize| s.images.get(i).map_or("?", |c| c.name.as_str());
            Line::raw(format!(
                "  {} {} ↔ {} {}: {} in common, {} of it in separate layers",
                letter(pair.a),
                clip(name(pair.a), 30),
                letter(pair.b),
                clip(name(pair.b), 30),
                hs(pair.common_bytes),
                hs(pair.separate_bytes)
            ))
        }
    }
}

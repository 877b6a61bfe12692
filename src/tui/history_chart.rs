//! `imgscope history NAME` in a terminal: the recorded size of an image over time as a chart
//! (size solid, compressed dim; the points where a layer appeared or grew marked), above the list
//! of points under column headers (record, when, commit, branch, size, compressed, reclaimable,
//! change: a narrow terminal drops commit, branch and compressed first, never the change), and a
//! box with the picked point's details (its full commit, branch and image, its sizes and
//! reclaimable bytes against the previous point's, and the layer that appeared or grew most).
//! ↑/↓ pick a point, which the chart highlights; q quits; ? opens the help. It reads the same
//! points as the text table and the reports' trend ([`crate::history::points`]), and takes its
//! colours from the viewer's theme (config.toml's `[theme]`).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use super::action::Action;
use super::config_file::ViewerConfig;
use super::keys::{KeyTable, Screen};
use super::theme::Palette;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Widget};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::history::Record;
use crate::history::points::{LayerMove, Point, points};
use crate::text::{clean_command, escape_control, human_size, short, signed_size};

/// The chart's state: the series, the point picked, and whether to quit.
pub struct HistoryChart {
    name: String,
    database: String,
    points: Vec<Point>,
    /// Each point's image as its record names it (its `repo:tag`, else the input given) and the
    /// manifest's digest when recorded, escaped.
    images: Vec<(String, Option<String>)>,
    /// The point picked (the latest at first).
    pub selected: usize,
    color: bool,
    palette: Palette,
    /// The keys in effect: the one key table's `History` bindings, with the user's `[keys]`.
    keys: KeyTable,
    /// The help is open over the chart.
    pub help: bool,
    pub quit: bool,
    /// Quit by Ctrl-C: exit status 130.
    pub interrupted: bool,
}

impl HistoryChart {
    pub fn new(name: &str, database: &str, records: &[Record], color: bool) -> HistoryChart {
        let points = points(records);
        let images = records
            .iter()
            .map(|r| {
                let image = r.image_name.as_deref().unwrap_or(&r.input);
                (
                    escape_control(image).into_owned(),
                    r.manifest_digest
                        .as_deref()
                        .map(|d| escape_control(d).into_owned()),
                )
            })
            .collect();
        HistoryChart {
            images,
            name: escape_control(name).into_owned(),
            database: escape_control(database).into_owned(),
            selected: points.len().saturating_sub(1),
            points,
            color,
            palette: Palette::DEFAULT,
            keys: KeyTable::default(),
            help: false,
            quit: false,
            interrupted: false,
        }
    }

    /// The user's `[theme]`, as the viewer takes it: its palette, and `no-color` turns colour off.
    pub fn configure(&mut self, config: &ViewerConfig) {
        self.palette = config.palette;
        self.keys = KeyTable::with_keys(&config.keys);
        if config.no_color {
            self.color = false;
        }
    }

    /// A key, as the key table's `History` bindings map it (the user's `[keys]` included): pick
    /// a point, open or close the help, quit; Ctrl-C quits with status 130. With the help open,
    /// any key closes it, bound or not (Ctrl-C still quits).
    pub fn key(&mut self, key: KeyEvent) {
        let action = self.keys.map_key(&key, Screen::History);
        if self.help && action != Some(Action::Interrupt) {
            self.help = false;
            return;
        }
        if let Some(action) = action {
            self.update(action);
        }
    }

    /// Apply an action: with the help open, anything but Ctrl-C closes it.
    pub fn update(&mut self, action: Action) {
        let last = self.points.len().saturating_sub(1);
        if action == Action::Interrupt {
            self.quit = true;
            self.interrupted = true;
            return;
        }
        if self.help {
            self.help = false;
            return;
        }
        match action {
            Action::Quit | Action::Escape => self.quit = true,
            Action::ToggleHelp => self.help = true,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::Home => self.selected = 0,
            Action::End => self.selected = last,
            _ => {}
        }
    }

    /// The hint line: the table's `History` hints with their keys (the user's, when remapped).
    fn hint_line(&self) -> String {
        let mut line = String::new();
        for (key, word) in self.keys.hints(Screen::History) {
            line.push_str(&format!(" {key} {word} "));
        }
        line.push_str("  ● a layer appeared or grew");
        line
    }

    fn style(&self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    pub fn draw(&self, area: Rect, buf: &mut Buffer) {
        if area.width < 10 || area.height < 6 {
            return;
        }
        // The details under the list, as tall as they are (at most two fifths of the terminal);
        // the chart takes more of a tall terminal.
        let most = (area.height * 2 / 5).saturating_sub(2);
        let details = self.detail_lines(area.width.saturating_sub(3) as usize, most as usize);
        let details_height = (details.len() as u16 + 2).min(most + 2);
        let chart_share = match area.height {
            40.. => 45,
            30.. => 35,
            _ => 30,
        };
        let [title, chart, list, details_area, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Percentage(chart_share),
            Constraint::Min(4),
            Constraint::Length(details_height),
            Constraint::Length(1),
        ])
        .areas(area);
        let first = self.points.first().map_or(0, |p| p.size);
        let last = self.points.last().map_or(0, |p| p.size);
        buf.set_line(
            title.x,
            title.y,
            &Line::from(fit(
                &format!(
                    " History {} · {} records in {} · {} → {}",
                    self.name,
                    self.points.len(),
                    self.database,
                    human_size(first),
                    human_size(last)
                ),
                title.width as usize,
            )),
            title.width,
        );
        self.draw_chart(chart, buf);
        self.draw_list(list, buf);
        self.draw_details(&details, details_area, buf);
        if self.help {
            self.draw_help(area, buf);
        }
        buf.set_line(
            hints.x,
            hints.y,
            &Line::styled(
                self.hint_line(),
                Style::default().add_modifier(Modifier::DIM),
            ),
            hints.width,
        );
    }

    fn draw_chart(&self, area: Rect, buf: &mut Buffer) {
        let xy = |value: fn(&Point) -> u64| -> Vec<(f64, f64)> {
            self.points
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, value(p) as f64))
                .collect()
        };
        let size = xy(|p| p.size);
        let compressed = xy(|p| p.compressed);
        // What each deploy made a node pull (compressed), beside the size.
        let pulled: Vec<(f64, f64)> = self
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i as f64, p.pulled? as f64)))
            .collect();
        let moved: Vec<(f64, f64)> = self
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.moved().is_some())
            .map(|(i, p)| (i as f64, p.size as f64))
            .collect();
        let picked: Vec<(f64, f64)> = size.get(self.selected).copied().into_iter().collect();
        let max = self
            .points
            .iter()
            .map(|p| p.size.max(p.compressed))
            .max()
            .unwrap_or(0)
            .max(1);
        let x_max = (self.points.len().saturating_sub(1)).max(1) as f64;
        let when = |i: usize| {
            self.points
                .get(i)
                .map_or(String::new(), |p| p.when.chars().take(10).collect())
        };
        let datasets = vec![
            Dataset::default()
                .name("compressed")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(self.style(self.palette.dim))
                .data(&compressed),
            Dataset::default()
                .name("pulled")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(self.style(self.palette.found))
                .data(&pulled),
            Dataset::default()
                .name("size")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(self.style(self.palette.accent))
                .data(&size),
            Dataset::default()
                .name("layer moved")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(self.style(self.palette.removed))
                .data(&moved),
            Dataset::default()
                .name("picked")
                .marker(Marker::Block)
                .graph_type(GraphType::Scatter)
                .style(self.style(self.palette.found))
                .data(&picked),
        ];
        Chart::new(datasets)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Size over time "),
            )
            .x_axis(
                Axis::default()
                    .bounds([0.0, x_max])
                    .labels([when(0), when(self.points.len().saturating_sub(1))]),
            )
            .y_axis(Axis::default().bounds([0.0, max as f64 * 1.05]).labels([
                "0 B".to_string(),
                human_size(max / 2),
                human_size(max),
            ]))
            .render(area, buf);
    }

    /// The help over the chart: every `History` binding with its keys, from the key table.
    fn draw_help(&self, area: Rect, buf: &mut Buffer) {
        let entries: Vec<(String, &str)> = self
            .keys
            .entries()
            .iter()
            .filter(|e| e.screen == Screen::History)
            .map(|e| {
                let keys: Vec<String> = e.keys.iter().map(super::keys::label).collect();
                (keys.join(" "), e.help)
            })
            .collect();
        let mut lines: Vec<Line> = vec![
            Line::from(" The chart: size solid, compressed dim; ● a layer appeared or grew."),
            Line::from(" Esc or any other key closes this help; Ctrl-C quits."),
            Line::from(""),
        ];
        lines.extend(
            entries
                .iter()
                .map(|(keys, help)| Line::from(format!(" {keys:<14} {help}"))),
        );
        let width = area.width.min(72);
        let height = (lines.len() as u16 + 2).min(area.height);
        let x = area.x + (area.width - width) / 2;
        let y = area.y + (area.height - height) / 2;
        let spot = Rect::new(x, y, width, height);
        ratatui::widgets::Clear.render(spot, buf);
        let block = Block::default().borders(Borders::ALL).title(" Help ");
        let inner = block.inner(spot);
        block.render(spot, buf);
        for (i, line) in lines.iter().take(inner.height as usize).enumerate() {
            buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
        }
    }

    /// The list of points under its column headers, the picked one reversed and kept in view.
    /// The columns that do not fit go, commit first, then branch and compressed (then when,
    /// reclaimable and size, on terminals narrower still), so that the change keeps its room;
    /// every kept column is as wide as its widest figure, so no number is cut.
    fn draw_list(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::default().borders(Borders::ALL).title(" Records ");
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let columns = self.columns(inner.width as usize);
        let header = columns
            .iter()
            .map(|c| c.pad(c.column.header()))
            .collect::<Vec<_>>();
        let mut head = format!("  {}", header.join(GAP));
        head.push_str(GAP);
        head.push_str("change");
        buf.set_line(
            inner.x,
            inner.y,
            &Line::styled(head, Style::default().add_modifier(Modifier::BOLD)),
            inner.width,
        );
        let rows = inner.height as usize - 1;
        if rows == 0 {
            return;
        }
        let fixed = columns_width(&columns);
        let room = (inner.width as usize).saturating_sub(fixed);
        // Keep the picked point in view, as low as it can be.
        let offset = (self.selected + 1).saturating_sub(rows);
        for (y, (i, p)) in self
            .points
            .iter()
            .enumerate()
            .skip(offset)
            .take(rows)
            .enumerate()
        {
            let mark = if p.moved().is_some() { "●" } else { " " };
            let cells: Vec<String> = columns.iter().map(|c| c.pad(&c.cells[i])).collect();
            let change = fit(&self.change_of(p), room);
            let line = Line::from(vec![
                Span::styled(mark, self.style(self.palette.removed)),
                Span::raw(format!(" {}{GAP}{change}", cells.join(GAP))),
            ]);
            let row = Rect::new(inner.x, inner.y + 1 + y as u16, inner.width, 1);
            buf.set_line(row.x, row.y, &line, row.width);
            if i == self.selected {
                buf.set_style(row, Style::default().add_modifier(Modifier::REVERSED));
            }
        }
    }

    /// A point's change, its command escaped (and cut only where the whole line is cut).
    fn change_of(&self, p: &Point) -> String {
        p.change(|c| escape_control(&short(c, 200)).into_owned())
    }

    /// The list's columns at `width`: all of them when the change keeps [`CHANGE_ROOM`] columns,
    /// else fewer, in [`DROP_ORDER`].
    fn columns(&self, width: usize) -> Vec<Cells> {
        let mut columns: Vec<Cells> = Column::ALL
            .iter()
            .map(|&column| {
                let cells: Vec<String> = self.points.iter().map(|p| column.cell(p)).collect();
                let width = cells
                    .iter()
                    .map(|c| c.width())
                    .chain([column.header().width()])
                    .max()
                    .unwrap_or(0);
                Cells {
                    column,
                    cells,
                    width,
                }
            })
            .collect();
        let mut drop = DROP_ORDER.iter();
        while columns_width(&columns) + CHANGE_ROOM.min(width / 3) > width {
            let Some(next) = drop.next() else { break };
            columns.retain(|c| c.column != *next);
        }
        columns
    }

    /// The picked point's details, one `label  value` line each, wrapped to `width` columns:
    /// when it was recorded, its full commit and branch, its image, its sizes and reclaimable
    /// bytes with their change from the previous point, and the layer that appeared or grew
    /// most (on two lines at most). When that is more than `most` lines, each is cut to one.
    fn detail_lines(&self, width: usize, most: usize) -> Vec<String> {
        let Some(p) = self.points.get(self.selected) else {
            return vec!["no record".to_string()];
        };
        let delta = p.delta.as_ref();
        let with = |now: u64, change: Option<i64>| match change {
            Some(d) => format!("{} ({})", human_size(now), signed_size(d)),
            None => human_size(now),
        };
        let git = match (&p.commit, &p.branch) {
            (Some(c), Some(b)) => format!("{} on {}", escape_control(c), escape_control(b)),
            (Some(c), None) => escape_control(c).into_owned(),
            (None, Some(b)) => format!("- on {}", escape_control(b)),
            (None, None) => "-".to_string(),
        };
        let change = match (delta, p.moved()) {
            (None, _) => "first record: nothing to compare with".to_string(),
            (Some(_), None) => "no layer appeared or grew".to_string(),
            (Some(_), Some(l)) => format!(
                "layer {} {} {}: {}",
                l.index,
                match l.change {
                    LayerMove::Appeared => "new",
                    LayerMove::Grew => "grew",
                },
                signed_size(l.delta_bytes),
                escape_control(&short(&clean_command(&l.command), 400))
            ),
        };
        let label = "reclaimable".len();
        let room = width.saturating_sub(label + 2).max(1);
        // The digest whole when the line has room for it, else its first 12 digits.
        let image = match &self.images[self.selected] {
            (name, None) => name.clone(),
            (name, Some(digest)) => {
                let whole = format!("{name} ({digest})");
                if whole.width() <= room {
                    whole
                } else {
                    let (algorithm, hex) = digest.split_once(':').unwrap_or(("", digest));
                    let hex: String = hex.chars().take(12).collect();
                    format!("{name} ({algorithm}:{hex}…)")
                }
            }
        };
        let fields: [(&str, String); 6] = [
            ("when", p.when.clone()),
            ("commit", git),
            ("image", image),
            (
                "size",
                format!(
                    "{}, compressed {}",
                    with(p.size, delta.map(|d| d.size_bytes)),
                    with(p.compressed, delta.map(|d| d.compressed_size_bytes))
                ),
            ),
            (
                "reclaimable",
                with(p.reclaimable, delta.map(|d| d.reclaimable_bytes)),
            ),
            ("change", change),
        ];
        let mut lines = Vec::new();
        for &(name, ref value) in &fields {
            let mut parts = wrap(value, room);
            if name == "change" && parts.len() > 2 {
                let rest = parts[1..].join(" ");
                parts.truncate(1);
                parts.push(fit(&rest, room));
            }
            for (i, part) in parts.into_iter().enumerate() {
                let name = if i == 0 { name } else { "" };
                lines.push(format!("{name:<label$}  {part}"));
            }
        }
        if lines.len() > most {
            return fields
                .iter()
                .map(|(name, value)| format!("{name:<label$}  {}", fit(value, room)))
                .collect();
        }
        lines
    }

    /// The box of the picked point's details.
    fn draw_details(&self, lines: &[String], area: Rect, buf: &mut Buffer) {
        let previous = self
            .selected
            .checked_sub(1)
            .and_then(|i| self.points.get(i));
        let title = match (self.points.get(self.selected), previous) {
            (Some(p), Some(before)) => format!(" Record #{}, against #{} ", p.id, before.id),
            (Some(p), None) => format!(" Record #{} ", p.id),
            (None, _) => " Record ".to_string(),
        };
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        for (i, line) in lines.iter().take(inner.height as usize).enumerate() {
            buf.set_line(
                inner.x + 1,
                inner.y + i as u16,
                &Line::from(line.as_str()),
                inner.width.saturating_sub(1),
            );
        }
    }
}

/// Between two columns.
const GAP: &str = "  ";

/// The room the change column keeps (at most a third of the list) before columns are dropped.
const CHANGE_ROOM: usize = 28;

/// The columns a narrow list drops, first to last: the change column is never dropped.
const DROP_ORDER: [Column; 7] = [
    Column::Commit,
    Column::Branch,
    Column::Compressed,
    Column::Pulled,
    Column::When,
    Column::Reclaimable,
    Column::Size,
];

/// A column of the list of points (the change, last, takes what is left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    When,
    Commit,
    Branch,
    Size,
    Compressed,
    /// What a node running the previous record pulls (compressed).
    Pulled,
    Reclaimable,
}

impl Column {
    const ALL: [Column; 8] = [
        Column::Id,
        Column::When,
        Column::Commit,
        Column::Branch,
        Column::Size,
        Column::Compressed,
        Column::Pulled,
        Column::Reclaimable,
    ];

    fn header(self) -> &'static str {
        match self {
            Column::Id => "#",
            Column::When => "when",
            Column::Commit => "commit",
            Column::Branch => "branch",
            Column::Size => "size",
            Column::Compressed => "compressed",
            Column::Pulled => "pulled",
            Column::Reclaimable => "reclaimable",
        }
    }

    /// Sizes are right-aligned.
    fn right(self) -> bool {
        matches!(
            self,
            Column::Size | Column::Compressed | Column::Pulled | Column::Reclaimable
        )
    }

    fn cell(self, p: &Point) -> String {
        match self {
            Column::Id => format!("#{}", p.id),
            Column::When => p.when.clone(),
            Column::Commit => escape_control(&p.short_commit()).into_owned(),
            Column::Branch => {
                escape_control(&short(p.branch.as_deref().unwrap_or("-"), 12)).into_owned()
            }
            Column::Size => human_size(p.size),
            Column::Compressed => human_size(p.compressed),
            Column::Pulled => p.pulled.map_or_else(|| "-".to_string(), human_size),
            Column::Reclaimable => human_size(p.reclaimable),
        }
    }
}

/// A column with its cells (one a point) and its width (its widest cell or header).
struct Cells {
    column: Column,
    cells: Vec<String>,
    width: usize,
}

impl Cells {
    fn pad(&self, text: &str) -> String {
        let fill = " ".repeat(self.width.saturating_sub(text.width()));
        if self.column.right() {
            format!("{fill}{text}")
        } else {
            format!("{text}{fill}")
        }
    }
}

/// The columns a row takes before its change: the mark, a space, the cells and their gaps, and
/// the gap before the change.
fn columns_width(columns: &[Cells]) -> usize {
    2 + columns.iter().map(|c| c.width + GAP.len()).sum::<usize>()
}

/// `text` in `width` columns: whole when it fits, else cut at a space that is not inside a size
/// (`+1.2 MiB` is never cut between its number and its unit, nor a number anywhere), with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let room = width.saturating_sub(1);
    let mut used = 0;
    let mut cut = 0;
    for (i, c) in text.char_indices() {
        if c == ' ' && !starts_with_unit(&text[i + 1..]) {
            cut = i;
        }
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
    }
    if width == 0 {
        return String::new();
    }
    format!("{}…", text[..cut].trim_end())
}

/// `s` starts with a size's unit (`MiB`, `kB`, `B`…).
fn starts_with_unit(s: &str) -> bool {
    let word = s
        .split([' ', ';', ':', ',', ')'])
        .next()
        .unwrap_or_default();
    matches!(
        word,
        "B" | "KiB"
            | "MiB"
            | "GiB"
            | "TiB"
            | "PiB"
            | "EiB"
            | "kB"
            | "KB"
            | "MB"
            | "GB"
            | "TB"
            | "PB"
            | "EB"
    )
}

/// `text` in lines of at most `width` columns, broken at spaces where it can be, else anywhere.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut rest = text;
    while rest.width() > width {
        let mut end = 0;
        let mut used = 0;
        let mut space = None;
        for (i, c) in rest.char_indices() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                break;
            }
            if c == ' ' && i > 0 {
                space = Some(i);
            }
            used += w;
            end = i + c.len_utf8();
        }
        if end == 0 {
            // One character wider than the line: take it anyway.
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let cut = space
            .filter(|_| !rest[end..].starts_with(' '))
            .unwrap_or(end);
        lines.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() || lines.is_empty() {
        lines.push(rest.to_string());
    }
    lines
}

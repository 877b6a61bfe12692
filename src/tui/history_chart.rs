//! `imgscope history NAME` in a terminal: the recorded size of an image over time as a chart
//! (size solid, compressed dim; the points where a layer appeared or grew marked), above the list
//! of points with what moved at each. ↑/↓ pick a point, which the chart highlights; q quits. It
//! reads the same points as the text table and the reports' trend ([`crate::history::points`]), and
//! takes its colours from the viewer's theme (config.toml's `[theme]`).

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

use crate::history::Record;
use crate::history::points::{Point, points};
use crate::text::{escape_control, human_size, short};

/// The chart's state: the series, the point picked, and whether to quit.
pub struct HistoryChart {
    name: String,
    database: String,
    points: Vec<Point>,
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
        HistoryChart {
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
    /// a point, open or close the help, quit; Ctrl-C quits with status 130.
    pub fn key(&mut self, key: KeyEvent) {
        let Some(action) = self.keys.map_key(&key, Screen::History) else {
            return;
        };
        self.update(action);
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
        let [title, chart, list, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Percentage(55),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        let first = self.points.first().map_or(0, |p| p.size);
        let last = self.points.last().map_or(0, |p| p.size);
        buf.set_line(
            title.x,
            title.y,
            &Line::from(format!(
                " History {} · {} records in {} · {} → {}",
                self.name,
                self.points.len(),
                self.database,
                human_size(first),
                human_size(last)
            )),
            title.width,
        );
        self.draw_chart(chart, buf);
        self.draw_list(list, buf);
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
            Line::from(" Any key closes this help; Ctrl-C quits."),
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

    fn draw_list(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::default().borders(Borders::ALL).title(" Records ");
        let inner = block.inner(area);
        block.render(area, buf);
        let rows = inner.height as usize;
        if rows == 0 {
            return;
        }
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
            let line = Line::from(vec![
                Span::styled(mark, self.style(self.palette.removed)),
                Span::raw(format!(
                    " #{:<4} {}  {:<12}  {:<12} {:>10} {:>10}  {}",
                    p.id,
                    p.when,
                    escape_control(&p.short_commit()),
                    escape_control(&short(p.branch.as_deref().unwrap_or("-"), 12)),
                    human_size(p.size),
                    human_size(p.compressed),
                    p.change(|c| escape_control(&short(c, 200)).into_owned())
                )),
            ]);
            let row = Rect::new(inner.x, inner.y + y as u16, inner.width, 1);
            buf.set_line(row.x, row.y, &line, row.width);
            if i == self.selected {
                buf.set_style(row, Style::default().add_modifier(Modifier::REVERSED));
            }
        }
    }
}

//! `imgscope history NAME` in a terminal: the recorded size of an image over time as a chart
//! (size solid, compressed dim; the points where a layer appeared or grew marked), above the list
//! of points with what moved at each. ↑/↓ pick a point, which the chart highlights; q quits. It
//! reads the same points as the text table and the reports' trend ([`crate::history::points`]), and
//! takes its colours from the viewer's theme (config.toml's `[theme]`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use super::config_file::ViewerConfig;
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
    pub quit: bool,
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
            quit: false,
        }
    }

    /// The user's `[theme]`, as the viewer takes it: its palette, and `no-color` turns colour off.
    pub fn configure(&mut self, config: &ViewerConfig) {
        self.palette = config.palette;
        if config.no_color {
            self.color = false;
        }
    }

    /// Move or quit: ↑/k, ↓/j, PgUp/PgDn, g/Home, G/End; q, Esc, Ctrl-C.
    pub fn key(&mut self, key: KeyEvent) {
        let last = self.points.len().saturating_sub(1);
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit = true,
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(10),
            KeyCode::PageDown => self.selected = (self.selected + 10).min(last),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = last,
            _ => {}
        }
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
        buf.set_line(
            hints.x,
            hints.y,
            &Line::styled(
                " ↑↓ pick a point  g/G first/last  q quit   ● a layer appeared or grew",
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

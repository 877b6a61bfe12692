//! `imgscope releases IMAGE…` on a terminal: what each deploy of a series makes a node pull. A bar
//! chart of each release's pull (compressed bytes, as a node fetches them), the part of it that was
//! really new beside it; the list of releases under it; and the picked release's changed layers —
//! each with its command, its bytes, how much of it the node already had, and its largest new files
//! — then the series' stabilize actions. It reads the same [`crate::analysis::releases::Series`]
//! as the text and JSON reports, and takes its keys from the one key table (`Screen::Releases`).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Clear, Widget};

use super::action::Action;
use super::config_file::ViewerConfig;
use super::keys::{KeyTable, Screen};
use super::theme::Palette;
use crate::analysis::releases::{ReleaseFacts, Series};
use crate::text::{clip, escape_control, human_size, one_line_command, rough_percent};

/// One release as the view shows it, formatted once (every image string escaped).
struct ReleaseRow {
    name: String,
    /// `None` for the first release: a node starts from nothing.
    pull: Option<(u64, u64, u64)>,
    /// The layers it changed: (position, command, bytes, compressed, already had, new files).
    layers: Vec<LayerRow>,
}

struct LayerRow {
    position: usize,
    command: String,
    size: u64,
    compressed: u64,
    already_had: u64,
    known: bool,
    new_files: Vec<(String, u64)>,
}

/// The view's state: the series, the release picked, help, and whether to quit.
pub struct ReleaseChart {
    title: String,
    rows: Vec<ReleaseRow>,
    summary: String,
    stabilize: Vec<String>,
    /// The release picked (the last at first).
    pub selected: usize,
    color: bool,
    palette: Palette,
    keys: KeyTable,
    pub help: bool,
    pub quit: bool,
    /// Quit by Ctrl-C: exit status 130.
    pub interrupted: bool,
}

impl ReleaseChart {
    pub fn new(facts: &[ReleaseFacts], series: &Series, color: bool) -> ReleaseChart {
        let mut rows: Vec<ReleaseRow> = facts
            .iter()
            .map(|f| ReleaseRow {
                name: clip(&escape_control(&f.name), 120).into_owned(),
                pull: None,
                layers: Vec::new(),
            })
            .collect();
        for step in &series.steps {
            let Some(row) = rows.get_mut(step.release) else {
                continue;
            };
            let t = &step.totals;
            row.pull = Some((t.pull_compressed_bytes, t.pull_bytes, t.already_had_bytes));
            row.layers = step
                .layers
                .iter()
                .map(|l| LayerRow {
                    position: l.index,
                    command: clip(&escape_control(&one_line_command(&l.created_by, 300)), 300)
                        .into_owned(),
                    size: l.size,
                    compressed: l.compressed,
                    already_had: l.already_had,
                    known: l.known,
                    new_files: l
                        .new_files
                        .iter()
                        .map(|(p, b)| (clip(&escape_control(p), 200).into_owned(), *b))
                        .collect(),
                })
                .collect();
        }
        let name = facts
            .last()
            .map_or(String::new(), |f| escape_control(&f.name).into_owned());
        let summary = format!(
            "{} releases · a node pulled {} ({} compressed) over {} deploys, {} per deploy; {} of it content it already had",
            facts.len(),
            human_size(series.total.pull_bytes),
            human_size(series.total.pull_compressed_bytes),
            series.steps.len(),
            human_size(series.mean.pull_compressed_bytes),
            rough_percent(
                series.total.already_had_bytes as f64 / series.total.pull_bytes.max(1) as f64
            ),
        );
        let stabilize = series
            .stabilize
            .iter()
            .map(|s| {
                format!(
                    "stabilize layer {} ({}): changed in {} of {} releases, {} already on the node; saves {} per release ({} compressed)",
                    s.position,
                    clip(&escape_control(&one_line_command(&s.created_by, 120)), 120),
                    s.changed,
                    s.releases,
                    rough_percent(s.already_had_share),
                    human_size(s.per_release_saving),
                    human_size(s.per_release_pull_saving),
                )
            })
            .collect();
        ReleaseChart {
            title: format!(" Releases of {} ", clip(&name, 120)),
            selected: rows.len().saturating_sub(1),
            rows,
            summary,
            stabilize,
            color,
            palette: Palette::DEFAULT,
            keys: KeyTable::default(),
            help: false,
            quit: false,
            interrupted: false,
        }
    }

    /// The user's `[theme]` and `[keys]`, as the viewer takes them.
    pub fn configure(&mut self, config: &ViewerConfig) {
        self.palette = config.palette;
        self.keys = KeyTable::with_keys(&config.keys);
        if config.no_color {
            self.color = false;
        }
    }

    /// A key, as the key table's `Releases` bindings map it; Ctrl-C quits with status 130.
    pub fn key(&mut self, key: KeyEvent) {
        match self.keys.map_key(&key, Screen::Releases) {
            Some(action) => self.update(action),
            // Any other key closes the help too.
            None => self.help = false,
        }
    }

    /// Apply an action: with the help open, anything but Ctrl-C closes it.
    pub fn update(&mut self, action: Action) {
        let last = self.rows.len().saturating_sub(1);
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
            Action::Up | Action::Left => self.selected = self.selected.saturating_sub(1),
            Action::Down | Action::Right => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::Home => self.selected = 0,
            Action::End => self.selected = last,
            _ => {}
        }
    }

    fn style(&self, color: ratatui::style::Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    pub fn draw(&self, area: Rect, buf: &mut Buffer) {
        if area.width < 20 || area.height < 8 {
            return;
        }
        let [summary, chart, body, hints] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Percentage(40),
            Constraint::Min(4),
            Constraint::Length(1),
        ])
        .areas(area);
        for (k, part) in super::format::wrap(
            &self.summary,
            summary.width as usize,
            summary.width as usize,
        )
        .into_iter()
        .take(2)
        .enumerate()
        {
            buf.set_stringn(
                summary.x,
                summary.y + k as u16,
                part,
                summary.width as usize,
                Style::default(),
            );
        }
        self.draw_chart(chart, buf);
        let [list, details] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(body);
        self.draw_list(list, buf);
        self.draw_details(details, buf);
        let mut hint = String::new();
        for (key, word) in self.keys.hints(Screen::Releases) {
            hint.push_str(&format!(" {key} {word} "));
        }
        hint.push_str("  bars: pulled (compressed), and of it really new");
        buf.set_stringn(
            hints.x,
            hints.y,
            hint,
            hints.width as usize,
            Style::default().add_modifier(Modifier::DIM),
        );
        if self.help {
            self.draw_help(area, buf);
        }
    }

    /// Two bars per release: what a node pulled (compressed), and the part of it that was really
    /// new (the uncompressed share it lacked, applied to the compressed bytes).
    fn draw_chart(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!("{}· pull per deploy ", self.title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height < 2 || self.rows.is_empty() {
            return;
        }
        // As many releases as fit, the picked one in view.
        let per = 6u16;
        let fit = usize::from((inner.width / per).max(1));
        let first = (self.selected + 1).saturating_sub(fit);
        let groups: Vec<BarGroup> = self
            .rows
            .iter()
            .enumerate()
            .skip(first)
            .take(fit)
            .map(|(i, r)| {
                let (pulled, new) = match r.pull {
                    Some((compressed, size, had)) => {
                        let new_share = size.saturating_sub(had) as f64 / size.max(1) as f64;
                        (compressed, (compressed as f64 * new_share) as u64)
                    }
                    None => (0, 0),
                };
                let picked = i == self.selected;
                let mark = |s: Style| {
                    if picked {
                        s.add_modifier(Modifier::REVERSED)
                    } else {
                        s
                    }
                };
                BarGroup::default()
                    .label(Line::from(format!("#{}", i + 1)))
                    .bars(&[
                        Bar::default()
                            .value(pulled)
                            .text_value(String::new())
                            .style(mark(self.style(self.palette.accent))),
                        Bar::default()
                            .value(new)
                            .text_value(String::new())
                            .style(mark(self.style(self.palette.removed))),
                    ])
            })
            .collect();
        let mut chart = BarChart::default().bar_width(2).bar_gap(0).group_gap(2);
        for g in groups {
            chart = chart.data(g);
        }
        chart.render(inner, buf);
    }

    fn draw_list(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::default().borders(Borders::ALL).title(" Releases ");
        let inner = block.inner(area);
        block.render(area, buf);
        let rows = inner.height as usize;
        if rows < 2 {
            return;
        }
        let header = format!("{:>3} {:>10} {:>6}  {}", "#", "pulled", "new", "release");
        buf.set_stringn(
            inner.x,
            inner.y,
            header,
            inner.width as usize,
            Style::default().add_modifier(Modifier::BOLD),
        );
        let rows = rows - 1;
        let offset = (self.selected + 1).saturating_sub(rows);
        for (y, (i, r)) in self
            .rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(rows)
            .enumerate()
        {
            let (pulled, new) = match r.pull {
                Some((compressed, size, had)) => (
                    human_size(compressed),
                    rough_percent(size.saturating_sub(had) as f64 / size.max(1) as f64),
                ),
                None => ("first".to_string(), "–".to_string()),
            };
            let line = format!("{:>3} {:>10} {:>6}  {}", i + 1, pulled, new, r.name);
            let row = Rect::new(inner.x, inner.y + 1 + y as u16, inner.width, 1);
            buf.set_stringn(row.x, row.y, line, row.width as usize, Style::default());
            if i == self.selected {
                buf.set_style(row, Style::default().add_modifier(Modifier::REVERSED));
            }
        }
    }

    /// The picked release: what it pulled, layer by layer, then the series' stabilize actions.
    fn draw_details(&self, area: Rect, buf: &mut Buffer) {
        let Some(r) = self.rows.get(self.selected) else {
            return;
        };
        let block = Block::default().borders(Borders::ALL).title(format!(
            " #{} {} ",
            self.selected + 1,
            clip(&r.name, 60)
        ));
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        let mut lines: Vec<String> = Vec::new();
        match r.pull {
            None => lines.push("the first release: a node without it pulls all of it".into()),
            Some((compressed, size, had)) => {
                lines.push(format!(
                    "a node running #{} pulls {} ({} compressed) in {} layer{}; {} of it content it already had",
                    self.selected,
                    human_size(size),
                    human_size(compressed),
                    r.layers.len(),
                    if r.layers.len() == 1 { "" } else { "s" },
                    human_size(had),
                ));
                for l in &r.layers {
                    let had = if l.known {
                        format!(
                            "{} already had",
                            rough_percent(l.already_had as f64 / l.size.max(1) as f64)
                        )
                    } else {
                        "already had: not known".to_string()
                    };
                    lines.push(format!(
                        "layer {}: {} ({} compressed), {had} — {}",
                        l.position,
                        human_size(l.size),
                        human_size(l.compressed),
                        l.command
                    ));
                    for (path, bytes) in l.new_files.iter().take(3) {
                        lines.push(format!("    new: {path} ({})", human_size(*bytes)));
                    }
                }
            }
        }
        if !self.stabilize.is_empty() {
            lines.push(String::new());
            lines.extend(self.stabilize.iter().cloned());
        }
        let mut y = 0u16;
        for line in &lines {
            for (k, part) in super::format::wrap(line, width, width.saturating_sub(4))
                .into_iter()
                .enumerate()
            {
                if y >= inner.height {
                    return;
                }
                let indent = if k == 0 { "" } else { "    " };
                buf.set_stringn(
                    inner.x,
                    inner.y + y,
                    format!("{indent}{part}"),
                    width,
                    Style::default(),
                );
                y += 1;
            }
        }
    }

    /// The help over the view: every `Releases` binding with its keys, from the key table.
    fn draw_help(&self, area: Rect, buf: &mut Buffer) {
        let mut lines: Vec<String> = vec![
            " Bars: what a node running the previous release pulls (compressed), and the part"
                .into(),
            " of it that was really new. Any key closes this help; Ctrl-C quits.".into(),
            String::new(),
        ];
        for e in self
            .keys
            .entries()
            .iter()
            .filter(|e| e.screen == Screen::Releases)
        {
            let keys: Vec<String> = e.keys.iter().map(super::keys::label).collect();
            lines.push(format!(" {:<14} {}", keys.join(" "), e.help));
        }
        let width = area.width.min(88);
        let height = (lines.len() as u16 + 2).min(area.height);
        let spot = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height - height) / 2,
            width,
            height,
        );
        Clear.render(spot, buf);
        let block = Block::default().borders(Borders::ALL).title(" Help ");
        let inner = block.inner(spot);
        block.render(spot, buf);
        for (i, line) in lines.iter().take(inner.height as usize).enumerate() {
            buf.set_stringn(
                inner.x,
                inner.y + i as u16,
                line,
                inner.width as usize,
                Style::default(),
            );
        }
    }
}

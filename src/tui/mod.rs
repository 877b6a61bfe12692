//! The interactive viewer: layers, the file tree at any layer, details, and the waste view, over the
//! same [`crate::analysis::Analysis`] the JSON and text reports print. The only module that touches
//! ratatui and crossterm.
//!
//! The viewer opens at once: images load on a worker thread (`loader`) while the UI polls their
//! progress. State ([`app`], per image [`viewer`]) changes only through `App::update`
//! ([`action`]); keys and mouse become actions in [`keys`]; [`views`] draws the state, only after
//! an event. The file tree is a flat list of visible rows ([`tree_state`]) over per-layer numbers
//! ([`stats`]), with a path filter ([`filter`]) and the waste list ([`waste_list`]). A file's
//! contents are read and exported on worker threads ([`content`]); with several images, the
//! sharing view ([`sharing`]) shows what they share. For `imgscope diff OLD NEW` ([`run_diff`]) the
//! one image is NEW, its tree and layers marked against OLD ([`diff_marks`]), with what only OLD
//! has in a list of its own ([`removed_list`]). The user's keys and colours come from
//! [`config_file`]. [`terminal`] makes sure the terminal is given back
//! whatever happens.

pub mod action;
pub mod app;
pub mod config_file;
pub mod content;
mod content_update;
pub mod diff_marks;
pub mod filter;
pub mod format;
pub mod history_chart;
mod input_line;
pub mod keys;
pub mod layout;
mod loader;
mod mouse;
mod plan_details;
pub mod plan_state;
mod plan_update;
pub mod release_chart;
pub mod removed_list;
pub mod screen;
pub mod stats;
pub mod terminal;
pub mod theme;
pub mod tree_state;
mod update;
pub mod viewer;
pub mod views;
pub mod waste_list;

use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use crossterm::event;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::pipeline::load::{LoadOptions, Progress};
use action::Action;
use app::App;

/// How often the screen refreshes while an image loads (progress), or a file is read or exported.
const LOADING_TICK: Duration = Duration::from_millis(100);
/// How long to wait for input before checking for signals again.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Open the viewer on `images` (inputs as given on the command line); returns when the user quits.
/// `clipboard`: `y` and `Y` may copy through the terminal (not `--no-clipboard`).
pub fn run(
    images: Vec<String>,
    options: LoadOptions,
    color: bool,
    worth: crate::analysis::plan::Worth,
    clipboard: bool,
) -> Result<u8> {
    let progress: Vec<Arc<Progress>> = images.iter().map(|_| Arc::default()).collect();
    let (tx, rx) = channel();
    // A bad config.toml is one line on stderr before the terminal is taken.
    let config = config_file::load().map_err(anyhow::Error::msg)?;
    let mut app = App::new(images.clone(), progress.clone(), rx, color, Instant::now());
    app.configure(&config);
    app.worth = worth;
    app.clipboard = clipboard && io::stdout().is_terminal();
    loader::spawn(images, options, progress, tx).context("starting the loader thread")?;
    run_app(&mut app)?;
    Ok(report_failures(&app))
}

/// The exit status after Ctrl-C, as other terminal programs give (128 + SIGINT).
const INTERRUPTED: u8 = 130;

/// After the terminal is given back: each image that failed to load, one line on stderr; the exit
/// status says whether one did (2) or not (0), or 130 when the user quit with Ctrl-C.
fn report_failures(app: &App) -> u8 {
    if app.interrupted() {
        return INTERRUPTED;
    }
    let failures = app.failures();
    for error in &failures {
        eprintln!("imgscope: {}", crate::text::escape_control(error));
    }
    if failures.is_empty() { 0 } else { 2 }
}

/// Open the viewer on `imgscope diff OLD NEW`: NEW, marked with what changed against OLD (both
/// load in the background); returns when the user quits, with the exit status.
pub fn run_diff(
    old: String,
    new: String,
    options: LoadOptions,
    color: bool,
    clipboard: bool,
) -> Result<u8> {
    let config = config_file::load().map_err(anyhow::Error::msg)?;
    let origin = app::DiffOrigin::new(old);
    let progress = Arc::<Progress>::default();
    let (tx, rx) = channel();
    let mut app = App::new_diff(
        origin.clone(),
        new.clone(),
        progress.clone(),
        rx,
        color,
        Instant::now(),
    );
    app.clipboard = clipboard && io::stdout().is_terminal();
    app.configure(&config);
    loader::spawn_diff(origin, new, progress, options, tx).context("starting the loader thread")?;
    run_app(&mut app)?;
    Ok(report_failures(&app))
}

/// Take over the terminal and run `app` until the user quits, giving the terminal back however it
/// ends.
fn run_app(app: &mut App) -> Result<()> {
    with_terminal(|term, signals| event_loop(term, app, signals))
}

/// The terminal taken over for `run`, and given back however it ends.
fn with_terminal(
    run: impl FnOnce(&mut Terminal<CrosstermBackend<io::Stdout>>, &terminal::Signals) -> Result<()>,
) -> Result<()> {
    let signals = terminal::Signals::register().context("installing signal handlers")?;
    let hook = terminal::PanicHook::install();
    let result = (|| -> Result<()> {
        terminal::enter().context("setting up the terminal")?;
        let _guard = terminal::Guard;
        let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        term.clear()?;
        run(&mut term, &signals)
    })();
    terminal::restore();
    drop(hook);
    signals.finish();
    result
}

/// A screen of its own that fills the terminal until the user quits: the history chart, the
/// release view.
pub trait FullScreen {
    fn draw(&self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer);
    fn key(&mut self, key: event::KeyEvent);
    fn quit(&self) -> bool;
    fn interrupted(&self) -> bool;
}

impl FullScreen for history_chart::HistoryChart {
    fn draw(&self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
        history_chart::HistoryChart::draw(self, area, buf);
    }
    fn key(&mut self, key: event::KeyEvent) {
        history_chart::HistoryChart::key(self, key);
    }
    fn quit(&self) -> bool {
        self.quit
    }
    fn interrupted(&self) -> bool {
        self.interrupted
    }
}

impl FullScreen for release_chart::ReleaseChart {
    fn draw(&self, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
        release_chart::ReleaseChart::draw(self, area, buf);
    }
    fn key(&mut self, key: event::KeyEvent) {
        release_chart::ReleaseChart::key(self, key);
    }
    fn quit(&self) -> bool {
        self.quit
    }
    fn interrupted(&self) -> bool {
        self.interrupted
    }
}

/// `imgscope history NAME` in a terminal: the size chart until the user quits.
pub fn run_history(chart: history_chart::HistoryChart) -> Result<u8> {
    let mut chart = chart;
    // A bad config.toml is one line on stderr before the terminal is taken, as for the viewer.
    chart.configure(&config_file::load().map_err(anyhow::Error::msg)?);
    run_full_screen(&mut chart)
}

/// `imgscope releases IMAGE…` in a terminal: the release view until the user quits.
pub fn run_releases(view: release_chart::ReleaseChart) -> Result<u8> {
    let mut view = view;
    view.configure(&config_file::load().map_err(anyhow::Error::msg)?);
    run_full_screen(&mut view)
}

/// Take the terminal for `screen` until it quits; 130 after Ctrl-C, else 0.
fn run_full_screen(screen: &mut impl FullScreen) -> Result<u8> {
    with_terminal(|term, signals| {
        let input = terminal::InputWait::new();
        let _ = event::poll(Duration::ZERO)?;
        while !screen.quit() && signals.caught().is_none() {
            term.draw(|f| screen.draw(f.area(), f.buffer_mut()))?;
            match input.wait(IDLE_POLL) {
                terminal::Waited::Gone => bail!("the terminal went away"),
                terminal::Waited::Timeout => {}
                terminal::Waited::Ready => {
                    while !screen.quit() && event::poll(Duration::ZERO)? {
                        if let event::Event::Key(key) = event::read()?
                            && key.kind != event::KeyEventKind::Release
                        {
                            screen.key(key);
                        }
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(if screen.interrupted() { INTERRUPTED } else { 0 })
}

fn event_loop(
    term: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    signals: &terminal::Signals,
) -> Result<()> {
    let input = terminal::InputWait::new();
    // Start crossterm's event source now, so that its SIGWINCH handler interrupts our waits.
    let _ = event::poll(Duration::ZERO)?;
    app.update(Action::Tick(Instant::now()));
    let mut dirty = true;
    while !app.should_quit() && signals.caught().is_none() {
        if dirty {
            let size = term.size()?;
            if (size.width, size.height) != (app.width, app.height) {
                app.update(Action::Resize {
                    width: size.width,
                    height: size.height,
                });
            }
            term.draw(|f| views::draw(f, app))?;
            dirty = false;
        }
        let wait = if app.is_busy() {
            LOADING_TICK
        } else {
            IDLE_POLL
        };
        match input.wait(wait) {
            terminal::Waited::Gone => bail!("the terminal went away"),
            terminal::Waited::Timeout => {}
            // Apply every pending event, then draw once.
            terminal::Waited::Ready => {
                while !app.should_quit() && event::poll(Duration::ZERO)? {
                    let ev = event::read()?;
                    match app.keys.map_event(&ev, app.screen()) {
                        Some(Action::Suspend) => {
                            terminal::suspend()?;
                            term.clear()?;
                            dirty = true;
                        }
                        Some(action) => {
                            app.update(action);
                            if let Some(text) = app.to_copy.take() {
                                terminal::copy_to_clipboard(&text)?;
                            }
                            dirty = true;
                        }
                        None => {}
                    }
                }
            }
        }
        if app.is_busy() {
            app.update(Action::Tick(Instant::now()));
            dirty = true;
        }
        // Nothing loaded: no viewer to show. The error goes to stderr once the terminal is back.
        if !app.is_loading() && app.all_failed() {
            break;
        }
    }
    Ok(())
}

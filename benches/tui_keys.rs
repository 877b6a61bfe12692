//! Per-keypress cost of the viewer on a huge image: a 1,000,000-file model is built in memory
//! (synthetic layer entries through `analysis::Merger`, no files), then each key of a sequence is
//! applied with `App::update` and the frame drawn into a ratatui `TestBackend`, and the time of
//! update + draw is recorded. Prints min / median / max per key.
//!
//!     cargo bench --bench tui_keys                      # 1,000,000 files, 15 rounds
//!     IMGSCOPE_BENCH_FILES=200000 cargo bench --bench tui_keys
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a quick smoke run on 20,000
//! files, so the benchmark keeps compiling and working.

#![allow(clippy::unwrap_used)]

// The viewer tests' support module, shared with the integration tests; this benchmark uses
// only part of it.
#[path = "../tests/it/tui_support/mod.rs"]
#[allow(dead_code)]
mod tui_support;

use std::time::{Duration, Instant};

use imgscope::tui::action::Action;
use imgscope::tui::app::{App, Pane};
use imgscope::tui::stats::LayerStats;
use imgscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

struct Bench {
    app: App,
    term: Terminal<TestBackend>,
    samples: Vec<(&'static str, Vec<Duration>)>,
}

impl Bench {
    /// Apply `action` and redraw, timing both, under `name`.
    fn key(&mut self, name: &'static str, action: Action) {
        let start = Instant::now();
        self.app.update(action);
        let app = &self.app;
        self.term.draw(|f| views::draw(f, app)).unwrap();
        let took = start.elapsed();
        match self.samples.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(took),
            None => self.samples.push((name, vec![took])),
        }
    }

    /// Apply without timing (setting up the next measured key).
    fn quiet(&mut self, action: Action) {
        self.app.update(action);
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let files: usize = std::env::var("IMGSCOPE_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 20_000 });
    let rounds = if full { 15 } else { 2 };

    let start = Instant::now();
    let loaded = tui_support::synthetic(files);
    let nodes = loaded.image.tree.node_count();
    println!(
        "model: {files} files, {nodes} nodes, {} layers, built in {:.2} s",
        loaded.image.layers.len(),
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let mut app = App::with_results(vec![("synthetic.tar".into(), Ok(loaded))], true);
    app.update(Action::Resize {
        width: WIDTH,
        height: HEIGHT,
    });
    let open = start.elapsed();
    let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    let start = Instant::now();
    term.draw(|f| views::draw(f, &app)).unwrap();
    let first_draw = start.elapsed();
    println!(
        "open (viewer over the analysis, last layer's stats): {} ms; first draw: {} ms",
        ms(open),
        ms(first_draw)
    );

    let mut b = Bench {
        app,
        term,
        samples: Vec::new(),
    };
    let layers = b.app.viewer().unwrap().layer_count();
    let mut visited = std::collections::HashSet::from([layers - 1]);
    for _ in 0..rounds {
        b.app.focus = Pane::Right;
        b.key("down", Action::Down);
        b.key("page down", Action::PageDown);
        b.key("expand (100 subdirs)", Action::Right);
        b.key("collapse", Action::Left);
        b.key("sort toggle", Action::ToggleSort);
        b.key("sort toggle", Action::ToggleSort);
        b.key("mode toggle", Action::ToggleMode);
        b.key("mode toggle", Action::ToggleMode);
        // Layer switches: a layer's first visit computes its stats (one O(nodes) pass), later
        // visits find them in the cache.
        b.app.focus = Pane::Layers;
        for step in std::iter::repeat_n(Action::Up, layers - 1)
            .chain(std::iter::repeat_n(Action::Down, layers - 1))
        {
            let v = b.app.viewer().unwrap();
            let target = if step == Action::Up {
                v.layer.saturating_sub(1)
            } else {
                v.layer + 1
            };
            let name = if visited.insert(target) {
                "layer switch, first visit"
            } else {
                "layer switch, cached"
            };
            b.key(name, step);
        }
        b.app.focus = Pane::Right;
        // A filter: the first character walks the tree once, the next ones only narrow it.
        b.quiet(Action::OpenFilter);
        b.key("filter 1st char (walk)", Action::InputChar('7'));
        b.key("filter next char (narrow)", Action::InputChar('7'));
        b.key("filter next char (narrow)", Action::InputChar('/'));
        b.key("filter backspace", Action::InputBackspace);
        b.key("filter cancel", Action::Escape);
        b.quiet(Action::OpenSearch);
        b.key("search char", Action::InputChar('d'));
        b.quiet(Action::Escape);
        b.key("biggest file jump", Action::NextBiggest);
        b.key("collapse all", Action::CollapseAll);
        b.key("waste view toggle", Action::ToggleWaste);
        b.key("waste view toggle", Action::ToggleWaste);
    }

    println!("\nper key, update + draw into a {WIDTH}x{HEIGHT} TestBackend, {rounds} rounds (ms):");
    println!(
        "{:<28} {:>5} {:>9} {:>9} {:>9}",
        "key", "n", "min", "median", "max"
    );
    for (name, mut v) in std::mem::take(&mut b.samples) {
        v.sort();
        println!(
            "{name:<28} {:>5} {:>9} {:>9} {:>9}",
            v.len(),
            ms(v[0]),
            ms(v[v.len() / 2]),
            ms(v[v.len() - 1])
        );
    }

    // The per-layer pass alone, for each layer, a few times.
    let v = b.app.viewer().unwrap();
    println!("\nLayerStats::compute alone (the cost of a layer's first visit), 5 runs (ms):");
    for layer in 0..layers {
        let mut t: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let stats = LayerStats::compute(v.file_tree(), layer, layer + 1 == layers);
                let took = start.elapsed();
                drop(stats);
                took
            })
            .collect();
        t.sort();
        println!(
            "layer {layer:<22} {:>5} {:>9} {:>9} {:>9}",
            t.len(),
            ms(t[0]),
            ms(t[t.len() / 2]),
            ms(t[t.len() - 1])
        );
    }

    // Expanding everything makes every node a row. The first time also orders every directory's
    // children by size (then cached); later rounds show the cost of the rows alone.
    b.app.focus = Pane::Right;
    let rounds = if full { 5 } else { 1 };
    let mut rows = 0;
    for _ in 0..rounds {
        b.key("expand all", Action::ExpandAll);
        rows = b.app.viewer().unwrap().tree.rows().len();
        b.key("down (all expanded)", Action::Down);
        b.key("page down (all expanded)", Action::PageDown);
        b.key("collapse all (all expanded)", Action::CollapseAll);
    }
    println!("\nwith every directory expanded ({rows} rows), {rounds} rounds (ms):");
    println!("{:<28} {:>9} {:>9} {:>9}", "key", "first", "median", "max");
    for (name, v) in &b.samples {
        let first = v[0];
        let mut t = v.clone();
        t.sort();
        println!(
            "{name:<28} {:>9} {:>9} {:>9}",
            ms(first),
            ms(t[t.len() / 2]),
            ms(t[t.len() - 1])
        );
    }
}

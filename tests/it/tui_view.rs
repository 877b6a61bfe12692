//! The viewer as drawn: the app is rendered into ratatui's `TestBackend` and snapshotted with insta,
//! at several terminal sizes, with and without colour (the styled snapshots record every cell's
//! colour and emphasis). Also: no control character from an image ever reaches the screen, odd
//! images (no layers, huge names, deep paths, tiny terminals) draw without panicking, and a diff
//! (`imgscope diff OLD NEW`) draws its header, marks, deltas and removed list.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::tui_support::*;
use imgscope::pipeline::load::Progress;
use imgscope::text::human_size;
use imgscope::tui::action::Action;
use imgscope::tui::app::{App, DiffOrigin, Pane};
use imgscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// The viewer on one image, focus moved (Tab) from the layers, where it starts as in dive, to
/// the file tree most of these views are about.
fn app(loaded: imgscope::pipeline::load::Loaded, color: bool, w: u16, h: u16) -> App {
    let mut app = App::with_results(vec![("img.tar".into(), Ok(loaded))], color);
    resize(&mut app, w, h);
    app.update(Action::FocusNext);
    app
}

fn resize(app: &mut App, width: u16, height: u16) {
    app.update(Action::Resize { width, height });
}

fn render(app: &App) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(app.width, app.height)).unwrap();
    term.draw(|f| views::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

fn actions(app: &mut App, list: &[Action]) {
    for a in list {
        app.update(*a);
    }
}

/// The screen's text after `list`.
fn screen_after(app: &mut App, list: &[Action]) -> String {
    actions(app, list);
    text(&render(app))
}

/// `needle` is on `screen`.
fn assert_shows(screen: &str, needle: &str) {
    assert!(screen.contains(needle), "{screen}");
}

/// Terminal sizes from none at all to large, for the draw-everything tests.
const SIZES: [(u16, u16); 7] = [
    (0, 0),
    (1, 1),
    (10, 3),
    (20, 5),
    (40, 12),
    (80, 24),
    (250, 80),
];

/// The next of a xorshift sequence: pseudo-random, the same on every run.
fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::InputChar(c));
    }
}

/// No cell may hold a control character: image strings are escaped before drawing.
fn assert_no_controls(buf: &Buffer) {
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control character on screen: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn sample_at_80x24_in_colour() {
    let app = app(sample(), true, 80, 24);
    insta::assert_snapshot!(styled_dump(&render(&app)));
}

#[test]
fn sample_at_80x24_without_colour() {
    let app = app(sample(), false, 80, 24);
    let buf = render(&app);
    // Without colour only emphasis is left: no cell has a colour.
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    insta::assert_snapshot!(styled_dump(&buf));
}

#[test]
fn sample_expanded_at_120x40_in_colour() {
    let mut app = app(sample(), true, 120, 40);
    actions(
        &mut app,
        &[Action::ExpandAll, Action::Down, Action::Down, Action::Down],
    );
    let buf = render(&app);
    assert_no_controls(&buf);
    insta::assert_snapshot!(styled_dump(&buf));
}

#[test]
fn layer_changes_at_100x30() {
    let mut app = app(sample(), true, 100, 30);
    app.focus = Pane::Layers;
    actions(
        &mut app,
        &[Action::Up, Action::ToggleMode, Action::ExpandAll],
    );
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn waste_view_at_100x30() {
    let mut app = app(sample(), true, 100, 30);
    actions(&mut app, &[Action::ToggleWaste]);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn help_overlay_at_80x24() {
    let mut app = app(sample(), false, 80, 24);
    actions(&mut app, &[Action::ToggleHelp]);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn the_help_s_marks_fit_at_80_columns() {
    let mut app = app(sample(), false, 80, 24);
    actions(&mut app, &[Action::ToggleHelp, Action::End]);
    let screen = text(&render(&app));
    // Every mark's word is whole on the screen, none cut at the overlay's edge.
    for word in [
        "A added",
        "M modified",
        "R removed by the selected layer",
        "* has changes below",
        "in the layers pane: the layer stores bytes a later",
        "unchanged",
    ] {
        assert_shows(&screen, word);
    }
}

#[test]
fn help_overlay_scrolled_to_the_end_at_100x40() {
    let mut app = app(sample(), true, 100, 40);
    actions(&mut app, &[Action::ToggleHelp, Action::End]);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn filter_being_typed_at_80x24() {
    let mut app = app(sample(), false, 80, 24);
    actions(&mut app, &[Action::OpenFilter]);
    type_text(&mut app, "lib");
    insta::assert_snapshot!(text(&render(&app)));
    actions(&mut app, &[Action::InputAccept]);
    insta::assert_snapshot!("filter_applied_at_80x24", text(&render(&app)));
}

#[test]
fn search_highlights_the_match() {
    let mut app = app(sample(), true, 100, 30);
    actions(&mut app, &[Action::ExpandAll, Action::OpenSearch]);
    type_text(&mut app, "pass");
    actions(&mut app, &[Action::InputAccept]);
    insta::assert_snapshot!(styled_dump(&render(&app)));
}

#[test]
fn loading_shows_progress() {
    let (_tx, rx) = std::sync::mpsc::channel();
    let started = Instant::now();
    let progress: Vec<Arc<Progress>> = vec![Arc::default()];
    let p = &progress[0];
    p.layers_total.store(14, Ordering::Relaxed);
    p.layers_done.store(3, Ordering::Relaxed);
    p.bytes_total.store(4 << 20, Ordering::Relaxed);
    p.bytes_read.store(3 << 19, Ordering::Relaxed);
    let mut app = App::new(vec!["big.tar".into()], progress, rx, true, started);
    resize(&mut app, 80, 24);
    app.update(Action::Tick(started + Duration::from_secs(2)));
    let screen = text(&render(&app));
    assert!(screen.contains("layers 3/14 · 1.5 MiB of 4.0 MiB read · 768.0 KiB/s · 2.0 s"));
    insta::assert_snapshot!(screen);
}

#[test]
fn an_engine_preview_shows_while_the_export_is_prepared() {
    use imgscope::model::{EnginePreview, PreviewStep};
    let (_tx, rx) = std::sync::mpsc::channel();
    let started = Instant::now();
    let progress: Vec<Arc<Progress>> = vec![Arc::default()];
    progress[0].bytes_total.store(3 << 20, Ordering::Relaxed);
    progress[0]
        .preview
        .set(EnginePreview {
            engine: "Podman engine at unix:///run/podman/podman.sock".into(),
            id: "sha256:0123abcd".into(),
            tags: vec!["example/app:1".into(), "example/app:latest".into()],
            created: Some("2024-01-01T00:00:00Z".into()),
            platform: Some("linux/arm64/v8".into()),
            size: Some(3 << 20),
            layer_count: 2,
            history: vec![
                PreviewStep {
                    created_by: "ADD rootfs.tar /".into(),
                    size: 2 << 20,
                },
                PreviewStep {
                    created_by: "RUN echo \x1b[2J; pip install x".into(),
                    size: 1 << 20,
                },
                PreviewStep {
                    created_by: "CMD [\"app\"]".into(),
                    size: 0,
                },
            ],
        })
        .unwrap();
    let mut app = App::new(vec!["example/app:1".into()], progress, rx, false, started);
    resize(&mut app, 80, 30);
    app.update(Action::Tick(started + Duration::from_secs(3)));
    let screen = text(&render(&app));
    assert_shows(&screen, "waiting for the engine's export…");
    assert_shows(
        &screen,
        "engine    Podman engine at unix:///run/podman/podman.sock",
    );
    assert_shows(&screen, "size      3.0 MiB in 2 layers");
    assert_shows(&screen, "platform  linux/arm64/v8");
    assert_shows(&screen, "tags      example/app:1, example/app:latest");
    // Oldest step first, with each step's size; the image's text is escaped.
    let add = screen.find("2.0 MiB  ADD rootfs.tar /").expect(&screen);
    let run = screen
        .find("1.0 MiB  RUN echo \\x1b[2J; pip install x")
        .expect(&screen);
    let cmd = screen.find("0 B  CMD [\"app\"]").expect(&screen);
    assert!(add < run && run < cmd, "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_failed_load_is_a_message_with_controls_escaped() {
    let app = {
        let mut a = App::with_results(
            vec![(
                "bad\x1b]0;x\x07.tar".into(),
                Err("bad.tar: not an image archive \x1b[2J(no manifest.json)\nsecond line".into()),
            )],
            true,
        );
        resize(&mut a, 80, 24);
        a
    };
    let buf = render(&app);
    assert_no_controls(&buf);
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn an_image_without_layers_at_80x24() {
    let app = app(empty(), true, 80, 24);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn several_images_have_tabs() {
    let mut app = App::with_results(
        vec![
            ("a.tar".into(), Ok(sample())),
            ("b.tar".into(), Err("b.tar: no such file".into())),
            ("c.tar".into(), Ok(empty())),
        ],
        true,
    );
    resize(&mut app, 100, 30);
    insta::assert_snapshot!(text(&render(&app)));
    app.update(Action::NextImage);
    insta::assert_snapshot!("several_images_second_tab", text(&render(&app)));
}

#[test]
fn the_dive_fixture_at_100x30() {
    let Some(loaded) = dive_fixture() else { return };
    let mut app = app(loaded, true, 100, 30);
    actions(&mut app, &[Action::Down, Action::Toggle]);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn names_with_control_characters_are_escaped_everywhere() {
    let mut app = app(sample(), true, 120, 40);
    actions(&mut app, &[Action::ExpandAll, Action::OpenSearch]);
    type_text(&mut app, "evil");
    actions(&mut app, &[Action::InputAccept]);
    let buf = render(&app);
    assert_no_controls(&buf);
    let screen = text(&buf);
    assert_shows(&screen, r"evil\x1b[31mname\x07.txt");
    assert_shows(&screen, r"File /tmp/evil\x1b[31mname\x07.txt");
}

/// A 100,000-character name, a path 300 directories deep, wide characters, a huge command.
fn odd_image() -> imgscope::pipeline::load::Loaded {
    let long = "x".repeat(100_000);
    let deep: Vec<String> = (0..300).map(|i| format!("d{i}")).collect();
    build(
        "odd",
        vec![
            layer(&"RUN ".repeat(50_000))
                .file(&format!("a/{long}"), 1, 1)
                .file(&format!("{}/leaf", deep.join("/")), 2, 2)
                .file("日本語/ファイル.txt", 3, 3),
        ],
    )
}

#[test]
fn huge_names_and_deep_paths_draw() {
    for (w, h) in [(80, 24), (200, 60), (30, 8)] {
        let mut app = app(odd_image(), true, w, h);
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        app.update(Action::ExpandAll);
        // Every row comes on screen, page by page, and each is selected at least near the ends.
        let steps = [Action::Down; 4]
            .into_iter()
            .chain([Action::PageDown; 40])
            .chain([Action::Up; 4]);
        for a in steps {
            app.update(a);
            term.draw(|f| views::draw(f, &app)).unwrap();
        }
        app.focus = Pane::Details;
        for _ in 0..20 {
            app.update(Action::PageDown);
            term.draw(|f| views::draw(f, &app)).unwrap();
        }
        assert_no_controls(term.backend().buffer());
    }
}

#[test]
fn every_size_from_tiny_to_large_draws() {
    for (w, h) in SIZES {
        for color in [true, false] {
            let mut app = app(sample(), color, w, h);
            for a in [
                Action::ExpandAll,
                Action::End,
                Action::ToggleWaste,
                Action::End,
                Action::ToggleHelp,
                Action::End,
            ] {
                app.update(a);
                render(&app);
            }
        }
    }
}

#[test]
fn pseudo_random_key_sequences_never_panic() {
    use imgscope::tui::keys::BINDINGS;
    let all: Vec<Action> = BINDINGS
        .iter()
        .map(|b| b.action)
        .filter(|a| !matches!(a, Action::Quit | Action::Escape | Action::Suspend))
        .chain([
            Action::InputChar('a'),
            Action::InputChar('/'),
            Action::InputChar('('),
            Action::Click { column: 50, row: 5 },
            Action::Click { column: 5, row: 3 },
            Action::Scroll {
                column: 50,
                row: 5,
                down: true,
            },
        ])
        .collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for image in 0..2 {
        let loaded = if image == 0 { sample() } else { empty() };
        let mut app = app(loaded, true, 90, 26);
        for _ in 0..3000 {
            let a = all[(xorshift(&mut seed) % all.len() as u64) as usize];
            app.update(a);
            if seed.is_multiple_of(7) {
                render(&app);
            }
        }
        render(&app);
    }
}

#[test]
fn details_scroll_stops_where_the_text_ends() {
    let mut app = app(sample(), true, 100, 30);
    app.focus = Pane::Details;
    render(&app);
    let mut last = String::new();
    for _ in 0..200 {
        app.update(Action::Down);
        last = text(&render(&app));
    }
    let scroll = app.viewer().unwrap().details_scroll;
    assert!(scroll > 0 && scroll < 60, "scrolled to {scroll}");
    // The last line of the image facts is on screen, the pane is not blank.
    assert!(last.contains("duplicates"), "{last}");
    app.update(Action::Home);
    assert_eq!(app.viewer().unwrap().details_scroll, 0);
}

// ---- File contents and the sharing view -----------------------------------------------------

/// Open `path` (expanding the tree first) in the content view and wait for its bytes.
fn view(app: &mut App, path: &str) {
    app.update(Action::ExpandAll);
    let v = app.viewer().unwrap();
    let node = v.file_tree().lookup(path).unwrap();
    let i = v.tree.rows().iter().position(|r| r.node == node).unwrap();
    app.focus = Pane::Right;
    app.update(Action::Home);
    for _ in 0..i {
        app.update(Action::Down);
    }
    app.update(Action::ViewFile);
    settle(app);
}

#[test]
fn content_text_at_80x24() {
    let mut app = app(contents(), true, 80, 24);
    view(&mut app, "/etc/passwd");
    let buf = render(&app);
    assert_no_controls(&buf);
    insta::assert_snapshot!(styled_dump(&buf));
}

#[test]
fn content_with_control_characters_at_80x24() {
    let mut app = app(contents(), false, 80, 24);
    app.focus = Pane::Layers;
    app.update(Action::Home);
    view(&mut app, "/etc/motd");
    let buf = render(&app);
    assert_no_controls(&buf);
    let screen = text(&buf);
    assert_shows(&screen, r"Welcome\x1b[31m red\x07\r");
    insta::assert_snapshot!(screen);
}

#[test]
fn content_hex_dump_at_80x24() {
    let mut app = app(contents(), true, 80, 24);
    view(&mut app, "/bin/tool");
    let buf = render(&app);
    assert_no_controls(&buf);
    let screen = text(&buf);
    assert_shows(
        &screen,
        "00000000  7f 45 4c 46 02 01 01 00  00 01 02 03 04 05 06 07  |.ELF............|",
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn content_hex_dump_narrow_at_60x16() {
    let mut app = app(contents(), false, 60, 16);
    view(&mut app, "/bin/tool");
    app.update(Action::PageDown);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn content_wrapped_and_capped() {
    let mut app = app(contents(), false, 60, 16);
    view(&mut app, "/data/long.txt");
    app.update(Action::Right);
    insta::assert_snapshot!("content_scrolled_sideways_at_60x16", text(&render(&app)));
    app.update(Action::ToggleWrap);
    insta::assert_snapshot!("content_wrapped_at_60x16", text(&render(&app)));
    app.update(Action::Escape);
    view(&mut app, "/data/big.bin");
    let screen = text(&render(&app));
    assert_shows(&screen, "first 1.0 MiB of 1.5 MiB shown");
    insta::assert_snapshot!("content_capped_at_60x16", screen);
}

#[test]
fn content_errors_are_one_line() {
    let mut app = app(streamed(contents()), true, 80, 24);
    view(&mut app, "/etc/passwd");
    let buf = render(&app);
    assert_no_controls(&buf);
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn export_line_at_80x24() {
    let mut app = app(contents(), true, 80, 24);
    view(&mut app, "/bin/sh");
    app.update(Action::ExportFile);
    let screen = text(&render(&app));
    assert_shows(&screen, "Export to: sh█");
    insta::assert_snapshot!(screen);
    // To a file that is there: the question, and its keys in the hint bar.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sh"), "x").unwrap();
    app.update(Action::InputClear);
    type_text(&mut app, dir.path().to_str().unwrap());
    app.update(Action::InputAccept);
    let screen = text(&render(&app));
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines[23].starts_with(&format!(
            "Export: {}/sh exists. Overwrite it? (y/N) █",
            dir.path().display()
        )),
        "{screen}"
    );
    assert!(lines[22].starts_with(" y overwrite  n keep"), "{screen}");
}

fn sharing(color: bool, w: u16, h: u16) -> App {
    let mut app = App::with_results(
        sharing_set().into_iter().map(|(n, l)| (n, Ok(l))).collect(),
        color,
    );
    resize(&mut app, w, h);
    app.update(Action::ToggleSharing);
    app
}

#[test]
fn sharing_at_80x24() {
    let app = sharing(true, 80, 24);
    let buf = render(&app);
    assert_no_controls(&buf);
    insta::assert_snapshot!(styled_dump(&buf));
}

#[test]
fn sharing_sorted_and_scrolled_at_120x40() {
    let mut app = sharing(false, 120, 40);
    app.update(Action::SharingSort);
    // Tab to the images' section: the footer, sized to the selected row, leaves it room.
    while !matches!(
        app.sharing.as_ref().unwrap().selected(),
        Some(imgscope::tui::plan_state::Row::Image(_))
    ) {
        app.update(Action::FocusNext);
    }
    let screen = text(&render(&app));
    assert_shows(&screen, "UNIQUE↓");
    insta::assert_snapshot!("sharing_sorted_by_unique_at_120x40", screen);
    app.update(Action::End);
    let buf = render(&app);
    assert_no_controls(&buf);
    insta::assert_snapshot!("sharing_at_the_end_at_120x40", text(&buf));
}

#[test]
fn sharing_waits_for_the_images() {
    let (_tx, rx) = std::sync::mpsc::channel();
    let now = Instant::now();
    let progress: Vec<Arc<Progress>> = vec![Arc::default(), Arc::default()];
    let mut app = App::new(
        vec!["a.tar".into(), "b.tar".into()],
        progress,
        rx,
        true,
        now,
    );
    resize(&mut app, 80, 24);
    app.update(Action::ToggleSharing);
    insta::assert_snapshot!(text(&render(&app)));
}

#[test]
fn content_and_sharing_draw_at_every_size() {
    for (w, h) in SIZES {
        let mut app = app(contents(), true, w, h);
        view(&mut app, "/bin/tool");
        for a in [
            Action::End,
            Action::ToggleHex,
            Action::ToggleWrap,
            Action::End,
            Action::Right,
            Action::ExportFile,
        ] {
            app.update(a);
            assert_no_controls(&render(&app));
        }
        let mut app = sharing(true, w, h);
        for a in [
            Action::End,
            Action::SharingSort,
            Action::PageUp,
            Action::Home,
        ] {
            app.update(a);
            assert_no_controls(&render(&app));
        }
    }
}

#[test]
fn pseudo_random_keys_in_the_new_views_never_panic() {
    use imgscope::tui::keys::{BINDINGS, Screen};
    let all: Vec<Action> = BINDINGS
        .iter()
        .filter(|b| matches!(b.screen, Screen::Content | Screen::Plan | Screen::Panes))
        .map(|b| b.action)
        .filter(|a| !matches!(a, Action::Quit | Action::Suspend | Action::ExportFile))
        .chain([
            Action::Resize {
                width: 70,
                height: 20,
            },
            Action::Resize {
                width: 120,
                height: 40,
            },
            Action::Click { column: 50, row: 5 },
            Action::Click { column: 3, row: 0 },
            Action::Scroll {
                column: 50,
                row: 5,
                down: true,
            },
        ])
        .collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let images = || {
        let mut v: Vec<_> = sharing_set().into_iter().map(|(n, l)| (n, Ok(l))).collect();
        v.push(("contents.tar".into(), Ok(contents())));
        v
    };
    let mut app = App::with_results(images(), true);
    for step in 0..4000 {
        app.update(all[(xorshift(&mut seed) % all.len() as u64) as usize]);
        if app.should_quit() {
            app = App::with_results(images(), true);
        }
        if step % 5 == 0 {
            app.update(Action::Tick(Instant::now()));
            assert_no_controls(&render(&app));
        }
    }
    settle(&mut app);
    render(&app);
}

// ---- imgscope diff ----

fn diff_app(color: bool, w: u16, h: u16) -> App {
    let (old, new) = diff_pair();
    let mut app = App::with_diff("old.tar".into(), "new.tar".into(), Ok((old, new)), color);
    resize(&mut app, w, h);
    app.update(Action::FocusNext);
    app
}

/// The screen's line holding `needle` (which must be on screen).
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not on screen:\n{screen}"))
}

#[test]
fn diff_at_120x40_in_colour() {
    let mut app = diff_app(true, 120, 40);
    actions(&mut app, &[Action::ExpandAll, Action::OpenSearch]);
    type_text(&mut app, "server");
    actions(&mut app, &[Action::InputAccept]);
    let buf = render(&app);
    assert_no_controls(&buf);
    let screen = text(&buf);
    // The header: both names and the total deltas, uncompressed and compressed.
    let header = screen.lines().next().unwrap();
    assert!(
        header.starts_with(" diff:  example/app:1 → example/app:2 · size +2.7 KiB · compressed "),
        "{header}"
    );
    // Then the waste: reclaimable bytes and efficiency (the same here, so said once).
    assert!(
        header.contains(" · reclaimable 0 B · efficiency 100.0%"),
        "{header}"
    );
    // Each changed row: its mark, final size and exact byte delta.
    assert!(line_with(&screen, "server").contains("↑    4.9 KiB    +1000 B"));
    assert!(line_with(&screen, "new.txt").contains("+       50 B      +50 B"));
    assert!(line_with(&screen, "config.json").contains("~      200 B        0 B"));
    assert!(line_with(&screen, "passwd").contains("│     1.2 KiB            "));
    // The layers: unchanged, grown, added; one of the old image's is gone.
    assert_shows(&screen, "Layers (4, 1 removed)");
    // The details: the selected file against the old one.
    assert_shows(&screen, "vs old      grown +1000 B (3.9 KiB → 4.9 KiB)");
    insta::assert_snapshot!(styled_dump(&buf));
}

#[test]
fn diff_changed_only_at_100x30() {
    let mut app = diff_app(false, 100, 30);
    let screen = screen_after(
        &mut app,
        &[Action::ToggleChangedOnly, Action::ExpandAll, Action::Home],
    );
    assert_shows(&screen, "changed only");
    for unchanged in ["passwd", "busybox", "etc/", "bin/"] {
        assert!(
            !screen.contains(unchanged),
            "{unchanged} is shown:\n{screen}"
        );
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn diff_removed_list_at_100x30() {
    let mut app = diff_app(false, 100, 30);
    let screen = screen_after(&mut app, &[Action::ToggleRemoved, Action::End]);
    assert!(
        line_with(&screen, "/app/old.txt").contains("-      -70 B  /app/old.txt  old layer 2"),
        "{screen}"
    );
    assert!(line_with(&screen, "/usr/share/doc/ ").contains("-     -300 B"));
    insta::assert_snapshot!(screen);
}

#[test]
fn diff_at_80x24_without_colour_has_deltas_in_the_details() {
    let mut app = diff_app(false, 80, 24);
    let screen = screen_after(&mut app, &[Action::Down, Action::Toggle]);
    // Too narrow for the delta column: the tree has the mark, the details the delta.
    assert!(
        line_with(&screen, " app/").contains("││↑    5.1 KiB ├─ ▾ app/"),
        "{screen}"
    );
    assert_shows(&screen, "vs old      grown +980 B (4.2 KiB →");
    // The header keeps both size deltas on screen.
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("size +2.7 KiB · compressed +1.8 KiB"),
        "{header}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn diff_on_an_earlier_layer_shows_that_layer_without_marks() {
    let mut app = diff_app(false, 100, 30);
    app.focus = Pane::Layers;
    let screen = screen_after(&mut app, &[Action::Home, Action::Right, Action::ExpandAll]);
    assert_shows(&screen, "Files · up to layer 0");
    assert_shows(&screen, "diff marks: last layer, aggregated");
    assert!(
        line_with(&screen, "passwd").contains("││A    1.2 KiB    ├─ passwd"),
        "{screen}"
    );
}

#[test]
fn diff_loading_shows_both_images() {
    let (_tx, rx) = std::sync::mpsc::channel();
    let started = Instant::now();
    let origin = DiffOrigin::new("old.tar".into());
    let old = &origin.progress;
    old.layers_total.store(3, Ordering::Relaxed);
    old.layers_done.store(1, Ordering::Relaxed);
    old.bytes_total.store(3 << 20, Ordering::Relaxed);
    old.bytes_read.store(1 << 20, Ordering::Relaxed);
    let mut app = App::new_diff(
        origin.clone(),
        "new.tar".into(),
        Arc::default(),
        rx,
        true,
        started,
    );
    resize(&mut app, 80, 24);
    app.update(Action::Tick(started + Duration::from_secs(1)));
    let screen = text(&render(&app));
    assert!(
        screen.starts_with(" diff:  old.tar → new.tar  loading…"),
        "{screen}"
    );
    assert_shows(&screen, "Loading old old.tar");
    assert_shows(&screen, "layers 1/3 · 1.0 MiB of 3.0 MiB read");
    assert_shows(&screen, "waiting for the old image");
    insta::assert_snapshot!(screen);
    // Once the old image is in, the new one's own progress shows.
    origin.loaded.store(true, Ordering::Relaxed);
    let screen = text(&render(&app));
    assert!(!screen.contains("waiting for the old image"), "{screen}");
    assert_shows(&screen, "reading the manifest");
}

#[test]
fn a_failed_diff_names_both_images() {
    let mut app = App::with_diff(
        "old.tar".into(),
        "new.tar".into(),
        Err("old.tar: no such file".into()),
        true,
    );
    resize(&mut app, 80, 24);
    let screen = text(&render(&app));
    assert_shows(&screen, "Could not load old.tar → new.tar");
    assert_shows(&screen, "old.tar: no such file");
}

#[test]
fn diffs_draw_at_every_size_after_every_key() {
    use imgscope::tui::keys::{BINDINGS, Screen};
    let keys: Vec<Action> = BINDINGS
        .iter()
        .filter(|b| b.screen == Screen::Panes)
        .map(|b| b.action)
        .filter(|a| {
            !matches!(
                a,
                Action::Quit | Action::Escape | Action::Suspend | Action::ExportFile
            )
        })
        .collect();
    for (w, h) in [
        (0, 0),
        (1, 1),
        (10, 3),
        (20, 5),
        (40, 12),
        (60, 20),
        (250, 80),
    ] {
        let mut app = diff_app(true, w, h);
        for a in &keys {
            app.update(*a);
            if app.help.is_some() || app.input.is_some() || app.content.is_some() {
                app.update(Action::Escape);
            }
            assert_no_controls(&render(&app));
        }
    }
}

#[test]
fn the_help_lists_the_diff_keys_and_marks() {
    let mut app = diff_app(false, 100, 200);
    let screen = screen_after(&mut app, &[Action::ToggleHelp]);
    assert_shows(
        &screen,
        "  d                 diff: show only what changed against the old image",
    );
    assert_shows(
        &screen,
        "  o                 diff: what only the old image has",
    );
    assert_shows(
        &screen,
        "+ added   ↑ grown   ↓ shrunk   ~ modified   - removed   = unchanged",
    );
}

#[test]
fn diff_details_have_the_totals_and_the_removed_layers() {
    let mut app = diff_app(false, 250, 200);
    app.focus = Pane::Layers;
    let screen = screen_after(&mut app, &[Action::FocusNext]);
    assert_shows(&screen, "Against the old image example/app:1");
    assert_shows(&screen, "input       old.tar");
    assert_shows(&screen, "size        +2.7 KiB (885.1 KiB → 887.8 KiB)");
    assert_shows(
        &screen,
        "files       7 → 8 · 3 added, 2 removed, 1 grown, 0 shrunk, 1 modified",
    );
    assert_shows(
        &screen,
        "layers      3 → 4 · 1 unchanged, 2 added, 1 removed, 1 changed",
    );
    assert_shows(&screen, "removed     old layer 1 (300 B, ");
    assert_shows(&screen, "compressed): RUN install docs");
}

/// The pinned summary (the first row without a tab bar) at `width` columns.
fn summary_at(app: &mut App, width: u16) -> String {
    resize(app, width, 30);
    text(&render(app))
        .lines()
        .next()
        .unwrap_or("")
        .trim_end()
        .to_string()
}

#[test]
fn the_summary_pins_the_images_numbers_and_the_plans_top_saving() {
    use imgscope::analysis::plan::Risk;
    let loaded = sample();
    let image = &loaded.image;
    let analysis = &loaded.analysis;
    let want_numbers = (
        human_size(image.size()),
        human_size(image.compressed_size()),
        human_size(analysis.waste.reclaimable_bytes),
        format!("{:.1}%", analysis.reclaimable_ratio(image) * 100.0),
        format!("{:.2}%", analysis.efficiency.score * 100.0),
    );
    let role = analysis.role.role.key();
    let mut app = app(loaded, false, 200, 30);
    let plan = &app
        .sharing
        .as_ref()
        .expect("the plan is ready once the image loaded")
        .set
        .plan;
    assert!(
        plan.for_image(0).next().is_some(),
        "the sample has something to trim"
    );
    // The safe actions first, then all of them (the sample has no slim image to copy files back).
    let safe = plan.saving_for_image_up_to(0, Risk::Safe);
    let all = plan.saving_for_image(0);
    let share = |b: u64| imgscope::text::rough_percent(b as f64 / plan.node_cost as f64);
    let want_plan = format!(
        "plan: safe {} ({}), all {} ({})",
        human_size(safe),
        share(safe),
        human_size(all),
        share(all)
    );
    let (size, compressed, reclaimable, ratio, efficiency) = want_numbers;
    assert_eq!(
        summary_at(&mut app, 200),
        format!(
            " example/app:1 · role {role} · size {size} · {compressed} compressed · reclaimable \
             {reclaimable} ({ratio}) · efficiency {efficiency} · {want_plan}"
        )
    );
    // It stays whatever has focus or fills the right pane.
    actions(&mut app, &[Action::ToggleWaste, Action::FocusNext]);
    let waste = summary_at(&mut app, 200);
    assert!(
        waste.contains(&format!("reclaimable {reclaimable}")),
        "{waste}"
    );
    // Narrower, the labels shorten, then the least telling numbers go; the name is cut with `…`.
    let widths = [120, 100, 80, 60, 40, 24];
    let lines: Vec<String> = widths
        .iter()
        .map(|&w| format!("{w:>3}|{}", summary_at(&mut app, w)))
        .collect();
    for line in &lines[..3] {
        assert!(line.contains(&reclaimable), "{line}");
        assert!(line.contains(&format!(" · {role} · ")), "{line}");
        assert!(
            line.contains(&format!("plan: safe −{}", human_size(safe))),
            "{line}"
        );
    }
    for (line, &w) in lines.iter().zip(&widths) {
        assert!(line.chars().count() <= usize::from(w) + 4, "{line}");
    }
    insta::assert_snapshot!(lines.join("\n"));
}

/// An image whose plan has one action of each risk, the risky one saving the most: a package
/// cache (safe), docs (a rebuild), Python bytecode (risky).
fn risks() -> imgscope::pipeline::load::Loaded {
    build(
        "example/risks:1",
        vec![
            layer("/bin/sh -c #(nop) ADD file:base in / ").file("bin/busybox", 500_000, 1),
            layer("RUN pip install app && apt-get install -y docs")
                .file("var/cache/apt/archives/app.deb", 100_000, 2)
                .file("usr/share/doc/app/manual.html", 200_000, 3)
                .file(
                    "usr/lib/python3/__pycache__/app.cpython-311.pyc",
                    2_000_000,
                    4,
                ),
        ],
    )
}

#[test]
fn the_summary_shows_the_role_and_leads_with_the_safe_saving_not_the_top_risky_action() {
    use imgscope::analysis::plan::Risk;
    let mut loaded = risks();
    // The role the viewer shows is the analysis', whatever it is.
    loaded.analysis.role = imgscope::analysis::role::RoleOf {
        role: imgscope::analysis::role::Role::Service,
        why: "runs /usr/bin/app".into(),
    };
    let mut app = app(loaded, true, 200, 30);
    let plan = app.sharing.as_ref().unwrap().set.plan.clone();
    let top = &plan.actions[0];
    assert_eq!(top.risk, Risk::Risky, "the bytecode saves the most");
    let safe = plan.saving_for_image_up_to(0, Risk::Safe);
    assert!(0 < safe && safe < top.node_saving);
    let wide = summary_at(&mut app, 200);
    assert!(wide.contains(" · role service · "), "{wide}");
    assert!(
        wide.contains(&format!("plan: safe {} (", human_size(safe))),
        "{wide}"
    );
    assert!(
        !wide.contains(&format!("plan: safe {}", human_size(top.node_saving))),
        "{wide}"
    );
    // At 80 columns, the role and the safe saving are still there.
    let narrow = summary_at(&mut app, 80);
    assert!(narrow.chars().count() <= 80, "{narrow}");
    assert!(narrow.contains(" · service · "), "{narrow}");
    assert!(
        narrow.contains(&format!("plan: safe −{}", human_size(safe))),
        "{narrow}"
    );
}

/// A builder image and two apps built on it, the base in the middle of the inputs: the base's
/// layers hold an apt cache (390.6 KiB), the api's own layer another (97.7 KiB), the worker's
/// nothing. The base's name has a control character in it.
fn fleet() -> Vec<(String, imgscope::pipeline::load::Loaded)> {
    let base = || {
        vec![
            layer("ADD rootfs /")
                .id("fb0")
                .file("bin/busybox", 900_000, 1)
                .file("etc/passwd", 1200, 2),
            layer("RUN apt-get install -y build-essential")
                .id("fb1")
                .file("usr/bin/gcc", 500_000, 3)
                .file("var/cache/apt/archives/gcc.deb", 400_000, 4),
        ]
    };
    let mut api = base();
    api.push(
        layer("COPY api /app")
            .id("api0")
            .file("app/api", 200_000, 10)
            .file("var/cache/apt/archives/api.deb", 100_000, 11),
    );
    let mut worker = base();
    worker.push(
        layer("COPY worker /app")
            .id("wk0")
            .file("app/worker", 150_000, 20),
    );
    vec![
        ("api.tar".into(), build("fleet/api:1", api)),
        (
            "builder.tar".into(),
            build("fleet/builder:1\x1b[2J", base()),
        ),
        ("worker.tar".into(), build("fleet/worker:1", worker)),
    ]
}

/// The summary of image `index` (the row under the tab bar) at `width` columns.
fn tab_summary_at(app: &mut App, index: usize, width: u16) -> String {
    while app.current != index {
        app.update(Action::NextImage);
    }
    resize(app, width, 30);
    let buf = render(app);
    assert_no_controls(&buf);
    text(&buf)
        .lines()
        .nth(1)
        .unwrap_or("")
        .trim_end()
        .to_string()
}

/// Issue #32: an app's summary leads with what the plan saves on its own layers and names the
/// base for what it saves on the layers the app inherits, once per node; the base's own summary
/// has its savings as its own, with no base part.
#[test]
fn the_summary_keeps_an_apps_own_saving_apart_from_its_bases() {
    let mut app = App::with_results(
        fleet().into_iter().map(|(n, l)| (n, Ok(l))).collect(),
        false,
    );
    resize(&mut app, 200, 30);
    let plan = &app.sharing.as_ref().expect("every image loaded").set.plan;
    // The plan gives the caches to their owners, whatever the order of the inputs.
    let owned = |image: usize| {
        plan.actions
            .iter()
            .filter(|a| a.owner == Some(image))
            .map(|a| a.node_saving)
            .sum::<u64>()
    };
    assert_eq!((owned(0), owned(1), owned(2)), (100_000, 400_000, 0));
    let share = |b: u64| imgscope::text::rough_percent(b as f64 / plan.node_cost as f64);
    let (api_share, base_share) = (share(100_000), share(400_000));
    let base = r"fleet/builder:1\x1b[2J";
    let api = tab_summary_at(&mut app, 0, 240);
    assert!(
        api.ends_with(&format!(
             " · plan: safe 97.7 KiB ({api_share}), all 97.7 KiB ({api_share}) · base {base} −390.6 KiB \
             once per node"
        )),
        "{api}"
    );
    // Narrower, the forms shorten (the base's name cut in the middle); the own figure still
    // leads, then the base's. At 80 columns the base's part goes first: the safe figure stays.
    let narrow = tab_summary_at(&mut app, 0, 120);
    assert!(narrow.chars().count() <= 120, "{narrow}");
    let own = narrow.find(" · plan: safe −97.7 KiB").expect(&narrow);
    let based = narrow.find(" · base fleet").expect(&narrow);
    assert!(own < based, "{narrow}");
    // Once per node, in every form: the base's saving is not the image's own.
    assert!(
        narrow.ends_with(r":1\x1b[2J −390.6 KiB once per node"),
        "{narrow}"
    );
    let at_80 = tab_summary_at(&mut app, 0, 80);
    assert!(at_80.chars().count() <= 80, "{at_80}");
    assert!(at_80.ends_with(" · plan: safe −97.7 KiB"), "{at_80}");
    // The worker has nothing of its own to trim: its whole saving is the base's.
    let worker = tab_summary_at(&mut app, 2, 240);
    assert!(
        worker.ends_with(&format!(
            " · plan: nothing of its own to trim · base {base} −390.6 KiB once per node"
        )),
        "{worker}"
    );
    // The base's savings are its own: no base part, as for an image alone.
    let builder = tab_summary_at(&mut app, 1, 240);
    assert!(
        builder.ends_with(&format!(
            " · plan: safe 390.6 KiB ({base_share}), all 390.6 KiB ({base_share})"
        )),
        "{builder}"
    );
    assert!(
        !builder.contains(" base ") && !builder.contains("shared"),
        "{builder}"
    );
    let lines: Vec<String> = [
        (0, 200),
        (0, 120),
        (0, 100),
        (0, 80),
        (2, 120),
        (1, 120),
        (1, 80),
    ]
    .iter()
    .map(|&(i, w)| format!("{i} {w:>3}|{}", tab_summary_at(&mut app, i, w)))
    .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn the_plan_view_shows_each_actions_risk_the_headline_and_the_shell_notes() {
    use imgscope::analysis::plan::Risk;
    use ratatui::style::{Color, Modifier};
    // In colour and without, with the cursor on the first action and on the last (the selected
    // row is drawn in reverse video, its colours aside).
    for (color, last) in [(true, false), (true, true), (false, false), (false, true)] {
        let mut app = app(risks(), color, 100, 40);
        app.update(Action::ToggleSharing);
        if last {
            app.update(Action::End);
        }
        let s = app.sharing.as_ref().unwrap();
        let plan = s.set.plan.clone();
        let selected = match s.selected() {
            Some(imgscope::tui::plan_state::Row::Plan(k)) => k as usize,
            other => panic!("the cursor is on an action, not {other:?}"),
        };
        assert_eq!(selected, if last { plan.actions.len() - 1 } else { 0 });
        let buf = render(&app);
        let screen = text(&buf);
        let lines: Vec<&str> = screen.lines().collect();
        // The headline leads: what the safe actions save, then with rebuilds, then everything.
        let safe = plan.risk_totals(Risk::Safe).unwrap().cumulative_node_saving;
        let headline = lines
            .iter()
            .position(|l| l.contains("Saving safe: "))
            .expect(&screen);
        assert!(
            lines[headline].contains(&format!("Saving safe: {} per node", human_size(safe))),
            "{screen}"
        );
        let first_action = lines.iter().position(|l| l.contains("   1. ")).unwrap();
        assert!(headline < first_action, "{screen}");
        assert_shows(&screen, "with risky actions:");
        // Every action's row has its risk after its kind, styled by it (bold for risky without
        // colour too).
        let mut seen = Vec::new();
        for (k, a) in plan.actions.iter().enumerate() {
            let cell = format!("{:>2}. {:<6} {:<7} ", k + 1, a.kind.key(), a.risk.key());
            let y = lines.iter().position(|l| l.contains(&cell)).expect(&screen);
            let x = lines[y].find(&cell).unwrap() + cell.find(a.risk.key()).unwrap();
            let x = lines[y][..x].chars().count() as u16;
            let style = buf[(x, y as u16)].style();
            assert_eq!(
                style.add_modifier.contains(Modifier::BOLD),
                a.risk == Risk::Risky,
                "{cell}"
            );
            seen.push(a.risk);
            if k == selected {
                continue;
            }
            let want = match (color, a.risk) {
                (false, _) => Color::Reset,
                (true, Risk::Safe) => Color::Green,
                (true, Risk::Rebuild) => Color::Yellow,
                (true, Risk::Risky) => Color::LightRed,
            };
            assert_eq!(style.fg.unwrap_or(Color::Reset), want, "{cell}");
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen, Risk::ALL, "one action of each risk");
        // The image is a shell image (no command): the plan's note on it follows the actions.
        let note = lines
            .iter()
            .position(|l| l.contains("Note: example/risks:1 is a shell image"))
            .expect(&screen);
        assert!(note > first_action, "{screen}");
        // The selected action's detail names its risk.
        let rule = lines.iter().rposition(|l| l.starts_with("│───")).unwrap();
        let detail = format!(
            "{} · {} · ",
            plan.actions[selected].kind.key(),
            plan.actions[selected].risk.key()
        );
        assert!(lines[rule + 1].contains(&detail), "{screen}");
    }
}

#[test]
fn the_plan_views_image_rows_and_details_name_each_images_role() {
    let mut app = sharing(false, 160, 50);
    let s = app.sharing.as_mut().unwrap();
    s.home();
    while s.selected() != Some(imgscope::tui::plan_state::Row::Image(2)) {
        s.move_by(1);
    }
    let screen = text(&render(&app));
    let row = screen
        .lines()
        .find(|l| l.contains("c example/db:1"))
        .expect(&screen);
    assert!(row.contains("  shell · "), "{screen}");
    assert_shows(
        &screen,
        "c example/db:1 · shell (no entrypoint and no command: a base for other images): ",
    );
}

#[test]
fn the_summary_says_blob_for_uncompressed_layers_and_waits_for_the_plan() {
    let mut loaded = sample();
    for layer in &mut loaded.image.layers {
        layer.compression = imgscope::model::Compression::None;
    }
    let mut app = app(loaded, false, 200, 30);
    let line = summary_at(&mut app, 200);
    assert!(
        line.contains(" blob · ") && !line.contains("compressed"),
        "{line}"
    );
    // With another image still loading, the plan (over every image) is not there yet.
    let (_tx, rx) = std::sync::mpsc::channel();
    let mut loading = App::new(
        vec!["a.tar".into()],
        vec![Arc::new(Progress::default())],
        rx,
        false,
        Instant::now(),
    );
    let line = summary_at(&mut loading, 100);
    assert_eq!(line, " a.tar · loading…");
}

#[test]
fn the_hint_bar_names_keys_from_the_key_table_that_do_what_it_says() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use imgscope::tui::keys::{BINDINGS, Screen, map_key};
    let contexts = [
        Screen::Panes,
        Screen::Content,
        Screen::Plan,
        Screen::Input,
        Screen::Help,
        Screen::Confirm,
    ];
    for context in contexts {
        let hinted: Vec<_> = BINDINGS
            .iter()
            .filter(|b| b.screen == context && b.hint.is_some())
            .collect();
        assert!(!hinted.is_empty(), "{context:?} has no hints");
        for b in hinted {
            // The key the bar shows is the binding's first, and it is not taken by another.
            let key = b.keys[0];
            let modifiers = if key.ctrl {
                KeyModifiers::CONTROL
            } else {
                KeyModifiers::NONE
            };
            let pressed = map_key(&KeyEvent::new(key.code, modifiers), context);
            assert_eq!(pressed, Some(b.action), "{context:?} {:?}", b.hint);
        }
    }
    let mut app = app(sample(), false, 120, 30);
    let screen = text(&render(&app));
    let bar = screen.lines().nth(28).unwrap();
    assert!(
        bar.starts_with(" q quit  ? help  Tab pane  Space open  m layer changes  f filter"),
        "{bar}"
    );
    // The content view, the plan and the help have their own.
    app.update(Action::ToggleSharing);
    let screen = text(&render(&app));
    assert!(
        screen.lines().nth(28).unwrap().contains("Enter open"),
        "{screen}"
    );
    app.update(Action::Escape);
    app.update(Action::ToggleHelp);
    let screen = text(&render(&app));
    assert!(
        screen.lines().nth(28).unwrap().contains("Esc close"),
        "{screen}"
    );
    // No room, no bar: a short terminal keeps its rows for the panes and says where help is.
    app.update(Action::Escape);
    resize(&mut app, 80, 10);
    let screen = text(&render(&app));
    assert!(
        screen.lines().last().unwrap().contains("? help  q quit"),
        "{screen}"
    );
}

#[test]
fn lists_longer_than_their_pane_say_how_many_rows_are_hidden() {
    // 45 layers, each with a file: at 80x24 the layers pane shows a few of them.
    let layers = (0..45)
        .map(|i| layer(&format!("RUN step {i}")).file(&format!("f{i:02}"), 1000 + i, i as u8))
        .collect();
    let mut app = app(build("many:layers", layers), false, 80, 24);
    let screen = text(&render(&app));
    let lines: Vec<&str> = screen.lines().collect();
    // On the last layer: the rows above are counted on the pane's top border.
    let layers_top = lines[1];
    assert!(layers_top.starts_with("┌ Layers (45) "), "{screen}");
    let rows = app.areas().layer_rows().height as usize;
    assert!(
        layers_top.contains(&format!("↑ {} more", 45 - rows)),
        "{screen}"
    );
    // The tree (45 files at the top level) has more below; in the middle, both.
    let right_bottom = lines[app.areas().right.bottom() as usize - 1];
    let tree_rows = app.areas().right_rows().height as usize;
    assert!(
        right_bottom.contains(&format!("↓ {} more", 45 - tree_rows)),
        "{screen}"
    );
    app.focus = Pane::Right;
    for _ in 0..30 {
        app.update(Action::Down);
    }
    let screen = text(&render(&app));
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines[app.areas().right.y as usize];
    let bottom = lines[app.areas().right.bottom() as usize - 1];
    let above: usize = number_before(top, " more");
    let below: usize = number_before(bottom, " more");
    assert_eq!(above + tree_rows + below, 45, "{screen}");
    // A list that fits says nothing.
    let small = text(&render(&self::app(sample(), false, 80, 24)));
    assert!(!small.lines().nth(1).unwrap().contains("more"), "{small}");
}

/// The last number in `line` just before `suffix` (as in `↑ 12 more`).
fn number_before(line: &str, suffix: &str) -> usize {
    // The rightmost: the right pane's.
    let end = line
        .rfind(suffix)
        .unwrap_or_else(|| panic!("{suffix} in {line}"));
    let start = line[..end].rfind(' ').unwrap() + 1;
    line[start..end].parse().unwrap()
}

#[test]
fn the_diff_header_has_reclaimable_and_efficiency_and_tells_one_name_apart_by_digest() {
    let (old, new) = diff_pair();
    // The pair's waste: the same (none) on both sides, so each is said once.
    assert_eq!(old.analysis.waste.reclaimable_bytes, 0);
    assert_eq!(new.analysis.waste.reclaimable_bytes, 0);
    let want = format!(
        "reclaimable 0 B · efficiency {:.1}% · files +1 · layers +1",
        new.analysis.efficiency.score * 100.0,
    );
    let mut app = App::with_diff("old.tar".into(), "new.tar".into(), Ok((old, new)), false);
    resize(&mut app, 160, 30);
    let screen = text(&render(&app));
    let header = screen.lines().next().unwrap();
    assert!(
        header.starts_with(" diff:  example/app:1 → example/app:2 · size +"),
        "{header}"
    );
    assert!(header.contains(&want), "{header}");
    // Narrow: the totals that do not fit are left out whole, the size deltas stay.
    resize(&mut app, 80, 24);
    let header = text(&render(&app)).lines().next().unwrap().to_string();
    assert!(
        header.contains("· size +2.7 KiB · compressed +1.8 KiB"),
        "{header}"
    );
    assert!(!header.contains("files"), "{header}");
    // Waste that moved is shown old → new: a copy of /app/server hidden by a later layer.
    let (old, _) = diff_pair();
    let wasteful = build(
        "example/app:3",
        vec![
            layer("COPY app /app").file("app/server", 5000, 4),
            layer("RUN rm /app/server").whiteout("app/server"),
        ],
    );
    let want_moved = format!(
        "reclaimable {} → {} · efficiency {:.1}% → {:.1}%",
        human_size(old.analysis.waste.reclaimable_bytes),
        human_size(wasteful.analysis.waste.reclaimable_bytes),
        old.analysis.efficiency.score * 100.0,
        wasteful.analysis.efficiency.score * 100.0,
    );
    let mut app = App::with_diff("old.tar".into(), "w.tar".into(), Ok((old, wasteful)), false);
    resize(&mut app, 160, 30);
    let header = text(&render(&app)).lines().next().unwrap().to_string();
    assert!(header.contains(&want_moved), "{header}");
    // Two builds of one tag: the name once, and each image's short digest.
    let (mut old, mut new) = diff_pair();
    old.image.name = Some("registry.example/team/app:latest".into());
    new.image.name = old.image.name.clone();
    old.image.manifest_digest = Some(format!("sha256:{}", "0123456789ab".repeat(5) + "cdef"));
    new.image.manifest_digest = Some(format!("sha256:{}", "fedcba987654".repeat(5) + "3210"));
    let mut app = App::with_diff("a.tar".into(), "b.tar".into(), Ok((old, new)), false);
    resize(&mut app, 160, 30);
    let screen = text(&render(&app));
    let header = screen.lines().next().unwrap();
    assert!(
        header.starts_with(
            " diff:  registry.example/team/app:latest @0123456789ab → @fedcba987654 · size"
        ),
        "{header}"
    );
}

/// A key press as the terminal loop maps it in the app's context.
fn press(app: &mut App, code: crossterm::event::KeyCode) {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let event = KeyEvent::new(code, KeyModifiers::NONE);
    let context = app.screen();
    if let Some(action) = imgscope::tui::keys::map_key(&event, context) {
        app.update(action);
    }
}

#[test]
fn the_help_scrolls_with_g_g_home_end_and_stops_at_its_end() {
    use crossterm::event::KeyCode;
    let mut app = app(sample(), false, 80, 24);
    app.update(Action::ToggleHelp);
    let first = text(&render(&app));
    assert!(first.contains("Everywhere"), "{first}");
    let max = app.help_max.get();
    assert!(max > 0 && max < 200, "{max}");
    for (key, want) in [
        (KeyCode::Char('G'), max),
        (KeyCode::Char('g'), 0),
        (KeyCode::End, max),
        (KeyCode::Home, 0),
    ] {
        press(&mut app, key);
        assert_eq!(app.help, Some(want), "{key:?}");
    }
    // At the end, more Down stays there; one Up moves at once.
    press(&mut app, KeyCode::End);
    let end = text(&render(&app));
    assert!(end.contains("Marks in a diff"), "{end}");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.help, Some(max));
    press(&mut app, KeyCode::Up);
    assert_eq!(app.help, Some(max - 1));
    assert_ne!(text(&render(&app)), end);
}

#[test]
fn the_help_is_two_columns_on_a_wide_terminal_and_fits_at_200x60() {
    let mut app = app(sample(), false, 200, 60);
    app.update(Action::ToggleHelp);
    let screen = text(&render(&app));
    assert_eq!(app.help_max.get(), 0, "{screen}");
    for section in [
        "Everywhere",
        "Panes",
        "File contents",
        "This help",
        "Marks in a diff",
    ] {
        assert!(screen.contains(section), "{section}: {screen}");
    }
    // Two columns: some row holds keys of both.
    assert!(
        screen
            .lines()
            .any(|l| l.matches("  Ctrl-").count() >= 2 || l.matches("│  ").count() >= 2),
        "{screen}"
    );
    assert!(!screen.contains(" more "), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn ctrl_b_hides_and_shows_the_trees_attributes() {
    let mut app = app(sample(), false, 140, 30);
    actions(&mut app, &[Action::ExpandAll]);
    let with = text(&render(&app));
    assert!(line_with(&with, "busybox").contains("-rw-r--r--"), "{with}");
    app.update(Action::ToggleAttributes);
    let without = text(&render(&app));
    assert!(
        !line_with(&without, "busybox").contains("-rw-r--r--"),
        "{without}"
    );
    assert_shows(&without, "permissions and owners hidden");
    app.update(Action::ToggleAttributes);
    assert!(line_with(&text(&render(&app)), "busybox").contains("-rw-r--r--"));
}

#[test]
fn the_viewer_and_the_reports_clean_commands_with_one_function() {
    let loaded = sample();
    let report = imgscope::report::text::summary(&loaded.image, &loaded.analysis);
    let mut app = app(sample(), false, 200, 30);
    let screen = text(&render(&app));
    for layer in &loaded.image.layers {
        let cleaned = imgscope::text::one_line_command(layer.command(), 80);
        assert!(!cleaned.starts_with("/bin/sh"), "{cleaned}");
        assert!(!cleaned.contains("#(nop)"), "{cleaned}");
        // The text report's layer row ends with it; the layers pane shows its start.
        assert!(
            report.lines().any(|l| l.ends_with(&format!("  {cleaned}"))),
            "{cleaned}\n{report}"
        );
        let start: String = cleaned.chars().take(12).collect();
        assert!(screen.contains(&start), "{start}\n{screen}");
    }
    assert_eq!(
        imgscope::text::clean_command("/bin/sh -c #(nop) ADD file:base in / "),
        "ADD file:base in /"
    );
    assert_eq!(
        imgscope::text::clean_command("RUN /bin/sh -c apk add curl # buildkit"),
        "RUN apk add curl"
    );
    assert_eq!(
        imgscope::text::clean_command("|2 A=1 B=2 /bin/sh -c make"),
        "RUN make"
    );
    app.update(Action::Quit);
}

#[test]
fn a_long_status_note_keeps_its_cause() {
    let mut app = app(sample(), false, 80, 24);
    let cause = "Permission denied (os error 13)";
    app.message = Some(format!(
        "export of /etc/passwd to /home/someone/a/rather/long/directory/name/passwd failed: \
         creating a temporary file in /home/someone/a/rather/long/directory/name: {cause}"
    ));
    let screen = text(&render(&app));
    let status = screen.lines().last().unwrap();
    assert!(status.trim_end().ends_with(cause), "{status}");
    assert!(
        status.contains("export of /etc/pa") && status.contains('…'),
        "{status}"
    );
    assert!(status.starts_with(" AGGREGATED "), "{status}");
    // A note that fits is whole, after the state.
    app.message = Some("filter cleared".into());
    let screen = text(&render(&app));
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .contains("size↓  filter cleared"),
        "{screen}"
    );
}

#[test]
fn the_status_line_and_details_number_layers_alike() {
    let mut app = app(sample(), false, 100, 40);
    app.focus = Pane::Layers;
    for (layer, step, place) in [
        (3, None, "4th"),
        (1, Some(Action::Up), "2nd"),
        (0, Some(Action::Home), "1st"),
    ] {
        if let Some(step) = step {
            if layer == 1 {
                app.update(step);
            }
            app.update(step);
        }
        let screen = text(&render(&app));
        let said = format!("layer {layer} ({place} of 4)");
        assert!(screen.lines().last().unwrap().contains(&said), "{screen}");
        assert_shows(&screen, &format!("│Layer {layer} ({place} of 4)"));
    }
}

#[test]
fn names_cut_by_a_narrow_pane_end_with_an_ellipsis() {
    let long = "a-file-with-a-name-far-too-long-for-a-narrow-terminal.tar.gz";
    let loaded = build("narrow:1", vec![layer("RUN make").file(long, 1000, 1)]);
    let mut app = app(loaded, false, 60, 20);
    let screen = text(&render(&app));
    let row = line_with(&screen, "a-file-with");
    assert!(row.ends_with("…│"), "{row}");
    assert!(!screen.contains(long), "{screen}");
    // Wide enough, the whole name and no ellipsis.
    resize(&mut app, 200, 20);
    let screen = text(&render(&app));
    assert!(!line_with(&screen, long).contains('…'), "{screen}");
}

#[test]
fn uncompressed_layers_show_their_blob_size_as_such() {
    let mut loaded = sample();
    for layer in &mut loaded.image.layers {
        layer.compression = imgscope::model::Compression::None;
    }
    let mut app = app(loaded, false, 100, 40);
    // The layers pane has focus: the details describe the layer.
    app.update(Action::FocusPrev);
    let screen = text(&render(&app));
    assert_shows(&screen, "BLOB      SIZE");
    assert!(!screen.contains("COMPR"), "{screen}");
    assert_shows(&screen, "size        868 B blob (an");
    // Compressed layers keep the compressed column.
    let screen = text(&render(&self::app(sample(), false, 100, 40)));
    assert_shows(&screen, "COMPR      SIZE");
}

#[test]
fn focus_is_told_without_colour_and_an_unfocused_selection_stays_readable() {
    // Without colour: a marker in the focused pane's title, none in the others.
    let mut app = app(sample(), false, 100, 30);
    let screen = text(&render(&app));
    assert_shows(&screen, "┌▶ Files ");
    assert_shows(&screen, "┌ Layers (4) ");
    app.update(Action::FocusPrev);
    let screen = text(&render(&app));
    assert_shows(&screen, "┌▶ Layers (4) ");
    assert_shows(&screen, "┌ Files ");
    // In colour, the selected row of the unfocused tree: every cell's text differs from its
    // background (the dim guides included).
    let mut app = self::app(sample(), true, 100, 30);
    app.update(Action::ExpandAll);
    app.update(Action::Down);
    app.update(Action::FocusPrev);
    let buf = render(&app);
    let rows = app.areas().right_rows();
    let y = rows.y + app.viewer().unwrap().tree.cursor as u16;
    let mut seen = 0;
    for x in rows.x..rows.right() {
        let cell = &buf[(x, y)];
        if cell.symbol().trim().is_empty() {
            continue;
        }
        seen += 1;
        assert_ne!(cell.fg, cell.bg, "{:?} at {x} is unreadable", cell.symbol());
    }
    assert!(seen > 5);
}

#[test]
fn a_layers_changes_show_what_it_removed_below_each_directory() {
    // Layer 2 of the sample removes /var/cache/apt/pkgcache.bin (250,000 B) and rewrites big.dat.
    let mut app = app(sample(), false, 100, 30);
    app.update(Action::FocusPrev);
    app.update(Action::Up);
    app.update(Action::ToggleMode);
    app.update(Action::ExpandAll);
    let removed = human_size(250_000);
    let stats = app.viewer().unwrap().stats();
    let var = app.viewer().unwrap().file_tree().lookup("/var").unwrap();
    assert_eq!(stats.removed_below(var), 250_000);
    let usr = app.viewer().unwrap().file_tree().lookup("/usr").unwrap();
    assert_eq!(stats.removed_below(usr), 0);
    let screen = text(&render(&app));
    assert!(
        line_with(&screen, " var/").contains(&format!("0 B -{removed} └─ ▾ var/")),
        "{screen}"
    );
    assert!(!line_with(&screen, " usr/").contains('-'), "{screen}");
    // The removed file itself: its own bytes, marked R.
    assert!(
        line_with(&screen, "pkgcache.bin").contains(&format!("R  {removed}")),
        "{screen}"
    );
    // In the aggregated view the column is not there.
    app.update(Action::ToggleMode);
    let screen = text(&render(&app));
    assert!(!screen.contains(&format!("-{removed}")), "{screen}");
}

#[test]
fn details_duplicates_describe_the_version_at_the_selected_layer() {
    // a.txt is rewritten by layer 1 with c.txt's content: the final a.txt has a copy, the first
    // version's copy (b.txt) is another story the analysis does not tell.
    let loaded = build(
        "dups:1",
        vec![
            layer("COPY a b")
                .file("a.txt", 5000, 1)
                .file("b.txt", 5000, 1),
            layer("COPY a c")
                .file("a.txt", 7000, 2)
                .file("c.txt", 7000, 2),
        ],
    );
    let mut app = app(loaded, false, 120, 40);
    // The tree is sorted by size: a.txt (7000) is the first row.
    app.update(Action::Home);
    let screen = text(&render(&app));
    assert_shows(&screen, "File /a.txt");
    assert_shows(&screen, "duplicates  same content at 1 other path");
    app.update(Action::FocusPrev);
    app.update(Action::Home);
    app.update(Action::FocusNext);
    let screen = text(&render(&app));
    assert_shows(&screen, "Layer 0 (1st of 2)");
    assert_shows(&screen, "File /a.txt");
    assert!(!screen.contains("same content at"), "{screen}");
    assert_shows(&screen, "duplicates  not known for this version");
}

/// The base's layers say `base` before their command, and the details pane names the base.
#[test]
fn inherited_layers_are_marked_and_the_details_name_the_base() {
    let mut loaded = build(
        "app",
        vec![
            layer("ADD rootfs /").file("etc/os-release", 100, 1),
            layer("RUN apt-get install x").file("usr/bin/x", 2_000, 2),
            layer("COPY app /app").file("app/bin", 3_000, 3),
        ],
    );
    let diff_ids: Vec<String> = loaded.image.layers[..2]
        .iter()
        .map(|l| {
            l.diff_id
                .clone()
                .unwrap_or_else(|| format!("sha256:{}", l.index))
        })
        .collect();
    for (l, id) in loaded.image.layers.iter_mut().zip(&diff_ids) {
        l.diff_id = Some(id.clone());
    }
    loaded.analysis.base = Some(imgscope::analysis::base::BaseLayers::matched(
        &loaded.image,
        "debian:12".into(),
        None,
        imgscope::analysis::base::BaseOrigin::Annotation,
        &diff_ids,
    ));
    let mut app = App::with_results(vec![("img.tar".into(), Ok(loaded))], false);
    resize(&mut app, 120, 30);
    let screen = text(&render(&app));
    // The layer rows: the first column of the layers pane is the index.
    let rows: Vec<&str> = ["│  0 ", "│  1 ", "│  2 "]
        .iter()
        .map(|start| {
            screen
                .lines()
                .find(|l| l.starts_with(start))
                .expect(&screen)
        })
        .collect();
    assert!(rows[0].contains("base ADD rootfs"), "{screen}");
    assert!(rows[1].contains("base RUN apt-get"), "{screen}");
    assert!(
        rows[2].contains(" COPY app") && !rows[2].contains("base COPY"),
        "{screen}"
    );
    // The viewer opens on the last layer: the image's own.
    assert_shows(&screen, "the image's own, above debian:12");
    let screen = screen_after(&mut app, &[Action::Up, Action::Up]);
    assert_shows(&screen, "inherited from debian:12");
}

/// `imgscope history NAME` in a terminal: the chart, the list of points with what moved, the
/// picked point following ↑/↓, and hostile strings from the records escaped.
#[test]
fn the_history_chart_shows_the_series_and_follows_the_picked_point() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use imgscope::history::{LayerRow, Record};
    use imgscope::tui::history_chart::HistoryChart;
    let layer = |index: usize, id: &str, size: u64, command: &str| LayerRow {
        index,
        diff_id: Some(id.to_string()),
        size_bytes: size,
        command: command.to_string(),
        ..LayerRow::default()
    };
    let record = |id: i64, commit: &str, layers: Vec<LayerRow>| Record {
        id,
        name: "hist/app".into(),
        recorded_at: 1_780_000_000 + id * 86_400,
        size_bytes: layers.iter().map(|l| l.size_bytes).sum(),
        compressed_size_bytes: layers.iter().map(|l| l.size_bytes / 2).sum(),
        git_commit: Some(commit.into()),
        git_branch: Some("main\u{1b}[2J".into()),
        layers,
        ..Record::default()
    };
    let records = vec![
        record(1, "c1", vec![layer(0, "a", 300_000_000, "ADD rootfs /")]),
        record(
            2,
            "c2",
            vec![
                layer(0, "a", 300_000_000, "ADD rootfs /"),
                layer(
                    1,
                    "b",
                    900_000_000,
                    "RUN pip install \u{1b}]52;c;x\u{7}torch",
                ),
            ],
        ),
        record(
            3,
            "c3",
            vec![
                layer(0, "a", 300_000_000, "ADD rootfs /"),
                layer(
                    1,
                    "b",
                    900_000_000,
                    "RUN pip install \u{1b}]52;c;x\u{7}torch",
                ),
            ],
        ),
    ];
    let mut chart = HistoryChart::new("hist/app", "/tmp/h.db", &records, false);
    let draw = |chart: &HistoryChart| {
        let area = ratatui::layout::Rect::new(0, 0, 200, 30);
        let mut buf = Buffer::empty(area);
        chart.draw(area, &mut buf);
        buf
    };
    let screen = text(&draw(&chart));
    assert_shows(
        &screen,
        "History hist/app · 3 records in /tmp/h.db · 286.1 MiB → 1.1 GiB",
    );
    assert_shows(&screen, "Size over time");
    // The y axis tops at the largest size; the x axis is dated.
    assert_shows(&screen, "1.1 GiB");
    assert_shows(&screen, "2026-05-");
    assert_shows(&screen, "first record");
    assert_shows(
        &screen,
        "+858.3 MiB; layer 1 new +858.3 MiB: RUN pip install \\x1b]52;c;x\\x07torch",
    );
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen}"
    );
    assert_shows(&screen, "main\\x1b[2J");
    // The latest point is picked: its row is reversed.
    let buf = draw(&chart);
    let picked_row = |buf: &Buffer| {
        (0..buf.area.height)
            .find(|&y| {
                let cell = &buf[(3, y)];
                cell.modifier.contains(ratatui::style::Modifier::REVERSED)
            })
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
    };
    assert!(picked_row(&buf).unwrap().contains("#3"), "{screen}");
    chart.key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(chart.selected, 1);
    assert!(picked_row(&draw(&chart)).unwrap().contains("#2"));
    chart.key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE));
    assert_eq!(chart.selected, 0);
    chart.key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(chart.selected, 0);
    chart.key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE));
    assert_eq!(chart.selected, 2);
    assert!(!chart.quit);
    chart.key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    assert!(chart.quit);
    // Any size draws without panicking, down to nothing.
    for (w, h) in SIZES {
        let area = ratatui::layout::Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        chart.draw(area, &mut buf);
    }
    let one = HistoryChart::new("x", "db", &records[..1], true);
    let area = ratatui::layout::Rect::new(0, 0, 80, 20);
    one.draw(area, &mut Buffer::empty(area));

    // The chart takes the viewer's [theme]: the light palette's blue, not the default cyan, and
    // `no-color` leaves no colour at all.
    let colours = |config: &str| {
        let mut chart = HistoryChart::new("hist/app", "/tmp/h.db", &records, true);
        let parsed =
            imgscope::tui::config_file::parse(config, std::path::Path::new("config.toml")).unwrap();
        chart.configure(&parsed);
        let area = ratatui::layout::Rect::new(0, 0, 100, 30);
        let mut buf = Buffer::empty(area);
        chart.draw(area, &mut buf);
        buf.content()
            .iter()
            .map(|c| c.fg)
            .filter(|c| *c != ratatui::style::Color::Reset)
            .collect::<std::collections::HashSet<_>>()
    };
    use ratatui::style::Color;
    let default = colours("");
    assert!(default.contains(&Color::Cyan), "{default:?}");
    let light = colours("[theme]\nname = \"light\"\n");
    assert!(
        light.contains(&Color::Blue) && !light.contains(&Color::Cyan),
        "{light:?}"
    );
    assert!(colours("[theme]\nname = \"no-color\"\n").is_empty());
}

#[test]
fn the_plan_footer_shows_the_selected_row_in_full_and_scrolls_where_it_must() {
    use imgscope::tui::plan_state::Row;
    // Every plan action's whole text at 120×60: each wrapped line of it is on the screen, the
    // longest taking more than the two lines the footer had.
    let mut app = sharing(false, 120, 60);
    let count = app.sharing.as_ref().unwrap().plan.len();
    assert!(count > 0);
    let mut most_lines = 0;
    for k in 0..count {
        let s = app.sharing.as_mut().unwrap();
        let at = s
            .rows
            .iter()
            .position(|r| *r == Row::Plan(k as u32))
            .unwrap();
        s.cursor = at;
        let details = s.details();
        let width = app.areas().sharing_rows().width as usize;
        let screen = text(&render(&app));
        let lines = imgscope::tui::format::wrap(&details, width, width);
        most_lines = most_lines.max(lines.len());
        for line in lines {
            assert!(
                screen.contains(line.trim_end()),
                "{line:?} missing:\n{screen}"
            );
        }
        assert!(!screen.contains("more · J/K scroll"), "{screen}");
    }
    assert!(most_lines > 3, "{most_lines}");
    // At 80×16 the longest text does not fit: the rule says so, and J scrolls to its last line.
    let mut app = sharing(false, 80, 16);
    let s = app.sharing.as_mut().unwrap();
    let longest = (0..count)
        .max_by_key(|&k| {
            s.cursor = s
                .rows
                .iter()
                .position(|r| *r == Row::Plan(k as u32))
                .unwrap();
            s.details().len()
        })
        .unwrap();
    s.cursor = s
        .rows
        .iter()
        .position(|r| *r == Row::Plan(longest as u32))
        .unwrap();
    let width = app.areas().sharing_rows().width as usize;
    let lines = imgscope::tui::format::wrap(&app.sharing.as_ref().unwrap().details(), width, width);
    let screen = text(&render(&app));
    assert!(screen.contains("more · J/K scroll"), "{screen}");
    assert!(
        !screen.contains(lines.last().unwrap().trim_end()),
        "{screen}"
    );
    for _ in 0..lines.len() {
        let key = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('J'),
            crossterm::event::KeyModifiers::NONE,
        );
        let action = app.keys.map_key(&key, app.screen()).unwrap();
        app.update(action);
    }
    let screen = text(&render(&app));
    assert!(
        screen.contains(lines.last().unwrap().trim_end()),
        "{screen}"
    );
    assert!(screen.contains("↑"), "{screen}");
}

#[test]
fn tab_jumps_between_the_plan_view_s_sections() {
    use imgscope::tui::plan_state::Row;
    let mut app = sharing(false, 120, 40);
    let headings = |app: &App| {
        let s = app.sharing.as_ref().unwrap();
        s.rows
            .iter()
            .filter(|r| matches!(r, Row::Heading(_)))
            .count()
    };
    assert!(headings(&app) >= 3);
    let mut seen = vec![app.sharing.as_ref().unwrap().cursor];
    for _ in 0..headings(&app) + 2 {
        app.update(Action::FocusNext);
        let s = app.sharing.as_ref().unwrap();
        assert!(s.selected().unwrap().selectable());
        seen.push(s.cursor);
    }
    seen.dedup();
    // Each Tab went forward to a later section until the last one, then stayed.
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen.len() >= 3, "{seen:?}");
    // Shift-Tab goes back the same way.
    let last = *seen.last().unwrap();
    app.update(Action::FocusPrev);
    let back = app.sharing.as_ref().unwrap().cursor;
    assert!(back < last && seen.contains(&back), "{back} {seen:?}");
    // The view stays the plan.
    assert_eq!(app.view, imgscope::tui::app::View::Sharing);
}

#[test]
fn the_summary_keeps_the_whole_image_name_at_80_columns() {
    let name = "registry.example.com/platform/redis-debian:7.2.4";
    let loaded = build(
        name,
        vec![
            layer("RUN apt-get install -y redis-server")
                .file("usr/bin/redis-server", 2_000_000, 1)
                .file("var/cache/apt/pkgcache.bin", 300_000, 2),
            layer("RUN rm -rf /usr/share/doc").file("etc/redis.conf", 1_000, 3),
        ],
    );
    let viewer = app(loaded, false, 80, 24);
    let screen = text(&render(&viewer));
    let summary = screen.lines().next().unwrap();
    assert!(summary.contains(name), "{summary}");
    // A name longer than the line keeps its tag: cut in the middle.
    let long = format!("registry.example.com/{}/app:v1.2.3", "x".repeat(120));
    let loaded = build(&long, vec![layer("RUN true").file("a", 10, 1)]);
    let viewer = app(loaded, false, 80, 24);
    let screen = text(&render(&viewer));
    let summary = screen.lines().next().unwrap();
    assert!(summary.contains("app:v1.2.3"), "{summary}");
    assert!(summary.contains('…'), "{summary}");
}

//! The viewer's state, driven through `App::update` alone (no drawing): layers, the two tree
//! modes, expand/collapse, sort, hidden kinds, the path filter, search, biggest files, the waste
//! view, mouse, several images, a diff (`imgscope diff`: marks, deltas, changed only, the removed
//! list, layers), and edge cases (no layers, failed loads). Sizes are checked against the analysis
//! and the JSON report, which the viewer must never contradict.

use crate::tui_support::*;
use imgscope::model::{NodeId, ROOT};
use imgscope::report::escape::human_size;
use imgscope::tui::action::{Action, Tab};
use imgscope::tui::app::{App, InputKind, Pane, RightPane, Slot};
use imgscope::tui::stats::{ADDED, MODIFIED, REMOVED, UNCHANGED};
use imgscope::tui::tree_view::{Mode, Sort};
use imgscope::tui::viewer::Viewer;
use imgscope::tui::waste_list::WasteRow;

/// The viewer on one image, with the focus moved (Tab) from the layers, where it starts as in
/// dive, to the file tree these tests drive.
fn app_with(loaded: imgscope::load::Loaded) -> App {
    let mut app = App::with_results(vec![("img.tar".into(), Ok(loaded))], true);
    app.update(Action::Resize {
        width: 100,
        height: 30,
    });
    assert_eq!(
        app.focus,
        Pane::Layers,
        "the viewer starts on the layers, as dive does"
    );
    app.update(Action::FocusNext);
    app
}

fn viewer(app: &App) -> &Viewer {
    app.viewer().expect("the image is loaded")
}

/// The shown rows as `depth:path` strings.
fn rows(app: &App) -> Vec<String> {
    let v = viewer(app);
    v.tree
        .rows()
        .iter()
        .map(|r| format!("{}:{}", r.depth, v.file_tree().path(r.node)))
        .collect()
}

fn node(app: &App, path: &str) -> NodeId {
    viewer(app).file_tree().lookup(path).expect("path exists")
}

fn selected_path(app: &App) -> String {
    let v = viewer(app);
    v.file_tree()
        .path(v.tree.selected().expect("a row is selected"))
}

/// Put the tree cursor on `path` (which must be a shown row).
fn select(app: &mut App, path: &str) {
    let n = node(app, path);
    let i = viewer(app)
        .tree
        .rows()
        .iter()
        .position(|r| r.node == n)
        .unwrap_or_else(|| panic!("{path} is not shown: {:?}", rows(app)));
    let cur = viewer(app).tree.cursor;
    app.focus = Pane::Right;
    for _ in cur..i {
        app.update(Action::Down);
    }
    for _ in i..cur {
        app.update(Action::Up);
    }
    assert_eq!(selected_path(app), path);
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::InputChar(c));
    }
}

#[test]
fn opens_on_the_last_layer_with_the_analysis_sizes() {
    let app = app_with(sample());
    let v = viewer(&app);
    assert_eq!(v.layer, 3);
    assert_eq!(v.mode, Mode::Aggregated);
    assert_eq!(v.sort, Sort::Size);
    // Top level, largest first: usr (2.3 MB), bin, etc, tmp, opt (5 B after the opaque dir),
    // var (0 B: its one file was deleted).
    assert_eq!(
        rows(&app),
        ["0:/usr", "0:/bin", "0:/etc", "0:/tmp", "0:/opt", "0:/var"]
    );
    let lens = v.lens();
    for r in v.tree.rows() {
        assert_eq!(lens.size(r.node), v.analysis().sizes[r.node as usize]);
    }
    assert_eq!(
        lens.size(ROOT),
        v.image().size() - v.analysis().waste.reclaimable_bytes
    );
}

#[test]
fn tree_sizes_agree_with_the_json_report() {
    let loaded = sample();
    let json = imgscope::report::json::to_string(std::slice::from_ref(&loaded)).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let app = app_with(loaded);
    let v = viewer(&app);
    let dirs = report["images"][0]["largest_directories"]
        .as_array()
        .unwrap();
    assert!(!dirs.is_empty());
    for d in dirs {
        let path = d["path"].as_str().unwrap();
        let n = v.file_tree().lookup(path).unwrap();
        assert_eq!(
            v.lens().size(n),
            d["size_bytes"].as_u64().unwrap(),
            "{path}"
        );
    }
    let img = &report["images"][0];
    assert_eq!(img["size_bytes"].as_u64().unwrap(), v.image().size());
    for (i, l) in img["layers"].as_array().unwrap().iter().enumerate() {
        let layer = &v.image().layers[i];
        assert_eq!(l["size_bytes"].as_u64().unwrap(), layer.size);
        assert_eq!(
            l["compressed_size_bytes"].as_u64().unwrap(),
            layer.compressed_size
        );
        assert_eq!(
            l["reclaimable_bytes"].as_u64().unwrap(),
            v.analysis().waste.per_layer[i]
        );
        assert_eq!(v.layer_sizes[i].1, human_size(layer.size));
    }
}

#[test]
fn selecting_a_layer_shows_the_filesystem_as_of_it() {
    let mut app = app_with(sample());
    app.focus = Pane::Layers;
    app.update(Action::Up);
    app.update(Action::Up);
    assert_eq!(viewer(&app).layer, 1);
    // At layer 1, /opt/tools still holds the tool and its backup, and /var exists.
    assert!(rows(&app).contains(&"0:/var".to_string()));
    app.update(Action::FocusNext);
    select(&mut app, "/opt");
    app.update(Action::Right);
    app.update(Action::Down);
    app.update(Action::Right);
    assert_eq!(
        rows(&app)
            .iter()
            .filter(|r| r.starts_with("2:"))
            .cloned()
            .collect::<Vec<_>>(),
        ["2:/opt/tools/tool", "2:/opt/tools/tool.bak"]
    );
    let v = viewer(&app);
    let tools = node(&app, "/opt/tools");
    assert_eq!(v.lens().size(tools), 800_000);
    assert_eq!(v.stats().own(tools), ADDED);
    // Back to the top: the opaque directory hid both, and only the README is left.
    app.focus = Pane::Layers;
    app.update(Action::End);
    assert_eq!(viewer(&app).layer, 3);
    let r = rows(&app);
    assert!(r.contains(&"2:/opt/tools/README".to_string()), "{r:?}");
    assert!(
        r.contains(&"2:/opt/tools/tool".to_string()),
        "removed here, shown as such"
    );
    let v = viewer(&app);
    assert_eq!(v.stats().own(node(&app, "/opt/tools/tool")), REMOVED);
    assert_eq!(v.lens().size(node(&app, "/opt/tools/tool")), 400_000);
    assert_eq!(v.lens().size(tools), 5);
}

#[test]
fn changes_mode_shows_only_what_the_layer_did() {
    let mut app = app_with(sample());
    app.focus = Pane::Layers;
    app.update(Action::Up); // layer 2: chmod big.dat, delete pkgcache.bin
    app.update(Action::ToggleMode);
    assert_eq!(viewer(&app).mode, Mode::Changes);
    app.update(Action::ExpandAll);
    assert_eq!(
        rows(&app),
        [
            "0:/usr",
            "1:/usr/lib",
            "2:/usr/lib/big.dat",
            "0:/var",
            "1:/var/cache",
            "2:/var/cache/apt",
            "3:/var/cache/apt/pkgcache.bin"
        ]
    );
    let v = viewer(&app);
    assert_eq!(v.stats().own(node(&app, "/usr/lib/big.dat")), MODIFIED);
    assert_eq!(v.stats().own(node(&app, "/usr")), UNCHANGED);
    // In changes mode a directory's size is what the layer wrote below it.
    assert_eq!(v.lens().size(node(&app, "/usr")), 300_000);
    assert_eq!(
        v.lens().size(node(&app, "/var/cache/apt/pkgcache.bin")),
        250_000
    );
    // Hiding modified entries leaves the removal; hiding removed too leaves nothing.
    app.update(Action::ToggleHidden(MODIFIED));
    assert_eq!(rows(&app)[0], "0:/var");
    app.update(Action::ToggleHidden(REMOVED));
    assert!(rows(&app).is_empty());
    app.update(Action::ToggleHidden(REMOVED));
    app.update(Action::ToggleHidden(MODIFIED));
    assert_eq!(rows(&app).len(), 7);
    // Aggregated again, hiding unchanged entries shows the same changes in the whole tree.
    app.update(Action::ToggleMode);
    app.update(Action::ToggleHidden(UNCHANGED));
    app.update(Action::ExpandAll);
    assert_eq!(rows(&app).len(), 7);
}

#[test]
fn expand_and_collapse_splice_rows_and_keep_the_cursor() {
    let mut app = app_with(sample());
    select(&mut app, "/usr");
    app.update(Action::Toggle);
    assert_eq!(rows(&app)[..2], ["0:/usr", "1:/usr/lib"]);
    app.update(Action::Down);
    app.update(Action::Right); // expand /usr/lib
    assert_eq!(
        rows(&app)[..5],
        [
            "0:/usr",
            "1:/usr/lib",
            "2:/usr/lib/libc.so.6",
            "2:/usr/lib/big.dat",
            "2:/usr/lib/libc.so"
        ]
    );
    app.update(Action::Right); // step into it
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    app.update(Action::Left); // a file: go to the parent
    assert_eq!(selected_path(&app), "/usr/lib");
    select(&mut app, "/bin");
    app.update(Action::Toggle);
    let before = rows(&app).len();
    select(&mut app, "/usr");
    app.update(Action::Toggle); // collapse /usr with its open subdirectory
    assert_eq!(rows(&app).len(), before - 4);
    assert_eq!(selected_path(&app), "/usr");
    // Re-expanding remembers that /usr/lib was open.
    app.update(Action::Toggle);
    assert_eq!(rows(&app).len(), before);
    app.update(Action::CollapseAll);
    assert_eq!(rows(&app).len(), 6);
    assert_eq!(selected_path(&app), "/usr");
    app.update(Action::ExpandAll);
    assert_eq!(rows(&app).len(), 22, "{:?}", rows(&app));
}

#[test]
fn sort_by_name_or_size() {
    let mut app = app_with(sample());
    app.update(Action::ToggleSort);
    assert_eq!(viewer(&app).sort, Sort::Name);
    assert_eq!(
        rows(&app),
        ["0:/bin", "0:/etc", "0:/opt", "0:/tmp", "0:/usr", "0:/var"]
    );
    select(&mut app, "/etc");
    app.update(Action::Toggle);
    app.update(Action::ToggleSort);
    // The cursor stays on /etc; its children are now largest first.
    assert_eq!(selected_path(&app), "/etc");
    let r = rows(&app);
    let i = r.iter().position(|x| x == "0:/etc").unwrap();
    assert_eq!(r[i + 1..i + 3], ["1:/etc/passwd", "1:/etc/group"]);
}

#[test]
fn substring_filter_narrows_and_widens() {
    let mut app = app_with(sample());
    app.update(Action::OpenFilter);
    assert_eq!(app.input.as_ref().unwrap().kind, InputKind::Filter);
    type_text(&mut app, "lib");
    // Applied as typed; few matches open the directories leading to them.
    assert_eq!(
        rows(&app),
        [
            "0:/usr",
            "1:/usr/lib",
            "2:/usr/lib/libc.so.6",
            "2:/usr/lib/big.dat",
            "2:/usr/lib/libc.so"
        ]
    );
    type_text(&mut app, "c.so.");
    assert_eq!(viewer(&app).filter.matched().len(), 1);
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    for _ in 0..5 {
        app.update(Action::InputBackspace);
    }
    assert_eq!(viewer(&app).filter.matched().len(), 4);
    app.update(Action::InputAccept);
    assert!(app.input.is_none());
    assert_eq!(app.message.as_deref(), Some("filter: 4 matching paths"));
    // A pattern across a separator.
    app.update(Action::OpenFilter);
    app.update(Action::InputClear);
    type_text(&mut app, "n/s");
    assert_eq!(rows(&app), ["0:/bin", "1:/bin/sh"]);
    // Esc restores the filter from before editing.
    app.update(Action::Escape);
    assert_eq!(viewer(&app).filter.text(), "lib");
    // An empty filter clears it.
    app.update(Action::OpenFilter);
    app.update(Action::InputClear);
    app.update(Action::InputAccept);
    assert!(!viewer(&app).filter.is_active());
    // The directories the filter opened are closed again.
    assert_eq!(rows(&app).len(), 6);
}

#[test]
fn regex_filter_applies_on_enter_and_rejects_bad_patterns() {
    let mut app = app_with(sample());
    app.update(Action::OpenFilter);
    app.update(Action::InputToggleRegex);
    type_text(&mut app, r"\.so(\.\d+)?$");
    assert!(!viewer(&app).filter.is_active(), "not applied before Enter");
    app.update(Action::InputAccept);
    assert!(viewer(&app).filter.is_regex());
    assert_eq!(viewer(&app).filter.matched().len(), 2);
    assert!(rows(&app).contains(&"2:/usr/lib/libc.so".to_string()));
    // An invalid regex keeps the line open with the reason, and the tree as it was.
    app.update(Action::OpenFilter);
    app.update(Action::InputClear);
    type_text(&mut app, "(unclosed");
    assert!(app.input.as_ref().unwrap().error.is_some());
    app.update(Action::InputAccept);
    assert!(app.input.is_some());
    assert_eq!(viewer(&app).filter.matched().len(), 2);
    app.update(Action::Escape);
    assert!(app.input.is_none());
}

#[test]
fn search_finds_next_and_previous_and_esc_returns() {
    let mut app = app_with(sample());
    app.update(Action::ExpandAll);
    app.update(Action::Home);
    app.update(Action::OpenSearch);
    type_text(&mut app, "LIBC");
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    app.update(Action::InputAccept);
    app.update(Action::SearchNext);
    assert_eq!(selected_path(&app), "/usr/lib/libc.so");
    app.update(Action::SearchNext); // wraps around
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    app.update(Action::SearchPrev);
    assert_eq!(selected_path(&app), "/usr/lib/libc.so");
    app.update(Action::OpenSearch);
    type_text(&mut app, "zzz");
    assert_eq!(
        app.input.as_ref().unwrap().error.as_deref(),
        Some("no match")
    );
    app.update(Action::Escape);
    assert_eq!(selected_path(&app), "/usr/lib/libc.so");
}

#[test]
fn biggest_files_come_from_the_analysis_in_order() {
    let mut app = app_with(sample());
    app.focus = Pane::Layers;
    app.update(Action::Home);
    app.update(Action::NextBiggest);
    // Jumps show the final filesystem.
    assert_eq!(viewer(&app).layer, 3);
    assert_eq!(app.focus, Pane::Right);
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("biggest file 1/")
    );
    let largest = viewer(&app).analysis().largest_files.clone();
    for &n in &largest[1..] {
        app.update(Action::NextBiggest);
        assert_eq!(viewer(&app).tree.selected(), Some(n));
    }
    app.update(Action::NextBiggest);
    assert_eq!(viewer(&app).tree.selected(), Some(largest[0]));
}

#[test]
fn waste_view_lists_reclaimable_and_duplicates_and_jumps() {
    let mut app = app_with(sample());
    app.update(Action::ToggleWaste);
    assert_eq!(app.right, RightPane::Waste);
    let v = viewer(&app);
    let w = v.analysis();
    assert_eq!(
        v.waste.rows[..1 + w.waste.paths.len()],
        std::iter::once(WasteRow::ReclaimHeader)
            .chain((0..w.waste.paths.len() as u32).map(WasteRow::Reclaim))
            .collect::<Vec<_>>()
    );
    assert!(v.waste.rows.contains(&WasteRow::Group(0)));
    // The first row is the largest reclaimable path: the opaque dir hid 800 KB of tools.
    assert_eq!(v.waste.selected(), Some(WasteRow::Reclaim(0)));
    app.update(Action::Activate);
    assert_eq!(app.right, RightPane::Tree);
    let first = &viewer(&app).analysis().waste.paths[0];
    let (target, layer) = (first.node, first.copies[0].layer);
    assert_eq!(viewer(&app).layer, layer);
    assert_eq!(viewer(&app).tree.selected(), Some(target));
    // A duplicate group's path leads to the final filesystem, clearing what hides it.
    app.update(Action::ToggleHidden(UNCHANGED));
    app.update(Action::ToggleWaste);
    let i = viewer(&app)
        .waste
        .rows
        .iter()
        .position(|r| matches!(r, WasteRow::GroupPath(0, 1)))
        .unwrap();
    for _ in viewer(&app).waste.cursor..i {
        app.update(Action::Down);
    }
    app.update(Action::Activate);
    let v = viewer(&app);
    assert_eq!(v.layer, 3);
    assert_eq!(v.hidden, 0);
    assert_eq!(
        v.tree.selected(),
        Some(v.analysis().duplicates.groups[0].nodes[1])
    );
    assert!(app.message.as_deref().unwrap().contains("cleared"));
    // Enter on a header does nothing.
    app.update(Action::ToggleWaste);
    app.update(Action::Home);
    app.update(Action::Activate);
    assert_eq!(app.right, RightPane::Waste);
}

#[test]
fn mouse_clicks_select_and_open_and_the_wheel_scrolls() {
    let mut app = app_with(sample());
    let areas = app.areas();
    let rows_area = areas.right_rows();
    // Click the second row of the tree, then again to open it.
    app.update(Action::Click {
        column: rows_area.x + 5,
        row: rows_area.y + 1,
    });
    assert_eq!(selected_path(&app), "/bin");
    app.update(Action::Click {
        column: rows_area.x + 5,
        row: rows_area.y + 1,
    });
    assert!(viewer(&app).tree.is_expanded(node(&app, "/bin")));
    app.update(Action::Scroll {
        column: rows_area.x + 5,
        row: rows_area.y,
        down: true,
    });
    assert_eq!(viewer(&app).tree.cursor, 4);
    // A click on a layer row selects that layer and focuses the pane.
    let layer_rows = areas.layer_rows();
    app.update(Action::Click {
        column: layer_rows.x + 2,
        row: layer_rows.y,
    });
    assert_eq!(app.focus, Pane::Layers);
    assert_eq!(viewer(&app).layer, 0);
    app.update(Action::Scroll {
        column: layer_rows.x + 2,
        row: layer_rows.y,
        down: true,
    });
    assert_eq!(viewer(&app).layer, 1);
    app.update(Action::Click {
        column: areas.details.x + 3,
        row: areas.details.y + 3,
    });
    assert_eq!(app.focus, Pane::Details);
    // Outside every pane (the status line): nothing.
    app.update(Action::Click {
        column: 0,
        row: areas.status.y,
    });
    assert_eq!(app.focus, Pane::Details);
}

#[test]
fn focus_cycles_and_help_opens_and_closes() {
    let mut app = app_with(sample());
    assert_eq!(app.focus, Pane::Right);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Pane::Details);
    assert_eq!(app.subject, Pane::Right, "details still describe the file");
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Pane::Layers);
    app.update(Action::FocusPrev);
    assert_eq!(app.focus, Pane::Details);
    app.update(Action::Activate);
    app.update(Action::ToggleHelp);
    assert_eq!(app.help, Some(0));
    app.update(Action::Down);
    assert_eq!(app.help, Some(1));
    app.update(Action::Escape);
    assert_eq!(app.help, None);
    assert!(!app.should_quit());
    // A second Esc, after the overlay closed, never ends the session: it says which key does.
    app.update(Action::Escape);
    assert!(!app.should_quit());
    assert_eq!(app.message.as_deref(), Some("q quits"));
    // With a filter on, Esc clears it.
    app.update(Action::OpenFilter);
    for c in "passwd".chars() {
        app.update(Action::InputChar(c));
    }
    app.update(Action::InputAccept);
    assert!(viewer(&app).filter.is_active());
    app.update(Action::Escape);
    assert!(!viewer(&app).filter.is_active());
    assert_eq!(app.message.as_deref(), Some("filter cleared"));
    assert!(!app.should_quit());
    app.update(Action::Quit);
    assert!(app.should_quit());
}

#[test]
fn several_images_switch_with_brackets_and_keep_their_state() {
    let mut app = App::with_results(
        vec![
            ("a.tar".into(), Ok(sample())),
            (
                "missing.tar".into(),
                Err("missing.tar: no such file".into()),
            ),
            ("empty.tar".into(), Ok(empty())),
        ],
        false,
    );
    app.update(Action::Resize {
        width: 80,
        height: 24,
    });
    assert!(app.areas().tabs.is_some());
    app.update(Action::ToggleSort);
    app.update(Action::NextImage);
    assert_eq!(app.current, 1);
    assert!(
        matches!(&app.slot().unwrap().state, Slot::Failed { error } if error.contains("no such"))
    );
    // Actions on a failed image do nothing, and do not panic.
    for a in [
        Action::Down,
        Action::ExpandAll,
        Action::NextBiggest,
        Action::ToggleWaste,
    ] {
        app.update(a);
    }
    app.update(Action::NextImage);
    assert_eq!(app.current, 2);
    app.update(Action::NextImage);
    assert_eq!(app.current, 0);
    assert_eq!(viewer(&app).sort, Sort::Name);
    app.update(Action::PrevImage);
    assert_eq!(app.current, 2);
    // Clicking a tab selects it.
    let labels = app.tab_labels();
    let x = labels[0].chars().count() as u16 + 1;
    app.update(Action::Click { column: x, row: 0 });
    assert_eq!(app.current, 1);
}

#[test]
fn an_image_without_layers_or_files_takes_every_action() {
    let mut app = app_with(empty());
    let v = viewer(&app);
    assert_eq!(v.layer_count(), 0);
    assert!(v.tree.rows().is_empty());
    for a in every_action() {
        app.update(a);
        if app.should_quit() {
            break;
        }
    }
}

/// One of each action, plus typing, in an order that opens and closes inputs and overlays.
fn every_action() -> Vec<Action> {
    use Action::*;
    vec![
        Down,
        Up,
        PageDown,
        PageUp,
        End,
        Home,
        Left,
        Right,
        Toggle,
        Activate,
        ExpandAll,
        CollapseAll,
        ToggleMode,
        ToggleSort,
        ToggleHidden(ADDED),
        ToggleHidden(UNCHANGED),
        ToggleHidden(MODIFIED),
        ToggleHidden(REMOVED),
        NextBiggest,
        PrevBiggest,
        SetMode(Mode::Changes),
        AddedOrAggregated,
        ToggleAttributes,
        CopyPath,
        CopyDigest,
        GoToImage(0),
        GoToImage(5),
        ToggleWaste,
        Activate,
        Down,
        Toggle,
        ToggleWaste,
        ToggleChangedOnly,
        ToggleRemoved,
        Down,
        End,
        Activate,
        ToggleRemoved,
        ToggleRemoved,
        ToggleWaste,
        ToggleRemoved,
        Click { column: 60, row: 4 },
        Click { column: 60, row: 4 },
        ToggleChangedOnly,
        OpenFilter,
        InputChar('a'),
        InputToggleRegex,
        InputChar('('),
        InputAccept,
        Escape,
        OpenSearch,
        InputChar('x'),
        InputBackspace,
        InputAccept,
        SearchNext,
        SearchPrev,
        FocusNext,
        Down,
        FocusNext,
        Down,
        FocusPrev,
        NextImage,
        PrevImage,
        ToggleHelp,
        PageDown,
        Escape,
        Click { column: 3, row: 3 },
        Scroll {
            column: 50,
            row: 10,
            down: true,
        },
        Suspend,
        Resize {
            width: 1,
            height: 1,
        },
        Down,
        Resize {
            width: 0,
            height: 0,
        },
        Click { column: 0, row: 0 },
        Resize {
            width: 80,
            height: 24,
        },
        Quit,
    ]
}

#[test]
fn the_sample_takes_every_action_at_every_layer() {
    every_action_at_every_layer(|| app_with(sample()));
}

/// Select each of the first four layers of a fresh app, then apply every action.
fn every_action_at_every_layer(new_app: impl Fn() -> App) {
    for layer in 0..4 {
        let mut app = new_app();
        app.focus = Pane::Layers;
        app.update(Action::Home);
        for _ in 0..layer {
            app.update(Action::Down);
        }
        assert_eq!(viewer(&app).layer, layer);
        app.focus = Pane::Right;
        for a in every_action() {
            app.update(a);
        }
        assert!(app.should_quit());
    }
}

#[test]
fn a_load_in_progress_becomes_ready_on_a_tick() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Instant;
    let (tx, rx) = std::sync::mpsc::channel();
    let progress: Vec<Arc<imgscope::load::Progress>> = vec![Arc::default()];
    let mut app = App::new(
        vec!["x.tar".into()],
        progress.clone(),
        rx,
        true,
        Instant::now(),
    );
    assert!(app.is_loading());
    progress[0].layers_total.store(4, Ordering::Relaxed);
    app.update(Action::Down); // nothing to move yet, and no panic
    app.update(Action::Tick(Instant::now()));
    assert!(app.is_loading());
    tx.send((0, Ok(Box::new(Viewer::new(sample()))))).unwrap();
    app.update(Action::Tick(Instant::now()));
    assert!(!app.is_loading());
    assert_eq!(viewer(&app).layer_count(), 4);
}

#[test]
fn the_dive_fixture_matches_its_published_numbers() {
    let Some(loaded) = dive_fixture() else { return };
    let mut app = app_with(loaded);
    let v = viewer(&app);
    assert_eq!(v.layer_count(), 14);
    // dive's numbers for this image: 98.44% efficient; the viewer reads the same analysis.
    assert!((v.analysis().efficiency.score * 100.0 - 98.44).abs() < 0.01);
    // Layer 9 (`rm -rf /root/example/`) removed two files: its changes are removals only.
    app.focus = Pane::Layers;
    app.update(Action::Home);
    for _ in 0..9 {
        app.update(Action::Down);
    }
    app.update(Action::ToggleMode);
    app.update(Action::ExpandAll);
    let r = rows(&app);
    assert_eq!(
        r,
        [
            "0:/root",
            "1:/root/example",
            "2:/root/example/somefile1.txt",
            "2:/root/example/somefile2.txt",
            "2:/root/example/really",
            "3:/root/example/really/nested"
        ]
    );
    let v = viewer(&app);
    assert_eq!(v.stats().own(node(&app, "/root/example")), REMOVED);
    assert_eq!(
        v.lens().size(node(&app, "/root/example")),
        2 * 6405,
        "the bytes removed below it"
    );
}

#[test]
fn layer_sizes_equal_the_models_subtree_sizes_at_every_layer() {
    use imgscope::tui::stats::LayerStats;
    let mut images = vec![sample(), synthetic(3000)];
    images.extend(dive_fixture());
    for loaded in images {
        let tree = &loaded.image.tree;
        let layers = loaded.image.layers.len();
        for layer in 0..layers {
            let last = layer + 1 == layers;
            let stats = LayerStats::compute(tree, layer, last);
            let expected = tree.subtree_sizes(Some(layer));
            for id in 0..tree.node_count() as NodeId {
                assert_eq!(
                    stats.size(id, &loaded.analysis.sizes),
                    expected[id as usize],
                    "layer {layer}, {}",
                    tree.path(id)
                );
            }
        }
    }
}

#[test]
fn name_and_path_filters_agree_with_a_plain_scan() {
    use imgscope::tui::filter::PathFilter;
    let loaded = synthetic(5000);
    let tree = &loaded.image.tree;
    let mut filter = PathFilter::default();
    // Typed one character at a time, with a '/' in the middle, then backspaced.
    let typed = "s0003/file01";
    let mut patterns: Vec<&str> = (1..=typed.len()).map(|i| &typed[..i]).collect();
    patterns.extend((1..typed.len()).rev().map(|i| &typed[..i]));
    patterns.extend(["7", "77", "file0", "d0000/s", "/d", "e0"]);
    for p in patterns {
        filter.set(tree, p, false).unwrap();
        let expected: Vec<NodeId> = (1..tree.node_count() as NodeId)
            .filter(|&n| tree.path(n).contains(p))
            .collect();
        assert_eq!(filter.matched(), &expected[..], "pattern {p:?}");
    }
    let re = r"^/d0001/s\d+/file00[0-4]\.dat$";
    filter.set(tree, re, true).unwrap();
    let re = regex::Regex::new(re).unwrap();
    let expected: Vec<NodeId> = (1..tree.node_count() as NodeId)
        .filter(|&n| re.is_match(&tree.path(n)))
        .collect();
    assert_eq!(expected.len(), 8 * 5);
    assert_eq!(filter.matched(), &expected[..]);
}

// ---- Looking inside files -------------------------------------------------------------------

use imgscope::tui::app::View;
use imgscope::tui::content::{ContentState, READ_CAP};
use imgscope::tui::sharing::{Row, SharingSort};
use std::time::Instant;

/// Select `path` (expanding everything first) and open it in the content view; wait for the bytes.
fn view_file(app: &mut App, path: &str) {
    app.update(Action::ExpandAll);
    select(app, path);
    app.update(Action::ViewFile);
    settle(app);
}

fn content_state(app: &App) -> &ContentState {
    &app.content
        .as_ref()
        .expect("the content view is open")
        .state
}

fn shown_text(app: &App) -> Vec<String> {
    let c = app.content.as_ref().unwrap();
    let ContentState::Ready(body) = &c.state else {
        panic!("not read: {:?}", c.state)
    };
    (0..body.text.lines.len())
        .map(|i| body.text.line(i).to_string())
        .collect()
}

fn failure(app: &App) -> String {
    match content_state(app) {
        ContentState::Failed(e) => e.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_file_is_shown_as_of_the_selected_layer() {
    let mut app = app_with(contents());
    view_file(&mut app, "/etc/passwd");
    assert_eq!(
        shown_text(&app),
        [
            "root:x:0:0:root:/root:/bin/sh",
            "nobody:x:65534:65534:nobody:/:/bin/false",
            "admin:x:1000:1000::/home/admin:/bin/sh"
        ]
    );
    let c = app.content.as_ref().unwrap();
    assert!(!c.hex, "text is shown as text");
    assert_eq!(c.layer, 1);
    assert_eq!(c.location.as_ref().unwrap().layer, 1);
    // Esc closes it, and the tree is as it was.
    app.update(Action::Escape);
    assert!(app.content.is_none());
    assert!(!app.should_quit());
    assert_eq!(selected_path(&app), "/etc/passwd");
    // At layer 0, the first version.
    app.focus = Pane::Layers;
    app.update(Action::Home);
    app.focus = Pane::Right;
    app.update(Action::ViewFile);
    settle(&mut app);
    assert_eq!(shown_text(&app).len(), 2);
    assert_eq!(app.content.as_ref().unwrap().layer, 0);
}

#[test]
fn enter_on_a_file_shows_it_and_on_a_directory_opens_it() {
    let mut app = app_with(contents());
    select(&mut app, "/etc");
    app.update(Action::Activate);
    assert!(app.content.is_none());
    assert!(rows(&app).contains(&"1:/etc/passwd".to_string()));
    select(&mut app, "/etc/passwd");
    app.update(Action::Activate);
    assert!(app.content.is_some());
    settle(&mut app);
    assert_eq!(shown_text(&app).len(), 3);
    // v closes the view too.
    app.update(Action::ViewFile);
    assert!(app.content.is_none());
}

#[test]
fn control_characters_are_escaped_and_tabs_expanded() {
    let mut app = app_with(contents());
    app.focus = Pane::Layers;
    app.update(Action::Home);
    view_file(&mut app, "/etc/motd");
    assert_eq!(
        shown_text(&app),
        [
            r"Welcome\x1b[31m red\x07\r",
            "        tabbed  line",
            r"\u{9b} csi"
        ]
    );
    for line in shown_text(&app) {
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
}

#[test]
fn binary_is_a_hex_dump_and_h_switches_to_text() {
    let mut app = app_with(contents());
    view_file(&mut app, "/bin/tool");
    let c = app.content.as_ref().unwrap();
    assert!(c.hex, "binary content starts as a hex dump");
    let ContentState::Ready(body) = &c.state else {
        panic!()
    };
    assert!(!body.is_text);
    assert_eq!(body.bytes.len(), 608);
    assert!(body.bytes.starts_with(b"\x7fELF"));
    // 100 columns: 16 bytes a row.
    assert_eq!(c.row_count(), 608usize.div_ceil(16));
    app.update(Action::End);
    let c = app.content.as_ref().unwrap();
    assert_eq!(c.scroll, c.max_scroll());
    assert!(c.scroll > 0);
    app.update(Action::ToggleHex);
    let c = app.content.as_ref().unwrap();
    assert!(!c.hex);
    assert_eq!(c.scroll, 0);
    // Shown as text, nothing reaches the screen unescaped.
    for line in shown_text(&app) {
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
}

#[test]
fn a_large_file_is_read_up_to_the_cap() {
    let mut app = app_with(contents());
    view_file(&mut app, "/data/big.bin");
    let c = app.content.as_ref().unwrap();
    let ContentState::Ready(body) = &c.state else {
        panic!("{:?}", c.state)
    };
    assert_eq!(body.bytes.len() as u64, READ_CAP);
    assert_eq!(body.total, 1_572_864);
    assert!(body.truncated());
    assert!(body.is_text, "a file of 'z's is text");
}

#[test]
fn links_are_followed_as_cat_follows_them() {
    let mut app = app_with(contents());
    view_file(&mut app, "/bin/sh");
    let c = app.content.as_ref().unwrap();
    assert_eq!(c.location.as_ref().unwrap().entry_path, "bin/tool");
    assert_eq!(c.path, "/bin/sh");
    assert!(c.body().unwrap().bytes.starts_with(b"\x7fELF"));
    app.update(Action::Escape);
    // A hardlink is its target, as written in the same layer (layer 0's passwd: two lines).
    view_file(&mut app, "/bin/passwd-copy");
    assert_eq!(shown_text(&app).len(), 2);
    assert_eq!(
        app.content
            .as_ref()
            .unwrap()
            .location
            .as_ref()
            .unwrap()
            .entry_path,
        "etc/passwd"
    );
}

#[test]
fn what_cannot_be_shown_is_a_one_line_message() {
    let mut app = app_with(contents());
    // A directory.
    select(&mut app, "/etc");
    app.update(Action::ViewFile);
    let e = failure(&app);
    assert!(e.contains("is a directory"), "{e}");
    assert!(!app.is_busy());
    app.update(Action::Escape);
    // A file the selected layer removed.
    app.update(Action::ToggleMode);
    view_file(&mut app, "/etc/motd");
    let e = failure(&app);
    assert!(e.contains("removed by layer 1"), "{e}");
    app.update(Action::Escape);
    // An image read from a stream: its layers are gone.
    let mut app = app_with(streamed(contents()));
    view_file(&mut app, "/etc/passwd");
    let e = failure(&app);
    assert!(e.contains("was streamed and not kept"), "{e}");
    assert!(!e.contains('\n'));
    // An image with no blobs at all (a model built in memory): still a message.
    let mut app = app_with(sample());
    view_file(&mut app, "/etc/passwd");
    failure(&app);
    // Nothing selected: a note, no view.
    let mut app = app_with(empty());
    app.update(Action::ViewFile);
    assert!(app.content.is_none());
    assert_eq!(app.message.as_deref(), Some("no file selected"));
}

#[test]
fn long_lines_scroll_sideways_or_wrap() {
    let mut app = app_with(contents());
    view_file(&mut app, "/data/long.txt");
    let c = app.content.as_ref().unwrap();
    assert!(!c.wrap);
    assert_eq!(c.row_count(), 2);
    assert!(c.max_hscroll() > 0);
    for _ in 0..100 {
        app.update(Action::Right);
    }
    let c = app.content.as_ref().unwrap();
    assert_eq!(c.hscroll, c.max_hscroll());
    app.update(Action::Left);
    assert_eq!(
        app.content.as_ref().unwrap().hscroll,
        c_max(&app) - imgscope::tui::content::HSTEP
    );
    app.update(Action::ToggleWrap);
    let c = app.content.as_ref().unwrap();
    assert!(c.wrap);
    assert_eq!(c.hscroll, 0);
    assert_eq!(c.max_hscroll(), 0);
    // 300 characters in a 98-column view less the gutter: 4 rows, then "short".
    assert_eq!(
        c.row_count(),
        300usize.div_ceil(c.width - c.layout.gutter) + 1
    );
    // A narrower terminal wraps into more rows.
    let before = c.row_count();
    app.update(Action::Resize {
        width: 60,
        height: 20,
    });
    assert!(app.content.as_ref().unwrap().row_count() > before);
}

fn c_max(app: &App) -> usize {
    app.content.as_ref().unwrap().max_hscroll()
}

#[test]
fn the_content_view_takes_keys_for_itself() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use imgscope::tui::keys::{Context, context, map_key};
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let mut app = app_with(contents());
    view_file(&mut app, "/etc/passwd");
    assert_eq!(context(&app), Context::Content);
    // q closes the view (as in less), it does not quit.
    assert_eq!(map_key(&key('q'), Context::Content), Some(Action::Escape));
    assert_eq!(
        map_key(&key('w'), Context::Content),
        Some(Action::ToggleWrap)
    );
    assert_eq!(
        map_key(&key('x'), Context::Content),
        Some(Action::ExportFile)
    );
    assert_eq!(map_key(&key('v'), Context::Main), Some(Action::ViewFile));
    // Keys of the panes do nothing here.
    for a in [Action::ToggleMode, Action::ToggleWaste, Action::NextBiggest] {
        app.update(a);
        assert!(app.content.is_some());
    }
    assert_eq!(viewer(&app).mode, Mode::Aggregated);
    app.update(Action::Quit);
    assert!(app.should_quit());
}

#[test]
fn a_read_nobody_waits_for_is_dropped() {
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/data/big.bin");
    app.update(Action::ViewFile);
    app.update(Action::Escape);
    select(&mut app, "/etc/passwd");
    app.update(Action::ViewFile);
    settle(&mut app);
    // The first read's result (if it finished at all) did not land in the second view.
    assert_eq!(shown_text(&app).len(), 3);
    assert_eq!(app.content.as_ref().unwrap().path, "/etc/passwd");
}

// ---- Export ---------------------------------------------------------------------------------

fn type_line(app: &mut App, text: &str) {
    app.update(Action::InputClear);
    type_text(app, text);
}

#[test]
fn export_writes_the_file_atomically_with_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    app.update(Action::ExportFile);
    let input = app.input.as_ref().expect("the export line is open");
    assert_eq!(input.kind, InputKind::Export);
    assert_eq!(input.text, "passwd", "the default is the file's name");
    let target = dir.path().join("out.txt");
    type_line(&mut app, target.to_str().unwrap());
    app.update(Action::InputAccept);
    assert!(app.input.is_none());
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("exporting /etc/passwd")
    );
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.starts_with("exported /etc/passwd to "), "{note}");
    assert!(note.ends_with("(110 B)"), "{note}");
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.ends_with("admin:x:1000:1000::/home/admin:/bin/sh\n"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    // Nothing else was left in the directory (the temporary file became the target).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.txt"]);
}

#[test]
fn export_into_a_directory_uses_the_name_and_follows_links() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with(contents());
    // From the content view, on a symlink: the content is the target's, the name the link's.
    view_file(&mut app, "/bin/sh");
    app.update(Action::ExportFile);
    assert_eq!(app.input.as_ref().unwrap().text, "sh");
    type_line(&mut app, dir.path().to_str().unwrap());
    app.update(Action::InputAccept);
    settle(&mut app);
    assert!(app.content.is_some(), "the content view stays open");
    let bytes = std::fs::read(dir.path().join("sh")).unwrap();
    assert!(bytes.starts_with(b"\x7fELF"));
    assert_eq!(bytes.len(), 608);
}

#[test]
fn export_failures_and_cancel_are_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    // A destination in a directory that does not exist.
    app.update(Action::ExportFile);
    type_line(&mut app, dir.path().join("missing/out").to_str().unwrap());
    app.update(Action::InputAccept);
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.contains("failed"), "{note}");
    assert!(!dir.path().join("missing").exists());
    // An empty destination.
    app.update(Action::ExportFile);
    app.update(Action::InputClear);
    app.update(Action::InputAccept);
    assert_eq!(
        app.message.as_deref(),
        Some("not exported: no destination given")
    );
    // Esc cancels.
    app.update(Action::ExportFile);
    app.update(Action::Escape);
    assert!(app.input.is_none());
    assert_eq!(app.message.as_deref(), Some("export cancelled"));
    assert!(!app.should_quit());
    // Anything but Enter (a click, say) cancels rather than writes.
    app.update(Action::ExportFile);
    app.update(Action::Click { column: 1, row: 1 });
    assert!(app.input.is_none());
    assert!(app.export.is_none());
    assert!(!app.is_busy());
    assert_eq!(app.message.as_deref(), Some("export cancelled"));
    // A directory cannot be exported.
    select(&mut app, "/etc");
    app.update(Action::ExportFile);
    assert!(app.input.is_none());
    let note = app.message.clone().unwrap();
    assert!(
        note.starts_with("cannot export: ") && note.contains("directory"),
        "{note}"
    );
    // A streamed image: the write fails, the viewer goes on.
    let mut app = app_with(streamed(contents()));
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    app.update(Action::ExportFile);
    type_line(&mut app, dir.path().join("x").to_str().unwrap());
    app.update(Action::InputAccept);
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.contains("was streamed and not kept"), "{note}");
    assert!(!dir.path().join("x").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ---- Sharing view ---------------------------------------------------------------------------

fn sharing_app(images: Vec<(String, Result<imgscope::load::Loaded, String>)>) -> App {
    let mut app = App::with_results(images, true);
    app.update(Action::Resize {
        width: 100,
        height: 30,
    });
    app
}

fn set_app() -> App {
    sharing_app(sharing_set().into_iter().map(|(n, l)| (n, Ok(l))).collect())
}

/// Move the sharing view's cursor onto `row`.
fn select_row(app: &mut App, row: Row) {
    let s = app.sharing.as_mut().unwrap();
    s.home();
    for _ in 0..s.rows.len() {
        if s.selected() == Some(row) {
            return;
        }
        s.move_by(1);
    }
    panic!("no row {row:?}");
}

fn image_rows(app: &App) -> Vec<u32> {
    let s = app.sharing.as_ref().unwrap();
    s.rows
        .iter()
        .filter_map(|r| match r {
            Row::Image(i) => Some(*i),
            _ => None,
        })
        .collect()
}

#[test]
fn the_sharing_analysis_is_the_reports() {
    let set = sharing_set();
    let expected = {
        let pairs: Vec<_> = set
            .iter()
            .map(|(_, l)| (&l.image, Some(&l.analysis)))
            .collect();
        imgscope::analysis::set::analyze(&pairs, imgscope::analysis::plan::Worth::default())
    };
    let app = set_app();
    let s = app
        .sharing
        .as_ref()
        .expect("computed once every image loaded");
    assert_eq!(s.set.names, expected.names);
    assert_eq!(s.slots, [0, 1, 2]);
    let (got, want) = (&s.set.sharing, &expected.sharing);
    assert_eq!(got.layers.len(), 6, "base0, base1, a0, b0, fat0, db0");
    assert_eq!(got.layers.len(), want.layers.len());
    for (g, w) in got.images.iter().zip(&want.images) {
        assert_eq!(g.unique, w.unique);
        assert_eq!(g.amortized, w.amortized);
        assert_eq!(g.verdict, w.verdict);
    }
    // The shared base layers are used by the two apps.
    assert_eq!(got.layers[0].users, [0, 1]);
    assert_eq!(got.bases.len(), 1);
    assert_eq!(
        s.images[0].size,
        human_size(want.images[0].total.size.unwrap())
    );
    // The escaped name, never the raw one.
    assert_eq!(s.images[1].name, r"example/app-b:1\x1b[2J");
    assert_eq!(image_rows(&app), [0, 1, 2]);
    // The database and app-a hold the same lib.so in layers they do not share; the apps share
    // their base's content through its layers.
    assert_eq!(s.set.content.pairs.len(), 2);
    let db_pair = s.set.content.pairs[0];
    assert_eq!((db_pair.a, db_pair.b), (0, 2));
    assert!(db_pair.separate_bytes > 0);
    assert_eq!(s.set.content.pairs[1].separate_bytes, 0);
    assert!(s.rows.contains(&Row::Pair(0)));
    assert!(!s.set.sharing.trim.is_empty());
    // The plan is the reports' plan, and its rows come first.
    assert_eq!(s.set.plan, expected.plan);
    assert!(!s.set.plan.actions.is_empty());
    let first_plan = s.rows.iter().position(|r| matches!(r, Row::Plan(_)));
    let first_image = s.rows.iter().position(|r| matches!(r, Row::Image(_)));
    assert!(first_plan < first_image, "{:?}", s.rows);
}

#[test]
fn s_opens_the_sharing_view_and_back() {
    let mut app = set_app();
    assert_eq!(app.view, View::Image);
    app.update(Action::ToggleSharing);
    assert_eq!(app.view, View::Sharing);
    assert_eq!(
        imgscope::tui::keys::context(&app),
        imgscope::tui::keys::Context::Sharing
    );
    // The cursor starts on the plan's first action: the answer first.
    let s = app.sharing.as_ref().unwrap();
    assert_eq!(s.selected(), Some(Row::Plan(0)));
    app.update(Action::Escape);
    assert_eq!(app.view, View::Image);
    assert!(!app.should_quit());
    app.update(Action::ToggleSharing);
    app.update(Action::ToggleSharing);
    assert_eq!(app.view, View::Image);
    // One image: the same key opens its trim plan, a set of one.
    let mut one = app_with(sample());
    one.update(Action::ToggleSharing);
    assert_eq!(one.view, View::Sharing);
    let s = one.sharing.as_ref().expect("a plan for one image");
    assert_eq!(s.set.names.len(), 1);
    assert_eq!(s.selected(), Some(Row::Plan(0)));
    assert!(!s.rows.iter().any(|r| matches!(r, Row::Image(_))));
}

#[test]
fn the_image_table_sorts_by_unique_amortized_and_size() {
    let mut app = set_app();
    app.update(Action::ToggleSharing);
    let by = |app: &App, f: fn(&imgscope::analysis::sharing::ImageSharing) -> u64| {
        let s = app.sharing.as_ref().unwrap();
        image_rows(app)
            .iter()
            .map(|&i| f(&s.set.sharing.images[i as usize]))
            .collect::<Vec<_>>()
    };
    let sorted_desc = |v: Vec<u64>| v.windows(2).all(|w| w[0] >= w[1]);
    app.update(Action::SharingSort);
    assert_eq!(app.sharing.as_ref().unwrap().sort, SharingSort::Unique);
    assert!(sorted_desc(by(&app, |i| i.unique.size.unwrap())));
    // The database, on a base of its own, costs the most to add.
    assert_eq!(image_rows(&app)[0], 2);
    app.update(Action::SharingSort);
    assert_eq!(app.sharing.as_ref().unwrap().sort, SharingSort::Amortized);
    assert!(sorted_desc(by(&app, |i| i.amortized.size.unwrap())));
    app.update(Action::SharingSort);
    assert_eq!(app.sharing.as_ref().unwrap().sort, SharingSort::Size);
    assert!(sorted_desc(by(&app, |i| i.total.size.unwrap())));
    app.update(Action::SharingSort);
    assert_eq!(app.sharing.as_ref().unwrap().sort, SharingSort::Input);
    assert_eq!(image_rows(&app), [0, 1, 2]);
    // The cursor follows its image through a sort.
    select_row(&mut app, Row::Image(1));
    assert_eq!(
        app.sharing.as_ref().unwrap().selected(),
        Some(Row::Image(1))
    );
    app.update(Action::SharingSort);
    assert_eq!(
        app.sharing.as_ref().unwrap().selected(),
        Some(Row::Image(1))
    );
}

#[test]
fn enter_jumps_into_the_image_or_the_layer() {
    let mut app = set_app();
    app.update(Action::ToggleSharing);
    select_row(&mut app, Row::Image(2));
    app.update(Action::Activate);
    assert_eq!(app.view, View::Image);
    assert_eq!(app.current, 2);
    assert_eq!(viewer(&app).image().display_name(), "example/db:1");
    // A layer row: the first image using it, at that layer.
    app.update(Action::ToggleSharing);
    let s = app.sharing.as_mut().unwrap();
    let b0 = s
        .set
        .sharing
        .layers
        .iter()
        .position(|l| l.facts.created_by.contains("app-b"))
        .unwrap();
    while s.selected() != Some(Row::Layer(b0 as u32)) {
        s.move_by(1);
    }
    app.update(Action::Activate);
    assert_eq!(app.view, View::Image);
    assert_eq!(app.current, 1);
    assert_eq!(viewer(&app).layer, 2);
    assert_eq!(app.focus, Pane::Layers);
    // Moving never lands on a heading or a blank line; the ends are the first and last rows that
    // lead somewhere.
    app.update(Action::ToggleSharing);
    for a in [
        Action::End,
        Action::PageUp,
        Action::Up,
        Action::Home,
        Action::PageDown,
    ] {
        app.update(a);
        let s = app.sharing.as_ref().unwrap();
        assert!(s.selected().unwrap().selectable(), "{a:?}");
    }
    app.update(Action::Home);
    assert_eq!(app.sharing.as_ref().unwrap().offset, 0);
    // A plan row: the image and layer the action is about.
    let plan = app.sharing.as_ref().unwrap().set.plan.clone();
    for (k, action) in plan.actions.iter().enumerate() {
        if app.view != View::Sharing {
            app.update(Action::ToggleSharing);
        }
        select_row(&mut app, Row::Plan(k as u32));
        app.update(Action::Activate);
        assert_eq!(app.view, View::Image);
        assert_eq!(app.current, action.focus.0, "{action:?}");
        assert_eq!(viewer(&app).layer, action.focus.1, "{action:?}");
        // The tree shows the action's largest file, selected.
        let v = viewer(&app);
        let selected = v.tree.selected().map(|n| v.file_tree().path(n));
        assert_eq!(selected.as_deref(), Some(action.paths[0].0.as_str()));
        assert_eq!(app.focus, Pane::Right);
    }
}

#[test]
fn sharing_waits_for_every_image_and_leaves_failures_out() {
    let (tx, rx) = std::sync::mpsc::channel();
    let now = Instant::now();
    let inputs = vec!["a.tar".to_string(), "bad.tar".into(), "b.tar".into()];
    let progress = inputs.iter().map(|_| Default::default()).collect();
    let mut app = App::new(inputs, progress, rx, true, now);
    let mut set = sharing_set().into_iter();
    tx.send((0, Ok(Box::new(Viewer::new(set.next().unwrap().1)))))
        .unwrap();
    app.update(Action::Tick(now));
    app.update(Action::ToggleSharing);
    assert_eq!(app.view, View::Sharing);
    assert!(app.sharing.is_none(), "not before every image loaded");
    tx.send((1, Err("bad.tar: no such file".into()))).unwrap();
    tx.send((2, Ok(Box::new(Viewer::new(set.next().unwrap().1)))))
        .unwrap();
    app.update(Action::Tick(now));
    let s = app
        .sharing
        .as_ref()
        .expect("computed on the tick the last load arrived");
    assert_eq!(s.slots, [0, 2]);
    assert!(
        s.notes
            .iter()
            .any(|n| n == "1 image failed to load and is left out")
    );
    // Enter on the second image of the set opens the third slot.
    assert_eq!(app.view, View::Sharing);
    select_row(&mut app, Row::Image(1));
    app.update(Action::Activate);
    assert_eq!(app.current, 2);
}

#[test]
fn many_tabs_keep_the_current_one_and_the_sharing_tab_on_screen() {
    let images = (0..12)
        .map(|i| {
            (
                format!("image-with-a-long-name-{i}.tar"),
                Ok(build(
                    &format!("registry.example/team/image-with-a-long-name:{i}"),
                    vec![],
                )),
            )
        })
        .collect();
    let mut app = sharing_app(images);
    for _ in 0..9 {
        app.update(Action::NextImage);
    }
    let tabs = app.tabs();
    assert!(tabs.iter().any(|t| t.tab == Tab::Image(9)));
    assert_eq!(tabs[0].label, "…");
    assert_eq!(tabs.last().unwrap().tab, Tab::Sharing);
    // No two tabs overlap, and all are inside the bar.
    for w in tabs.windows(2) {
        assert!(w[0].x + w[0].width <= w[1].x, "{tabs:?}");
    }
    assert!(tabs.last().map(|t| t.x + t.width) <= Some(100));
    // The … tab goes to the image before the first shown.
    let first = match tabs[1].tab {
        Tab::Image(i) => i,
        Tab::Sharing => panic!(),
    };
    app.update(Action::Click { column: 0, row: 0 });
    assert_eq!(app.current, first - 1);
}

#[test]
fn the_sharing_tab_and_clicks() {
    let mut app = set_app();
    let labels = app.tab_labels();
    assert_eq!(labels.last().map(String::as_str), Some(" S sharing "));
    // The sharing tab is pinned at the right of the bar.
    let tabs = app.tabs();
    let spot = tabs.last().unwrap();
    assert_eq!(spot.tab, Tab::Sharing);
    assert_eq!(spot.x + spot.width, 100);
    app.update(Action::Click {
        column: spot.x + 2,
        row: 0,
    });
    assert_eq!(app.view, View::Sharing);
    // A click selects a row, a second click opens it.
    let areas = app.areas();
    let rows = areas.sharing_rows();
    let s = app.sharing.as_ref().unwrap();
    let at = s.rows.iter().position(|r| *r == Row::Image(1)).unwrap() - s.offset;
    let click = Action::Click {
        column: rows.x + 3,
        row: rows.y + at as u16,
    };
    app.update(click);
    assert_eq!(
        app.sharing.as_ref().unwrap().selected(),
        Some(Row::Image(1))
    );
    app.update(click);
    assert_eq!(app.view, View::Image);
    assert_eq!(app.current, 1);
    // The first tab goes back to an image.
    app.update(Action::ToggleSharing);
    app.update(Action::Click { column: 2, row: 0 });
    assert_eq!(app.view, View::Image);
    assert_eq!(app.current, 0);
}

// ---- imgscope diff: the new image marked against the old one ----

use imgscope::diff::{ChangeKind, Side};

fn diff_app() -> App {
    let (old, new) = diff_pair();
    let mut app = App::with_diff("old.tar".into(), "new.tar".into(), Ok((old, new)), true);
    app.update(Action::Resize {
        width: 100,
        height: 30,
    });
    app
}

/// The diff's mark at `path`: its change and byte delta.
fn mark(app: &App, path: &str) -> Option<(ChangeKind, i64)> {
    let v = viewer(app);
    let m = v.diff().expect("a diff").node(node(app, path))?;
    Some((m.change, m.size.delta()))
}

#[test]
fn a_diff_marks_every_node_of_the_new_tree_with_its_change_and_delta() {
    let app = diff_app();
    let v = viewer(&app);
    assert!(
        v.diff_view(),
        "opens on the final filesystem, which the diff compares"
    );
    assert_eq!(v.layer, 3);
    assert_eq!(mark(&app, "/app/server"), Some((ChangeKind::Grown, 1000)));
    assert_eq!(
        mark(&app, "/app/config.json"),
        Some((ChangeKind::Modified, 0))
    );
    assert_eq!(mark(&app, "/app/new.txt"), Some((ChangeKind::Added, 50)));
    assert_eq!(mark(&app, "/app"), Some((ChangeKind::Grown, 980)));
    assert_eq!(
        mark(&app, "/usr/lib/python3/site.py"),
        Some((ChangeKind::Added, 2048))
    );
    assert_eq!(mark(&app, "/usr"), Some((ChangeKind::Grown, 2048 - 300)));
    assert_eq!(mark(&app, "/tmp/stamp"), Some((ChangeKind::Added, 10)));
    for same in ["/bin", "/bin/busybox", "/etc", "/etc/passwd", "/etc/group"] {
        assert_eq!(mark(&app, same), None, "{same} is unchanged");
    }
    // Exactly the library's marks, node for node: the viewer reads them, it does not recompute.
    let (old, new) = diff_pair();
    fn side(l: &imgscope::load::Loaded) -> Side<'_> {
        Side {
            image: &l.image,
            analysis: &l.analysis,
        }
    }
    let expected = imgscope::diff::diff(side(&old), side(&new)).by_new_node();
    let marks = v.diff().unwrap();
    for n in 0..v.file_tree().node_count() as NodeId {
        assert_eq!(
            marks.node(n).map(|m| m.change),
            expected.get(&n).copied(),
            "{}",
            v.file_tree().path(n)
        );
    }
    // The totals.
    let d = &marks.diff;
    assert_eq!((d.size.old, d.size.new), (906_370, 909_108));
    assert_eq!(marks.old_name, "example/app:1");
}

#[test]
fn d_shows_only_what_changed_and_back() {
    let mut app = diff_app();
    app.update(Action::ExpandAll);
    let all = rows(&app);
    assert!(all.contains(&"1:/etc/passwd".to_string()), "{all:?}");
    app.update(Action::ToggleChangedOnly);
    assert!(viewer(&app).changed_only);
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("only what changed")
    );
    app.update(Action::ExpandAll);
    let mut changed = rows(&app);
    changed.sort();
    assert_eq!(
        changed,
        [
            "0:/app",
            "0:/tmp",
            "0:/usr",
            "1:/app/config.json",
            "1:/app/new.txt",
            "1:/app/server",
            "1:/tmp/stamp",
            "1:/usr/lib",
            "2:/usr/lib/python3",
            "3:/usr/lib/python3/site.py",
        ]
    );
    app.update(Action::ToggleChangedOnly);
    assert!(!viewer(&app).changed_only);
    assert_eq!(rows(&app), all);
}

#[test]
fn changed_only_goes_to_the_final_filesystem_and_marks_apply_only_there() {
    let mut app = diff_app();
    app.focus = Pane::Layers;
    app.update(Action::Home);
    let v = viewer(&app);
    assert_eq!(v.layer, 0);
    assert!(!v.diff_view());
    assert!(
        v.lens().diff.is_none(),
        "layer 0 is not what the diff compares"
    );
    app.update(Action::ToggleMode);
    app.update(Action::ToggleChangedOnly);
    let v = viewer(&app);
    assert_eq!((v.layer, v.mode), (3, Mode::Aggregated));
    assert!(v.diff_view() && v.changed_only);
    assert!(app.message.as_deref().unwrap().contains("final filesystem"));
    // Another layer shows that layer's filesystem, unfiltered by the diff.
    app.update(Action::Home);
    let v = viewer(&app);
    assert!(!v.diff_view());
    assert!(rows(&app).contains(&"0:/etc".to_string()));
}

#[test]
fn o_lists_what_only_the_old_image_has_and_enter_goes_to_the_nearest_path() {
    let mut app = diff_app();
    app.update(Action::ToggleRemoved);
    assert_eq!(app.right, RightPane::Removed);
    assert_eq!(app.focus, Pane::Right);
    let listed: Vec<(String, u64, bool)> = viewer(&app)
        .removed
        .rows
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                r.bytes,
                r.kind == imgscope::model::EntryKind::Dir,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("/usr/share".to_string(), 300, true),
            ("/usr/share/doc".to_string(), 300, true),
            ("/usr/share/doc/readme".to_string(), 300, false),
            ("/app/old.txt".to_string(), 70, false),
        ]
    );
    assert_eq!(viewer(&app).removed.rows[3].layer, Some(2));
    // Enter on /app/old.txt shows /app, its parent, in the tree.
    app.update(Action::End);
    app.update(Action::Activate);
    assert_eq!(app.right, RightPane::Tree);
    assert_eq!(selected_path(&app), "/app");
    assert_eq!(
        app.message.as_deref(),
        Some("/app/old.txt is only in the old image; showing /app")
    );
    // With only what changed shown, /usr/share/doc leads to /usr (it changed: its total shrank
    // by the docs and grew by python).
    app.update(Action::ToggleChangedOnly);
    app.update(Action::ToggleRemoved);
    app.update(Action::Home);
    app.update(Action::Down);
    app.update(Action::Activate);
    assert_eq!(selected_path(&app), "/usr");
    assert!(viewer(&app).changed_only);
    // o again goes back to the tree.
    app.update(Action::ToggleRemoved);
    app.update(Action::ToggleRemoved);
    assert_eq!(app.right, RightPane::Tree);
}

#[test]
fn diff_layers_are_marked_from_the_diffs_layer_matching() {
    let app = diff_app();
    let marks = viewer(&app).diff().unwrap();
    let changes: Vec<_> = (0..4).map(|i| marks.layer(i).unwrap().change).collect();
    assert_eq!(
        changes,
        [
            ChangeKind::Unchanged,
            ChangeKind::Grown,
            ChangeKind::Added,
            ChangeKind::Added
        ]
    );
    assert_eq!(
        marks.layer(1).unwrap().old,
        Some(2),
        "matched by its command"
    );
    assert_eq!(marks.layer(1).unwrap().size.delta(), 980);
    assert_eq!(marks.removed_layers.len(), 1);
    assert_eq!(marks.removed_layers[0].index, 1);
    assert_eq!(marks.removed_layers[0].size, 300);
    assert_eq!(marks.old_command(1), "RUN install docs");
}

#[test]
fn without_a_diff_d_and_o_only_explain_themselves() {
    let mut app = app_with(sample());
    app.update(Action::ExpandAll);
    let before = rows(&app);
    app.update(Action::ToggleChangedOnly);
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("imgscope diff OLD NEW")
    );
    assert!(!viewer(&app).changed_only);
    app.update(Action::ToggleRemoved);
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("imgscope diff OLD NEW")
    );
    assert_eq!(app.right, RightPane::Tree);
    assert_eq!(rows(&app), before);
    assert!(viewer(&app).diff().is_none());
}

#[test]
fn a_diff_that_failed_to_load_is_a_failed_slot() {
    let app = App::with_diff(
        "old.tar".into(),
        "new.tar".into(),
        Err("old.tar: no such file".into()),
        true,
    );
    assert!(app.diff.is_some());
    assert!(matches!(
        &app.slot().unwrap().state,
        Slot::Failed { error } if error == "old.tar: no such file"
    ));
}

#[test]
fn a_diff_takes_every_action_at_every_layer() {
    every_action_at_every_layer(diff_app);
}

#[test]
fn removed_entries_lead_to_what_is_there_now_or_to_the_top() {
    let old = build(
        "t:1",
        vec![
            layer("ADD /")
                .id("o")
                .file("x", 10, 1)
                .dir("a")
                .file("a/b", 20, 2)
                .file("a/keep", 5, 3),
        ],
    );
    let new = build(
        "t:2",
        vec![
            layer("ADD /")
                .id("n")
                .dir("a")
                .dir("a/b")
                .file("a/b/c", 7, 4)
                .file("a/keep", 5, 3),
        ],
    );
    let mut app = App::with_diff("o.tar".into(), "n.tar".into(), Ok((old, new)), true);
    app.update(Action::ToggleRemoved);
    let listed: Vec<&str> = viewer(&app)
        .removed
        .rows
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(listed, ["/a/b", "/x"]);
    // A file that became a directory: the directory is shown.
    app.update(Action::Activate);
    assert_eq!(selected_path(&app), "/a/b");
    assert_eq!(
        app.message.as_deref(),
        Some("/a/b was a file in the old image; it is a dir here")
    );
    assert_eq!(mark(&app, "/a/b"), Some((ChangeKind::Added, 7)));
    // A top-level file: nothing above it but the root.
    app.update(Action::ToggleRemoved);
    app.update(Action::End);
    app.update(Action::Activate);
    assert_eq!(app.right, RightPane::Tree);
    assert_eq!(viewer(&app).tree.cursor, 0);
    assert_eq!(
        app.message.as_deref(),
        Some("/x is only in the old image, and so is everything above it but /")
    );
}

/// The key table of docs/viewer.md (the README's, before the reference moved to docs/) is the
/// viewer's key table: generated from it, and checked here, so the two cannot drift.
/// `IMGSCOPE_WRITE_README=1` writes the table into docs/viewer.md.
#[test]
fn the_readme_key_table_is_generated_from_the_key_table() {
    const BEGIN: &str = "<!-- key table: generated from src/tui/keys.rs";
    const END: &str = "<!-- end of key table -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/viewer.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("docs/viewer.md marks its key table");
    let start = start + readme[start..].find('\n').expect("a line after the marker") + 1;
    let end = readme[start..]
        .find(END)
        .expect("the key table's end marker")
        + start;
    let table = imgscope::tui::keys::markdown_table();
    if std::env::var_os("IMGSCOPE_WRITE_README").is_some() {
        let written = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, written).unwrap();
        return;
    }
    assert_eq!(
        readme[start..end],
        table,
        "the key table of docs/viewer.md is not the key table's: IMGSCOPE_WRITE_README=1 cargo test --test it readme_key_table"
    );
    // Every key of the panes is in it, as the help writes it.
    for b in imgscope::tui::keys::BINDINGS {
        for k in b.keys {
            let key = format!("`{}`", imgscope::tui::keys::label(k));
            assert!(table.contains(&key), "{key} is missing");
        }
    }
}

#[test]
fn search_looks_in_collapsed_directories_counts_and_leaves_the_cursor_on_no_match() {
    let mut app = app_with(sample());
    app.update(Action::Home);
    let start = selected_path(&app);
    let collapsed = rows(&app);
    assert!(
        collapsed.iter().all(|r| r.starts_with("0:")),
        "{collapsed:?}"
    );
    app.update(Action::OpenSearch);
    type_text(&mut app, "libc");
    // Inside /usr/lib, collapsed: its parents open.
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    assert_eq!(viewer(&app).search_counter().as_deref(), Some("1/2"));
    // Typed on to no match: back where the search began, what it opened closed again.
    type_text(&mut app, "zzz");
    assert_eq!(
        app.input.as_ref().unwrap().error.as_deref(),
        Some("no match")
    );
    assert_eq!(selected_path(&app), start);
    assert_eq!(rows(&app), collapsed);
    assert_eq!(viewer(&app).search_counter(), None);
    for _ in 0..3 {
        app.update(Action::InputBackspace);
    }
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    app.update(Action::InputAccept);
    app.update(Action::SearchNext);
    assert_eq!(selected_path(&app), "/usr/lib/libc.so");
    assert_eq!(viewer(&app).search_counter().as_deref(), Some("2/2"));
    app.update(Action::SearchNext); // wraps around
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    assert_eq!(viewer(&app).search_counter().as_deref(), Some("1/2"));
    // n from elsewhere finds the next match after the cursor, in a collapsed directory too.
    app.update(Action::CollapseAll);
    app.update(Action::Home);
    app.update(Action::OpenSearch);
    type_text(&mut app, "tool");
    assert_eq!(selected_path(&app), "/opt/tools");
    app.update(Action::InputAccept);
    app.update(Action::SearchNext);
    assert_eq!(selected_path(&app), "/opt/tools/tool");
    assert_eq!(viewer(&app).search_counter().as_deref(), Some("2/3"));
    app.update(Action::SearchPrev);
    assert_eq!(selected_path(&app), "/opt/tools");
    // Enter with no match leaves the cursor where it was.
    app.update(Action::CollapseAll);
    select(&mut app, "/bin");
    let before = rows(&app);
    app.update(Action::OpenSearch);
    type_text(&mut app, "no-such-name");
    app.update(Action::InputAccept);
    assert!(app.input.is_none());
    assert_eq!(selected_path(&app), "/bin");
    assert_eq!(rows(&app), before);
    app.update(Action::SearchNext);
    assert_eq!(selected_path(&app), "/bin");
    assert_eq!(app.message.as_deref(), Some("no match for no-such-name"));
    // Esc goes back and closes what the search opened.
    app.update(Action::OpenSearch);
    type_text(&mut app, "README");
    assert_eq!(selected_path(&app), "/opt/tools/README");
    app.update(Action::Escape);
    assert_eq!(selected_path(&app), "/bin");
    assert_eq!(rows(&app), before);
}

#[test]
fn tabs_that_do_not_fit_are_counted_at_the_right_and_a_click_there_scrolls() {
    let images = (0..12)
        .map(|i| {
            (
                format!("image-{i}.tar"),
                Ok(build(&format!("registry.example/team/image:{i}"), vec![])),
            )
        })
        .collect();
    let mut app = sharing_app(images);
    let check = |app: &App| {
        let tabs = app.tabs();
        for w in tabs.windows(2) {
            assert!(w[0].x + w[0].width <= w[1].x, "{tabs:?}");
        }
        assert!(tabs.last().map(|t| t.x + t.width) <= Some(app.width));
        assert!(tabs.iter().any(|t| t.tab == Tab::Image(app.current)));
        tabs
    };
    let tabs = check(&app);
    let images_shown = tabs
        .iter()
        .filter(|t| matches!(t.tab, Tab::Image(_)) && t.label.contains("registry"))
        .count();
    assert!(images_shown < 12, "{tabs:?}");
    let more = &tabs[tabs.len() - 2];
    assert_eq!(more.label, format!(" +{}… ", 12 - images_shown));
    assert_eq!(more.tab, Tab::Image(images_shown));
    app.update(Action::Click {
        column: more.x + 1,
        row: 0,
    });
    assert_eq!(app.current, images_shown);
    let tabs = check(&app);
    // Scrolled: images before are behind the `…` at the left.
    assert_eq!(tabs[0].label, "…");
    // At the last image, nothing is hidden at the right.
    for _ in images_shown..11 {
        app.update(Action::NextImage);
    }
    let tabs = check(&app);
    assert!(!tabs.iter().any(|t| t.label.contains('+')), "{tabs:?}");
    // Wide enough for all: no marks at all.
    app.update(Action::Resize {
        width: 500,
        height: 30,
    });
    let tabs = check(&app);
    assert_eq!(tabs.len(), 13, "{tabs:?}");
}

/// The action a key press makes in the app's current context, as the terminal loop maps it.
fn press(app: &mut App, code: crossterm::event::KeyCode) {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let event = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(action) = imgscope::tui::keys::map_key(&event, imgscope::tui::keys::context(app)) {
        app.update(action);
    }
}

#[test]
fn export_asks_before_overwriting_and_no_is_the_default() {
    use crossterm::event::KeyCode;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("passwd");
    std::fs::write(&target, "mine\n").unwrap();
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    // Into the directory, where a file of that name is: asked, and every answer but y keeps it.
    for answer in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Char('n'),
        KeyCode::Char('q'),
    ] {
        app.update(Action::ExportFile);
        type_line(&mut app, dir.path().to_str().unwrap());
        app.update(Action::InputAccept);
        let input = app.input.as_ref().expect("asked");
        assert_eq!(input.kind, InputKind::Overwrite);
        assert_eq!(input.text, target.display().to_string());
        press(&mut app, answer);
        assert!(app.input.is_none(), "{answer:?}");
        assert!(!app.is_busy(), "{answer:?}: nothing is written");
        assert!(!app.should_quit(), "{answer:?}");
        assert_eq!(
            app.message.as_deref(),
            Some(format!("not exported: {} is kept as it was", target.display()).as_str())
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine\n");
    }
    // y overwrites.
    app.update(Action::ExportFile);
    type_line(&mut app, target.to_str().unwrap());
    app.update(Action::InputAccept);
    assert_eq!(app.input.as_ref().unwrap().kind, InputKind::Overwrite);
    press(&mut app, KeyCode::Char('y'));
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.starts_with("exported /etc/passwd to "), "{note}");
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("root:x:0:0")
    );
    // A link at the destination is something there too.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("nowhere", &link).unwrap();
    app.update(Action::ExportFile);
    type_line(&mut app, link.to_str().unwrap());
    app.update(Action::InputAccept);
    assert_eq!(app.input.as_ref().unwrap().kind, InputKind::Overwrite);
    press(&mut app, KeyCode::Char('N'));
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    // A new name is written without a question.
    app.update(Action::ExportFile);
    type_line(&mut app, dir.path().join("new").to_str().unwrap());
    app.update(Action::InputAccept);
    assert!(app.input.is_none());
    settle(&mut app);
    assert!(dir.path().join("new").exists());
}

#[test]
fn a_filtered_tree_counts_its_matches_and_directories_total_only_them() {
    let mut app = app_with(sample());
    let size_of = |app: &App, path: &str| viewer(app).analysis().sizes[node(app, path) as usize];
    let usr_unfiltered = size_of(&app, "/usr");
    let lib_unfiltered = size_of(&app, "/usr/lib");
    app.update(Action::OpenFilter);
    type_text(&mut app, ".so");
    app.update(Action::InputAccept);
    let want = size_of(&app, "/usr/lib/libc.so.6") + size_of(&app, "/usr/lib/libc.so");
    let v = viewer(&app);
    let m = v.match_totals().expect("a filter is set");
    assert_eq!((m.count, m.bytes), (2, want));
    // The directories above the matches show the matches' bytes, not their own.
    let lens = v.lens();
    assert_eq!(lens.size(node(&app, "/usr/lib")), want);
    assert_eq!(lens.size(node(&app, "/usr")), want);
    assert!(want < lib_unfiltered, "big.dat is left out");
    // A match inside a matching directory counts as a match, its bytes not twice.
    app.update(Action::OpenFilter);
    app.update(Action::InputClear);
    type_text(&mut app, "lib");
    app.update(Action::InputAccept);
    let m = viewer(&app).match_totals().unwrap();
    assert_eq!((m.count, m.bytes), (4, lib_unfiltered));
    assert_eq!(viewer(&app).lens().size(node(&app, "/usr")), lib_unfiltered);
    // At the first layer, what the first layer holds (big.dat was rewritten by layer 2 with the
    // same size, so the totals are those of layer 0's files).
    app.focus = Pane::Layers;
    app.update(Action::Home);
    let m = viewer(&app).match_totals().unwrap();
    assert_eq!(m.count, 4);
    // In the changes of layer 2, only big.dat (the chmod) is left.
    app.update(Action::Down);
    app.update(Action::Down);
    app.update(Action::ToggleMode);
    let m = viewer(&app).match_totals().unwrap();
    assert_eq!((m.count, m.bytes), (2, 300_000), "/usr/lib and big.dat");
    // Cleared: directories are their own size again.
    app.update(Action::ToggleMode);
    app.update(Action::End);
    app.update(Action::Escape);
    assert!(viewer(&app).match_totals().is_none());
    assert_eq!(viewer(&app).lens().size(node(&app, "/usr")), usr_unfiltered);
}

#[test]
fn shift_b_goes_back_through_the_biggest_files() {
    use crossterm::event::KeyCode;
    let mut app = app_with(sample());
    let largest = viewer(&app).analysis().largest_files.clone();
    assert!(largest.len() > 2);
    // From nowhere, B starts at the smallest of them (going back from the first).
    press(&mut app, KeyCode::Char('B'));
    assert_eq!(viewer(&app).tree.selected(), largest.last().copied());
    let note = app.message.clone().unwrap();
    assert!(
        note.starts_with(&format!("biggest file {}/{}", largest.len(), largest.len())),
        "{note}"
    );
    // b and B step opposite ways through the same list.
    press(&mut app, KeyCode::Char('b'));
    assert_eq!(viewer(&app).tree.selected(), Some(largest[0]));
    press(&mut app, KeyCode::Char('b'));
    press(&mut app, KeyCode::Char('b'));
    assert_eq!(viewer(&app).tree.selected(), Some(largest[2]));
    press(&mut app, KeyCode::Char('B'));
    assert_eq!(viewer(&app).tree.selected(), Some(largest[1]));
    press(&mut app, KeyCode::Char('B'));
    press(&mut app, KeyCode::Char('B'));
    assert_eq!(viewer(&app).tree.selected(), largest.last().copied());
}

/// A Ctrl-key press as the terminal loop maps it.
fn press_ctrl(app: &mut App, c: char) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let event = KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    if let Some(action) = imgscope::tui::keys::map_key(&event, imgscope::tui::keys::context(app)) {
        app.update(action);
    }
}

#[test]
fn dives_keys_do_what_dive_does_in_each_pane() {
    use crossterm::event::KeyCode;
    let mut app = app_with(sample());
    // The layers pane: Ctrl-L this layer's changes, Ctrl-A the aggregated view (set, not toggled).
    app.focus = Pane::Layers;
    press_ctrl(&mut app, 'l');
    assert_eq!(viewer(&app).mode, Mode::Changes);
    press_ctrl(&mut app, 'l');
    assert_eq!(viewer(&app).mode, Mode::Changes);
    press_ctrl(&mut app, 'a');
    assert_eq!(viewer(&app).mode, Mode::Aggregated);
    assert_eq!(
        viewer(&app).hidden,
        0,
        "Ctrl-A in the layers pane hides nothing"
    );
    press_ctrl(&mut app, 'a');
    assert_eq!(viewer(&app).mode, Mode::Aggregated);
    // The files pane: Ctrl-A added, Ctrl-R removed, Ctrl-U unchanged (dive's unmodified), and
    // Ctrl-M modified where the terminal tells it from Enter.
    app.focus = Pane::Right;
    for (c, bit) in [
        ('a', ADDED),
        ('r', REMOVED),
        ('u', UNCHANGED),
        ('m', MODIFIED),
    ] {
        press_ctrl(&mut app, c);
        assert_eq!(viewer(&app).hidden, bit, "Ctrl-{c}");
        press_ctrl(&mut app, c);
        assert_eq!(viewer(&app).hidden, 0, "Ctrl-{c}");
    }
    // Where Ctrl-M arrives as Enter, it is Enter: the directory opens, nothing is hidden.
    app.update(Action::Home);
    let before = rows(&app).len();
    press(&mut app, KeyCode::Enter);
    assert!(rows(&app).len() > before);
    assert_eq!(viewer(&app).hidden, 0);
    // Space toggles the directory.
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(rows(&app).len(), before);
    press(&mut app, KeyCode::Char(' '));
    assert!(rows(&app).len() > before);
    // Ctrl-B hides and shows the attributes.
    assert!(viewer(&app).attributes);
    press_ctrl(&mut app, 'b');
    assert!(!viewer(&app).attributes);
    press_ctrl(&mut app, 'b');
    assert!(viewer(&app).attributes);
    // Ctrl-Space collapses everything; Ctrl-F filters; Tab switches panes.
    press_ctrl(&mut app, ' ');
    assert_eq!(rows(&app).len(), before);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Details);
    press_ctrl(&mut app, 'f');
    assert_eq!(app.input.as_ref().map(|i| i.kind), Some(InputKind::Filter));
}

#[test]
fn y_copies_the_selected_path_escaped_and_shift_y_the_layer_digest() {
    use crossterm::event::KeyCode;
    // The sequence the terminal gets: base64, so nothing raw reaches it.
    assert_eq!(
        imgscope::tui::terminal::osc52("a\x1bb"),
        "\x1b]52;c;YRti\x07"
    );
    let mut app = app_with(sample());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.to_copy.as_deref(), Some("/etc/passwd"));
    assert_eq!(app.message.as_deref(), Some("copied: /etc/passwd"));
    // A hostile name is copied as the viewer shows it: escaped.
    let evil = viewer(&app)
        .tree
        .rows()
        .iter()
        .map(|r| viewer(&app).file_tree().path(r.node))
        .find(|p| p.contains("evil"))
        .unwrap();
    select(&mut app, &evil);
    press(&mut app, KeyCode::Char('y'));
    let copied = app.to_copy.take().unwrap();
    assert_eq!(copied, "/tmp/evil\\x1b[31mname\\x07.txt");
    assert!(!copied.chars().any(char::is_control));
    // Y: the selected layer's digest.
    app.focus = Pane::Layers;
    app.update(Action::Home);
    press(&mut app, KeyCode::Char('Y'));
    let digest = viewer(&app).image().layers[0].digest.clone().unwrap();
    assert_eq!(app.to_copy.take(), Some(digest));
    // Off (--no-clipboard, or stdout not a terminal): nothing to send, the note says why.
    app.clipboard = false;
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.to_copy, None);
    assert!(app.message.as_deref().unwrap().starts_with("clipboard off"));
    // The waste view has no tree selection to copy.
    app.clipboard = true;
    app.update(Action::ToggleWaste);
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.to_copy, None);
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("y copies the path selected in the tree")
    );
}

// ---- The user's config.toml: keys and themes ----

#[test]
fn a_config_gives_the_panes_actions_keys_and_picks_a_theme() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use imgscope::tui::config::parse;
    use imgscope::tui::keys::Context;
    use imgscope::tui::theme::Palette;
    let text = "# mine\n[keys]\nquit = \"Q\"\nsearch = [\"/\", \"Ctrl-S\"]\nwaste = \"F2\"\n\n\
                [theme]\nname = \"light\"\ndir = \"#ff00ff\"\n";
    let config = parse(text, std::path::Path::new("/x/config.toml")).unwrap();
    let mut app = app_with(sample());
    app.configure(&config);
    let key = |code, modifiers| KeyEvent::new(code, modifiers);
    let main = |app: &App, k: KeyEvent| app.keys.map_key(&k, Context::Main);
    assert_eq!(
        main(&app, key(KeyCode::Char('Q'), KeyModifiers::NONE)),
        Some(Action::Quit)
    );
    // q was quit's: it is nobody's now. Ctrl-C is quit's no more in the panes either.
    assert_eq!(
        main(&app, key(KeyCode::Char('q'), KeyModifiers::NONE)),
        None
    );
    assert_eq!(
        main(&app, key(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        Some(Action::OpenSearch)
    );
    assert_eq!(
        main(&app, key(KeyCode::F(2), KeyModifiers::NONE)),
        Some(Action::ToggleWaste)
    );
    // w was the waste view's: gone with it. Other keys are as they were.
    assert_eq!(
        main(&app, key(KeyCode::Char('w'), KeyModifiers::NONE)),
        None
    );
    assert_eq!(
        main(&app, key(KeyCode::Char('b'), KeyModifiers::NONE)),
        Some(Action::NextBiggest)
    );
    // Only the panes: the input line still quits on Ctrl-C.
    assert_eq!(
        app.keys.map_key(
            &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Context::Input
        ),
        Some(Action::Quit)
    );
    // The hint bar names the user's keys.
    let hints = app.keys.hints(Context::Main);
    assert_eq!(hints[0], ("Q".to_string(), "quit"));
    assert!(hints.contains(&("F2".to_string(), "waste")), "{hints:?}");
    // The theme: light, with the user's directory colour.
    assert_eq!(app.palette.accent, Palette::LIGHT.accent);
    assert_eq!(app.palette.dir, ratatui::style::Color::Rgb(255, 0, 255));
    assert!(app.color);
    // no-color turns colour off whatever the terminal.
    let plain = parse("[theme]\nname = \"no-color\"\n", std::path::Path::new("c")).unwrap();
    app.configure(&plain);
    assert!(!app.color);
    // An empty file is the defaults.
    let none = parse("", std::path::Path::new("c")).unwrap();
    assert_eq!(none, imgscope::tui::config::ViewerConfig::default());
}

#[test]
fn a_bad_config_is_one_error_naming_the_file_and_line() {
    use imgscope::tui::config::parse;
    let cases = [
        (
            "[keys]\nquitt = \"Q\"\n",
            2,
            "\"quitt\" is not an action of the key table",
        ),
        (
            "[keys]\n\nquit = \"Ctrl-1\"\n",
            3,
            "quit: \"Ctrl-1\" is not a key",
        ),
        ("[keys]\nquit = \"QQ\"\n", 2, "quit: \"QQ\" is not a key"),
        ("[keys]\nquit = 7\n", 2, "quit: a key is a string"),
        (
            "[keys]\nquit = \"Q\"\nhelp = [\"x\", \"Q\"]\n",
            3,
            "help: a key given to quit too",
        ),
        ("\n\n[theme]\nname = \"sepia\"\n", 4, "no theme \"sepia\""),
        (
            "[theme]\ndir = \"reddish\"\n",
            2,
            "dir: \"reddish\" is not a colour",
        ),
        (
            "[theme]\nshade = \"red\"\n",
            2,
            "\"shade\" is not a theme setting",
        ),
        (
            "[keys]\n[colours]\nx = \"1\"\n",
            2,
            "[colours] is not a section",
        ),
        ("[keys]\nquit = Q\n", 2, ""),
        ("[keys]\nquit = \"Q\"\nquit = \"R\"\n", 3, ""),
    ];
    for (text, line, what) in cases {
        let err = parse(text, std::path::Path::new("/x/config.toml")).unwrap_err();
        let lead = format!("/x/config.toml line {line}: ");
        assert!(err.starts_with(&lead), "{text:?}: {err}");
        assert!(err.contains(what), "{text:?}: {err}");
        assert!(!err.contains('\n'), "{text:?}: one line: {err}");
        assert!(
            err.len() > lead.len() + 5,
            "{text:?}: says what is wrong: {err}"
        );
    }
}

#[test]
fn every_action_of_the_panes_has_a_config_name_and_every_key_parses_back() {
    use imgscope::tui::keys::{ACTION_NAMES, BINDINGS, Context, label, parse_key};
    for b in BINDINGS.iter().filter(|b| b.context == Context::Main) {
        assert!(
            ACTION_NAMES.iter().any(|(_, a)| *a == b.action),
            "{:?} ({}) has no name for config.toml",
            b.action,
            b.help
        );
        // What the help writes, a config file can write.
        for k in b.keys {
            assert_eq!(parse_key(&label(k)).as_ref(), Ok(k), "{}", label(k));
        }
    }
    let mut names: Vec<&str> = ACTION_NAMES.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ACTION_NAMES.len(), "names are unique");
}

#[test]
fn digits_go_to_the_image_the_tabs_number() {
    use crossterm::event::KeyCode;
    let mut app = set_app();
    assert!(app.tab_labels()[2].starts_with(" 3 "));
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.current, 2);
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(app.current, 0);
    press(&mut app, KeyCode::Char('9'));
    assert_eq!(app.current, 0);
    assert_eq!(app.message.as_deref(), Some("no image 9 (there are 3)"));
    // From the sharing view too; a digit with no image leaves it open.
    app.update(Action::ToggleSharing);
    press(&mut app, KeyCode::Char('7'));
    assert_eq!(app.view, View::Sharing);
    press(&mut app, KeyCode::Char('2'));
    assert_eq!((app.view, app.current), (View::Image, 1));
    // While typing, a digit is a digit.
    app.update(Action::OpenSearch);
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.current, 1);
    assert_eq!(app.input.as_ref().unwrap().text, "3");
}

#[test]
fn a_search_typed_on_counts_as_a_fresh_walk_would() {
    // Typing more narrows the last matches instead of walking the tree again: the counts and the
    // selection must be what a plain scan of the tree says, at every character.
    let mut app = app_with(synthetic(3_000));
    let total = |app: &App, q: &str| {
        let v = viewer(app);
        let tree = v.file_tree();
        (1..tree.node_count() as NodeId)
            .filter(|&n| v.lens().shows(n))
            .filter(|&n| {
                tree.name(n)
                    .to_ascii_lowercase()
                    .contains(&q.to_ascii_lowercase())
            })
            .count()
    };
    for query in ["FILE01", "s000", "d0001/s"] {
        app.update(Action::Home);
        app.update(Action::OpenSearch);
        let mut typed = String::new();
        for c in query.chars() {
            typed.push(c);
            app.update(Action::InputChar(c));
            let want = total(&app, &typed);
            match viewer(&app).search_counter() {
                Some(counter) => {
                    assert_eq!(counter, format!("1/{want}"), "{typed}");
                    let name = viewer(&app)
                        .file_tree()
                        .name(viewer(&app).tree.selected().unwrap())
                        .to_ascii_lowercase();
                    assert!(
                        name.contains(&typed.to_ascii_lowercase()),
                        "{typed}: {name}"
                    );
                }
                None => assert_eq!(want, 0, "{typed}"),
            }
        }
        app.update(Action::InputAccept);
        // n and N walk the same list, wrapping.
        let want = total(&app, query);
        if want > 1 {
            app.update(Action::SearchNext);
            assert_eq!(viewer(&app).search_counter(), Some(format!("2/{want}")));
            app.update(Action::SearchPrev);
            app.update(Action::SearchPrev);
            assert_eq!(
                viewer(&app).search_counter(),
                Some(format!("{want}/{want}"))
            );
        }
        app.update(Action::CollapseAll);
    }
}

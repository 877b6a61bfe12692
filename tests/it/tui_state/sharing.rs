//! The sharing view: the report's sharing analysis and trim plan, opening and closing it, the
//! image table's sorts, Enter jumping into an image, layer or plan action, waiting for every image
//! (failures left out), and its tab and clicks.

use super::*;
use imgscope::text::human_size;
use imgscope::tui::action::Tab;
use imgscope::tui::app::View;
use imgscope::tui::plan_state::{Row, SharingSort};
use std::time::Instant;

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
    assert_eq!(app.screen(), imgscope::tui::keys::Screen::Plan);
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
fn enter_on_a_plan_action_shows_every_file_it_covers_in_the_tree() {
    use imgscope::tui::app::{RightPane, Slot};
    let mut app = set_app();
    let plan = {
        app.update(Action::ToggleSharing);
        app.sharing.as_ref().unwrap().set.plan.clone()
    };
    assert!(!plan.actions.is_empty());
    for (k, action) in plan.actions.iter().enumerate() {
        // The waste view was open before the plan: Enter still lands in the tree.
        app.update(Action::Escape);
        app.update(Action::ToggleWaste);
        assert_eq!(app.right, RightPane::Waste);
        app.update(Action::ToggleSharing);
        select_row(&mut app, Row::Plan(k as u32));
        app.update(Action::Activate);
        assert_eq!(app.right, RightPane::Tree, "{}", action.what);
        assert_eq!(app.focus, Pane::Right);
        // Every claimed file, found by its path in the image shown, is in the filtered tree.
        let s = app.sharing.as_ref().unwrap();
        let viewer_of = |i: usize| match &app.images[s.slots[i]].state {
            Slot::Ready(v) => Some(v),
            _ => None,
        };
        let mut paths: Vec<String> = action
            .claims
            .iter()
            .map(|&((d, node), _)| {
                let holder = s
                    .set
                    .sharing
                    .image_layers
                    .iter()
                    .position(|keys| keys.contains(&(d as usize)))
                    .unwrap();
                viewer_of(holder).unwrap().file_tree().path(node)
            })
            .collect();
        paths.sort();
        paths.dedup();
        let v = viewer(&app);
        assert!(v.filter.is_node_set(), "{}", action.what);
        for p in &paths {
            let node = v.file_tree().lookup(p).expect(p);
            assert!(v.lens().shows(node), "{p} hidden for {}", action.what);
        }
        // And nothing else: the tree's files are exactly those.
        let shown_files = v
            .file_tree()
            .non_root_ids()
            .filter(|&n| v.lens().shows(n) && !v.lens().is_dir(n))
            .count();
        assert_eq!(shown_files, paths.len(), "{}", action.what);
        let bytes: u64 = action.claims.iter().map(|(_, b)| b).sum();
        let note = app.message.clone().unwrap_or_default();
        assert!(
            note.contains(&format!("{} files, {}", paths.len(), human_size(bytes))),
            "{note}"
        );
    }
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
    // A click selects a row, a second click opens it. The plan and its notes come first: go
    // down to the last image, so that the one above it is on screen.
    while app.sharing.as_ref().unwrap().selected() != Some(Row::Image(2)) {
        app.update(Action::Down);
    }
    let areas = app.areas();
    let rows = areas.sharing_rows();
    let s = app.sharing.as_ref().unwrap();
    let at = s.rows.iter().position(|r| *r == Row::Image(1)).unwrap() - s.offset;
    assert!(at < usize::from(rows.height), "row {at} is on screen");
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

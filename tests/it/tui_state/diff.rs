//! imgscope diff in the viewer: the new image marked against the old one (changes and byte
//! deltas, exactly the library's), only what changed (d), what only the old image has (o) and
//! where it leads, the layers' marks, a diff that failed to load, and without a diff.

use super::*;
use imgscope::diff::{ChangeKind, Side};
use imgscope::tui::app::{RightPane, Slot};

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
    fn side(l: &imgscope::pipeline::load::Loaded) -> Side<'_> {
        Side {
            image: &l.image,
            analysis: &l.analysis,
        }
    }
    let expected = imgscope::diff::diff(side(&old), side(&new)).by_new_node();
    let marks = v.diff().unwrap();
    for n in (0..v.file_tree().node_count()).map(NodeId::from_index) {
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

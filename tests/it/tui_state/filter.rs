//! The path filter: a substring applied as typed, a regex applied on Enter (bad patterns
//! refused), both against a plain scan of the tree, and the counts and totals of a filtered tree.

use super::*;
use imgscope::tui::app::InputKind;

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
        let expected: Vec<NodeId> = tree
            .non_root_ids()
            .filter(|&n| tree.path(n).contains(p))
            .collect();
        assert_eq!(filter.matched(), &expected[..], "pattern {p:?}");
    }
    let re = r"^/d0001/s\d+/file00[0-4]\.dat$";
    filter.set(tree, re, true).unwrap();
    let re = regex::Regex::new(re).unwrap();
    let expected: Vec<NodeId> = tree
        .non_root_ids()
        .filter(|&n| re.is_match(&tree.path(n)))
        .collect();
    assert_eq!(expected.len(), 8 * 5);
    assert_eq!(filter.matched(), &expected[..]);
}

#[test]
fn a_filtered_tree_counts_its_matches_and_directories_total_only_them() {
    let mut app = app_with(sample());
    let size_of = |app: &App, path: &str| viewer(app).analysis().sizes[node(app, path).index()];
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

//! Search: next and previous (wrapping), Esc going back, matches in collapsed directories, the
//! counter, and a search typed on narrowing as a fresh walk of the tree would.

use super::*;

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
fn a_search_typed_on_counts_as_a_fresh_walk_would() {
    // Typing more narrows the last matches instead of walking the tree again: the counts and the
    // selection must be what a plain scan of the tree says, at every character.
    let mut app = app_with(synthetic(3_000));
    let total = |app: &App, q: &str| {
        let v = viewer(app);
        let tree = v.file_tree();
        tree.non_root_ids()
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

//! Looking inside files: the content view as of the selected layer, text with control
//! characters escaped, binary as a hex dump, the read cap, links followed as cat follows them,
//! what cannot be shown as a one-line message, scrolling and wrapping, its own keys, and a read
//! nobody waits for dropped.

use super::*;
use imgscope::tui::content::{ContentState, READ_CAP};

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
    use imgscope::tui::keys::{Screen, map_key};
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let mut app = app_with(contents());
    view_file(&mut app, "/etc/passwd");
    assert_eq!(app.screen(), Screen::Content);
    // q closes the view (as in less), it does not quit.
    assert_eq!(map_key(&key('q'), Screen::Content), Some(Action::Escape));
    assert_eq!(
        map_key(&key('w'), Screen::Content),
        Some(Action::ToggleWrap)
    );
    assert_eq!(
        map_key(&key('x'), Screen::Content),
        Some(Action::ExportFile)
    );
    assert_eq!(map_key(&key('v'), Screen::Panes), Some(Action::ViewFile));
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

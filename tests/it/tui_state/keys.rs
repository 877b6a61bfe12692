//! Keys and the mouse: focus and the help overlay, clicks and the wheel, dive's keys in each
//! pane, copying the selected path or layer digest (OSC 52), and the key table of docs/viewer.md,
//! generated from the viewer's own.

use super::*;
use imgscope::tui::app::InputKind;

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

/// A Ctrl-key press as the terminal loop maps it.
fn press_ctrl(app: &mut App, c: char) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let event = KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    if let Some(action) = app.keys.map_key(&event, app.screen()) {
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
    // Ctrl-Space collapses everything, and a second one expands everything again (as dive);
    // Ctrl-F filters; Tab switches panes.
    press_ctrl(&mut app, ' ');
    assert_eq!(rows(&app).len(), before);
    press_ctrl(&mut app, ' ');
    let all = rows(&app).len();
    app.update(Action::ExpandAll);
    assert_eq!(
        rows(&app).len(),
        all,
        "Ctrl-Space twice: every directory open"
    );
    assert!(all > before);
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

/// The key table of docs/viewer.md (the README's, before the reference moved to docs/) is the
/// viewer's key table: generated from it, and checked here, so the two cannot drift.
/// `IMGSCOPE_WRITE_VIEWER_DOC=1` writes the table into docs/viewer.md.
#[test]
fn the_viewer_doc_key_table_is_generated_from_the_key_table() {
    const BEGIN: &str = "<!-- key table: generated from src/tui/keys.rs";
    const END: &str = "<!-- end of key table -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/viewer.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc.find(BEGIN).expect("docs/viewer.md marks its key table");
    let start = start + doc[start..].find('\n').expect("a line after the marker") + 1;
    let end = doc[start..].find(END).expect("the key table's end marker") + start;
    let table = imgscope::tui::keys::markdown_table();
    if std::env::var_os("IMGSCOPE_WRITE_VIEWER_DOC").is_some() {
        let written = format!("{}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, written).unwrap();
        return;
    }
    assert_eq!(
        doc[start..end],
        table,
        "the key table of docs/viewer.md is not the key table's: IMGSCOPE_WRITE_VIEWER_DOC=1 cargo test --test it viewer_doc_key_table"
    );
    // Every key of the panes is in it, as the help writes it.
    for b in imgscope::tui::keys::BINDINGS {
        for k in b.keys {
            let key = format!("`{}`", imgscope::tui::keys::label(k));
            assert!(table.contains(&key), "{key} is missing");
        }
    }
}

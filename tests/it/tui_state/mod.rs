//! The viewer's state, driven through `App::update` alone (no drawing): layers, the two tree
//! modes, expand/collapse, sort, hidden kinds, the path filter, search, biggest files, the waste
//! view, mouse, several images, a diff (`imgscope diff`: marks, deltas, changed only, the removed
//! list, layers), and edge cases (no layers, failed loads). Sizes are checked against the analysis
//! and the JSON report, which the viewer must never contradict.
//!
//! One submodule per feature; here, the helpers more than one of them uses: the viewer on an
//! image with the focus on the tree, its rows and selection, typing and key presses, every
//! action in turn, the sharing view's set of images.

mod config;
mod content;
mod diff;
mod edge_cases;
mod export;
mod filter;
mod images;
mod keys;
mod search;
mod sharing;
mod tree;
mod waste;

use crate::tui_support::*;
use imgscope::model::NodeId;
use imgscope::tui::action::Action;
use imgscope::tui::app::{App, Pane};
use imgscope::tui::stats::{ADDED, MODIFIED, REMOVED, UNCHANGED};
use imgscope::tui::tree_state::Mode;
use imgscope::tui::viewer::Viewer;

/// The viewer on one image, with the focus moved (Tab) from the layers, where it starts as in
/// dive, to the file tree these tests drive.
fn app_with(loaded: imgscope::pipeline::load::Loaded) -> App {
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

/// The action a key press makes in the app's current context, as the terminal loop maps it.
fn press(app: &mut App, code: crossterm::event::KeyCode) {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let event = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(action) = app.keys.map_key(&event, app.screen()) {
        app.update(action);
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

/// Select `path` (expanding everything first) and open it in the content view; wait for the bytes.
fn view_file(app: &mut App, path: &str) {
    app.update(Action::ExpandAll);
    select(app, path);
    app.update(Action::ViewFile);
    settle(app);
}

fn sharing_app(images: Vec<(String, Result<imgscope::pipeline::load::Loaded, String>)>) -> App {
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

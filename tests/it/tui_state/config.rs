//! The user's config.toml: keys and themes given to the viewer, a bad file as one error naming
//! the file and line, and every action of the panes having a name a config can use.

use super::*;

#[test]
fn a_config_gives_the_panes_actions_keys_and_picks_a_theme() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use imgscope::tui::config_file::parse;
    use imgscope::tui::keys::Screen;
    use imgscope::tui::theme::Palette;
    let text = "# mine\n[keys]\nquit = \"Q\"\nsearch = [\"/\", \"Ctrl-S\"]\nwaste = \"F2\"\n\n\
                [theme]\nname = \"light\"\ndir = \"#ff00ff\"\n";
    let config = parse(text, std::path::Path::new("/x/config.toml")).unwrap();
    let mut app = app_with(sample());
    app.configure(&config);
    let key = |code, modifiers| KeyEvent::new(code, modifiers);
    let main = |app: &App, k: KeyEvent| app.keys.map_key(&k, Screen::Panes);
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
    // Ctrl-C ends the program from every screen, whatever quit's key is.
    for screen in [
        Screen::Panes,
        Screen::Input,
        Screen::Content,
        Screen::Plan,
        Screen::Help,
        Screen::Confirm,
        Screen::History,
    ] {
        assert_eq!(
            app.keys
                .map_key(&key(KeyCode::Char('c'), KeyModifiers::CONTROL), screen),
            Some(Action::Interrupt),
            "{screen:?}"
        );
    }
    // Every screen that quits takes the user's quit key, and q no longer quits there.
    for screen in [Screen::Plan, Screen::History] {
        let q = app
            .keys
            .map_key(&key(KeyCode::Char('q'), KeyModifiers::NONE), screen);
        assert_ne!(q, Some(Action::Quit), "{screen:?}");
        assert_eq!(
            app.keys
                .map_key(&key(KeyCode::Char('Q'), KeyModifiers::NONE), screen),
            Some(Action::Quit),
            "{screen:?}"
        );
        assert!(
            app.keys.hints(screen).contains(&("Q".to_string(), "quit")),
            "{screen:?}: {:?}",
            app.keys.hints(screen)
        );
    }
    // The hint bar names the user's keys.
    let hints = app.keys.hints(Screen::Panes);
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
    assert_eq!(none, imgscope::tui::config_file::ViewerConfig::default());
}

#[test]
fn a_bad_config_is_one_error_naming_the_file_and_line() {
    use imgscope::tui::config_file::parse;
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
    use imgscope::tui::keys::{ACTION_NAMES, BINDINGS, Screen, label, parse_key};
    for b in BINDINGS.iter().filter(|b| b.screen == Screen::Panes) {
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
fn config_errors_are_located_by_the_toml_parsers_spans() {
    use imgscope::tui::config_file::parse;
    let cases = [
        // A comment after the section header.
        (
            "[keys] # mine\n\nquit = \"QQ\"\n",
            3,
            "quit: \"QQ\" is not a key",
        ),
        // A bad value in [theme], after comments and blank lines.
        (
            "# colours\n\n[theme]  # mine\n# the accent\n\naccent = \"blue\"\n\n# and\ndir = \"reddish\"\n",
            9,
            "dir: \"reddish\" is not a colour",
        ),
        // A dotted name, and a quoted one.
        (
            "# mine\nkeys.quit = \"QQ\"\n",
            2,
            "quit: \"QQ\" is not a key",
        ),
        (
            "[keys]\n\"quit\" = \"Q\"\n  help   =   7  # seven\n",
            3,
            "help: a key is a string",
        ),
        // A section that is no section, after a comment naming another.
        (
            "# [keys]\n\n[keys] # mine\nquit = \"Q\"\n\n[colours]\n",
            6,
            "[colours] is not a section",
        ),
        // The same key twice: the second is the error.
        (
            "[theme]\n# a\nname = \"light\"\n\n[keys] # mine\nquit = \"Q\"\n# again\nquit = \"R\"\n",
            8,
            "duplicate key",
        ),
        // A key at fault in an array written over several lines: its own line.
        (
            "[keys]\nsearch = [\n  \"/\",\n  \"QQ\",\n]\n",
            4,
            "search: \"QQ\" is not a key",
        ),
        (
            "[keys]\nquit = \"Q\"\nhelp = [\n  \"x\",\n  \"Q\",\n]\n",
            5,
            "help: a key given to quit too",
        ),
        // The same section twice.
        ("[keys]\nquit = \"Q\"\n\n[keys] # again\n", 4, ""),
    ];
    for (text, line, what) in cases {
        let err = parse(text, std::path::Path::new("/x/config.toml")).unwrap_err();
        let lead = format!("/x/config.toml line {line}: ");
        assert!(err.starts_with(&lead), "{text:?}: {err}");
        assert!(err.contains(what), "{text:?}: {err}");
        assert!(!err.contains('\n'), "{text:?}: one line: {err}");
    }
    // Settings after such comments are read as written.
    let config = parse(
        "[keys] # mine\nquit = \"Q\" # not q\n\n[theme] # light\nname = \"light\"\n",
        std::path::Path::new("c"),
    )
    .unwrap();
    assert_eq!(config.keys.len(), 1);
    assert_eq!(config.palette, imgscope::tui::theme::Palette::LIGHT);
}

#[test]
fn an_unknown_action_is_met_with_the_nearest_name_or_where_the_names_are() {
    use imgscope::tui::config_file::parse;
    let err = parse(
        "[keys]\nqiut = \"Q\"\n",
        std::path::Path::new("/x/config.toml"),
    )
    .unwrap_err();
    assert!(err.starts_with("/x/config.toml line 2: "), "{err}");
    assert!(
        err.ends_with("unknown action \"qiut\" (did you mean \"quit\"?)"),
        "{err}"
    );
    let err = parse(
        "[keys] # mine\n\nserach = \"/\"\n",
        std::path::Path::new("/x/config.toml"),
    )
    .unwrap_err();
    assert!(err.starts_with("/x/config.toml line 3: "), "{err}");
    assert!(err.contains("(did you mean \"search\"?)"), "{err}");
    // Nothing near: where the names are listed, and no guess.
    let err = parse(
        "[keys]\nlaunch_rockets = \"L\"\n",
        std::path::Path::new("/x/config.toml"),
    )
    .unwrap_err();
    assert!(err.starts_with("/x/config.toml line 2: "), "{err}");
    assert!(err.contains("unknown action \"launch_rockets\""), "{err}");
    assert!(err.contains("docs/viewer.md"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

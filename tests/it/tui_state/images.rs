//! Several images: tabs, switching with brackets, digits and clicks, each image keeping its
//! state, a failed one among them, and tabs that do not fit the bar.

use super::*;
use imgscope::tui::action::Tab;
use imgscope::tui::app::{Slot, View};
use imgscope::tui::tree_state::Sort;

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

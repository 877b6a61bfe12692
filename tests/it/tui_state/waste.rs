//! The biggest files (b forwards, B back) and the waste view: reclaimable paths and duplicate
//! groups from the analysis, and Enter jumping to the path in the tree.

use super::*;
use imgscope::tui::app::RightPane;
use imgscope::tui::waste_list::WasteRow;

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

#[test]
fn waste_view_lists_reclaimable_and_duplicates_and_jumps() {
    let mut app = app_with(sample());
    app.update(Action::ToggleWaste);
    assert_eq!(app.right, RightPane::Waste);
    let v = viewer(&app);
    let w = v.analysis();
    // The plan's line first, then the reclaimable paths.
    assert_eq!(
        v.waste.rows[..2 + w.waste.paths.len()],
        [WasteRow::Plan, WasteRow::ReclaimHeader]
            .into_iter()
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
fn the_waste_view_names_what_the_plan_s_safe_actions_save_and_enter_opens_the_plan() {
    use imgscope::analysis::plan::Risk;
    use imgscope::tui::app::View;
    let mut app = app_with(sample());
    let (safe, count) = {
        let plan = &app.sharing.as_ref().expect("the plan").set.plan;
        let safe: Vec<_> = plan.for_image(0).filter(|a| a.risk == Risk::Safe).collect();
        let mut seen = std::collections::HashSet::new();
        let bytes: u64 = safe
            .iter()
            .flat_map(|a| a.claims.iter())
            .filter(|(c, _)| seen.insert(*c))
            .map(|(_, b)| b)
            .sum();
        (bytes, safe.len())
    };
    assert!(count > 0 && safe > 0);
    app.update(Action::ToggleWaste);
    let v = viewer(&app);
    assert_eq!(v.waste.rows[0], WasteRow::Plan);
    let (short, full) = v.waste.plan_note.clone().unwrap();
    let figure = imgscope::text::human_size(safe);
    assert!(short.contains(&format!("save {figure}")), "{short}");
    assert!(full.contains("package caches"), "{full}");
    // The cursor still starts on the first entry that leads somewhere.
    assert!(!matches!(
        v.waste.selected(),
        Some(WasteRow::Plan | WasteRow::ReclaimHeader)
    ));
    app.update(Action::Home);
    assert_eq!(viewer(&app).waste.selected(), Some(WasteRow::Plan));
    app.update(Action::Activate);
    assert_eq!(app.view, View::Sharing);
}

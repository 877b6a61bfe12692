//! Edge cases: an image without layers or files, and the sample at every layer, taking every
//! action without a panic; a load in progress becoming ready on a tick.

use super::*;

#[test]
fn an_image_without_layers_or_files_takes_every_action() {
    let mut app = app_with(empty());
    let v = viewer(&app);
    assert_eq!(v.layer_count(), 0);
    assert!(v.tree.rows().is_empty());
    for a in every_action() {
        app.update(a);
        if app.should_quit() {
            break;
        }
    }
}

#[test]
fn the_sample_takes_every_action_at_every_layer() {
    every_action_at_every_layer(|| app_with(sample()));
}

#[test]
fn a_load_in_progress_becomes_ready_on_a_tick() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Instant;
    let (tx, rx) = std::sync::mpsc::channel();
    let progress: Vec<Arc<imgscope::pipeline::load::Progress>> = vec![Arc::default()];
    let mut app = App::new(
        vec!["x.tar".into()],
        progress.clone(),
        rx,
        true,
        Instant::now(),
    );
    assert!(app.is_loading());
    progress[0].layers_total.store(4, Ordering::Relaxed);
    app.update(Action::Down); // nothing to move yet, and no panic
    app.update(Action::Tick(Instant::now()));
    assert!(app.is_loading());
    tx.send((0, Ok(Box::new(Viewer::new(sample()))))).unwrap();
    app.update(Action::Tick(Instant::now()));
    assert!(!app.is_loading());
    assert_eq!(viewer(&app).layer_count(), 4);
}

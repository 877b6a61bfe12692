//! Loading on a worker thread while the viewer runs: images are loaded one after another (stdin
//! can be read only once, and each load already uses every core), each publishing progress through
//! its own [`Progress`] atomics, and each result, a ready [`Viewer`] or an error line, is sent to
//! the UI. For `imgscope diff`, OLD then NEW are loaded and compared, and the one result is NEW's
//! viewer marked against OLD. A panic inside a load becomes that image's error, not a crash.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::thread;

use super::app::{DiffOrigin, Outcome};
use super::viewer::Viewer;
use crate::pipeline::load::{self, LoadOptions, Progress};

pub fn spawn(
    inputs: Vec<String>,
    options: LoadOptions,
    progress: Vec<Arc<Progress>>,
    results: Sender<(usize, Outcome)>,
) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("imgscope-load".into())
        .spawn(move || {
            for (i, (input, progress)) in inputs.iter().zip(&progress).enumerate() {
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    load::load(input, &options, progress)
                        .map(|loaded| Box::new(Viewer::new(loaded)))
                        .map_err(|e| format!("{e:#}"))
                }))
                .unwrap_or_else(|panic| Err(format!("internal error: {}", panic_text(&panic))));
                if results.send((i, outcome)).is_err() {
                    return; // the viewer has quit
                }
            }
        })
}

/// Load `origin`'s OLD (marking it loaded), then NEW, compare them, and send NEW's viewer marked
/// with the diff as image 0. An error names the input it came from.
pub fn spawn_diff(
    origin: DiffOrigin,
    new: String,
    progress: Arc<Progress>,
    options: LoadOptions,
    results: Sender<(usize, Outcome)>,
) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("imgscope-load".into())
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| -> Outcome {
                let load = |input: &str, progress: &Progress| {
                    load::load(input, &options, progress).map_err(|e| format!("{input}: {e:#}"))
                };
                let old = load(&origin.old, &origin.progress)?;
                origin.loaded.store(true, Ordering::Relaxed);
                let new = load(&new, &progress)?;
                Ok(Box::new(Viewer::compare(&origin.old, &old, new)))
            }))
            .unwrap_or_else(|panic| Err(format!("internal error: {}", panic_text(&panic))));
            // The viewer may have quit: nobody to tell.
            let _ = results.send((0, outcome));
        })
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "the load panicked".into()
    }
}

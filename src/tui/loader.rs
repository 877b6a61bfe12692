//! Loading on a worker thread while the viewer runs: images are loaded one after another (stdin
//! can be read only once, and each load already uses every core), each publishing progress through
//! its own [`Progress`] atomics, and each result, a ready [`Viewer`] or an error line, is sent to
//! the UI. A panic inside a load becomes that image's error, not a crash.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::thread;

use super::app::Outcome;
use super::viewer::Viewer;
use crate::load::{self, LoadOptions, Progress};

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

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "the load panicked".into()
    }
}

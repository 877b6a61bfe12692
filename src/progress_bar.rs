//! The stderr progress bar (indicatif) for loads outside the viewer: a thread polls the load's
//! atomic counters ten times a second, so decoding never waits on drawing. Hidden when stderr is
//! not a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::EnginePreview;
use crate::pipeline::load::Progress;
use crate::text::{escape_control, human_size};

pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    pub fn start(label: String, progress: Arc<Progress>) -> Bar {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} layers {prefix}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message(label.clone());
            let mut previewed = false;
            while !stop2.load(Ordering::Relaxed) {
                if !previewed && let Some(p) = progress.preview.get() {
                    // The engine's own figures, while its export is being prepared.
                    bar.set_message(format!("{label} ({})", preview_summary(p)));
                    previewed = true;
                }
                bar.set_length(progress.bytes_total.load(Ordering::Relaxed));
                bar.set_position(progress.bytes_read.load(Ordering::Relaxed));
                bar.set_prefix(format!(
                    "{}/{}",
                    progress.layers_done.load(Ordering::Relaxed),
                    progress.layers_total.load(Ordering::Relaxed)
                ));
                if progress.analyzing.load(Ordering::Relaxed) {
                    bar.set_prefix("done, analyzing");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Bar {
            stop,
            thread: Some(thread),
        }
    }
}

/// `podman engine: 8 layers, 1.7 GB` — the engine's figures for the bar's message.
fn preview_summary(p: &EnginePreview) -> String {
    let mut out = format!("{}: {} layers", p.engine, p.layer_count);
    if let Some(size) = p.size {
        out.push_str(&format!(", {}", human_size(size)));
    }
    escape_control(&out).into_owned()
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

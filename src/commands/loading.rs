//! Loading the images of `imgscope IMAGE…`: one after the other with a progress bar each, or, for
//! manifests only over a set (a node, a registry's catalog), several at a time.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, anyhow};

use crate::pipeline::load::{Loaded, Progress};
use crate::progress_bar::Bar;
use crate::settings::Settings;

/// Manifest-only loads run at once, up to this many: each is a few small requests that wait on the
/// network, not the CPU.
const MANIFEST_LOADS_AT_ONCE: usize = 8;

/// `--layers-only` over many images (a node, a registry's catalog): manifests and configs read
/// several at a time, in input order, with one progress bar counting images.
fn load_manifests(settings: &Settings) -> Result<Vec<Loaded>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let images = &settings.images;
    let bar = settings.progress.then(|| {
        let bar = indicatif::ProgressBar::new(images.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} manifests")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message("imgscope: reading");
        bar
    });
    let next = AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Loaded>>>> =
        Mutex::new((0..images.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..MANIFEST_LOADS_AT_ONCE.min(images.len()) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = images.get(i) else {
                        break;
                    };
                    let loaded = super::load_named(input, &settings.load);
                    if loaded.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(loaded);
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                }
            });
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // The first failure in input order is the one reported.
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map_while(|r| r)
        .collect::<Result<Vec<_>>>()
        .and_then(|loaded| {
            if loaded.len() == images.len() {
                Ok(loaded)
            } else {
                Err(anyhow!("loading stopped at a failed image"))
            }
        })
}

/// Every image of the settings, in order, with a progress bar each (or manifests only, several
/// at a time, for `--layers-only` over a set); `-v` tells how each was read.
pub fn load_all(settings: &Settings) -> Result<Vec<Loaded>> {
    if settings.load.layers_only && settings.images.len() > 1 && settings.verbose == 0 {
        return load_manifests(settings);
    }
    let mut out = Vec::with_capacity(settings.images.len());
    for input in &settings.images {
        let started = Instant::now();
        let progress = Arc::new(Progress::default());
        let bar = settings
            .progress
            .then(|| Bar::start(input.clone(), progress.clone()));
        let loaded = super::load_with_progress(input, &settings.load, &progress)?;
        drop(bar);
        if settings.verbose > 0 {
            if let Some(p) = progress.preview.get() {
                let size = p
                    .size
                    .map_or_else(|| "no size".into(), crate::text::human_size);
                let line = format!(
                    "{input}: before its export, the {} reported {} layers, {size}, {} history steps",
                    p.engine,
                    p.layer_count,
                    p.history.len()
                );
                eprintln!("imgscope: {}", crate::text::escape_control(&line));
            }
            if let Some(route) = progress.route() {
                let line = format!("{input}: {route}");
                eprintln!("imgscope: {}", crate::text::escape_control(&line));
            }
            for note in progress.notes() {
                let line = format!("{input}: {note}");
                eprintln!("imgscope: {}", crate::text::escape_control(&line));
            }
            eprintln!(
                "imgscope: {input}: loaded {} layers, {} files in {:.2?}",
                loaded.image.layers.len(),
                loaded.analysis.file_count,
                started.elapsed()
            );
        }
        out.push(loaded);
    }
    Ok(out)
}

//! `imgscope IMAGE…` (and `node`, `catalog`, `--all-tags`): the viewer, or the images loaded,
//! analysed as one set, then gated or reported.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use crate::pipeline::load::{self, Loaded};
use crate::report;
use crate::settings::{Output, Settings};

/// With more images than this, the text output shows the set only.
const MAX_TEXT_SUMMARIES: usize = 4;

pub fn run(mut settings: Settings) -> Result<u8> {
    if let Some(images) = super::image_sets::list(&settings)? {
        settings.set_images(images);
    }
    if settings.output == Output::Interactive {
        return crate::tui::run(
            settings.images.clone(),
            settings.load.clone(),
            settings.color,
            settings.worth,
            settings.clipboard,
        );
    }
    let loaded = super::loading::load_all(&settings)?;
    let started = Instant::now();
    let set = load::set_analysis(&loaded, settings.worth);
    if settings.verbose > 0 {
        eprintln!(
            "imgscope: analysed the set ({} images: sharing, content, trim plan) in {:.2?}",
            loaded.len(),
            started.elapsed()
        );
    }
    if let Some(plan) = &settings.gate {
        return super::gate::run(&settings, plan, &loaded, &set);
    }
    let assumed = assumed_base(&settings, &loaded, &set)?;
    print_report(&settings, &loaded, &set, assumed.as_ref())
}

/// `--assume-base IMAGE`: the node cost of the set rebuilt on IMAGE.
fn assumed_base(
    settings: &Settings,
    loaded: &[Loaded],
    set: &crate::analysis::set::SetAnalysis,
) -> Result<Option<crate::analysis::set::AssumedBase>> {
    Ok(match &settings.assume_base {
        None => None,
        Some(_) if loaded.len() < 2 => {
            return Err(anyhow!("--assume-base needs two or more images"));
        }
        Some(input) => {
            let mut options = settings.load.clone();
            options.hash_all_files = true;
            options.layers_only = false;
            let base = super::load_flagged("--assume-base", input, &options)?;
            let images: Vec<_> = loaded.iter().map(|l| &l.image).collect();
            Some(crate::analysis::set::assume_base(set, &images, &base.image))
        }
    })
}

/// The report of the set: JSON (to stdout and/or `--json-out`) or the text summary.
fn print_report(
    settings: &Settings,
    loaded: &[Loaded],
    set: &crate::analysis::set::SetAnalysis,
    assumed: Option<&crate::analysis::set::AssumedBase>,
) -> Result<u8> {
    let json = || -> Result<String> {
        let mut doc = report::json::report_with_set(&super::analyzed(loaded), set, assumed);
        if settings.all_files {
            for (image, l) in doc.images.iter_mut().zip(loaded) {
                image.files = Some(report::json::all_files(&l.image, &l.analysis));
            }
        }
        Ok(report::json::to_printable_string(&doc)?)
    };
    if let Some(path) = &settings.json_out {
        crate::atomic_write::write(path, json()?.as_bytes())
            .with_context(|| format!("{}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    match settings.output {
        Output::Json => stdout.write_all(json()?.as_bytes())?,
        Output::Text | Output::Interactive => {
            // The plan first: it is the answer; the tables after it support it.
            stdout.write_all(report::plan::text(&set.plan).as_bytes())?;
            if loaded.len() >= 2 {
                writeln!(stdout)?;
                stdout.write_all(report::sharing::summary(set, assumed).as_bytes())?;
                if loaded.len() > MAX_TEXT_SUMMARIES {
                    writeln!(stdout, "\n(per-image details: --json)")?;
                }
            }
            if loaded.len() <= MAX_TEXT_SUMMARIES {
                for l in loaded {
                    writeln!(stdout)?;
                    stdout.write_all(report::text::summary(&l.image, &l.analysis).as_bytes())?;
                }
            }
        }
    }
    stdout.flush()?;
    Ok(0)
}

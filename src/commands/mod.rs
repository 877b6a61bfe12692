//! Running a resolved command line ([`crate::settings::Mode`]): one module a command, each reading
//! its settings, never a raw flag. Errors come back named by their input, for `main` to print as
//! one line.

pub mod cache;
pub mod diff;
pub mod file;
pub mod gate;
pub mod history;
pub mod image_sets;
pub mod images;
pub mod loading;
pub mod releases;
pub mod report;
pub mod slim;

use std::io::Write;

use anyhow::{Result, anyhow};
use clap::CommandFactory;

use crate::cli::Cli;
use crate::pipeline::load::{self, LoadOptions, Loaded, Progress};
use crate::settings::{Mode, Run};

/// Exit status for a run that failed on bad input or an I/O error.
pub const EXIT_ERROR: u8 = 2;
/// Exit status for a gated run in which a rule failed.
pub const EXIT_GATE_FAILED: u8 = 1;

/// Resolve the command line, then run it: the exit status, or the error to print.
pub fn run(cli: Cli) -> Result<u8> {
    let Run { si, mode } = crate::settings::resolve(cli)?;
    crate::text::use_si(si);
    match mode {
        Mode::Completions(shell) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "imgscope", &mut std::io::stdout());
            Ok(0)
        }
        Mode::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(0)
        }
        Mode::Cache(action) => cache::run(action),
        Mode::File(request) => file::run(&request),
        Mode::Diff(request) => diff::run(request),
        Mode::Slim(request) => slim::run(&request),
        Mode::Report(request) => report::run(&request),
        Mode::Record(request) => history::record(&request),
        Mode::History(request) => history::show(&request),
        Mode::Releases(request) => releases::run(&request),
        Mode::Images(settings) => images::run(*settings),
    }
}

/// Load one image; an error is named by the input.
fn load_named(input: &str, options: &LoadOptions) -> Result<Loaded> {
    load_with_progress(input, options, &Progress::default())
}

/// [`load_named`], reporting its progress to `progress` (for a progress bar).
fn load_with_progress(input: &str, options: &LoadOptions, progress: &Progress) -> Result<Loaded> {
    load::load(input, options, progress)
        .map_err(|e| anyhow!("{}: {e:#}", crate::text::escape_control(input)))
}

/// Load the image a flag names (`--baseline`, `--assume-base`); an error names the flag too.
fn load_flagged(flag: &str, input: &str, options: &LoadOptions) -> Result<Loaded> {
    load_named(input, options).map_err(|e| anyhow!("{flag} {e:#}"))
}

/// Each loaded image with its analysis, as the reports take them.
fn analyzed(loaded: &[Loaded]) -> Vec<crate::report::json::Analyzed<'_>> {
    loaded.iter().map(|l| (&l.image, &l.analysis)).collect()
}

/// Write a report to stdout, flushed (a closed pipe comes back as an error `main` stays quiet on).
fn print(text: &str) -> Result<u8> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(0)
}

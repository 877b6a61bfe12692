//! Running a command line: load every image, then print the report the settings ask for. Errors
//! come back named by their input, for `main` to print as one line.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::config::{Output, Settings};
use crate::load::{self, Loaded, Progress};
use crate::progress_bar::Bar;
use crate::report;

/// Exit status for a run that failed on bad input or an I/O error.
pub const EXIT_ERROR: u8 = 2;

pub fn run(cli: Cli) -> Result<u8> {
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "imgscope", &mut std::io::stdout());
            return Ok(0);
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())?;
            return Ok(0);
        }
        None => {}
    }
    let settings = Settings::from_cli(&cli)?;
    let loaded = load_all(&settings)?;
    if let Some(path) = &settings.json_out {
        write_atomically(path, report::json::to_string(&loaded)?.as_bytes())
            .with_context(|| format!("{}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    match settings.output {
        Output::Json => stdout.write_all(report::json::to_string(&loaded)?.as_bytes())?,
        Output::Text | Output::Interactive => {
            for (i, l) in loaded.iter().enumerate() {
                if i > 0 {
                    writeln!(stdout)?;
                }
                stdout.write_all(report::text::summary(&l.image, &l.analysis).as_bytes())?;
            }
        }
    }
    stdout.flush()?;
    Ok(0)
}

fn load_all(settings: &Settings) -> Result<Vec<Loaded>> {
    let mut out = Vec::with_capacity(settings.images.len());
    for input in &settings.images {
        let started = Instant::now();
        let progress = Arc::new(Progress::default());
        let bar = settings
            .progress
            .then(|| Bar::start(input.clone(), progress.clone()));
        let loaded = load::load(input, &settings.load, &progress)
            .map_err(|e| anyhow!("{}: {e:#}", report::escape::escape_control(input)))?;
        drop(bar);
        if settings.verbose > 0 {
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

/// Write to a temporary file beside `path`, then rename: never a half-written report.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".imgscope-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

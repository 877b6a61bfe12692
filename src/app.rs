//! Running a command line: load every image, then print the report the settings ask for. Errors
//! come back named by their input, for `main` to print as one line.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::CommandFactory;

use crate::cli::{CacheAction, Cli, Command};
use crate::config::{Output, Settings};
use crate::load::{self, Loaded, Progress};
use crate::progress_bar::Bar;
use crate::source::registry::BlobCache;
use crate::{content, report};

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
        Some(Command::Cache { action }) => return cache_command(*action),
        Some(Command::Cat { image, path, layer }) => {
            return file_command(&cli, image, path, *layer, None);
        }
        Some(Command::Export {
            image,
            path,
            dest,
            layer,
        }) => {
            return file_command(&cli, image, path, *layer, Some(dest));
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

/// `cache show` and `cache prune`.
fn cache_command(action: CacheAction) -> Result<u8> {
    let cache = BlobCache::new(&crate::config::cache_dir());
    match action {
        CacheAction::Show => {
            let entries = cache.entries()?;
            let total: u64 = entries.iter().map(|(_, s)| s).sum();
            for (digest, size) in &entries {
                println!("{:>10}  {digest}", report::escape::human_size(*size));
            }
            println!(
                "{} blobs, {} in {}",
                entries.len(),
                report::escape::human_size(total),
                cache.root().display()
            );
        }
        CacheAction::Prune => {
            let (files, bytes) = cache.prune()?;
            println!(
                "removed {files} blobs, {} from {}",
                report::escape::human_size(bytes),
                cache.root().display()
            );
        }
    }
    Ok(0)
}

/// `cat` and `export`: load the image (without hashing), locate the file, stream it out.
fn file_command(
    cli: &Cli,
    image: &str,
    path: &str,
    layer: Option<usize>,
    dest: Option<&PathBuf>,
) -> Result<u8> {
    let mut options = Settings::load_options(cli)?;
    options.decode.hash_contents = false;
    let named = |e: anyhow::Error| anyhow!("{}: {e:#}", report::escape::escape_control(image));
    let loaded = load::load(image, &options, &Progress::default()).map_err(named)?;
    if let Some(l) = layer
        && l >= loaded.image.layers.len()
    {
        return Err(named(anyhow!(
            "no layer {l} (the image has {})",
            loaded.image.layers.len()
        )));
    }
    let at = content::locate(&loaded.image.tree, path, layer).map_err(named)?;
    match dest {
        None => {
            let stdout = std::io::stdout();
            if stdout.is_terminal() {
                let mut buf = Vec::new();
                content::copy_to(&loaded.blobs, &at, &mut buf, None).map_err(named)?;
                let text = String::from_utf8_lossy(&buf);
                let escaped: String = text
                    .split_inclusive('\n')
                    .map(|line| {
                        let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
                        format!("{}{nl}", report::escape::escape_control(body))
                    })
                    .collect();
                stdout.lock().write_all(escaped.as_bytes())?;
            } else {
                let mut lock = stdout.lock();
                content::copy_to(&loaded.blobs, &at, &mut lock, None).map_err(named)?;
                lock.flush()?;
            }
        }
        Some(dest) => {
            let target = if dest.is_dir() {
                let name = at.entry_path.rsplit('/').next().unwrap_or("file");
                dest.join(name)
            } else {
                dest.clone()
            };
            let dir = target
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::Builder::new()
                .prefix(".imgscope-")
                .tempfile_in(dir)
                .with_context(|| format!("{}", target.display()))?;
            content::copy_to(&loaded.blobs, &at, tmp.as_file_mut(), None).map_err(named)?;
            // The image's permission bits, without setuid/setgid/sticky.
            let mode = loaded
                .image
                .tree
                .version_at(at.node, at.layer)
                .map_or(0o644, |(_, v)| v.mode & 0o777);
            tmp.as_file()
                .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
            tmp.persist(&target)
                .map_err(|e| anyhow!("{}: {}", target.display(), e.error))?;
        }
    }
    Ok(0)
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

//! Running a command line: load every image, then print the report the settings ask for. Errors
//! come back named by their input, for `main` to print as one line.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::CommandFactory;

use crate::cli::{CacheAction, Cli, Command, DiffFormat, ReportFormat};
use crate::pipeline::content;
use crate::pipeline::load::{self, Loaded, Progress};
use crate::progress_bar::Bar;
use crate::report;
use crate::settings::{Output, Settings};
use crate::source::registry::BlobCache;

/// Exit status for a run that failed on bad input or an I/O error.
pub const EXIT_ERROR: u8 = 2;
/// Exit status for a gated run in which a rule failed.
pub const EXIT_GATE_FAILED: u8 = 1;

pub fn run(mut cli: Cli) -> Result<u8> {
    crate::text::use_si(cli.si);
    let catalog = image_set_command(&mut cli)?;
    if let Some(code) = subcommand(&cli)? {
        return Ok(code);
    }
    images_command(&cli, catalog)
}

/// A registry to list (`imgscope catalog`): the target, `--max-repos` and `--tags-matching`.
type CatalogTarget = (String, usize, Option<String>);

/// `imgscope node` and `imgscope catalog` are `imgscope IMAGE…` over a set: turn them into the
/// image list (node) or the registry to list once the settings are known (catalog).
fn image_set_command(cli: &mut Cli) -> Result<Option<CatalogTarget>> {
    if let Some(Command::Node {
        filter,
        json,
        text,
        worth,
        layers_only,
    }) = &cli.command
    {
        // `imgscope node` is `imgscope IMAGE…` with every image of the engine.
        cli.json |= *json;
        cli.text |= *text;
        cli.layers_only |= *layers_only;
        cli.worth.extend(worth.iter().cloned());
        cli.images = node_images(cli, filter)?;
        cli.command = None;
    }
    let mut catalog = None;
    if let Some(Command::Catalog {
        registry,
        json,
        text,
        worth,
        max_repos,
        tags_matching,
        files,
    }) = &cli.command
    {
        // `imgscope catalog` is `imgscope IMAGE…` with every tag of the registry.
        cli.json |= *json;
        cli.text |= *text;
        cli.layers_only |= !*files;
        cli.worth.extend(worth.iter().cloned());
        catalog = Some((registry.clone(), *max_repos, tags_matching.clone()));
        // Listed once the settings (credentials among them) are known.
        cli.images = vec![registry.clone()];
        cli.command = None;
    }
    Ok(catalog)
}

/// The subcommands that are not `imgscope IMAGE…`: their exit status, or `None` for the images.
fn subcommand(cli: &Cli) -> Result<Option<u8>> {
    let code = match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "imgscope", &mut std::io::stdout());
            0
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())?;
            0
        }
        Some(Command::Cache { action }) => cache_command(*action)?,
        Some(Command::Cat { image, path, layer }) => file_command(cli, image, path, *layer, None)?,
        Some(Command::Export {
            image,
            path,
            dest,
            layer,
        }) => file_command(cli, image, path, *layer, Some(dest))?,
        Some(Command::Diff {
            old,
            new,
            json,
            text,
            format,
            no_hash,
        }) => {
            let tty = std::io::stdout().is_terminal();
            match diff_output(*json, *text, *format, tty) {
                Some(format) => diff_command(cli, old, new, format, *no_hash)?,
                None => diff_viewer(cli, old, new, *no_hash)?,
            }
        }
        Some(Command::Report {
            image,
            format,
            no_hash,
            trend,
            from,
            name,
        }) => {
            let trend = trend.then(|| (from.as_deref(), name.as_deref()));
            report_command(cli, image, *format, *no_hash, trend)?
        }
        Some(Command::Record { image, into, name }) => {
            crate::history_command::record_command(cli, image, into.as_deref(), name.as_deref())?
        }
        Some(Command::History {
            name,
            from,
            json,
            text,
        }) => {
            if !*json && !*text && std::io::stdout().is_terminal() {
                let (path, records) = crate::history_command::read_series(name, from.as_deref())?;
                let color = crate::settings::color_wanted(cli.color, true);
                crate::tui::run_history(crate::tui::history_chart::HistoryChart::new(
                    name,
                    &path.display().to_string(),
                    &records,
                    color,
                ))?
            } else {
                crate::history_command::history_command(name, from.as_deref(), *json)?
            }
        }
        // Turned into the image list by `image_set_command`.
        Some(Command::Node { .. }) | Some(Command::Catalog { .. }) | None => return Ok(None),
    };
    Ok(Some(code))
}

/// `imgscope IMAGE…` (and node, catalog): the viewer, or the images loaded, analysed as one set,
/// gated or reported.
fn images_command(cli: &Cli, catalog: Option<CatalogTarget>) -> Result<u8> {
    let mut settings = Settings::from_cli(cli)?;
    if cli.all_tags {
        settings.images = expand_all_tags(&settings)?;
        settings.load.hash_all_files = settings.images.len() >= 2;
    }
    if let Some((target, max_repos, tags_matching)) = catalog {
        settings.images = catalog_images(
            &settings,
            cli.quiet,
            &target,
            max_repos,
            tags_matching.as_deref(),
        )?;
        settings.load.hash_all_files = settings.images.len() >= 2;
    }
    if settings.output == Output::Interactive {
        return crate::tui::run(
            settings.images.clone(),
            settings.load.clone(),
            settings.color,
            settings.worth,
            !cli.no_clipboard,
        );
    }
    let loaded = load_all(&settings)?;
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
        return gate_run(&settings, plan, &loaded, &set);
    }
    let assumed = assumed_base(cli, &settings, &loaded, &set)?;
    print_report(&settings, &loaded, &set, assumed.as_ref())
}

/// `--assume-base IMAGE`: the node cost of the set rebuilt on IMAGE.
fn assumed_base(
    cli: &Cli,
    settings: &Settings,
    loaded: &[Loaded],
    set: &crate::analysis::set::SetAnalysis,
) -> Result<Option<crate::analysis::set::AssumedBase>> {
    Ok(match &cli.assume_base {
        None => None,
        Some(_) if loaded.len() < 2 => {
            return Err(anyhow!("--assume-base needs two or more images"));
        }
        Some(input) => {
            let mut options = settings.load.clone();
            options.hash_all_files = true;
            options.layers_only = false;
            let base = load::load(input, &options, &Progress::default()).map_err(|e| {
                anyhow!(
                    "--assume-base {}: {e:#}",
                    crate::text::escape_control(input)
                )
            })?;
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
        let mut doc = report::json::report_with_set(&load::analyzed(loaded), set, assumed);
        if settings.all_files {
            for (image, l) in doc.images.iter_mut().zip(loaded) {
                image.files = Some(report::json::all_files(&l.image, &l.analysis));
            }
        }
        let mut s = serde_json::to_string_pretty(&doc)?;
        s.push('\n');
        // serde_json leaves DEL and C1 controls (U+009B is a one-character CSI) raw.
        Ok(crate::text::json_terminal_safe(s))
    };
    if let Some(path) = &settings.json_out {
        write_atomically(path, json()?.as_bytes())
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

/// The images of the local engine `--source` names (or the first that answers: Docker, Podman,
/// then containerd), filtered.
fn node_images(cli: &Cli, filters: &[String]) -> Result<Vec<String>> {
    use crate::cli::SourceChoice;
    use crate::source::engine::{EngineKind, list_images};
    let only = match cli.source {
        SourceChoice::Docker => Some(EngineKind::Docker),
        SourceChoice::Podman => Some(EngineKind::Podman),
        SourceChoice::Containerd | SourceChoice::Auto => None,
        other => bail!(
            "node: --source {} has no images of its own: use docker, podman or containerd",
            format!("{other:?}").to_lowercase()
        ),
    };
    let filters = filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    anyhow!("--filter {f:?}: expected KEY=VALUE, e.g. reference='app/*'")
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let listed = if cli.source == SourceChoice::Containerd {
        containerd_node_images(&filters)
    } else {
        match list_images(only, &filters) {
            Ok((engine, images)) => Ok((format!("the {engine} engine"), images)),
            // No Docker or Podman here: a Kubernetes node's images are containerd's.
            Err(engines) if only.is_none() => {
                containerd_node_images(&filters).map_err(|e| anyhow!("{engines:#}; {e:#}"))
            }
            Err(e) => Err(e),
        }
    };
    let (engine, images) = listed.map_err(|e| anyhow!("node: {e:#}"))?;
    if images.is_empty() {
        bail!(
            "node: {engine} has no image{}",
            if filters.is_empty() {
                ""
            } else {
                " matching the filters"
            }
        );
    }
    Ok(images)
}

/// containerd's images for `node`: the namespace's (see [`crate::source::containerd`]), with
/// `reference=GLOB` and `label=KEY[=VALUE]` applied here (containerd's own filter language is
/// not docker's).
fn containerd_node_images(filters: &[(String, String)]) -> Result<(String, Vec<String>)> {
    let (namespace, images) = crate::source::containerd::list_images(None)?;
    let mut references = Vec::new();
    let mut labels = Vec::new();
    for (key, value) in filters {
        match key.as_str() {
            "reference" => references.push(
                globset::Glob::new(value)
                    .map_err(|e| anyhow!("--filter reference={value}: {e}"))?
                    .compile_matcher(),
            ),
            "label" => labels.push(match value.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (value.clone(), None),
            }),
            other => bail!(
                "--filter {other}=…: containerd's images take reference= and label= filters only"
            ),
        }
    }
    let inputs = images
        .into_iter()
        .filter(|i| {
            let short = crate::source::reference::familiar_name(&i.name);
            references.is_empty()
                || references
                    .iter()
                    .any(|g| g.is_match(&i.name) || g.is_match(&short))
        })
        .filter(|i| {
            labels.iter().all(|(k, v)| {
                i.labels
                    .iter()
                    .any(|(ik, iv)| ik == k && v.as_ref().is_none_or(|v| v == iv))
            })
        })
        .map(|i| i.input)
        .collect();
    Ok((format!("containerd (namespace {namespace})"), inputs))
}

/// Every tag of the registry's repositories under the prefix, as `docker://` references.
fn catalog_images(
    settings: &Settings,
    quiet: bool,
    target: &str,
    max_repos: usize,
    tags_matching: Option<&str>,
) -> Result<Vec<String>> {
    let options = &settings.load.source.registry;
    let glob = tags_matching
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|e| anyhow!("--tags-matching {g:?}: {e}"))
        })
        .transpose()?;
    let shown = crate::text::escape_control(target);
    let catalog = crate::source::registry::catalog::list(target, options, max_repos, glob.as_ref())
        .map_err(|e| anyhow!("catalog {shown}: {e:#}"))?;
    if !quiet {
        let mut line = format!(
            "catalog {shown}: {} repositories, {} tags",
            catalog.repositories,
            catalog.references.len()
        );
        if catalog.repositories_left_out > 0 {
            line.push_str(&format!(
                " ({} repositories left out by --max-repos {max_repos})",
                catalog.repositories_left_out
            ));
        }
        if catalog.tags_left_out > 0 {
            line.push_str(&format!(
                " ({} tags left out by --tags-matching)",
                catalog.tags_left_out
            ));
        }
        eprintln!("imgscope: {line}");
    }
    if catalog.references.is_empty() {
        bail!("catalog {shown}: no tags to read");
    }
    Ok(catalog
        .references
        .into_iter()
        .map(|r| format!("docker://{r}"))
        .collect())
}

/// `--all-tags`: every tag of each named repository.
fn expand_all_tags(settings: &Settings) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for repo in &settings.images {
        let tags = crate::source::registry::all_tags(repo, &settings.load.source.registry)
            .map_err(|e| anyhow!("{}: {e:#}", crate::text::escape_control(repo)))?;
        if tags.is_empty() {
            return Err(anyhow!("{repo}: the repository has no tags"));
        }
        out.extend(tags);
    }
    Ok(out)
}

/// With more images than this, the text output shows the set only.
const MAX_TEXT_SUMMARIES: usize = 4;

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
                    let loaded = load::load(input, &settings.load, &Progress::default())
                        .map_err(|e| anyhow!("{}: {e:#}", crate::text::escape_control(input)));
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

fn load_all(settings: &Settings) -> Result<Vec<Loaded>> {
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
        let loaded = load::load(input, &settings.load, &progress)
            .map_err(|e| anyhow!("{}: {e:#}", crate::text::escape_control(input)))?;
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
    let dir = crate::settings::cache_dir()?;
    let cache = BlobCache::new(&dir);
    let layer_cache = crate::settings::layer_cache(&dir)?;
    match action {
        CacheAction::Show => {
            let entries = cache.entries()?;
            let total: u64 = entries.iter().map(|(_, s)| s).sum();
            for (digest, size) in &entries {
                println!("{:>10}  {digest}", crate::text::human_size(*size));
            }
            println!(
                "{} blobs, {} in {}",
                entries.len(),
                crate::text::human_size(total),
                cache.root().display()
            );
            let (layers, layer_bytes) = layer_cache.usage();
            println!(
                "{layers} analyzed layers, {} (at most {}, least recently used removed first; set {})",
                crate::text::human_size(layer_bytes),
                crate::text::human_size(layer_cache.max_bytes()),
                crate::settings::LAYER_CACHE_MAX_VAR
            );
        }
        CacheAction::Prune => {
            let (files, bytes) = cache.prune()?;
            let (layers, layer_bytes) = layer_cache.prune()?;
            println!(
                "removed {layers} analyzed layers, {}",
                crate::text::human_size(layer_bytes)
            );
            println!(
                "removed {files} blobs, {} from {}",
                crate::text::human_size(bytes),
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
    let named = |e: anyhow::Error| anyhow!("{}: {e:#}", crate::text::escape_control(image));
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
                // Escaped line by line as it streams: a 4 GiB file is never held in memory.
                let mut lines = EscapedLines {
                    out: stdout.lock(),
                    pending: Vec::new(),
                };
                content::copy_to(&loaded.blobs, &at, &mut lines, None).map_err(named)?;
                lines.finish()?;
            } else {
                let mut lock = stdout.lock();
                content::copy_to(&loaded.blobs, &at, &mut lock, None).map_err(named)?;
                lock.flush()?;
            }
        }
        Some(dest) => {
            let target = if dest.is_dir() {
                // Named after the path asked for, as `cp` does: never after where a symlink or
                // hardlink in the image points (`/app/config.yaml -> /x/.bashrc` must not
                // become `.bashrc`).
                let name = path
                    .rsplit('/')
                    .find(|c| !c.is_empty() && *c != "." && *c != "..")
                    .unwrap_or("file");
                dest.join(name)
            } else {
                dest.clone()
            };
            let mode = content::export_mode(&loaded.image.tree, &at);
            content::export_to_file(&loaded.blobs, &at, mode, &target).map_err(named)?;
        }
    }
    Ok(0)
}

/// Text for a terminal, escaped a line at a time as it arrives (control characters shown as
/// escapes; a line longer than [`EscapedLines::MAX_PENDING`] is written in pieces).
struct EscapedLines<W: Write> {
    out: W,
    pending: Vec<u8>,
}

impl<W: Write> EscapedLines<W> {
    const MAX_PENDING: usize = 64 * 1024;

    fn emit(&mut self, bytes: &[u8], newline: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        self.out
            .write_all(crate::text::escape_control(&text).as_bytes())?;
        if newline {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.emit(&rest, false)?;
        self.out.flush()
    }
}

impl<W: Write> Write for EscapedLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(nl) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=nl).collect();
            self.emit(&line[..line.len() - 1], true)?;
        }
        if self.pending.len() > Self::MAX_PENDING {
            // A long line: write what is valid UTF-8 so far, keep a split character's start.
            let valid = match std::str::from_utf8(&self.pending) {
                Ok(_) => self.pending.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(_) => self.pending.len(),
            };
            let piece: Vec<u8> = self.pending.drain(..valid).collect();
            self.emit(&piece, false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Write to a temporary file beside `path`, then rename: never a half-written report.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(crate::atomic_write::write(path, bytes)?)
}

/// Load options for `diff` or `report`: every file hashed unless `--no-hash`.
fn hashed_load_options(cli: &Cli, no_hash: bool) -> Result<load::LoadOptions> {
    let mut options = Settings::load_options(cli)?;
    options.decode.hash_contents = !no_hash;
    // A diff tells changed content from unchanged by hash: every file needs one.
    options.hash_all_files = true;
    Ok(options)
}

/// Load an image for `diff` or `report`, errors named by the input.
fn load_named(cli: &Cli, input: &str, no_hash: bool) -> Result<Loaded> {
    let options = hashed_load_options(cli, no_hash)?;
    load::load(input, &options, &Progress::default())
        .map_err(|e| anyhow!("{}: {e:#}", crate::text::escape_control(input)))
}

/// `--own-only`: the image above its base; an error when no base is known or it does not match.
fn own_part(l: &Loaded) -> Result<crate::gate::Own> {
    let shown = crate::text::escape_control(&l.image.input);
    let Some(base) = &l.analysis.base else {
        bail!(
            "--own-only: {shown} names no base: give --base IMAGE, or build it with the \
             org.opencontainers.image.base.name annotation"
        );
    };
    if !base.is_complete() {
        bail!(
            "--own-only: {shown}: base {}: {}",
            crate::text::escape_control(&base.reference),
            base.caveat().unwrap_or_default()
        );
    }
    Ok(crate::gate::Own {
        part: crate::analysis::base::OwnPart::of(&l.image, &l.analysis.waste, base.inherited),
        base: base.reference.clone(),
        total_layers: l.image.layers.len(),
    })
}

/// Gating: evaluate the rules on every image (against the baseline, if any), print the verdicts
/// (or the JSON report carrying them), append the Markdown summary, and exit 1 if a rule failed.
fn gate_run(
    settings: &Settings,
    plan: &crate::gate::GatePlan,
    loaded: &[Loaded],
    set: &crate::analysis::set::SetAnalysis,
) -> Result<u8> {
    use crate::gate::{BaselineFacts, Baselines, Subject, Verdict, evaluate_against};
    let baseline = match &plan.baseline {
        Some(input) => Some(
            load::load(input, &settings.load, &Progress::default())
                .map_err(|e| anyhow!("--baseline {}: {e:#}", crate::text::escape_control(input)))?,
        ),
        None => None,
    };
    let owns = loaded
        .iter()
        .map(|l| plan.own_only.then(|| own_part(l)).transpose())
        .collect::<Result<Vec<_>>>()?;
    let evaluations = loaded
        .iter()
        .zip(&owns)
        .enumerate()
        .map(|(i, (l, own))| {
            let own = own.as_ref();
            let planned = Subject {
                image: &l.image,
                analysis: &l.analysis,
                plan_saving: Some((set.plan.saving_for_image(i), set.plan.for_image(i).count())),
                own,
            };
            // `--baseline history`: each image against its own recorded series.
            let baselines = match &plan.history {
                Some(h) => crate::history_command::gate_baselines(h, &plan.rules, &l.image)?,
                None => Baselines {
                    last: baseline.as_ref().map(|b| BaselineFacts::of(&b.image)),
                    ..Baselines::default()
                },
            };
            Ok(evaluate_against(
                &plan.rules,
                &plan.files,
                planned,
                &baselines,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(path) = &settings.json_out {
        let json = report::json::to_string_with_gates(&load::analyzed(loaded), set, &evaluations)?;
        write_atomically(path, json.as_bytes()).with_context(|| format!("{}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    match settings.output {
        Output::Json => {
            let json =
                report::json::to_string_with_gates(&load::analyzed(loaded), set, &evaluations)?;
            stdout.write_all(json.as_bytes())?;
        }
        Output::Text | Output::Interactive => {
            for (i, (l, e)) in loaded.iter().zip(&evaluations).enumerate() {
                if i > 0 {
                    writeln!(stdout)?;
                }
                stdout.write_all(report::gate_output::text(&l.image, e).as_bytes())?;
                if plan.github {
                    stdout.write_all(
                        report::gate_output::github_annotations(&l.image, e).as_bytes(),
                    )?;
                }
            }
        }
    }
    stdout.flush()?;
    if let Some(path) = &plan.summary {
        let markdown: String = loaded
            .iter()
            .zip(&evaluations)
            .map(|(l, e)| report::markdown::gate_summary(&l.image, e))
            .collect();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}", path.display()))?;
        file.write_all(markdown.as_bytes())
            .with_context(|| format!("{}", path.display()))?;
    }
    let failed = evaluations.iter().any(|e| e.verdict() == Verdict::Fail);
    Ok(if failed { EXIT_GATE_FAILED } else { 0 })
}

/// What `imgscope diff` answers with: a report in this format, or `None` for the viewer. The main
/// command's rule (`Settings::from_cli`): the viewer only when stdout is a terminal and no output
/// format was asked for; `--json`, `--format` and `--text` print, and so does a pipe.
pub fn diff_output(
    json: bool,
    text: bool,
    format: Option<DiffFormat>,
    stdout_tty: bool,
) -> Option<DiffFormat> {
    match (json, format) {
        (true, _) => Some(DiffFormat::Json),
        (false, Some(f)) => Some(f),
        (false, None) if text || !stdout_tty => Some(DiffFormat::Text),
        (false, None) => None,
    }
}

/// `imgscope diff OLD NEW` on a terminal: the viewer on NEW, marked against OLD (both load in the
/// background, hashed as for the printed diff).
fn diff_viewer(cli: &Cli, old: &str, new: &str, no_hash: bool) -> Result<u8> {
    if old == "-" && new == "-" {
        anyhow::bail!("stdin (-) can be read only once");
    }
    let options = hashed_load_options(cli, no_hash)?;
    // As the main command decides with `--color auto` (the only choice with a subcommand): colour
    // on a terminal unless NO_COLOR is set.
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    crate::tui::run_diff(
        old.to_string(),
        new.to_string(),
        options,
        color,
        !cli.no_clipboard,
    )
}

/// `imgscope diff OLD NEW`, printed.
fn diff_command(cli: &Cli, old: &str, new: &str, format: DiffFormat, no_hash: bool) -> Result<u8> {
    if old == "-" && new == "-" {
        anyhow::bail!("stdin (-) can be read only once");
    }
    let old = load_named(cli, old, no_hash)?;
    let new = load_named(cli, new, no_hash)?;
    fn side(l: &Loaded) -> crate::diff::Side<'_> {
        crate::diff::Side {
            image: &l.image,
            analysis: &l.analysis,
        }
    }
    let d = crate::diff::diff(side(&old), side(&new));
    let text = match format {
        DiffFormat::Text => report::diff_text::diff(&old.image, &new.image, &d),
        DiffFormat::Json => report::json::diff_to_string(&old.image, &new.image, &d)?,
        DiffFormat::Markdown => report::markdown::diff(&old.image, &new.image, &d),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(0)
}

/// `--trend [--from DB] [--name NAME]`.
type TrendArgs<'a> = Option<(Option<&'a std::path::Path>, Option<&'a str>)>;

/// `imgscope report IMAGE --format markdown|html [--trend]`.
fn report_command(
    cli: &Cli,
    image: &str,
    format: ReportFormat,
    no_hash: bool,
    trend: TrendArgs<'_>,
) -> Result<u8> {
    let loaded = load_named(cli, image, no_hash)?;
    let series = match trend {
        Some((from, name)) => Some(crate::history_command::trend_of(&loaded.image, from, name)?),
        None => None,
    };
    let text = match format {
        ReportFormat::Markdown => {
            let mut out = report::markdown::image_report(&loaded.image, &loaded.analysis);
            if let Some((name, db, records)) = &series {
                out.push('\n');
                out.push_str(&crate::history::trend::markdown(name, db, records));
            }
            out
        }
        ReportFormat::Html => {
            let section = series
                .as_ref()
                .map(|(name, db, records)| crate::history::trend::html(name, db, records));
            report::html::report(&loaded.image, &loaded.analysis, section.as_deref())
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(chunks: &[&[u8]]) -> String {
        let mut lines = EscapedLines {
            out: Vec::new(),
            pending: Vec::new(),
        };
        for c in chunks {
            lines.write_all(c).unwrap();
        }
        let rest = std::mem::take(&mut lines.pending);
        lines.emit(&rest, false).unwrap();
        String::from_utf8(lines.out).unwrap()
    }

    #[test]
    fn terminal_text_is_escaped_as_it_streams() {
        assert_eq!(escaped(&[b"a\x1b[2Jb\nc", b"\rd\n"]), "a\\x1b[2Jb\nc\\rd\n");
        // A character split between two reads stays whole.
        let e = "é".as_bytes();
        assert_eq!(escaped(&[b"x", &e[..1], &e[1..], b"\n"]), "x\u{e9}\n");
        // A line longer than what is held is written in pieces, nothing lost.
        let long = vec![b'z'; 200_000];
        let out = escaped(&[&long, b"\nend"]);
        assert_eq!(out.len(), 200_000 + 4);
        assert!(out.ends_with("z\nend"));
    }
}

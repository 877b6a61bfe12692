//! Settings resolved once from flags and environment (`NO_COLOR`, terminal detection) and
//! validated, so the rest of the program never re-reads raw flags.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, ColorChoice, SourceChoice};
use crate::decode::DecodeOptions;
use crate::pipeline::layer_cache::LayerCache;
use crate::pipeline::load::LoadOptions;
use crate::source::registry::{BlobCache, RegistryOptions, auth};
use crate::source::{SourceOptions, SourcePreference, platform};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    Text,
    Interactive,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub images: Vec<String>,
    pub output: Output,
    pub json_out: Option<PathBuf>,
    pub load: LoadOptions,
    pub color: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// CI gates to evaluate, when gating is on (see [`crate::gate::rule_sources`]).
    pub gate: Option<crate::gate::GatePlan>,
    /// When a trim-plan action is worth it (`--worth`).
    pub worth: crate::analysis::plan::Worth,
    /// `--all-files`: every entry of the final filesystem in the JSON report.
    pub all_files: bool,
}

/// Where imgscope keeps its cache and temporary files: `$XDG_CACHE_HOME/imgscope`, else
/// `~/.cache/imgscope`, else a directory of this user's own in the system temp dir
/// (`imgscope-UID`, mode 0700 — one shared with other users would let them plant cache entries or
/// read what was cached), refused if it is not exactly that.
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("imgscope"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home).join(".cache").join("imgscope"));
    }
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1)?.parse::<u32>().ok())
        })
        .context("finding this user's id (no HOME or XDG_CACHE_HOME to keep a cache in)")?;
    let dir = std::env::temp_dir().join(format!("imgscope-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(&dir).with_context(|| format!("{}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        bail!(
            "{}: not a private directory of this user (owner {}, mode {:o}): refusing to keep a cache there (set XDG_CACHE_HOME)",
            dir.display(),
            meta.uid(),
            meta.mode() & 0o7777
        );
    }
    Ok(dir)
}

impl Settings {
    /// Load options from the flags that every command shares.
    pub fn load_options(cli: &Cli) -> Result<LoadOptions> {
        let platform = cli
            .platform
            .as_deref()
            .map(platform::parse)
            .transpose()
            .context("--platform")?;
        // With --no-cache nothing is kept: temporary files go to the system temp dir.
        let cache = if cli.no_cache {
            None
        } else {
            Some(cache_dir()?)
        };
        let password = if cli.password_stdin {
            Some(auth::password_from_stdin()?)
        } else {
            None
        };
        Ok(LoadOptions {
            source: SourceOptions {
                platform,
                temp_dir: cache
                    .as_ref()
                    .map_or_else(std::env::temp_dir, |c| c.join("tmp")),
                registry: RegistryOptions {
                    username: cli.username.clone(),
                    password,
                    plain_http: cli.plain_http,
                    cache: cache.as_deref().map(BlobCache::new),
                    request_budget: registry_budget()?,
                    verbose: cli.verbose > 0,
                },
                preference: match cli.source {
                    SourceChoice::Auto => SourcePreference::Auto,
                    SourceChoice::Docker => SourcePreference::Docker,
                    SourceChoice::Podman => SourcePreference::Podman,
                    SourceChoice::Containerd => SourcePreference::Containerd,
                    SourceChoice::Registry => SourcePreference::Registry,
                    SourceChoice::Archive => SourcePreference::Archive,
                },
                engine_export: cli.engine_export,
            },
            decode: DecodeOptions {
                hash_contents: !cli.no_hash,
                ..DecodeOptions::default()
            },
            hash_all_files: false,
            layers_only: cli.layers_only,
            layer_cache: match cache.as_deref() {
                Some(dir) => Some(layer_cache(dir)?),
                None => None,
            },
            keep: cli.keep.clone(),
            ignore: ignored_paths(cli)?,
            base: crate::pipeline::base_lookup::BaseLookup::new(cli.base.as_deref())
                .map(std::sync::Arc::new),
            without_bytes: false,
        })
    }

    pub fn from_cli(cli: &Cli) -> Result<Settings> {
        let mut images = cli.images.clone();
        if let Some(path) = &cli.images_from {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--images-from {}", path.display()))?;
            images.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        if images.is_empty() {
            bail!("no image given (try `imgscope --help`)");
        }
        let stdin_count = images.iter().filter(|i| *i == "-").count();
        if stdin_count > 1 {
            bail!("stdin (-) can be read only once");
        }
        let mut load = Self::load_options(cli)?;
        // Comparing content across images needs every file's hash, not only possible duplicates'.
        load.hash_all_files = images.len() >= 2;
        let stdout_tty = std::io::stdout().is_terminal();
        if cli.all_files && !cli.json && cli.json_out.is_none() && cli.format.is_none() {
            bail!("--all-files lists entries in the JSON report: add --json or --json-out FILE");
        }
        let output = if cli.json {
            Output::Json
        } else if cli.text || !stdout_tty || cli.json_out.is_some() {
            Output::Text
        } else {
            Output::Interactive
        };
        let github = cli.format == Some(crate::cli::OutputFormat::Github);
        let gate_env = crate::gate::GateEnv::from_process(stdout_tty);
        let gate = crate::gate::plan(&cli.gate.to_args(), github, &gate_env)?;
        if let Some(plan) = &gate
            && plan.baseline.as_deref() == Some("-")
            && stdin_count > 0
        {
            bail!("stdin (-) can be read only once (IMAGE and --baseline)");
        }
        let output = match (cli.format, output) {
            (Some(crate::cli::OutputFormat::Json), _) => Output::Json,
            // Gate results and explicit formats are printed, never the interactive viewer.
            (Some(_), Output::Interactive) => Output::Text,
            (None, Output::Interactive) if gate.is_some() => Output::Text,
            (_, output) => output,
        };
        // Reports and gates read no file contents after loading.
        load.without_bytes = output != Output::Interactive;
        let color = color_wanted(cli.color, stdout_tty);
        Ok(Settings {
            images,
            output,
            json_out: cli.json_out.clone(),
            load,
            color,
            quiet: cli.quiet,
            verbose: cli.verbose,
            progress: !cli.quiet && std::io::stderr().is_terminal(),
            gate,
            worth: worth(&cli.worth)?,
            all_files: cli.all_files,
        })
    }
}

/// The layer cache under `cache_root`, capped at `IMGSCOPE_LAYER_CACHE_MAX` (a size: `500MB`,
/// `4GiB`; `0` keeps nothing new) or [`crate::pipeline::layer_cache::DEFAULT_MAX_BYTES`].
/// Whether to color: `--color always|never`, else when stdout is a terminal and `NO_COLOR` is not
/// set (<https://no-color.org>).
pub fn color_wanted(choice: ColorChoice, stdout_tty: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && stdout_tty,
    }
}

/// The globs to set aside: the project file's `ignore = [...]`, then every `--ignore-path`.
fn ignored_paths(cli: &Cli) -> Result<crate::analysis::ignore::Ignore> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut globs = match crate::project_file::find(cli.gate.config.as_deref(), &cwd)? {
        Some(file) => file.ignore_globs()?,
        None => Vec::new(),
    };
    globs.extend(
        cli.ignore_path
            .iter()
            .map(|g| ("--ignore-path".to_string(), g.clone())),
    );
    crate::analysis::ignore::Ignore::new(&globs).map_err(|e| anyhow::anyhow!(e))
}

pub fn layer_cache(cache_root: &std::path::Path) -> Result<LayerCache> {
    let cache = LayerCache::new(cache_root);
    let Some(v) = std::env::var_os(LAYER_CACHE_MAX_VAR).filter(|v| !v.is_empty()) else {
        return Ok(cache);
    };
    let max = crate::gate::parse::parse_size(&v.to_string_lossy())
        .map_err(|e| anyhow::anyhow!("{LAYER_CACHE_MAX_VAR}: {e}"))?;
    Ok(cache.with_max_bytes(max))
}

/// The environment variable that caps the layer cache.
pub const LAYER_CACHE_MAX_VAR: &str = "IMGSCOPE_LAYER_CACHE_MAX";

/// `IMGSCOPE_REGISTRY_TIMEOUT=SECONDS`: the time budget of one registry metadata request
/// (manifest, config, tag page, token), retries included; unset for the default.
fn registry_budget() -> Result<Option<std::time::Duration>> {
    let Some(v) = std::env::var_os("IMGSCOPE_REGISTRY_TIMEOUT").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = v.to_string_lossy();
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Some(std::time::Duration::from_secs_f64(s))),
        _ => {
            bail!("IMGSCOPE_REGISTRY_TIMEOUT: {text:?} is not a number of seconds (0 < s <= 86400)")
        }
    }
}

/// `--worth SIZE|PCT%` (repeatable): each value sets the byte floor or the share of node cost.
pub fn worth(values: &[String]) -> Result<crate::analysis::plan::Worth> {
    use crate::gate::parse::{BytesOrPercent, parse_bytes_or_percent};
    let mut worth = crate::analysis::plan::Worth::default();
    for v in values {
        match parse_bytes_or_percent(v).map_err(|e| anyhow::anyhow!("--worth: {e}"))? {
            BytesOrPercent::Bytes(b) => worth.min_bytes = b,
            BytesOrPercent::Percent(p) => {
                let share = p.to_f64() / 100.0;
                if !(0.0..=1.0).contains(&share) {
                    bail!("--worth: {v:?} must be between 0% and 100%");
                }
                worth.min_share = share;
            }
        }
    }
    Ok(worth)
}

//! Settings resolved once from flags and environment (`NO_COLOR`, terminal detection) and
//! validated, so the rest of the program never re-reads raw flags.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, ColorChoice, SourceChoice};
use crate::decode::DecodeOptions;
use crate::layer_cache::LayerCache;
use crate::load::LoadOptions;
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
    /// CI gates to evaluate, when gating is on (see [`crate::gate::config`]).
    pub gate: Option<crate::gate::GatePlan>,
    /// When a trim-plan action is worth it (`--worth`).
    pub worth: crate::analysis::plan::Worth,
}

/// Where imgscope keeps its cache and temporary files: `$XDG_CACHE_HOME/imgscope`, else
/// `~/.cache/imgscope`, else the system temp dir.
pub fn cache_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("imgscope");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".cache").join("imgscope");
    }
    std::env::temp_dir().join("imgscope")
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
        let password = if cli.password_stdin {
            Some(auth::password_from_stdin()?)
        } else {
            None
        };
        Ok(LoadOptions {
            source: SourceOptions {
                platform,
                temp_dir: cache_dir().join("tmp"),
                registry: RegistryOptions {
                    username: cli.username.clone(),
                    password,
                    plain_http: cli.plain_http,
                    cache: (!cli.no_cache).then(|| BlobCache::new(&cache_dir())),
                },
                preference: match cli.source {
                    SourceChoice::Auto => SourcePreference::Auto,
                    SourceChoice::Docker => SourcePreference::Docker,
                    SourceChoice::Podman => SourcePreference::Podman,
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
            layer_cache: (!cli.no_cache).then(|| LayerCache::new(&cache_dir())),
            keep: cli.keep.clone(),
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
        let output = if cli.json {
            Output::Json
        } else if cli.text || !stdout_tty || cli.json_out.is_some() {
            Output::Text
        } else {
            Output::Interactive
        };
        let github = cli.format == Some(crate::cli::OutputFormat::Github);
        let gate_env = crate::gate::GateEnv::from_process(stdout_tty);
        let gate = crate::gate::plan(&cli.gate, github, &gate_env)?;
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
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && stdout_tty,
        };
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
        })
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

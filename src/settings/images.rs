//! The settings of `imgscope IMAGE…` (and of `node`, `catalog` and `--all-tags`, which are the
//! same command over a set listed at run time): which images, which output, the gates, `--worth`,
//! resolved and validated once from the flags and the environment (`NO_COLOR`, `CI`, terminals).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, ColorChoice, SourceChoice};
use crate::pipeline::load::LoadOptions;

/// The images `imgscope IMAGE…` reads: given on the command line (and `--images-from`), or a set
/// listed when the command runs.
#[derive(Debug, Clone)]
pub enum ImageSet {
    /// `IMAGE…` and `--images-from FILE`.
    Given,
    /// `--all-tags`: every tag of each given repository.
    AllTags,
    /// `imgscope node`: every image of a local engine, through its own filters.
    Node {
        /// `--filter KEY=VALUE`, split.
        filters: Vec<(String, String)>,
        engine: NodeEngine,
    },
    /// `imgscope catalog REGISTRY[/PREFIX]`: every tag of the registry's repositories.
    Catalog {
        target: String,
        max_repos: usize,
        /// `--tags-matching GLOB`, compiled.
        tags_matching: Option<globset::GlobMatcher>,
    },
}

/// The engine `imgscope node` lists: the one `--source` names, or the first that answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeEngine {
    /// Docker, else Podman, else containerd.
    FirstFound,
    Docker,
    Podman,
    Containerd,
}

impl NodeEngine {
    /// `--source` for `node`: an engine, or `auto`; a registry or an archive has no images of its
    /// own.
    pub fn from_source(source: SourceChoice) -> Result<NodeEngine> {
        Ok(match source {
            SourceChoice::Auto => NodeEngine::FirstFound,
            SourceChoice::Docker => NodeEngine::Docker,
            SourceChoice::Podman => NodeEngine::Podman,
            SourceChoice::Containerd => NodeEngine::Containerd,
            other @ (SourceChoice::Registry | SourceChoice::Archive) => bail!(
                "node: --source {} has no images of its own: use docker, podman or containerd",
                format!("{other:?}").to_lowercase()
            ),
        })
    }
}

/// How the result is given.
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
    /// Where the images come from: given, or listed when the command runs (then `images` is
    /// filled by the command, see [`Settings::set_images`]).
    pub set: ImageSet,
    /// `--assume-base IMAGE`: the what-if base for the set.
    pub assume_base: Option<String>,
    /// The viewer may copy to the terminal's clipboard (OSC 52).
    pub clipboard: bool,
}

impl Settings {
    /// `cli` with `node`'s or `catalog`'s own flags already merged in (see
    /// [`super::resolve`]); `set` says where the images come from.
    pub fn from_cli(cli: &Cli, set: ImageSet) -> Result<Settings> {
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
        if images.is_empty() && matches!(set, ImageSet::Given | ImageSet::AllTags) {
            bail!("no image given (try `imgscope --help`)");
        }
        let stdin_count = images.iter().filter(|i| *i == "-").count();
        if stdin_count > 1 {
            bail!("stdin (-) can be read only once");
        }
        let mut load = super::load_options::from_flags(cli)?;
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
            set,
            assume_base: cli.assume_base.clone(),
            clipboard: !cli.no_clipboard,
        })
    }

    /// The images once listed (node, catalog, `--all-tags`): comparing content across them needs
    /// every file's hash, as for images given.
    pub fn set_images(&mut self, images: Vec<String>) {
        self.load.hash_all_files = images.len() >= 2;
        self.images = images;
    }
}

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

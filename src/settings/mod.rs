//! The command line resolved once into what to run: clap's raw flags ([`crate::cli`]) and the
//! environment become one validated [`Mode`] (as ripgrep goes from low-level args to high-level
//! settings to a mode), so [`crate::commands`] never reads a raw flag and a bad flag is reported
//! before any image is read.
//!
//! Resolving does no work of the command's: it lists no engine or registry and loads nothing. It
//! reads what settings need (the project file, `--images-from`, the registry password on stdin
//! for the commands that load images).

pub mod images;
pub mod load_options;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};

use crate::cli::{
    CacheAction, Cli, ColorChoice, Command, DiffFormat, ReleasesFormat, ReportFormat,
};
use crate::pipeline::load::LoadOptions;

pub use images::{ImageSet, NodeEngine, Output, Settings, color_wanted};
pub use load_options::{
    BLOB_CACHE_MAX_VAR, LAYER_CACHE_MAX_VAR, blob_cache, cache_dir, layer_cache,
};

/// One run of the command line, resolved.
#[derive(Debug)]
pub struct Run {
    /// `--si`: sizes in powers of 1000.
    pub si: bool,
    pub mode: Mode,
}

/// What to do.
#[derive(Debug)]
pub enum Mode {
    /// `completions SHELL`.
    Completions(clap_complete::Shell),
    /// `man`.
    Man,
    /// `cache show|prune`.
    Cache(CacheAction),
    /// `cat IMAGE PATH` and `export IMAGE PATH DEST`.
    File(FileRequest),
    /// `diff OLD NEW`.
    Diff(DiffRequest),
    /// `slim IMAGE -o oci:DIR[:TAG]` and `slim IMAGE --list`.
    Slim(SlimRequest),
    /// `report IMAGE`.
    Report(ReportRequest),
    /// `record IMAGE`.
    Record(RecordRequest),
    /// `history NAME`.
    History(HistoryRequest),
    /// `releases IMAGE…`.
    Releases(ReleasesRequest),
    /// `imgscope IMAGE…`, `node` and `catalog`.
    Images(Box<Settings>),
}

/// `cat` (no `dest`) and `export`.
#[derive(Debug)]
pub struct FileRequest {
    pub image: String,
    pub path: String,
    pub layer: Option<usize>,
    /// `export`'s destination: a file, or a directory to put it in.
    pub dest: Option<PathBuf>,
    /// Contents are not hashed: the file is read, not compared.
    pub load: LoadOptions,
}

/// `slim IMAGE`.
#[derive(Debug)]
pub struct SlimRequest {
    pub image: String,
    /// The OCI layout directory and tag to write, checked (`oci:DIR[:TAG]`).
    pub output: Option<(PathBuf, String)>,
    pub list: bool,
    /// `--static-closure`: the optimistic bound instead of the conservative set.
    pub static_closure: bool,
    pub load: LoadOptions,
}

/// `-o oci:DIR[:TAG]` → (DIR, TAG); TAG defaults to `slim`. A colon followed by a `/` belongs
/// to DIR.
fn slim_output(value: &str) -> Result<(PathBuf, String)> {
    let rest = value.strip_prefix("oci:").ok_or_else(|| {
        anyhow::anyhow!("-o {value:?}: expected oci:DIR[:TAG] (an OCI layout directory)")
    })?;
    let (dir, tag) = match rest.rsplit_once(':') {
        Some((dir, tag)) if !tag.contains('/') && !dir.is_empty() => (dir, tag),
        _ => (rest, "slim"),
    };
    if dir.is_empty() {
        bail!("-o {value:?}: no directory after oci:");
    }
    Ok((PathBuf::from(dir), tag.to_string()))
}

/// `diff OLD NEW`.
#[derive(Debug)]
pub struct DiffRequest {
    pub old: String,
    pub new: String,
    /// Every file hashed (unless `--no-hash`): a diff tells changed content by hash.
    pub load: LoadOptions,
    pub output: DiffOutput,
}

/// What `diff` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOutput {
    /// The viewer on NEW, marked against OLD.
    Viewer { color: bool, clipboard: bool },
    /// A report in this format.
    Printed(DiffFormat),
}

/// `releases IMAGE…`: a release series in deploy order.
#[derive(Debug)]
pub struct ReleasesRequest {
    /// The releases, or with `from` the one name they are recorded under.
    pub images: Vec<String>,
    /// `--from DB`: read the releases from the history database.
    pub from: Option<PathBuf>,
    /// `--all-tags`: the releases are every tag of the one repository given, ordered by their
    /// config's `created`.
    pub all_tags: bool,
    /// Every file hashed: already-had bytes are content matched by hash.
    pub load: LoadOptions,
    pub worth: crate::analysis::plan::Worth,
    /// Text, JSON, Markdown or HTML, when printed.
    pub format: ReleasesFormat,
    /// The release view on the terminal (with colour or not), when stdout is one and no format
    /// was asked for.
    pub view: Option<bool>,
    /// A progress bar per release on stderr.
    pub progress: bool,
}

/// `report IMAGE… --format markdown|html [--trend] [--worth …]`.
#[derive(Debug)]
pub struct ReportRequest {
    /// One or more images, analysed as one set (the plan, and their sharing when several).
    pub images: Vec<String>,
    pub worth: crate::analysis::plan::Worth,
    pub format: ReportFormat,
    pub load: LoadOptions,
    /// `--trend [--from DB] [--name NAME]`.
    pub trend: Option<Trend>,
}

/// Where `report --trend` reads the image's series.
#[derive(Debug)]
pub struct Trend {
    pub from: Option<PathBuf>,
    pub name: Option<String>,
}

/// `record IMAGE [--into DB] [--name NAME]`.
#[derive(Debug)]
pub struct RecordRequest {
    pub image: String,
    pub into: Option<PathBuf>,
    pub name: Option<String>,
    pub load: LoadOptions,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// `history NAME [--from DB]`.
#[derive(Debug)]
pub struct HistoryRequest {
    pub name: String,
    pub from: Option<PathBuf>,
    pub output: HistoryOutput,
}

/// How `history` shows the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOutput {
    /// The size chart in the terminal.
    Chart {
        color: bool,
    },
    Table,
    Json,
}

/// Resolve the command line into a [`Run`]; errors name the flag or input at fault.
pub fn resolve(mut cli: Cli) -> Result<Run> {
    let si = cli.si;
    let stdout_tty = std::io::stdout().is_terminal();
    let mode = match cli.command.take() {
        Some(Command::Completions { shell }) => Mode::Completions(shell),
        Some(Command::Man) => Mode::Man,
        Some(Command::Cache { action }) => Mode::Cache(action),
        Some(Command::Cat { image, path, layer }) => Mode::File(FileRequest {
            load: unhashed_load_options(&cli)?,
            image,
            path,
            layer,
            dest: None,
        }),
        Some(Command::Export {
            image,
            path,
            dest,
            layer,
        }) => Mode::File(FileRequest {
            load: unhashed_load_options(&cli)?,
            image,
            path,
            layer,
            dest: Some(dest),
        }),
        Some(Command::Slim {
            image,
            output,
            list,
            static_closure,
        }) => Mode::Slim(SlimRequest {
            load: unhashed_load_options(&cli)?,
            image,
            output: output.as_deref().map(slim_output).transpose()?,
            list,
            static_closure,
        }),
        Some(Command::Diff {
            old,
            new,
            json,
            text,
            format,
            no_hash,
        }) => {
            if old == "-" && new == "-" {
                bail!("stdin (-) can be read only once");
            }
            let output = match diff_output(json, text, format, stdout_tty) {
                Some(format) => DiffOutput::Printed(format),
                // With a subcommand `--color` is not given: as `--color auto` on a terminal.
                None => DiffOutput::Viewer {
                    color: color_wanted(ColorChoice::Auto, true),
                    clipboard: !cli.no_clipboard,
                },
            };
            Mode::Diff(DiffRequest {
                load: hashed_load_options(&cli, no_hash)?,
                old,
                new,
                output,
            })
        }
        Some(Command::Report {
            images,
            format,
            no_hash,
            trend,
            from,
            name,
            worth,
        }) => Mode::Report(ReportRequest {
            load: hashed_load_options(&cli, no_hash)?,
            worth: self::images::worth(&worth)?,
            images: if trend && images.len() > 1 {
                return Err(anyhow!("report --trend takes one image"));
            } else {
                images
            },
            format,
            trend: trend.then_some(Trend { from, name }),
        }),
        Some(Command::Releases {
            images,
            from,
            all_tags,
            json,
            format,
            worth,
        }) => {
            if from.is_some() && images.len() != 1 {
                bail!("releases --from: give the one name the releases are recorded under");
            }
            if all_tags && (from.is_some() || images.len() != 1) {
                bail!(
                    "releases --all-tags: give the one registry repository whose tags are the releases"
                );
            }
            if from.is_none() && !all_tags && images.len() < 2 {
                bail!("releases: give two releases or more, oldest first");
            }
            if images.iter().filter(|i| *i == "-").count() > 1 {
                bail!("stdin (-) can be read only once");
            }
            Mode::Releases(ReleasesRequest {
                load: hashed_load_options(&cli, false)?,
                worth: self::images::worth(&worth)?,
                progress: !cli.quiet && std::io::stderr().is_terminal(),
                all_tags,
                // On a terminal with no format asked for: the release view.
                view: (!json && format.is_none() && stdout_tty)
                    .then(|| color_wanted(cli.color, true)),
                images,
                from,
                format: if json {
                    ReleasesFormat::Json
                } else {
                    format.unwrap_or(ReleasesFormat::Text)
                },
            })
        }
        Some(Command::Record { image, into, name }) => Mode::Record(RecordRequest {
            load: {
                // Every file hashed: each layer's fingerprint (`releases --from`) needs them all.
                let mut load = load_options::from_flags(&cli)?;
                load.hash_all_files = true;
                load
            },
            progress: !cli.quiet && std::io::stderr().is_terminal(),
            image,
            into,
            name,
        }),
        Some(Command::History {
            name,
            from,
            json,
            text,
        }) => Mode::History(HistoryRequest {
            name,
            from,
            output: if json {
                HistoryOutput::Json
            } else if text || !stdout_tty {
                HistoryOutput::Table
            } else {
                HistoryOutput::Chart {
                    color: color_wanted(cli.color, true),
                }
            },
        }),
        Some(Command::Node {
            filter,
            report,
            layers_only,
        }) => {
            // `imgscope node` is `imgscope IMAGE…` with every image of the engine.
            cli.take_set_report(report);
            cli.layers_only |= layers_only;
            let set = ImageSet::Node {
                engine: NodeEngine::from_source(cli.source)?,
                filters: node_filters(&filter)?,
            };
            Mode::Images(Box::new(Settings::from_cli(&cli, set)?))
        }
        Some(Command::Catalog {
            registry,
            report,
            max_repos,
            tags_matching,
            files,
        }) => {
            // `imgscope catalog` is `imgscope IMAGE…` with every tag of the registry.
            cli.take_set_report(report);
            cli.layers_only |= !files;
            let tags_matching = tags_matching
                .map(|g| {
                    globset::Glob::new(&g)
                        .map(|g| g.compile_matcher())
                        .map_err(|e| anyhow!("--tags-matching {g:?}: {e}"))
                })
                .transpose()?;
            let set = ImageSet::Catalog {
                target: registry,
                max_repos,
                tags_matching,
            };
            Mode::Images(Box::new(Settings::from_cli(&cli, set)?))
        }
        None => {
            let set = if cli.all_tags {
                ImageSet::AllTags
            } else {
                ImageSet::Given
            };
            Mode::Images(Box::new(Settings::from_cli(&cli, set)?))
        }
    };
    Ok(Run { si, mode })
}

/// What `imgscope diff` answers with: a report in this format, or `None` for the viewer. The main
/// command's rule ([`Settings::from_cli`]): the viewer only when stdout is a terminal and no output
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

/// Load options for `cat` and `export`: the file is read, nothing is compared, so nothing is hashed.
fn unhashed_load_options(cli: &Cli) -> Result<LoadOptions> {
    let mut options = load_options::from_flags(cli)?;
    options.decode.hash_contents = false;
    Ok(options)
}

/// Load options for `diff` or `report`: every file hashed unless `--no-hash`.
fn hashed_load_options(cli: &Cli, no_hash: bool) -> Result<LoadOptions> {
    let mut options = load_options::from_flags(cli)?;
    options.decode.hash_contents = !no_hash;
    // A diff tells changed content from unchanged by hash: every file needs one.
    options.hash_all_files = true;
    Ok(options)
}

/// `node --filter KEY=VALUE` (repeatable), split at the first `=`.
fn node_filters(filters: &[String]) -> Result<Vec<(String, String)>> {
    filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    anyhow!("--filter {f:?}: expected KEY=VALUE, e.g. reference='app/*'")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The command line resolved as the binary would (stdout is not a terminal under the test
    /// harness); `--no-cache` keeps the tests off the user's cache directory.
    fn resolved(args: &[&str]) -> Result<Mode> {
        let mut argv = vec!["imgscope"];
        argv.extend_from_slice(args);
        // `history` reads only its database: it refuses the cache options.
        if args.first() != Some(&"history") {
            argv.push("--no-cache");
        }
        resolve(Cli::try_parse_from(argv)?).map(|run| run.mode)
    }

    fn error(args: &[&str]) -> String {
        match resolved(args) {
            Ok(mode) => panic!("{args:?} resolved to {mode:?}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn node_flags_are_checked_before_any_engine_is_asked() {
        assert_eq!(
            error(&["node", "--source", "archive"]),
            "node: --source archive has no images of its own: use docker, podman or containerd"
        );
        assert!(error(&["node", "--filter", "dangling"]).starts_with("--filter \"dangling\""));
        assert!(error(&["node", "--worth", "120%"]).starts_with("--worth"));
        let Mode::Images(settings) = resolved(&[
            "node",
            "--source",
            "podman",
            "--filter",
            "label=a=b",
            "--json",
        ])
        .unwrap() else {
            panic!("node is the images command over a set");
        };
        assert!(settings.images.is_empty());
        assert_eq!(settings.output, Output::Json);
        match &settings.set {
            ImageSet::Node { filters, engine } => {
                assert_eq!(*engine, NodeEngine::Podman);
                assert_eq!(filters, &[("label".to_string(), "a=b".to_string())]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn catalog_globs_and_files_are_settled_before_the_registry_is_listed() {
        assert!(
            error(&["catalog", "r.example", "--tags-matching", "v[1"])
                .starts_with("--tags-matching \"v[1\"")
        );
        let Mode::Images(settings) = resolved(&["catalog", "r.example/team"]).unwrap() else {
            panic!("catalog is the images command over a set");
        };
        assert!(settings.load.layers_only, "manifests only unless --files");
        let Mode::Images(settings) = resolved(&["catalog", "r.example", "--files"]).unwrap() else {
            panic!("catalog is the images command over a set");
        };
        assert!(!settings.load.layers_only);
        assert!(matches!(
            settings.set,
            ImageSet::Catalog {
                max_repos: 1000,
                ..
            }
        ));
    }

    #[test]
    fn each_subcommand_gets_the_hashing_it_needs() {
        let Mode::File(cat) = resolved(&["cat", "a.tar", "/etc/passwd"]).unwrap() else {
            panic!("cat reads a file");
        };
        assert!(!cat.load.decode.hash_contents && cat.dest.is_none());
        let Mode::Report(report) = resolved(&["report", "a.tar"]).unwrap() else {
            panic!("report");
        };
        assert!(report.load.decode.hash_contents && report.load.hash_all_files);
        assert!(report.trend.is_none());
        let Mode::Diff(diff) = resolved(&["diff", "a.tar", "b.tar", "--no-hash"]).unwrap() else {
            panic!("diff");
        };
        assert!(!diff.load.decode.hash_contents);
        // Not a terminal: printed as text unless a format is asked for.
        assert_eq!(diff.output, DiffOutput::Printed(DiffFormat::Text));
    }

    #[test]
    fn outputs_off_a_terminal_are_printed() {
        assert_eq!(
            error(&["diff", "-", "-"]),
            "stdin (-) can be read only once"
        );
        let Mode::History(h) = resolved(&["history", "app"]).unwrap() else {
            panic!("history");
        };
        assert_eq!(h.output, HistoryOutput::Table);
        let Mode::History(h) = resolved(&["history", "app", "--json"]).unwrap() else {
            panic!("history");
        };
        assert_eq!(h.output, HistoryOutput::Json);
        let Mode::Images(settings) = resolved(&["a.tar"]).unwrap() else {
            panic!("images");
        };
        assert_eq!(settings.output, Output::Text);
        assert!(matches!(settings.set, ImageSet::Given));
        assert_eq!(error(&[]), "no image given (try `imgscope --help`)");
    }
}

//! Command-line flags as clap parses them: raw, unvalidated. [`crate::settings`] turns them into
//! settings.
// The doc comments are the help text users read: `[:NAME:TAG]` there is usage syntax, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  imgscope app.tar                         explore a `docker save` archive
  docker save app:1 | imgscope -           read an archive from stdin
  imgscope oci:./layout:v1                 an OCI layout directory, ref name v1
  imgscope oci-archive:app.oci.tar         an OCI layout in a tar
  imgscope redis:7.2                       a local engine's image, else the registry's
  imgscope docker://ghcr.io/org/app:1      the registry only, no daemon needed
  imgscope podman:localhost/app:dev        Podman's image (docker-daemon: for Docker's)
  imgscope docker-archive:all.tar:app:1    one image of an archive holding several
  imgscope --json app.tar | jq .images[0].waste.reclaimable_bytes
  imgscope --json-out report.json app.tar  write the report to a file
  imgscope cat app.tar /etc/os-release     print a file of the image
  imgscope export app.tar /app/bin/server ./server
  imgscope --ci --max-size 150MB app.tar   gate a CI build on the image's size
  imgscope diff old.tar new.tar            what a change did to an image
  imgscope releases app-1.tar app-2.tar app-3.tar   what each release makes a node pull
  imgscope report app.tar --format html    a one-file report for a review
  imgscope record app.tar                  keep its sizes in the history database
  imgscope history org/app                 its size over time
  imgscope --baseline history --max-growth 5% app.tar
";

#[derive(Debug, Parser)]
#[command(
    name = "imgscope",
    version,
    about = "Where the bytes of container images go, and whether trimming them is worth it",
    long_about = "Where the bytes of container images go, and whether trimming them is worth it.\n\n\
        Reads images from a local Docker or Podman engine, a registry (no daemon needed), `docker \
        save` archives, OCI image archives and OCI layout directories (or stdin with `-`), merges \
        their layers, and reports sizes by layer and by file, the bytes wasted inside \
        the image, and duplicate content. On a terminal it opens an interactive viewer; otherwise \
        it prints a text summary, or JSON with --json.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Images: a reference (app:1, redis, ghcr.io/org/app@sha256:…: a local engine's, else the
    /// registry's), docker://REF, docker-daemon:REF, podman:REF, a path (archive or OCI layout,
    /// detected by content), `-` for stdin, docker-archive:PATH[:NAME:TAG], oci:DIR[:REF],
    /// oci-archive:PATH[:REF]
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,

    /// Read more images from FILE, one reference per line (blank lines and # comments skipped)
    #[arg(long, value_name = "FILE")]
    pub images_from: Option<PathBuf>,

    /// Treat each IMAGE as a registry repository and take all of its tags
    #[arg(long)]
    pub all_tags: bool,

    /// Read layer sizes from manifests only: no layer download or decoding (sharing by layer,
    /// compressed sizes; no file-level analysis)
    #[arg(long)]
    pub layers_only: bool,

    /// What-if: estimate the node cost of the images rebuilt on IMAGE as a common base
    #[arg(long, value_name = "IMAGE")]
    pub assume_base: Option<String>,

    /// When a trim-plan action is worth it: it must save at least SIZE per node and PCT% of the
    /// node cost (default 1MiB and 5%); give one or both, e.g. --worth 10% --worth 50MB
    #[arg(long, value_name = "SIZE|PCT%")]
    pub worth: Vec<String>,

    /// A path the entrypoint needs that a static look cannot see (a plugin it dlopens, a
    /// script it runs): added to its runtime closure (repeatable)
    #[arg(long, global = true, value_name = "PATH")]
    pub keep: Vec<String>,

    /// What IMAGE is for, instead of what its command suggests: service, interpreted or shell (a
    /// base, toolbox or builder: no slim, no toolchain trim). IMAGE is the input as given, the
    /// image's name, or * for all (repeatable)
    #[arg(long, global = true, value_name = "IMAGE=ROLE")]
    pub role: Vec<String>,

    /// Set aside paths matching GLOB (an absolute-path glob: '/var/cache/**', '**/*.pyc'): not
    /// counted as reclaimable, as duplicates or in the trim plan, and reported as ignored
    /// (repeatable)
    #[arg(long, global = true, value_name = "GLOB")]
    pub ignore_path: Vec<String>,

    /// The image each IMAGE is built on (any form IMAGE takes): its layers, matched by diff_id,
    /// are marked inherited and the rest the image's own. Without it, the base an image declares
    /// (org.opencontainers.image.base.name/.digest annotations or labels) is read; `none` turns
    /// both off
    #[arg(long, global = true, value_name = "IMAGE|none")]
    pub base: Option<String>,

    /// Print the JSON report to stdout
    #[arg(long)]
    pub json: bool,

    /// Write the JSON report to FILE (atomically)
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,

    /// In the JSON report, list every entry of each image's final filesystem
    /// (`images[].files`: path, kind, layer, size, mode, owner, link target, content hash)
    #[arg(long)]
    pub all_files: bool,

    /// Print the plain-text summary even on a terminal
    #[arg(long, conflicts_with = "json")]
    pub text: bool,

    /// Platform to choose from a multi-platform index: os/arch[/variant]
    #[arg(long, global = true, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,

    /// Do not hash file contents (faster; no duplicate-content detection)
    #[arg(long)]
    pub no_hash: bool,

    /// Registry user name (with --password-stdin)
    #[arg(long, global = true, requires = "password_stdin")]
    pub username: Option<String>,

    /// Read the registry password from stdin
    #[arg(long, global = true, requires = "username")]
    pub password_stdin: bool,

    /// Use plain HTTP for registries (loopback registries may always use it)
    #[arg(long, global = true, visible_alias = "insecure")]
    pub plain_http: bool,

    /// Neither read nor fill the caches (downloaded blobs, analyzed layers)
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Where a bare reference (app:1) is looked for: a local engine, then the registry (auto)
    #[arg(long, global = true, value_enum, default_value_t = SourceChoice::Auto)]
    pub source: SourceChoice,

    /// Read an engine's image through its export even when its store can be read in place (Podman's;
    /// Docker's with --layers-only; containerd's over its API)
    #[arg(long, global = true)]
    pub engine_export: bool,

    /// The viewer's y and Y do not copy to the terminal's clipboard (OSC 52)
    #[arg(long, global = true)]
    pub no_clipboard: bool,

    /// Sizes in SI units (kB, MB: powers of 1000, as docker and dive print them), not KiB, MiB
    #[arg(long, global = true)]
    pub si: bool,

    /// When to use colour
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print nothing but errors and the requested output
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print timings and details to stderr
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Output format: text, json (as --json), or github (gate results with ::error annotations)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,

    #[command(flatten)]
    pub gate: GateFlags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// Gate results plus GitHub Actions `::error` annotations for failed rules
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    /// A compact table for a pull-request comment, the full lists collapsed
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReleasesFormat {
    Text,
    Json,
    /// Tables for a pull-request comment or a step summary
    Markdown,
    /// The last release's one-file HTML report, with the series' pulls and churn in it
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    /// One self-contained file: inline CSS, no scripts, no external assets
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceChoice {
    Auto,
    Docker,
    Podman,
    Containerd,
    Registry,
    Archive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum CacheAction {
    /// List cached blobs and their total size
    Show,
    /// Remove every cached blob
    Prune,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Show or empty the caches (downloaded blobs, analyzed layers)
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Print a file of the image to stdout (control characters escaped on a terminal)
    Cat {
        /// The image (any form IMAGE takes above)
        image: String,
        /// Absolute path of the file inside the image
        path: String,
        /// Read the file as of this layer (default: the final filesystem)
        #[arg(long)]
        layer: Option<usize>,
    },
    /// Copy a file out of the image to DEST (a file, or a directory to put it in)
    Export {
        image: String,
        path: String,
        dest: std::path::PathBuf,
        #[arg(long)]
        layer: Option<usize>,
    },
    /// Write the slim image the trim plan prices: one layer holding what the image needs to run
    /// (the packages owning its command's static closure and their dependencies, less docs;
    /// identity, CA and time-zone files; the application), with the original's entrypoint, cmd,
    /// env, user, workdir, ports and labels, as an OCI layout; or --list its paths
    Slim {
        /// The image (any form IMAGE takes above)
        image: String,
        /// Where to write it: oci:DIR[:TAG] (an OCI layout directory; TAG defaults to `slim`)
        #[arg(
            short = 'o',
            long,
            value_name = "oci:DIR[:TAG]",
            required_unless_present = "list"
        )]
        output: Option<String>,
        /// Print the kept paths (files and links: what to COPY in a Dockerfile), one a line
        #[arg(long)]
        list: bool,
        /// Keep only the command's static closure (what the loader maps): the optimistic bound,
        /// to see what it lacks — it rarely runs a real service
        #[arg(long)]
        static_closure: bool,
    },
    /// Compare two images: layers, directories and files added, removed, grown and shrunk, by
    /// impact, and the reclaimable bytes the new image introduced. On a terminal it opens the
    /// viewer on the new image, marked with what changed; otherwise it prints the text diff
    Diff {
        /// The old image (any form IMAGE takes above)
        old: String,
        /// The new image
        new: String,
        /// Print the diff as JSON (as --format json)
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// Print the text diff even on a terminal (as --format text)
        #[arg(long, conflicts_with_all = ["json", "format"])]
        text: bool,
        /// text, json, or markdown (a pull-request comment)
        #[arg(long, value_enum)]
        format: Option<DiffFormat>,
        /// Do not hash file contents (faster; same-size edits go unseen)
        #[arg(long)]
        no_hash: bool,
    },
    /// Every image of a local engine (Docker, else Podman, else containerd; --source picks) as one set: what the
    /// node really stores, what each image adds, and the trim plan for the whole node (the viewer
    /// on a terminal)
    Node {
        /// The engine's own image filters, as `docker images --filter` takes them
        /// (reference=GLOB, label=KEY[=VALUE], dangling=true|false, since=IMAGE, before=IMAGE;
        /// repeatable)
        #[arg(long, value_name = "KEY=VALUE")]
        filter: Vec<String>,
        #[command(flatten)]
        report: SetReportFlags,
        /// Read manifests and configs only: layer-level sharing in seconds, no file-level analysis
        #[arg(long)]
        layers_only: bool,
    },
    /// Every repository and tag of a registry (or of a prefix in it) as one set: what the
    /// registry really stores (distinct blobs) against the sum of its tags, the biggest unique
    /// consumers, and the trim plan — manifests and configs only unless --files
    Catalog {
        /// REGISTRY[/PREFIX], e.g. registry.example:5000/team
        registry: String,
        #[command(flatten)]
        report: SetReportFlags,
        /// Read at most N repositories (the first by name)
        #[arg(long, value_name = "N", default_value_t = 1000)]
        max_repos: usize,
        /// Take only the tags that match GLOB (e.g. 'v*' or '[0-9]*')
        #[arg(long, value_name = "GLOB")]
        tags_matching: Option<String>,
        /// Download and decode every layer too (file-level sharing, waste and the full plan)
        #[arg(long)]
        files: bool,
    },
    /// Print a one-file report of one or more images to attach to a review: the trim plan first,
    /// the packages that own the bytes, the closure, then the layers and files (Markdown, or HTML
    /// with the layer bars and the file tree); with several images, their sharing and node cost
    Report {
        /// The images (any form IMAGE takes above), analysed as one set
        #[arg(required = true, num_args = 1..)]
        images: Vec<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
        format: ReportFormat,
        /// Do not hash file contents (faster; no duplicate-content detection)
        #[arg(long)]
        no_hash: bool,
        /// Add the image's size over time from the history database (`imgscope record`): a
        /// table and sparkline in Markdown, an inline SVG chart in HTML
        #[arg(long)]
        trend: bool,
        /// With --trend: the history database (default: as `record`)
        #[arg(long, value_name = "DB", requires = "trend")]
        from: Option<PathBuf>,
        /// With --trend: the name the image is recorded under (default: its repository)
        #[arg(long, value_name = "NAME", requires = "trend")]
        name: Option<String>,
        /// When a trim-plan action is worth it, as for `imgscope IMAGE…` (default 1MiB and 5%)
        #[arg(long, value_name = "SIZE|PCT%")]
        worth: Vec<String>,
    },
    /// What every release costs: the releases of one image in deploy order, and for each what a
    /// node running the previous one pulls (the layers it lacks), how much of that it already
    /// had (file content by hash, paths ignored), each layer's churn over the series, and the
    /// last release's trim plan with a `stabilize` action for a layer rebuilt for nothing
    Releases {
        /// The releases, oldest first (any form IMAGE takes above); with --from, the one name
        /// they are recorded under
        #[arg(required = true, num_args = 1..)]
        images: Vec<String>,
        /// Read the releases from the history database (`imgscope record`): NAME's records,
        /// oldest first; already-had bytes are estimated from each layer's fingerprint
        #[arg(long, value_name = "DB")]
        from: Option<PathBuf>,
        /// The releases are every tag of the one registry repository given (at most 64),
        /// ordered by when their configs say they were created
        #[arg(long, conflicts_with = "from")]
        all_tags: bool,
        /// Print the JSON document (as --format json)
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// text, json, markdown (a pull-request comment) or html (the last release's report
        /// with the series)
        #[arg(long, value_enum)]
        format: Option<ReleasesFormat>,
        /// When a plan action is worth it, as for `imgscope IMAGE…` (default 1MiB and 5%)
        #[arg(long, value_name = "SIZE|PCT%")]
        worth: Vec<String>,
    },
    /// Record the image's analysis (sizes, layers, reclaimable bytes, top directories, the trim
    /// plan's totals, the git commit and branch) in the history database, for `history` and
    /// `--baseline history`
    Record {
        /// The image (any form IMAGE takes above)
        image: String,
        /// The database (default: $XDG_DATA_HOME/imgscope/history.db, else
        /// ~/.local/share/imgscope/history.db)
        #[arg(long, value_name = "DB")]
        into: Option<PathBuf>,
        /// The name to file it under (default: the image's repository, without tag)
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Print the recorded series of NAME: when, commit, sizes, reclaimable bytes, and what
    /// changed from the previous record (the layer that appeared or grew most)
    #[command(args(not_for_history()))]
    History {
        /// The name the images were recorded under
        name: String,
        /// The database (default: as `record`)
        #[arg(long, value_name = "DB")]
        from: Option<PathBuf>,
        /// Print the series as JSON
        #[arg(long)]
        json: bool,
        /// Print the table even in a terminal (where the size chart opens otherwise)
        #[arg(long, conflicts_with = "json")]
        text: bool,
    },
}

/// The main command's global options that `history` has no use for: it reads the history
/// database only — no image is loaded (no registry, engine, cache or platform) and no closure or
/// plan is worked out (no keep, role, ignore-path or base), and its chart copies nothing. Each is
/// given to `history` as a hidden option of the same id (so clap does not add the global one to
/// its help), which refuses to be used there.
fn not_for_history() -> Vec<clap::Arg> {
    const UNUSED: [(&str, &str, Option<&str>); 12] = [
        ("keep", "keep", None),
        ("role", "role", None),
        ("ignore_path", "ignore-path", None),
        ("base", "base", None),
        ("platform", "platform", None),
        ("username", "username", None),
        ("password_stdin", "password-stdin", None),
        ("plain_http", "plain-http", Some("insecure")),
        ("no_cache", "no-cache", None),
        ("source", "source", None),
        ("engine_export", "engine-export", None),
        ("no_clipboard", "no-clipboard", None),
    ];
    UNUSED
        .iter()
        .map(|&(id, long, alias)| {
            let arg = clap::Arg::new(id)
                .long(long)
                .hide(true)
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("")
                .action(clap::ArgAction::Append)
                .value_parser(move |_: &str| -> Result<String, String> {
                    Err(format!(
                        "--{long} does not apply to `imgscope history`, which only reads the \
                         history database"
                    ))
                });
            match alias {
                Some(alias) => arg.alias(alias),
                None => arg,
            }
        })
        .collect()
}

/// How `node` and `catalog` report the set (the main command's flags of the same names).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetReportFlags {
    /// Print the JSON report
    #[arg(long)]
    pub json: bool,
    /// Print the text report even on a terminal
    #[arg(long, conflicts_with = "json")]
    pub text: bool,
    /// When a trim-plan action is worth it (as the main command's --worth)
    #[arg(long, value_name = "SIZE|PCT%")]
    pub worth: Vec<String>,
}

/// The gate flags, flattened into the main command line.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "CI gates")]
pub struct GateFlags {
    /// Gate the image: print each rule's verdict (PASS/FAIL/SKIP) and exit 1 if one fails.
    /// On by itself when CI=true, stdout is not a terminal and rules are configured
    #[arg(long)]
    pub ci: bool,

    /// Read rules from FILE instead of ./.imgscope.toml and ./.dive-ci (a *.toml file is
    /// imgscope's format, anything else dive's .dive-ci YAML)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Fail above this uncompressed size (150MB, 1.2GiB, bytes)
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,

    /// Fail above this compressed size (the layer blobs as pulled)
    #[arg(long, value_name = "SIZE")]
    pub max_compressed_size: Option<String>,

    /// Fail above this many reclaimable bytes, or this share of the image (5%)
    #[arg(long, value_name = "SIZE|PCT%")]
    pub max_reclaimable: Option<String>,

    /// Fail below this efficiency (dive's score): 0.95 or 95%
    #[arg(long, value_name = "RATIO|PCT%")]
    pub min_efficiency: Option<String>,

    /// Fail above this many layers
    #[arg(long, value_name = "N")]
    pub max_layers: Option<String>,

    /// Fail when the image grew more than this over --baseline (bytes or % of the baseline)
    #[arg(long, value_name = "SIZE|PCT%")]
    pub max_growth: Option<String>,

    /// Fail when the trim plan's actions on the image would save more than this per node
    /// (bytes, or a share of the image: 10%)
    #[arg(long, value_name = "SIZE|PCT%")]
    pub max_plan_saving: Option<String>,

    /// With --max-plan-saving: count only the actions a team is willing to take — safe ones,
    /// safe and rebuild ones, or all (risky)
    #[arg(long, value_name = "RISK", value_parser = ["safe", "rebuild", "risky"])]
    pub plan_risk: Option<String>,

    /// The image to measure growth against (any form IMAGE takes), or `history`: the last image
    /// recorded under the image's name (`imgscope record`) on the default branch
    #[arg(long, value_name = "IMAGE|history")]
    pub baseline: Option<String>,

    /// With --baseline history: the history database (default: $XDG_DATA_HOME/imgscope/history.db)
    #[arg(long, value_name = "DB")]
    pub history_db: Option<PathBuf>,

    /// With --baseline history: the name the image is recorded under (default: its repository)
    #[arg(long, value_name = "NAME")]
    pub history_name: Option<String>,

    /// With --baseline history: compare against records of this branch (default: main or master
    /// when the records name branches, else any record)
    #[arg(long, value_name = "BRANCH")]
    pub baseline_branch: Option<String>,

    /// With --baseline history: fail when the image grew more than SIZE (or PCT% of it) over the
    /// oldest record of the last DAYS days, e.g. 30:10%
    #[arg(long, value_name = "DAYS:SIZE|PCT%")]
    pub max_growth_since: Option<String>,

    /// Fail when the paths matching GLOB hold more than SIZE (repeatable):
    /// '/usr/lib/python3*=200MB'
    #[arg(long, value_name = "GLOB=SIZE")]
    pub max_path_size: Vec<String>,

    /// Fail when a node running --baseline would pull more than this to run the image: the
    /// compressed bytes of the layers the baseline lacks (bytes, or a share of the image: 20%)
    #[arg(long, value_name = "SIZE|PCT%")]
    pub max_pull: Option<String>,

    /// Measure size, compressed size, layers and reclaimable bytes on the image's own layers
    /// only, above its base (--base IMAGE or the base its annotations name)
    #[arg(long)]
    pub own_only: bool,

    /// Append a Markdown summary of the gates to FILE (default: $GITHUB_STEP_SUMMARY when set)
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

impl Cli {
    /// `node`'s or `catalog`'s report flags, taken as the main command's.
    pub fn take_set_report(&mut self, report: SetReportFlags) {
        self.json |= report.json;
        self.text |= report.text;
        self.worth.extend(report.worth);
    }
}

impl GateFlags {
    /// The settings the core's gate planning reads.
    pub fn to_args(&self) -> imgscope_core::gate::GateArgs {
        imgscope_core::gate::GateArgs {
            ci: self.ci,
            config: self.config.clone(),
            max_size: self.max_size.clone(),
            max_compressed_size: self.max_compressed_size.clone(),
            max_reclaimable: self.max_reclaimable.clone(),
            min_efficiency: self.min_efficiency.clone(),
            max_layers: self.max_layers.clone(),
            max_growth: self.max_growth.clone(),
            max_plan_saving: self.max_plan_saving.clone(),
            baseline: self.baseline.clone(),
            history_db: self.history_db.clone(),
            history_name: self.history_name.clone(),
            baseline_branch: self.baseline_branch.clone(),
            max_growth_since: self.max_growth_since.clone(),
            max_path_size: self.max_path_size.clone(),
            max_pull: self.max_pull.clone(),
            own_only: self.own_only,
            plan_risk: self.plan_risk.clone(),
            summary: self.summary.clone(),
        }
    }
}

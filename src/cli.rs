//! Command-line flags as clap parses them: raw, unvalidated. [`crate::config`] turns them into
//! settings.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  imgscope app.tar                         explore a `docker save` archive
  docker save app:1 | imgscope -           read an archive from stdin
  imgscope oci:./layout:v1                 an OCI layout directory, ref name v1
  imgscope oci-archive:app.oci.tar         an OCI layout in a tar
  imgscope docker-archive:all.tar:app:1    one image of an archive holding several
  imgscope --json app.tar | jq .images[0].waste.reclaimable_bytes
  imgscope --json-out report.json app.tar  write the report to a file
  imgscope cat app.tar /etc/os-release     print a file of the image
  imgscope export app.tar /app/bin/server ./server
";

#[derive(Debug, Parser)]
#[command(
    name = "imgscope",
    version,
    about = "Where the bytes of container images go, and whether trimming them is worth it",
    long_about = "Where the bytes of container images go, and whether trimming them is worth it.\n\n\
        Reads `docker save` archives, OCI image archives and OCI layout directories (or stdin with \
        `-`), merges their layers, and reports sizes by layer and by file, the bytes wasted inside \
        the image, and duplicate content. On a terminal it opens an interactive viewer; otherwise \
        it prints a text summary, or JSON with --json.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Images: a path (archive or OCI layout, detected by content), `-` for stdin,
    /// docker-archive:PATH[:NAME:TAG], oci:DIR[:REF], oci-archive:PATH[:REF]
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,

    /// Print the JSON report to stdout
    #[arg(long)]
    pub json: bool,

    /// Write the JSON report to FILE (atomically)
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,

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

    /// Neither read nor fill the blob cache
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// When to use colour
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print nothing but errors and the requested output
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print timings and details to stderr
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    /// Show or empty the registry blob cache
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
}

//! The load options every command that reads images shares, from the global flags and the
//! environment: the platform, registry credentials, the caches (and where they live), the source
//! preference, content hashing, `--keep`, `--ignore-path` (with the project file's `ignore`), and
//! `--base`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, SourceChoice};
use crate::decode::DecodeOptions;
use crate::pipeline::layer_cache::LayerCache;
use crate::pipeline::load::LoadOptions;
use crate::source::registry::{BlobCache, RegistryOptions, auth};
use crate::source::{SourceOptions, SourcePreference, platform};

/// Load options from the flags that every command shares.
pub fn from_flags(cli: &Cli) -> Result<LoadOptions> {
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
                cache: match cache.as_deref() {
                    Some(dir) => Some(blob_cache(dir)?),
                    None => None,
                },
                request_budget: registry_budget()?,
                stall: registry_stall()?,
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
        roles: roles(&cli.role)?,
        base: crate::pipeline::base_lookup::BaseLookup::new(cli.base.as_deref())
            .map(std::sync::Arc::new),
        without_bytes: false,
    })
}

/// `--role IMAGE=ROLE` flags, checked: one error line naming the flag for a bad one.
fn roles(flags: &[String]) -> Result<Vec<(String, imgscope_core::analysis::role::Role)>> {
    flags
        .iter()
        .map(|flag| {
            let (image, role) = flag.rsplit_once('=').ok_or_else(|| {
                anyhow::anyhow!(
                    "--role {flag:?}: expected IMAGE=ROLE (service, interpreted or shell)"
                )
            })?;
            let role = imgscope_core::analysis::role::Role::parse(role).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role {flag:?}: unknown role {role:?} (service, interpreted or shell)"
                )
            })?;
            if image.is_empty() {
                anyhow::bail!("--role {flag:?}: no image before '='");
            }
            Ok((image.to_string(), role))
        })
        .collect()
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

/// The layer cache under `cache_root`, capped at `IMGSCOPE_LAYER_CACHE_MAX` (a size: `500MB`,
/// `4GiB`; `0` keeps nothing new) or [`crate::pipeline::layer_cache::DEFAULT_MAX_BYTES`].
pub fn layer_cache(cache_root: &std::path::Path) -> Result<LayerCache> {
    let cache = LayerCache::new(cache_root);
    let Some(v) = std::env::var_os(LAYER_CACHE_MAX_VAR).filter(|v| !v.is_empty()) else {
        return Ok(cache);
    };
    let max = crate::gate::parse::parse_size(&v.to_string_lossy())
        .map_err(|e| anyhow::anyhow!("{LAYER_CACHE_MAX_VAR}: {e}"))?;
    Ok(cache.with_max_bytes(max))
}

/// The blob cache under `cache_root`, capped at `IMGSCOPE_BLOB_CACHE_MAX` (a size) or
/// [`crate::source::registry::cache::DEFAULT_MAX_BYTES`].
pub fn blob_cache(cache_root: &std::path::Path) -> Result<BlobCache> {
    let cache = BlobCache::new(cache_root);
    let Some(v) = std::env::var_os(BLOB_CACHE_MAX_VAR).filter(|v| !v.is_empty()) else {
        return Ok(cache);
    };
    let max = crate::gate::parse::parse_size(&v.to_string_lossy())
        .map_err(|e| anyhow::anyhow!("{BLOB_CACHE_MAX_VAR}: {e}"))?;
    Ok(cache.with_max_bytes(max))
}

/// The environment variable that caps the blob cache.
pub const BLOB_CACHE_MAX_VAR: &str = "IMGSCOPE_BLOB_CACHE_MAX";

/// The environment variable that caps the layer cache.
pub const LAYER_CACHE_MAX_VAR: &str = "IMGSCOPE_LAYER_CACHE_MAX";

/// `IMGSCOPE_REGISTRY_STALL_SECS=SECONDS`: how long a blob download may receive nothing before
/// it fails; unset for the default.
fn registry_stall() -> Result<Option<std::time::Duration>> {
    let Some(v) = std::env::var_os("IMGSCOPE_REGISTRY_STALL_SECS").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = v.to_string_lossy();
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Some(std::time::Duration::from_secs_f64(s))),
        _ => bail!(
            "IMGSCOPE_REGISTRY_STALL_SECS: {text:?} is not a number of seconds (0 < s <= 86400)"
        ),
    }
}

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

//! Size over time: each `imgscope record` keeps one image's analysis (identity, totals, layers,
//! reclaimable bytes, top directories, the trim plan's totals, the git commit) in a local SQLite
//! database, so `imgscope history` can show the series and a gate can compare against the last
//! recorded image instead of a second image to load.
//!
//! The record types here are plain data; [`capture`] builds one from a loaded image, [`store`]
//! reads and writes the database, [`points`] turns records into the points of a series (each
//! with its change from the one before and the layer that moved most), which [`series`] renders
//! as the text table and the JSON document and [`trend`] as the reports' Markdown and SVG/HTML
//! (the viewer's chart reads them too); the CLI's `commands::history` wires these to the command
//! line and the gates.

pub mod capture;
pub mod points;
pub mod series;
pub mod store;
pub mod trend;

use std::path::PathBuf;

use anyhow::{Result, bail};

/// One recorded image: what `record` stores and `history` reads back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Row id in the database (0 before it is stored).
    pub id: i64,
    /// The name the series is filed under (default: the image's repository, without tag).
    pub name: String,
    /// When it was recorded, in seconds since the Unix epoch (UTC).
    pub recorded_at: i64,
    /// What was given on the command line.
    pub input: String,
    /// The image's own name (`repo:tag`), when its source records one.
    pub image_name: Option<String>,
    pub tag: Option<String>,
    pub manifest_digest: Option<String>,
    pub config_digest: Option<String>,
    /// The image's `created` time as its config states it.
    pub created: Option<String>,
    pub platform: String,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
    pub file_count: u64,
    pub reclaimable_bytes: u64,
    pub efficiency: f64,
    pub plan: PlanTotals,
    pub git_commit: Option<String>,
    pub git_branch: Option<String>,
    /// The imgscope version that recorded it.
    pub tool_version: String,
    pub layers: Vec<LayerRow>,
    /// The largest directories, biggest first (at most [`TOP_DIRECTORIES`]).
    pub directories: Vec<DirRow>,
}

/// A record as a release of a series (`imgscope releases NAME --from DB`), named `name`: its
/// layers by diff_id (else digest), with their fingerprints when the record has them.
pub fn release_facts(r: &Record, name: String) -> crate::analysis::releases::ReleaseFacts {
    crate::analysis::releases::ReleaseFacts {
        name,
        input: r.input.clone(),
        layers: r
            .layers
            .iter()
            .map(|l| crate::analysis::releases::ReleaseLayer {
                index: l.index,
                id: l.diff_id.clone().or_else(|| l.digest.clone()),
                size: l.size_bytes,
                compressed: l.compressed_size_bytes,
                created_by: l.command.clone(),
                files: Vec::new(),
                fingerprint: l.fingerprint.clone(),
            })
            .collect(),
        recorded: true,
    }
}

/// Directories kept per record.
pub const TOP_DIRECTORIES: usize = 20;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerRow {
    pub index: usize,
    pub diff_id: Option<String>,
    pub digest: Option<String>,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
    /// The history entry's `created_by` (empty when the config has none).
    pub command: String,
    pub reclaimable_bytes: u64,
    /// What the layer's files were (schema 2 on; `None` for older records, or when some file was
    /// not hashed): for `imgscope releases NAME --from DB` to estimate what a release had.
    pub fingerprint: Option<crate::analysis::releases::LayerFingerprint>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirRow {
    pub path: String,
    pub size_bytes: u64,
}

/// The JSON report's `plan_totals`, as recorded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanTotals {
    pub node_cost_bytes: u64,
    pub pull_cost_bytes: u64,
    pub node_saving_bytes: u64,
    pub pull_saving_bytes: u64,
    pub share_of_node_cost: f64,
    pub actions: u64,
    pub worth_it_actions: u64,
}

/// `$XDG_DATA_HOME/imgscope/history.db`, else `~/.local/share/imgscope/history.db`.
pub fn default_db_path() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("imgscope").join("history.db"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(home)
            .join(".local/share")
            .join("imgscope")
            .join("history.db"));
    }
    bail!("no XDG_DATA_HOME or HOME to keep the history database in: give its path (--into/--from)")
}

/// The name an image is filed under by default: its repository without tag or digest
/// (`ghcr.io/org/app:1.2` → `ghcr.io/org/app`, `docker.io/library/redis:7` → `redis`).
pub fn repository_of(image_name: &str) -> String {
    let without_digest = image_name.split('@').next().unwrap_or(image_name);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    let repo = match without_digest[last_slash..].rfind(':') {
        Some(colon) => &without_digest[..last_slash + colon],
        None => without_digest,
    };
    crate::source::reference::familiar_name(repo)
}

/// The tag of `repo:tag` (none for a digest-only or untagged name).
pub fn tag_of(image_name: &str) -> Option<String> {
    let without_digest = image_name.split('@').next().unwrap_or(image_name);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    without_digest[last_slash..]
        .rfind(':')
        .map(|c| without_digest[last_slash + c + 1..].to_string())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_and_tag() {
        assert_eq!(repository_of("ghcr.io/org/app:1.2"), "ghcr.io/org/app");
        assert_eq!(tag_of("ghcr.io/org/app:1.2").as_deref(), Some("1.2"));
        assert_eq!(repository_of("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(tag_of("localhost:5000/app"), None);
        assert_eq!(
            repository_of("localhost:5000/app:v1@sha256:ab"),
            "localhost:5000/app"
        );
        assert_eq!(
            tag_of("localhost:5000/app:v1@sha256:ab").as_deref(),
            Some("v1")
        );
        assert_eq!(repository_of("docker.io/library/redis:7"), "redis");
        assert_eq!(repository_of("app"), "app");
    }
}

//! The `--json` report: versioned wire types, serialize-only, built from the same [`Analysis`] the
//! viewer shows. Field names are part of the contract; bump [`SCHEMA_VERSION`] on any breaking
//! change. Sizes are raw bytes (`*_bytes`); digests are `algo:hex` strings.
//!
//! The README documents the schema; the snapshot test shows a whole document.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::{Analysis, TOP_N};
use crate::load::Loaded;
use crate::model::{Change, Image};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub images: Vec<ImageReport<'a>>,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct ImageReport<'a> {
    pub input: &'a str,
    pub name: Option<&'a str>,
    pub source: &'static str,
    pub manifest_digest: Option<&'a str>,
    pub config_digest: Option<&'a str>,
    pub platform: String,
    pub created: Option<&'a str>,
    pub config: ConfigReport<'a>,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
    pub layer_count: usize,
    pub file_count: u64,
    pub regular_file_count: u64,
    pub directory_count: u64,
    pub layers: Vec<LayerReport<'a>>,
    pub waste: WasteReport,
    pub duplicates: DuplicatesReport,
    pub largest_files: Vec<FileReport>,
    pub largest_directories: Vec<DirReport>,
}

#[derive(Serialize)]
pub struct ConfigReport<'a> {
    pub env: &'a [String],
    pub entrypoint: &'a [String],
    pub cmd: &'a [String],
    pub working_dir: Option<&'a str>,
    pub user: Option<&'a str>,
    pub labels: BTreeMap<&'a str, &'a str>,
    pub exposed_ports: &'a [String],
}

#[derive(Serialize)]
pub struct LayerReport<'a> {
    pub index: usize,
    pub digest: Option<&'a str>,
    pub diff_id: Option<&'a str>,
    pub media_type: Option<&'a str>,
    pub compression: &'static str,
    pub compressed_size_bytes: u64,
    pub size_bytes: u64,
    pub tar_size_bytes: u64,
    pub entry_count: u64,
    pub file_count: u64,
    pub created_by: Option<&'a str>,
    pub created: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub reclaimable_bytes: u64,
    pub changes: ChangesReport,
}

#[derive(Serialize)]
pub struct ChangesReport {
    pub added: ChangeCount,
    pub modified: ChangeCount,
    pub removed: ChangeCount,
}

#[derive(Serialize)]
pub struct ChangeCount {
    pub count: u64,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct WasteReport {
    pub reclaimable_bytes: u64,
    pub reclaimable_ratio: f64,
    pub efficiency: f64,
    pub dive_inefficient_bytes: u64,
    pub reclaimable_path_count: usize,
    pub reclaimable_paths: Vec<ReclaimableReport>,
}

#[derive(Serialize)]
pub struct ReclaimableReport {
    pub path: String,
    pub bytes: u64,
    pub copies: Vec<CopyReport>,
}

#[derive(Serialize)]
pub struct CopyReport {
    pub layer: usize,
    pub change: &'static str,
    pub bytes: u64,
    pub hidden_by_layer: usize,
    pub hidden_by: &'static str,
}

#[derive(Serialize)]
pub struct DuplicatesReport {
    pub hashed: bool,
    pub savings_bytes: u64,
    pub group_count: usize,
    pub groups: Vec<DuplicateReport>,
}

#[derive(Serialize)]
pub struct DuplicateReport {
    pub blake3_128: String,
    pub size_bytes: u64,
    pub count: usize,
    pub savings_bytes: u64,
    pub paths: Vec<String>,
}

#[derive(Serialize)]
pub struct FileReport {
    pub path: String,
    pub size_bytes: u64,
    pub layer: usize,
}

#[derive(Serialize)]
pub struct DirReport {
    pub path: String,
    pub size_bytes: u64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn image_report<'a>(image: &'a Image, analysis: &Analysis) -> ImageReport<'a> {
    let tree = &image.tree;
    let layers = image
        .layers
        .iter()
        .map(|l| {
            let h = l.history.as_ref();
            LayerReport {
                index: l.index,
                digest: l.digest.as_deref(),
                diff_id: l.diff_id.as_deref(),
                media_type: l.media_type.as_deref(),
                compression: l.compression.label(),
                compressed_size_bytes: l.compressed_size,
                size_bytes: l.size,
                tar_size_bytes: l.tar_size,
                entry_count: l.entry_count,
                file_count: l.file_count,
                created_by: h.and_then(|h| h.created_by.as_deref()),
                created: h.and_then(|h| h.created.as_deref()),
                comment: h.and_then(|h| h.comment.as_deref()),
                reclaimable_bytes: analysis.waste.per_layer.get(l.index).copied().unwrap_or(0),
                changes: ChangesReport {
                    added: ChangeCount {
                        count: l.changes.added,
                        bytes: l.changes.added_bytes,
                    },
                    modified: ChangeCount {
                        count: l.changes.modified,
                        bytes: l.changes.modified_bytes,
                    },
                    removed: ChangeCount {
                        count: l.changes.removed,
                        bytes: l.changes.removed_bytes,
                    },
                },
            }
        })
        .collect();
    let waste = &analysis.waste;
    let reclaimable_paths = waste
        .paths
        .iter()
        .take(TOP_N)
        .map(|p| ReclaimableReport {
            path: tree.path(p.node),
            bytes: p.bytes,
            copies: p
                .copies
                .iter()
                .map(|c| CopyReport {
                    layer: c.layer,
                    change: match c.change {
                        Change::Added => "added",
                        _ => "modified",
                    },
                    bytes: c.size,
                    hidden_by_layer: c.hidden_by,
                    hidden_by: if c.removed { "removal" } else { "overwrite" },
                })
                .collect(),
        })
        .collect();
    let dups = &analysis.duplicates;
    let config = &image.config;
    ImageReport {
        input: &image.input,
        name: image.name.as_deref(),
        source: image.source.label(),
        manifest_digest: image.manifest_digest.as_deref(),
        config_digest: image.config_digest.as_deref(),
        platform: image.platform.to_string(),
        created: image.created.as_deref(),
        config: ConfigReport {
            env: &config.env,
            entrypoint: &config.entrypoint,
            cmd: &config.cmd,
            working_dir: config.working_dir.as_deref(),
            user: config.user.as_deref(),
            labels: config
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            exposed_ports: &config.exposed_ports,
        },
        size_bytes: image.size(),
        compressed_size_bytes: image.compressed_size(),
        layer_count: image.layers.len(),
        file_count: analysis.file_count,
        regular_file_count: analysis.regular_file_count,
        directory_count: analysis.dir_count,
        layers,
        waste: WasteReport {
            reclaimable_bytes: waste.reclaimable_bytes,
            reclaimable_ratio: analysis.reclaimable_ratio(image),
            efficiency: analysis.efficiency.score,
            dive_inefficient_bytes: analysis.efficiency.inefficient_bytes,
            reclaimable_path_count: waste.paths.len(),
            reclaimable_paths,
        },
        duplicates: DuplicatesReport {
            hashed: dups.hashed,
            savings_bytes: dups.savings_bytes,
            group_count: dups.groups.len(),
            groups: dups
                .groups
                .iter()
                .take(TOP_N)
                .map(|g| DuplicateReport {
                    blake3_128: hex(&g.hash),
                    size_bytes: g.size,
                    count: g.nodes.len(),
                    savings_bytes: g.savings(),
                    paths: g.nodes.iter().map(|n| tree.path(*n)).collect(),
                })
                .collect(),
        },
        largest_files: analysis
            .largest_files
            .iter()
            .map(|&n| FileReport {
                path: tree.path(n),
                size_bytes: analysis.sizes[n as usize],
                layer: tree.live_final(n).map_or(0, |v| v.layer as usize),
            })
            .collect(),
        largest_directories: analysis
            .largest_dirs
            .iter()
            .map(|&n| DirReport {
                path: tree.path(n),
                size_bytes: analysis.sizes[n as usize],
            })
            .collect(),
    }
}

pub fn report(loaded: &[Loaded]) -> Report<'_> {
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "imgscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        images: loaded
            .iter()
            .map(|l| image_report(&l.image, &l.analysis))
            .collect(),
    }
}

pub fn to_string(loaded: &[Loaded]) -> serde_json::Result<String> {
    let mut s = serde_json::to_string_pretty(&report(loaded))?;
    s.push('\n');
    Ok(s)
}

//! The `--json` report of one image or a set: each image (its config, layers, waste, duplicates,
//! largest files and directories, packages, closure, role, base, `--all-files`), the trim plan
//! and, with two images or more, what they share. It has its own file because it is the document
//! most of the schema describes; the gates section it may carry is in [`super::gates`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::gates::GatesReport;
use super::{SCHEMA_VERSION, Tool};
use crate::analysis::set::SetAnalysis;
use crate::analysis::{Analysis, TOP_N};
use crate::model::{Change, Image, hex};
use crate::report::{packages, plan, sharing};

/// The document `--json` prints.
#[derive(Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub images: Vec<ImageReport<'a>>,
    /// The trim plan (for one image or many): ranked actions, what each saves per node.
    pub plan: Vec<plan::PlanActionReport>,
    /// The plan's totals, each file counted once where actions overlap.
    pub plan_totals: plan::PlanTotalsReport,
    /// Sentences about images the plan offers less for (a shell image: no slim, no toolchain
    /// trim, and what a node pays for its bytes), by image name.
    pub plan_notes: Vec<plan::PlanNoteReport>,
    /// With two or more images: what they share (see `report::sharing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing: Option<sharing::SharingReport>,
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
    /// `full`, or `layers-only` (manifest sizes, no layer decoded: the fields that need the
    /// layers' contents are null).
    pub analysis: &'static str,
    pub size_bytes: Option<u64>,
    pub compressed_size_bytes: u64,
    pub layer_count: usize,
    pub file_count: Option<u64>,
    pub regular_file_count: Option<u64>,
    pub directory_count: Option<u64>,
    pub layers: Vec<LayerReport<'a>>,
    pub waste: Option<WasteReport>,
    pub duplicates: Option<DuplicatesReport>,
    pub largest_files: Vec<FileReport>,
    pub largest_directories: Vec<DirReport>,
    /// Packages from the image's own databases, biggest first (null when layers were not read).
    pub packages: Option<Vec<packages::PackageReport>>,
    pub package_summary: Option<packages::PackageSummaryReport>,
    /// What the entrypoint needs (null without a command, or when layers were not read).
    pub closure: Option<packages::ClosureReport>,
    /// What the image is for: `service`, `interpreted` or `shell` (decides what the plan offers).
    pub role: &'static str,
    pub role_why: String,
    /// The gate evaluation, when gating was on (`--ci`, rule flags, or CI=true with rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gates: Option<GatesReport>,
    /// The base the image is built on, when one is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseReport>,
    /// `--all-files`: every entry of the final filesystem, depth first in name order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<EntryReport>>,
}

/// One entry of an image's final filesystem (`--all-files`).
#[derive(Serialize)]
pub struct EntryReport {
    pub path: String,
    /// `file`, `dir`, `symlink`, `hardlink`, `char-device`, `block-device` or `fifo`.
    pub kind: &'static str,
    /// The layer that wrote this version.
    pub layer: usize,
    /// `added` or `modified` in that layer.
    pub change: &'static str,
    pub size_bytes: u64,
    /// Permission bits, octal (`0644`).
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    /// Where a symlink points, or the path a hardlink names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// BLAKE3 of the content (first 128 bits), when it was hashed (files whose size another
    /// file shares; every file when several images are compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blake3_128: Option<String>,
}

fn base_report(
    image: &Image,
    analysis: &Analysis,
    base: &crate::analysis::base::BaseLayers,
) -> BaseReport {
    let own = crate::analysis::base::OwnPart::of(image, &analysis.waste, base.inherited);
    let known = !analysis.layers_only;
    BaseReport {
        reference: base.reference.clone(),
        digest: base.digest.clone(),
        origin: base.origin.key(),
        base_layer_count: base.base_layer_count,
        inherited_layer_count: base.inherited,
        complete: base.is_complete(),
        problem: base.caveat(),
        own: OwnReport {
            layer_count: own.layer_count,
            size_bytes: known.then_some(own.size),
            compressed_size_bytes: own.compressed_size,
            reclaimable_bytes: known.then_some(own.reclaimable_bytes),
        },
    }
}

/// Every live entry of `image`'s final filesystem (`--all-files`); empty for an image whose
/// layers were not read.
pub fn all_files(image: &Image, analysis: &Analysis) -> Vec<EntryReport> {
    use crate::model::EntryKind;
    let mut out = Vec::new();
    if analysis.layers_only {
        return out;
    }
    let tree = &image.tree;
    tree.walk_paths(|node, path| {
        let Some(v) = tree.live_final(node) else {
            return;
        };
        let kind = match v.kind {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::CharDevice => "char-device",
            EntryKind::BlockDevice => "block-device",
            EntryKind::Fifo => "fifo",
            EntryKind::Whiteout | EntryKind::Opaque => return,
        };
        let (uid, gid) = tree.owner(v);
        out.push(EntryReport {
            path: path.to_string(),
            kind,
            layer: v.layer as usize,
            change: v.change.label(),
            size_bytes: v.size,
            mode: format!("{:04o}", v.mode & 0o7777),
            uid,
            gid,
            link_target: tree.link_target(v).map(str::to_string),
            blake3_128: tree.hash(v).map(|h| hex(&h)),
        });
    });
    out
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
    /// Whether `diff_id` (the config's claim) is the digest of the layer's content as read; null
    /// when the layer was not read or the config names none.
    pub diff_id_verified: Option<bool>,
    /// The digest of the layer's content as read, when it differs from the claimed `diff_id`.
    pub content_diff_id: Option<&'a str>,
    pub media_type: Option<&'a str>,
    pub compression: Option<&'static str>,
    pub compressed_size_bytes: u64,
    pub size_bytes: Option<u64>,
    pub tar_size_bytes: Option<u64>,
    pub entry_count: Option<u64>,
    pub file_count: Option<u64>,
    pub created_by: Option<&'a str>,
    pub created: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub reclaimable_bytes: Option<u64>,
    pub changes: Option<ChangesReport>,
    /// Whether the layer is the base's (present only when the image's base is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited: Option<bool>,
}

/// The image's base and its own part (present only when a base is named: `--base`, or the
/// `org.opencontainers.image.base.*` annotations).
#[derive(Serialize)]
pub struct BaseReport {
    pub reference: String,
    pub digest: Option<String>,
    /// `flag` (`--base`) or `annotation`.
    pub origin: &'static str,
    pub base_layer_count: usize,
    pub inherited_layer_count: usize,
    /// Every layer of the base starts the image.
    pub complete: bool,
    /// Why the base could not be read, or why it does not match.
    pub problem: Option<String>,
    pub own: OwnReport,
}

/// The image above its base.
#[derive(Serialize)]
pub struct OwnReport {
    pub layer_count: usize,
    pub size_bytes: Option<u64>,
    pub compressed_size_bytes: u64,
    /// Reclaimable bytes its own layers cause (stored in them, or base copies they hide).
    pub reclaimable_bytes: Option<u64>,
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
    /// `--ignore-path`: what the figures above leave out (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<IgnoredReport>,
}

/// Paths set aside by `--ignore-path`, and what they took out of the figures.
#[derive(Serialize)]
pub struct IgnoredReport {
    pub patterns: Vec<String>,
    pub file_count: u64,
    pub bytes: u64,
    pub reclaimable_bytes: u64,
    pub duplicate_savings_bytes: u64,
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

pub fn image_report<'a>(image: &'a Image, analysis: &Analysis) -> ImageReport<'a> {
    let tree = &image.tree;
    let known = !analysis.layers_only;
    let layers = image
        .layers
        .iter()
        .map(|l| {
            let h = l.history.as_ref();
            LayerReport {
                index: l.index,
                digest: l.digest.as_deref(),
                diff_id: l.diff_id.as_deref(),
                diff_id_verified: l.diff_id_verified(),
                content_diff_id: l.false_diff_id().and(l.content_diff_id.as_deref()),
                media_type: l.media_type.as_deref(),
                compression: known.then(|| l.compression.label()),
                compressed_size_bytes: l.compressed_size,
                size_bytes: known.then_some(l.size),
                tar_size_bytes: known.then_some(l.tar_size),
                entry_count: known.then_some(l.entry_count),
                file_count: known.then_some(l.file_count),
                created_by: h.and_then(|h| h.created_by.as_deref()),
                created: h.and_then(|h| h.created.as_deref()),
                comment: h.and_then(|h| h.comment.as_deref()),
                reclaimable_bytes: known
                    .then(|| analysis.waste.per_layer.get(l.index).copied().unwrap_or(0)),
                changes: known.then_some(ChangesReport {
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
                }),
                inherited: analysis.base.as_ref().map(|b| b.is_inherited(l.index)),
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
        analysis: if known { "full" } else { "layers-only" },
        size_bytes: known.then(|| image.size()),
        compressed_size_bytes: image.compressed_size(),
        layer_count: image.layers.len(),
        file_count: known.then_some(analysis.file_count),
        regular_file_count: known.then_some(analysis.regular_file_count),
        directory_count: known.then_some(analysis.dir_count),
        layers,
        waste: known.then_some(WasteReport {
            reclaimable_bytes: waste.reclaimable_bytes,
            reclaimable_ratio: analysis.reclaimable_ratio(image),
            efficiency: analysis.efficiency.score,
            dive_inefficient_bytes: analysis.efficiency.inefficient_bytes,
            reclaimable_path_count: waste.paths.len(),
            reclaimable_paths,
            ignored: (!analysis.ignored_summary.patterns.is_empty()).then(|| {
                let i = &analysis.ignored_summary;
                IgnoredReport {
                    patterns: i.patterns.clone(),
                    file_count: i.files,
                    bytes: i.bytes,
                    reclaimable_bytes: i.reclaimable_bytes,
                    duplicate_savings_bytes: i.duplicate_savings_bytes,
                }
            }),
        }),
        duplicates: known.then_some(DuplicatesReport {
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
        }),
        largest_files: analysis
            .largest_files
            .iter()
            .map(|&n| FileReport {
                path: tree.path(n),
                size_bytes: analysis.sizes[n.index()],
                layer: tree.live_final(n).map_or(0, |v| v.layer as usize),
            })
            .collect(),
        largest_directories: analysis
            .largest_dirs
            .iter()
            .map(|&n| DirReport {
                path: tree.path(n),
                size_bytes: analysis.sizes[n.index()],
            })
            .collect(),
        packages: known.then(|| packages::packages(analysis)),
        package_summary: known.then(|| packages::summary(analysis)),
        closure: known.then(|| packages::closure(image, analysis)).flatten(),
        role: analysis.role.role.key(),
        role_why: analysis.role.why.clone(),
        gates: None,
        files: None,
        base: analysis
            .base
            .as_ref()
            .map(|b| base_report(image, analysis, b)),
    }
}

/// An image and its analysis: what a report prints.
pub type Analyzed<'a> = (&'a Image, &'a Analysis);

/// The report of the images, read from their set analysis (a set of one for one image); the
/// sharing section only with two images or more.
pub fn report<'a>(images: &[Analyzed<'a>], set: &SetAnalysis) -> Report<'a> {
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool::imgscope(),
        images: images
            .iter()
            .map(|(image, analysis)| image_report(image, analysis))
            .collect(),
        plan: plan::actions(&set.plan, &set.sharing, &set.names),
        plan_totals: plan::totals(&set.plan),
        plan_notes: plan::notes(&set.plan, &set.names),
        sharing: None,
    }
}

/// The report of a set, with its sharing section when it holds two images or more.
pub fn report_with_set<'a>(
    images: &[Analyzed<'a>],
    set: &SetAnalysis,
    assumed: Option<&crate::analysis::set::AssumedBase>,
) -> Report<'a> {
    let mut doc = report(images, set);
    doc.sharing = (images.len() >= 2).then(|| sharing::sharing_report(set, assumed));
    doc
}

/// The JSON document of `images` analysed as `set`: pretty, one line feed at the end, safe to
/// print on a terminal.
pub fn to_string(images: &[Analyzed<'_>], set: &SetAnalysis) -> serde_json::Result<String> {
    super::to_printable_string(&report_with_set(images, set, None))
}

//! `imgscope diff --json`: what changed between two images — totals, layers, directories, files,
//! packages and reclaimable bytes, each with its old and new value — versioned like the report.
//! It has its own file because it is its own document, read from `crate::diff` rather than from
//! an image's analysis.

use serde::Serialize;

use super::{SCHEMA_VERSION, Tool};
use crate::analysis::TOP_N;
use crate::model::Image;

/// The diff document: versioned like the report.
#[derive(Serialize)]
pub struct DiffDocument<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub diff: DiffReport<'a>,
}

#[derive(Serialize)]
pub struct DiffReport<'a> {
    pub old: DiffImageReport<'a>,
    pub new: DiffImageReport<'a>,
    pub size: BytesDelta,
    pub compressed_size: BytesDelta,
    pub layer_count: CountDelta,
    pub file_count: CountDelta,
    pub efficiency: RatioDelta,
    /// Whether both images' contents were hashed (else same-size edits are not seen).
    pub hashed: bool,
    pub file_changes: ChangeTally,
    pub reclaimable: ReclaimableDiffReport,
    /// Every layer of both images, by impact.
    pub layers: Vec<LayerDiffReport<'a>>,
    pub directory_change_count: usize,
    /// The top 100 directory changes by impact.
    pub directories: Vec<DirDiffReport>,
    pub file_change_count: usize,
    /// The top 100 file changes by impact.
    pub files: Vec<FileDiffReport>,
    pub package_change_count: usize,
    /// The top 100 package changes (added, removed, upgraded, changed) by byte impact.
    pub packages: Vec<PackageDiffReport>,
    /// What the change does to the trim plan (each image's plan built alone, as `imgscope IMAGE
    /// --json` builds it).
    pub plan: PlanDiffReport,
    /// What a node holding OLD pulls to run NEW: the layers NEW has whose content OLD lacks.
    pub pull: PullReport,
}

#[derive(Serialize)]
pub struct PlanDiffReport {
    /// All actions together, each file counted once (`plan_totals` of each image's report).
    pub node_saving: BytesDelta,
    pub pull_saving: BytesDelta,
    pub actions: CountDelta,
    pub worth_it_actions: CountDelta,
    /// Actions in both plans with the same node saving.
    pub unchanged_actions: usize,
    /// Every action that appeared, grew, shrank or went away, the largest change first.
    pub changes: Vec<PlanChangeReport>,
}

#[derive(Serialize)]
pub struct PlanChangeReport {
    /// `appeared`, `grew`, `shrank` or `went_away`.
    pub change: &'static str,
    /// `rebase`, `slim`, `trim` or `dedup`, and `safe`, `rebuild` or `risky`, as in `plan[]`.
    pub action: &'static str,
    pub risk: &'static str,
    /// The layer it acts on (index in each image; null where absent, and for a slim).
    pub old_layer: Option<usize>,
    pub new_layer: Option<usize>,
    pub node_saving: BytesDelta,
    pub pull_saving: BytesDelta,
    pub old_worth_it: bool,
    pub new_worth_it: bool,
    /// What it finds and what to do (NEW's sentence; OLD's for one that went away).
    pub what: String,
    /// The whole change in one sentence, as the text and Markdown diffs print it.
    pub summary: String,
}

#[derive(Serialize)]
pub struct PullReport {
    /// Indexes in NEW of the layers to pull.
    pub layers: Vec<usize>,
    pub compressed_bytes: u64,
    pub size_bytes: u64,
}

#[derive(Serialize)]
pub struct PackageDiffReport {
    pub manager: &'static str,
    pub name: String,
    /// `added`, `removed`, `upgraded` (another version) or `changed` (same version, other bytes).
    pub change: &'static str,
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub bytes: BytesDelta,
}

#[derive(Serialize)]
pub struct DiffImageReport<'a> {
    pub input: &'a str,
    pub name: Option<&'a str>,
    pub manifest_digest: Option<&'a str>,
    pub config_digest: Option<&'a str>,
}

#[derive(Serialize)]
pub struct BytesDelta {
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta_bytes: i64,
}

#[derive(Serialize)]
pub struct CountDelta {
    pub old: u64,
    pub new: u64,
    pub delta: i64,
}

#[derive(Serialize)]
pub struct RatioDelta {
    pub old: f64,
    pub new: f64,
}

#[derive(Serialize)]
pub struct ChangeTally {
    pub added: usize,
    pub removed: usize,
    pub grown: usize,
    pub shrunk: usize,
    pub modified: usize,
}

#[derive(Serialize)]
pub struct LayerDiffReport<'a> {
    pub change: &'static str,
    pub old_index: Option<usize>,
    pub new_index: Option<usize>,
    /// `diff_id`, `position+command`, `command` or `position`; null for added and removed.
    pub matched_by: Option<&'static str>,
    pub old_created_by: Option<&'a str>,
    pub new_created_by: Option<&'a str>,
    pub size: BytesDelta,
    pub compressed_size: BytesDelta,
    pub reclaimable: BytesDelta,
}

#[derive(Serialize)]
pub struct DirDiffReport {
    pub path: String,
    pub change: &'static str,
    pub size: BytesDelta,
    /// Non-directory entries below it added, removed and changed.
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

#[derive(Serialize)]
pub struct FileDiffReport {
    pub path: String,
    pub change: &'static str,
    pub old_kind: Option<&'static str>,
    pub new_kind: Option<&'static str>,
    pub size: BytesDelta,
    /// The layer that wrote it (in the new image; in the old one for a removal).
    pub layer: Option<usize>,
}

#[derive(Serialize)]
pub struct ReclaimableDiffReport {
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta_bytes: i64,
    /// Reclaimable bytes the new image has beyond the old one's, path by path.
    pub introduced_bytes: u64,
    /// Reclaimable bytes the old image had beyond the new one's, path by path.
    pub resolved_bytes: u64,
    pub introduced_path_count: usize,
    pub introduced_paths: Vec<ReclaimablePathDelta>,
    pub resolved_path_count: usize,
    pub resolved_paths: Vec<ReclaimablePathDelta>,
}

#[derive(Serialize)]
pub struct ReclaimablePathDelta {
    pub path: String,
    pub old_bytes: u64,
    pub new_bytes: u64,
    pub delta_bytes: i64,
}

fn bytes_delta(d: crate::diff::Delta) -> BytesDelta {
    BytesDelta {
        old_bytes: d.old,
        new_bytes: d.new,
        delta_bytes: d.delta(),
    }
}

fn diff_image(image: &Image) -> DiffImageReport<'_> {
    DiffImageReport {
        input: &image.input,
        name: image.name.as_deref(),
        manifest_digest: image.manifest_digest.as_deref(),
        config_digest: image.config_digest.as_deref(),
    }
}

pub fn diff_report<'a>(
    old: &'a Image,
    new: &'a Image,
    d: &crate::diff::ImageDiff,
) -> DiffReport<'a> {
    use crate::diff::ChangeKind;
    let path_deltas = |list: &[crate::diff::ReclaimableChange]| {
        list.iter()
            .take(TOP_N)
            .map(|c| ReclaimablePathDelta {
                path: c.path.clone(),
                old_bytes: c.bytes.old,
                new_bytes: c.bytes.new,
                delta_bytes: c.bytes.delta(),
            })
            .collect()
    };
    let r = &d.reclaimable;
    DiffReport {
        old: diff_image(old),
        new: diff_image(new),
        size: bytes_delta(d.size),
        compressed_size: bytes_delta(d.compressed),
        layer_count: CountDelta {
            old: d.layer_count.old,
            new: d.layer_count.new,
            delta: d.layer_count.delta(),
        },
        file_count: CountDelta {
            old: d.file_count.old,
            new: d.file_count.new,
            delta: d.file_count.delta(),
        },
        efficiency: RatioDelta {
            old: d.efficiency.0,
            new: d.efficiency.1,
        },
        hashed: d.hashed,
        file_changes: ChangeTally {
            added: d.file_count_of(ChangeKind::Added),
            removed: d.file_count_of(ChangeKind::Removed),
            grown: d.file_count_of(ChangeKind::Grown),
            shrunk: d.file_count_of(ChangeKind::Shrunk),
            modified: d.file_count_of(ChangeKind::Modified),
        },
        reclaimable: ReclaimableDiffReport {
            old_bytes: r.total.old,
            new_bytes: r.total.new,
            delta_bytes: r.total.delta(),
            introduced_bytes: r.introduced_bytes,
            resolved_bytes: r.resolved_bytes,
            introduced_path_count: r.introduced.len(),
            introduced_paths: path_deltas(&r.introduced),
            resolved_path_count: r.resolved.len(),
            resolved_paths: path_deltas(&r.resolved),
        },
        layers: d
            .layers
            .iter()
            .map(|l| LayerDiffReport {
                change: l.change.label(),
                old_index: l.old,
                new_index: l.new,
                matched_by: l.matched_by.map(|m| m.label()),
                old_created_by: l
                    .old
                    .and_then(|i| old.layers[i].history.as_ref())
                    .and_then(|h| h.created_by.as_deref()),
                new_created_by: l
                    .new
                    .and_then(|i| new.layers[i].history.as_ref())
                    .and_then(|h| h.created_by.as_deref()),
                size: bytes_delta(l.size),
                compressed_size: bytes_delta(l.compressed),
                reclaimable: bytes_delta(l.reclaimable),
            })
            .collect(),
        directory_change_count: d.dirs.len(),
        directories: d
            .dirs
            .iter()
            .take(TOP_N)
            .map(|x| DirDiffReport {
                path: x.path.clone(),
                change: x.change.label(),
                size: bytes_delta(x.size),
                added: x.added,
                removed: x.removed,
                changed: x.changed,
            })
            .collect(),
        file_change_count: d.files.len(),
        files: d
            .files
            .iter()
            .take(TOP_N)
            .map(|f| FileDiffReport {
                path: f.path.clone(),
                change: f.change.label(),
                old_kind: f.old_kind.map(|k| k.label()),
                new_kind: f.new_kind.map(|k| k.label()),
                size: bytes_delta(f.size),
                layer: f.layer,
            })
            .collect(),
        package_change_count: d.packages.len(),
        packages: d
            .packages
            .iter()
            .take(TOP_N)
            .map(|p| PackageDiffReport {
                manager: p.manager,
                name: p.name.clone(),
                change: p.change.label(),
                old_version: p.old_version.clone(),
                new_version: p.new_version.clone(),
                bytes: bytes_delta(p.bytes),
            })
            .collect(),
        plan: plan_diff(&d.plan),
        pull: PullReport {
            layers: d.pull.layers.clone(),
            compressed_bytes: d.pull.compressed,
            size_bytes: d.pull.size,
        },
    }
}

fn count_delta(d: crate::diff::Delta) -> CountDelta {
    CountDelta {
        old: d.old,
        new: d.new,
        delta: d.delta(),
    }
}

fn plan_diff(p: &crate::diff::plan::PlanDiff) -> PlanDiffReport {
    PlanDiffReport {
        node_saving: bytes_delta(p.node_saving),
        pull_saving: bytes_delta(p.pull_saving),
        actions: count_delta(p.actions),
        worth_it_actions: count_delta(p.worth_it_actions),
        unchanged_actions: p.unchanged,
        changes: p
            .changes
            .iter()
            .map(|c| PlanChangeReport {
                change: c.change.key(),
                action: c.action.key(),
                risk: c.risk.key(),
                old_layer: c.old_layer,
                new_layer: c.new_layer,
                node_saving: bytes_delta(c.node_saving),
                pull_saving: bytes_delta(c.pull_saving),
                old_worth_it: c.worth_it.0,
                new_worth_it: c.worth_it.1,
                what: c.what.clone(),
                summary: c.sentence(str::to_string),
            })
            .collect(),
    }
}

/// The diff document of `old` → `new`, as [`super::to_printable_string`] writes it.
pub fn diff_to_string(
    old: &Image,
    new: &Image,
    d: &crate::diff::ImageDiff,
) -> serde_json::Result<String> {
    let doc = DiffDocument {
        schema_version: SCHEMA_VERSION,
        tool: Tool::imgscope(),
        diff: diff_report(old, new, d),
    };
    super::to_printable_string(&doc)
}

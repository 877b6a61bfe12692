//! The `--json` report: versioned wire types, serialize-only, built from the same [`Analysis`] the
//! viewer shows. Field names are part of the contract; bump [`SCHEMA_VERSION`] on any breaking
//! change. Sizes are raw bytes (`*_bytes`); digests are `algo:hex` strings.
//!
//! docs/json.md documents the schema; the snapshot test shows a whole document.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::set::SetAnalysis;
use crate::analysis::{Analysis, TOP_N};
use crate::model::{Change, Image, hex};

pub const SCHEMA_VERSION: u32 = 3;

#[derive(Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub images: Vec<ImageReport<'a>>,
    /// The trim plan (for one image or many): ranked actions, what each saves per node.
    pub plan: Vec<super::plan::PlanActionReport>,
    /// The plan's totals, each file counted once where actions overlap.
    pub plan_totals: super::plan::PlanTotalsReport,
    /// Sentences about images the plan offers less for (a shell image: no slim, no toolchain
    /// trim, and what a node pays for its bytes), by image name.
    pub plan_notes: Vec<super::plan::PlanNoteReport>,
    /// With two or more images: what they share (see `report::sharing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing: Option<super::sharing::SharingReport>,
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
    pub packages: Option<Vec<super::packages::PackageReport>>,
    pub package_summary: Option<super::packages::PackageSummaryReport>,
    /// What the entrypoint needs (null without a command, or when layers were not read).
    pub closure: Option<super::packages::ClosureReport>,
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
        packages: known.then(|| super::packages::packages(analysis)),
        package_summary: known.then(|| super::packages::summary(analysis)),
        closure: known
            .then(|| super::packages::closure(image, analysis))
            .flatten(),
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
        tool: Tool {
            name: "imgscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        images: images
            .iter()
            .map(|(image, analysis)| image_report(image, analysis))
            .collect(),
        plan: super::plan::actions(&set.plan, &set.sharing, &set.names),
        plan_totals: super::plan::totals(&set.plan),
        plan_notes: super::plan::notes(&set.plan, &set.names),
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
    doc.sharing = (images.len() >= 2).then(|| super::sharing::sharing_report(set, assumed));
    doc
}

/// The JSON document of `images` analysed as `set`: pretty, one line feed at the end, safe to
/// print on a terminal.
pub fn to_string(images: &[Analyzed<'_>], set: &SetAnalysis) -> serde_json::Result<String> {
    to_printable_string(&report_with_set(images, set, None))
}

/// `doc` as pretty JSON with one line feed at the end, safe to print on a terminal or into a CI
/// log: serde_json leaves DEL and the C1 controls (U+009B is a one-character CSI) raw, which
/// `crate::text::json_terminal_safe` escapes. Every JSON document imgscope prints (the report with
/// or without gates, the diff, the history series) is written by this one function.
pub fn to_printable_string<T: Serialize + ?Sized>(doc: &T) -> serde_json::Result<String> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(crate::text::json_terminal_safe(s))
}

// ----- gates (`--ci`): the same evaluation the text and Markdown outputs print -----

/// The gate evaluation of one image.
#[derive(Serialize)]
pub struct GatesReport {
    /// `pass` or `fail` (skipped rules do not fail a gate).
    pub verdict: &'static str,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Config files and flags the rules came from.
    pub sources: Vec<String>,
    pub baseline: Option<BaselineReport>,
    pub rules: Vec<RuleReport>,
}

#[derive(Serialize)]
pub struct BaselineReport {
    pub input: String,
    pub name: Option<String>,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
}

/// One rule: `value` and `threshold` are in `unit` (`bytes`, `ratio` from 0 to 1, or `count`);
/// the rule passes when `value comparison threshold` holds. `value` is null when the rule was
/// skipped, or when a ratio is undefined (dive's 0/0).
#[derive(Serialize)]
pub struct RuleReport {
    pub rule: &'static str,
    /// The glob of a `max-path-size` budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    pub verdict: &'static str,
    pub value: Option<Number>,
    pub threshold: Option<Number>,
    pub unit: &'static str,
    pub comparison: &'static str,
    /// The threshold as written (`150MB`, `5%`, `disabled`).
    pub threshold_text: String,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

fn rule_unit(rule: &crate::gate::Rule) -> &'static str {
    use crate::gate::{RuleKind, Threshold};
    match rule.threshold {
        Some(Threshold::Bytes(_)) => "bytes",
        Some(Threshold::Percent(_) | Threshold::Ratio(_)) => "ratio",
        Some(Threshold::Count(_)) => "count",
        None => match rule.kind {
            RuleKind::MaxLayers => "count",
            RuleKind::MinEfficiency | RuleKind::MaxDiveUserWastedRatio => "ratio",
            _ => "bytes",
        },
    }
}

pub fn gates_report(e: &crate::gate::Evaluation) -> GatesReport {
    use crate::gate::{Threshold, Value};
    let rules = e
        .results
        .iter()
        .map(|r| RuleReport {
            rule: r.rule.kind.name(),
            glob: r.rule.kind.glob().map(str::to_string),
            verdict: r.verdict.key(),
            value: r.value.map(|v| match v {
                Value::Bytes(b) | Value::Count(b) => Number::Unsigned(b),
                Value::SignedBytes(d) => Number::Signed(d),
                Value::Ratio(x) => Number::Float(x),
            }),
            threshold: r.rule.threshold.map(|t| match t {
                Threshold::Bytes(b) | Threshold::Count(b) => Number::Unsigned(b),
                Threshold::Ratio(x) => Number::Float(x),
                Threshold::Percent(p) => Number::Float(
                    crate::gate::parse::Decimal {
                        mantissa: p.mantissa,
                        scale: p.scale + 2,
                    }
                    .to_f64(),
                ),
            }),
            unit: rule_unit(&r.rule),
            comparison: if r.rule.kind.is_minimum() { ">=" } else { "<=" },
            threshold_text: r.rule.text.clone(),
            source: r.rule.source.to_string(),
            note: r.note.clone(),
        })
        .collect();
    GatesReport {
        verdict: e.verdict().key(),
        passed: e.passed(),
        failed: e.failed(),
        skipped: e.skipped(),
        sources: e.sources(),
        baseline: e.baseline.as_ref().map(|b| BaselineReport {
            input: b.input.clone(),
            name: b.name.clone(),
            size_bytes: b.size,
            compressed_size_bytes: b.compressed_size,
        }),
        rules,
    }
}

/// The report with each image's gate evaluation (`gates[i]` belongs to `loaded[i]`).
pub fn to_string_with_gates(
    images: &[Analyzed<'_>],
    set: &SetAnalysis,
    gates: &[crate::gate::Evaluation],
) -> serde_json::Result<String> {
    let mut doc = report_with_set(images, set, None);
    for (image, e) in doc.images.iter_mut().zip(gates) {
        image.gates = Some(gates_report(e));
    }
    to_printable_string(&doc)
}

// ----- `imgscope diff --json` -----

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
    }
}

pub fn diff_to_string(
    old: &Image,
    new: &Image,
    d: &crate::diff::ImageDiff,
) -> serde_json::Result<String> {
    let doc = DiffDocument {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "imgscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        diff: diff_report(old, new, d),
    };
    to_printable_string(&doc)
}

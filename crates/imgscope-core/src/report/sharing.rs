//! The set-of-images report: JSON wire types (the `sharing` section of the report) and the text
//! summary, both read from one [`SetAnalysis`]. Image-derived strings in the text go through
//! [`escape_control`](crate::text::escape_control).

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::set::{AssumedBase, SetAnalysis};
use crate::analysis::sharing::PullAndDisk;
use crate::text::{escape_control as esc, human_size as hs};

#[derive(Serialize)]
pub struct SharingReport {
    pub image_count: usize,
    pub sum_of_images: BytesReport,
    pub node_cost: BytesReport,
    /// Σ image sizes / node cost, compressed.
    pub sharing_ratio: f64,
    pub distinct_layers: usize,
    pub distinct_blobs: usize,
    pub node_cost_by_blob_bytes: u64,
    pub images: Vec<ImageSharingReport>,
    pub bases: Vec<BaseReport>,
    /// The layer × image matrix: every distinct layer with the images that use it.
    pub layers: Vec<SharedLayerReport>,
    pub trim_value: Vec<TrimValueReport>,
    pub content: ContentReport,
    /// The package × image matrix: packages two or more images hold (the top 100, those stored
    /// in the most separate layers first), and how many there are.
    pub shared_package_count: usize,
    pub shared_packages: Vec<SharedPackageReport>,
    /// With `--assume-base`: the set rebuilt on one common base (an estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumed_base: Option<AssumedBaseReport>,
}

#[derive(Serialize)]
pub struct AssumedBaseReport {
    pub base: String,
    pub node_cost_now_bytes: u64,
    pub node_cost_bytes: u64,
    pub saved_bytes: i128,
    /// Per image: what it would add on top of the base.
    pub image_delta_bytes: Vec<u64>,
}

impl From<&AssumedBase> for AssumedBaseReport {
    fn from(a: &AssumedBase) -> Self {
        AssumedBaseReport {
            base: a.base.clone(),
            node_cost_now_bytes: a.node_cost_now,
            node_cost_bytes: a.node_cost,
            saved_bytes: a.node_cost_now as i128 - a.node_cost as i128,
            image_delta_bytes: a.per_image.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct BytesReport {
    pub compressed_bytes: u64,
    /// Uncompressed; null when some image was read layers-only.
    pub size_bytes: Option<u64>,
}

impl From<PullAndDisk> for BytesReport {
    fn from(b: PullAndDisk) -> Self {
        BytesReport {
            compressed_bytes: b.compressed,
            size_bytes: b.size,
        }
    }
}

#[derive(Serialize)]
pub struct ImageSharingReport {
    pub index: usize,
    pub name: String,
    pub total: BytesReport,
    pub shared: BytesReport,
    /// Its marginal cost: what adding it to a node that holds the others costs.
    pub unique: BytesReport,
    pub amortized: BytesReport,
    pub base: Option<String>,
    pub base_layers: usize,
    pub reclaimable_shared_bytes: Option<u64>,
    pub reclaimable_unique_bytes: Option<u64>,
    pub verdict: String,
    /// Content this image holds, outside shared layers, that another image holds too.
    pub content_shared_elsewhere_bytes: u64,
    pub trim_candidates: Vec<TrimCandidateReport>,
}

#[derive(Serialize)]
pub struct TrimCandidateReport {
    pub category: &'static str,
    pub label: &'static str,
    pub bytes: u64,
    /// In layers other images use too: saved once per node.
    pub shared_bytes: u64,
    /// In this image's own layers: saved per image.
    pub unique_bytes: u64,
}

#[derive(Serialize)]
pub struct BaseReport {
    pub name: String,
    pub layers: usize,
    pub bytes: BytesReport,
    pub images: Vec<usize>,
}

#[derive(Serialize)]
pub struct SharedLayerReport {
    pub index: usize,
    pub diff_id: Option<String>,
    pub digest: Option<String>,
    pub compressed_bytes: u64,
    pub size_bytes: Option<u64>,
    pub reclaimable_bytes: Option<u64>,
    pub created_by: String,
    pub images: Vec<usize>,
}

#[derive(Serialize)]
pub struct TrimValueReport {
    pub layer: usize,
    pub reclaimable_bytes: u64,
    pub users: usize,
    pub node_savings_bytes: u64,
    pub per_image_sum_bytes: u64,
}

#[derive(Serialize)]
pub struct ContentReport {
    pub shareable_bytes: u64,
    pub shareable_files: u64,
    pub pairs: Vec<PairReport>,
}

#[derive(Serialize)]
pub struct SharedPackageReport {
    pub manager: &'static str,
    pub name: String,
    pub version: String,
    pub bytes: u64,
    pub images: Vec<usize>,
    /// The distinct layers (indexes into `layers`) that installed it.
    pub layers: Vec<usize>,
    /// bytes × (layers − 1): stored again on a node; what one shared base layer would save.
    pub stored_extra_bytes: u64,
}

#[derive(Serialize)]
pub struct PairReport {
    pub images: [usize; 2],
    /// Bytes of identical files both hold, through shared layers or not.
    pub common_bytes: u64,
    /// Of those, bytes held in layers they do not share: stored twice on a node.
    pub separate_bytes: u64,
}

pub fn sharing_report(set: &SetAnalysis, assumed: Option<&AssumedBase>) -> SharingReport {
    let s = &set.sharing;
    SharingReport {
        assumed_base: assumed.map(AssumedBaseReport::from),
        image_count: s.images.len(),
        sum_of_images: s.sum_of_images.into(),
        node_cost: s.node_cost.into(),
        sharing_ratio: s.sharing_ratio(),
        distinct_layers: s.layers.len(),
        distinct_blobs: s.distinct_blobs,
        node_cost_by_blob_bytes: s.node_cost_by_blob,
        images: s
            .images
            .iter()
            .enumerate()
            .map(|(i, img)| ImageSharingReport {
                index: i,
                name: set.names[i].clone(),
                total: img.total.into(),
                shared: img.shared.into(),
                unique: img.unique.into(),
                amortized: img.amortized.into(),
                base: img.base.map(|b| s.bases[b].name.clone()),
                base_layers: img.base_layers,
                reclaimable_shared_bytes: img.reclaimable_shared,
                reclaimable_unique_bytes: img.reclaimable_unique,
                verdict: img.verdict.clone(),
                content_shared_elsewhere_bytes: set.content.per_image.get(i).copied().unwrap_or(0),
                trim_candidates: set.set_trim[i]
                    .iter()
                    .map(|t| TrimCandidateReport {
                        category: t.category.key(),
                        label: t.category.label(),
                        bytes: t.bytes,
                        shared_bytes: t.shared_bytes,
                        unique_bytes: t.unique_bytes,
                    })
                    .collect(),
            })
            .collect(),
        bases: s
            .bases
            .iter()
            .map(|b| BaseReport {
                name: b.name.clone(),
                layers: b.layers,
                bytes: b.bytes.into(),
                images: b.images.clone(),
            })
            .collect(),
        layers: s
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| SharedLayerReport {
                index: i,
                diff_id: l.facts.diff_id.clone(),
                digest: l.facts.digest.clone(),
                compressed_bytes: l.facts.compressed,
                size_bytes: l.facts.size,
                reclaimable_bytes: l.facts.reclaimable,
                created_by: l.facts.created_by.clone(),
                images: l.users.clone(),
            })
            .collect(),
        trim_value: s
            .trim
            .iter()
            .map(|t| TrimValueReport {
                layer: t.layer,
                reclaimable_bytes: t.reclaimable,
                users: s.layers[t.layer].users.len(),
                node_savings_bytes: t.node_savings,
                per_image_sum_bytes: t.per_image_sum,
            })
            .collect(),
        shared_package_count: set.packages.len(),
        shared_packages: set
            .packages
            .iter()
            .take(crate::analysis::TOP_N)
            .map(|p| SharedPackageReport {
                manager: p.manager,
                name: p.name.clone(),
                version: p.version.clone(),
                bytes: p.bytes,
                images: p.images.clone(),
                layers: p.layers.clone(),
                stored_extra_bytes: p.stored_extra_bytes,
            })
            .collect(),
        content: ContentReport {
            shareable_bytes: set.content.shareable_bytes,
            shareable_files: set.content.shareable_files,
            pairs: set
                .content
                .pairs
                .iter()
                .map(|p| PairReport {
                    images: [p.a, p.b],
                    common_bytes: p.common_bytes,
                    separate_bytes: p.separate_bytes,
                })
                .collect(),
        },
    }
}

pub(crate) fn both(b: &PullAndDisk) -> String {
    match b.size {
        Some(s) => format!("{} ({} compressed)", hs(s), hs(b.compressed)),
        None => format!("{} compressed", hs(b.compressed)),
    }
}

/// Uncompressed when known for the whole set, else compressed (the table's header says which).
pub(crate) fn disk(b: &PullAndDisk) -> String {
    b.size.map_or_else(|| hs(b.compressed), hs)
}

/// The text summary of a set: totals, the per-image table with verdicts, the layer matrix, where
/// trimming pays, and content a common base would share.
pub fn summary(set: &SetAnalysis, assumed: Option<&AssumedBase>) -> String {
    let s = &set.sharing;
    let names = &set.names;
    let mut out = String::new();
    let name = |i: usize| esc(names.get(i).map(String::as_str).unwrap_or("?")).into_owned();
    let _ = writeln!(out, "Sharing across {} images", s.images.len());
    let _ = writeln!(out, "  Sum of image sizes  {}", both(&s.sum_of_images));
    let _ = writeln!(
        out,
        "  Node cost           {}   (sharing ratio {:.2}×: a node holding all of them stores each layer once)",
        both(&s.node_cost),
        s.sharing_ratio()
    );
    for b in &s.bases {
        let users: Vec<String> = b.images.iter().map(|&i| name(i)).collect();
        let _ = writeln!(
            out,
            "  Base                {} ({} layers, {}): {}",
            esc(&b.name),
            b.layers,
            disk(&b.bytes),
            users.join(", ")
        );
    }
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    if s.node_cost.size.is_none() {
        let _ = writeln!(out, "\n  (compressed sizes: layers were not decoded)");
    }
    let _ = writeln!(
        out,
        "\n  {:<width$}  {:>10}  {:>10}  {:>10}  {:>10}  VERDICT",
        "IMAGE", "SIZE", "SHARED", "UNIQUE", "AMORTIZED"
    );
    for (i, img) in s.images.iter().enumerate() {
        let n: String = name(i).chars().take(width).collect();
        let _ = writeln!(
            out,
            "  {n:<width$}  {:>10}  {:>10}  {:>10}  {:>10}  {}",
            disk(&img.total),
            disk(&img.shared),
            disk(&img.unique),
            disk(&img.amortized),
            img.verdict
        );
    }
    let shown = s.images.len().min(26);
    let _ = writeln!(
        out,
        "\nLayers × images ({} distinct layers; images {})",
        s.layers.len(),
        (0..shown)
            .map(|i| format!("{}={}", (b'a' + i as u8) as char, name(i)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (li, l) in s.layers.iter().enumerate().take(60) {
        let cells: String = (0..shown)
            .map(|i| if l.users.contains(&i) { '●' } else { '·' })
            .collect();
        let cmd: String = crate::text::clean_command(&l.facts.created_by)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let cmd: String = esc(&cmd).chars().take(60).collect();
        let _ = writeln!(
            out,
            "  {li:>3}  {:>10}  {cells}  {cmd}",
            l.facts.size.map_or_else(|| hs(l.facts.compressed), hs)
        );
    }
    if s.layers.len() > 60 {
        let _ = writeln!(out, "  … {} more layers (see --json)", s.layers.len() - 60);
    }
    if !s.trim.is_empty() {
        let _ = writeln!(out, "\nWhere trimming pays (reclaimable bytes per layer)");
        for t in s.trim.iter().take(10) {
            let users = s.layers[t.layer].users.len();
            let _ = writeln!(
                out,
                "  layer {:>3}: {} saved once per node{}",
                t.layer,
                hs(t.node_savings),
                if users > 1 {
                    format!(
                        " (used by {users} images: not {} — the per-image sum counts it {users} times)",
                        hs(t.per_image_sum)
                    )
                } else {
                    format!(" (only {} uses it)", name(s.layers[t.layer].users[0]))
                }
            );
        }
    }
    if !set.content.pairs.is_empty() {
        let _ = writeln!(
            out,
            "\nSame content, pair by pair: {} in {} files is stored more than once (in layers the images do not share)",
            hs(set.content.shareable_bytes),
            set.content.shareable_files
        );
        for p in set.content.pairs.iter().take(5) {
            let _ = writeln!(
                out,
                "  {} ↔ {}: {} in common, {} of it in separate layers",
                name(p.a),
                name(p.b),
                hs(p.common_bytes),
                hs(p.separate_bytes)
            );
        }
    }
    let separate: Vec<_> = set
        .packages
        .iter()
        .filter(|p| p.stored_extra_bytes > 0)
        .collect();
    if !separate.is_empty() {
        let extra: u64 = separate.iter().map(|p| p.stored_extra_bytes).sum();
        let _ = writeln!(
            out,
            "\nPackages installed again in separate layers: {} stored more than once, in {} packages (move them to a base the images share)",
            hs(extra),
            separate.len()
        );
        for p in separate.iter().take(5) {
            let _ = writeln!(
                out,
                "  {} {}: {} in {} of {} images, in {} layers they do not share ({} stored again)",
                esc(&p.name),
                esc(&p.version),
                hs(p.bytes),
                p.images.len(),
                s.images.len(),
                p.layers.len(),
                hs(p.stored_extra_bytes)
            );
        }
    }
    if let Some(a) = assumed {
        let saved = a.node_cost_now as i128 - a.node_cost as i128;
        let _ = writeln!(
            out,
            "\nWhat if all were rebuilt on {}: node cost {} instead of {} ({} {}; an estimate: the base once, plus each image's files the base does not hold)",
            esc(&a.base),
            hs(a.node_cost),
            hs(a.node_cost_now),
            hs(saved.unsigned_abs() as u64),
            if saved >= 0 { "saved" } else { "more" }
        );
    }
    let mut any_trim = false;
    for (i, cats) in set.set_trim.iter().enumerate() {
        let cats: Vec<_> = cats.iter().filter(|c| c.bytes > 0).collect();
        if cats.is_empty() {
            continue;
        }
        if !any_trim {
            let _ = writeln!(
                out,
                "\nTrim candidates (own layers: saved per image; shared: once per node)"
            );
            any_trim = true;
        }
        let _ = writeln!(out, "  {}: {}", name(i), candidate_line(&cats));
    }
    out
}

/// An image's four largest trim-candidate categories on one line, split by shared and own layers:
/// `docs 8.8 KiB (8.8 KiB own, 0 B shared); …`.
pub fn candidate_line(cats: &[&crate::analysis::set::SetTrim]) -> String {
    cats.iter()
        .take(4)
        .map(|c| {
            format!(
                "{} {} ({} own, {} shared)",
                c.category.key(),
                hs(c.bytes),
                hs(c.unique_bytes),
                hs(c.shared_bytes)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

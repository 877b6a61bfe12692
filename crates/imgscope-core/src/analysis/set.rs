//! The analysis of a set of images, computed once and read by the JSON report, the text summary
//! and the viewer: layer sharing ([`super::sharing`]), identical content outside shared layers,
//! each image's trim candidates ([`super::trim`]) with the bytes split by whether the layer
//! holding them is shared, and the trim plan ([`super::plan`]) that ranks what to do about it.

use super::Analysis;
use super::plan::{self, Plan, Worth};
use super::sharing::{self, ContentSharing, ImageFacts, LayerFacts, Sharing};
use super::trim::{self, CategoryTotal};
use crate::model::{EntryKind, Image};

/// One image's trim candidates in the set: per category, the bytes in layers other images also
/// use (saved once per node) and in its own layers (saved per image).
#[derive(Debug, Clone)]
pub struct SetTrim {
    pub category: trim::Category,
    pub bytes: u64,
    pub shared_bytes: u64,
    pub unique_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct SetAnalysis {
    /// The images' display names, in order.
    pub names: Vec<String>,
    pub sharing: Sharing,
    pub content: ContentSharing,
    /// Per image, its trim candidates (the image's own analysis).
    pub trim: Vec<Vec<CategoryTotal>>,
    /// Per image, the same split by shared and unique layers.
    pub set_trim: Vec<Vec<SetTrim>>,
    /// The ranked actions: what trimming, rebasing or deduplicating would save per node.
    pub plan: Plan,
    /// Packages two or more images hold, with where: the package × image matrix.
    pub packages: Vec<SharedPackage>,
}

/// A package (same manager, name and version) that two or more images of the set hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPackage {
    pub manager: &'static str,
    pub name: String,
    pub version: String,
    /// Its bytes (in the first image that holds it).
    pub bytes: u64,
    /// The images that hold it, ascending.
    pub images: Vec<usize>,
    /// The distinct layers (indexes into `sharing.layers`) that installed it in those images.
    pub layers: Vec<usize>,
    /// Bytes a node stores more than once: `bytes × (layers − 1)` — what moving it into one base
    /// layer they share would save.
    pub stored_extra_bytes: u64,
}

/// The package × image matrix: every package two or more images hold, those installed in the
/// most separate layers (the most bytes stored again) first.
pub fn shared_packages(
    images: &[(&Image, Option<&Analysis>)],
    sharing: &Sharing,
) -> Vec<SharedPackage> {
    use std::collections::BTreeMap;
    let mut by_key: BTreeMap<(&'static str, &str, &str), SharedPackage> = BTreeMap::new();
    for (i, (_, analysis)) in images.iter().enumerate() {
        let Some(analysis) = analysis else { continue };
        for p in &analysis.packages.packages {
            let entry = by_key
                .entry((p.manager, p.name.as_str(), p.version.as_str()))
                .or_insert_with(|| SharedPackage {
                    manager: p.manager,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    bytes: p.bytes,
                    images: Vec::new(),
                    layers: Vec::new(),
                    stored_extra_bytes: 0,
                });
            entry.images.push(i);
            if let Some(d) = p.layer.and_then(|l| sharing.image_layers[i].get(l))
                && !entry.layers.contains(d)
            {
                entry.layers.push(*d);
            }
        }
    }
    let mut out: Vec<SharedPackage> = by_key
        .into_values()
        .filter(|p| p.images.len() >= 2)
        .map(|mut p| {
            p.layers.sort_unstable();
            p.stored_extra_bytes = p.bytes * (p.layers.len().max(1) as u64 - 1);
            p
        })
        .collect();
    out.sort_by(|a, b| {
        b.stored_extra_bytes
            .cmp(&a.stored_extra_bytes)
            .then(b.bytes.cmp(&a.bytes))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// What the sharing analysis needs of an image; `analysis` is `None` for a layers-only image.
pub fn facts(image: &Image, analysis: Option<&Analysis>) -> ImageFacts {
    ImageFacts {
        name: image.display_name().to_string(),
        layers: image
            .layers
            .iter()
            .map(|l| LayerFacts {
                // What the layer was found to hold, where it was read: a config may claim any
                // diff_id (layers only: the claim is all there is).
                diff_id: l.content_diff_id.clone().or_else(|| l.diff_id.clone()),
                digest: l.digest.clone(),
                compressed: l.compressed_size,
                size: analysis.map(|_| l.size),
                reclaimable: analysis.map(|a| a.waste.per_layer.get(l.index).copied().unwrap_or(0)),
                created_by: l.command().to_string(),
            })
            .collect(),
    }
}

/// Visible regular files as (content hash, size, layer that wrote them).
pub fn visible_files(image: &Image) -> Vec<(crate::model::ContentHash, u64, usize)> {
    let tree = &image.tree;
    tree.non_root_ids()
        .filter_map(|n| {
            let v = tree.live_final(n)?;
            (v.kind == EntryKind::File && v.size > 0)
                .then(|| tree.hash(v).map(|h| (h, v.size, v.layer as usize)))
                .flatten()
        })
        .collect()
}

/// Analyze a set; `images[i].1` is `None` for images read in layers-only mode.
pub fn analyze(images: &[(&Image, Option<&Analysis>)], worth: Worth) -> SetAnalysis {
    let facts: Vec<ImageFacts> = images.iter().map(|(i, a)| facts(i, *a)).collect();
    let mut sharing = sharing::analyze(&facts);
    let plan = plan::build(images, &sharing, worth);
    let names: Vec<String> = facts.iter().map(|f| f.name.clone()).collect();
    for (i, image) in sharing.images.iter_mut().enumerate() {
        if images[i].1.is_some() {
            image.verdict = plan.verdict_named(i, &names);
        }
    }
    // Content shared between images needs two of them.
    let content = if images.len() >= 2 {
        let files: Vec<_> = images.iter().map(|(i, _)| visible_files(i)).collect();
        sharing::content_sharing(&sharing, &files)
    } else {
        ContentSharing {
            per_image: vec![0; images.len()],
            ..Default::default()
        }
    };
    let trim: Vec<Vec<CategoryTotal>> = images
        .iter()
        .map(|(i, a)| {
            if a.is_some() {
                trim::candidates(&i.tree)
            } else {
                Vec::new()
            }
        })
        .collect();
    let set_trim = trim
        .iter()
        .enumerate()
        .map(|(i, cats)| {
            cats.iter()
                .map(|c| {
                    let mut t = SetTrim {
                        category: c.category,
                        bytes: c.bytes,
                        shared_bytes: 0,
                        unique_bytes: 0,
                    };
                    for &(layer, bytes) in &c.by_layer {
                        let id = sharing.image_layers[i][layer];
                        if sharing.layers[id].users.len() > 1 {
                            t.shared_bytes += bytes;
                        } else {
                            t.unique_bytes += bytes;
                        }
                    }
                    t
                })
                .collect()
        })
        .collect();
    let packages = if images.len() >= 2 {
        shared_packages(images, &sharing)
    } else {
        Vec::new()
    };
    SetAnalysis {
        names: facts.iter().map(|f| f.name.clone()).collect(),
        sharing,
        content,
        trim,
        set_trim,
        plan,
        packages,
    }
}

/// What-if: the set rebuilt on one common base image.
#[derive(Debug, Clone)]
pub struct AssumedBase {
    pub base: String,
    /// Uncompressed node cost now (every distinct layer once).
    pub node_cost_now: u64,
    /// Estimated: the base once, plus each image's visible files whose content the base does
    /// not already hold.
    pub node_cost: u64,
    /// Per image: the bytes it would still add on top of the base.
    pub per_image: Vec<u64>,
}

/// Estimate the set's node cost if every image were rebuilt on `base` (all hashed).
pub fn assume_base(set: &SetAnalysis, images: &[&Image], base: &Image) -> AssumedBase {
    let in_base: hashbrown::HashSet<(crate::model::ContentHash, u64)> = visible_files(base)
        .into_iter()
        .map(|(h, s, _)| (h, s))
        .collect();
    let per_image: Vec<u64> = images
        .iter()
        .map(|image| {
            let tree = &image.tree;
            tree.non_root_ids()
                .filter_map(|n| tree.live_final(n))
                .filter(|v| v.kind == EntryKind::File && v.size > 0)
                .filter(|v| tree.hash(v).is_none_or(|h| !in_base.contains(&(h, v.size))))
                .map(|v| v.size)
                .sum()
        })
        .collect();
    AssumedBase {
        base: base.display_name().to_string(),
        node_cost_now: set.sharing.node_cost.size.unwrap_or(0),
        node_cost: base.tree.subtree_sizes(None)[0] + per_image.iter().sum::<u64>(),
        per_image,
    }
}

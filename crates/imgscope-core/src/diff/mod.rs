//! What changed between two images: per layer (matched by diff_id, then by position and command),
//! per directory and per file of the final filesystems, the totals, and the reclaimable bytes the
//! new image introduced. Pure computation over two analyzed images, like `analysis`: no I/O. The
//! text, JSON and Markdown reports print an [`ImageDiff`]; a viewer can mark its tree with
//! [`ImageDiff::by_new_node`] and list removals through `old_node`.

pub mod plan;

use std::cmp::Reverse;

use hashbrown::HashMap;

use crate::analysis::Analysis;
use crate::model::{EntryKind, FileTree, Image, NodeId, ROOT, Version};

/// One analyzed image of the pair.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub image: &'a Image,
    pub analysis: &'a Analysis,
}

/// A quantity in the old and the new image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    pub old: u64,
    pub new: u64,
}

impl Delta {
    pub fn new(old: u64, new: u64) -> Delta {
        Delta { old, new }
    }

    /// `new − old`, saturated to the `i64` range.
    pub fn delta(&self) -> i64 {
        let d = i128::from(self.new) - i128::from(self.old);
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// How a layer, directory or file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Only in the new image.
    Added,
    /// Only in the old image.
    Removed,
    /// In both, bigger in the new one.
    Grown,
    /// In both, smaller in the new one.
    Shrunk,
    /// In both, the same size but different content, type, link target, mode or owner (for a
    /// directory: entries below it changed without changing its total).
    Modified,
    /// A layer whose content has the same diff_id in both images (as read, not as claimed).
    Unchanged,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Grown => "grown",
            ChangeKind::Shrunk => "shrunk",
            ChangeKind::Modified => "modified",
            ChangeKind::Unchanged => "unchanged",
        }
    }

    /// Grown, shrunk or modified, by the sizes and whether anything else differs.
    fn of(size: Delta, differs: bool) -> Option<ChangeKind> {
        match size.new.cmp(&size.old) {
            std::cmp::Ordering::Greater => Some(ChangeKind::Grown),
            std::cmp::Ordering::Less => Some(ChangeKind::Shrunk),
            std::cmp::Ordering::Equal if differs => Some(ChangeKind::Modified),
            std::cmp::Ordering::Equal => None,
        }
    }
}

/// How a new layer was paired with an old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerMatch {
    /// The same uncompressed content.
    DiffId,
    /// The same index and the same history command.
    PositionAndCommand,
    /// The same command at another index (a step was inserted or removed before it).
    Command,
    /// The same index, another command.
    Position,
}

impl LayerMatch {
    pub fn label(self) -> &'static str {
        match self {
            LayerMatch::DiffId => "diff_id",
            LayerMatch::PositionAndCommand => "position+command",
            LayerMatch::Command => "command",
            LayerMatch::Position => "position",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDiff {
    pub change: ChangeKind,
    /// Index in the old image.
    pub old: Option<usize>,
    /// Index in the new image.
    pub new: Option<usize>,
    pub matched_by: Option<LayerMatch>,
    pub size: Delta,
    pub compressed: Delta,
    /// Reclaimable bytes stored in the layer.
    pub reclaimable: Delta,
}

/// A non-directory entry (file, link, device) that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    pub change: ChangeKind,
    pub old_kind: Option<EntryKind>,
    pub new_kind: Option<EntryKind>,
    pub old_node: Option<NodeId>,
    pub new_node: Option<NodeId>,
    /// Regular-file bytes (0 for links and devices).
    pub size: Delta,
    /// The layer that wrote the entry: in the new image, or in the old one for a removal.
    pub layer: Option<usize>,
}

/// A directory whose total changed, that was added or removed, or with changes below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirDiff {
    pub path: String,
    pub change: ChangeKind,
    pub old_node: Option<NodeId>,
    pub new_node: Option<NodeId>,
    /// Bytes of the regular files below it.
    pub size: Delta,
    /// Non-directory entries below it that were added, removed or changed.
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// Reclaimable bytes at one path in both images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReclaimableChange {
    pub path: String,
    pub bytes: Delta,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReclaimableDiff {
    pub total: Delta,
    /// Σ over paths of the reclaimable bytes the new image has beyond the old one's at that path:
    /// the waste this change introduced.
    pub introduced_bytes: u64,
    /// Σ over paths of the reclaimable bytes the old image had beyond the new one's: waste fixed.
    pub resolved_bytes: u64,
    /// Paths with more reclaimable bytes in the new image, most first.
    pub introduced: Vec<ReclaimableChange>,
    /// Paths with fewer reclaimable bytes in the new image, most first.
    pub resolved: Vec<ReclaimableChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageDiff {
    /// Uncompressed size (sum of regular-file sizes over the layers).
    pub size: Delta,
    pub compressed: Delta,
    pub layer_count: Delta,
    /// Visible non-directory entries of the final filesystem.
    pub file_count: Delta,
    /// dive's efficiency score, old and new.
    pub efficiency: (f64, f64),
    /// Every layer of both images, by impact (largest size change first).
    pub layers: Vec<LayerDiff>,
    /// Changed directories, by impact.
    pub dirs: Vec<DirDiff>,
    /// Changed files, links and devices, by impact.
    pub files: Vec<FileDiff>,
    pub reclaimable: ReclaimableDiff,
    /// Packages added, removed, upgraded or changed in bytes, by impact.
    pub packages: Vec<PackageDiff>,
    /// Whether both images were hashed: without hashes a same-size content change goes unseen.
    pub hashed: bool,
    /// What the change does to the trim plan (each image's plan built alone).
    pub plan: plan::PlanDiff,
    /// What a node holding OLD pulls to run NEW.
    pub pull: plan::PullDiff,
}

/// How a package differs between the two images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageChange {
    Added,
    Removed,
    /// Another version (not ordered: dpkg and apk version orders are not compared here).
    VersionChanged,
    /// The same version, other bytes (files removed or added by hand, a rebuilt package).
    BytesChanged,
}

impl PackageChange {
    pub fn label(self) -> &'static str {
        match self {
            PackageChange::Added => "added",
            PackageChange::Removed => "removed",
            PackageChange::VersionChanged => "upgraded",
            PackageChange::BytesChanged => "changed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDiff {
    pub manager: &'static str,
    pub name: String,
    pub change: PackageChange,
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub bytes: Delta,
}

impl ImageDiff {
    /// Files of a given change kind.
    pub fn file_count_of(&self, change: ChangeKind) -> usize {
        self.files.iter().filter(|f| f.change == change).count()
    }

    /// Layers of a given change kind.
    pub fn layer_count_of(&self, change: ChangeKind) -> usize {
        self.layers.iter().filter(|l| l.change == change).count()
    }

    /// The change at every node of the new image's tree (files and directories) that changed.
    pub fn by_new_node(&self) -> HashMap<NodeId, ChangeKind> {
        let dirs = self
            .dirs
            .iter()
            .filter_map(|d| Some((d.new_node?, d.change)));
        let files = self
            .files
            .iter()
            .filter_map(|f| Some((f.new_node?, f.change)));
        dirs.chain(files).collect()
    }
}

/// Compare two analyzed images.
pub fn diff(old: Side<'_>, new: Side<'_>) -> ImageDiff {
    let (files, dirs) = walk(old, new);
    let layers = layers(old, new);
    let worth = crate::analysis::plan::Worth::default();
    let plan = plan::compare(
        &plan::plan_of(old, worth),
        &plan::plan_of(new, worth),
        &layers,
    );
    ImageDiff {
        size: Delta::new(old.image.size(), new.image.size()),
        compressed: Delta::new(old.image.compressed_size(), new.image.compressed_size()),
        layer_count: Delta::new(old.image.layers.len() as u64, new.image.layers.len() as u64),
        file_count: Delta::new(old.analysis.file_count, new.analysis.file_count),
        efficiency: (old.analysis.efficiency.score, new.analysis.efficiency.score),
        layers,
        dirs,
        files,
        reclaimable: reclaimable(old, new),
        packages: packages(old, new),
        hashed: old.analysis.duplicates.hashed && new.analysis.duplicates.hashed,
        plan,
        pull: plan::pull(old.image, new.image),
    }
}

/// Packages by (manager, name, architecture): what was added, removed, upgraded, or changed in
/// bytes, largest byte change first.
fn packages(old: Side<'_>, new: Side<'_>) -> Vec<PackageDiff> {
    use std::collections::BTreeMap;
    type Key<'k> = (&'static str, &'k str, Option<&'k str>);
    fn index<'s>(side: Side<'s>) -> BTreeMap<Key<'s>, (&'s str, u64)> {
        side.analysis
            .packages
            .packages
            .iter()
            .map(|p| {
                (
                    (p.manager, p.name.as_str(), p.architecture.as_deref()),
                    (p.version.as_str(), p.bytes),
                )
            })
            .collect()
    }
    let (o, n) = (index(old), index(new));
    let mut out: Vec<PackageDiff> = Vec::new();
    for (key, &(ov, ob)) in &o {
        let (change, new_version, nb) = match n.get(key) {
            None => (PackageChange::Removed, None, 0),
            Some(&(nv, nb)) if nv != ov => (PackageChange::VersionChanged, Some(nv), nb),
            Some(&(nv, nb)) if nb != ob => (PackageChange::BytesChanged, Some(nv), nb),
            Some(_) => continue,
        };
        out.push(PackageDiff {
            manager: key.0,
            name: key.1.to_string(),
            change,
            old_version: Some(ov.to_string()),
            new_version: new_version.map(str::to_string),
            bytes: Delta::new(ob, nb),
        });
    }
    for (key, &(nv, nb)) in &n {
        if !o.contains_key(key) {
            out.push(PackageDiff {
                manager: key.0,
                name: key.1.to_string(),
                change: PackageChange::Added,
                old_version: None,
                new_version: Some(nv.to_string()),
                bytes: Delta::new(0, nb),
            });
        }
    }
    out.sort_by(|a, b| {
        impact(a.bytes.delta())
            .cmp(&impact(b.bytes.delta()))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// Sort key: the largest absolute change first, then additions before removals before growth…,
/// then by path.
fn impact(delta: i64) -> Reverse<u64> {
    Reverse(delta.unsigned_abs())
}

fn layers(old: Side<'_>, new: Side<'_>) -> Vec<LayerDiff> {
    let (ol, nl) = (&old.image.layers, &new.image.layers);
    let mut old_used = vec![false; ol.len()];
    let mut matched: Vec<Option<(usize, LayerMatch)>> = vec![None; nl.len()];
    let mut pair = |matched: &mut Vec<Option<(usize, LayerMatch)>>,
                    how: LayerMatch,
                    accept: &dyn Fn(usize, usize) -> bool| {
        for (n, slot) in matched.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            if let Some(o) = (0..ol.len()).find(|&o| !old_used[o] && accept(o, n)) {
                old_used[o] = true;
                *slot = Some((o, how));
            }
        }
    };
    // Only the diff_id each layer's content was found to have: a config may claim any.
    pair(&mut matched, LayerMatch::DiffId, &|o, n| {
        ol[o].content_diff_id.is_some() && ol[o].content_diff_id == nl[n].content_diff_id
    });
    pair(&mut matched, LayerMatch::PositionAndCommand, &|o, n| {
        o == n && ol[o].command() == nl[n].command()
    });
    pair(&mut matched, LayerMatch::Command, &|o, n| {
        !nl[n].command().is_empty() && ol[o].command() == nl[n].command()
    });
    pair(&mut matched, LayerMatch::Position, &|o, n| o == n);

    let per_layer =
        |side: Side<'_>, i: usize| side.analysis.waste.per_layer.get(i).copied().unwrap_or(0);
    let mut out = Vec::with_capacity(ol.len().max(nl.len()));
    for (n, m) in matched.iter().enumerate() {
        let (o, how) = match m {
            Some((o, how)) => (Some(*o), Some(*how)),
            None => (None, None),
        };
        let size = Delta::new(o.map_or(0, |o| ol[o].size), nl[n].size);
        let compressed = Delta::new(
            o.map_or(0, |o| ol[o].compressed_size),
            nl[n].compressed_size,
        );
        let change = match how {
            None => ChangeKind::Added,
            Some(LayerMatch::DiffId) => ChangeKind::Unchanged,
            // Matched by step, different content: the same size still means changed bytes.
            Some(_) => ChangeKind::of(size, true).unwrap_or(ChangeKind::Modified),
        };
        out.push(LayerDiff {
            change,
            old: o,
            new: Some(n),
            matched_by: how,
            size,
            compressed,
            reclaimable: Delta::new(o.map_or(0, |o| per_layer(old, o)), per_layer(new, n)),
        });
    }
    for (o, used) in old_used.iter().enumerate() {
        if !used {
            out.push(LayerDiff {
                change: ChangeKind::Removed,
                old: Some(o),
                new: None,
                matched_by: None,
                size: Delta::new(ol[o].size, 0),
                compressed: Delta::new(ol[o].compressed_size, 0),
                reclaimable: Delta::new(per_layer(old, o), 0),
            });
        }
    }
    out.sort_by_key(|l| {
        (
            impact(l.size.delta()),
            impact(l.compressed.delta()),
            l.change == ChangeKind::Unchanged,
            l.new.unwrap_or(usize::MAX),
            l.old.unwrap_or(usize::MAX),
        )
    });
    out
}

/// Regular-file bytes of a version (0 for links, devices, directories).
fn file_bytes(v: &Version) -> u64 {
    if v.kind == EntryKind::File { v.size } else { 0 }
}

/// Whether two versions of one path differ in anything but their mtime.
fn versions_differ(ot: &FileTree, o: &Version, nt: &FileTree, n: &Version) -> bool {
    o.kind != n.kind
        || o.size != n.size
        || (o.mode & 0o7777) != (n.mode & 0o7777)
        || ot.owner(o) != nt.owner(n)
        || matches!((ot.hash(o), nt.hash(n)), (Some(a), Some(b)) if a != b)
        || ot.link_target(o) != nt.link_target(n)
}

/// A directory of the walk: its nodes, its parent's index, the counts of changes directly in it.
struct DirRecord {
    old: Option<NodeId>,
    new: Option<NodeId>,
    parent: usize,
    added: u64,
    removed: u64,
    changed: u64,
}

/// Walk both final filesystems together, matching paths by name level by level (children are
/// sorted by name in both arenas), with an explicit stack: paths can be thousands deep.
fn walk(old: Side<'_>, new: Side<'_>) -> (Vec<FileDiff>, Vec<DirDiff>) {
    let (ot, nt) = (&old.image.tree, &new.image.tree);
    let mut files = Vec::new();
    let mut dirs = vec![DirRecord {
        old: Some(ROOT),
        new: Some(ROOT),
        parent: usize::MAX,
        added: 0,
        removed: 0,
        changed: 0,
    }];
    let mut stack: Vec<(Option<NodeId>, Option<NodeId>, usize)> = Vec::new();
    push_children(ot, nt, Some(ROOT), Some(ROOT), 0, &mut stack);
    while let Some((o, n, parent)) = stack.pop() {
        let ov = o.and_then(|o| ot.live_final(o));
        let nv = n.and_then(|n| nt.live_final(n));
        let o_dir = ov.is_some_and(|v| v.kind == EntryKind::Dir);
        let n_dir = nv.is_some_and(|v| v.kind == EntryKind::Dir);
        let o_leaf = ov.filter(|v| v.kind != EntryKind::Dir);
        let n_leaf = nv.filter(|v| v.kind != EntryKind::Dir);
        if o_leaf.is_some() || n_leaf.is_some() {
            let size = Delta::new(o_leaf.map_or(0, file_bytes), n_leaf.map_or(0, file_bytes));
            let change = match (o_leaf, n_leaf) {
                (None, Some(_)) => Some(ChangeKind::Added),
                (Some(_), None) => Some(ChangeKind::Removed),
                (Some(a), Some(b)) => ChangeKind::of(size, versions_differ(ot, a, nt, b)),
                (None, None) => None,
            };
            if let Some(change) = change {
                let d = &mut dirs[parent];
                match change {
                    ChangeKind::Added => d.added += 1,
                    ChangeKind::Removed => d.removed += 1,
                    _ => d.changed += 1,
                }
                let (old_node, new_node) = (
                    o.filter(|_| o_leaf.is_some()),
                    n.filter(|_| n_leaf.is_some()),
                );
                let path = match new_node {
                    Some(n) => nt.path(n),
                    None => ot.path(o.unwrap_or(ROOT)),
                };
                files.push(FileDiff {
                    path,
                    change,
                    old_kind: o_leaf.map(|v| v.kind),
                    new_kind: n_leaf.map(|v| v.kind),
                    old_node,
                    new_node,
                    size,
                    layer: n_leaf.or(o_leaf).map(|v| v.layer as usize),
                });
            }
        }
        if o_dir || n_dir {
            let (od, nd) = (o.filter(|_| o_dir), n.filter(|_| n_dir));
            dirs.push(DirRecord {
                old: od,
                new: nd,
                parent,
                added: 0,
                removed: 0,
                changed: 0,
            });
            let index = dirs.len() - 1;
            push_children(ot, nt, od, nd, index, &mut stack);
        }
    }
    // Parents come before their children: add each directory's counts into its parent.
    for i in (1..dirs.len()).rev() {
        let (a, r, c, p) = (
            dirs[i].added,
            dirs[i].removed,
            dirs[i].changed,
            dirs[i].parent,
        );
        dirs[p].added += a;
        dirs[p].removed += r;
        dirs[p].changed += c;
    }
    let mut out = Vec::new();
    for d in dirs.iter().skip(1) {
        let size = Delta::new(
            d.old.map_or(0, |o| old.analysis.sizes[o.index()]),
            d.new.map_or(0, |n| new.analysis.sizes[n.index()]),
        );
        let below = d.added + d.removed + d.changed;
        let change = match (d.old, d.new) {
            (None, _) => Some(ChangeKind::Added),
            (_, None) => Some(ChangeKind::Removed),
            _ => ChangeKind::of(size, below > 0),
        };
        let Some(change) = change else { continue };
        let path = match d.new {
            Some(n) => nt.path(n),
            None => ot.path(d.old.unwrap_or(ROOT)),
        };
        out.push(DirDiff {
            path,
            change,
            old_node: d.old,
            new_node: d.new,
            size,
            added: d.added,
            removed: d.removed,
            changed: d.changed,
        });
    }
    files.sort_by(|a, b| {
        (impact(a.size.delta()), a.change, &a.path).cmp(&(
            impact(b.size.delta()),
            b.change,
            &b.path,
        ))
    });
    out.sort_by(|a, b| {
        (impact(a.size.delta()), a.change, &a.path).cmp(&(
            impact(b.size.delta()),
            b.change,
            &b.path,
        ))
    });
    (files, out)
}

/// Pair the children of `o` (old tree) and `n` (new tree) by name.
fn push_children(
    ot: &FileTree,
    nt: &FileTree,
    o: Option<NodeId>,
    n: Option<NodeId>,
    parent: usize,
    stack: &mut Vec<(Option<NodeId>, Option<NodeId>, usize)>,
) {
    let oc = o.map_or(&[][..], |o| ot.children(o));
    let nc = n.map_or(&[][..], |n| nt.children(n));
    let (mut i, mut j) = (0, 0);
    while i < oc.len() || j < nc.len() {
        let ord = match (oc.get(i), nc.get(j)) {
            (Some(&a), Some(&b)) => ot.name(a).cmp(nt.name(b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                stack.push((Some(oc[i]), None, parent));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                stack.push((None, Some(nc[j]), parent));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                stack.push((Some(oc[i]), Some(nc[j]), parent));
                i += 1;
                j += 1;
            }
        }
    }
}

fn reclaimable(old: Side<'_>, new: Side<'_>) -> ReclaimableDiff {
    let by_path = |side: Side<'_>| -> HashMap<String, u64> {
        side.analysis
            .waste
            .paths
            .iter()
            .map(|p| (side.image.tree.path(p.node), p.bytes))
            .collect()
    };
    let (o, n) = (by_path(old), by_path(new));
    let mut introduced: Vec<ReclaimableChange> = n
        .iter()
        .filter(|(path, bytes)| **bytes > o.get(*path).copied().unwrap_or(0))
        .map(|(path, bytes)| ReclaimableChange {
            path: path.clone(),
            bytes: Delta::new(o.get(path).copied().unwrap_or(0), *bytes),
        })
        .collect();
    let mut resolved: Vec<ReclaimableChange> = o
        .iter()
        .filter(|(path, bytes)| **bytes > n.get(*path).copied().unwrap_or(0))
        .map(|(path, bytes)| ReclaimableChange {
            path: path.clone(),
            bytes: Delta::new(*bytes, n.get(path).copied().unwrap_or(0)),
        })
        .collect();
    for list in [&mut introduced, &mut resolved] {
        list.sort_by(|a, b| {
            (impact(a.bytes.delta()), &a.path).cmp(&(impact(b.bytes.delta()), &b.path))
        });
    }
    ReclaimableDiff {
        total: Delta::new(
            old.analysis.waste.reclaimable_bytes,
            new.analysis.waste.reclaimable_bytes,
        ),
        introduced_bytes: introduced
            .iter()
            .map(|c| c.bytes.delta().unsigned_abs())
            .sum(),
        resolved_bytes: resolved
            .iter()
            .map(|c| c.bytes.delta().unsigned_abs())
            .sum(),
        introduced,
        resolved,
    }
}

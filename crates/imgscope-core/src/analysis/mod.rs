//! What the numbers mean: merging layers into a tree, reclaimable bytes, dive's efficiency,
//! duplicate content, the largest files and directories. Pure computation over the model: no I/O,
//! no terminal. The JSON report, the text summary and the TUI all read one [`Analysis`].

pub mod base;
pub mod closure;
pub mod duplicates;
pub mod efficiency;
pub mod ignore;
pub mod ld_so_conf;
pub mod merge;
pub mod plan;
pub mod releases;
pub mod role;
pub mod set;
pub mod sharing;
pub mod slim;
pub mod trim;
pub mod waste;

use crate::model::{EntryKind, Image, NodeId};

pub use duplicates::{DuplicateGroup, Duplicates};
pub use efficiency::{DiveEfficiency, DiveLedger};
pub use merge::Merger;
pub use waste::{HiddenCopy, ReclaimablePath, Waste};

/// How many of the largest files and directories are kept for reports.
pub const TOP_N: usize = 100;

#[derive(Debug, Clone)]
pub struct Analysis {
    pub efficiency: DiveEfficiency,
    pub waste: Waste,
    pub duplicates: Duplicates,
    /// Final-filesystem size of every node (directories: total of their live descendants).
    pub sizes: Vec<u64>,
    /// Visible entries in the final filesystem that are not directories.
    pub file_count: u64,
    pub regular_file_count: u64,
    pub dir_count: u64,
    /// Largest visible regular files, biggest first.
    pub largest_files: Vec<NodeId>,
    /// Largest directories (depth 1 to 3), biggest first.
    pub largest_dirs: Vec<NodeId>,
    /// Read from manifests only (`--layers-only`): no layer was decoded, so everything above but
    /// the layer list is empty, and reports say so rather than print zeros.
    pub layers_only: bool,
    /// Who owns the bytes: packages from the image's own databases.
    pub packages: crate::packages::Packages,
    /// What the entrypoint needs (`None` when the image has no command).
    pub closure: Option<closure::Closure>,
    /// What the image is for (service, interpreted, shell), and why.
    pub role: role::RoleOf,
    /// What a slim image that still runs would keep (`None` for a `shell` image, or when the
    /// closure is not understood).
    pub slim: Option<slim::SlimSet>,
    /// `--ignore-path`: which nodes are set aside (empty: none), and what that took out.
    pub ignored: Vec<bool>,
    pub ignored_summary: IgnoredSummary,
    /// The image's base and which of its layers are inherited (set by the pipeline, which reads
    /// the base; `None` when no base is named).
    pub base: Option<base::BaseLayers>,
}

/// What `--ignore-path` took out of the figures.
#[derive(Debug, Clone, Default)]
pub struct IgnoredSummary {
    pub patterns: Vec<String>,
    /// Visible regular files set aside, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Reclaimable bytes and duplicate savings no longer counted.
    pub reclaimable_bytes: u64,
    pub duplicate_savings_bytes: u64,
}

impl Analysis {
    /// Reclaimable bytes as a share of the image's uncompressed size (0 for an empty image).
    pub fn reclaimable_ratio(&self, image: &Image) -> f64 {
        let size = image.size();
        if size == 0 {
            0.0
        } else {
            self.waste.reclaimable_bytes as f64 / size as f64
        }
    }
}

pub fn analyze(image: &Image, efficiency: DiveEfficiency) -> Analysis {
    analyze_keeping(image, efficiency, &[], &ignore::Ignore::default(), None)
}

/// [`analyze`], with paths the user knows the entrypoint needs (`--keep`) added to its closure,
/// and paths set aside (`--ignore-path`) left out of reclaimable bytes, duplicates and the plan.
pub fn analyze_keeping(
    image: &Image,
    efficiency: DiveEfficiency,
    keep: &[String],
    ignore: &ignore::Ignore,
    role: Option<role::Role>,
) -> Analysis {
    let tree = &image.tree;
    let ignored = ignore.mask(tree);
    let sizes = tree.subtree_sizes(None);
    let mut file_count = 0;
    let mut regular_file_count = 0;
    let mut dir_count = 0;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let mut depth = vec![0u8; tree.node_count()];
    for (id, parent) in tree.parent_links() {
        depth[id.index()] = depth[parent.index()].saturating_add(1);
        let Some(v) = tree.live_final(id) else {
            continue;
        };
        match v.kind {
            EntryKind::Dir => {
                dir_count += 1;
                if depth[id.index()] <= 3 {
                    dirs.push(id);
                }
            }
            EntryKind::File => {
                file_count += 1;
                regular_file_count += 1;
                files.push(id);
            }
            _ => file_count += 1,
        }
    }
    let by_size_desc =
        |a: &NodeId, b: &NodeId| sizes[b.index()].cmp(&sizes[a.index()]).then(a.cmp(b));
    top_n(&mut files, by_size_desc);
    top_n(&mut dirs, by_size_desc);
    let packages = crate::packages::analyze(image);
    let closure = closure::analyze(image, &packages, keep);
    let role = role::of(image, role);
    let slim = slim_set(image, &packages, closure.as_ref(), role.role, keep);
    let waste = waste::reclaimable(tree, image.layers.len(), &ignored);
    let duplicates = duplicates::find(tree, &ignored);
    let mut ignored_summary = IgnoredSummary::default();
    if !ignore.is_empty() {
        let all = duplicates::find(tree, &[]);
        ignored_summary = IgnoredSummary {
            patterns: ignore.patterns().to_vec(),
            reclaimable_bytes: waste.ignored_bytes,
            duplicate_savings_bytes: all.savings_bytes.saturating_sub(duplicates.savings_bytes),
            ..IgnoredSummary::default()
        };
        for id in tree.non_root_ids() {
            if let Some(v) = tree.live_final(id)
                && v.kind == EntryKind::File
                && ignore::ignored(&ignored, id)
            {
                ignored_summary.files += 1;
                ignored_summary.bytes = ignored_summary.bytes.saturating_add(v.size);
            }
        }
    }
    Analysis {
        packages,
        closure,
        role,
        slim,
        efficiency,
        waste,
        duplicates,
        ignored,
        ignored_summary,
        sizes,
        file_count,
        regular_file_count,
        dir_count,
        largest_files: files,
        largest_dirs: dirs,
        layers_only: false,
        base: None,
    }
}

impl Analysis {
    /// The analysis of an image whose layers were not decoded.
    pub fn layers_only(image: &Image) -> Analysis {
        let mut a = analyze(image, DiveEfficiency::default());
        a.layers_only = true;
        a.closure = None;
        a.slim = None;
        a
    }
}

/// The conservative slim set, from a closure that also holds `/bin/sh` (what `system()` and
/// `popen()` run); only for an image whose static closure is understood and complete.
fn slim_set(
    image: &Image,
    packages: &crate::packages::Packages,
    closure: Option<&closure::Closure>,
    role: role::Role,
    keep: &[String],
) -> Option<slim::SlimSet> {
    let closure = closure.filter(|c| c.understood && c.unresolved.is_empty() && !c.exhausted)?;
    if role == role::Role::Shell {
        return None;
    }
    let mut roots: Vec<String> = keep.to_vec();
    if crate::model::resolve::resolve_file(&image.tree, "/bin/sh", usize::MAX).is_some() {
        roots.push("/bin/sh".into());
    }
    let wide = closure::analyze(image, packages, &roots);
    slim::conservative(image, packages, wide.as_ref().unwrap_or(closure), role)
}

fn top_n(items: &mut Vec<NodeId>, cmp: impl Fn(&NodeId, &NodeId) -> std::cmp::Ordering) {
    if items.len() > TOP_N {
        items.select_nth_unstable_by(TOP_N - 1, &cmp);
        items.truncate(TOP_N);
    }
    items.sort_by(cmp);
}

//! The trim plan: the answer to "is trimming worth it?" for a set of images (one image is a set of
//! one), as a ranked list of actions priced in what a node pays.
//!
//! Every figure is per distinct layer, because a node stores each distinct layer once: removing a
//! file from a layer that 300 images share saves its bytes once per node, not 300 times. The
//! actions:
//!
//! - `rebase`: a layer (or a run of layers) of some images whose files are, by content (BLAKE3 and
//!   size), mostly ([`REBASE_MIN_SHARE`] of its bytes) the same as files that other images hold in
//!   other layers — a copy of a base under another digest. Building those images on the layers the
//!   others already use lets a node store that content once. Of two layers that copy each other,
//!   the one fewer images use (or, with as many users, the one that appears later in the set) is
//!   the one to rebuild. The copied layer must also be mostly ([`REBASE_MIN_COVERAGE`]) in the
//!   copy, so that a small image made of a few files of a fat base is not told to grow into it.
//! - `trim`: in one layer, the files a runtime rarely needs (the categories of [`super::trim`]) and
//!   the files that every image using the layer hides under a later layer.
//! - `dedup`: files of one image with the same content as another of its files in an earlier (or
//!   the same) layer; all copies but one are the saving.
//! - `slim`: an image whose entrypoint's static runtime closure ([`super::closure`]) is a small
//!   part of it: rebuilt as that closure alone, the node drops the rest of its own layers (the
//!   layers it shares stay for the other images, and the closure files they hold are copied in:
//!   that much is subtracted).
//!
//! Each action claims the files it would remove, as (distinct layer, path). Actions may overlap (a
//! trim inside a layer a rebase removes, a duplicate that is also a cache file); the plan's totals
//! count each claimed file once.
//!
//! Every action has a [`Risk`]: `safe` (nothing that runs can need it: package-manager caches and
//! indexes, temp files, files hidden by later layers, extra copies of identical files), `rebuild`
//! (a Dockerfile change that keeps what runs: a rebase; docs, man pages, locales, debug symbols,
//! VCS directories) or `risky` (may remove something the program needs: a slim image; toolchains,
//! headers, tests, bytecode caches). A trim of one layer is split into one action per risk. The
//! ranking weighs each saving by its risk ([`Risk::weight`]): a safe action is never ranked below a
//! risky one that saves less than four times as much. What an image is for
//! ([`super::role`]) decides what is offered: a `shell` image (a base, a toolbox, a builder) gets no
//! slim and no toolchain or header trim — its toolchain is its purpose. Nothing here does I/O.

use hashbrown::{HashMap, HashSet};

use super::Analysis;
use super::role::Role;
use super::sharing::Sharing;
use super::trim::{self, Category};
use crate::model::{ContentHash, EntryKind, FileTree, Image, NodeId};

/// A layer copies another when at least this share of its bytes is content the other holds...
pub const REBASE_MIN_SHARE: f64 = 0.8;

/// ...and at least this share of the other layer's bytes is in it: a slim image that took a few
/// files of a fat base is not a copy of that base (rebuilding it on the base would grow it).
pub const REBASE_MIN_COVERAGE: f64 = 0.5;

/// Largest paths kept per action, for reports and the viewer.
pub const TOP_PATHS: usize = 10;

/// When an action is worth doing: it must save at least `min_bytes` and at least `min_share` of
/// the set's node cost. Both thresholds apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Worth {
    pub min_bytes: u64,
    /// A fraction (0.05 = 5 %).
    pub min_share: f64,
}

impl Default for Worth {
    fn default() -> Self {
        Worth {
            min_bytes: 1 << 20,
            min_share: 0.05,
        }
    }
}

impl Worth {
    /// Which threshold a saving misses, in words ("below 1.0 MiB"), or `None` when it is worth it.
    pub fn shortfall(&self, bytes: u64, share: f64) -> Option<String> {
        let small = bytes < self.min_bytes;
        let thin = share < self.min_share;
        match (small, thin) {
            (false, false) => None,
            (true, false) => Some(format!("below {}", crate::text::human_size(self.min_bytes))),
            (false, true) => Some(format!(
                "below {} of the node cost",
                crate::text::rough_percent(self.min_share)
            )),
            (true, true) => Some(format!("below {}", self.describe())),
        }
    }

    /// The thresholds in words, for reports.
    pub fn describe(&self) -> String {
        format!(
            "at least {} and {} of the node cost",
            crate::text::human_size(self.min_bytes),
            crate::text::rough_percent(self.min_share)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    Rebase,
    Slim,
    Trim,
    Dedup,
    /// A layer of a release series rebuilt on most releases for content the previous release
    /// already had ([`super::releases`]): priced per release, not in what a node stores.
    Stabilize,
}

/// How sure the plan is that following an action keeps the image doing its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Risk {
    /// Nothing that runs can need what it removes.
    Safe,
    /// A Dockerfile change that keeps what runs.
    Rebuild,
    /// May remove something the program needs: test the result.
    Risky,
}

impl Risk {
    pub const ALL: [Risk; 3] = [Risk::Safe, Risk::Rebuild, Risk::Risky];

    pub fn key(self) -> &'static str {
        match self {
            Risk::Safe => "safe",
            Risk::Rebuild => "rebuild",
            Risk::Risky => "risky",
        }
    }

    pub fn parse(word: &str) -> Option<Risk> {
        Risk::ALL.into_iter().find(|r| r.key() == word)
    }

    /// What a byte this action saves counts for in the ranking: a safe byte 1, a rebuild byte ½,
    /// a risky byte ¼.
    pub fn weight(self) -> f64 {
        match self {
            Risk::Safe => 1.0,
            Risk::Rebuild => 0.5,
            Risk::Risky => 0.25,
        }
    }

    /// The risk of removing files of a trim category.
    pub fn of_category(category: Category) -> Risk {
        match category {
            Category::PackageCache | Category::Temp => Risk::Safe,
            Category::Docs | Category::DebugSymbols | Category::Vcs => Risk::Rebuild,
            Category::Headers
            | Category::Toolchain
            | Category::PythonBytecode
            | Category::Tests => Risk::Risky,
        }
    }
}

/// What the actions of one risk save together, each file counted once, and what all the actions
/// up to that risk save (safe; safe and rebuild; all).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskTotals {
    pub risk: Risk,
    pub actions: usize,
    pub node_saving: u64,
    pub pull_saving: u64,
    pub cumulative_node_saving: u64,
    pub cumulative_pull_saving: u64,
}

impl ActionKind {
    pub fn key(self) -> &'static str {
        match self {
            ActionKind::Rebase => "rebase",
            ActionKind::Trim => "trim",
            ActionKind::Dedup => "dedup",
            ActionKind::Slim => "slim",
            ActionKind::Stabilize => "stabilize",
        }
    }
}

/// What an action is about, beyond its savings.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    Rebase {
        /// The image whose layers already hold the content.
        onto: usize,
        /// The base group (index into [`Sharing::bases`]) those layers belong to, if any.
        onto_base: Option<usize>,
        /// Its layers that hold the content (distinct layer ids).
        onto_layers: Vec<usize>,
        /// Regular-file bytes of the layers to rebuild.
        layer_bytes: u64,
        /// Of those, the files an image needs (visible, not package-manager caches)...
        essential_bytes: u64,
        /// ...and of these, the bytes and files whose content other layers already hold.
        matched_bytes: u64,
        matched_files: u64,
    },
    Trim {
        /// Bytes every image that uses the layer hides under later layers.
        hidden_bytes: u64,
        /// Trim-candidate bytes by category (visible or hidden), biggest first.
        categories: Vec<(Category, u64)>,
    },
    Dedup {
        /// Groups of identical files with a copy in this layer, and the copies removed.
        groups: u64,
        copies: u64,
    },
    Slim {
        /// The executable the image runs, and what its static closure holds (the optimistic
        /// bound).
        executable: String,
        closure_bytes: u64,
        closure_files: u64,
        /// What an image that still runs keeps ([`super::slim`]): the conservative bound, on
        /// which the saving rests.
        kept_bytes: u64,
        kept_files: u64,
        kept_packages: u64,
        /// The node saving the static closure alone would give.
        static_saving: u64,
        /// Closure bytes that live in layers other images share: a slim image carries its own
        /// copy, so they are subtracted from the saving.
        readd_bytes: u64,
        /// Names the closure could not find, and what it cannot see.
        unresolved: Vec<String>,
        unseen: Vec<String>,
    },
    Stabilize {
        /// What a node would stop re-pulling per release: uncompressed and compressed.
        per_release_saving: u64,
        per_release_pull_saving: u64,
        /// Releases (after the first) in which the layer changed, out of `releases`.
        changed: usize,
        releases: usize,
        /// Of the bytes pulled for it, the share the previous release already had.
        already_had_share: f64,
        /// The layer's `created_by`.
        command: String,
        /// Files of the layer whose content was new when it last changed (largest first).
        changed_files: Vec<(String, u64)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub risk: Risk,
    /// Images that use the layers it changes, ascending.
    pub images: Vec<usize>,
    /// The image its layers belong to ([`layer_owner`] of its first layer): the image itself for
    /// its own layers, its base for layers it inherits; `None` for a layer shared by images none
    /// of which is the others' base.
    pub owner: Option<usize>,
    /// The layers it changes (indexes into [`Sharing::layers`]), in image order.
    pub layers: Vec<usize>,
    /// Where to look: an image and the index of the layer within it.
    pub focus: (usize, usize),
    /// Uncompressed bytes a node holding the whole set would no longer store.
    pub node_saving: u64,
    /// Compressed bytes a fresh node would no longer pull (each layer's compression ratio applied
    /// to the bytes removed from it: an estimate).
    pub pull_saving: u64,
    pub share_of_node_cost: f64,
    pub worth_it: bool,
    /// What it finds and what to do, in one sentence.
    pub what: String,
    /// `what`, then the judgement and its reason.
    pub why: String,
    /// Largest files it removes, as (path, bytes), biggest first.
    pub paths: Vec<(String, u64)>,
    pub detail: Detail,
    /// Every file it removes, with its bytes: what the totals count once.
    pub claims: Vec<(Claim, u64)>,
    /// Bytes of its saving that higher-ranked actions already remove (at most its saving), and
    /// those actions (indexes into [`Plan::actions`]).
    pub overlap_bytes: u64,
    pub overlaps: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Ranked by node saving, largest first.
    pub actions: Vec<Action>,
    /// Uncompressed bytes a node holding the set stores (every distinct layer once).
    pub node_cost: u64,
    /// Compressed bytes a fresh node pulls.
    pub pull_cost: u64,
    /// All actions together, each file counted once however many actions claim it.
    pub node_saving: u64,
    pub pull_saving: u64,
    /// Whether some image was read without its layers (its layers are left out of the plan).
    pub partial: bool,
    pub worth: Option<Worth>,
    /// Savings per risk, safe first (always three entries once built).
    pub by_risk: Vec<RiskTotals>,
    /// Sentences about images the plan offers less for, by image: a `shell` image's bytes are
    /// paid once per node by every image built on it.
    pub notes: Vec<(usize, String)>,
}

impl Plan {
    /// Add `actions` that claim no file (a release series' `stabilize`) at their rank, by saving
    /// weighed by risk as [`build`] ranks; the overlaps of the others follow their new ranks, and
    /// the totals, which count what a node stores, do not change.
    pub fn insert_ranked(&mut self, actions: Vec<Action>) {
        let weighed = |x: &Action| x.node_saving as f64 * x.risk.weight();
        let old = std::mem::take(&mut self.actions);
        let mut tagged: Vec<(Option<usize>, Action)> = old
            .into_iter()
            .enumerate()
            .map(|(k, a)| (Some(k), a))
            .chain(actions.into_iter().map(|a| (None, a)))
            .collect();
        // Stable: equal weights keep the plan's order, and new actions come after.
        tagged.sort_by(|(_, a), (_, b)| weighed(b).total_cmp(&weighed(a)));
        let mut new_rank = vec![0usize; tagged.len()];
        for (rank, (k, _)) in tagged.iter().enumerate() {
            if let Some(k) = k {
                new_rank[*k] = rank;
            }
        }
        self.actions = tagged
            .into_iter()
            .map(|(_, mut a)| {
                for o in &mut a.overlaps {
                    *o = new_rank[*o];
                }
                a.overlaps.sort_unstable();
                a
            })
            .collect();
    }

    /// The actions that touch image `i`.
    pub fn for_image(&self, i: usize) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(move |a| a.images.contains(&i))
    }

    pub fn worth_it(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.worth_it)
    }

    /// The totals of one risk.
    pub fn risk_totals(&self, risk: Risk) -> Option<&RiskTotals> {
        self.by_risk.iter().find(|t| t.risk == risk)
    }

    /// The headline, safe first: "safe: 187.0 MiB per node (51 %); with rebuilds: …; with risky
    /// actions: …".
    pub fn risk_headline(&self) -> String {
        let share = |b: u64| {
            if self.node_cost == 0 {
                0.0
            } else {
                b as f64 / self.node_cost as f64
            }
        };
        let part = |label: &str, b: u64| {
            format!(
                "{label} {} per node ({})",
                crate::text::human_size(b),
                crate::text::rough_percent(share(b))
            )
        };
        let mut parts = Vec::new();
        for t in &self.by_risk {
            let label = match t.risk {
                Risk::Safe => "safe:",
                Risk::Rebuild => "with rebuilds:",
                Risk::Risky => "with risky actions:",
            };
            parts.push(part(label, t.cumulative_node_saving));
        }
        parts.join("; ")
    }

    /// All actions together as a share of the node cost (0 for an empty node).
    pub fn saving_share(&self) -> f64 {
        if self.node_cost == 0 {
            0.0
        } else {
            self.node_saving as f64 / self.node_cost as f64
        }
    }

    /// Bytes the actions touching image `i` save together, each file counted once.
    pub fn saving_for_image(&self, i: usize) -> u64 {
        let mut seen: HashSet<Claim> = HashSet::new();
        self.for_image(i)
            .flat_map(|a| a.claims.iter())
            .filter(|(c, _)| seen.insert(*c))
            .map(|(_, b)| b)
            .sum()
    }

    /// Bytes the actions touching image `i` of risk `risk` or lower save together, each file
    /// counted once.
    pub fn saving_for_image_up_to(&self, i: usize, risk: Risk) -> u64 {
        let mut seen: HashSet<Claim> = HashSet::new();
        self.for_image(i)
            .filter(|a| a.risk <= risk)
            .flat_map(|a| a.claims.iter())
            .filter(|(c, _)| seen.insert(*c))
            .map(|(_, b)| b)
            .sum()
    }

    /// What the plan says about image `i`, in one line, naming other images with `names` (the
    /// set's names, by index). Its own layers' actions lead; the actions on layers it shares with
    /// the images built on the same base are named after that base, saved once per node for all
    /// of them ("its base fleet/builder: trim (safe) 571.5 MiB, saved once per node for all 3
    /// images"), so no image on a base is read as holding the base's bytes itself. An image with
    /// only its own actions reads as before.
    pub fn verdict_named(&self, i: usize, names: &[String]) -> String {
        let actions: Vec<&Action> = self.for_image(i).collect();
        let own: Vec<&Action> = actions
            .iter()
            .copied()
            .filter(|a| a.owner == Some(i))
            .collect();
        let inherited: Vec<&Action> = actions
            .iter()
            .copied()
            .filter(|a| a.owner != Some(i))
            .collect();
        if inherited.is_empty() {
            return self.verdict_of(&own);
        }
        let mut parts = vec![format!("own: {}", self.verdict_of(&own))];
        // One part per owner (a base, or a group sharing a layer), its top action, in rank order.
        let mut seen: Vec<Option<usize>> = Vec::new();
        for a in &inherited {
            if seen.contains(&a.owner) {
                continue;
            }
            seen.push(a.owner);
            let whose = match a.owner {
                Some(o) => format!(
                    "its base {}",
                    names.get(o).map(String::as_str).unwrap_or("?")
                ),
                None => {
                    let users: Vec<&str> = a
                        .images
                        .iter()
                        .map(|&j| names.get(j).map(String::as_str).unwrap_or("?"))
                        .collect();
                    match users.split_last() {
                        Some((last, rest)) if !rest.is_empty() => {
                            format!("layers shared by {} and {last}", rest.join(", "))
                        }
                        _ => "layers it shares".to_string(),
                    }
                }
            };
            let more = inherited.iter().filter(|b| b.owner == a.owner).count();
            parts.push(format!(
                "{whose}: {} ({}) {}, saved once per node for {}{}",
                a.kind.key(),
                a.risk.key(),
                crate::text::human_size(a.node_saving),
                match a.images.len() {
                    2 => "both images".to_string(),
                    n => format!("all {n} images"),
                },
                if more > 1 {
                    format!(" ({more} actions there)")
                } else {
                    String::new()
                }
            ));
        }
        parts.join("; ")
    }

    /// The verdict over `actions` (an image's own).
    fn verdict_of(&self, actions: &[&Action]) -> String {
        let Some(top) = actions.first() else {
            return "nothing to trim: no hidden, cache, doc, duplicate or copied-base bytes in its layers".into();
        };
        let mut seen: HashSet<Claim> = HashSet::new();
        let all: u64 = actions
            .iter()
            .flat_map(|a| a.claims.iter())
            .filter(|(c, _)| seen.insert(*c))
            .map(|(_, b)| b)
            .sum();
        let more = match actions.len() {
            1 => String::new(),
            n => format!("; {n} actions, {} in all", crate::text::human_size(all)),
        };
        let worth = self.worth.unwrap_or_default();
        match actions.iter().find(|a| a.worth_it) {
            Some(best) => format!(
                "worth it: {} ({}) saves {} per node ({}){more}",
                best.kind.key(),
                best.risk.key(),
                crate::text::human_size(best.node_saving),
                crate::text::rough_percent(best.share_of_node_cost)
            ),
            None => format!(
                "not worth it: at most {} per node ({}, {}){more}",
                crate::text::human_size(top.node_saving),
                crate::text::rough_percent(top.share_of_node_cost),
                worth
                    .shortfall(top.node_saving, top.share_of_node_cost)
                    .unwrap_or_default()
            ),
        }
    }
}

/// A regular file written by a layer, as its representative image sees it.
#[derive(Debug, Clone, Copy)]
struct LayerFile {
    node: NodeId,
    size: u64,
    hash: Option<ContentHash>,
    /// Hidden (overwritten or removed) in every image that uses the layer.
    hidden_everywhere: bool,
    /// Its trim-candidate category, by path.
    category: Option<Category>,
}

impl LayerFile {
    /// A file an image needs as it is: visible somewhere, and not a package manager's cache or
    /// index (those differ between two runs of the same install, and are trimmed anyway).
    fn essential(&self) -> bool {
        !self.hidden_everywhere && self.category != Some(Category::PackageCache)
    }
}

/// Every distinct layer's files, read from the first decoded image that uses it.
struct Layers<'a> {
    /// Per distinct layer: (image, index of the layer in that image), when some image using it
    /// was decoded.
    rep: Vec<Option<(usize, usize)>>,
    files: Vec<Vec<LayerFile>>,
    trees: Vec<Option<&'a FileTree>>,
}

impl Layers<'_> {
    fn path(&self, d: usize, node: NodeId) -> String {
        let (i, _) = self.rep[d].expect("a layer with files has a representative");
        self.trees[i]
            .expect("representatives are decoded")
            .path(node)
    }

    fn bytes(&self, d: usize) -> u64 {
        self.files[d].iter().map(|f| f.size).sum()
    }

    fn essential_bytes(&self, d: usize) -> u64 {
        self.files[d]
            .iter()
            .filter(|f| f.essential())
            .map(|f| f.size)
            .sum()
    }
}

/// The newest version each layer wrote at each node, for the layers `slot` maps to an output.
/// Paths set aside by `--ignore-path` (`ignored`, see [`super::ignore`]) are left out.
fn collect_files(
    tree: &FileTree,
    slot: &[Option<usize>],
    ignored: &[bool],
    out: &mut [Vec<LayerFile>],
) {
    tree.walk_paths(|node, path| {
        if super::ignore::ignored(ignored, node) {
            return;
        }
        let mut seen_layer = u32::MAX;
        let mut category = None;
        // Newest first: all but the first are hidden by a later version.
        for (i, (_, v)) in tree.version_chain(node).enumerate() {
            if u32::from(v.layer) != seen_layer {
                seen_layer = u32::from(v.layer);
                if let Some(Some(d)) = slot.get(v.layer as usize)
                    && v.is_live()
                    && v.kind == EntryKind::File
                    && v.size > 0
                {
                    let category = *category.get_or_insert_with(|| trim::categorize(path));
                    out[*d].push(LayerFile {
                        node,
                        size: v.size,
                        hash: tree.hash(v),
                        hidden_everywhere: i > 0,
                        category,
                    });
                }
            }
        }
    });
}

/// Whether the newest version `layer` wrote at `path` is what image `tree` shows at the end.
fn visible_from(tree: &FileTree, path: &str, layer: usize) -> bool {
    let Some(node) = tree.lookup(path) else {
        return false;
    };
    tree.last_version(node)
        .is_some_and(|v| v.is_live() && v.layer as usize == layer)
}

fn layers<'a>(images: &[(&'a Image, Option<&'a Analysis>)], sharing: &Sharing) -> Layers<'a> {
    let n = sharing.layers.len();
    let trees: Vec<Option<&FileTree>> =
        images.iter().map(|(img, a)| a.map(|_| &img.tree)).collect();
    let mut rep: Vec<Option<(usize, usize)>> = vec![None; n];
    for (i, keys) in sharing.image_layers.iter().enumerate() {
        if trees[i].is_none() {
            continue;
        }
        for (li, &d) in keys.iter().enumerate() {
            if rep[d].is_none() {
                rep[d] = Some((i, li));
            }
        }
    }
    let mut files: Vec<Vec<LayerFile>> = vec![Vec::new(); n];
    for (i, keys) in sharing.image_layers.iter().enumerate() {
        let Some(tree) = trees[i] else { continue };
        let slot: Vec<Option<usize>> = keys
            .iter()
            .enumerate()
            .map(|(li, &d)| (rep[d] == Some((i, li))).then_some(d))
            .collect();
        if slot.iter().any(Option::is_some) {
            let ignored = images[i].1.map_or(&[][..], |a| &a.ignored[..]);
            collect_files(tree, &slot, ignored, &mut files);
        }
    }
    // A file hidden in its representative is hidden everywhere only if every other decoded image
    // using the layer hides it too.
    for d in 0..n {
        let Some((r, _)) = rep[d] else { continue };
        let others: Vec<(&FileTree, usize)> = sharing.layers[d]
            .users
            .iter()
            .filter(|&&j| j != r)
            .filter_map(|&j| {
                let li = sharing.image_layers[j].iter().position(|&x| x == d)?;
                Some((trees[j]?, li))
            })
            .collect();
        if others.is_empty() {
            continue;
        }
        let tree = trees[r].expect("representatives are decoded");
        for f in files[d].iter_mut().filter(|f| f.hidden_everywhere) {
            let path = tree.path(f.node);
            if others.iter().any(|(t, li)| visible_from(t, &path, *li)) {
                f.hidden_everywhere = false;
            }
        }
    }
    Layers { rep, files, trees }
}

/// A file an action removes: (distinct layer, node in the layer's representative image).
pub type Claim = (u32, NodeId);

struct Draft {
    kind: ActionKind,
    risk: Risk,
    layers: Vec<usize>,
    focus: (usize, usize),
    claims: Vec<(Claim, u64)>,
    detail: Detail,
    what: String,
}

/// Build the plan. `images[i].1` is `None` for an image read without its layers.
pub fn build(images: &[(&Image, Option<&Analysis>)], sharing: &Sharing, worth: Worth) -> Plan {
    let partial = images.iter().any(|(_, a)| a.is_none());
    let node_cost = sharing.node_cost.size.unwrap_or_else(|| {
        // Layers-only images have no uncompressed sizes: price in what is known.
        sharing
            .layers
            .iter()
            .map(|l| l.facts.size.unwrap_or(0))
            .sum()
    });
    let pull_cost = sharing.node_cost.compressed;
    let names: Vec<String> = images
        .iter()
        .map(|(i, _)| i.display_name().to_string())
        .collect();
    let layers = layers(images, sharing);
    let roles: Vec<Option<Role>> = images.iter().map(|(_, a)| a.map(|a| a.role.role)).collect();
    let mut drafts = rebase_drafts(&layers, sharing, &names);
    drafts.extend(trim_drafts(&layers, sharing, &names, &roles));
    drafts.extend(dedup_drafts(images, &layers, sharing, &names));
    drafts.extend(slim_drafts(images, &layers, sharing, &names));

    // Each layer's compression ratio, to price the bytes removed from it in what a pull moves.
    let ratios: Vec<f64> = (0..sharing.layers.len())
        .map(|d| {
            let bytes = layers.bytes(d);
            if bytes == 0 {
                0.0
            } else {
                (sharing.layers[d].facts.compressed as f64 / bytes as f64).min(1.0)
            }
        })
        .collect();
    let ratio = |d: usize| ratios[d];
    let share = |bytes: u64| {
        if node_cost == 0 {
            0.0
        } else {
            bytes as f64 / node_cost as f64
        }
    };
    let mut all_claims: HashMap<Claim, u64> = HashMap::new();
    let mut actions: Vec<Action> = drafts
        .into_iter()
        .filter(|d| !d.claims.is_empty())
        .map(|draft| {
            let readd = match &draft.detail {
                Detail::Slim { readd_bytes, .. } => *readd_bytes,
                _ => 0,
            };
            let node_saving: u64 = draft
                .claims
                .iter()
                .map(|(_, b)| b)
                .sum::<u64>()
                .saturating_sub(readd);
            let claimed: u64 = draft.claims.iter().map(|(_, b)| b).sum();
            // What a slim image copies back is taken from the pull as from the disk.
            let pull: f64 = draft
                .claims
                .iter()
                .map(|((d, _), b)| *b as f64 * ratio(*d as usize))
                .sum::<f64>()
                * (node_saving as f64 / claimed.max(1) as f64);
            for &(c, b) in &draft.claims {
                all_claims.insert(c, b);
            }
            let mut top: Vec<(Claim, u64)> = draft.claims.clone();
            top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(TOP_PATHS);
            let paths = top
                .into_iter()
                .map(|((d, node), b)| (layers.path(d as usize, node), b))
                .collect();
            let mut users: Vec<usize> = draft
                .layers
                .iter()
                .flat_map(|&d| sharing.layers[d].users.iter().copied())
                .collect();
            users.sort_unstable();
            users.dedup();
            let s = share(node_saving);
            let shortfall = worth.shortfall(node_saving, s);
            let worth_it = shortfall.is_none();
            let judgement = match shortfall {
                None => format!(
                    "worth it: {} of the node cost ({})",
                    crate::text::rough_percent(s),
                    worth.describe()
                ),
                Some(miss) => format!(
                    "not worth it: {} of the node cost, {miss}",
                    crate::text::rough_percent(s)
                ),
            };
            Action {
                kind: draft.kind,
                risk: draft.risk,
                owner: draft.layers.first().and_then(|&d| layer_owner(sharing, d)),
                images: users,
                layers: draft.layers,
                focus: draft.focus,
                node_saving,
                pull_saving: pull.round() as u64,
                share_of_node_cost: s,
                worth_it,
                why: format!("{}; {judgement}", draft.what),
                what: draft.what,
                paths,
                detail: draft.detail,
                claims: draft.claims,
                overlap_bytes: 0,
                overlaps: Vec::new(),
            }
        })
        .collect();
    // Ranked by saving weighed by risk (see [`Risk::weight`]), then by saving.
    actions.sort_by(|a, b| {
        let weighed = |x: &Action| x.node_saving as f64 * x.risk.weight();
        weighed(b)
            .total_cmp(&weighed(a))
            .then(b.node_saving.cmp(&a.node_saving))
            .then(a.risk.cmp(&b.risk))
            .then(a.kind.cmp(&b.kind))
            .then(a.layers.cmp(&b.layers))
    });
    // What each action shares with the actions ranked above it.
    let mut first_claimer: HashMap<Claim, usize> = HashMap::new();
    for (k, action) in actions.iter_mut().enumerate() {
        for &(c, b) in &action.claims {
            match first_claimer.get(&c) {
                Some(&earlier) => {
                    action.overlap_bytes += b;
                    if !action.overlaps.contains(&earlier) {
                        action.overlaps.push(earlier);
                    }
                }
                None => {
                    first_claimer.insert(c, k);
                }
            }
        }
        action.overlaps.sort_unstable();
        // A slim image's saving is its claims less what it copies back: what others already
        // remove is at most all of it.
        action.overlap_bytes = action.overlap_bytes.min(action.node_saving);
    }
    drop(all_claims);
    let (node_saving, pull_saving) = union_saving(actions.iter(), &ratio);
    let mut by_risk = Vec::new();
    for risk in Risk::ALL {
        let (node, pull) = union_saving(actions.iter().filter(|a| a.risk == risk), &ratio);
        let (cumulative_node, cumulative_pull) =
            union_saving(actions.iter().filter(|a| a.risk <= risk), &ratio);
        by_risk.push(RiskTotals {
            risk,
            actions: actions.iter().filter(|a| a.risk == risk).count(),
            node_saving: node,
            pull_saving: pull,
            cumulative_node_saving: cumulative_node,
            cumulative_pull_saving: cumulative_pull,
        });
    }
    Plan {
        actions,
        node_cost,
        pull_cost,
        node_saving,
        pull_saving,
        partial,
        worth: Some(worth),
        by_risk,
        notes: shell_notes(images, sharing, &names, &roles),
    }
}

/// What `actions` save together: each claimed file once, less what slim images copy back (from
/// the pull as from the disk). A slim image is counted only where it pays on top of the other
/// actions: when the files it removes that they do not already remove outweigh what it copies
/// back from shared layers (after the safe trims of a shared base, slimming an image built on it
/// may save nothing more). So taking more actions never lowers the total.
fn union_saving<'a>(
    actions: impl Iterator<Item = &'a Action>,
    ratio: &dyn Fn(usize) -> f64,
) -> (u64, u64) {
    let mut claims: HashMap<Claim, u64> = HashMap::new();
    let mut slims: Vec<&Action> = Vec::new();
    for a in actions {
        if matches!(a.detail, Detail::Slim { .. }) {
            slims.push(a);
            continue;
        }
        for &(c, b) in &a.claims {
            claims.insert(c, b);
        }
    }
    let mut readd = 0u64;
    for a in slims {
        let Detail::Slim { readd_bytes, .. } = &a.detail else {
            continue;
        };
        let fresh: u64 = a
            .claims
            .iter()
            .filter(|(c, _)| !claims.contains_key(c))
            .map(|(_, b)| b)
            .sum();
        if fresh > *readd_bytes {
            readd += readd_bytes;
            for &(c, b) in &a.claims {
                claims.insert(c, b);
            }
        }
    }
    let union: u64 = claims.values().sum();
    let node = union.saturating_sub(readd);
    let pull = (claims
        .iter()
        .map(|((d, _), b)| *b as f64 * ratio(*d as usize))
        .sum::<f64>()
        * (node as f64 / union.max(1) as f64))
        .round() as u64;
    (node, pull)
}

/// One sentence per `shell` image: what others build on it, and why a trim of it is priced per
/// node.
fn shell_notes(
    images: &[(&Image, Option<&Analysis>)],
    sharing: &Sharing,
    names: &[String],
    roles: &[Option<Role>],
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        if *role != Some(Role::Shell) {
            continue;
        }
        let mine = &sharing.image_layers[i];
        let on_it: Vec<&str> = (0..images.len())
            .filter(|&j| {
                j != i
                    && mine.len() < sharing.image_layers[j].len()
                    && !mine.is_empty()
                    && sharing.image_layers[j].starts_with(mine)
            })
            .map(|j| names[j].as_str())
            .collect();
        let name = &names[i];
        let text = if on_it.is_empty() {
            format!(
                "{name} is a shell image (a base, a toolbox or a builder): it gets no slim and no toolchain or header trim, since what it holds is what it is for; if other images build on it, a node pays its bytes once for all of them, so whether a trim is worth it depends on what else the node stores: give the set (imgscope {name} IMAGE…) or run imgscope node"
            )
        } else {
            format!(
                "{name} is a shell image that {} of the set build{} on ({}): a node pays its bytes once for all of them, so a trim of its layers saves once per node; it gets no slim and no toolchain or header trim, since what it holds is what it is for",
                on_it.len(),
                if on_it.len() == 1 { "s" } else { "" },
                on_it.join(", ")
            )
        };
        out.push((i, text));
    }
    out
}

/// The image a distinct layer belongs to: of the images using it, the one whose layers are a
/// prefix of every other user's (the base they are built on; a layer only one image uses is that
/// image's). `None` when no user is: the layer is shared by images none of which is the others'
/// base. The same in whatever order the images are given.
pub fn layer_owner(sharing: &Sharing, d: usize) -> Option<usize> {
    let users = &sharing.layers[d].users;
    users.iter().copied().find(|&o| {
        let mine = &sharing.image_layers[o];
        users
            .iter()
            .all(|&j| j == o || sharing.image_layers[j].starts_with(mine))
    })
}

/// Who a layer belongs to, in words: the owner's name, or "A, B and C" when no user is the others'
/// base.
pub fn layer_owner_name(sharing: &Sharing, names: &[String], d: usize) -> String {
    let name = |i: usize| names.get(i).map(String::as_str).unwrap_or("?").to_string();
    match layer_owner(sharing, d) {
        Some(o) => name(o),
        None => {
            let users: Vec<String> = sharing.layers[d].users.iter().map(|&i| name(i)).collect();
            match users.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} and {last}", rest.join(", "))
                }
                _ => users.join(""),
            }
        }
    }
}

/// How a layer is named in the plan's sentences: "layer 2 of redis", by the image it belongs to
/// ([`layer_owner`]); "layer 1 shared by app-a and app-b" when none of its users is the others'
/// base.
fn layer_name(sharing: &Sharing, names: &[String], d: usize) -> String {
    let users = &sharing.layers[d].users;
    let position = |i: usize| {
        sharing.image_layers[i]
            .iter()
            .position(|&x| x == d)
            .unwrap_or(0)
    };
    match layer_owner(sharing, d) {
        Some(o) => {
            let name = names.get(o).map(String::as_str).unwrap_or("?");
            match users.len() {
                1 => format!("layer {} of {name}", position(o)),
                n => format!("layer {} of {name} (shared by {n} images)", position(o)),
            }
        }
        None => format!(
            "layer {} shared by {}",
            position(users[0]),
            layer_owner_name(sharing, names, d)
        ),
    }
}

fn layer_run_name(sharing: &Sharing, names: &[String], run: &[usize]) -> String {
    if run.len() == 1 {
        return layer_name(sharing, names, run[0]);
    }
    let first = layer_owner(sharing, run[0]).unwrap_or(sharing.layers[run[0]].users[0]);
    let pos = |d: usize| {
        sharing.image_layers[first]
            .iter()
            .position(|&x| x == d)
            .unwrap_or(0)
    };
    let name = names.get(first).map(String::as_str).unwrap_or("?");
    format!(
        "layers {}–{} of {name}",
        pos(run[0]),
        pos(run[run.len() - 1])
    )
}

/// A layer's rank when two layers copy each other: the one more images use stays; with as many
/// users, the one that appears first in the set stays.
fn stays_over(sharing: &Sharing, a: usize, b: usize) -> bool {
    let (ua, ub) = (sharing.layers[a].users.len(), sharing.layers[b].users.len());
    ua > ub || (ua == ub && a < b)
}

struct RebaseCandidate {
    /// The layer holding most of the copied content.
    target: usize,
    matched_bytes: u64,
    matched_files: u64,
    claims: Vec<(Claim, u64)>,
}

fn rebase_drafts(layers: &Layers, sharing: &Sharing, names: &[String]) -> Vec<Draft> {
    let n = sharing.layers.len();
    if sharing.images.len() < 2 {
        return Vec::new();
    }
    // Which distinct layers hold each content.
    let mut holders: HashMap<(ContentHash, u64), Vec<u32>> = HashMap::new();
    for (d, files) in layers.files.iter().enumerate() {
        for f in files {
            if let Some(h) = f.hash {
                let list = holders.entry((h, f.size)).or_default();
                if list.last() != Some(&(d as u32)) {
                    list.push(d as u32);
                }
            }
        }
    }
    let essential: Vec<u64> = (0..n).map(|d| layers.essential_bytes(d)).collect();
    let mut candidate: Vec<Option<RebaseCandidate>> = (0..n).map(|_| None).collect();
    for d in 0..n {
        let total = essential[d];
        if total == 0 {
            continue;
        }
        // Layers the images using `d` already hold are not copies elsewhere.
        let own: HashSet<usize> = sharing.layers[d]
            .users
            .iter()
            .flat_map(|&i| sharing.image_layers[i].iter().copied())
            .collect();
        let mut credit: HashMap<usize, u64> = HashMap::new();
        let mut matched_bytes = 0;
        let mut matched_files = 0;
        let mut claims = Vec::new();
        for f in &layers.files[d] {
            let list = f.hash.and_then(|h| holders.get(&(h, f.size)));
            let mut matched = false;
            for &other in list.into_iter().flatten() {
                let other = other as usize;
                if !own.contains(&other) {
                    matched = true;
                    if f.essential() {
                        *credit.entry(other).or_default() += f.size;
                    }
                }
            }
            if f.essential() && !matched {
                // The image needs it and no other layer has it: a rebuild keeps it.
                continue;
            }
            if f.essential() {
                matched_bytes += f.size;
                matched_files += 1;
            }
            claims.push(((d as u32, f.node), f.size));
        }
        if (matched_bytes as f64) < REBASE_MIN_SHARE * total as f64 {
            continue;
        }
        let Some((&target, _)) = credit.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        else {
            continue;
        };
        if !stays_over(sharing, target, d)
            || (credit[&target] as f64) < REBASE_MIN_COVERAGE * essential[target] as f64
        {
            continue;
        }
        candidate[d] = Some(RebaseCandidate {
            target,
            matched_bytes,
            matched_files,
            claims,
        });
    }
    // Runs of consecutive candidate layers in one image, copying layers one image holds, are one
    // action.
    let mut done = vec![false; n];
    let mut out = Vec::new();
    for (i, keys) in sharing.image_layers.iter().enumerate() {
        let mut li = 0;
        while li < keys.len() {
            let d = keys[li];
            if done[d] || candidate[d].is_none() {
                li += 1;
                continue;
            }
            let users = &sharing.layers[d].users;
            let mut run = vec![d];
            let mut targets = vec![candidate[d].as_ref().expect("checked").target];
            let mut onto = holder_of_all(sharing, &targets);
            let mut next = li + 1;
            while let Some(&e) = keys.get(next) {
                let Some(c) = candidate[e].as_ref() else {
                    break;
                };
                if done[e] || sharing.layers[e].users != *users {
                    break;
                }
                let mut t = targets.clone();
                t.push(c.target);
                let Some(holder) = holder_of_all(sharing, &t) else {
                    break;
                };
                run.push(e);
                targets = t;
                onto = Some(holder);
                next += 1;
            }
            for &r in &run {
                done[r] = true;
            }
            let onto = onto.unwrap_or(sharing.layers[targets[0]].users[0]);
            let layer_bytes: u64 = run.iter().map(|&r| layers.bytes(r)).sum();
            let essential_bytes: u64 = run.iter().map(|&r| essential[r]).sum();
            let mut claims = Vec::new();
            let (mut matched_bytes, mut matched_files) = (0, 0);
            for &r in &run {
                let c = candidate[r].take().expect("a run holds candidates");
                matched_bytes += c.matched_bytes;
                matched_files += c.matched_files;
                claims.extend(c.claims);
            }
            // The base the copied content starts in: the first target is one of its layers.
            let onto_base = sharing.images[onto].base.filter(|&b| {
                let depth = sharing.bases[b].layers;
                sharing.image_layers[onto][..depth].contains(&targets[0])
            });
            let onto_image = names.get(onto).map(String::as_str).unwrap_or("?");
            let onto_depth = onto_base.map_or(0, |b| sharing.bases[b].layers);
            let in_base = |t: &usize| sharing.image_layers[onto][..onto_depth].contains(t);
            let advice = match onto_base {
                Some(b) if targets.iter().all(in_base) => {
                    format!("build it FROM {}", sharing.bases[b].name)
                }
                Some(b) => format!(
                    "build it FROM {} as {onto_image} is, and take the rest from {onto_image} (or use {onto_image} itself)",
                    sharing.bases[b].name
                ),
                None => format!("build it on the layers {onto_image} uses"),
            };
            let kept = essential_bytes - matched_bytes;
            let what = format!(
                "{run_name}: {} of the {} of files it needs ({matched_files} files; package caches and hidden files aside) are content {onto_image} already stores under other digests: {advice}; the node stops storing its {} except {} only it has",
                crate::text::rough_percent(matched_bytes as f64 / essential_bytes.max(1) as f64),
                crate::text::human_size(essential_bytes),
                crate::text::human_size(layer_bytes),
                crate::text::human_size(kept),
                run_name = layer_run_name(sharing, names, &run),
            );
            out.push(Draft {
                kind: ActionKind::Rebase,
                risk: Risk::Rebuild,
                layers: run,
                focus: (i, li),
                claims,
                detail: Detail::Rebase {
                    onto,
                    onto_base,
                    onto_layers: targets,
                    layer_bytes,
                    essential_bytes,
                    matched_bytes,
                    matched_files,
                },
                what,
            });
            li = next;
        }
    }
    out
}

/// The first image that holds every one of `targets`.
fn holder_of_all(sharing: &Sharing, targets: &[usize]) -> Option<usize> {
    (0..sharing.images.len()).find(|&j| targets.iter().all(|t| sharing.image_layers[j].contains(t)))
}

fn trim_drafts(
    layers: &Layers,
    sharing: &Sharing,
    names: &[String],
    roles: &[Option<Role>],
) -> Vec<Draft> {
    let mut out = Vec::new();
    for (d, files) in layers.files.iter().enumerate() {
        let Some((rep, li)) = layers.rep[d] else {
            continue;
        };
        // A layer a shell image uses keeps its toolchain and headers: they are what it is for.
        let for_shell = sharing.layers[d]
            .users
            .iter()
            .any(|&i| roles.get(i).copied().flatten() == Some(Role::Shell));
        let offered =
            |c: Category| !(for_shell && matches!(c, Category::Toolchain | Category::Headers));
        for risk in Risk::ALL {
            let mut hidden_bytes = 0;
            let mut by_category: HashMap<Category, u64> = HashMap::new();
            let mut claims = Vec::new();
            for f in files {
                // A hidden file is safe to drop whatever its path says.
                let (file_risk, category) = match (f.category, f.hidden_everywhere) {
                    (Some(c), false) if offered(c) => (Risk::of_category(c), Some(c)),
                    (Some(c), true) if c == Category::PackageCache => (Risk::Safe, Some(c)),
                    (_, true) => (Risk::Safe, None),
                    _ => continue,
                };
                if file_risk != risk {
                    continue;
                }
                match category {
                    Some(c) => *by_category.entry(c).or_default() += f.size,
                    None => hidden_bytes += f.size,
                }
                claims.push(((d as u32, f.node), f.size));
            }
            if claims.is_empty() {
                continue;
            }
            let mut categories: Vec<(Category, u64)> = by_category.into_iter().collect();
            categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut parts: Vec<String> = categories
                .iter()
                .map(|(c, b)| format!("{} of {}", crate::text::human_size(*b), c.label()))
                .collect();
            if hidden_bytes > 0 {
                parts.push(format!(
                    "{} hidden by later layers",
                    crate::text::human_size(hidden_bytes)
                ));
            }
            let users = sharing.layers[d].users.len();
            let saving: u64 = claims.iter().map(|(_, b)| b).sum();
            let once = if users > 1 {
                format!(
                    "; saved once per node, not {users} times (the per-image sum would say {})",
                    crate::text::human_size(saving.saturating_mul(users as u64))
                )
            } else {
                String::new()
            };
            let how = match risk {
                Risk::Safe => "nothing that runs needs them",
                Risk::Rebuild => "a rebuild that leaves them out keeps what runs",
                Risk::Risky => "a program may need some of them: test the image without them",
            };
            out.push(Draft {
                kind: ActionKind::Trim,
                risk,
                layers: vec![d],
                focus: (rep, li),
                claims,
                detail: Detail::Trim {
                    hidden_bytes,
                    categories,
                },
                what: format!(
                    "{} holds {} ({how}){once}",
                    layer_name(sharing, names, d),
                    parts.join(", ")
                ),
            });
        }
    }
    out
}

fn dedup_drafts(
    images: &[(&Image, Option<&Analysis>)],
    layers: &Layers,
    sharing: &Sharing,
    names: &[String],
) -> Vec<Draft> {
    // Per distinct layer: claims (deduplicated across the images that see the same group),
    // group count and copies.
    let mut claimed: HashSet<Claim> = HashSet::new();
    let mut per_layer: HashMap<usize, (Vec<(Claim, u64)>, u64)> = HashMap::new();
    for (i, (image, analysis)) in images.iter().enumerate() {
        let Some(analysis) = analysis else { continue };
        let tree = &image.tree;
        for group in &analysis.duplicates.groups {
            // Keep the copy in the lowest layer (then the first path); the others go.
            let layer_of = |n: NodeId| tree.live_final(n).map_or(0, |v| v.layer as usize);
            let keep = group
                .nodes
                .iter()
                .enumerate()
                .min_by_key(|(k, n)| (layer_of(**n), *k))
                .map(|(k, _)| k)
                .unwrap_or(0);
            let mut layers_in_group: HashSet<usize> = HashSet::new();
            for (k, &node) in group.nodes.iter().enumerate() {
                if k == keep {
                    continue;
                }
                let li = layer_of(node);
                let Some(&d) = sharing.image_layers[i].get(li) else {
                    continue;
                };
                let Some((rep, _)) = layers.rep[d] else {
                    continue;
                };
                let rep_node = if rep == i {
                    Some(node)
                } else {
                    layers.trees[rep].and_then(|t| t.lookup(&tree.path(node)))
                };
                let Some(rep_node) = rep_node else { continue };
                let claim = (d as u32, rep_node);
                if claimed.insert(claim) {
                    let entry = per_layer.entry(d).or_default();
                    entry.0.push((claim, group.size));
                    if layers_in_group.insert(d) {
                        entry.1 += 1;
                    }
                }
            }
        }
    }
    let mut out: Vec<Draft> = per_layer
        .into_iter()
        .map(|(d, (claims, groups))| {
            let (rep, li) = layers.rep[d].expect("claims come from decoded layers");
            let copies = claims.len() as u64;
            let bytes: u64 = claims.iter().map(|(_, b)| b).sum();
            Draft {
                kind: ActionKind::Dedup,
                risk: Risk::Safe,
                layers: vec![d],
                focus: (rep, li),
                detail: Detail::Dedup { groups, copies },
                what: format!(
                    "{} holds {copies} {} ({}) of files the image already has: keep one of each (a hardlink, or copy once)",
                    layer_name(sharing, names, d),
                    if copies == 1 { "copy" } else { "copies" },
                    crate::text::human_size(bytes)
                ),
                claims,
            }
        })
        .collect();
    out.sort_by_key(|d| d.layers[0]);
    out
}

/// For each decoded image with a resolved entrypoint that is not a `shell` image: rebuilding it as
/// what it needs to run ([`super::slim`], the conservative bound) drops everything else its own
/// layers hold; the layers it shares stay on the node for the other images. The static closure's
/// saving is given beside it as the optimistic bound.
fn slim_drafts(
    images: &[(&Image, Option<&Analysis>)],
    layers: &Layers,
    sharing: &Sharing,
    names: &[String],
) -> Vec<Draft> {
    let mut out = Vec::new();
    for (i, (image, analysis)) in images.iter().enumerate() {
        let Some(analysis) = analysis else { continue };
        // Only a closure we understand, with nothing it needs missing, prices a slim image.
        let Some(closure) = analysis
            .closure
            .as_ref()
            .filter(|c| c.understood && c.unresolved.is_empty() && !c.exhausted)
        else {
            continue;
        };
        let Some(set) = analysis.slim.as_ref() else {
            continue;
        };
        let Some(executable) = closure.executable.clone() else {
            continue;
        };
        let in_closure: HashSet<NodeId> = closure.files.iter().map(|(n, _)| *n).collect();
        let keys = &sharing.image_layers[i];
        let own = |d: usize| sharing.layers[d].users == [i];
        let mut claims = Vec::new();
        let mut static_claimed = 0u64;
        for (li, &d) in keys.iter().enumerate() {
            if !own(d) || layers.rep[d] != Some((i, li)) {
                continue;
            }
            for f in &layers.files[d] {
                if f.hidden_everywhere || !set.contains(f.node) {
                    claims.push(((d as u32, f.node), f.size));
                }
                if f.hidden_everywhere || !in_closure.contains(&f.node) {
                    static_claimed += f.size;
                }
            }
        }
        let tree = &image.tree;
        let in_shared = |n: NodeId| {
            tree.live_final(n)
                .filter(|v| v.kind == EntryKind::File)
                .and_then(|v| keys.get(v.layer as usize))
                .is_some_and(|&d| !own(d))
        };
        let readd: u64 = set
            .keep
            .iter()
            .filter(|&&n| in_shared(n))
            .filter_map(|&n| tree.live_final(n).map(|v| v.size))
            .sum();
        let static_readd: u64 = closure
            .files
            .iter()
            .filter(|(n, _)| in_shared(*n))
            .map(|(_, b)| b)
            .sum();
        let dropped: u64 = claims.iter().map(|(_, b)| b).sum();
        if claims.is_empty() || dropped <= readd {
            continue;
        }
        let static_saving = static_claimed.saturating_sub(static_readd);
        let image_size = image.size();
        let shared_note = if readd > 0 {
            format!(
                "; it copies the {} of it that shared layers hold, which stay on the node for the other images",
                crate::text::human_size(readd)
            )
        } else {
            String::new()
        };
        let name = names.get(i).map(String::as_str).unwrap_or("?");
        let focus_layer = keys.iter().rposition(|&d| own(d)).unwrap_or(0);
        let packages = if set.packages.is_empty() {
            String::new()
        } else {
            format!(
                "the {} package{} owning its static closure and their dependencies (docs left out), ",
                set.packages.len(),
                if set.packages.len() == 1 { "" } else { "s" }
            )
        };
        let what = format!(
            "{name} runs {executable}: an image of what it needs to run — {packages}identity, CA and time-zone files, the application's tree — is {} in {} files ({} of the image) and drops the other {} of its own layers{shared_note} (`imgscope slim` writes it); the static closure alone is {} in {} files (it would save {}: a lower bound on what is needed, which misses data files, dlopen and run-time reads)",
            crate::text::human_size(set.bytes),
            set.files,
            crate::text::rough_percent(set.bytes as f64 / image_size.max(1) as f64),
            crate::text::human_size(dropped),
            crate::text::human_size(closure.bytes),
            closure.files.len(),
            crate::text::human_size(static_saving),
        );
        out.push(Draft {
            kind: ActionKind::Slim,
            risk: Risk::Risky,
            layers: keys.iter().copied().filter(|&d| own(d)).collect(),
            focus: (i, focus_layer),
            claims,
            detail: Detail::Slim {
                executable,
                closure_bytes: closure.bytes,
                closure_files: closure.files.len() as u64,
                kept_bytes: set.bytes,
                kept_files: set.files,
                kept_packages: set.packages.len() as u64,
                static_saving,
                readd_bytes: readd,
                unresolved: closure.unresolved.clone(),
                unseen: closure.unseen.clone(),
            },
            what,
        });
    }
    out
}

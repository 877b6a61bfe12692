//! One loaded image as the viewer holds it: the image and its analysis, the selected layer with its
//! cached [`LayerStats`], the tree options (mode, sort, hidden kinds, filter, search, changed only),
//! the tree, waste and removed lists, lookups from a node to its waste and duplicate entries, and,
//! for `imgscope diff`, the [`DiffMarks`] against OLD. Operations here are the per-image half of
//! `update`; they never draw.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::Arc;

use hashbrown::HashMap;

use super::diff_marks::DiffMarks;
use super::filter::PathFilter;
use super::removed_list::RemovedList;
use super::stats::LayerStats;
use super::tree_state::{
    Lens, MatchTotals, Mode, SearchHits, SearchStep, Sort, TreeState, contains_ignore_case,
};
use super::waste_list::{Target, WasteList};
use crate::analysis::{Analysis, DuplicateGroup, ReclaimablePath};
use crate::model::{FileTree, Image, NodeId, ROOT, Version};
use crate::pipeline::load::Loaded;
use crate::source::ImageBlobs;
use crate::text::{escape_control, human_size};

/// Layers whose stats are kept, most recent first; a layer switch back is then free.
const STATS_CACHE: usize = 4;
/// A filter with at most this many matches opens the directories leading to them.
const AUTO_EXPAND_MATCHES: usize = 200;

/// What a search's matches depend on: layer, mode, sort, hidden kinds, changed-only, and the
/// filter (text, regex, named set).
type SearchKey = (usize, Mode, Sort, u8, bool, String, bool, bool);

/// The matches of the last search step, with what they were found under.
struct SearchCache {
    key: SearchKey,
    query: String,
    anchor: Option<NodeId>,
    hits: SearchHits,
}

/// Where a search step landed: the match and its place among all matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchHit {
    pub node: NodeId,
    /// From 0, in tree order.
    pub index: usize,
    pub total: usize,
}

pub struct Viewer {
    image: Image,
    analysis: Analysis,
    /// The layer blobs, shared with the threads that read file contents.
    blobs: Arc<ImageBlobs>,
    pub layer: usize,
    pub mode: Mode,
    pub sort: Sort,
    /// Change-kind bits hidden from the tree.
    pub hidden: u8,
    /// Whether the tree shows permissions and owners (when the pane is wide enough).
    pub attributes: bool,
    pub filter: PathFilter,
    /// The filter's matches as the tree shows them (with a filter set).
    match_totals: Option<MatchTotals>,
    /// Counts recomputations of `match_totals`.
    match_generation: u64,
    /// The search query `n` and `N` look for.
    pub search: Option<String>,
    /// Where the last search step landed, for the match counter.
    pub search_hit: Option<SearchHit>,
    /// The row selected when the search line opened: Esc, or a query without a match, goes back.
    search_origin: Option<NodeId>,
    /// Directories the search being typed opened to show its match, closed again at the next
    /// keystroke or on Esc (kept on Enter).
    search_opened: Vec<NodeId>,
    /// The last search's matches: typing more of a query narrows them instead of walking the
    /// whole tree again, and `n`/`N` step through them.
    search_cache: Option<SearchCache>,
    stats: Arc<LayerStats>,
    cache: VecDeque<Arc<LayerStats>>,
    pub tree: TreeState,
    pub waste: WasteList,
    pub layer_cursor_offset: usize,
    pub details_scroll: u16,
    /// How many lines the details pane had when last drawn (built up to one past its bottom), so
    /// scrolling stops where the text ends.
    pub details_len: Cell<usize>,
    /// Directories the filter opened (not the user), closed when the filter changes.
    auto_opened: Vec<NodeId>,
    /// Position in `analysis.largest_files` of the last biggest-file jump.
    biggest: Option<usize>,
    dup_of: HashMap<NodeId, u32>,
    waste_of: HashMap<NodeId, u32>,
    /// Each layer's compressed and uncompressed size, formatted once.
    pub layer_sizes: Vec<(String, String)>,
    pub max_layer_size: u64,
    /// `imgscope diff`: how this image (NEW) differs from OLD.
    diff: Option<DiffMarks>,
    /// What only OLD has (empty without a diff).
    pub removed: RemovedList,
    /// With a diff, on the final filesystem: show only what changed (and the directories above it).
    pub changed_only: bool,
}

impl Viewer {
    pub fn new(loaded: Loaded) -> Viewer {
        let Loaded {
            image,
            analysis,
            blobs,
        } = loaded;
        let layers = image.layers.len();
        let layer = layers.saturating_sub(1);
        let stats = Arc::new(LayerStats::compute(&image.tree, layer, true));
        let dup_of = analysis
            .duplicates
            .groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| group.nodes.iter().map(move |&n| (n, g as u32)))
            .collect();
        let waste_of = analysis
            .waste
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.node, i as u32))
            .collect();
        let layer_sizes = image
            .layers
            .iter()
            .map(|l| (human_size(l.compressed_size), human_size(l.size)))
            .collect();
        let max_layer_size = image.layers.iter().map(|l| l.size).max().unwrap_or(0);
        let mut viewer = Viewer {
            waste: WasteList::new(&analysis),
            image,
            analysis,
            blobs: Arc::new(blobs),
            layer,
            mode: Mode::Aggregated,
            sort: Sort::Size,
            hidden: 0,
            attributes: true,
            filter: PathFilter::default(),
            match_totals: None,
            match_generation: 0,
            search: None,
            search_hit: None,
            search_origin: None,
            search_opened: Vec::new(),
            search_cache: None,
            cache: VecDeque::from([stats.clone()]),
            stats,
            tree: TreeState::default(),
            layer_cursor_offset: 0,
            details_scroll: 0,
            details_len: Cell::new(usize::MAX),
            auto_opened: Vec::new(),
            biggest: None,
            dup_of,
            waste_of,
            layer_sizes,
            max_layer_size,
            diff: None,
            removed: RemovedList::default(),
            changed_only: false,
        };
        viewer.rebuild();
        viewer
    }

    /// The viewer of `imgscope diff OLD NEW`: NEW, marked with its differences from OLD.
    pub fn compare(old_input: &str, old: &Loaded, new: Loaded) -> Viewer {
        let marks = DiffMarks::compare(old_input, old, &new);
        let mut viewer = Viewer::new(new);
        viewer.removed = RemovedList::new(&marks.diff);
        viewer.diff = Some(marks);
        viewer.rebuild();
        viewer
    }

    /// The diff against OLD, for `imgscope diff`.
    pub fn diff(&self) -> Option<&DiffMarks> {
        self.diff.as_ref()
    }

    /// Whether the tree shows what the diff compares (the final filesystem: the last layer,
    /// aggregated), so its marks apply.
    pub fn diff_view(&self) -> bool {
        self.diff.is_some() && self.is_final_view()
    }

    fn is_final_view(&self) -> bool {
        self.layer + 1 == self.layer_count() && self.mode == Mode::Aggregated
    }

    pub fn image(&self) -> &Image {
        &self.image
    }

    /// The image's layer blobs, for reading file contents off the UI thread.
    pub fn blobs(&self) -> &Arc<ImageBlobs> {
        &self.blobs
    }

    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    pub fn file_tree(&self) -> &FileTree {
        &self.image.tree
    }

    pub fn layer_count(&self) -> usize {
        self.image.layers.len()
    }

    pub fn stats(&self) -> &LayerStats {
        &self.stats
    }

    pub fn lens(&self) -> Lens<'_> {
        let diff = self.diff.as_ref().filter(|_| self.is_final_view());
        Lens {
            tree: &self.image.tree,
            stats: &self.stats,
            final_sizes: &self.analysis.sizes,
            filter: &self.filter,
            mode: self.mode,
            sort: self.sort,
            hidden: self.hidden,
            diff,
            changed_only: self.changed_only,
            match_totals: self.match_totals.as_ref(),
        }
    }

    /// The filter's matches as the tree shows them: count, bytes, directory totals.
    pub fn match_totals(&self) -> Option<&MatchTotals> {
        self.match_totals.as_ref()
    }

    /// Recompute the filter's totals for the layer, mode and hidden kinds now set.
    fn refresh_match_totals(&mut self) {
        self.match_totals = None;
        if !self.filter.is_active() {
            return;
        }
        self.match_generation += 1;
        let totals =
            MatchTotals::compute(&self.lens(), self.filter.matched(), self.match_generation);
        self.match_totals = Some(totals);
    }

    /// The tree view and a lens over everything else, borrowed apart.
    fn parts(&mut self) -> (&mut TreeState, Lens<'_>) {
        let final_view = self.is_final_view();
        let lens = Lens {
            tree: &self.image.tree,
            stats: &self.stats,
            final_sizes: &self.analysis.sizes,
            filter: &self.filter,
            mode: self.mode,
            sort: self.sort,
            hidden: self.hidden,
            diff: self.diff.as_ref().filter(|_| final_view),
            changed_only: self.changed_only,
            match_totals: self.match_totals.as_ref(),
        };
        (&mut self.tree, lens)
    }

    pub fn rebuild(&mut self) {
        self.refresh_match_totals();
        let (tree, lens) = self.parts();
        tree.rebuild(&lens);
    }

    pub fn with_tree(&mut self, f: impl FnOnce(&mut TreeState, &Lens)) {
        let (tree, lens) = self.parts();
        f(tree, &lens);
    }

    pub fn select_layer(&mut self, layer: usize) {
        let count = self.layer_count();
        if count == 0 {
            return;
        }
        let layer = layer.min(count - 1);
        if layer == self.layer {
            return;
        }
        self.layer = layer;
        self.stats = self.stats_for(layer);
        self.details_scroll = 0;
        self.rebuild();
    }

    fn stats_for(&mut self, layer: usize) -> Arc<LayerStats> {
        if let Some(i) = self.cache.iter().position(|s| s.layer == layer) {
            let stats = self.cache.remove(i).expect("index from position");
            self.cache.push_front(stats.clone());
            return stats;
        }
        let last = layer + 1 == self.layer_count();
        let stats = Arc::new(LayerStats::compute(&self.image.tree, layer, last));
        self.cache.push_front(stats.clone());
        self.cache.truncate(STATS_CACHE);
        stats
    }

    pub fn toggle_mode(&mut self) {
        self.mode = match self.mode {
            Mode::Aggregated => Mode::Changes,
            Mode::Changes => Mode::Aggregated,
        };
        self.rebuild();
    }

    pub fn toggle_sort(&mut self) {
        self.sort = match self.sort {
            Sort::Size => Sort::Name,
            Sort::Name => Sort::Size,
        };
        self.rebuild();
    }

    pub fn toggle_hidden(&mut self, bit: u8) {
        self.hidden ^= bit;
        self.rebuild();
    }

    /// Show only what changed against OLD, or everything again. The diff compares final
    /// filesystems, so turning it on shows the last layer, aggregated. Returns a note.
    pub fn toggle_changed_only(&mut self) -> String {
        if self.diff.is_none() {
            return "d shows what changed between two images: imgscope diff OLD NEW".into();
        }
        self.changed_only = !self.changed_only;
        let mut note = if self.changed_only {
            "showing only what changed against the old image".to_string()
        } else {
            "showing every entry".to_string()
        };
        if self.changed_only && !self.is_final_view() {
            if let Some(last) = self.layer_count().checked_sub(1) {
                self.select_layer(last);
            }
            self.mode = Mode::Aggregated;
            note.push_str(" (the final filesystem: what the diff compares)");
        }
        self.rebuild();
        note
    }

    /// Filter the tree by path. A few matches open the directories leading to them; those are
    /// closed again when the filter changes, so clearing it gives back the tree as it was.
    pub fn set_filter(&mut self, pattern: &str, regex: bool) -> Result<(), String> {
        let before = (self.filter.text().to_string(), self.filter.is_regex());
        let was_set = self.filter.is_node_set();
        self.filter.set(&self.image.tree, pattern, regex)?;
        if before == (self.filter.text().to_string(), self.filter.is_regex()) && !was_set {
            return Ok(());
        }
        self.filter_changed();
        Ok(())
    }

    /// Show only `nodes` (and the directories leading to them), named `label` in the status line.
    pub fn show_nodes(&mut self, label: &str, nodes: Vec<NodeId>) {
        self.filter.set_nodes(&self.image.tree, label, nodes);
        self.filter_changed();
    }

    /// The closure as a tree filter, in turn: only what the entrypoint needs, everything else, all.
    /// Returns a note for the status line.
    pub fn cycle_closure(&mut self) -> String {
        let Some(closure) = self.analysis.closure.as_ref() else {
            return "no closure: the image has no command, or its layers were not read".into();
        };
        let in_closure: hashbrown::HashSet<NodeId> =
            closure.files.iter().map(|(n, _)| *n).collect();
        let showing = self.filter.is_node_set() && self.filter.text().starts_with("closure");
        let everything_else = self.filter.is_node_set() && self.filter.text().starts_with("not in");
        if everything_else {
            let _ = self.set_filter("", false);
            return "closure filter off".into();
        }
        let tree = &self.image.tree;
        if showing {
            let rest: Vec<NodeId> = tree
                .non_root_ids()
                .filter(|n| !in_closure.contains(n))
                .filter(|&n| {
                    tree.live_final(n)
                        .is_some_and(|v| v.kind == crate::model::EntryKind::File)
                })
                .collect();
            self.show_nodes("not in the closure", rest);
            return "E again: every file".into();
        }
        let nodes: Vec<NodeId> = in_closure.into_iter().collect();
        let (count, bytes) = (nodes.len(), closure.bytes);
        self.show_nodes("closure (what the entrypoint needs)", nodes);
        format!(
            "the entrypoint needs {count} files, {} (a static view); E again: everything else",
            crate::text::human_size(bytes)
        )
    }

    /// After the filter changed: close what the last filter opened, open the way to a few matches.
    fn filter_changed(&mut self) {
        let auto = std::mem::take(&mut self.auto_opened);
        self.tree.close(auto);
        let matched = self.filter.matched();
        if !self.filter.is_active() || matched.len() > AUTO_EXPAND_MATCHES {
            self.rebuild();
            return;
        }
        let tree = &self.image.tree;
        let mut open = Vec::new();
        for &m in matched {
            for dir in tree.ancestors(m) {
                if self.tree.is_expanded(dir) || open.contains(&dir) {
                    break;
                }
                open.push(dir);
            }
        }
        let first: hashbrown::HashSet<NodeId> = matched.iter().copied().collect();
        self.auto_opened = open.clone();
        self.refresh_match_totals();
        let (view, lens) = self.parts();
        view.open(open);
        view.rebuild(&lens);
        if let Some(i) = view.rows().iter().position(|r| first.contains(&r.node)) {
            view.cursor = i;
        }
    }

    /// Show `target` in the tree: select its layer, and if the mode, hidden kinds or filter hide
    /// it, fall back to the aggregated view and clear them. Returns a note for the status line.
    pub fn reveal(&mut self, target: Target) -> Option<String> {
        if self.layer_count() == 0 {
            return Some("the image has no layers".into());
        }
        let layer = target.layer.unwrap_or(self.layer_count() - 1);
        self.select_layer(layer);
        let mut note = None;
        if !self.lens().shows(target.node) && self.mode == Mode::Changes {
            self.mode = Mode::Aggregated;
            self.rebuild();
        }
        if !self.lens().shows(target.node)
            && (self.hidden != 0 || self.filter.is_active() || self.changed_only)
        {
            let what = if self.changed_only {
                "cleared the filter, hidden kinds and changed-only to show it"
            } else {
                "cleared the filter and hidden kinds to show it"
            };
            self.hidden = 0;
            self.changed_only = false;
            // Clearing a filter cannot fail.
            let _ = self.set_filter("", false);
            self.rebuild();
            note = Some(what.to_string());
        }
        let (view, lens) = self.parts();
        if !view.reveal(&lens, target.node) {
            return Some(format!(
                "{} is not in layer {layer}",
                escape_control(&self.file_tree().path(target.node))
            ));
        }
        self.details_scroll = 0;
        note
    }

    /// Show, for the removed list's selected entry (a path only the old image has), the nearest
    /// path this image has: `None` if the list is empty, else a note for the status line.
    pub fn show_removed(&mut self) -> Option<String> {
        let entry = self.removed.selected()?;
        let (path, kind) = (escape_control(&entry.path).into_owned(), entry.kind);
        let node = self.removed.target(&self.image.tree)?;
        if node == ROOT {
            if let Some(last) = self.layer_count().checked_sub(1) {
                self.select_layer(last);
            }
            if self.mode == Mode::Changes {
                self.toggle_mode();
            }
            self.tree.cursor = 0;
            return Some(format!(
                "{path} is only in the old image, and so is everything above it but /"
            ));
        }
        let extra = self.reveal(Target { node, layer: None });
        let tree = &self.image.tree;
        let shown = escape_control(&tree.path(node)).into_owned();
        let mut note = match tree.live_final(node) {
            Some(now) if shown == path => format!(
                "{path} was a {} in the old image; it is a {} here",
                kind.label(),
                now.kind.label()
            ),
            _ => format!("{path} is only in the old image; showing {shown}"),
        };
        if let Some(extra) = extra {
            note.push_str(&format!(" ({extra})"));
        }
        Some(note)
    }

    /// Jump to the next (or back to the previous) of the analysis's largest files (final
    /// filesystem), wrapping around.
    pub fn step_biggest(&mut self, forward: bool) -> String {
        let files = &self.analysis.largest_files;
        if files.is_empty() {
            return "no regular files in the image".into();
        }
        let count = files.len();
        let pos = match (self.biggest, forward) {
            (None, true) => 0,
            (None, false) => count - 1,
            (Some(p), true) => (p + 1) % count,
            (Some(p), false) => (p + count - 1) % count,
        };
        self.biggest = Some(pos);
        let node = files[pos];
        let note = self.reveal(Target { node, layer: None });
        let size = human_size(self.analysis.sizes[node.index()]);
        let path = escape_control(&self.file_tree().path(node)).into_owned();
        match note {
            Some(n) => format!("biggest file {}/{count}: {size} {path} ({n})", pos + 1),
            None => format!("biggest file {}/{count}: {size} {path}", pos + 1),
        }
    }

    /// The search line opened: remember where it started.
    pub fn begin_search(&mut self) {
        self.search_origin = self.tree.selected();
        self.search_opened.clear();
        self.search_hit = None;
    }

    /// The query as typed so far: go to its first match at or after where the search started,
    /// anywhere in the shown tree (the directories above it open). False if nothing matches: the
    /// cursor is then back where the search started.
    pub fn search_typed(&mut self, query: &str) -> bool {
        self.close_search_opened();
        let origin = self.search_origin;
        let found = !query.is_empty() && self.search_step(query, origin, SearchStep::Here, true);
        if !found {
            self.search_hit = None;
            self.back_to_search_origin();
        }
        found || query.is_empty()
    }

    /// The search line closed: Enter keeps the match and the directories opened for it, Esc goes
    /// back to where the search started.
    pub fn end_search(&mut self, keep: bool) {
        if !keep {
            self.close_search_opened();
            self.back_to_search_origin();
            self.search_hit = None;
        }
        self.search_opened.clear();
        self.search_origin = None;
    }

    /// `n` / `N`: the next or previous match of the search after the selected row, in the whole
    /// shown tree. Returns a note for the status line.
    pub fn search_again(&mut self, forward: bool) -> Option<String> {
        let Some(query) = self.search.clone() else {
            return Some("no search: press / to search".into());
        };
        let step = if forward {
            SearchStep::Next
        } else {
            SearchStep::Prev
        };
        let anchor = self.tree.selected();
        if self.search_step(&query, anchor, step, false) {
            None
        } else {
            self.search_hit = None;
            Some(format!("no match for {}", escape_control(&query)))
        }
    }

    /// Find the match `step` leads to from `anchor` and select it, opening the directories
    /// above it (remembered when `typing`, to be closed again).
    fn search_step(
        &mut self,
        query: &str,
        anchor: Option<NodeId>,
        step: SearchStep,
        typing: bool,
    ) -> bool {
        let key = self.search_key();
        let hits = match self.cached_hits(&key, query, anchor) {
            Some(hits) => hits,
            None => {
                let (view, lens) = self.parts();
                view.search_all(&lens, query, anchor)
            }
        };
        let found = hits.step(step);
        self.search_cache = Some(SearchCache {
            key,
            query: query.to_string(),
            anchor,
            hits,
        });
        let Some(index) = found else {
            return false;
        };
        let hits = &self.search_cache.as_ref().expect("just set").hits;
        let (node, total) = (hits.nodes[index], hits.nodes.len());
        let (view, lens) = self.parts();
        let closed: Vec<NodeId> = lens
            .tree
            .ancestors(node)
            .filter(|&dir| !view.is_expanded(dir))
            .collect();
        if !view.reveal(&lens, node) {
            return false;
        }
        if typing {
            self.search_opened.extend(closed);
        }
        self.search_hit = Some(SearchHit { node, index, total });
        self.details_scroll = 0;
        true
    }

    /// What decides which nodes a search walks and in which order.
    fn search_key(&self) -> SearchKey {
        (
            self.layer,
            self.mode,
            self.sort,
            self.hidden,
            self.changed_only,
            self.filter.text().to_string(),
            self.filter.is_regex(),
            self.filter.is_node_set(),
        )
    }

    /// The last search's matches, narrowed to `query`, when they can stand for a walk of the
    /// tree: the tree shows the same, and `query` contains the last query (its matches are among
    /// the last ones, in the same order) from the same anchor — or is the same query from an
    /// anchor among its matches (`n`, `N`).
    fn cached_hits(
        &self,
        key: &SearchKey,
        query: &str,
        anchor: Option<NodeId>,
    ) -> Option<SearchHits> {
        let cache = self.search_cache.as_ref()?;
        if cache.key != *key || cache.query.is_empty() {
            return None;
        }
        let tree = &self.image.tree;
        if anchor == cache.anchor && contains_ignore_case(query, &cache.query) {
            let mut hits = SearchHits::default();
            for (i, &n) in cache.hits.nodes.iter().enumerate() {
                if contains_ignore_case(tree.name(n), query) {
                    hits.before_anchor += usize::from(i < cache.hits.before_anchor);
                    hits.nodes.push(n);
                }
            }
            // The anchor matches only if it matched the shorter query too.
            hits.anchor_matches = cache.hits.anchor_matches
                && anchor.is_some_and(|a| contains_ignore_case(tree.name(a), query));
            return Some(hits);
        }
        let a = anchor?;
        if query == cache.query
            && let Some(at) = cache.hits.nodes.iter().position(|&n| n == a)
        {
            return Some(SearchHits {
                nodes: cache.hits.nodes.clone(),
                before_anchor: at,
                anchor_matches: true,
            });
        }
        None
    }

    fn close_search_opened(&mut self) {
        if self.search_opened.is_empty() {
            return;
        }
        let opened = std::mem::take(&mut self.search_opened);
        self.tree.close(opened);
        self.rebuild();
    }

    fn back_to_search_origin(&mut self) {
        if let Some(origin) = self.search_origin {
            let (view, lens) = self.parts();
            view.reveal(&lens, origin);
        }
    }

    /// The match counter (`3/17`) when the selected row is the last search step's match.
    pub fn search_counter(&self) -> Option<String> {
        let hit = self.search_hit?;
        (self.tree.selected() == Some(hit.node)).then(|| format!("{}/{}", hit.index + 1, hit.total))
    }

    pub fn duplicate_group(&self, node: NodeId) -> Option<&DuplicateGroup> {
        let g = *self.dup_of.get(&node)?;
        self.analysis.duplicates.groups.get(g as usize)
    }

    pub fn reclaimable(&self, node: NodeId) -> Option<&ReclaimablePath> {
        let i = *self.waste_of.get(&node)?;
        self.analysis.waste.paths.get(i as usize)
    }

    /// The version of a later layer that replaces or removes the node's version at this layer.
    pub fn shadowed_by(&self, node: NodeId) -> Option<&Version> {
        let tree = self.file_tree();
        let (vid, _) = tree.version_at(node, self.layer)?;
        tree.version_chain(node)
            .find(|(_, v)| v.prev() == Some(vid))
            .map(|(_, v)| v)
    }
}

//! The file tree as the user sees it: a flat list of visible rows (depth-first, one per shown
//! node), spliced when a directory is expanded or collapsed, so moving, expanding and drawing cost
//! what is on screen or under the directory, never a walk of the whole arena.
//!
//! What is shown and in which order is decided by a [`Lens`]: the layer's [`LayerStats`], the
//! mode (aggregated or this layer's changes), the hidden change kinds, the path filter, the sort,
//! and in a diff's final filesystem, whether only what changed against OLD is shown.
//! Children come sorted by name from the arena; size order is sorted lazily, per directory, when it
//! is first expanded (for "expand all", every directory's in one go), and cached until the sizes
//! change (another layer or mode).

use hashbrown::{HashMap, HashSet};

use super::diff_marks::DiffMarks;
use super::filter::PathFilter;
use super::stats::{ALL_KINDS, CHANGED, LayerStats, REMOVED};
use crate::model::{FileTree, NodeId, ROOT, Version};

/// Which filesystem the tree shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything up to and including the selected layer.
    Aggregated,
    /// Only what the selected layer added, modified or removed.
    Changes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Largest first (ties by name).
    Size,
    Name,
}

/// Everything that decides which nodes are shown, in what order and with which size.
#[derive(Clone, Copy)]
pub struct Lens<'a> {
    pub tree: &'a FileTree,
    pub stats: &'a LayerStats,
    /// The analysis's final-filesystem sizes.
    pub final_sizes: &'a [u64],
    pub filter: &'a PathFilter,
    pub mode: Mode,
    pub sort: Sort,
    /// Change-kind bits the user has hidden.
    pub hidden: u8,
    /// `imgscope diff`, when the tree shows the final filesystem (the last layer, aggregated):
    /// the marks against OLD.
    pub diff: Option<&'a DiffMarks>,
    /// With `diff`: only what changed, and the directories above it.
    pub changed_only: bool,
    /// With a filter: the matches' totals, which directories show in place of their size.
    pub match_totals: Option<&'a MatchTotals>,
}

/// A filter's matches as the tree shows them (at one layer, mode and hidden kinds): how many,
/// their bytes, and for each directory above a match the bytes of the matches below it — what a
/// filtered directory's size means. A match inside a matching directory is counted, its bytes
/// not twice.
#[derive(Debug, Default)]
pub struct MatchTotals {
    pub count: usize,
    pub bytes: u64,
    dirs: HashMap<NodeId, u64>,
    /// Changes whenever the totals are recomputed, so orders sorted by them are sorted again.
    pub generation: u64,
}

impl MatchTotals {
    /// Totals of `matched` as `lens` (without totals of its own) shows them: one pass over the
    /// matches, each walking up its ancestors.
    pub fn compute(lens: &Lens, matched: &[NodeId], generation: u64) -> MatchTotals {
        let mut totals = MatchTotals {
            generation,
            ..MatchTotals::default()
        };
        let mut is_match = super::filter::Bitset::new(lens.tree.node_count());
        for &m in matched {
            is_match.set(m);
        }
        let mut above = Vec::new();
        for &m in matched {
            if !lens.shows(m) {
                continue;
            }
            totals.count += 1;
            above.clear();
            let mut cur = lens.tree.node(m).parent();
            let mut inside_a_match = false;
            while let Some(dir) = cur {
                if is_match.get(dir) {
                    inside_a_match = true;
                    break;
                }
                above.push(dir);
                cur = lens.tree.node(dir).parent();
            }
            if inside_a_match {
                continue;
            }
            let bytes = lens.size(m);
            totals.bytes = totals.bytes.saturating_add(bytes);
            for &dir in &above {
                let t = totals.dirs.entry(dir).or_default();
                *t = t.saturating_add(bytes);
            }
        }
        totals
    }
}

impl Lens<'_> {
    pub fn shows(&self, node: NodeId) -> bool {
        if !self.stats.present(node) {
            return false;
        }
        let mut kinds = self.stats.below(node) & !self.hidden & ALL_KINDS;
        if self.mode == Mode::Changes {
            kinds &= CHANGED;
        }
        if self.changed_only
            && let Some(diff) = self.diff
            && !diff.changed(node)
        {
            return false;
        }
        kinds != 0 && self.filter.keeps(node)
    }

    /// The node's version as of the layer.
    pub fn version(&self, node: NodeId) -> Option<&Version> {
        self.tree.version_at(node, self.stats.layer).map(|(_, v)| v)
    }

    pub fn is_dir(&self, node: NodeId) -> bool {
        self.stats.is_dir(node)
    }

    /// The size shown for a node: its size as of the layer (aggregated), the bytes the layer wrote
    /// below it (changes), or, for a node the layer removed, the bytes removed; for a directory
    /// above a filter's matches, the matches' bytes below it.
    pub fn size(&self, node: NodeId) -> u64 {
        if let Some(&bytes) = self.match_totals.and_then(|t| t.dirs.get(&node)) {
            return bytes;
        }
        if self.stats.own(node) == REMOVED || self.mode == Mode::Changes {
            self.stats.delta(node)
        } else {
            self.stats.size(node, self.final_sizes)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub node: NodeId,
    pub depth: u16,
}

#[derive(Debug, Default)]
pub struct TreeState {
    rows: Vec<Row>,
    expanded: HashSet<NodeId>,
    /// The last shown child of each listed directory, for drawing tree guides.
    last_child: HashMap<NodeId, NodeId>,
    /// Children in size order, per directory, for the sizes of `order_key`.
    size_order: SizeOrders,
    order_key: Option<(usize, Mode, u64)>,
    pub cursor: usize,
    pub offset: usize,
}

impl TreeState {
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn selected(&self) -> Option<NodeId> {
        self.rows.get(self.cursor).map(|r| r.node)
    }

    pub fn is_expanded(&self, node: NodeId) -> bool {
        self.expanded.contains(&node)
    }

    /// Whether the node is the last shown child of its parent.
    pub fn is_last(&self, tree: &FileTree, node: NodeId) -> bool {
        let parent = tree.node(node).parent();
        parent.and_then(|p| self.last_child.get(&p)) == Some(&node)
    }

    /// Forget cached size orders if the sizes they were sorted by are gone.
    fn check_order_cache(&mut self, lens: &Lens) {
        let key = (
            lens.stats.layer,
            lens.mode,
            lens.match_totals.map_or(0, |t| t.generation),
        );
        if self.order_key != Some(key) {
            self.size_order.clear();
            self.order_key = Some(key);
        }
    }

    /// Push the shown children of `dir` onto `stack` as rows at `depth`, last first (so they pop
    /// in the lens's order).
    fn push_children(&mut self, lens: &Lens, dir: NodeId, depth: u16, stack: &mut Vec<Row>) {
        let by_name = lens.tree.children(dir);
        let ordered: &[NodeId] = match lens.sort {
            Sort::Name => by_name,
            Sort::Size => self.size_order.get_or_sort(lens, dir),
        };
        let shown = ordered.iter().rev().copied().filter(|&n| lens.shows(n));
        let before = stack.len();
        stack.extend(shown.map(|node| Row { node, depth }));
        match stack.get(before) {
            Some(last) => self.last_child.insert(dir, last.node),
            None => self.last_child.remove(&dir),
        };
    }

    /// Rows for the subtree below `dir` (not `dir` itself), following the expanded set; with
    /// `expand_all`, every directory is expanded on the way.
    fn subtree_rows(&mut self, lens: &Lens, dir: NodeId, depth: u16, expand_all: bool) -> Vec<Row> {
        // Expanding everything makes up to a row per node: room for them at once, not by doubling.
        let mut out = Vec::with_capacity(if expand_all {
            lens.tree.node_count()
        } else {
            0
        });
        let mut stack: Vec<Row> = Vec::new();
        self.push_children(lens, dir, depth, &mut stack);
        while let Some(row) = stack.pop() {
            out.push(row);
            let open = if expand_all && lens.is_dir(row.node) {
                self.expanded.insert(row.node);
                true
            } else {
                self.expanded.contains(&row.node) && lens.is_dir(row.node)
            };
            if open {
                self.push_children(lens, row.node, row.depth.saturating_add(1), &mut stack);
            }
        }
        out
    }

    /// Recompute all rows (after the layer, mode, sort, hidden kinds or filter changed), keeping
    /// the cursor on the same node when it is still shown, else on its nearest shown ancestor.
    pub fn rebuild(&mut self, lens: &Lens) {
        self.rebuild_with(lens, false);
    }

    fn rebuild_with(&mut self, lens: &Lens, expand_all: bool) {
        self.check_order_cache(lens);
        if expand_all && lens.sort == Sort::Size {
            // Every directory's children will be wanted: order them all first.
            self.size_order.sort_all(lens, lens.stats.dirs());
        }
        let selected = self.selected();
        self.last_child.clear();
        self.rows = self.subtree_rows(lens, ROOT, 0, expand_all);
        self.cursor = 0;
        if let Some(i) =
            selected.and_then(|node| lens.tree.lineage(node).find_map(|n| self.find_row(n)))
        {
            self.cursor = i;
        }
    }

    /// The row showing `node`, if it is shown.
    pub fn find_row(&self, node: NodeId) -> Option<usize> {
        self.rows.iter().position(|r| r.node == node)
    }

    /// Expand the directory at row `i`; false if it is not a collapsed directory.
    pub fn expand_at(&mut self, lens: &Lens, i: usize) -> bool {
        let Some(row) = self.rows.get(i).copied() else {
            return false;
        };
        if !lens.is_dir(row.node) || self.expanded.contains(&row.node) {
            return false;
        }
        self.check_order_cache(lens);
        self.expanded.insert(row.node);
        let sub = self.subtree_rows(lens, row.node, row.depth.saturating_add(1), false);
        let added = sub.len();
        self.rows.splice(i + 1..i + 1, sub);
        if self.cursor > i {
            self.cursor += added;
        }
        true
    }

    /// Collapse the directory at row `i`; false if it is not expanded.
    pub fn collapse_at(&mut self, i: usize) -> bool {
        let Some(row) = self.rows.get(i).copied() else {
            return false;
        };
        if !self.expanded.remove(&row.node) {
            return false;
        }
        let end = self.subtree_end(i);
        self.rows.drain(i + 1..end);
        if self.cursor > i && self.cursor < end {
            self.cursor = i;
        } else if self.cursor >= end {
            self.cursor -= end - i - 1;
        }
        true
    }

    /// One past the last row below row `i`.
    fn subtree_end(&self, i: usize) -> usize {
        let depth = self.rows[i].depth;
        let mut end = i + 1;
        while end < self.rows.len() && self.rows[end].depth > depth {
            end += 1;
        }
        end
    }

    /// Space / Enter: expand or collapse the selected directory.
    pub fn toggle(&mut self, lens: &Lens) {
        let i = self.cursor;
        if !self.collapse_at(i) {
            self.expand_at(lens, i);
        }
    }

    /// Right / l: expand the selected directory, or step into it if it is open.
    pub fn right(&mut self, lens: &Lens) {
        let i = self.cursor;
        if !self.expand_at(lens, i)
            && self.is_open_at(i)
            && self
                .rows
                .get(i + 1)
                .is_some_and(|r| r.depth > self.rows[i].depth)
        {
            self.cursor = i + 1;
        }
    }

    /// Left / h: collapse the selected directory, or go to its parent.
    pub fn left(&mut self) {
        let i = self.cursor;
        if self.collapse_at(i) {
            return;
        }
        let Some(row) = self.rows.get(i) else { return };
        if row.depth == 0 {
            return;
        }
        let mut j = i;
        while j > 0 {
            j -= 1;
            if self.rows[j].depth < row.depth {
                self.cursor = j;
                return;
            }
        }
    }

    fn is_open_at(&self, i: usize) -> bool {
        self.rows
            .get(i)
            .is_some_and(|r| self.expanded.contains(&r.node))
    }

    /// Mark directories expanded without touching the rows; `rebuild` applies it.
    pub fn open(&mut self, dirs: impl IntoIterator<Item = NodeId>) {
        self.expanded.extend(dirs);
    }

    /// Mark directories collapsed without touching the rows; `rebuild` applies it.
    pub fn close(&mut self, dirs: impl IntoIterator<Item = NodeId>) {
        for d in dirs {
            self.expanded.remove(&d);
        }
    }

    pub fn collapse_all(&mut self, lens: &Lens) {
        let top = self.selected().map(|n| top_ancestor(lens.tree, n));
        self.expanded.clear();
        self.rebuild(lens);
        if let Some(i) = top.and_then(|n| self.find_row(n)) {
            self.cursor = i;
        }
    }

    /// dive's Ctrl-Space: collapse every directory when one is open, else expand them all.
    pub fn toggle_collapse_all(&mut self, lens: &Lens) {
        if self.expanded.is_empty() {
            self.expand_all(lens);
        } else {
            self.collapse_all(lens);
        }
    }

    /// Expand every shown directory (one walk of the shown tree).
    pub fn expand_all(&mut self, lens: &Lens) {
        self.rebuild_with(lens, true);
    }

    /// Expand the node's ancestors and put the cursor on it; false if the lens hides it.
    pub fn reveal(&mut self, lens: &Lens, node: NodeId) -> bool {
        if node == ROOT || !lens.shows(node) {
            return false;
        }
        let chain: Vec<NodeId> = lens.tree.ancestors(node).collect();
        // Walk down from the top: find each ancestor's row below the previous one, open it.
        let mut from = 0;
        let mut end = self.rows.len();
        for &anc in chain.iter().rev() {
            let Some(i) = (from..end).find(|&i| self.rows[i].node == anc) else {
                return false;
            };
            self.expand_at(lens, i);
            from = i + 1;
            end = self.subtree_end(i);
        }
        match (from..end).find(|&i| self.rows[i].node == node) {
            Some(i) => {
                self.cursor = i;
                true
            }
            None => false,
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            self.cursor = 0;
            return;
        }
        let max = self.rows.len() - 1;
        self.cursor = self.cursor.saturating_add_signed(delta).min(max);
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.rows.len().saturating_sub(1);
    }

    /// Keep the cursor inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
        self.offset = visible_offset(self.offset, self.cursor, height, self.rows.len());
    }

    /// Every node the lens shows whose name contains `query` (ignoring ASCII case), collapsed
    /// directories included, in the order the tree lists them when all is expanded; and where
    /// `anchor` stands in that order. One walk of the shown tree.
    pub fn search_all(&mut self, lens: &Lens, query: &str, anchor: Option<NodeId>) -> SearchHits {
        let mut hits = SearchHits::default();
        if query.is_empty() {
            return hits;
        }
        self.check_order_cache(lens);
        let mut stack: Vec<NodeId> = Vec::new();
        let push = |orders: &mut SizeOrders, stack: &mut Vec<NodeId>, dir: NodeId| {
            let ordered: &[NodeId] = match lens.sort {
                Sort::Name => lens.tree.children(dir),
                Sort::Size => orders.get_or_sort(lens, dir),
            };
            stack.extend(ordered.iter().rev().copied().filter(|&n| lens.shows(n)));
        };
        push(&mut self.size_order, &mut stack, ROOT);
        while let Some(node) = stack.pop() {
            let matches = contains_ignore_case(lens.tree.name(node), query);
            if Some(node) == anchor {
                hits.before_anchor = hits.nodes.len();
                hits.anchor_matches = matches;
            }
            if matches {
                hits.nodes.push(node);
            }
            if lens.is_dir(node) {
                push(&mut self.size_order, &mut stack, node);
            }
        }
        hits
    }
}

/// What a search found in the whole shown tree (see [`TreeState::search_all`]).
#[derive(Debug, Default)]
pub struct SearchHits {
    /// The matching nodes, in tree order.
    pub nodes: Vec<NodeId>,
    /// How many matches come before the anchor.
    pub before_anchor: usize,
    /// Whether the anchor matches itself.
    pub anchor_matches: bool,
}

/// Which match a search step goes to, from its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchStep {
    /// The anchor if it matches, else the next match after it (as the query is typed).
    Here,
    Next,
    Prev,
}

impl SearchHits {
    /// The index of the match a step from the anchor lands on, wrapping around.
    pub fn step(&self, step: SearchStep) -> Option<usize> {
        let n = self.nodes.len();
        if n == 0 {
            return None;
        }
        Some(match step {
            SearchStep::Here => self.before_anchor % n,
            SearchStep::Next => (self.before_anchor + usize::from(self.anchor_matches)) % n,
            SearchStep::Prev => (self.before_anchor + n - 1) % n,
        })
    }
}

/// The first row to draw so that `cursor` is visible in `height` rows, moving as little as
/// possible from `offset`.
pub fn visible_offset(offset: usize, cursor: usize, height: usize, len: usize) -> usize {
    if height == 0 {
        return cursor;
    }
    let mut off = offset.min(len.saturating_sub(height));
    if cursor < off {
        off = cursor;
    } else if cursor >= off + height {
        off = cursor + 1 - height;
    }
    off
}

/// Children in size order, per directory: every order in one vector (a directory's is a span of
/// it), sorted through reused key buffers, so ordering ten thousand directories at once ("expand
/// all") allocates next to nothing.
#[derive(Debug, Default)]
struct SizeOrders {
    spans: HashMap<NodeId, (u32, u32)>,
    nodes: Vec<NodeId>,
    keys: Vec<u64>,
    wide_keys: Vec<u128>,
}

impl SizeOrders {
    fn clear(&mut self) {
        self.spans.clear();
        self.nodes.clear();
    }

    /// The children of `dir` (in name order in the arena) largest first, ties in name order,
    /// sorted on first use. Each child becomes one integer key (inverted size, then name rank), sorted once:
    /// 64 bits when the sizes leave room for the rank (always, short of exabyte files), else 128.
    fn get_or_sort(&mut self, lens: &Lens, dir: NodeId) -> &[NodeId] {
        let (start, len) = self.span(lens, dir);
        &self.nodes[start as usize..(start + len) as usize]
    }

    /// Order the children of each of `dirs` not ordered yet, in one go (before a walk that will
    /// want them all: no lookup, allocation or cache miss per directory in between).
    fn sort_all(&mut self, lens: &Lens, dirs: impl Iterator<Item = NodeId>) {
        for dir in dirs {
            self.span(lens, dir);
        }
    }

    /// Where `dir`'s children stand in `nodes`, sorted there first if they are not yet.
    fn span(&mut self, lens: &Lens, dir: NodeId) -> (u32, u32) {
        if let Some(&span) = self.spans.get(&dir) {
            return span;
        }
        let children = lens.tree.children(dir);
        let span = (self.nodes.len() as u32, children.len() as u32);
        self.sort_into_nodes(|n| lens.size(n), children);
        self.spans.insert(dir, span);
        span
    }

    /// Append `children` to `nodes` by `size`, largest first, ties in their given order.
    fn sort_into_nodes(&mut self, size: impl Fn(NodeId) -> u64, children: &[NodeId]) {
        if children.is_empty() {
            return;
        }
        let rank_bits = usize::BITS - children.len().leading_zeros();
        self.keys.clear();
        self.keys.extend(children.iter().map(|&n| size(n)));
        let largest = self.keys.iter().copied().max().unwrap_or(0);
        if rank_bits < u64::BITS && largest < (1u64 << (u64::BITS - rank_bits)) {
            for (rank, key) in self.keys.iter_mut().enumerate() {
                *key = ((largest - *key) << rank_bits) | rank as u64;
            }
            self.keys.sort_unstable();
            let mask = (1u64 << rank_bits) - 1;
            self.nodes
                .extend(self.keys.iter().map(|k| children[(k & mask) as usize]));
        } else {
            self.wide_keys.clear();
            self.wide_keys.extend(
                self.keys
                    .iter()
                    .enumerate()
                    .map(|(rank, &size)| (u128::from(!size) << 64) | rank as u128),
            );
            self.wide_keys.sort_unstable();
            self.nodes
                .extend(self.wide_keys.iter().map(|&k| children[k as u64 as usize]));
        }
    }
}

/// The rows of a list that fit in `height` lines with `cursor` visible: `(line, index, row)`.
pub fn visible_rows<T>(
    rows: &[T],
    offset: usize,
    cursor: usize,
    height: usize,
) -> impl Iterator<Item = (usize, usize, &T)> {
    let first = visible_offset(offset, cursor, height, rows.len());
    rows.iter()
        .enumerate()
        .skip(first)
        .take(height)
        .enumerate()
        .map(|(y, (i, row))| (y, i, row))
}

fn top_ancestor(tree: &FileTree, node: NodeId) -> NodeId {
    tree.lineage(node).last().unwrap_or(node)
}

/// Substring test ignoring ASCII case, without allocating.
pub fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Where the query occurs in `hay` (ignoring ASCII case): byte range of the first occurrence.
pub fn find_ignore_case(hay: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return None;
    }
    h.windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
        .map(|i| i..i + n.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the packed keys must agree with: a stable sort, largest first.
    fn reference(children: &[NodeId], size: &dyn Fn(NodeId) -> u64) -> Vec<NodeId> {
        let mut want = children.to_vec();
        want.sort_by_key(|&n| std::cmp::Reverse(size(n)));
        want
    }

    #[test]
    fn size_order_is_largest_first_with_ties_in_name_order() {
        let cases: Vec<Vec<u64>> = vec![
            vec![],
            vec![7],
            vec![3, 9, 3, 0, 9, 1],
            // Sizes that leave no room for the rank in 64 bits take the 128-bit keys.
            vec![u64::MAX, 5, u64::MAX - 1, u64::MAX, 0],
            vec![1 << 62, 1 << 62, 3],
            (0..1000).map(|i| (i * 7919 % 97) as u64).collect(),
        ];
        for sizes in cases {
            // Children ids in name order (not id order), as the arena hands them.
            let children: Vec<NodeId> = (0..sizes.len()).rev().map(NodeId::from_index).collect();
            let size = |n: NodeId| sizes[n.index()];
            let mut orders = SizeOrders::default();
            let earlier = NodeId::from_index(u32::MAX as usize - 1);
            orders.nodes.push(earlier); // an earlier directory's span stays as it was
            orders.sort_into_nodes(size, &children);
            assert_eq!(orders.nodes[0], earlier);
            assert_eq!(orders.nodes[1..], reference(&children, &size), "{sizes:?}");
        }
    }
}

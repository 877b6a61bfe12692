//! dive's efficiency score, reproduced exactly so users can compare the two tools.
//!
//! dive visits, in every layer, the leaves of that layer's own entry tree (a whiteout counts as a
//! leaf at the path it deletes, sized by the subtree it removed when that was a directory, else 0).
//! Per path it keeps the smallest size seen and the sum of sizes:
//! `efficiency = Σ min / Σ sum` over paths, and its "inefficient bytes" is `Σ sum` over paths seen in
//! two or more layers — which counts the kept copy too, so it is not what a user could reclaim
//! (see `waste` for that).

use crate::model::NodeId;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DiveEfficiency {
    pub score: f64,
    pub inefficient_bytes: u64,
}

/// The ledger, kept as running totals plus 12 bytes per path: the smallest size seen, and which
/// layer last recorded the path and how many layers did (0, 1, or 2 for "two or more"). A path
/// seen once has its sum equal to its minimum, so no per-path sum is needed.
#[derive(Debug, Default)]
pub struct DiveLedger {
    min: Vec<u64>,
    /// `(slot + 1) << 2 | count`, where slot is the last layer that recorded the path, times two,
    /// plus one for its entries (zero for its whiteouts).
    tag: Vec<u32>,
    min_total: u128,
    sum_total: u128,
    inefficient: u128,
}

impl DiveLedger {
    /// The leaves of layer `layer`'s own tree, as `(node, size)` in tar order: its whiteouts and
    /// its other entries. In dive's per-layer tree a whiteout is a node of its own (`.wh.NAME`)
    /// beside `NAME`, so a layer that deletes and rewrites a path has two leaves there; a second
    /// entry for the same path (or a second whiteout of it) replaces the first, as dive's tree
    /// keeps only the last.
    pub fn record_layer(
        &mut self,
        layer: usize,
        whiteouts: &[(NodeId, u64)],
        entries: &[(NodeId, u64)],
    ) {
        self.record_leaves(2 * layer, whiteouts);
        self.record_leaves(2 * layer + 1, entries);
    }

    /// One set of leaves whose repeats replace each other (`slot`: a layer's whiteouts or entries).
    fn record_leaves(&mut self, slot: usize, leaves: &[(NodeId, u64)]) {
        let mark = (slot as u32 + 1) << 2;
        for &(node, size) in leaves.iter().rev() {
            let i = node.index();
            if self.tag.len() <= i {
                let n = i + 1 - self.tag.len();
                crate::model::growth::reserve(&mut self.tag, n);
                crate::model::growth::reserve(&mut self.min, n);
                self.tag.resize(i + 1, 0);
                self.min.resize(i + 1, 0);
            }
            let tag = self.tag[i];
            if tag & !3 == mark {
                continue; // a later leaf of this set already counted
            }
            let size128 = u128::from(size);
            match tag & 3 {
                0 => {
                    self.min[i] = size;
                    self.min_total += size128;
                    self.tag[i] = mark | 1;
                }
                count => {
                    let before = self.min[i];
                    let min = before.min(size);
                    self.min_total = self.min_total - u128::from(before) + u128::from(min);
                    self.min[i] = min;
                    // Seen once, the path's sum was its one size, equal to its minimum.
                    self.inefficient += size128 + if count == 1 { u128::from(before) } else { 0 };
                    self.tag[i] = mark | 2;
                }
            }
            self.sum_total += size128;
        }
    }

    pub fn result(&self) -> DiveEfficiency {
        let score = if self.sum_total == 0 {
            1.0
        } else {
            self.min_total as f64 / self.sum_total as f64
        };
        DiveEfficiency {
            score,
            inefficient_bytes: u64::try_from(self.inefficient).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaves given as (node index, size).
    fn leaves(pairs: &[(usize, u64)]) -> Vec<(NodeId, u64)> {
        let leaf = |&(i, size): &(usize, u64)| (NodeId::from_index(i), size);
        pairs.iter().map(leaf).collect()
    }

    #[test]
    fn score_is_min_over_sum() {
        let mut l = DiveLedger::default();
        l.record_layer(0, &[], &leaves(&[(1, 100), (2, 50)])); // base files
        l.record_layer(1, &[], &leaves(&[(1, 100)])); // rewritten (chmod)
        l.record_layer(2, &leaves(&[(2, 0)]), &[]); // whiteout of a file
        let r = l.result();
        // mins: 100 + 0 = 100; sums: 200 + 50 = 250
        assert!((r.score - 100.0 / 250.0).abs() < 1e-12);
        assert_eq!(r.inefficient_bytes, 250);
    }

    #[test]
    fn the_last_leaf_of_a_layer_wins() {
        let mut l = DiveLedger::default();
        l.record_layer(0, &[], &leaves(&[(1, 10), (1, 300)]));
        l.record_layer(1, &[], &leaves(&[(1, 40), (1, 70), (3, 5)]));
        l.record_layer(2, &[], &leaves(&[(1, 20)]));
        let r = l.result();
        // node 1: leaves 300, 70, 20 → min 20, sum 390; node 3: 5, 5.
        assert!((r.score - 25.0 / 395.0).abs() < 1e-12);
        assert_eq!(r.inefficient_bytes, 390);
    }

    #[test]
    fn a_whiteout_and_a_rewrite_in_one_layer_are_two_leaves() {
        let mut l = DiveLedger::default();
        l.record_layer(0, &[], &leaves(&[(1, 100), (2, 10)]));
        // `.wh.foo` and `foo` in one layer: dive's tree has both nodes.
        l.record_layer(1, &leaves(&[(1, 0)]), &leaves(&[(1, 40)]));
        let r = l.result();
        // foo: min 0, sum 140 (three leaves); bar: 10.
        assert!((r.score - 10.0 / 150.0).abs() < 1e-12);
        assert_eq!(r.inefficient_bytes, 140);
    }

    #[test]
    fn empty_image_is_fully_efficient() {
        assert_eq!(DiveLedger::default().result().score, 1.0);
    }
}

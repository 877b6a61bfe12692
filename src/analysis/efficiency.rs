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

#[derive(Debug, Default)]
pub struct DiveLedger {
    /// Per node: (smallest size, cumulative size, layers seen, last layer + 1, last size).
    slots: Vec<Slot>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    min: u64,
    sum: u64,
    count: u32,
    last_layer: u32,
    last_size: u64,
}

impl DiveLedger {
    /// A leaf of layer `layer`'s tree at `node` with `size` bytes. A second leaf for the same path in
    /// the same layer replaces the first, as dive's per-layer tree keeps only the last entry.
    pub fn record(&mut self, node: NodeId, layer: usize, size: u64) {
        let i = node as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, Slot::default());
        }
        let slot = &mut self.slots[i];
        let mark = layer as u32 + 1;
        if slot.last_layer == mark {
            slot.sum = slot.sum - slot.last_size + size;
            slot.min = slot.min.min(size);
        } else {
            slot.min = if slot.count == 0 {
                size
            } else {
                slot.min.min(size)
            };
            slot.sum += size;
            slot.count += 1;
        }
        slot.last_layer = mark;
        slot.last_size = size;
    }

    pub fn result(&self) -> DiveEfficiency {
        let mut min_total: u128 = 0;
        let mut sum_total: u128 = 0;
        let mut inefficient: u64 = 0;
        for slot in self.slots.iter().filter(|s| s.count > 0) {
            min_total += slot.min as u128;
            sum_total += slot.sum as u128;
            if slot.count >= 2 {
                inefficient += slot.sum;
            }
        }
        let score = if sum_total == 0 {
            1.0
        } else {
            min_total as f64 / sum_total as f64
        };
        DiveEfficiency {
            score,
            inefficient_bytes: inefficient,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_min_over_sum() {
        let mut l = DiveLedger::default();
        l.record(1, 0, 100); // base file
        l.record(2, 0, 50);
        l.record(1, 1, 100); // rewritten (chmod)
        l.record(2, 2, 0); // whiteout of a file
        let r = l.result();
        // mins: 100 + 0 = 100; sums: 200 + 50 = 250
        assert!((r.score - 100.0 / 250.0).abs() < 1e-12);
        assert_eq!(r.inefficient_bytes, 250);
    }

    #[test]
    fn empty_image_is_fully_efficient() {
        assert_eq!(DiveLedger::default().result().score, 1.0);
    }
}

//! A small seeded xorshift generator for the parsers' garbage tests: the same bytes on every run
//! and machine, so a failing round can be replayed, and no dependency for it.

/// Marsaglia's xorshift64 (13, 7, 17); the seed must not be zero.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// [`XorShift::below`] for sizes and offsets counted in `u64`.
    pub(crate) fn below_u64(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

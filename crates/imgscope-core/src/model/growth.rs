//! Growing the arena's vectors by a quarter instead of doubling: a doubled `Vec` of a million
//! nodes or versions can hold almost twice the memory it uses. Growing by a quarter keeps pushes
//! amortized O(1) (large blocks are moved by `mremap`, not copied) and the slack under 25 %.

/// The smallest step, so that small trees do not reallocate on every few pushes.
const MIN_STEP: usize = 1024;

/// Make room for `additional` more items, growing by at least a quarter of the capacity.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize) {
    let needed = v.len().saturating_add(additional);
    if needed > v.capacity() {
        let step = (v.capacity() / 4).max(MIN_STEP).max(needed - v.len());
        v.reserve_exact(step);
    }
}

/// `v.push(item)`, growing by a quarter when full.
pub fn push<T>(v: &mut Vec<T>, item: T) {
    reserve(v, 1);
    v.push(item);
}

#[cfg(test)]
mod tests {
    #[test]
    fn slack_stays_under_a_quarter() {
        let mut v = Vec::new();
        for i in 0..1_000_000u32 {
            super::push(&mut v, i);
            if v.len() > 4 * super::MIN_STEP {
                assert!(
                    v.capacity() <= v.len() + v.len() / 4 + 1,
                    "{} {}",
                    v.len(),
                    v.capacity()
                );
            }
        }
        assert_eq!(v.len(), 1_000_000);
    }

    #[test]
    fn reserve_makes_room_for_a_large_batch() {
        let mut v: Vec<u8> = Vec::with_capacity(10);
        super::reserve(&mut v, 100_000);
        assert!(v.capacity() >= 100_000);
    }
}

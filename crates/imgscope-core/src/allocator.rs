//! Tuning of the C allocator for imgscope's allocation pattern: a few very large arrays that grow
//! while layers merge, and per-layer buffers that decoder threads allocate and free.
//!
//! glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), after
//! which blocks of that size come from the heap arenas, where freed memory stays resident and
//! fragments: on a 1,000,000-file image that kept ~55 MB more resident than the live heap. A
//! fixed threshold keeps every block of 1 MiB or more in its own mapping, given back when freed
//! and grown by `mremap` without copying.

/// Apply the tuning; call once at start, before any thread exists.
#[allow(unsafe_code)] // mallopt(3) has no safe wrapper.
pub fn tune_for_large_arrays() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: libc::c_int = 1024 * 1024;
        // SAFETY: mallopt only changes allocator parameters; it is called before other threads
        // start. A failure leaves the defaults, which are correct, only less frugal.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}

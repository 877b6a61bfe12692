//! Byte counts for people: IEC units (KiB, MiB, …) through bytesize, or SI units (kB, MB, …, as
//! docker and dive print them) with `--si`. Shared by the analysis's plain-words verdicts, every
//! report and the viewer: the one place sizes become words.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether sizes are printed in SI units; set once at startup from `--si`.
static SI: AtomicBool = AtomicBool::new(false);

/// Print every size from now on in SI units (powers of 1000: kB, MB) rather than IEC (KiB, MiB).
pub fn use_si(si: bool) {
    SI.store(si, Ordering::Relaxed);
}

/// Human size, IEC units (KiB, MiB, …), or SI units (kB, MB, …) after [`use_si`].
pub fn human_size(bytes: u64) -> String {
    let size = bytesize::ByteSize::b(bytes);
    if SI.load(Ordering::Relaxed) {
        size.display().si().to_string()
    } else {
        size.display().iec().to_string()
    }
}

//! Byte counts and shares for people: IEC units (KiB, MiB, …) through bytesize, or SI units (kB, MB, …, as
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

/// `+1.2 MiB`, `-300 B`, `0 B`.
pub fn signed_size(delta: i64) -> String {
    let size = human_size(delta.unsigned_abs());
    match delta {
        d if d > 0 => format!("+{size}"),
        d if d < 0 => format!("-{size}"),
        _ => size,
    }
}

/// A ratio as a percentage with two decimals (`98.44%`), `∞` when unbounded.
pub fn percent(ratio: f64) -> String {
    if ratio.is_infinite() {
        "∞%".to_string()
    } else {
        format!("{:.2}%", ratio * 100.0)
    }
}

/// A fraction as a percentage for sentences: "23%", "0.4%", "<0.1%".
pub fn rough_percent(f: f64) -> String {
    let p = f * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        "<0.1%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_iec() {
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(0), "0 B");
    }

    #[test]
    fn signed_sizes_and_shares() {
        assert_eq!(signed_size(1024), "+1.0 KiB");
        assert_eq!(signed_size(-300), "-300 B");
        assert_eq!(signed_size(0), "0 B");
        assert_eq!(percent(0.98444), "98.44%");
        assert_eq!(percent(f64::INFINITY), "∞%");
        assert_eq!(rough_percent(0.0004), "<0.1%");
        assert_eq!(rough_percent(0.234), "23%");
        assert_eq!(rough_percent(0.04), "4.0%");
    }
}

//! Small text helpers only the views use: the name of a layer blob (`compressed` or `blob`), where
//! a layer stands (`layer 3 of 0–6`), permission strings, UTC times, size bars, how far a load has
//! got, and wrapping that never breaks a number from its unit. The words the viewer shares with
//! the reports — sizes, clipping, one-line commands, escaping every image-derived string — are
//! `crate::text`'s, so the viewer prints what the reports print.

use std::sync::atomic::Ordering;

use crate::model::EntryKind;
use crate::pipeline::load::Progress;
use unicode_width::UnicodeWidthChar;

/// What an image's layer blobs are called beside their sizes: `compressed`, or `blob` when no
/// layer is compressed (an uncompressed tar's blob is a little larger than its contents: headers
/// and padding, so "compressed" would read as a bug).
pub fn blob_label(image: &crate::model::Image) -> &'static str {
    if image
        .layers
        .iter()
        .any(|l| l.compression != crate::model::Compression::None)
    {
        "compressed"
    } else {
        "blob"
    }
}

/// Where a layer stands, as the status line and the details pane both say it: `layer 3 (4th of
/// 7)`, `layer 0 (the only one)` — its number as the layers pane and the reports give it (from
/// 0), then its place counted from 1.
pub fn layer_of(index: usize, count: usize) -> String {
    match count {
        0 => "no layers".to_string(),
        1 => format!("layer {index} (the only one)"),
        _ => format!("layer {index} ({} of {count})", ordinal(index + 1)),
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `12th`, `13th`, `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `drwxr-xr-x`-style permissions, with the type letter and setuid/setgid/sticky bits.
pub fn mode_string(kind: EntryKind, mode: u32) -> String {
    let t = match kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
        EntryKind::File | EntryKind::Whiteout | EntryKind::Opaque => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (i, (bit, set_x, set_no_x)) in special.iter().enumerate() {
        let shift = 6 - 3 * i as u32;
        let bits = (mode >> shift) & 0o7;
        let (r, w, x) = (bits & 0o4 != 0, bits & 0o2 != 0, bits & 0o1 != 0);
        s.push(if r { 'r' } else { '-' });
        s.push(if w { 'w' } else { '-' });
        s.push(match (mode & bit != 0, x) {
            (true, true) => *set_x,
            (true, false) => *set_no_x,
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    format!("{} UTC", crate::text::time::utc(secs))
}

/// A bar of `width` cells filled to `fraction` (0..=1), in eighths of a cell.
pub fn bar(fraction: f64, width: usize) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let total = (fraction * (width * 8) as f64).round() as usize;
    let mut s = String::with_capacity(width * 3);
    for cell in 0..width {
        let fill = total.saturating_sub(cell * 8).min(8);
        s.push(if fill == 8 { '█' } else { EIGHTHS[fill] });
    }
    s
}

/// How far a load has got, as `NN%` of the compressed bytes (or of the layers when sizes are
/// unknown), or `analyzing` once decoding is over.
pub fn percent_loaded(p: &Progress) -> String {
    if p.analyzing.load(Ordering::Relaxed) {
        return "analyzing".into();
    }
    format!("{:.0}%", load_fraction(p) * 100.0)
}

/// The share of the load done, 0..=1.
pub fn load_fraction(p: &Progress) -> f64 {
    let total = p.bytes_total.load(Ordering::Relaxed);
    if total > 0 {
        return (p.bytes_read.load(Ordering::Relaxed) as f64 / total as f64).min(1.0);
    }
    let layers = p.layers_total.load(Ordering::Relaxed);
    if layers > 0 {
        return p.layers_done.load(Ordering::Relaxed) as f64 / layers as f64;
    }
    0.0
}

/// Split `text` into lines of at most `first` columns, then `rest` columns, breaking after a space
/// where there is one in the line and anywhere otherwise.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    wrap_at_most(text, first, rest, usize::MAX)
}

/// Whether `s` starts with a size unit as a word of its own (`MiB`, `kB`, `B`, …).
fn starts_with_unit(s: &str) -> bool {
    const UNITS: [&str; 13] = [
        "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kB", "MB", "GB", "TB", "PB", "EB", "B",
    ];
    UNITS.iter().any(|u| {
        s.strip_prefix(u)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
    })
}

/// [`wrap`], stopping after `max_lines` lines (a megabyte command is not wrapped whole to show its
/// first screen).
pub fn wrap_at_most(text: &str, first: usize, rest: usize, max_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if max_lines == 0 {
        return lines;
    }
    let mut cur = String::new();
    let mut cur_w = 0;
    let mut limit = first.max(1);
    // Byte index just after the last space in `cur`, and the width up to there.
    let mut last_space: Option<(usize, usize)> = None;
    let mut prev = '\0';
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        // Never between a number and its unit (`2.2 MiB`): that space is no place to break.
        let joins = c == ' ' && prev.is_ascii_digit() && starts_with_unit(&text[i + 1..]);
        if cur_w + w > limit && !cur.is_empty() {
            match last_space.filter(|_| c != ' ' || joins) {
                Some((at, w_at)) => {
                    let tail = cur.split_off(at);
                    lines.push(cur.trim_end().to_string());
                    cur = tail;
                    cur_w -= w_at;
                }
                None => {
                    lines.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
            }
            if lines.len() >= max_lines {
                return lines;
            }
            last_space = None;
            limit = rest.max(1);
            if c == ' ' && cur.is_empty() {
                continue;
            }
        }
        cur.push(c);
        cur_w += w;
        if c == ' ' && !joins {
            last_space = Some((cur.len(), cur_w));
        }
        prev = c;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_is_its_number_then_its_place() {
        assert_eq!(layer_of(0, 1), "layer 0 (the only one)");
        assert_eq!(layer_of(0, 2), "layer 0 (1st of 2)");
        assert_eq!(layer_of(1, 2), "layer 1 (2nd of 2)");
        assert_eq!(layer_of(2, 30), "layer 2 (3rd of 30)");
        assert_eq!(layer_of(10, 30), "layer 10 (11th of 30)");
        assert_eq!(layer_of(20, 30), "layer 20 (21st of 30)");
        assert_eq!(layer_of(0, 0), "no layers");
    }

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode_string(EntryKind::Dir, 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(EntryKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(EntryKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(EntryKind::File, 0o2644), "-rw-r-Sr--");
    }

    #[test]
    fn wrapping_never_parts_a_number_from_its_unit() {
        // Where the line would break after "2.2", the number goes down with its unit.
        let lines = wrap("size was 2.2 MiB in total", 12, 12);
        assert_eq!(lines, ["size was", "2.2 MiB in", "total"]);
        assert!(
            lines.iter().all(|l| !l.ends_with(char::is_numeric)),
            "{lines:?}"
        );
        // A word that only starts like a unit is no unit.
        assert_eq!(wrap("copies 3 Bytes", 8, 8), ["copies 3", "Bytes"]);
        // Too narrow to keep together: cut to the width, nothing lost.
        let narrow = wrap("12345 MiB", 4, 4);
        assert!(narrow.iter().all(|l| l.chars().count() <= 4), "{narrow:?}");
        assert_eq!(narrow.concat().replace(' ', ""), "12345MiB");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_704_067_200), "2024-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400 + 3661), "2000-02-29 01:01:01 UTC");
    }

    #[test]
    fn bars_fill_in_eighths() {
        assert_eq!(bar(1.0, 3), "███");
        assert_eq!(bar(0.0, 2), "  ");
        assert_eq!(bar(0.5, 2), "█ ");
        assert_eq!(bar(f64::NAN, 2), "  ");
        assert_eq!(bar(0.5, 1), "▌");
        assert_eq!(bar(1.0 / 8.0, 1), "▏");
    }

    #[test]
    fn wraps_at_spaces_then_anywhere() {
        assert_eq!(wrap("abc def ghi", 7, 7), ["abc def", "ghi"]);
        assert_eq!(wrap("abcdefgh", 3, 4), ["abc", "defg", "h"]);
        assert_eq!(wrap("ab cdefgh", 4, 4), ["ab", "cdef", "gh"]);
        assert_eq!(wrap("", 4, 4), [""]);
        assert_eq!(wrap("日本語", 4, 4), ["日本", "語"]);
        assert_eq!(wrap_at_most("aaaa bbbb cccc", 4, 4, 2), ["aaaa", "bbbb"]);
        assert!(wrap_at_most("aaaa", 4, 4, 0).is_empty());
    }
}

//! What the text, Markdown, HTML and diff reports share: the frame every listed section has (a
//! heading, at most so many rows, a closing line) and the cells that say the same thing in every
//! format — sizes, change counts, the image's headline numbers, a command on one line. Escaping
//! and markup stay with each format.

use crate::analysis::{Analysis, DuplicateGroup};
use crate::diff::{ChangeKind, Delta, ImageDiff, LayerDiff};
use crate::model::Image;
use crate::text::human_size as hs;

/// A listed section: nothing when `items` is empty; otherwise `head`, then one line from `row`
/// (a newline added) for each of the first `shown` items, then `tail`.
pub(crate) fn section<T>(
    out: &mut String,
    items: &[T],
    shown: usize,
    head: &str,
    row: impl Fn(&T) -> String,
    tail: &str,
) {
    if items.is_empty() {
        return;
    }
    out.push_str(head);
    for item in items.iter().take(shown) {
        out.push_str(&row(item));
        out.push('\n');
    }
    out.push_str(tail);
}

/// `1.0 KiB uncompressed, 800 B compressed`.
pub(crate) fn sizes(uncompressed: u64, compressed: u64) -> String {
    format!(
        "{} uncompressed, {} compressed",
        hs(uncompressed),
        hs(compressed)
    )
}

/// `12.0 KiB (3.4%) in 5 paths`.
pub(crate) fn reclaimable(image: &Image, analysis: &Analysis) -> String {
    format!(
        "{} ({:.1}%) in {} paths",
        hs(analysis.waste.reclaimable_bytes),
        analysis.reclaimable_ratio(image) * 100.0,
        analysis.waste.paths.len()
    )
}

/// `97.12% (dive's score)`.
pub(crate) fn efficiency(analysis: &Analysis) -> String {
    format!("{:.2}% (dive's score)", analysis.efficiency.score * 100.0)
}

/// `4.0 KiB to save in 2 groups`.
pub(crate) fn duplicates(analysis: &Analysis) -> String {
    format!(
        "{} to save in {} groups",
        hs(analysis.duplicates.savings_bytes),
        analysis.duplicates.groups.len()
    )
}

/// The duplicate section's title: `Duplicate content (2 groups, 4.0 KiB to save)`.
pub(crate) fn duplicates_title(analysis: &Analysis) -> String {
    format!(
        "Duplicate content ({} groups, {} to save)",
        analysis.duplicates.groups.len(),
        hs(analysis.duplicates.savings_bytes)
    )
}

/// A duplicate group's copies: `3 × 1.0 KiB`.
pub(crate) fn copies(g: &DuplicateGroup) -> String {
    format!("{} × {}", g.nodes.len(), hs(g.size))
}

/// Old and new size: `1.0 KiB → 2.0 KiB`.
pub(crate) fn size_change(d: Delta) -> String {
    format!("{} → {}", hs(d.old), hs(d.new))
}

/// The change against the old value, `+12.5%`; none when the old value is zero.
pub(crate) fn percent_change(d: Delta) -> Option<String> {
    (d.old != 0).then(|| format!("{:+.1}%", d.delta() as f64 / d.old as f64 * 100.0))
}

/// `2 added, 1 removed, 1 grown, 0 shrunk, 1 modified`.
pub(crate) fn file_changes(d: &ImageDiff) -> String {
    format!(
        "{} added, {} removed, {} grown, {} shrunk, {} modified",
        d.file_count_of(ChangeKind::Added),
        d.file_count_of(ChangeKind::Removed),
        d.file_count_of(ChangeKind::Grown),
        d.file_count_of(ChangeKind::Shrunk),
        d.file_count_of(ChangeKind::Modified),
    )
}

/// The command of a diffed layer: the new image's, or the old one's for a removed layer.
pub(crate) fn layer_command<'a>(old: &'a Image, new: &'a Image, l: &LayerDiff) -> &'a str {
    l.new
        .map(|i| new.layers[i].command())
        .or(l.old.map(|i| old.layers[i].command()))
        .unwrap_or("")
}

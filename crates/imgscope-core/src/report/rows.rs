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

/// What a node holding OLD pulls to run NEW: "2 layers NEW has and OLD lacks: 3.0 MiB compressed
/// (10.0 MiB uncompressed) for a node running OLD", or that it pulls nothing.
pub(crate) fn pull_line(d: &ImageDiff) -> String {
    let p = &d.pull;
    if p.layers.is_empty() {
        return "nothing for a node running OLD: NEW has no layer OLD lacks".to_string();
    }
    // A list, not a wall: at most 20 indexes.
    let mut list: Vec<String> = p.layers.iter().take(20).map(|l| l.to_string()).collect();
    if p.layers.len() > 20 {
        list.push(format!("… {} more", p.layers.len() - 20));
    }
    format!(
        "{} compressed ({} uncompressed) for a node running OLD: {} NEW has and OLD lacks ({})",
        hs(p.compressed),
        hs(p.size),
        if p.layers.len() == 1 {
            "1 layer".to_string()
        } else {
            format!("{} layers", p.layers.len())
        },
        list.join(", ")
    )
}

/// The plans' totals old → new: "saves 1.0 MiB → 38.0 MiB per node, 300 KiB → 12.0 MiB per
/// pull; 1 → 2 actions (0 → 1 worth it); 1 appeared, 0 grew, …".
pub(crate) fn plan_line(d: &ImageDiff) -> String {
    use crate::diff::plan::PlanChangeKind as K;
    let p = &d.plan;
    let count = |k: K| p.changes.iter().filter(|c| c.change == k).count();
    format!(
        "saves {} → {} per node, {} → {} per pull; {} → {} actions ({} → {} worth it); {} appeared, {} grew, {} shrank, {} went away, {} unchanged",
        hs(p.node_saving.old),
        hs(p.node_saving.new),
        hs(p.pull_saving.old),
        hs(p.pull_saving.new),
        p.actions.old,
        p.actions.new,
        p.worth_it_actions.old,
        p.worth_it_actions.new,
        count(K::Appeared),
        count(K::Grew),
        count(K::Shrank),
        count(K::WentAway),
        p.unchanged
    )
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

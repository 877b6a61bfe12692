//! What the text, Markdown, HTML and diff reports share: the frame every listed section has (a
//! heading, at most so many rows, a closing line) and the cells that say the same thing in every
//! format — sizes, change counts, the image's headline numbers, a command on one line. Escaping
//! and markup stay with each format.

use super::escape::{escape_control, human_size as hs};
use crate::analysis::{Analysis, DuplicateGroup};
use crate::diff::{ChangeKind, Delta, ImageDiff, LayerDiff};
use crate::model::Image;

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

/// `s` on one line (runs of white space folded to one space), shortened to `max` characters with
/// a trailing `…`. The caller escapes it for its format.
pub(crate) fn short(s: &str, max: usize) -> String {
    cut(fold(s), max)
}

/// [`short`] for plain text: control characters escaped before shortening.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    cut(escape_control(&fold(s)).into_owned(), max)
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(s: String, max: usize) -> String {
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// A layer's history command as it was written: the shell wrapper of `RUN` (classic
/// `/bin/sh -c cmd`, BuildKit's `RUN /bin/sh -c cmd # buildkit`, and `|N ARG=v … /bin/sh -c cmd` for
/// RUN with build args) becomes `RUN cmd`, the `#(nop)` marker of metadata instructions is dropped,
/// and BuildKit's `# buildkit` suffix too. The viewer and every report show commands through this
/// one function (JSON keeps `created_by` as the image has it); the caller escapes and shortens.
pub fn clean_command(cmd: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let cmd = cmd.trim();
    let cmd = cmd.strip_suffix("# buildkit").map_or(cmd, str::trim_end);
    if let Some(rest) = cmd.strip_prefix("/bin/sh -c #(nop)") {
        return Cow::Borrowed(rest.trim_start());
    }
    for shell in ["/bin/sh -c ", "RUN /bin/sh -c ", "|"] {
        if let Some(rest) = cmd.strip_prefix(shell)
            && (shell != "|" || rest.starts_with(|c: char| c.is_ascii_digit()))
        {
            let rest = if shell == "|" {
                rest.split_once("/bin/sh -c ").map_or(rest, |(_, r)| r)
            } else {
                rest
            };
            return Cow::Owned(format!("RUN {}", rest.trim_start()));
        }
    }
    Cow::Borrowed(cmd)
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

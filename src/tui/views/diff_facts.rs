//! The details pane's facts about a diff (`imgscope diff OLD NEW`): the selected node's and
//! layer's change against the old image, a row of the removed list, and the comparison's totals —
//! read from the [`crate::diff::ImageDiff`] the reports print, never recomputed. Nothing is added
//! without a diff.

use super::fact_lines::{Lines, path};
use crate::diff::{ChangeKind, Delta};
use crate::model::{EntryKind, NodeId, ROOT};
use crate::text::signed_size;
use crate::text::{clip, one_line_command};
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::viewer::Viewer;

/// `+1.2 KiB (3.0 KiB → 4.2 KiB)`.
fn delta_text(d: Delta) -> String {
    format!("{} ({} → {})", signed_size(d.delta()), hs(d.old), hs(d.new))
}

/// The node's change against the old image's entry at its path (final filesystems).
pub(super) fn node(out: &mut Lines, v: &Viewer, node: NodeId) {
    let Some(marks) = v.diff() else { return };
    // The marks compare final filesystems; elsewhere they describe the node's final version.
    let prefix = if v.diff_view() { "" } else { "final version " };
    let Some(m) = marks.node(node) else {
        let text = if v.file_tree().live_final(node).is_some() {
            format!("{prefix}unchanged")
        } else {
            "not in the final filesystem".to_string()
        };
        out.fact("vs old", text);
        return;
    };
    let dir = m.dir.and_then(|i| marks.diff.dirs.get(i as usize));
    let mut text = match m.change {
        ChangeKind::Added => format!("{prefix}added {}", signed_size(m.size.delta())),
        ChangeKind::Modified if dir.is_some() => {
            format!("{prefix}modified, same total ({})", hs(m.size.new))
        }
        ChangeKind::Modified => format!(
            "{prefix}modified, same size ({}): other content, type, link target, mode or owner",
            hs(m.size.new)
        ),
        change => format!("{prefix}{} {}", change.label(), delta_text(m.size)),
    };
    if let Some(d) = dir {
        text.push_str(&format!(
            " · below: {} added, {} removed, {} changed",
            d.added, d.removed, d.changed
        ));
    }
    out.styled_fact("vs old", text, out.theme.diff(m.change));
}

/// NEW's layer `index` against the old image's layers.
pub(super) fn layer(out: &mut Lines, v: &Viewer, index: usize) {
    let Some(l) = v.diff().and_then(|m| m.layer(index)) else {
        return;
    };
    let text = match (l.change, l.old, l.matched_by) {
        (ChangeKind::Unchanged, Some(o), _) => {
            format!("unchanged: the old image's layer {o} (same diff_id)")
        }
        (ChangeKind::Added, ..) => format!(
            "added {}: no layer of the old image matches",
            signed_size(l.size.delta())
        ),
        (change, Some(o), Some(how)) => format!(
            "{} {} against old layer {o} (matched by {}) · compressed {}",
            change.label(),
            delta_text(l.size),
            how.label(),
            signed_size(l.compressed.delta())
        ),
        (change, ..) => change.label().to_string(),
    };
    out.styled_fact("vs old", text, out.theme.diff(l.change));
}

/// The selected row of the removed list.
pub(super) fn removed(out: &mut Lines, v: &Viewer) {
    let Some(marks) = v.diff() else { return };
    let Some(entry) = v.removed.selected() else {
        out.heading("Only in the old image".into());
        out.fact("", "nothing: the new image has every path of the old one");
        return;
    };
    out.heading(format!(
        "Only in the old image: {}",
        clip(&esc(&entry.path), 4096)
    ));
    out.fact("kind", entry.kind.label());
    let size = if entry.kind == EntryKind::Dir {
        format!("{} in total below", hs(entry.bytes))
    } else {
        hs(entry.bytes)
    };
    out.styled_fact("size", size, out.theme.diff(ChangeKind::Removed));
    if let Some(d) = entry.dir.and_then(|i| marks.diff.dirs.get(i as usize)) {
        out.fact("below", format!("{} entries, all removed", d.removed));
    }
    if let Some(l) = entry.layer {
        out.fact(
            "written by",
            format!(
                "old layer {l}: {}",
                one_line_command(marks.old_command(l), 60)
            ),
        );
    }
    let here = match v.removed.target(v.file_tree()) {
        None | Some(ROOT) => "nothing at its path or above it but /".to_string(),
        Some(n) if v.file_tree().path(n) == entry.path => {
            let kind = v
                .file_tree()
                .live_final(n)
                .map_or("entry", |ver| ver.kind.label());
            format!("a {kind} at the same path (Enter shows it)")
        }
        Some(n) => format!("nearest path: {} (Enter shows it)", path(v, n)),
    };
    out.fact("new image", here);
}

/// The comparison's totals, after the image's own facts.
pub(super) fn image(out: &mut Lines, v: &Viewer) {
    let Some(m) = v.diff() else { return };
    let d = &m.diff;
    out.heading(format!(
        "Against the old image {}",
        clip(&esc(&m.old_name), 512)
    ));
    if m.old_input != m.old_name {
        out.fact("input", clip(&esc(&m.old_input), 4096).into_owned());
    }
    out.fact("size", delta_text(d.size));
    out.fact("compressed", delta_text(d.compressed));
    let files = |c| d.file_count_of(c);
    out.fact(
        "files",
        format!(
            "{} → {} · {} added, {} removed, {} grown, {} shrunk, {} modified",
            d.file_count.old,
            d.file_count.new,
            files(ChangeKind::Added),
            files(ChangeKind::Removed),
            files(ChangeKind::Grown),
            files(ChangeKind::Shrunk),
            files(ChangeKind::Modified)
        ),
    );
    let layers = |c| d.layer_count_of(c);
    out.fact(
        "layers",
        format!(
            "{} → {} · {} unchanged, {} added, {} removed, {} changed",
            d.layer_count.old,
            d.layer_count.new,
            layers(ChangeKind::Unchanged),
            layers(ChangeKind::Added),
            layers(ChangeKind::Removed),
            layers(ChangeKind::Grown) + layers(ChangeKind::Shrunk) + layers(ChangeKind::Modified)
        ),
    );
    for (i, l) in m.removed_layers.iter().enumerate() {
        out.styled_fact(
            if i == 0 { "removed" } else { "" },
            format!(
                "old layer {} ({}, {} compressed): {}",
                l.index,
                hs(l.size),
                hs(l.compressed),
                one_line_command(m.old_command(l.index), 60)
            ),
            out.theme.diff(ChangeKind::Removed),
        );
    }
    let r = &d.reclaimable;
    out.fact(
        "reclaimable",
        format!(
            "{} → {} · {} introduced, {} resolved",
            hs(r.total.old),
            hs(r.total.new),
            hs(r.introduced_bytes),
            hs(r.resolved_bytes)
        ),
    );
    out.fact(
        "efficiency",
        format!(
            "{:.2}% → {:.2}%",
            d.efficiency.0 * 100.0,
            d.efficiency.1 * 100.0
        ),
    );
    if !d.hashed {
        out.styled_fact(
            "note",
            "contents were not hashed (--no-hash): a same-size edit goes unseen".into(),
            out.theme.waste(),
        );
    }
}

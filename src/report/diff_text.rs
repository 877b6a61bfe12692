//! The plain-text diff of two images: totals, layers, directories and files by impact, and the
//! reclaimable bytes the new image introduced. Strings from the images are escaped.

use std::fmt::Write;

use super::escape::{escape_control as esc, human_size as hs};
use crate::diff::{ChangeKind, Delta, ImageDiff};
use crate::gate::signed_size;
use crate::model::Image;

/// Rows per section.
const SHOWN: usize = 20;

fn one_line(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = esc(&s).into_owned();
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn totals_line(out: &mut String, name: &str, d: Delta) {
    let pct = if d.old == 0 {
        String::new()
    } else {
        format!(", {:+.1}%", d.delta() as f64 / d.old as f64 * 100.0)
    };
    let _ = writeln!(
        out,
        "{name:<12}{} → {}  ({}{pct})",
        hs(d.old),
        hs(d.new),
        signed_size(d.delta())
    );
}

fn more(out: &mut String, total: usize) {
    if total > SHOWN {
        let _ = writeln!(out, "  … {} more (--json lists them)", total - SHOWN);
    }
}

pub fn diff(old: &Image, new: &Image, d: &ImageDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Old         {} ({})",
        esc(old.display_name()),
        old.source.label()
    );
    let _ = writeln!(
        out,
        "New         {} ({})",
        esc(new.display_name()),
        new.source.label()
    );
    totals_line(&mut out, "Size", d.size);
    totals_line(&mut out, "Compressed", d.compressed);
    let _ = writeln!(
        out,
        "Layers      {} → {}  ({} added, {} removed, {} changed, {} unchanged)",
        d.layer_count.old,
        d.layer_count.new,
        d.layer_count_of(ChangeKind::Added),
        d.layer_count_of(ChangeKind::Removed),
        d.layers.len()
            - d.layer_count_of(ChangeKind::Added)
            - d.layer_count_of(ChangeKind::Removed)
            - d.layer_count_of(ChangeKind::Unchanged),
        d.layer_count_of(ChangeKind::Unchanged)
    );
    let _ = writeln!(
        out,
        "Files       {} → {}  ({} added, {} removed, {} grown, {} shrunk, {} modified{})",
        d.file_count.old,
        d.file_count.new,
        d.file_count_of(ChangeKind::Added),
        d.file_count_of(ChangeKind::Removed),
        d.file_count_of(ChangeKind::Grown),
        d.file_count_of(ChangeKind::Shrunk),
        d.file_count_of(ChangeKind::Modified),
        if d.hashed { "" } else { "; not hashed" }
    );
    let r = &d.reclaimable;
    let _ = writeln!(
        out,
        "Reclaimable {} → {}  (introduced {} in {} paths, resolved {} in {} paths)",
        hs(r.total.old),
        hs(r.total.new),
        hs(r.introduced_bytes),
        r.introduced.len(),
        hs(r.resolved_bytes),
        r.resolved.len()
    );
    let _ = writeln!(
        out,
        "Efficiency  {:.2}% → {:.2}%",
        d.efficiency.0 * 100.0,
        d.efficiency.1 * 100.0
    );

    let _ = writeln!(out, "\nLayers by impact");
    let _ = writeln!(
        out,
        "  {:<9}  {:>9}  {:>11}  {:>13}  {:<16}  COMMAND",
        "CHANGE", "OLD → NEW", "SIZE Δ", "COMPRESSED Δ", "MATCHED BY"
    );
    for l in d.layers.iter().take(SHOWN) {
        let idx = |i: Option<usize>| i.map_or("-".to_string(), |i| i.to_string());
        let cmd = l
            .new
            .map(|i| new.layers[i].command())
            .or(l.old.map(|i| old.layers[i].command()))
            .unwrap_or("");
        let _ = writeln!(
            out,
            "  {:<9}  {:>9}  {:>11}  {:>13}  {:<16}  {}",
            l.change.label(),
            format!("{} → {}", idx(l.old), idx(l.new)),
            signed_size(l.size.delta()),
            signed_size(l.compressed.delta()),
            l.matched_by.map_or("-", |m| m.label()),
            one_line(cmd, 70)
        );
    }
    more(&mut out, d.layers.len());

    if !d.dirs.is_empty() {
        let _ = writeln!(out, "\nDirectories by impact");
        for x in d.dirs.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {:<9}  {:>11}  {}  ({} → {}; +{} -{} ~{})",
                x.change.label(),
                signed_size(x.size.delta()),
                esc(&x.path),
                hs(x.size.old),
                hs(x.size.new),
                x.added,
                x.removed,
                x.changed
            );
        }
        more(&mut out, d.dirs.len());
    }
    if !d.files.is_empty() {
        let _ = writeln!(out, "\nFiles by impact");
        for f in d.files.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {:<9}  {:>11}  {}  ({} → {})",
                f.change.label(),
                signed_size(f.size.delta()),
                esc(&f.path),
                hs(f.size.old),
                hs(f.size.new)
            );
        }
        more(&mut out, d.files.len());
    }
    if !r.introduced.is_empty() {
        let _ = writeln!(out, "\nNew reclaimable bytes");
        for c in r.introduced.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {:>11}  {}  ({} → {})",
                signed_size(c.bytes.delta()),
                esc(&c.path),
                hs(c.bytes.old),
                hs(c.bytes.new)
            );
        }
        more(&mut out, r.introduced.len());
    }
    out
}

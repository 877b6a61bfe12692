//! The plain-text diff of two images: totals, layers, directories and files by impact, and the
//! reclaimable bytes the new image introduced. Strings from the images are escaped.

use std::fmt::Write;

use super::rows::{self, section, size_change};
use crate::diff::{ChangeKind, Delta, ImageDiff};
use crate::model::Image;
use crate::text::one_line;
use crate::text::signed_size;
use crate::text::{escape_control as esc, human_size as hs};

/// Rows per section.
const SHOWN: usize = 20;

fn totals_line(out: &mut String, name: &str, d: Delta) {
    let pct = rows::percent_change(d)
        .map(|p| format!(", {p}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{name:<12}{}  ({}{pct})",
        size_change(d),
        signed_size(d.delta())
    );
}

/// The line after a section cut at [`SHOWN`] rows: how many more there are.
fn more(total: usize) -> String {
    if total > SHOWN {
        format!("  … {} more (--json lists them)\n", total - SHOWN)
    } else {
        String::new()
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
        "Files       {} → {}  ({}{})",
        d.file_count.old,
        d.file_count.new,
        rows::file_changes(d),
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
    let _ = writeln!(out, "Pull        {}", rows::pull_line(d));
    let _ = writeln!(out, "\nTrim plan   {}", rows::plan_line(d));
    for c in d.plan.changes.iter().take(SHOWN) {
        let _ = writeln!(out, "  {}", c.sentence(|s| esc(s).into_owned()));
    }
    out.push_str(&more(d.plan.changes.len()));

    let _ = writeln!(out, "\nLayers by impact");
    let _ = writeln!(
        out,
        "  {:<9}  {:>9}  {:>11}  {:>13}  {:<16}  COMMAND",
        "CHANGE", "OLD → NEW", "SIZE Δ", "COMPRESSED Δ", "MATCHED BY"
    );
    for l in d.layers.iter().take(SHOWN) {
        let idx = |i: Option<usize>| i.map_or("-".to_string(), |i| i.to_string());
        let _ = writeln!(
            out,
            "  {:<9}  {:>9}  {:>11}  {:>13}  {:<16}  {}",
            l.change.label(),
            format!("{} → {}", idx(l.old), idx(l.new)),
            signed_size(l.size.delta()),
            signed_size(l.compressed.delta()),
            l.matched_by.map_or("-", |m| m.label()),
            one_line(
                &crate::text::clean_command(rows::layer_command(old, new, l)),
                70
            )
        );
    }
    out.push_str(&more(d.layers.len()));
    out.push_str(&super::text::false_diff_ids(old, "old "));
    out.push_str(&super::text::false_diff_ids(new, "new "));

    section(
        &mut out,
        &d.dirs,
        SHOWN,
        "\nDirectories by impact\n",
        |x| {
            format!(
                "  {:<9}  {:>11}  {}  ({}; +{} -{} ~{})",
                x.change.label(),
                signed_size(x.size.delta()),
                esc(&x.path),
                size_change(x.size),
                x.added,
                x.removed,
                x.changed
            )
        },
        &more(d.dirs.len()),
    );
    section(
        &mut out,
        &d.files,
        SHOWN,
        "\nFiles by impact\n",
        |f| {
            format!(
                "  {:<9}  {:>11}  {}  ({})",
                f.change.label(),
                signed_size(f.size.delta()),
                esc(&f.path),
                size_change(f.size)
            )
        },
        &more(d.files.len()),
    );
    section(
        &mut out,
        &d.packages,
        SHOWN,
        "\nPackages by impact\n",
        |p| {
            let version = match (&p.old_version, &p.new_version) {
                (Some(o), Some(n)) if o != n => format!("{} → {}", esc(o), esc(n)),
                (Some(v), _) | (None, Some(v)) => esc(v).into_owned(),
                (None, None) => String::new(),
            };
            format!(
                "  {:<9}  {:>11}  {} {version}  ({})",
                p.change.label(),
                signed_size(p.bytes.delta()),
                esc(&p.name),
                size_change(p.bytes)
            )
        },
        &more(d.packages.len()),
    );
    section(
        &mut out,
        &r.introduced,
        SHOWN,
        "\nNew reclaimable bytes\n",
        |c| {
            format!(
                "  {:>11}  {}  ({})",
                signed_size(c.bytes.delta()),
                esc(&c.path),
                size_change(c.bytes)
            )
        },
        &more(r.introduced.len()),
    );
    out
}

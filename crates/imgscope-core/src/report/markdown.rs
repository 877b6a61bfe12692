//! Markdown for reviews: the gate summary (`--summary`, `$GITHUB_STEP_SUMMARY`), the diff of two
//! images as a pull-request comment (biggest changes first, the full lists collapsed), and the
//! one-image report (with the image's role — service, interpreted or shell — and why). Strings
//! from images go into code spans (no mentions, links or HTML there), or, in sentences, through
//! [`text`]; with control characters escaped and `|` escaped for tables.

use std::fmt::Write;

use super::gate_output::{tally, value_text};
use super::review;
use super::rows::{self, section, size_change};
use crate::analysis::Analysis;
use crate::analysis::set::SetAnalysis;
use crate::diff::{ChangeKind, Delta, ImageDiff};
use crate::gate::{Evaluation, Verdict};
use crate::model::Image;
use crate::text::short;
use crate::text::signed_size;
use crate::text::{escape_control, human_size as hs};

/// Stop adding rows to the collapsed lists past this many characters: a GitHub comment holds
/// 65,536.
const COMMENT_BUDGET: usize = 60_000;
/// Rows in the always-visible tables.
const SHOWN: usize = 10;

/// A code span holding `s`, safe inside a table cell.
pub fn code(s: &str) -> String {
    let s = escape_control(s).replace('|', "\\|");
    if s.is_empty() {
        return "` `".to_string();
    }
    let longest_run = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Plain text for Markdown: control characters escaped, Markdown and HTML syntax neutralized.
pub fn text(s: &str) -> String {
    let mut out = String::new();
    for c in escape_control(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '~' | '|' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn verdict_badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅ PASS",
        Verdict::Fail => "❌ FAIL",
        Verdict::Skip => "⏭️ SKIP",
    }
}

/// The gate summary for one image, as appended to `--summary` / `$GITHUB_STEP_SUMMARY`.
pub fn gate_summary(image: &Image, e: &Evaluation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### imgscope gates: {} {}\n",
        verdict_badge(e.verdict()),
        code(image.display_name())
    );
    let sources = e.sources();
    let from = if sources.is_empty() {
        "No rule is set".to_string()
    } else {
        let list: Vec<String> = sources.iter().map(|s| code(s)).collect();
        format!("Rules from {}", list.join(", "))
    };
    let _ = writeln!(
        out,
        "{}. {from}. {}.\n",
        rows::sizes(image.size(), image.compressed_size()),
        tally(e)
    );
    if let Some(b) = &e.baseline {
        let _ = writeln!(
            out,
            "Baseline {}: {}.\n",
            code(b.name.as_deref().unwrap_or(&b.input)),
            rows::sizes(b.size, b.compressed_size)
        );
    }
    if e.results.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "| Verdict | Rule | Value | Threshold | Source | Note |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|---|---|");
    for r in &e.results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            verdict_badge(r.verdict),
            code(&r.rule.kind.label()),
            text(&value_text(r)),
            text(&r.threshold_human()),
            code(&r.rule.source.to_string()),
            r.note.as_deref().map(text).unwrap_or_default()
        );
    }
    out.push('\n');
    out
}

fn pct_change(d: Delta) -> String {
    rows::percent_change(d)
        .map(|p| format!(" ({p})"))
        .unwrap_or_default()
}

fn count_delta(d: Delta) -> String {
    format!("{:+}", d.delta())
}

/// Old and new layer indexes: `3 → 4`, `– → 5`.
fn layer_pair(old: Option<usize>, new: Option<usize>) -> String {
    let f = |i: Option<usize>| i.map_or("–".to_string(), |i| i.to_string());
    format!("{} → {}", f(old), f(new))
}

/// The diff of two images as a pull-request comment: the headline table, the new reclaimable
/// bytes, the biggest file and package changes, the layers, then every change folded away.
pub fn diff(old: &Image, new: &Image, d: &ImageDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## imgscope diff: {} → {}\n",
        code(old.display_name()),
        code(new.display_name())
    );
    diff_headline(&mut out, d);
    diff_reclaimable(&mut out, d);
    diff_plan(&mut out, d);
    diff_biggest(&mut out, d);
    diff_layers(&mut out, old, new, d);
    diff_everything(&mut out, d);
    out
}

/// Old, new and change for each headline figure, and the file counts.
fn diff_headline(out: &mut String, d: &ImageDiff) {
    let _ = writeln!(out, "| | Old | New | Change |");
    let _ = writeln!(out, "|---|--:|--:|--:|");
    let bytes_row = |out: &mut String, name: &str, v: Delta| {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | **{}**{} |",
            hs(v.old),
            hs(v.new),
            signed_size(v.delta()),
            pct_change(v)
        );
    };
    bytes_row(out, "Size (uncompressed)", d.size);
    bytes_row(out, "Compressed", d.compressed);
    let _ = writeln!(
        out,
        "| Layers | {} | {} | {} |",
        d.layer_count.old,
        d.layer_count.new,
        count_delta(d.layer_count)
    );
    let _ = writeln!(
        out,
        "| Files | {} | {} | {} |",
        d.file_count.old,
        d.file_count.new,
        count_delta(d.file_count)
    );
    bytes_row(out, "Reclaimable", d.reclaimable.total);
    let _ = writeln!(
        out,
        "| Efficiency | {:.2}% | {:.2}% | {:+.2} pts |\n",
        d.efficiency.0 * 100.0,
        d.efficiency.1 * 100.0,
        (d.efficiency.1 - d.efficiency.0) * 100.0
    );
    let _ = writeln!(
        out,
        "Files: {}.{}\n",
        rows::file_changes(d),
        if d.hashed {
            ""
        } else {
            " (contents not hashed: same-size edits are not seen)"
        }
    );
}

/// The reclaimable bytes the new image brings, with the paths that bring most.
fn diff_reclaimable(out: &mut String, d: &ImageDiff) {
    let r = &d.reclaimable;
    if r.introduced_bytes > 0 {
        let top: Vec<String> = r
            .introduced
            .iter()
            .take(3)
            .map(|c| format!("{} {}", code(&c.path), signed_size(c.bytes.delta())))
            .collect();
        let more = r.introduced.len().saturating_sub(3);
        let _ = writeln!(
            out,
            "**New reclaimable bytes: {}** in {} path{}: {}{}\n",
            hs(r.introduced_bytes),
            r.introduced.len(),
            if r.introduced.len() == 1 { "" } else { "s" },
            top.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        );
    } else {
        let _ = writeln!(out, "No new reclaimable bytes.\n");
    }
}

/// What the change does to the trim plan, and what a node running OLD pulls to run NEW. At most
/// [`SHOWN`] changes, each sentence clipped, so the comment's visible part stays small.
fn diff_plan(out: &mut String, d: &ImageDiff) {
    let _ = writeln!(out, "### Trim plan\n");
    let _ = writeln!(out, "**Pull**: {}.\n", rows::pull_line(d));
    let _ = writeln!(out, "The plan {}.\n", rows::plan_line(d));
    let changes = &d.plan.changes;
    for c in changes.iter().take(SHOWN) {
        let _ = writeln!(out, "- {}", c.sentence(|s| text(&short(s, 300))));
    }
    if changes.len() > SHOWN {
        let _ = writeln!(
            out,
            "- … {} more (`imgscope diff --json` lists them)",
            changes.len() - SHOWN
        );
    }
    if !changes.is_empty() {
        out.push('\n');
    }
}

/// The biggest file changes and the package changes.
fn diff_biggest(out: &mut String, d: &ImageDiff) {
    section(
        out,
        &d.files,
        SHOWN,
        "### Biggest changes\n\n| Change | Size | Δ | Path |\n|---|--:|--:|---|\n",
        |f| {
            format!(
                "| {} | {} | {} | {} |",
                f.change.label(),
                size_pair(f.size, f.change),
                signed_size(f.size.delta()),
                code(&f.path)
            )
        },
        "\n",
    );

    section(
        out,
        &d.packages,
        SHOWN,
        "### Packages\n\n| Change | Package | Version | Δ |\n|---|---|---|--:|\n",
        |p| {
            let version = match (&p.old_version, &p.new_version) {
                (Some(o), Some(n)) if o != n => format!("{} → {}", code(o), code(n)),
                (Some(v), _) | (None, Some(v)) => code(v),
                (None, None) => String::new(),
            };
            format!(
                "| {} | {} | {version} | {} |",
                p.change.label(),
                code(&p.name),
                signed_size(p.bytes.delta())
            )
        },
        "\n",
    );
}

/// The layers that changed, with their commands.
fn diff_layers(out: &mut String, old: &Image, new: &Image, d: &ImageDiff) {
    let changed_layers: Vec<_> = d
        .layers
        .iter()
        .filter(|l| l.change != ChangeKind::Unchanged || l.compressed.delta() != 0)
        .collect();
    let _ = writeln!(out, "### Layers\n");
    if changed_layers.is_empty() {
        let _ = writeln!(out, "All {} layers unchanged.\n", d.layers.len());
    } else {
        let _ = writeln!(out, "| Change | Layer | Δ size | Δ compressed | Command |");
        let _ = writeln!(out, "|---|---|--:|--:|---|");
        for l in &changed_layers {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                l.change.label(),
                layer_pair(l.old, l.new),
                signed_size(l.size.delta()),
                signed_size(l.compressed.delta()),
                code(&short(
                    &crate::text::clean_command(rows::layer_command(old, new, l)),
                    72
                ))
            );
        }
        let unchanged = d.layers.len() - changed_layers.len();
        if unchanged > 0 {
            let _ = writeln!(
                out,
                "\n{unchanged} layer{} unchanged (same diff_id).",
                if unchanged == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
    }
}

/// Every file and directory change, folded away.
fn diff_everything(out: &mut String, d: &ImageDiff) {
    if !d.files.is_empty() {
        collapsed(
            out,
            &format!("All {} file changes", d.files.len()),
            "| Change | Old | New | Δ | Path |\n|---|--:|--:|--:|---|\n",
            d.files.iter().map(|f| {
                format!(
                    "| {} | {} | {} | {} | {} |\n",
                    f.change.label(),
                    if f.old_kind.is_some() {
                        hs(f.size.old)
                    } else {
                        "–".into()
                    },
                    if f.new_kind.is_some() {
                        hs(f.size.new)
                    } else {
                        "–".into()
                    },
                    signed_size(f.size.delta()),
                    code(&f.path)
                )
            }),
            d.files.len(),
        );
    }
    if !d.dirs.is_empty() {
        collapsed(
            out,
            &format!("All {} directory changes", d.dirs.len()),
            "| Change | Old | New | Δ | Entries +/-/~ | Path |\n|---|--:|--:|--:|--:|---|\n",
            d.dirs.iter().map(|x| {
                format!(
                    "| {} | {} | {} | {} | +{} -{} ~{} | {} |\n",
                    x.change.label(),
                    hs(x.size.old),
                    hs(x.size.new),
                    signed_size(x.size.delta()),
                    x.added,
                    x.removed,
                    x.changed,
                    code(&x.path)
                )
            }),
            d.dirs.len(),
        );
    }
}

/// `1.0 KiB → 2.0 KiB`, or one side for an addition or removal.
fn size_pair(size: Delta, change: ChangeKind) -> String {
    match change {
        ChangeKind::Added => hs(size.new),
        ChangeKind::Removed => hs(size.old),
        _ => size_change(size),
    }
}

/// A `<details>` block with as many rows as fit the comment budget.
fn collapsed(
    out: &mut String,
    summary: &str,
    header: &str,
    rows: impl Iterator<Item = String>,
    total: usize,
) {
    let _ = write!(out, "<details><summary>{summary}</summary>\n\n{header}");
    let mut shown = 0;
    for row in rows {
        if out.len() + row.len() > COMMENT_BUDGET {
            break;
        }
        out.push_str(&row);
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(
            out,
            "\n{} more not shown (the comment would be too long; `imgscope diff --json` lists them).",
            total - shown
        );
    }
    out.push_str("\n</details>\n\n");
}

/// A bar of `width` cells for `value` out of `max`.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let cells = ((value as u128 * width as u128 * 8).div_ceil(max as u128)) as usize;
    let full = cells / 8;
    let part = cells % 8;
    let mut s = "█".repeat(full);
    if part > 0 {
        s.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][part - 1]);
    }
    s
}

/// The review report of one or more images (analysed as one set): the trim plan first, then
/// (with several images) their sharing and node cost, then each image — the closure, the packages
/// that own the bytes, its facts, layers, largest directories, reclaimable paths and duplicates.
pub fn report(images: &[super::json::Analyzed<'_>], set: &SetAnalysis) -> String {
    let mut out = String::new();
    match images {
        [(image, _)] => {
            let _ = writeln!(out, "## imgscope report: {}\n", code(image.display_name()));
        }
        _ => {
            let names: Vec<String> = images.iter().map(|(i, _)| code(i.display_name())).collect();
            let _ = writeln!(
                out,
                "## imgscope report: {} images\n\n{}\n",
                images.len(),
                names.join(", ")
            );
        }
    }
    let analyses: Vec<&Analysis> = images.iter().map(|(_, a)| *a).collect();
    plan_section(&mut out, set, &analyses);
    if images.len() >= 2 {
        sharing_section(&mut out, set);
    }
    for (image, analysis) in images {
        if images.len() >= 2 {
            let _ = writeln!(out, "## {}\n", code(image.display_name()));
        }
        image_sections(&mut out, image, analysis);
    }
    out
}

/// The trim plan: its headline and one row per action, as `--json` has them.
fn plan_section(out: &mut String, set: &SetAnalysis, analyses: &[&Analysis]) {
    let head = review::plan_head(set);
    let _ = writeln!(out, "### Trim plan\n");
    let _ = writeln!(out, "**{}**; {}.\n", head.verdict, head.cost);
    for line in [&head.nothing, &head.saving, &head.together]
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "{line}\n");
    }
    for (i, note) in &set.plan.notes {
        let name = set.names.get(*i).map(String::as_str).unwrap_or_default();
        let _ = writeln!(out, "Note on {}: {}\n", code(name), text(note));
    }
    let rows = review::action_rows(set, analyses);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "| # | Action | Risk | Per node | Per pull | Share | Verdict | Image (role) | Why |"
    );
    let _ = writeln!(out, "|--:|---|---|--:|--:|--:|---|---|---|");
    for r in &rows {
        let images: Vec<String> = r
            .images
            .iter()
            .map(|(name, role)| format!("{} ({role})", code(name)))
            .collect();
        let mut why = text(&r.why);
        if let Some((path, bytes)) = &r.largest {
            let _ = write!(why, "<br>largest: {} ({bytes})", code(path));
        }
        if let Some(overlap) = &r.overlap {
            let _ = write!(why, "<br>{overlap}");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {why} |",
            r.rank,
            r.action,
            r.risk,
            r.node_saving,
            r.pull_saving,
            text(&r.share),
            if r.worth_it {
                "**worth it**"
            } else {
                "not worth it"
            },
            images.join(", ")
        );
    }
    if let Some(more) = review::more_actions(set) {
        let _ = writeln!(out, "\n{more}");
    }
    out.push('\n');
}

/// What each image of a set shares, and what a node holding them all stores.
fn sharing_section(out: &mut String, set: &SetAnalysis) {
    let (head, rows) = review::sharing(set);
    let _ = writeln!(out, "### Sharing\n\n{head}\n");
    let _ = writeln!(
        out,
        "| Image | Size | Shared | Unique | Amortized | Verdict |\n|---|--:|--:|--:|--:|---|"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            code(&r.name),
            r.size,
            r.shared,
            r.unique,
            r.amortized,
            text(&r.verdict)
        );
    }
    out.push('\n');
}

/// The closure line and the packages that own the most bytes.
fn packages_section(out: &mut String, image: &Image, analysis: &Analysis) {
    match review::closure(image, analysis) {
        Some(review::ClosureLine::Found(exe, rest, unresolved)) => {
            let _ = write!(out, "**Closure**: entrypoint {} {rest}", code(&exe));
            if !unresolved.is_empty() {
                let names: Vec<String> = unresolved.iter().map(|u| code(u)).collect();
                let _ = write!(out, "; not found: {}", names.join(", "));
            }
            out.push_str(".\n\n");
        }
        Some(review::ClosureLine::Missing(first)) => {
            let _ = writeln!(
                out,
                "**Closure**: entrypoint {} not found in the image.\n",
                code(&first)
            );
        }
        None => {}
    }
    for problem in review::package_problems(analysis) {
        let _ = writeln!(out, "Unreadable package database: {}\n", text(problem));
    }
    if let Some((head, rows, more)) = review::packages(analysis) {
        let _ = writeln!(out, "### Packages\n\n{head}.\n");
        let _ = writeln!(
            out,
            "| Bytes | Files | Layer | Reclaimable | Trim | Package |\n|--:|--:|--:|--:|--:|---|"
        );
        for r in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} {} |",
                r.bytes,
                r.files,
                r.layer,
                r.reclaimable,
                r.trim,
                code(&r.name),
                code(&r.version)
            );
        }
        if more > 0 {
            let _ = writeln!(out, "\n… {more} more packages (`--json` lists them).");
        }
        out.push('\n');
    }
}

/// One image: its closure and packages, facts, layers, largest directories, reclaimable paths and
/// duplicates.
fn image_sections(out: &mut String, image: &Image, analysis: &Analysis) {
    let tree = &image.tree;
    packages_section(out, image, analysis);
    let _ = writeln!(out, "### Image\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Source | {} |", image.source.label());
    if let Some(d) = &image.manifest_digest {
        let _ = writeln!(out, "| Digest | {} |", code(d));
    }
    let _ = writeln!(out, "| Platform | {} |", code(&image.platform.to_string()));
    if let Some(c) = &image.created {
        let _ = writeln!(out, "| Created | {} |", text(c));
    }
    // The reason names the image's command: plain text, escaped.
    let _ = writeln!(
        out,
        "| Role | {} ({}) |",
        analysis.role.role.key(),
        text(&analysis.role.why)
    );
    let _ = writeln!(
        out,
        "| Size | {} |",
        rows::sizes(image.size(), image.compressed_size())
    );
    let _ = writeln!(
        out,
        "| Layers, files | {} layers, {} files |",
        image.layers.len(),
        analysis.file_count
    );
    let _ = writeln!(
        out,
        "| Reclaimable | {} |",
        rows::reclaimable(image, analysis)
    );
    let _ = writeln!(out, "| Efficiency | {} |", rows::efficiency(analysis));
    let _ = writeln!(out, "| Duplicates | {} |\n", rows::duplicates(analysis));

    let _ = writeln!(out, "### Layers\n");
    let _ = writeln!(
        out,
        "| # | Size | | Compressed | Reclaimable | +/~/- | Command |"
    );
    let _ = writeln!(out, "|--:|--:|---|--:|--:|--:|---|");
    let max = image.layers.iter().map(|l| l.size).max().unwrap_or(0);
    for l in &image.layers {
        let c = &l.changes;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | +{} ~{} -{} | {} |",
            l.index,
            hs(l.size),
            bar(l.size, max, 16),
            hs(l.compressed_size),
            hs(analysis.waste.per_layer.get(l.index).copied().unwrap_or(0)),
            c.added,
            c.modified,
            c.removed,
            code(&short(&crate::text::clean_command(l.command()), 72))
        );
    }
    out.push('\n');

    section(
        out,
        &analysis.largest_dirs,
        SHOWN,
        "### Largest directories\n\n| Size | Path |\n|--:|---|\n",
        |&n| {
            format!(
                "| {} | {} |",
                hs(analysis.sizes[n.index()]),
                code(&tree.path(n))
            )
        },
        "\n",
    );
    section(
        out,
        &analysis.waste.paths,
        SHOWN,
        &format!(
            "### Reclaimable ({} paths)\n\n| Bytes | Path | Hidden copies |\n|--:|---|---|\n",
            analysis.waste.paths.len()
        ),
        |p| {
            format!(
                "| {} | {} | {} |",
                hs(p.bytes),
                code(&tree.path(p.node)),
                p.describe_copies()
            )
        },
        "\n",
    );
    section(
        out,
        &analysis.duplicates.groups,
        SHOWN,
        &format!(
            "### {}\n\n| Saves | Copies | Paths |\n|--:|--:|---|\n",
            rows::duplicates_title(analysis)
        ),
        |g| {
            format!(
                "| {} | {} | {} |",
                hs(g.savings()),
                rows::copies(g),
                super::first_paths(tree, &g.nodes, 4, code),
            )
        },
        "\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_anything() {
        assert_eq!(code("/usr/bin"), "`/usr/bin`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("x\ny"), "`x\\ny`");
        assert_eq!(code(""), "` `");
    }

    #[test]
    fn text_is_inert() {
        assert_eq!(text("<b>@me [x](y)"), "&lt;b&gt;&#64;me \\[x\\](y)");
        assert_eq!(text("a|b"), "a\\|b");
    }

    #[test]
    fn bars_scale() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 10, 4), "▌");
        assert_eq!(bar(0, 10, 4), "");
        assert_eq!(bar(0, 0, 4), "");
    }
}

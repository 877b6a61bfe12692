//! The one-file HTML report: image facts (its role too — service, interpreted or shell — and why),
//! layer bars, the merged file tree (collapsible, largest first), reclaimable paths and
//! duplicates. Self-contained: inline CSS, no scripts, no external assets, so it can be attached to
//! a review and opened anywhere. Every string from the image is HTML-escaped after its control
//! characters are made visible.

use std::fmt::Write;

use super::review;
use super::rows::{self, section};
use crate::analysis::Analysis;
use crate::analysis::set::SetAnalysis;
use crate::model::{EntryKind, Image, NodeId, ROOT};
use crate::text::{escape_control, human_size as hs};

/// Most tree entries rendered in all; the rest are summarized per directory.
const TREE_BUDGET: usize = 5_000;
/// Most children listed under one directory.
const CHILDREN_SHOWN: usize = 200;
/// Deepest directory level rendered.
const MAX_DEPTH: usize = 64;
/// Rows of the reclaimable, duplicate and largest-file tables.
const ROWS: usize = 25;

const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1b1f24;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #d0d7de}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .6em;text-align:left;vertical-align:top}
tr:nth-child(even){background:#f6f8fa}td.num,th.num{text-align:right;white-space:nowrap}
.facts th{color:#57606a;font-weight:normal;padding-right:1.5em}
.bar{width:220px}.bar div{background:#4c8bf5;height:.9em;min-width:1px;border-radius:2px}
.bar div.waste{background:#e5534b}
.cmd{max-width:520px;overflow-wrap:anywhere}
.tree ul{list-style:none;margin:0;padding-left:1.2em;border-left:1px dotted #d0d7de}
.tree li{margin:0;white-space:nowrap}.tree summary{cursor:pointer}
.size{display:inline-block;width:6.5em;text-align:right;color:#57606a;margin-right:.6em;font-family:ui-monospace,monospace}
.kind{color:#8c959f}.more{color:#8c959f;font-style:italic}
.plan td.why{max-width:560px;overflow-wrap:anywhere}.worth{font-weight:bold;color:#1a7f37}.notworth{color:#57606a}
.risk-safe{color:#1a7f37}.risk-rebuild{color:#9a6700}.risk-risky{color:#cf222e}
.lead{font-size:1.05em}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}tr:nth-child(even){background:#161b22}.facts th,.size,.notworth{color:#8d96a0}.worth,.risk-safe{color:#3fb950}.risk-rebuild{color:#d29922}.risk-risky{color:#f85149}}
@media print{body{margin:0;max-width:none;font-size:10pt;background:#fff;color:#000}
.tree{display:none}.tree-note::after{content:\" (not printed: open the file to browse it)\"}
table{width:100%;page-break-inside:auto}tr{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}
h1,h2{break-after:avoid;page-break-after:avoid}tr:nth-child(even){background:#f0f0f0;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.bar div{-webkit-print-color-adjust:exact;print-color-adjust:exact}.cmd,.plan td.why{max-width:none}
.worth,.risk-safe,.risk-rebuild,.risk-risky,.facts th,.size,.notworth{color:#000}}
";

/// HTML-escape an image string (control characters shown as `\x1b` first).
pub fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape_control(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(value: u64, max: u64) -> f64 {
    if max == 0 {
        0.0
    } else {
        value as f64 / max as f64 * 100.0
    }
}

/// The HTML report of one or more images (analysed as one set): the trim plan first, then (with
/// several images) their sharing and node cost, then each image — the closure, the packages that
/// own the bytes, its facts, layers, file tree and tables. `extra` is a section (already HTML,
/// e.g. the size trend) put before the footer.
pub fn report(
    images: &[super::json::Analyzed<'_>],
    set: &SetAnalysis,
    extra: Option<&str>,
) -> String {
    let mut out = String::new();
    let title = match images {
        [(image, _)] => format!("<code>{}</code>", h(image.display_name())),
        _ => format!("{} images", images.len()),
    };
    let plain = match images {
        [(image, _)] => h(image.display_name()),
        _ => format!("{} images", images.len()),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>imgscope report: {plain}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>imgscope report: {title}</h1>\n"
    );
    if images.len() >= 2 {
        let names: Vec<String> = images
            .iter()
            .map(|(i, _)| format!("<code>{}</code>", h(i.display_name())))
            .collect();
        let _ = writeln!(out, "<p>{}</p>", names.join(", "));
    }
    let analyses: Vec<&Analysis> = images.iter().map(|(_, a)| *a).collect();
    plan(&mut out, set, &analyses);
    if images.len() >= 2 {
        sharing(&mut out, set);
    }
    for (k, (image, analysis)) in images.iter().enumerate() {
        let _ = writeln!(out, "<section class=\"image\" id=\"image-{}\">", k + 1);
        if images.len() >= 2 {
            let _ = writeln!(
                out,
                "<h2 class=\"image-name\"><code>{}</code></h2>",
                h(image.display_name())
            );
        }
        packages(&mut out, image, analysis);
        facts(&mut out, image, analysis);
        layers(&mut out, image, analysis);
        tree(&mut out, image, analysis);
        tables(&mut out, image, analysis);
        let _ = writeln!(out, "</section>");
    }
    if let Some(section) = extra {
        out.push_str(section);
    }
    let _ = writeln!(
        out,
        "<p class=\"more\">Generated by imgscope {}.</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// The trim plan: its headline and one row per action (`id="action-N"`), as `--json` has them.
fn plan(out: &mut String, set: &SetAnalysis, analyses: &[&Analysis]) {
    let head = review::plan_head(set);
    let _ = writeln!(
        out,
        "<section class=\"plan\" id=\"plan\">\n<h2>Trim plan</h2>\n<p class=\"lead\"><strong>{}</strong>; {}.</p>",
        h(&head.verdict),
        h(&head.cost)
    );
    for line in [&head.nothing, &head.saving, &head.together]
        .into_iter()
        .flatten()
    {
        let _ = writeln!(out, "<p>{}</p>", h(line));
    }
    for (i, note) in &set.plan.notes {
        let name = set.names.get(*i).map(String::as_str).unwrap_or_default();
        let _ = writeln!(out, "<p>Note on <code>{}</code>: {}</p>", h(name), h(note));
    }
    let rows = review::action_rows(set, analyses);
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "<table class=\"plan\">\n<thead><tr><th class=\"num\">#</th><th>Action</th><th>Risk</th>\
             <th class=\"num\">Per node</th><th class=\"num\">Per pull</th><th class=\"num\">Share</th>\
             <th>Verdict</th><th>Image (role)</th><th>Why</th></tr></thead>"
        );
        for r in &rows {
            let images: Vec<String> = r
                .images
                .iter()
                .map(|(name, role)| format!("<code>{}</code> ({role})", h(name)))
                .collect();
            let mut why = h(&r.why);
            if let Some((path, bytes)) = &r.largest {
                let _ = write!(why, "<br>largest: <code>{}</code> ({bytes})", h(path));
            }
            if let Some(overlap) = &r.overlap {
                let _ = write!(why, "<br>{}", h(overlap));
            }
            let _ = writeln!(
                out,
                "<tr class=\"action\" id=\"action-{rank}\"><td class=\"num\">{rank}</td><td>{}</td>\
                 <td class=\"risk-{risk}\">{risk}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"why\">{why}</td></tr>",
                r.action,
                r.node_saving,
                r.pull_saving,
                h(&r.share),
                if r.worth_it {
                    "<span class=\"worth\">worth it</span>"
                } else {
                    "<span class=\"notworth\">not worth it</span>"
                },
                images.join(", "),
                rank = r.rank,
                risk = r.risk,
            );
        }
        let _ = writeln!(out, "</table>");
        if let Some(more) = review::more_actions(set) {
            let _ = writeln!(out, "<p class=\"more\">{}</p>", h(&more));
        }
    }
    let _ = writeln!(out, "</section>");
}

/// What each image of a set shares, and what a node holding them all stores.
fn sharing(out: &mut String, set: &SetAnalysis) {
    let (head, rows) = review::sharing(set);
    let _ = writeln!(
        out,
        "<section class=\"sharing\" id=\"sharing\">\n<h2>Sharing</h2>\n<p>{}</p>\n<table>\n\
         <thead><tr><th>Image</th><th class=\"num\">Size</th><th class=\"num\">Shared</th>\
         <th class=\"num\">Unique</th><th class=\"num\">Amortized</th><th>Verdict</th></tr></thead>",
        h(&head)
    );
    for r in rows {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            h(&r.name),
            r.size,
            r.shared,
            r.unique,
            r.amortized,
            h(&r.verdict)
        );
    }
    let _ = writeln!(out, "</table>\n</section>");
}

/// The closure line and the packages that own the most bytes.
fn packages(out: &mut String, image: &Image, analysis: &Analysis) {
    match review::closure(image, analysis) {
        Some(review::ClosureLine::Found(exe, rest, unresolved)) => {
            let _ = write!(
                out,
                "<p class=\"closure\"><strong>Closure</strong>: entrypoint <code>{}</code> {}",
                h(&exe),
                h(&rest)
            );
            if !unresolved.is_empty() {
                let names: Vec<String> = unresolved
                    .iter()
                    .map(|u| format!("<code>{}</code>", h(u)))
                    .collect();
                let _ = write!(out, "; not found: {}", names.join(", "));
            }
            out.push_str(".</p>\n");
        }
        Some(review::ClosureLine::Missing(first)) => {
            let _ = writeln!(
                out,
                "<p class=\"closure\"><strong>Closure</strong>: entrypoint <code>{}</code> not found in the image.</p>",
                h(&first)
            );
        }
        None => {}
    }
    for problem in review::package_problems(analysis) {
        let _ = writeln!(out, "<p>Unreadable package database: {}</p>", h(problem));
    }
    if let Some((head, rows, more)) = review::packages(analysis) {
        let _ = writeln!(
            out,
            "<h2>Packages</h2>\n<p>{}.</p>\n<table class=\"packages\">\n<thead><tr><th class=\"num\">Bytes</th>\
             <th class=\"num\">Files</th><th class=\"num\">Layer</th><th class=\"num\">Reclaimable</th>\
             <th class=\"num\">Trim</th><th>Package</th></tr></thead>",
            h(&head)
        );
        for r in rows {
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code> <code>{}</code></td></tr>",
                r.bytes,
                r.files,
                r.layer,
                r.reclaimable,
                r.trim,
                h(&r.name),
                h(&r.version)
            );
        }
        let _ = writeln!(out, "</table>");
        if more > 0 {
            let _ = writeln!(
                out,
                "<p class=\"more\">… {more} more packages (--json lists them).</p>"
            );
        }
    }
}

fn facts(out: &mut String, image: &Image, analysis: &Analysis) {
    let _ = writeln!(out, "<h2>Image</h2>\n<table class=\"facts\">");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    row("Source", image.source.label().to_string());
    if let Some(d) = &image.manifest_digest {
        row("Digest", format!("<code>{}</code>", h(d)));
    }
    row("Platform", h(&image.platform.to_string()));
    if let Some(c) = &image.created {
        row("Created", h(c));
    }
    row(
        "Role",
        format!("{} ({})", analysis.role.role.key(), h(&analysis.role.why)),
    );
    row("Size", rows::sizes(image.size(), image.compressed_size()));
    row(
        "Layers, files",
        format!(
            "{} layers, {} files, {} directories",
            image.layers.len(),
            analysis.file_count,
            analysis.dir_count
        ),
    );
    row("Reclaimable", rows::reclaimable(image, analysis));
    row("Efficiency", rows::efficiency(analysis));
    row("Duplicates", rows::duplicates(analysis));
    let _ = writeln!(out, "</table>");
}

fn layers(out: &mut String, image: &Image, analysis: &Analysis) {
    let _ = writeln!(out, "<h2>Layers</h2>\n<table class=\"layers\">");
    let _ = writeln!(
        out,
        "<tr><th class=\"num\">#</th><th class=\"num\">Size</th><th class=\"bar\"></th>\
         <th class=\"num\">Compressed</th><th class=\"num\">Reclaimable</th>\
         <th class=\"num\">+/~/-</th><th>Command</th></tr>"
    );
    let max = image.layers.iter().map(|l| l.size).max().unwrap_or(0);
    for l in &image.layers {
        let waste = analysis.waste.per_layer.get(l.index).copied().unwrap_or(0);
        let c = &l.changes;
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"bar\"><div style=\"width:{:.1}%\"></div>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">+{} ~{} -{}</td>\
             <td class=\"cmd\"><code>{}</code></td></tr>",
            l.index,
            hs(l.size),
            pct(l.size, max),
            if waste > 0 {
                format!(
                    "<div class=\"waste\" style=\"width:{:.1}%\"></div>",
                    pct(waste, max)
                )
            } else {
                String::new()
            },
            hs(l.compressed_size),
            hs(waste),
            c.added,
            c.modified,
            c.removed,
            h(&crate::text::clean_command(l.command()))
        );
    }
    let _ = writeln!(out, "</table>");
}

/// Render state for the tree: how many entries are left to show.
struct TreeState<'a> {
    image: &'a Image,
    analysis: &'a Analysis,
    left: usize,
}

fn tree(out: &mut String, image: &Image, analysis: &Analysis) {
    let _ = writeln!(
        out,
        "<h2>File tree</h2>\n<p class=\"more tree-note\">The final filesystem, largest first; directory sizes \
         are the bytes of the regular files below them.</p>\n<div class=\"tree mono\">"
    );
    let mut st = TreeState {
        image,
        analysis,
        left: TREE_BUDGET,
    };
    let _ = writeln!(
        out,
        "<details open><summary><span class=\"size\">{}</span>/</summary>",
        hs(analysis.sizes[ROOT.index()])
    );
    children(out, &mut st, ROOT, 0);
    let _ = writeln!(out, "</details>\n</div>");
}

fn children(out: &mut String, st: &mut TreeState<'_>, dir: NodeId, depth: usize) {
    let tree = &st.image.tree;
    let sizes = &st.analysis.sizes;
    let mut kids: Vec<NodeId> = tree
        .children(dir)
        .iter()
        .copied()
        .filter(|&c| tree.live_final(c).is_some())
        .collect();
    if kids.is_empty() {
        return;
    }
    kids.sort_by(|a, b| sizes[b.index()].cmp(&sizes[a.index()]).then(a.cmp(b)));
    out.push_str("<ul>\n");
    let mut shown = 0;
    for &kid in &kids {
        if st.left == 0 || shown == CHILDREN_SHOWN {
            break;
        }
        st.left -= 1;
        shown += 1;
        let Some(v) = tree.live_final(kid) else {
            continue;
        };
        let size = hs(sizes[kid.index()]);
        let name = h(tree.name(kid));
        match v.kind {
            EntryKind::Dir if depth + 1 < MAX_DEPTH => {
                let open = if depth == 0 { " open" } else { "" };
                let _ = writeln!(
                    out,
                    "<li><details{open}><summary><span class=\"size\">{size}</span>{name}/</summary>"
                );
                children(out, st, kid, depth + 1);
                out.push_str("</details></li>\n");
            }
            EntryKind::Dir => {
                let _ = writeln!(
                    out,
                    "<li><span class=\"size\">{size}</span>{name}/ <span class=\"more\">(too deep to show)</span></li>"
                );
            }
            kind => {
                let extra = match tree.link_target(v) {
                    Some(t) => format!(" <span class=\"kind\">→ {}</span>", h(t)),
                    None if kind != EntryKind::File => {
                        format!(" <span class=\"kind\">({})</span>", kind.label())
                    }
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "<li><span class=\"size\">{size}</span>{name}{extra}</li>"
                );
            }
        }
    }
    if shown < kids.len() {
        let rest: u64 = kids[shown..].iter().map(|k| sizes[k.index()]).sum();
        let _ = writeln!(
            out,
            "<li class=\"more\"><span class=\"size\">{}</span>… {} more entries</li>",
            hs(rest),
            kids.len() - shown
        );
    }
    out.push_str("</ul>\n");
}

/// A table section: `<h2>{title}</h2>`, the header row `header`, one row per item.
fn table<T>(out: &mut String, title: &str, header: &str, items: &[T], row: impl Fn(&T) -> String) {
    section(
        out,
        items,
        ROWS,
        &format!("<h2>{title}</h2>\n<table>\n<tr>{header}</tr>\n"),
        row,
        "</table>\n",
    );
}

fn tables(out: &mut String, image: &Image, analysis: &Analysis) {
    let tree = &image.tree;
    table(
        out,
        "Largest files",
        "<th class=\"num\">Size</th><th class=\"num\">Layer</th><th>Path</th>",
        &analysis.largest_files,
        |&n| {
            format!(
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
                hs(analysis.sizes[n.index()]),
                tree.live_final(n).map_or(0, |v| v.layer),
                h(&tree.path(n))
            )
        },
    );
    table(
        out,
        &format!(
            "Reclaimable ({} paths, {})",
            analysis.waste.paths.len(),
            hs(analysis.waste.reclaimable_bytes)
        ),
        "<th class=\"num\">Bytes</th><th>Path</th><th>Hidden copies</th>",
        &analysis.waste.paths,
        |p| {
            format!(
                "<tr><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
                hs(p.bytes),
                h(&tree.path(p.node)),
                p.describe_copies()
            )
        },
    );
    table(
        out,
        &rows::duplicates_title(analysis),
        "<th class=\"num\">Saves</th><th class=\"num\">Copies</th><th>Paths</th>",
        &analysis.duplicates.groups,
        |g| {
            let paths: Vec<String> = g
                .nodes
                .iter()
                .map(|n| format!("<code>{}</code>", h(&tree.path(*n))))
                .collect();
            format!(
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                hs(g.savings()),
                rows::copies(g),
                paths.join("<br>")
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            h("<script>\"x\" & 'y'\u{1b}"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;\\x1b"
        );
    }
}

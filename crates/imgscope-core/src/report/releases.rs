//! `imgscope releases` in text: per release what a node running the previous one pulls and how
//! much of it it already had, the series' totals and mean, the layer positions that changed, then
//! the last release's trim plan with the series' `stabilize` actions. Every string from an image
//! goes through [`escape_control`](crate::text::escape_control).

use std::fmt::Write;

use crate::analysis::releases::{ReleaseFacts, Series, Totals};
use crate::analysis::set::SetAnalysis;
use crate::text::{clean_command, escape_control as esc, human_size as hs, rough_percent};

fn had_share(t: &Totals) -> String {
    if t.pull_bytes == 0 {
        "-".to_string()
    } else {
        rough_percent(t.already_had_bytes as f64 / t.pull_bytes as f64)
    }
}

/// The text report of `series` over `facts`; `set` is the last release's set analysis, its plan
/// holding the stabilize actions.
pub fn text(facts: &[ReleaseFacts], series: &Series, set: &SetAnalysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Releases    {} in deploy order: what a node running the previous release pulls",
        facts.len()
    );
    if series.estimated {
        let _ = writeln!(
            out,
            "  note: read from the history: already-had bytes are estimates from each layer's fingerprint{}",
            match series.unknown_layers {
                0 => String::new(),
                n => format!(
                    "; {n} pulled layers were recorded without one (counted as nothing already had)"
                ),
            }
        );
    }
    if series.unhashed {
        let _ = writeln!(
            out,
            "  note: some files were not hashed; their bytes count as new"
        );
    }
    let _ = writeln!(
        out,
        "  {:>3}  {:<32} {:>11} {:>11} {:>11} {:>5}  LAYERS PULLED",
        "#", "RELEASE", "PULL", "COMPRESSED", "ALREADY HAD", ""
    );
    for (i, f) in facts.iter().enumerate() {
        // The end of a name (its tag) tells releases apart.
        let name = crate::text::clip_start(&esc(&f.name), 32).into_owned();
        let Some(step) = i.checked_sub(1).and_then(|k| series.steps.get(k)) else {
            let _ = writeln!(
                out,
                "  {i:>3}  {name:<32} {:>11} {:>11} {:>11} {:>5}  first release: pulled whole",
                "-", "-", "-", ""
            );
            continue;
        };
        let layers: Vec<String> = step
            .layers
            .iter()
            .map(|l| format!("{} ({})", l.index, esc(&clean_command(&l.created_by))))
            .collect();
        let _ = writeln!(
            out,
            "  {i:>3}  {name:<32} {:>11} {:>11} {:>11} {:>5}  {}",
            hs(step.totals.pull_bytes),
            hs(step.totals.pull_compressed_bytes),
            hs(step.totals.already_had_bytes),
            had_share(&step.totals),
            if layers.is_empty() {
                "none".to_string()
            } else {
                crate::text::clip(&layers.join(", "), 100).into_owned()
            }
        );
    }
    if !series.steps.is_empty() {
        let _ = writeln!(
            out,
            "  Per release (mean of {}): pulls {} ({} compressed), {} of it already on the node; total {} ({} compressed), {} already had",
            series.steps.len(),
            hs(series.mean.pull_bytes),
            hs(series.mean.pull_compressed_bytes),
            had_share(&series.total),
            hs(series.total.pull_bytes),
            hs(series.total.pull_compressed_bytes),
            hs(series.total.already_had_bytes),
        );
    }
    let _ = writeln!(out, "Layer churn");
    for c in &series.churn {
        let t = c.totals();
        let _ = writeln!(
            out,
            "  layer {:>2}  changed {:>3} of {:<3}  pulled {:>11}, really new {:>11} ({} already had)  {}",
            c.position,
            c.changes.len(),
            c.present,
            hs(t.pull_bytes),
            hs(t.pull_bytes.saturating_sub(t.already_had_bytes)),
            had_share(&t),
            crate::text::clip(&esc(&clean_command(&c.created_by)), 60)
        );
    }
    out.push_str(&super::plan::text(&set.plan));
    out
}

/// The series for a pull-request comment or a review: one table row per release, the layer
/// positions that changed, and the `stabilize` actions (the rest of the plan is
/// `imgscope report`'s). Strings from images go through the Markdown escapes.
pub fn markdown(facts: &[ReleaseFacts], series: &Series, set: &SetAnalysis) -> String {
    use super::markdown::{code, text as md};
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### What every release costs\n\n{} releases in deploy order: what a node running the previous release pulls.\n",
        facts.len()
    );
    if series.estimated {
        let _ = writeln!(
            out,
            "Read from the history: already-had bytes are estimates from each layer's fingerprint.\n"
        );
    }
    let _ = writeln!(
        out,
        "| # | Release | Pull | Compressed | Already had | Layers pulled |"
    );
    let _ = writeln!(out, "|--:|---|--:|--:|--:|---|");
    for (i, f) in facts.iter().enumerate() {
        let Some(step) = i.checked_sub(1).and_then(|k| series.steps.get(k)) else {
            let _ = writeln!(
                out,
                "| {i} | {} | – | – | – | first release |",
                code(&f.name)
            );
            continue;
        };
        let layers: Vec<String> = step
            .layers
            .iter()
            .map(|l| format!("{} {}", l.index, code(&clean_command(&l.created_by))))
            .collect();
        let _ = writeln!(
            out,
            "| {i} | {} | {} | {} | {} ({}) | {} |",
            code(&f.name),
            hs(step.totals.pull_bytes),
            hs(step.totals.pull_compressed_bytes),
            hs(step.totals.already_had_bytes),
            md(&had_share(&step.totals)),
            layers.join("<br>")
        );
    }
    if !series.steps.is_empty() {
        let _ = writeln!(
            out,
            "\nPer release (mean of {}): **{}** pulled ({} compressed), {} of it already on the node; total {}.\n",
            series.steps.len(),
            hs(series.mean.pull_bytes),
            hs(series.mean.pull_compressed_bytes),
            md(&had_share(&series.total)),
            hs(series.total.pull_bytes),
        );
    }
    let changed: Vec<_> = series
        .churn
        .iter()
        .filter(|c| !c.changes.is_empty())
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(out, "| Layer | Changed | Pulled | Really new | Command |");
        let _ = writeln!(out, "|--:|--:|--:|--:|---|");
        for c in changed {
            let t = c.totals();
            let _ = writeln!(
                out,
                "| {} | {} of {} | {} | {} | {} |",
                c.position,
                c.changes.len(),
                c.present,
                hs(t.pull_bytes),
                hs(t.pull_bytes.saturating_sub(t.already_had_bytes)),
                code(&clean_command(&c.created_by))
            );
        }
        out.push('\n');
    }
    let stabilize: Vec<_> = set
        .plan
        .actions
        .iter()
        .filter(|a| a.kind == crate::analysis::plan::ActionKind::Stabilize)
        .collect();
    if stabilize.is_empty() {
        let _ = writeln!(
            out,
            "No layer is rebuilt for nothing: none changes in most releases with at least {} of it already on the node.",
            rough_percent(crate::analysis::releases::STABILIZE_MIN_ALREADY_HAD)
        );
    } else {
        let _ = writeln!(out, "| Action | Risk | Per release | Verdict | Why |");
        let _ = writeln!(out, "|---|---|--:|---|---|");
        for a in stabilize {
            let _ = writeln!(
                out,
                "| stabilize | {} | {} | {} | {} |",
                a.risk.key(),
                hs(a.node_saving),
                if a.worth_it {
                    "**worth it**"
                } else {
                    "not worth it"
                },
                md(&a.why)
            );
        }
    }
    out
}

/// The series as an HTML section for the last release's one-file report (`releases --format
/// html`): one row per release (its pull, compressed, what of it the node already had, the layers
/// pulled with their commands), the mean and total, and the layer positions that changed. The
/// stabilize actions are in the report's plan. Every image string goes through
/// [`super::html::h`].
pub fn html_section(facts: &[ReleaseFacts], series: &Series) -> String {
    use super::html::h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section class=\"releases\" id=\"releases\">\n<h2>What every release costs</h2>\n\
         <p class=\"lead\">{} releases in deploy order: what a node running the previous release pulls{}.</p>",
        facts.len(),
        if series.estimated {
            " (read from the history: already-had bytes are estimates)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "<table><thead><tr><th class=\"num\">#</th><th>Release</th><th class=\"num\">Pull</th>\
         <th class=\"num\">Compressed</th><th class=\"num\">Already had</th><th>Layers pulled</th></tr></thead><tbody>"
    );
    for (i, f) in facts.iter().enumerate() {
        let Some(step) = i.checked_sub(1).and_then(|k| series.steps.get(k)) else {
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{i}</td><td><code>{}</code></td><td class=\"num\">–</td>\
                 <td class=\"num\">–</td><td class=\"num\">–</td><td>first release</td></tr>",
                h(&f.name)
            );
            continue;
        };
        let layers: Vec<String> = step
            .layers
            .iter()
            .map(|l| {
                format!(
                    "{} <code class=\"cmd\">{}</code>",
                    l.index,
                    h(&clean_command(&l.created_by))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{i}</td><td><code>{}</code></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{} ({})</td><td>{}</td></tr>",
            h(&f.name),
            hs(step.totals.pull_bytes),
            hs(step.totals.pull_compressed_bytes),
            hs(step.totals.already_had_bytes),
            had_share(&step.totals),
            layers.join("<br>")
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    if !series.steps.is_empty() {
        let _ = writeln!(
            out,
            "<p>Per release (mean of {}): <strong>{}</strong> pulled ({} compressed), {} of it already on the node; total {}.</p>",
            series.steps.len(),
            hs(series.mean.pull_bytes),
            hs(series.mean.pull_compressed_bytes),
            had_share(&series.total),
            hs(series.total.pull_bytes),
        );
    }
    let changed: Vec<_> = series
        .churn
        .iter()
        .filter(|c| !c.changes.is_empty())
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(
            out,
            "<table><thead><tr><th class=\"num\">Layer</th><th class=\"num\">Changed</th>\
             <th class=\"num\">Pulled</th><th class=\"num\">Really new</th><th>Command</th></tr></thead><tbody>"
        );
        for c in changed {
            let t = c.totals();
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{} of {}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td><code class=\"cmd\">{}</code></td></tr>",
                c.position,
                c.changes.len(),
                c.present,
                hs(t.pull_bytes),
                hs(t.pull_bytes.saturating_sub(t.already_had_bytes)),
                h(&clean_command(&c.created_by))
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    let _ = writeln!(
        out,
        "<p>The <code>stabilize</code> actions, if any, are in the trim plan above.</p>\n</section>"
    );
    out
}

//! The plain-text summary printed when stdout is not a terminal and `--json` is not given: image
//! facts, a layers table with sizes and commands, the largest directories, and the waste. Every
//! string from the image goes through [`escape_control`](crate::text::escape_control).

use std::fmt::Write;

use super::rows::{self, section};
use crate::analysis::Analysis;
use crate::model::Image;
use crate::text::one_line;
use crate::text::{escape_control as esc, human_size as hs};

const SHOWN: usize = 10;

/// One warning line per layer whose content is not what its config's diff_id claims (`which`
/// names the image in a diff: "old ", "new ").
pub fn false_diff_ids(image: &Image, which: &str) -> String {
    let mut out = String::new();
    for layer in &image.layers {
        if let (Some(claimed), Some(content)) = (layer.false_diff_id(), &layer.content_diff_id) {
            let _ = writeln!(
                out,
                "  warning: {which}layer {}'s config claims diff_id {}, its content is {}",
                layer.index,
                esc(claimed),
                esc(content)
            );
        }
    }
    out
}

pub fn summary(image: &Image, analysis: &Analysis) -> String {
    let mut out = String::new();
    let tree = &image.tree;
    let _ = writeln!(
        out,
        "Image       {} ({})",
        esc(image.display_name()),
        image.source.label()
    );
    if let Some(d) = &image.manifest_digest {
        let _ = writeln!(out, "Digest      {}", esc(d));
    }
    let _ = writeln!(
        out,
        "Platform    {}{}",
        esc(&image.platform.to_string()),
        image
            .created
            .as_deref()
            .map(|c| format!("   created {}", esc(c)))
            .unwrap_or_default()
    );
    if analysis.layers_only {
        let _ = writeln!(
            out,
            "Size        {} compressed, {} layers (layers only: no layer was decoded)",
            hs(image.compressed_size()),
            image.layers.len()
        );
        let _ = writeln!(out, "\nLayers");
        let _ = writeln!(out, "  {:>3}  {:>10}  COMMAND", "#", "COMPRESSED");
        for layer in &image.layers {
            let _ = writeln!(
                out,
                "  {:>3}  {:>10}  {}",
                layer.index,
                hs(layer.compressed_size),
                one_line(&crate::text::clean_command(layer.command()), 100)
            );
        }
        return out;
    }
    let _ = writeln!(
        out,
        "Size        {}, {} layers, {} files",
        rows::sizes(image.size(), image.compressed_size()),
        image.layers.len(),
        analysis.file_count
    );
    let _ = writeln!(
        out,
        "Waste       {} reclaimable ({:.1}%), efficiency {}, duplicates {} in {} groups",
        hs(analysis.waste.reclaimable_bytes),
        analysis.reclaimable_ratio(image) * 100.0,
        rows::efficiency(analysis),
        hs(analysis.duplicates.savings_bytes),
        analysis.duplicates.groups.len()
    );
    let _ = writeln!(
        out,
        "Role        {}: {}",
        analysis.role.role.key(),
        esc(&analysis.role.why)
    );
    if let Some(line) = base_line(image, analysis) {
        out.push_str(&line);
    }
    let ignored = &analysis.ignored_summary;
    if !ignored.patterns.is_empty() {
        let joined = ignored.patterns.join(", ");
        let patterns = crate::text::escape_control(&joined);
        let _ = writeln!(
            out,
            "Ignored     {} files, {} ({patterns}): {} reclaimable and {} of duplicates not counted",
            ignored.files,
            hs(ignored.bytes),
            hs(ignored.reclaimable_bytes),
            hs(ignored.duplicate_savings_bytes)
        );
    }

    let _ = writeln!(out, "\nLayers");
    let _ = writeln!(
        out,
        "  {:>3}  {:>10}  {:>10}  {:>10}  {:<18}  COMMAND",
        "#", "COMPRESSED", "SIZE", "WASTED", "ADDED/MOD/DEL"
    );
    for layer in &image.layers {
        let c = &layer.changes;
        let _ = writeln!(
            out,
            "  {:>3}  {:>10}  {:>10}  {:>10}  {:<18}  {}",
            layer.index,
            hs(layer.compressed_size),
            hs(layer.size),
            hs(analysis.waste.per_layer[layer.index]),
            format!("+{} ~{} -{}", c.added, c.modified, c.removed),
            one_line(&inherited_mark(analysis, layer), 80)
        );
    }
    out.push_str(&false_diff_ids(image, ""));

    section(
        &mut out,
        &analysis.largest_dirs,
        SHOWN,
        "\nLargest directories\n",
        |&dir| {
            format!(
                "  {:>10}  {}",
                hs(analysis.sizes[dir.index()]),
                esc(&tree.path(dir))
            )
        },
        "",
    );
    section(
        &mut out,
        &analysis.waste.paths,
        SHOWN,
        &format!("\nReclaimable ({} paths)\n", analysis.waste.paths.len()),
        |p| {
            format!(
                "  {:>10}  {}  ({})",
                hs(p.bytes),
                esc(&tree.path(p.node)),
                p.describe_copies()
            )
        },
        "",
    );
    section(
        &mut out,
        &analysis.duplicates.groups,
        SHOWN,
        &format!("\n{}\n", rows::duplicates_title(analysis)),
        |g| {
            format!(
                "  {:>10}  {}: {}",
                hs(g.savings()),
                rows::copies(g),
                super::first_paths(tree, &g.nodes, 4, |p| esc(p).into_owned()),
            )
        },
        "",
    );
    out.push_str(&super::packages::text(image, analysis));
    out
}

/// The layer's command, with `[base]` before it when the layer is the base's.
fn inherited_mark(analysis: &Analysis, layer: &crate::model::Layer) -> String {
    let command = crate::text::clean_command(layer.command());
    match &analysis.base {
        Some(b) if b.is_inherited(layer.index) => format!("[base] {command}"),
        _ => command.into_owned(),
    }
}

/// `Base        debian:12 (annotation): layers 0–2 inherited; own 2 layers, …` and, when the
/// base did not match or could not be read, why.
fn base_line(image: &Image, analysis: &Analysis) -> Option<String> {
    let base = analysis.base.as_ref()?;
    let name = esc(&base.reference);
    let origin = base.origin.described();
    let mut parts = Vec::new();
    if let Some(caveat) = base.caveat() {
        parts.push(esc(&caveat).into_owned());
    }
    if base.inherited > 0 {
        let own = crate::analysis::base::OwnPart::of(image, &analysis.waste, base.inherited);
        let inherited = match base.inherited {
            1 => "layer 0 inherited".to_string(),
            n => format!("layers 0–{} inherited", n - 1),
        };
        parts.push(inherited);
        parts.push(format!(
            "own: {}, {}, {} reclaimable",
            crate::text::plural(own.layer_count, "layer", "layers"),
            rows::sizes(own.size, own.compressed_size),
            hs(own.reclaimable_bytes)
        ));
    }
    Some(format!(
        "Base        {name} ({origin}): {}\n",
        parts.join("; ")
    ))
}

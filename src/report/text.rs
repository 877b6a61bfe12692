//! The plain-text summary printed when stdout is not a terminal and `--json` is not given: image
//! facts, a layers table with sizes and commands, the largest directories, and the waste. Every
//! string from the image goes through [`escape_control`].

use std::fmt::Write;

use super::escape::{escape_control as esc, human_size as hs};
use crate::analysis::Analysis;
use crate::model::Image;

const SHOWN: usize = 10;

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
                one_line(layer.command(), 100)
            );
        }
        return out;
    }
    let _ = writeln!(
        out,
        "Size        {} uncompressed, {} compressed, {} layers, {} files",
        hs(image.size()),
        hs(image.compressed_size()),
        image.layers.len(),
        analysis.file_count
    );
    let _ = writeln!(
        out,
        "Waste       {} reclaimable ({:.1}%), efficiency {:.2}% (dive's score), duplicates {} in {} groups",
        hs(analysis.waste.reclaimable_bytes),
        analysis.reclaimable_ratio(image) * 100.0,
        analysis.efficiency.score * 100.0,
        hs(analysis.duplicates.savings_bytes),
        analysis.duplicates.groups.len()
    );

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
            one_line(layer.command(), 80)
        );
    }

    if !analysis.largest_dirs.is_empty() {
        let _ = writeln!(out, "\nLargest directories");
        for &dir in analysis.largest_dirs.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {:>10}  {}",
                hs(analysis.sizes[dir as usize]),
                esc(&tree.path(dir))
            );
        }
    }

    if !analysis.waste.paths.is_empty() {
        let _ = writeln!(out, "\nReclaimable ({} paths)", analysis.waste.paths.len());
        for p in analysis.waste.paths.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {:>10}  {}  ({})",
                hs(p.bytes),
                esc(&tree.path(p.node)),
                p.describe_copies()
            );
        }
    }

    if !analysis.duplicates.groups.is_empty() {
        let _ = writeln!(
            out,
            "\nDuplicate content ({} groups, {} to save)",
            analysis.duplicates.groups.len(),
            hs(analysis.duplicates.savings_bytes)
        );
        for g in analysis.duplicates.groups.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "  {:>10}  {} × {}: {}",
                hs(g.savings()),
                g.nodes.len(),
                hs(g.size),
                super::first_paths(tree, &g.nodes, 4, |p| esc(p).into_owned()),
            );
        }
    }
    out
}

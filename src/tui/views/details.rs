//! The details pane: facts about what is selected, then the selected layer, then the image. The
//! layer's command appears here in full (escaped, one line of the command per line); the numbers
//! are read from the same image and analysis values as the text and JSON reports. In a diff, what
//! is selected and the image are also compared with the old image (see [`diff_facts`]).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget};

use super::fact_lines::{Lines, path};
use super::{diff_facts, pane};
use crate::model::hex;
use crate::model::{Change, EntryKind};
use crate::text::{clip, plural};
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::format::{mode_string, utc};
use crate::tui::theme::Theme;
use crate::tui::viewer::Viewer;
use crate::tui::waste_list::WasteRow;

/// What the details pane describes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Layer,
    File,
    Waste,
    /// A row of a diff's removed list.
    Removed,
}

pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    v: &Viewer,
    subject: Subject,
    theme: &Theme,
    focused: bool,
) {
    let inner = pane(buf, area, " Details ".into(), theme, focused);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    // Only the lines up to the bottom of the pane are built (and one more, to know there is more).
    let limit = v.details_scroll as usize + inner.height as usize + 1;
    let mut out = Lines::new(theme, inner.width as usize, limit);
    match subject {
        Subject::File => {
            file_facts(&mut out, v);
            layer_facts(&mut out, v);
        }
        Subject::Waste => {
            waste_facts(&mut out, v);
            layer_facts(&mut out, v);
        }
        Subject::Removed => {
            diff_facts::removed(&mut out, v);
            layer_facts(&mut out, v);
        }
        Subject::Layer => layer_facts(&mut out, v),
    }
    image_facts(&mut out, v);
    diff_facts::image(&mut out, v);
    let lines = out.into_lines();
    v.details_len.set(lines.len());
    let max_scroll = lines.len().saturating_sub(1).min(u16::MAX as usize) as u16;
    let scroll = v.details_scroll.min(max_scroll);
    // Lines are built only to one past the bottom: below, there is more or there is not.
    let more_below = lines.len() > scroll as usize + inner.height as usize;
    super::scroll_marks(buf, area, scroll as usize, 0, theme);
    if more_below && area.height > 1 {
        super::border_note(buf, area, area.bottom() - 1, " ↓ more ", theme);
    }
    Paragraph::new(lines).scroll((scroll, 0)).render(inner, buf);
}

/// The first `chars` characters of `s`.
fn prefix(s: &str, chars: usize) -> &str {
    s.char_indices().nth(chars).map_or(s, |(i, _)| &s[..i])
}

fn file_facts(out: &mut Lines, v: &Viewer) {
    let Some(node) = v.tree.selected() else {
        out.heading("No file selected".into());
        return;
    };
    let tree = v.file_tree();
    out.heading(format!("File {}", path(v, node)));
    let Some((version_id, ver)) = tree.version_at(node, v.layer) else {
        return;
    };
    // The analysis (duplicates, reclaimable copies) describes the final filesystem: its facts
    // hold for this version only when it is the final one.
    let final_version = tree.node(node).last() == Some(version_id) && ver.is_live();
    let change = if ver.layer as usize == v.layer {
        format!("{} by this layer", ver.change.label())
    } else {
        "unchanged by this layer".into()
    };
    out.fact("kind", format!("{} · {change}", ver.kind.label()));
    out.fact(
        "mode",
        format!(
            "{} ({:04o})  owner {}:{}",
            mode_string(ver.kind, ver.mode),
            ver.mode & 0o7777,
            tree.owner(ver).0,
            tree.owner(ver).1
        ),
    );
    let size = v.lens().size(node);
    let size_label = match ver.kind {
        // A layer's changes: what it wrote below, and what it removed there.
        EntryKind::Dir if ver.is_live() && v.mode == crate::tui::tree_state::Mode::Changes => {
            format!(
                "{} written by this layer below · {} removed",
                hs(size),
                hs(v.stats().removed_below(node))
            )
        }
        EntryKind::Dir if ver.is_live() => format!("{} in total below", hs(size)),
        _ => hs(if ver.kind == EntryKind::Dir {
            size
        } else {
            ver.size
        }),
    };
    out.fact("size", size_label);
    diff_facts::node(out, v, node);
    if let Some(target) = tree.link_target(ver) {
        out.fact("link to", clip(&esc(target), 4096).into_owned());
    }
    if ver.mtime > 0 {
        out.fact("mtime", utc(ver.mtime));
    }
    let writer = &v.image().layers.get(ver.layer as usize);
    out.fact(
        "written by",
        format!(
            "layer {}{}",
            ver.layer,
            writer
                .map(|l| format!(": {}", crate::text::one_line_command(l.command(), 60)))
                .unwrap_or_default()
        ),
    );
    match v.shadowed_by(node) {
        Some(later) if later.change == Change::Removed => {
            out.styled_fact(
                "shadowed",
                format!("removed by layer {}", later.layer),
                out.theme.waste(),
            );
        }
        Some(later) => out.styled_fact(
            "shadowed",
            format!("overwritten by layer {}", later.layer),
            out.theme.waste(),
        ),
        None => out.fact("shadowed", "no: this version is the final one"),
    }
    if let Some(hash) = tree.hash(ver) {
        out.fact("blake3", format!("{}…", hex(&hash)));
    }
    let analysis = v.analysis();
    if let Some(p) = analysis.packages.owner_of(node) {
        out.fact(
            "package",
            format!(
                "{} {} ({}, {} in {})",
                clip(&esc(&p.name), 200),
                clip(&esc(&p.version), 200),
                p.manager,
                hs(p.bytes),
                plural(p.files as usize, "file", "files")
            ),
        );
    } else if ver.kind != EntryKind::Dir && ver.is_live() {
        let packages = &analysis.packages;
        out.fact(
            "package",
            if packages.packages.is_empty() {
                "none (no package database)".to_string()
            } else {
                format!(
                    "no package: no {} package owns it",
                    packages.managers.join(" or ")
                )
            },
        );
    }
    if let Some(c) = &analysis.closure
        && c.files.iter().any(|(n, _)| *n == node)
    {
        out.fact("closure", "the entrypoint needs it (static view)");
    }
    match v.duplicate_group(node) {
        Some(group) if final_version => out.styled_fact(
            "duplicates",
            format!(
                "same content at {} other path{} ({} to save)",
                group.nodes.len() - 1,
                if group.nodes.len() == 2 { "" } else { "s" },
                hs(group.savings())
            ),
            out.theme.waste(),
        ),
        Some(_) => out.fact(
            "duplicates",
            "not known for this version: the final one, from a later layer, has copies",
        ),
        None => {}
    }
    if let Some(p) = v.reclaimable(node) {
        out.styled_fact(
            "reclaimable",
            format!(
                "{} in {} hidden cop{}",
                hs(p.bytes),
                p.copies.len(),
                if p.copies.len() == 1 { "y" } else { "ies" }
            ),
            out.theme.waste(),
        );
    }
}

fn waste_facts(out: &mut Lines, v: &Viewer) {
    let analysis = v.analysis();
    match v.waste.selected() {
        Some(WasteRow::Reclaim(i)) => {
            let Some(p) = analysis.waste.paths.get(i as usize) else {
                return;
            };
            out.heading(format!("Reclaimable {}", path(v, p.node)));
            out.styled_fact("bytes", hs(p.bytes), out.theme.waste());
            for c in &p.copies {
                out.fact(
                    &format!("layer {}", c.layer),
                    format!(
                        "{} {}, {} by layer {}",
                        c.change.label(),
                        hs(c.size),
                        if c.removed { "removed" } else { "overwritten" },
                        c.hidden_by
                    ),
                );
            }
        }
        Some(WasteRow::Group(g) | WasteRow::GroupPath(g, _)) => {
            let Some(group) = analysis.duplicates.groups.get(g as usize) else {
                return;
            };
            out.heading(format!("Duplicate content: {} copies", group.nodes.len()));
            out.fact("size", format!("{} each", hs(group.size)));
            out.styled_fact("to save", hs(group.savings()), out.theme.waste());
            out.fact("blake3", format!("{}…", hex(&group.hash)));
            for &n in group.nodes.iter().take(50) {
                out.fact("", path(v, n));
            }
            if group.nodes.len() > 50 {
                out.fact("", format!("… {} more", group.nodes.len() - 50));
            }
        }
        Some(WasteRow::Plan) => {
            out.heading("The plan's safe actions".into());
            if let Some((_, full)) = &v.waste.plan_note {
                out.fact("", full.clone());
            }
        }
        _ => out.heading("Waste".into()),
    }
}

fn layer_facts(out: &mut Lines, v: &Viewer) {
    let Some(layer) = v.image().layers.get(v.layer) else {
        return;
    };
    // As the status line says it, capitalized.
    let heading = crate::tui::format::layer_of(layer.index, v.layer_count());
    out.heading(format!("L{}", &heading[1..]));
    let command = layer.command();
    if command.is_empty() {
        out.fact("command", "(no history entry)");
    } else {
        for (i, part) in command.lines().enumerate() {
            if out.room() == 0 {
                break;
            }
            // No more of a line than the room left can show (commands can be megabytes).
            let part = prefix(part, out.room().saturating_mul(out.width));
            let label = if i == 0 { "command" } else { "" };
            out.fact(label, esc(&part.replace('\t', "    ")).into_owned());
        }
    }
    if let Some(h) = &layer.history {
        if let Some(created) = &h.created {
            out.fact("created", esc(created).into_owned());
        }
        if let Some(comment) = &h.comment {
            out.fact("comment", clip(&esc(comment), 4096).into_owned());
        }
    }
    // An uncompressed blob is the tar itself (a little more than the files: headers, padding).
    let blob = if layer.compression == crate::model::Compression::None {
        format!("{} blob (an uncompressed tar)", hs(layer.compressed_size))
    } else {
        format!(
            "{} compressed ({})",
            hs(layer.compressed_size),
            layer.compression.label()
        )
    };
    out.fact(
        "size",
        format!(
            "{blob} · {} uncompressed · {} tar",
            hs(layer.size),
            hs(layer.tar_size)
        ),
    );
    let c = &layer.changes;
    out.fact(
        "changes",
        format!(
            "+{} ~{} -{} · added {} · modified {} · removed {}",
            c.added,
            c.modified,
            c.removed,
            hs(c.added_bytes),
            hs(c.modified_bytes),
            hs(c.removed_bytes)
        ),
    );
    diff_facts::layer(out, v, layer.index);
    if let Some(base) = &v.analysis().base {
        let name = esc(&base.reference);
        let origin = base.origin.described();
        let what = if base.is_inherited(layer.index) {
            format!("inherited from {name} ({origin})")
        } else if base.inherited > 0 {
            format!("the image's own, above {name} ({origin})")
        } else {
            format!(
                "{name} ({origin}): {}",
                esc(&base.caveat().unwrap_or_default())
            )
        };
        out.fact("base", what);
    }
    out.fact(
        "entries",
        format!("{} ({} regular files)", layer.entry_count, layer.file_count),
    );
    let wasted = v
        .analysis()
        .waste
        .per_layer
        .get(layer.index)
        .copied()
        .unwrap_or(0);
    if wasted > 0 {
        out.styled_fact(
            "reclaimable",
            format!("{} stored here is hidden by later layers", hs(wasted)),
            out.theme.waste(),
        );
    } else {
        out.fact("reclaimable", "0 B");
    }
    if let Some(d) = &layer.digest {
        out.fact("digest", esc(d).into_owned());
    }
    if let Some(d) = &layer.diff_id {
        out.fact("diff_id", esc(d).into_owned());
    }
    if let Some(m) = &layer.media_type {
        out.fact("media type", esc(m).into_owned());
    }
}

fn image_facts(out: &mut Lines, v: &Viewer) {
    let image = v.image();
    let analysis = v.analysis();
    out.heading(format!("Image {}", clip(&esc(image.display_name()), 512)));
    if image.name.is_some() {
        out.fact("input", clip(&esc(&image.input), 4096).into_owned());
    }
    out.fact("source", image.source.label());
    if let Some(d) = &image.manifest_digest {
        out.fact("digest", esc(d).into_owned());
    }
    if let Some(d) = &image.config_digest {
        out.fact("config", esc(d).into_owned());
    }
    out.fact("platform", esc(&image.platform.to_string()).into_owned());
    if let Some(c) = &image.created {
        out.fact("created", esc(c).into_owned());
    }
    out.fact(
        "size",
        format!(
            "{} uncompressed · {} {}",
            hs(image.size()),
            hs(image.compressed_size()),
            crate::tui::format::blob_label(image)
        ),
    );
    out.fact(
        "contents",
        format!(
            "{} layers · {} files · {} directories",
            image.layers.len(),
            analysis.file_count,
            analysis.dir_count
        ),
    );
    out.fact(
        "efficiency",
        format!("{:.2}% (dive's score)", analysis.efficiency.score * 100.0),
    );
    out.styled_fact(
        "reclaimable",
        format!(
            "{} ({:.1}%) in {}",
            hs(analysis.waste.reclaimable_bytes),
            analysis.reclaimable_ratio(image) * 100.0,
            plural(analysis.waste.paths.len(), "path", "paths")
        ),
        if analysis.waste.reclaimable_bytes > 0 {
            out.theme.waste()
        } else {
            out.theme.plain()
        },
    );
    out.fact(
        "duplicates",
        format!(
            "{} to save in {}",
            hs(analysis.duplicates.savings_bytes),
            plural(analysis.duplicates.groups.len(), "group", "groups")
        ),
    );
    let p = &analysis.packages;
    if !p.packages.is_empty() {
        out.fact(
            "packages",
            format!(
                "{} from {} · {} unowned in {}",
                p.packages.len(),
                p.managers.join(" and "),
                hs(p.unowned_bytes),
                plural(p.unowned_files as usize, "file", "files")
            ),
        );
    }
    if let Some(line) = crate::report::packages::closure_line(image, analysis) {
        out.fact("closure", line);
    }
}

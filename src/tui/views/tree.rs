//! The file tree pane: the rows on screen of the flat row list, each with its change mark (a letter
//! and a colour), size (directories: their total), optional permissions and owner when the pane is
//! wide, tree guides, and the escaped name (`→ target` for links). In a diff's final filesystem the
//! mark is the change against the old image (`+ ↑ ↓ ~`), followed, when the pane is wide enough,
//! by the byte delta.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::pane;
use crate::model::{EntryKind, NodeId};
use crate::text::clip;
use crate::text::signed_size;
use crate::text::{escape_control, human_size};
use crate::tui::diff_marks::symbol;
use crate::tui::format::mode_string;
use crate::tui::stats::{ADDED, CHANGED, MODIFIED, REMOVED, UNCHANGED};
use crate::tui::theme::Theme;
use crate::tui::tree_state::{Mode, Sort, find_ignore_case, visible_offset, visible_rows};
use crate::tui::viewer::Viewer;

/// Longest name (in characters) put on a row; the rest is clipped with `…`.
const NAME_MAX: usize = 255;
/// Pane width from which permissions and owner are shown.
const ATTRS_FROM: u16 = 72;
/// Pane width from which a diff's byte deltas are shown (the details pane always has them).
const DELTA_FROM: u16 = 50;

pub fn draw(buf: &mut Buffer, area: Rect, v: &Viewer, theme: &Theme, focused: bool) {
    let inner = pane(buf, area, title(v), theme, focused);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let rows = v.tree.rows();
    if rows.is_empty() {
        buf.set_line(
            inner.x,
            inner.y,
            &Line::styled(empty_reason(v), theme.dim()),
            inner.width,
        );
        return;
    }
    let lens = v.lens();
    let tree = lens.tree;
    let attrs = v.attributes && inner.width >= ATTRS_FROM;
    let deltas = lens.diff.is_some() && inner.width >= DELTA_FROM;
    // A layer's changes: beside what it wrote below a directory, what it removed there.
    let removals = lens.mode == Mode::Changes && lens.diff.is_none() && inner.width >= DELTA_FROM;
    let height = inner.height as usize;
    let search = v.search.as_deref();
    let first = visible_offset(v.tree.offset, v.tree.cursor, height, rows.len());
    super::list_marks(buf, area, first, height, rows.len(), theme);
    for (y, i, row) in visible_rows(rows, v.tree.offset, v.tree.cursor, height) {
        let node = row.node;
        let version = lens.version(node);
        let kind = version.map_or(EntryKind::File, |ver| ver.kind);
        let own = lens.stats.own(node);
        let diff = lens.diff.and_then(|d| d.node(node));
        let (mark, mark_style) = match (lens.diff.is_some(), diff, own) {
            (_, Some(m), _) => (symbol(m.change), theme.diff(m.change)),
            // A diff marks what changed against the old image; this layer's removals stay `R`.
            (true, None, REMOVED) => ("R", theme.change(REMOVED)),
            (true, None, _) => (" ", theme.plain()),
            (false, _, ADDED) => ("A", theme.change(ADDED)),
            (false, _, MODIFIED) => ("M", theme.change(MODIFIED)),
            (false, _, REMOVED) => ("R", theme.change(REMOVED)),
            _ if kind == EntryKind::Dir && lens.stats.below(node) & CHANGED != 0 => {
                ("*", theme.dim())
            }
            _ => (" ", theme.plain()),
        };
        let mut spans = vec![
            Span::styled(mark, mark_style),
            Span::raw(format!(" {:>10} ", human_size(lens.size(node)))),
        ];
        if removals {
            let removed = match lens.stats.removed_below(node) {
                0 => String::new(),
                bytes => format!("-{}", human_size(bytes)),
            };
            spans.push(Span::styled(
                format!("{removed:>10} "),
                theme.diff(crate::diff::ChangeKind::Removed),
            ));
        }
        if deltas {
            let (delta, style) = match diff {
                Some(m) => (signed_size(m.size.delta()), theme.diff(m.change)),
                None => (String::new(), theme.plain()),
            };
            spans.push(Span::styled(format!("{delta:>10} "), style));
        }
        if attrs && let Some(ver) = version {
            spans.push(Span::styled(
                format!(
                    "{} {:>11} ",
                    mode_string(ver.kind, ver.mode),
                    format!("{}:{}", tree.owner(ver).0, tree.owner(ver).1)
                ),
                theme.dim(),
            ));
        }
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let room = (inner.width as usize).saturating_sub(used);
        spans.push(Span::styled(
            guides(v, node, row.depth, room / 2),
            theme.dim(),
        ));
        let name_style = if let Some(m) = diff {
            if kind == EntryKind::Dir {
                theme.diff(m.change).add_modifier(Modifier::BOLD)
            } else {
                theme.diff(m.change)
            }
        } else if own == UNCHANGED || own == 0 || (lens.diff.is_some() && own != REMOVED) {
            // In a diff, only this layer's removals keep the layer's colour.
            if kind == EntryKind::Dir {
                theme.dir()
            } else {
                theme.plain()
            }
        } else if kind == EntryKind::Dir {
            theme.change(own).add_modifier(Modifier::BOLD)
        } else {
            theme.change(own)
        };
        if kind == EntryKind::Dir {
            let icon = if v.tree.is_expanded(node) {
                "▾ "
            } else {
                "▸ "
            };
            spans.push(Span::styled(icon, theme.dim()));
        }
        let name = escape_control(tree.name(node));
        let name = clip(&name, NAME_MAX).into_owned();
        match search.and_then(|q| find_ignore_case(&name, q)) {
            Some(r) => {
                spans.push(Span::styled(name[..r.start].to_string(), name_style));
                spans.push(Span::styled(name[r.clone()].to_string(), theme.found()));
                spans.push(Span::styled(name[r.end..].to_string(), name_style));
            }
            None => spans.push(Span::styled(name, name_style)),
        }
        if kind == EntryKind::Dir {
            spans.push(Span::styled("/", name_style));
        }
        if let Some(target) = version.and_then(|ver| tree.link_target(ver)) {
            let arrow = if kind == EntryKind::Hardlink {
                " ⇒ "
            } else {
                " → "
            };
            spans.push(Span::styled(arrow, theme.dim()));
            spans.push(Span::raw(
                clip(&escape_control(target), NAME_MAX).into_owned(),
            ));
        }
        let rect = Rect::new(inner.x, inner.y + y as u16, inner.width, 1);
        super::set_row(buf, rect, &Line::from(spans));
        if i == v.tree.cursor {
            buf.set_style(rect, theme.selected(focused));
        }
    }
}

fn title(v: &Viewer) -> String {
    let mut t = String::from(" Files");
    // What the filter found comes first: it is what the pane is about.
    if let Some(m) = v.match_totals() {
        let what = if m.count == 1 { "match" } else { "matches" };
        t.push_str(&format!(" · {} {what}, {}", m.count, human_size(m.bytes)));
    }
    if v.diff_view() {
        t.push_str(" · vs the old image");
    } else if v.layer_count() > 0 {
        match v.mode {
            Mode::Aggregated => t.push_str(&format!(" · up to layer {}", v.layer)),
            Mode::Changes => t.push_str(&format!(" · layer {} changes, -removed", v.layer)),
        }
    }
    t.push_str(match v.sort {
        Sort::Size => " · by size",
        Sort::Name => " · by name",
    });

    if v.diff_view() && v.changed_only {
        t.push_str(" · changed only");
    }
    t.push(' ');
    t
}

fn empty_reason(v: &Viewer) -> &'static str {
    if v.layer_count() == 0 {
        "the image has no layers"
    } else if v.filter.is_active() {
        "no path matches the filter here"
    } else if v.diff_view() && v.changed_only {
        "nothing here changed against the old image"
    } else if v.hidden != 0 {
        "every entry here is of a hidden kind"
    } else if v.mode == Mode::Changes {
        "this layer changes no files"
    } else {
        "no files at this layer"
    }
}

/// Tree guides for a row at `depth`: `│  ` or spaces per ancestor, then `├─ ` or `└─ `. Deeper
/// than fits in `room` cells, the outer levels are folded into `⋯`.
fn guides(v: &Viewer, node: NodeId, depth: u16, room: usize) -> String {
    let tree = v.file_tree();
    let depth = depth as usize;
    let levels = (room / 3).max(1);
    let mut ancestors = Vec::with_capacity(depth.min(levels));
    ancestors.extend(tree.ancestors(node).take(levels.saturating_sub(1)));
    let mut s = String::new();
    if ancestors.len() < depth {
        s.push_str("⋯ ");
    }
    for &anc in ancestors.iter().rev() {
        s.push_str(if v.tree.is_last(tree, anc) {
            "   "
        } else {
            "│  "
        });
    }
    s.push_str(if v.tree.is_last(tree, node) {
        "└─ "
    } else {
        "├─ "
    });
    s
}

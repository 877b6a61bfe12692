//! The file tree pane: the rows on screen of the flat row list, each with its change mark (a letter
//! and a colour), size (directories: their total), optional permissions and owner when the pane is
//! wide, tree guides, and the escaped name (`→ target` for links).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::pane;
use crate::model::{EntryKind, NONE, NodeId, ROOT};
use crate::report::escape::{escape_control, human_size};
use crate::tui::format::{clip, mode_string};
use crate::tui::stats::{ADDED, CHANGED, MODIFIED, REMOVED, UNCHANGED};
use crate::tui::theme::Theme;
use crate::tui::tree_view::{Mode, Sort, find_ignore_case, visible_offset};
use crate::tui::viewer::Viewer;

/// Longest name (in characters) put on a row; the rest is clipped with `…`.
const NAME_MAX: usize = 255;
/// Pane width from which permissions and owner are shown.
const ATTRS_FROM: u16 = 72;

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
    let attrs = inner.width >= ATTRS_FROM;
    let height = inner.height as usize;
    let offset = visible_offset(v.tree.offset, v.tree.cursor, height, rows.len());
    let search = v.search.as_deref();
    for (y, (i, row)) in rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .enumerate()
    {
        let node = row.node;
        let version = lens.version(node);
        let kind = version.map_or(EntryKind::File, |ver| ver.kind);
        let own = lens.stats.own(node);
        let (mark, mark_style) = match own {
            ADDED => ("A", theme.change(ADDED)),
            MODIFIED => ("M", theme.change(MODIFIED)),
            REMOVED => ("R", theme.change(REMOVED)),
            _ if kind == EntryKind::Dir && lens.stats.below(node) & CHANGED != 0 => {
                ("*", theme.dim())
            }
            _ => (" ", theme.plain()),
        };
        let mut spans = vec![
            Span::styled(mark, mark_style),
            Span::raw(format!(" {:>10} ", human_size(lens.size(node)))),
        ];
        if attrs && let Some(ver) = version {
            spans.push(Span::styled(
                format!(
                    "{} {:>11} ",
                    mode_string(ver.kind, ver.mode),
                    format!("{}:{}", ver.uid, ver.gid)
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
        let name_style = if own == UNCHANGED || own == 0 {
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
        buf.set_line(rect.x, rect.y, &Line::from(spans), rect.width);
        if i == v.tree.cursor {
            buf.set_style(rect, theme.selected(focused));
        }
    }
}

fn title(v: &Viewer) -> String {
    let mut t = String::from(" Files");
    if v.layer_count() > 0 {
        match v.mode {
            Mode::Aggregated => t.push_str(&format!(" · up to layer {}", v.layer)),
            Mode::Changes => t.push_str(&format!(" · layer {} changes", v.layer)),
        }
    }
    t.push_str(match v.sort {
        Sort::Size => " · by size",
        Sort::Name => " · by name",
    });
    if v.filter.is_active() {
        t.push_str(" · filtered");
    }
    t.push(' ');
    t
}

fn empty_reason(v: &Viewer) -> &'static str {
    if v.layer_count() == 0 {
        "the image has no layers"
    } else if v.filter.is_active() {
        "no path matches the filter here"
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
    let mut cur = tree.node(node).parent;
    while cur != ROOT && cur != NONE && ancestors.len() < levels.saturating_sub(1) {
        ancestors.push(cur);
        cur = tree.node(cur).parent;
    }
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

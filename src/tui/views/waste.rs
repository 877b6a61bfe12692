//! The waste view (in place of the tree): reclaimable paths, largest first, with the layers that
//! store hidden copies, then duplicate-content groups with their paths. Enter jumps to the
//! selected entry in the tree.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::pane;
use crate::model::hex;
use crate::text::{clip, plural};
use crate::text::{escape_control as esc, human_size as hs};
use crate::tui::theme::Theme;
use crate::tui::tree_state::{visible_offset, visible_rows};
use crate::tui::viewer::Viewer;
use crate::tui::waste_list::WasteRow;

pub fn draw(buf: &mut Buffer, area: Rect, v: &Viewer, theme: &Theme, focused: bool) {
    let inner = pane(
        buf,
        area,
        " Waste · Enter jumps to the tree ".into(),
        theme,
        focused,
    );
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let list = &v.waste;
    let height = inner.height as usize;
    let first = visible_offset(list.offset, list.cursor, height, list.rows.len());
    super::list_marks(buf, area, first, height, list.rows.len(), theme);
    for (y, i, row) in visible_rows(&list.rows, list.offset, list.cursor, height) {
        let line = line(v, *row, theme);
        let rect = Rect::new(inner.x, inner.y + y as u16, inner.width, 1);
        super::set_row(buf, rect, &line);
        if i == list.cursor {
            buf.set_style(rect, theme.selected(focused));
        }
    }
}

fn line(v: &Viewer, row: WasteRow, theme: &Theme) -> Line<'static> {
    let analysis = v.analysis();
    let tree = v.file_tree();
    let path = |node| clip(&esc(&tree.path(node)), 1024).into_owned();
    match row {
        WasteRow::Plan => Line::styled(
            v.waste
                .plan_note
                .as_ref()
                .map_or_else(String::new, |(short, _)| short.clone()),
            theme.key(),
        ),
        WasteRow::ReclaimHeader => Line::styled(
            format!(
                "Reclaimable: {} ({:.1}%) in {}",
                hs(analysis.waste.reclaimable_bytes),
                analysis.reclaimable_ratio(v.image()) * 100.0,
                plural(analysis.waste.paths.len(), "path", "paths")
            ),
            theme.header(),
        ),
        WasteRow::Reclaim(i) => {
            let Some(p) = analysis.waste.paths.get(i as usize) else {
                return Line::raw("");
            };
            let layers: Vec<String> = p.copies.iter().map(|c| c.layer.to_string()).collect();
            Line::from(vec![
                Span::styled(format!("{:>11}  ", hs(p.bytes)), theme.waste()),
                Span::raw(path(p.node)),
                Span::styled(
                    format!("  stored in layer {}", layers.join(", ")),
                    theme.dim(),
                ),
            ])
        }
        WasteRow::DuplicatesHeader => Line::styled(
            format!(
                "Duplicate content: {} to save in {}",
                hs(analysis.duplicates.savings_bytes),
                plural(analysis.duplicates.groups.len(), "group", "groups")
            ),
            theme.header(),
        ),
        WasteRow::Group(g) => {
            let Some(group) = analysis.duplicates.groups.get(g as usize) else {
                return Line::raw("");
            };
            Line::from(vec![
                Span::styled(format!("{:>11}  ", hs(group.savings())), theme.waste()),
                Span::raw(format!("{} × {}", group.nodes.len(), hs(group.size))),
                Span::styled(
                    format!("  blake3 {}…", &hex(&group.hash)[..12]),
                    theme.dim(),
                ),
            ])
        }
        WasteRow::GroupPath(g, p) => {
            let node = analysis
                .duplicates
                .groups
                .get(g as usize)
                .and_then(|group| group.nodes.get(p as usize));
            match node {
                Some(&n) => Line::raw(format!("{:>13}{}", "", path(n))),
                None => Line::raw(""),
            }
        }
        WasteRow::Note(text) => Line::styled(format!("{:>13}{text}", ""), theme.dim()),
    }
}

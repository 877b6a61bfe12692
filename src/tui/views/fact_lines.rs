//! The details pane's lines: facts as `label  value`, values wrapped to the pane's width and hung
//! under their label, headings between groups, and no more lines than the pane can show. Shared
//! by the details of the selection and of a diff (`diff_facts`), which both write into it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::model::NodeId;
use crate::text::{clip, escape_control as esc};
use crate::tui::format::wrap_at_most;
use crate::tui::theme::Theme;
use crate::tui::viewer::Viewer;

/// Columns of the label before a value.
const LABEL: usize = 12;

/// The pane's lines, wrapped to its width as they are added (values hang under their label), up
/// to `limit` lines.
pub(super) struct Lines<'t> {
    lines: Vec<Line<'static>>,
    pub(super) theme: &'t Theme,
    pub(super) width: usize,
    limit: usize,
}

impl<'t> Lines<'t> {
    pub(super) fn new(theme: &'t Theme, width: usize, limit: usize) -> Lines<'t> {
        Lines {
            lines: Vec::new(),
            theme,
            width,
            limit,
        }
    }

    pub(super) fn into_lines(self) -> Vec<Line<'static>> {
        self.lines
    }

    pub(super) fn room(&self) -> usize {
        self.limit.saturating_sub(self.lines.len())
    }

    pub(super) fn heading(&mut self, text: String) {
        if !self.lines.is_empty() && self.room() > 0 {
            self.lines.push(Line::raw(""));
        }
        for part in wrap_at_most(&text, self.width, self.width, self.room()) {
            self.lines.push(Line::styled(part, self.theme.header()));
        }
    }

    pub(super) fn fact(&mut self, label: &str, value: impl Into<String>) {
        self.styled_fact(label, value.into(), self.theme.plain());
    }

    pub(super) fn styled_fact(&mut self, label: &str, value: String, style: Style) {
        let hang = LABEL < self.width / 2;
        let (first, rest) = if hang {
            (self.width - LABEL, self.width - LABEL)
        } else {
            (self.width.saturating_sub(label.len() + 1), self.width)
        };
        for (i, part) in wrap_at_most(&value, first, rest, self.room())
            .into_iter()
            .enumerate()
        {
            let lead = match (i, hang) {
                (0, true) => format!("{label:<LABEL$}"),
                (0, false) => format!("{label} "),
                (_, true) => " ".repeat(LABEL),
                (_, false) => String::new(),
            };
            self.lines.push(Line::from(vec![
                Span::styled(lead, self.theme.dim()),
                Span::styled(part, style),
            ]));
        }
    }
}

/// A path of the viewer's tree, escaped and cut for a fact.
pub(super) fn path(v: &Viewer, node: NodeId) -> String {
    clip(&esc(&v.file_tree().path(node)), 4096).into_owned()
}

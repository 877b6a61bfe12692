//! Where each pane goes, computed from the terminal size (and whether there is a tab bar) alone,
//! so drawing and mouse hit-testing always agree.
//!
//! ```text
//! [tabs: one row, only with several images]
//! summary: the current image's headline numbers, pinned
//! ┌ Layers ───────────┐┌ Files ────────────────┐
//! │ header + rows     ││ tree rows, or the     │
//! └───────────────────┘│ waste list            │
//! ┌ Details ──────────┐│                       │
//! └───────────────────┘└───────────────────────┘
//! key hints for what has focus
//! status line
//! ```
//!
//! The summary and the hint bar give way on very small terminals (the panes need the rows more).
//!
//! The content view and the sharing view take the whole body (the three panes together): one
//! bordered pane, an information line on top of the content, a footer describing the selected row
//! under the sharing list.

use super::action::{Tab, TabSpot};
use super::app::Slot;
use ratatui::layout::{Margin, Rect};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Option<Rect>,
    /// The pinned one-line summary of the current image.
    pub summary: Option<Rect>,
    /// The one-line key hints above the status line.
    pub hints: Option<Rect>,
    /// Each pane including its border.
    pub layers: Rect,
    pub details: Rect,
    pub right: Rect,
    pub status: Rect,
    /// Lines the plan view's footer would take to show the selected row in full (the footer
    /// takes up to two fifths of the view, and scrolls beyond).
    pub footer_lines: u16,
}

impl Areas {
    /// The layer rows: inside the border, below the column header.
    pub fn layer_rows(&self) -> Rect {
        let inner = self.layers.inner(Margin::new(1, 1));
        Rect {
            y: inner.y.saturating_add(1),
            height: inner.height.saturating_sub(1),
            ..inner
        }
    }

    /// The tree or waste rows.
    pub fn right_rows(&self) -> Rect {
        self.right.inner(Margin::new(1, 1))
    }

    pub fn details_inner(&self) -> Rect {
        self.details.inner(Margin::new(1, 1))
    }

    /// Everything between the tab bar and the status line.
    pub fn body(&self) -> Rect {
        self.layers.union(self.details).union(self.right)
    }

    /// The content view's rows: inside the border, below the information line.
    pub fn content_rows(&self) -> Rect {
        let inner = self.body().inner(Margin::new(1, 1));
        Rect {
            y: inner.y.saturating_add(1),
            height: inner.height.saturating_sub(1),
            ..inner
        }
    }

    /// The sharing list's rows: inside the border, above the footer.
    pub fn sharing_rows(&self) -> Rect {
        let inner = self.body().inner(Margin::new(1, 1));
        Rect {
            height: inner.height - self.sharing_footer().height,
            ..inner
        }
    }

    /// The footer under the sharing list: a rule and the selected row in full — at least two
    /// lines, at most two fifths of the view (it scrolls beyond) — when there is room for it.
    pub fn sharing_footer(&self) -> Rect {
        let inner = self.body().inner(Margin::new(1, 1));
        let most = (inner.height * 2 / 5).max(2);
        let h = if inner.height >= 10 {
            1 + self.footer_lines.clamp(2, most)
        } else {
            0
        };
        Rect {
            y: inner.bottom() - h,
            height: h,
            ..inner
        }
    }
}

/// The shortest terminal that has a row for the pinned summary.
pub const SUMMARY_MIN_HEIGHT: u16 = 8;
/// The shortest terminal that has a row for the key hints.
pub const HINTS_MIN_HEIGHT: u16 = 12;

pub fn compute(width: u16, height: u16, tabs: bool, layer_count: usize) -> Areas {
    let tabs_rows = u16::from(tabs && height > 2);
    let summary_rows = u16::from(height >= SUMMARY_MIN_HEIGHT);
    let hints_rows = u16::from(height >= HINTS_MIN_HEIGHT);
    let status = Rect::new(0, height.saturating_sub(1), width, u16::from(height > 0));
    let hints = Rect::new(0, status.y.saturating_sub(hints_rows), width, hints_rows);
    let body_y = tabs_rows + summary_rows;
    let body_h = height.saturating_sub(body_y + hints_rows + status.height);
    let left_w = (width * 2 / 5).max((width / 2).min(40));
    // Borders and header take 3 rows; show every layer if it fits in half the body.
    let wanted = (layer_count.max(1) as u16).saturating_add(3);
    let layers_h = wanted.min((body_h / 2).max(body_h.min(6)));
    Areas {
        tabs: (tabs_rows > 0).then(|| Rect::new(0, 0, width, 1)),
        summary: (summary_rows > 0).then(|| Rect::new(0, tabs_rows, width, 1)),
        hints: (hints_rows > 0).then_some(hints),
        layers: Rect::new(0, body_y, left_w, layers_h),
        details: Rect::new(
            0,
            body_y + layers_h,
            left_w,
            body_h.saturating_sub(layers_h),
        ),
        right: Rect::new(left_w, body_y, width.saturating_sub(left_w), body_h),
        status,
        footer_lines: 2,
    }
}

/// Where the tab bar puts each tab (the mouse and the tab bar read the same spots).
impl super::app::App {
    /// The tab bar as drawn and clicked: the image tabs from the left, scrolled so that the
    /// current image's is on screen — `…` stands for those scrolled off at the left, `+N…` for the
    /// N that do not fit at the right (a click on either goes to the nearest hidden image) — and
    /// the sharing view's pinned at the right.
    pub fn tabs(&self) -> Vec<TabSpot> {
        let mut labels = self.tab_labels();
        let sharing = (self.images.len() > 1).then(|| labels.pop()).flatten();
        let width = |s: &str| UnicodeWidthStr::width(s).min(u16::MAX as usize) as u16;
        let sharing_w = sharing.as_deref().map_or(0, width);
        let bar = self.width.saturating_sub(sharing_w);
        let widths: Vec<u16> = labels.iter().map(|l| width(l)).collect();
        let count = widths.len();
        let current = self.current.min(count.saturating_sub(1));
        // Room for the `+N…` mark, whenever some tab may not fit.
        let all: u32 = widths.iter().map(|&w| u32::from(w)).sum();
        let mark_w = if all > u32::from(bar) {
            width(&format!(" +{count}… "))
        } else {
            0
        };
        let room = bar.saturating_sub(mark_w);
        // The first image tab shown: the current one must fit after it (and the `…`).
        let fits = |start: usize| {
            let lead = u16::from(start > 0);
            widths[start..=current]
                .iter()
                .fold(lead, |a, w| a.saturating_add(*w))
                <= room
        };
        let mut start = 0;
        while start < current && !fits(start) {
            start += 1;
        }
        let mut out = Vec::new();
        let mut x = 0u16;
        if start > 0 {
            out.push(TabSpot {
                x,
                width: 1,
                label: "…".into(),
                tab: Tab::Image(start - 1),
            });
            x = 1;
        }
        let mut next = start;
        for (i, label) in labels.into_iter().enumerate().skip(start) {
            let fits_whole = x.saturating_add(widths[i]) <= room;
            // Only the current tab is ever cut (when it alone is wider than the bar).
            if !fits_whole && (i != current || x >= room) {
                break;
            }
            let w = widths[i].min(room - x);
            let label = if w < widths[i] {
                crate::text::clip(&label, usize::from(w)).into_owned()
            } else {
                label
            };
            out.push(TabSpot {
                x,
                width: w,
                label,
                tab: Tab::Image(i),
            });
            x += w;
            next = i + 1;
        }
        if next < count {
            let label = format!(" +{}… ", count - next);
            out.push(TabSpot {
                x,
                width: width(&label),
                label,
                tab: Tab::Image(next),
            });
        }
        if let Some(label) = sharing {
            out.push(TabSpot {
                x: self.width.saturating_sub(sharing_w),
                width: sharing_w.min(self.width),
                label,
                tab: Tab::Sharing,
            });
        }
        out
    }

    /// The tab bar's labels, in order: every image's, then the sharing view's.
    pub fn tab_labels(&self) -> Vec<String> {
        self.images
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let name = match &slot.state {
                    Slot::Ready(v) => v.image().display_name().to_string(),
                    _ => slot.input.clone(),
                };
                let name = crate::text::escape_control(&name).into_owned();
                let name = crate::text::clip(&name, 40);
                let state = match &slot.state {
                    Slot::Loading { progress, .. } => {
                        format!(" {}", super::format::percent_loaded(progress))
                    }
                    Slot::Failed { .. } => " failed".into(),
                    Slot::Ready(_) => String::new(),
                };
                format!(" {} {name}{state} ", i + 1)
            })
            .chain((self.images.len() > 1).then(|| " S sharing ".to_string()))
            .collect()
    }
}

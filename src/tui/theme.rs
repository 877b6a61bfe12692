//! Colours and emphasis. With colour off (`--color never`, `NO_COLOR`, the `no-color` theme, or not
//! a terminal) every style keeps only its modifiers (bold, reverse, underline), and every meaning
//! that colour carries is also carried by text: change kinds by a letter, the selection by reverse
//! video. The colours come from a [`Palette`]: the default one, `light`, `high-contrast`, with
//! single colours set in the user's config.toml (`[theme]`).

use ratatui::style::{Color, Modifier, Style};

use super::stats::{ADDED, MODIFIED, REMOVED};
use crate::analysis::plan::Risk;
use crate::diff::ChangeKind;

/// The colours of a theme, by what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Focused borders and titles, keys, gauges.
    pub accent: Color,
    /// Labels, hints, unfocused borders.
    pub dim: Color,
    pub dir: Color,
    /// Reclaimable bytes, errors.
    pub waste: Color,
    pub bar: Color,
    pub added: Color,
    pub modified: Color,
    pub removed: Color,
    /// The background of a search match.
    pub found: Color,
    /// The background of the selected row in a pane without focus.
    pub selection: Color,
}

impl Palette {
    /// For a dark terminal background.
    pub const DEFAULT: Palette = Palette {
        accent: Color::Cyan,
        dim: Color::DarkGray,
        dir: Color::Blue,
        waste: Color::LightRed,
        bar: Color::Magenta,
        added: Color::Green,
        modified: Color::Yellow,
        removed: Color::Red,
        found: Color::Yellow,
        // Darker than `dim`, so the tree's guides stay readable on the selected row of a pane
        // without focus.
        selection: Color::Indexed(236),
    };

    /// For a light background: no yellow text, a light grey selection.
    pub const LIGHT: Palette = Palette {
        accent: Color::Blue,
        dim: Color::DarkGray,
        dir: Color::Blue,
        waste: Color::Red,
        bar: Color::Magenta,
        added: Color::Green,
        modified: Color::Magenta,
        removed: Color::Red,
        found: Color::LightYellow,
        selection: Color::Gray,
    };

    /// Bright colours, and a selection that stands out without focus.
    pub const HIGH_CONTRAST: Palette = Palette {
        accent: Color::LightCyan,
        dim: Color::Gray,
        dir: Color::LightBlue,
        waste: Color::LightRed,
        bar: Color::LightMagenta,
        added: Color::LightGreen,
        modified: Color::LightYellow,
        removed: Color::LightRed,
        found: Color::LightYellow,
        selection: Color::Blue,
    };
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub palette: Palette,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme::with_palette(color, Palette::DEFAULT)
    }

    pub fn with_palette(color: bool, palette: Palette) -> Theme {
        Theme { color, palette }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn plain(&self) -> Style {
        Style::new()
    }

    /// The style of a change kind (see `stats`); unchanged entries are plain.
    pub fn change(&self, bit: u8) -> Style {
        match bit {
            ADDED => self.fg(self.palette.added),
            MODIFIED => self.fg(self.palette.modified),
            REMOVED => self
                .fg(self.palette.removed)
                .add_modifier(Modifier::CROSSED_OUT),
            _ => Style::new(),
        }
    }

    /// The style of a diff's change against the old image (the mark's symbol carries it too).
    pub fn diff(&self, change: ChangeKind) -> Style {
        match change {
            ChangeKind::Added => self.fg(Color::Green),
            ChangeKind::Removed => self.fg(Color::Red),
            ChangeKind::Grown => self.fg(Color::Yellow),
            ChangeKind::Shrunk => self.fg(Color::Cyan),
            ChangeKind::Modified => self.fg(Color::Magenta),
            ChangeKind::Unchanged => self.dim(),
        }
    }

    pub fn dir(&self) -> Style {
        self.fg(self.palette.dir).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(self.palette.accent).add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.palette.dim)
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if focused && self.color {
            s.fg(self.palette.accent)
        } else {
            s
        }
    }

    /// The selected row: reverse video in the focused pane (one colour across the row), a grey
    /// background (or underline, without colour) elsewhere.
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new()
                .fg(Color::Reset)
                .bg(Color::Reset)
                .add_modifier(Modifier::REVERSED)
        } else if self.color {
            Style::new().bg(self.palette.selection)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Labels in the details pane, column headers, hints.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(self.palette.dim)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Bytes that could be reclaimed.
    pub fn waste(&self) -> Style {
        self.fg(self.palette.waste).add_modifier(Modifier::BOLD)
    }

    pub fn bar(&self) -> Style {
        self.fg(self.palette.bar)
    }

    pub fn gauge(&self) -> Style {
        self.fg(self.palette.accent)
    }

    pub fn error(&self) -> Style {
        self.fg(self.palette.removed).add_modifier(Modifier::BOLD)
    }

    /// A search match in a name.
    pub fn found(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(self.palette.found)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    pub fn status(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn key(&self) -> Style {
        self.fg(self.palette.accent).add_modifier(Modifier::BOLD)
    }

    /// A plan action's risk word: safe in the added colour, rebuild in the modified one, risky in
    /// the waste colour and bold (bold without colour too; the word itself says which).
    pub fn risk(&self, risk: Risk) -> Style {
        match risk {
            Risk::Safe => self.fg(self.palette.added),
            Risk::Rebuild => self.fg(self.palette.modified),
            Risk::Risky => self.fg(self.palette.waste).add_modifier(Modifier::BOLD),
        }
    }
}

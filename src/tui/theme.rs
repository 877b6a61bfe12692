//! Colours and emphasis. With colour off (`--color never`, `NO_COLOR`, or not a terminal) every
//! style keeps only its modifiers (bold, reverse, underline), and every meaning that colour carries
//! is also carried by text: change kinds by a letter, the selection by reverse video.

use ratatui::style::{Color, Modifier, Style};

use super::stats::{ADDED, MODIFIED, REMOVED};
use crate::diff::ChangeKind;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
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
            ADDED => self.fg(Color::Green),
            MODIFIED => self.fg(Color::Yellow),
            REMOVED => self.fg(Color::Red).add_modifier(Modifier::CROSSED_OUT),
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
        self.fg(Color::Blue).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if focused && self.color {
            s.fg(Color::Cyan)
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
            Style::new().bg(Color::DarkGray)
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
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Bytes that could be reclaimed.
    pub fn waste(&self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn bar(&self) -> Style {
        self.fg(Color::Magenta)
    }

    pub fn gauge(&self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A search match in a name.
    pub fn found(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    pub fn status(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

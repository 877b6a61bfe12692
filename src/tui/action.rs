//! Everything that can happen to the viewer, as one [`Action`] enum: keys and mouse events become
//! actions in `keys.rs`, the loader's results and the clock arrive as `Tick`, and `App::update`
//! (`update.rs`) applies them to the screen on top. Plain data, so every module can name an action
//! without reaching the state.

use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Ctrl-C: quit at once from any screen, with exit status 130.
    Interrupt,
    /// Close the help or the input line; with neither open, quit.
    Escape,
    ToggleHelp,
    /// Ctrl-Z: the runner restores the terminal and stops the process; `update` ignores it.
    Suspend,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Tree: collapse the directory or go to its parent.
    Left,
    /// Tree: expand the directory or step into it.
    Right,
    /// Space: expand or collapse the selected directory.
    Toggle,
    /// Enter: open the selected directory, jump to a waste entry, or move from layers to the tree.
    Activate,
    CollapseAll,
    ExpandAll,
    /// dive's Ctrl-Space: collapse all directories, or expand them all when none is open.
    ToggleCollapseAll,
    /// Aggregated filesystem or this layer's changes only.
    ToggleMode,
    /// Show the aggregated filesystem, or this layer's changes only (dive's Ctrl-A, Ctrl-L).
    SetMode(super::tree_state::Mode),
    /// dive's Ctrl-A: in the layers pane the aggregated filesystem, elsewhere hide or show added
    /// entries.
    AddedOrAggregated,
    /// Show or hide the tree's permission and owner columns (dive's Ctrl-B).
    ToggleAttributes,
    /// Size or name order.
    ToggleSort,
    /// Hide or show a change kind (`stats::UNCHANGED`, `ADDED`, `MODIFIED`, `REMOVED`).
    ToggleHidden(u8),
    /// The waste view in place of the tree.
    ToggleWaste,
    /// A diff: show only what changed against the old image, or everything.
    ToggleChangedOnly,
    /// The tree filtered to the entrypoint's runtime closure, then to everything else, then all.
    CycleClosure,
    /// A diff: the list of what only the old image has, in place of the tree.
    ToggleRemoved,
    OpenFilter,
    OpenSearch,
    SearchNext,
    SearchPrev,
    /// Jump to the next of the largest files.
    NextBiggest,
    /// Jump back to the previous of the largest files.
    PrevBiggest,
    NextImage,
    PrevImage,
    /// Go to image N (from 0), as the tab bar numbers it (from 1).
    GoToImage(u8),
    /// Show the selected file's contents (as of the selected layer); in the content view, close it.
    ViewFile,
    /// Ask for a destination, then write the selected file there.
    ExportFile,
    /// Copy the tree's selected path to the terminal's clipboard.
    CopyPath,
    /// Copy the selected layer's digest to the terminal's clipboard.
    CopyDigest,
    /// Content view: wrap long lines, or scroll them sideways.
    ToggleWrap,
    /// Content view: hex dump or text.
    ToggleHex,
    /// The sharing view across all images, or back to the image.
    ToggleSharing,
    /// Sharing view: the next order of the per-image table.
    SharingSort,
    /// Sort the plan view's package rows by the next key.
    PackageSort,
    /// The plan view's footer (the selected row in full): scroll it down or up a line.
    DetailsDown,
    DetailsUp,
    InputChar(char),
    InputBackspace,
    /// Clear the input line.
    InputClear,
    /// Filter input: substring or regex.
    InputToggleRegex,
    InputAccept,
    /// Yes to the question on the input line (overwrite the export's destination).
    ConfirmYes,
    Click {
        column: u16,
        row: u16,
    },
    Scroll {
        column: u16,
        row: u16,
        down: bool,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed: take finished loads, refresh progress.
    Tick(Instant),
}

/// Rows a mouse-wheel step moves.
pub(super) const WHEEL_ROWS: isize = 3;

/// What a tab opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Image(usize),
    Sharing,
}

/// A tab where the tab bar draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabSpot {
    pub x: u16,
    /// Columns on screen (the label may be cut at the right).
    pub width: u16,
    pub label: String,
    pub tab: Tab,
}

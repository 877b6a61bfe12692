//! Which screen is on top: the one thing that decides which keys apply (each screen has its own
//! bindings in the key table), what an action does (`App::update` dispatches on it), what a click
//! hits and what is drawn over what. `App::screen` derives it from the state in one place, so the
//! keys, the update, the mouse and the drawing can never disagree about it.

/// A screen of the viewer (or of `imgscope history`), from the top of the stack down: the help
/// over anything, the overwrite question and the input line over the panes or the content view,
/// the content view over the panes, the plan in place of the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The panes (layers, files or waste, details), with nothing open over them.
    Panes,
    /// The filter, search or export line being edited (any other character is typed into it).
    Input,
    /// The content view over a file.
    Content,
    /// The trim plan and, with several images, what they share.
    Plan,
    /// The help overlay.
    Help,
    /// The question whether an export may overwrite an existing file.
    Confirm,
    /// `imgscope history NAME`: the chart and its points.
    History,
    /// `imgscope releases IMAGE…`: the pull of each deploy and its changed layers.
    Releases,
}

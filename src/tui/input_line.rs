//! The input line (path filter, search, export destination): editing it, applying it as it
//! changes, accepting and cancelling it.

use super::action::*;
use super::app::{App, InputKind};
use super::filter;
use crate::text::escape_control;

impl App {
    /// Apply an action to the open input line; false if it is not an editing action (the line is
    /// then accepted and the action applied as usual).
    pub(super) fn update_input(&mut self, action: Action) -> bool {
        let Some(input) = self.input.as_mut() else {
            return false;
        };
        if input.kind == InputKind::Overwrite {
            self.input = None;
            let existing = self.export.as_mut().and_then(|t| t.existing.take());
            match (action, existing) {
                (Action::ConfirmYes, Some(path)) => self.start_export(path),
                (_, existing) => {
                    self.export = None;
                    self.message = Some(match existing {
                        Some(path) => format!(
                            "not exported: {} is kept as it was",
                            escape_control(&path.display().to_string())
                        ),
                        None => "export cancelled".into(),
                    });
                }
            }
            // Ctrl-C still quits; any other key was the answer.
            return action != Action::Quit;
        }
        match action {
            Action::InputChar(c) => input.text.push(c),
            Action::InputBackspace => {
                input.text.pop();
            }
            Action::InputClear => input.text.clear(),
            Action::InputToggleRegex if input.kind == InputKind::Filter => {
                input.regex = !input.regex;
            }
            Action::InputToggleRegex => {}
            Action::InputAccept => {
                self.accept_input();
                return true;
            }
            Action::Escape => {
                self.cancel_input();
                return true;
            }
            Action::Quit => return false,
            // Anything else ends the line: a filter or search is kept, an export is not written
            // (only Enter writes).
            _ if input.kind == InputKind::Export => {
                self.cancel_input();
                return false;
            }
            _ => {
                self.accept_input();
                return self.input.is_some();
            }
        }
        self.input_changed();
        true
    }

    /// Apply the input as it is typed: a substring filter or a search at once; a regex is only
    /// checked, and applied on Enter.
    pub(super) fn input_changed(&mut self) {
        let Some(input) = self.input.clone() else {
            return;
        };
        if input.kind == InputKind::Export {
            return;
        }
        let Some(viewer) = self.viewer_mut() else {
            return;
        };
        let error = match input.kind {
            InputKind::Filter if input.regex => {
                if input.text.is_empty() {
                    None
                } else {
                    filter::compile(&input.text).err()
                }
            }
            InputKind::Filter => viewer.set_filter(&input.text, false).err(),
            InputKind::Export | InputKind::Overwrite => None,
            InputKind::Search => {
                (!viewer.search_typed(&input.text)).then(|| "no match".to_string())
            }
        };
        if let Some(i) = self.input.as_mut() {
            i.error = error;
        }
    }

    pub(super) fn accept_input(&mut self) {
        let Some(input) = self.input.clone() else {
            return;
        };
        if input.kind == InputKind::Export {
            self.input = None;
            self.finish_export(&input.text);
            return;
        }
        let Some(viewer) = self.viewer_mut() else {
            self.input = None;
            return;
        };
        match input.kind {
            InputKind::Filter => {
                if let Err(e) = viewer.set_filter(&input.text, input.regex) {
                    if let Some(i) = self.input.as_mut() {
                        i.error = Some(e);
                    }
                    return;
                }
                let note = viewer.filter.is_active().then(|| {
                    let n = viewer.filter.matched().len();
                    format!("filter: {n} matching path{}", if n == 1 { "" } else { "s" })
                });
                self.message = note;
            }
            InputKind::Search => {
                viewer.search = (!input.text.is_empty()).then(|| input.text.clone());
                viewer.end_search(true);
            }
            InputKind::Export | InputKind::Overwrite => {}
        }
        self.input = None;
    }

    pub(super) fn cancel_input(&mut self) {
        let Some(input) = self.input.take() else {
            return;
        };
        if input.kind == InputKind::Export {
            self.export = None;
            self.message = Some("export cancelled".into());
            return;
        }
        let Some(viewer) = self.viewer_mut() else {
            return;
        };
        match input.kind {
            InputKind::Filter => {
                let (text, regex) = input.previous;
                // The previous filter was valid when it was set.
                let _ = viewer.set_filter(&text, regex);
            }
            InputKind::Search => viewer.end_search(false),
            InputKind::Export | InputKind::Overwrite => {}
        }
    }
}

//! The content view, the export line and the clipboard: opening a file's bytes, scrolling them,
//! exporting the selected file, and copying a path or digest.

use super::action::*;
use super::app::{App, ExportTarget, Input, InputKind, RightPane};
use super::content::{self, ContentView, HSTEP, JobResult};
use super::viewer::Viewer;
use crate::model::NodeId;
use crate::pipeline::content::FileLocation;
use crate::text::escape_control;

impl App {
    /// `y` / `Y`: put the tree's selected path, or the selected layer's digest, where the
    /// terminal loop sends it to the clipboard — escaped as the viewer shows it.
    pub(super) fn copy(&mut self, action: Action) {
        let Some(v) = self.viewer() else { return };
        let text = if action == Action::CopyPath {
            if self.right != RightPane::Tree {
                self.message = Some(format!(
                    "y copies the path selected in the tree ({} goes back to it)",
                    self.back_to_tree_key()
                ));
                return;
            }
            match v.tree.selected() {
                Some(node) => v.file_tree().path(node),
                None => {
                    self.message = Some("no file selected".into());
                    return;
                }
            }
        } else {
            let layer = v.image().layers.get(v.layer);
            match layer.and_then(|l| l.digest.as_ref().or(l.diff_id.as_ref())) {
                Some(d) => d.clone(),
                None => {
                    self.message = Some("the layer has no digest".into());
                    return;
                }
            }
        };
        let text = escape_control(&text).into_owned();
        if !self.clipboard {
            self.message = Some(format!(
                "clipboard off (--no-clipboard, or not a terminal): {text}"
            ));
            return;
        }
        // The copied text last, whole when it fits: it is what the note is about.
        self.message = Some(format!("copied: {text}"));
        self.to_copy = Some(text);
    }

    /// Open the content view on the tree's selected file, as of the selected layer; the bytes are
    /// read on a worker thread.
    pub(super) fn open_content(&mut self) {
        if self.right != RightPane::Tree {
            self.message = Some(format!(
                "v shows the file selected in the tree ({} goes back to it)",
                self.back_to_tree_key()
            ));
            return;
        }
        let Some(v) = self.viewer() else { return };
        let Some(node) = v.tree.selected() else {
            self.message = Some("no file selected".into());
            return;
        };
        let (path, layer, blobs) = (v.file_tree().path(node), v.layer, v.blobs().clone());
        let view = match locate(v, node) {
            Err(e) => ContentView::failed(path, layer, &e),
            Ok(at) => {
                let mut view = ContentView::new(path, layer);
                view.job = Some(self.jobs.read(blobs, at.clone()));
                view.location = Some(at);
                view
            }
        };
        self.close_content();
        self.content = Some(view);
    }

    /// The key that brings the tree back in place of the right pane's list.
    pub(super) fn back_to_tree_key(&self) -> &'static str {
        match self.right {
            RightPane::Removed => "o",
            _ => "w",
        }
    }

    pub(super) fn close_content(&mut self) {
        if let Some(mut c) = self.content.take() {
            c.cancel();
        }
    }

    /// Open the export line for the selected file (or the one the content view shows).
    pub(super) fn ask_export(&mut self) {
        if self.content.is_none() && self.right != RightPane::Tree {
            self.message = Some(format!(
                "x exports the file selected in the tree ({} goes back to it)",
                self.back_to_tree_key()
            ));
            return;
        }
        match self.export_target() {
            Ok(target) => {
                let text = target.name.clone();
                self.export = Some(target);
                self.input = Some(Input {
                    kind: InputKind::Export,
                    text,
                    regex: false,
                    error: None,
                    origin: 0,
                    previous: (String::new(), false),
                });
            }
            Err(e) => self.message = Some(format!("cannot export: {}", content::one_line(&e))),
        }
    }

    /// What an export would write: the content view's file, else the tree's selected one.
    pub(super) fn export_target(&self) -> Result<ExportTarget, String> {
        let v = self.viewer().ok_or("no image")?;
        let (at, path, name) = match &self.content {
            Some(c) => match &c.location {
                Some(at) => {
                    let name = c.path.rsplit('/').next().unwrap_or("").to_string();
                    (at.clone(), c.path.clone(), name)
                }
                None => {
                    return Err(match &c.state {
                        content::ContentState::Failed(e) => e.clone(),
                        _ => "the file could not be located".into(),
                    });
                }
            },
            None => {
                let node = v.tree.selected().ok_or("no file selected")?;
                let tree = v.file_tree();
                (
                    locate(v, node)?,
                    tree.path(node),
                    tree.name(node).to_string(),
                )
            }
        };
        let mode = crate::pipeline::content::export_mode(v.file_tree(), &at);
        Ok(ExportTarget {
            blobs: v.blobs().clone(),
            at,
            mode,
            name: content::safe_file_name(&name),
            shown: escape_control(&path).into_owned(),
            existing: None,
        })
    }

    /// The export line was accepted: write the file on a worker thread — after asking, when the
    /// destination exists (anything there, a link included).
    pub(super) fn finish_export(&mut self, dest: &str) {
        let Some(t) = self.export.as_mut() else {
            return;
        };
        match content::export_target(dest, &t.name) {
            Ok(target) if target.symlink_metadata().is_ok() => {
                let shown = escape_control(&target.display().to_string()).into_owned();
                t.existing = Some(target);
                self.input = Some(Input {
                    kind: InputKind::Overwrite,
                    text: shown,
                    regex: false,
                    error: None,
                    origin: 0,
                    previous: (String::new(), false),
                });
            }
            Ok(target) => self.start_export(target),
            Err(e) => {
                self.export = None;
                self.message = Some(format!("not exported: {e}"));
            }
        }
    }

    /// Write the file the export line is for to `target`, on a worker thread.
    pub(super) fn start_export(&mut self, target: std::path::PathBuf) {
        let Some(t) = self.export.take() else { return };
        self.message = Some(format!(
            "exporting {} to {}…",
            t.shown,
            escape_control(&target.display().to_string())
        ));
        self.jobs.export(t.blobs, t.at, t.mode, target, t.shown);
    }

    /// Take the results of finished reads and exports.
    pub(super) fn receive_jobs(&mut self) {
        for done in self.jobs.finished() {
            match done {
                JobResult::Read { id, result } => {
                    if let Some(c) = self.content.as_mut()
                        && c.job.as_ref().is_some_and(|(j, _)| *j == id)
                    {
                        c.fill(result);
                    }
                }
                JobResult::Export(note) => {
                    self.message = Some(match note {
                        Ok(m) | Err(m) => m,
                    });
                }
            }
        }
    }

    pub(super) fn update_content(&mut self, action: Action) {
        let page = self.areas().content_rows().height.max(1) as isize;
        if matches!(action, Action::ExportFile) {
            self.ask_export();
            return;
        }
        let Some(c) = self.content.as_mut() else {
            return;
        };
        match action {
            Action::Escape | Action::ViewFile => self.close_content(),
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = Some(0),
            Action::Up => c.scroll_by(-1),
            Action::Down => c.scroll_by(1),
            Action::PageUp => c.scroll_by(-page),
            Action::PageDown => c.scroll_by(page),
            Action::Home => c.scroll = 0,
            Action::End => c.scroll = c.max_scroll(),
            Action::Left => c.hscroll_by(-(HSTEP as isize)),
            Action::Right => c.hscroll_by(HSTEP as isize),
            Action::Scroll { down, .. } => c.scroll_by(if down { WHEEL_ROWS } else { -WHEEL_ROWS }),
            Action::ToggleWrap => c.toggle_wrap(),
            Action::ToggleHex => c.toggle_hex(),
            Action::Click { column, row } => self.click(column, row),
            _ => {}
        }
    }
}

/// Locate the file at `node` as of the viewer's layer, explaining a removal.
pub(super) fn locate(v: &Viewer, node: NodeId) -> Result<FileLocation, String> {
    let tree = v.file_tree();
    let path = tree.path(node);
    match tree.version_at(node, v.layer) {
        None => return Err(format!("{path} is not in layer {}", v.layer)),
        Some((_, ver)) if !ver.is_live() => {
            return Err(format!(
                "{path} was removed by layer {}: it has no content here",
                ver.layer
            ));
        }
        _ => {}
    }
    crate::pipeline::content::locate(tree, &path, Some(v.layer)).map_err(|e| format!("{e:#}"))
}

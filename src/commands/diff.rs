//! `imgscope diff OLD NEW`: the viewer on NEW marked against OLD, or the diff printed as text,
//! JSON or Markdown.

use anyhow::Result;

use crate::cli::DiffFormat;
use crate::pipeline::load::Loaded;
use crate::report;
use crate::settings::{DiffOutput, DiffRequest};

pub fn run(request: DiffRequest) -> Result<u8> {
    match request.output {
        // Both load in the background, hashed as for the printed diff.
        DiffOutput::Viewer { color, clipboard } => {
            crate::tui::run_diff(request.old, request.new, request.load, color, clipboard)
        }
        DiffOutput::Printed(format) => printed(&request, format),
    }
}

/// The diff, printed.
fn printed(request: &DiffRequest, format: DiffFormat) -> Result<u8> {
    let old = super::load_named(&request.old, &request.load)?;
    let new = super::load_named(&request.new, &request.load)?;
    fn side(l: &Loaded) -> crate::diff::Side<'_> {
        crate::diff::Side {
            image: &l.image,
            analysis: &l.analysis,
        }
    }
    let d = crate::diff::diff(side(&old), side(&new));
    let text = match format {
        DiffFormat::Text => report::diff_text::diff(&old.image, &new.image, &d),
        DiffFormat::Json => report::json::diff_to_string(&old.image, &new.image, &d)?,
        DiffFormat::Markdown => report::markdown::diff(&old.image, &new.image, &d),
    };
    super::print(&text)
}

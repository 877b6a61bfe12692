//! Reports read from the analysis: the versioned JSON document, the plain-text summary and diff,
//! Markdown and HTML, the gate output, plus the escaping every printed image string goes through
//! and the rows and cells the human-readable formats share.

pub mod diff_text;
pub mod gate_output;
pub mod html;
pub mod json;
pub mod markdown;
pub mod packages;
pub mod plan;
pub mod review;
mod rows;
pub mod sharing;
pub mod text;

/// The first `shown` paths of `nodes`, each rendered by `render` (escaped for the target format),
/// joined with ", " and followed by ", +N more" when some are left out.
pub(crate) fn first_paths(
    tree: &crate::model::FileTree,
    nodes: &[crate::model::NodeId],
    shown: usize,
    render: impl Fn(&str) -> String,
) -> String {
    let mut out: Vec<String> = nodes
        .iter()
        .take(shown)
        .map(|n| render(&tree.path(*n)))
        .collect();
    let more = nodes.len().saturating_sub(shown);
    if more > 0 {
        out.push(format!("+{more} more"));
    }
    out.join(", ")
}

//! Reports read from the analysis: the versioned JSON documents ([`json`]: the report, its gates
//! section, the diff), the plain-text summary and diff, Markdown and HTML, the gate output, the
//! plan, package and sharing sections every format prints, and the rows and cells the
//! human-readable formats share. The words are `crate::text`'s — the escaping every printed image
//! string goes through, sizes, clipping, commands — shared with the gates and the viewer; Markdown
//! and HTML add their own markup escaping on top of it (`markdown::code`, `html::h`).

pub mod diff_text;
pub mod gate_output;
pub mod html;
pub mod json;
pub mod markdown;
pub mod packages;
pub mod plan;
pub mod releases;
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

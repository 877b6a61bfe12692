//! Per-path budgets: the bytes under every final-filesystem path that a glob matches
//! (`/usr/lib/python3*` ≤ 200 MB). `*` and `?` stay within one path component, `**` crosses
//! components, `{a,b}` and `[…]` work as in shells. A matched directory counts with everything
//! below it, and a path inside a matched directory is not counted twice.

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::analysis::Analysis;
use crate::model::{EntryKind, Image, NodeId, ROOT};

/// The glob as rules store it: absolute, without a trailing slash.
pub fn normalize(glob: &str) -> String {
    let g = glob.trim();
    let g = g.trim_end_matches('/');
    if g.starts_with('/') {
        g.to_string()
    } else {
        format!("/{g}")
    }
}

pub fn matcher(glob: &str) -> Result<GlobMatcher, globset::Error> {
    let glob: Glob = GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()?;
    Ok(glob.compile_matcher())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measured {
    pub bytes: u64,
    /// Paths the glob matched (not counting those below a matched directory).
    pub paths: usize,
}

/// Walk the final filesystem; every outermost path the glob matches adds its size.
pub fn measure(image: &Image, analysis: &Analysis, glob: &GlobMatcher) -> Measured {
    let tree = &image.tree;
    let mut out = Measured::default();
    if glob.is_match("/") {
        return Measured {
            bytes: analysis.sizes[ROOT.index()],
            paths: 1,
        };
    }
    let mut stack: Vec<(NodeId, String)> = vec![(ROOT, String::new())];
    while let Some((node, path)) = stack.pop() {
        for &child in tree.children(node) {
            let Some(v) = tree.live_final(child) else {
                continue;
            };
            let child_path = format!("{path}/{}", tree.name(child));
            if glob.is_match(&child_path) {
                out.bytes += analysis.sizes[child.index()];
                out.paths += 1;
            } else if v.kind == EntryKind::Dir {
                stack.push((child, child_path));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_stay_within_components() {
        let m = matcher("/usr/lib/python3*").unwrap();
        assert!(m.is_match("/usr/lib/python3.11"));
        assert!(m.is_match("/usr/lib/python3"));
        assert!(!m.is_match("/usr/lib/python3.11/site-packages"));
        let deep = matcher("/usr/**/*.so").unwrap();
        assert!(deep.is_match("/usr/lib/x86_64-linux-gnu/libz.so"));
        assert_eq!(normalize("usr/lib/"), "/usr/lib");
        assert_eq!(normalize("/opt"), "/opt");
        assert!(matcher("/a/[b").is_err());
    }
}

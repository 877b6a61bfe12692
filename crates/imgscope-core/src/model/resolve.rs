//! Resolving a path inside an image the way the kernel walks one: component by component,
//! following symbolic links wherever they stand in the path (`/lib/x86_64-linux-gnu/libc.so.6` when
//! `/lib` links to `usr/lib`), relative links from the directory holding them, absolute ones from
//! the image's root, `..` never above the root, and at most [`MAX_LINK_HOPS`] links (ELOOP). Pure:
//! reads the merged tree as of one layer. Package ownership and the runtime closure name files by
//! the paths packages and loaders use, which often pass through such links.

use std::collections::VecDeque;

use super::{EntryKind, FileTree, NodeId, ROOT, Version};

/// Symlink hops followed before giving up (as the kernel's ELOOP does).
pub const MAX_LINK_HOPS: usize = 40;

/// The child of `dir` named `name`, if the tree has one (in any layer).
fn child(tree: &FileTree, dir: NodeId, name: &str) -> Option<NodeId> {
    let id = tree.names.lookup(name)?;
    let kids = tree.children(dir);
    kids.binary_search_by(|k| tree.name(*k).cmp(tree.names.get(id)))
        .ok()
        .map(|i| kids[i])
}

/// The node `path` names in the filesystem as of `layer` (`usize::MAX`: the final one), following
/// every symlink on the way, and the last component's too when `follow_last`. `None` when a
/// component is missing (or removed by then), a non-directory is walked through, or links loop.
pub fn resolve(tree: &FileTree, path: &str, layer: usize, follow_last: bool) -> Option<NodeId> {
    let mut queue: VecDeque<String> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect();
    let mut cur = ROOT;
    let mut hops = 0;
    while let Some(part) = queue.pop_front() {
        if part == ".." {
            cur = tree.node(cur).parent().unwrap_or(ROOT); // `..` of the root is the root
            continue;
        }
        if cur != ROOT && tree.live_at(cur, layer)?.kind != EntryKind::Dir {
            return None;
        }
        let next = child(tree, cur, &part)?;
        let version: &Version = tree.live_at(next, layer)?;
        if version.kind == EntryKind::Symlink && (!queue.is_empty() || follow_last) {
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return None;
            }
            let target = tree.link_target(version).unwrap_or("");
            if target.starts_with('/') {
                cur = ROOT;
            }
            for part in target
                .split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .rev()
            {
                queue.push_front(part.to_string());
            }
            continue;
        }
        cur = next;
    }
    Some(cur)
}

/// The regular file `path` names as of `layer`, following symlinks everywhere and a hardlink to its
/// target: its node and live version.
pub fn resolve_file<'t>(
    tree: &'t FileTree,
    path: &str,
    layer: usize,
) -> Option<(NodeId, &'t Version)> {
    file_at(tree, resolve(tree, path, layer, true)?, layer)
}

/// The regular file at `path` itself as of `layer`: symlinks are followed in its directories, not
/// in its last component (a package that lists a symlink owns the link, not what it points to); a
/// hardlink stands for its target.
pub fn resolve_entry<'t>(
    tree: &'t FileTree,
    path: &str,
    layer: usize,
) -> Option<(NodeId, &'t Version)> {
    file_at(tree, resolve(tree, path, layer, false)?, layer)
}

fn file_at(tree: &FileTree, node: NodeId, layer: usize) -> Option<(NodeId, &Version)> {
    let v = tree.live_at(node, layer)?;
    match v.kind {
        EntryKind::File => Some((node, v)),
        EntryKind::Hardlink => {
            let target = tree.link_target(v)?;
            let t = resolve(tree, target, v.layer as usize, false)?;
            let tv = tree.live_at(t, v.layer as usize)?;
            (tv.kind == EntryKind::File).then_some((t, tv))
        }
        _ => None,
    }
}

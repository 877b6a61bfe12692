//! The file-tree arena: one node per path that any layer ever touched, and for each node the chain
//! of versions the layers wrote (added, modified, removed). The filesystem "as of layer L" is every
//! node's newest version at or below L, so one arena serves every layer without per-layer copies.
//!
//! Node ids are 4-byte [`NodeId`]s, names are interned, and a parent's id is always smaller than
//! its children's (nodes are created top-down), which lets sizes be summed bottom-up in one reverse
//! pass.

use super::entry::{ContentHash, EntryKind};
use super::growth;
use super::names::{NameId, Names};

/// A node of a [`FileTree`]: an index into its arena, which a version id or a count cannot be
/// mistaken for. Ids count up from [`ROOT`] in creation order (a parent before its children).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct NodeId(u32);

/// A version in a [`FileTree`]'s arena of versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct VersionId(u32);

pub const ROOT: NodeId = NodeId(0);

/// "No index" in the arena's own fields (no parent, no version yet, no next sibling, no link or
/// hash), which keeps `Node` at 20 bytes and `Version` at 40; the accessors turn it into `None`.
const NONE: u32 = u32::MAX;

const _: () = assert!(std::mem::size_of::<Node>() == 20);
const _: () = assert!(std::mem::size_of::<Version>() == 40);

impl NodeId {
    const NONE: NodeId = NodeId(NONE);

    /// The node at `index` in the arena (node `i` is the `i`-th created; the root is 0).
    #[inline]
    pub fn from_index(index: usize) -> NodeId {
        debug_assert!(index < NONE as usize, "node index {index} out of range");
        NodeId(index as u32)
    }

    /// The position of the node in the arena, for side tables with one slot per node.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl VersionId {
    const NONE: VersionId = VersionId(NONE);

    #[inline]
    fn from_index(index: usize) -> VersionId {
        debug_assert!(index < NONE as usize, "version index {index} out of range");
        VersionId(index as u32)
    }

    /// The position of the version in the arena.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a layer changed a path relative to the filesystem below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    Added,
    Modified,
    Removed,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Removed => "removed",
        }
    }
}

/// One state of a path written by one layer. For `Removed`, the metadata is that of the version
/// removed (so its size is the bytes the removal hid).
///
/// 40 bytes: the owner, the link target and the content hash live in side tables of the
/// [`FileTree`] (read them with [`FileTree::owner`], [`FileTree::link_target`],
/// [`FileTree::hash`]), since most versions share an owner and few have a link or a hash.
#[derive(Debug, Clone)]
pub struct Version {
    /// The version this one replaced at the node (the next older), or `VersionId::NONE`.
    prev: VersionId,
    pub layer: u16,
    pub change: Change,
    pub kind: EntryKind,
    /// A directory the layer did not list but which its entries imply.
    pub implicit: bool,
    pub mode: u32,
    /// Index into the tree's owner table.
    owner: u32,
    /// For links, index into the tree's link targets; otherwise into its content hashes (or
    /// `NONE` when the content was not hashed).
    extra: u32,
    pub size: u64,
    pub mtime: u64,
}

impl Version {
    /// The next older version of the same node, if any.
    #[inline]
    pub fn prev(&self) -> Option<VersionId> {
        (self.prev != VersionId::NONE).then_some(self.prev)
    }

    pub fn is_live(&self) -> bool {
        self.change != Change::Removed
    }

    fn is_link(&self) -> bool {
        matches!(self.kind, EntryKind::Symlink | EntryKind::Hardlink)
    }
}

/// What a layer wrote at a path, as `FileTree::push_version` takes it.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub layer: u16,
    pub change: Change,
    pub kind: EntryKind,
    pub implicit: bool,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub hash: Option<ContentHash>,
    pub link: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: NameId,
    /// `NodeId::NONE` for the root.
    parent: NodeId,
    /// The newest version, or `VersionId::NONE` before the node has one.
    last: VersionId,
    /// Before sealing: the first child (children are linked through `child_count`), or `NONE`.
    /// After: where the node's children start in [`FileTree::children`].
    child_start: u32,
    /// Before sealing: the next sibling, or `NONE`. After: how many children the node has.
    child_count: u32,
}

impl Node {
    /// The directory holding the node; `None` for the root.
    #[inline]
    pub fn parent(&self) -> Option<NodeId> {
        (self.parent != NodeId::NONE).then_some(self.parent)
    }

    /// Whether the node lies directly in `dir` (never true of the root). One comparison, for
    /// the merge's lookup of a child by name.
    #[inline]
    pub fn is_child_of(&self, dir: NodeId) -> bool {
        self.parent == dir
    }

    /// The node's newest version (in any layer), if it has one.
    #[inline]
    pub fn last(&self) -> Option<VersionId> {
        (self.last != VersionId::NONE).then_some(self.last)
    }
}

#[derive(Debug, Default)]
pub struct FileTree {
    pub names: Names,
    nodes: Vec<Node>,
    versions: Vec<Version>,
    links: Vec<Box<str>>,
    hashes: Vec<ContentHash>,
    /// Distinct (uid, gid) pairs, and the index of each.
    owners: Vec<(u32, u32)>,
    owner_index: hashbrown::HashMap<(u32, u32), u32>,
    /// Children of every node, grouped by parent and sorted by name once the tree is sealed.
    children: Vec<NodeId>,
    sealed: bool,
}

impl FileTree {
    pub fn new() -> Self {
        let mut tree = FileTree::default();
        let root_name = tree.names.intern("");
        tree.nodes.push(Node {
            name: root_name,
            parent: NodeId::NONE,
            last: VersionId::NONE,
            child_start: NONE,
            child_count: NONE,
        });
        tree
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every node but the root, in id order (a parent before its children).
    #[inline]
    pub fn non_root_ids(&self) -> impl DoubleEndedIterator<Item = NodeId> + ExactSizeIterator {
        (1..self.nodes.len()).map(NodeId::from_index)
    }

    /// Every node but the root with its parent, in id order (a parent before its children).
    #[inline]
    pub fn parent_links(
        &self,
    ) -> impl DoubleEndedIterator<Item = (NodeId, NodeId)> + ExactSizeIterator + '_ {
        // A plain index range: `iter().enumerate().skip(1).rev()` recomputes lengths each step.
        (1..self.nodes.len()).map(|i| (NodeId::from_index(i), self.nodes[i].parent))
    }

    pub fn version_count(&self) -> usize {
        self.versions.len()
    }

    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    #[inline]
    pub fn version(&self, id: VersionId) -> &Version {
        &self.versions[id.index()]
    }

    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    #[inline]
    pub fn name(&self, id: NodeId) -> &str {
        self.names.get(self.nodes[id.index()].name)
    }

    pub fn link_target(&self, version: &Version) -> Option<&str> {
        (version.is_link() && version.extra != NONE).then(|| &*self.links[version.extra as usize])
    }

    /// The content hash of a regular file's version, when its content was hashed.
    pub fn hash(&self, version: &Version) -> Option<ContentHash> {
        (!version.is_link() && version.extra != NONE).then(|| self.hashes[version.extra as usize])
    }

    /// `(uid, gid)` of a version.
    pub fn owner(&self, version: &Version) -> (u32, u32) {
        self.owners[version.owner as usize]
    }

    /// `id` and the directories above it, nearest first, up to but not including the root
    /// (nothing for the root itself): the nodes whose names make up `id`'s path.
    #[inline]
    pub fn lineage(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.up_from(id)
    }

    /// The directories above `id`, nearest first, not including the root.
    #[inline]
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.up_from(self.nodes[id.index()].parent)
    }

    /// `first` and the nodes above it until the root (or the root's missing parent). Reads no node
    /// the caller is not handed: a walk that stops early costs what the loop it replaces did.
    #[inline]
    fn up_from(&self, first: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let mut next = first;
        std::iter::from_fn(move || {
            if next == ROOT || next == NodeId::NONE {
                return None;
            }
            let n = next;
            next = self.nodes[n.index()].parent;
            Some(n)
        })
    }

    /// The absolute path of a node (`/` for the root).
    pub fn path(&self, id: NodeId) -> String {
        let parts: Vec<&str> = self.lineage(id).map(|n| self.name(n)).collect();
        if parts.is_empty() {
            return "/".to_string();
        }
        let mut out = String::new();
        for part in parts.iter().rev() {
            out.push('/');
            out.push_str(part);
        }
        out
    }

    /// Visit every node but the root with its absolute path, depth first, children in name order
    /// (the tree must be sealed). One path buffer serves the whole walk: no allocation per node.
    pub fn walk_paths(&self, mut visit: impl FnMut(NodeId, &str)) {
        let mut path = String::new();
        // (node, length of `path` before the node's own name was pushed)
        let mut stack: Vec<(NodeId, usize)> =
            self.children(ROOT).iter().rev().map(|&c| (c, 0)).collect();
        while let Some((node, base)) = stack.pop() {
            path.truncate(base);
            path.push('/');
            path.push_str(self.name(node));
            visit(node, &path);
            let len = path.len();
            stack.extend(self.children(node).iter().rev().map(|&c| (c, len)));
        }
    }

    /// The node's newest version (in any layer), if it has one.
    #[inline]
    pub fn last_version(&self, id: NodeId) -> Option<&Version> {
        self.nodes[id.index()]
            .last()
            .map(|last| &self.versions[last.index()])
    }

    /// The node's versions, newest first.
    #[inline]
    pub fn version_chain(&self, id: NodeId) -> impl Iterator<Item = (VersionId, &Version)> + '_ {
        let mut cur = self.nodes[id.index()].last;
        std::iter::from_fn(move || {
            if cur == VersionId::NONE {
                return None;
            }
            let (id, v) = (cur, &self.versions[cur.index()]);
            cur = v.prev;
            Some((id, v))
        })
    }

    /// The node's newest version written at or below `layer`.
    #[inline]
    pub fn version_at(&self, id: NodeId, layer: usize) -> Option<(VersionId, &Version)> {
        // `version_chain(id).find(..)` by hand: the walk every layer's sizes and stats repeat for
        // each node, which the iterator makes a few instructions a step longer.
        let mut cur = self.nodes[id.index()].last;
        while cur != VersionId::NONE {
            let v = &self.versions[cur.index()];
            if (v.layer as usize) <= layer {
                return Some((cur, v));
            }
            cur = v.prev;
        }
        None
    }

    /// The node's live version as of `layer` (None if absent or removed by then).
    #[inline]
    pub fn live_at(&self, id: NodeId, layer: usize) -> Option<&Version> {
        self.version_at(id, layer)
            .map(|(_, v)| v)
            .filter(|v| v.is_live())
    }

    /// The node's live version in the final filesystem.
    #[inline]
    pub fn live_final(&self, id: NodeId) -> Option<&Version> {
        self.last_version(id).filter(|v| v.is_live())
    }

    /// All versions of a node, oldest first.
    pub fn history(&self, id: NodeId) -> Vec<VersionId> {
        let mut out: Vec<VersionId> = self.version_chain(id).map(|(vid, _)| vid).collect();
        out.reverse();
        out
    }

    /// Children sorted by name (the tree must be sealed).
    #[inline]
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        debug_assert!(self.sealed, "children() on an unsealed tree");
        let n = &self.nodes[id.index()];
        &self.children[n.child_start as usize..(n.child_start + n.child_count) as usize]
    }

    /// Find a node by absolute or relative path (the tree must be sealed).
    pub fn lookup(&self, path: &str) -> Option<NodeId> {
        let mut cur = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            let name = self.names.lookup(part)?;
            let kids = self.children(cur);
            let idx = kids
                .binary_search_by(|k| self.name(*k).cmp(self.names.get(name)))
                .ok()?;
            cur = kids[idx];
        }
        Some(cur)
    }

    /// Sizes summed bottom-up for the filesystem as of `layer` (`None` = final): entry `i` is node
    /// `i`'s own size for files and the total of its live descendants for directories.
    pub fn subtree_sizes(&self, layer: Option<usize>) -> Vec<u64> {
        let mut sizes = vec![0u64; self.nodes.len()];
        for (id, parent) in self.parent_links().rev() {
            let live = match layer {
                Some(l) => self.live_at(id, l),
                None => self.live_final(id),
            };
            let Some(v) = live else { continue };
            if v.kind == EntryKind::File {
                sizes[id.index()] += v.size;
            }
            sizes[parent.index()] += sizes[id.index()];
        }
        sizes
    }

    /// Memory held by the arena, for the benchmark's bytes-per-entry figure.
    pub fn heap_bytes(&self) -> usize {
        self.names.heap_bytes()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.versions.capacity() * std::mem::size_of::<Version>()
            + self.children.capacity() * std::mem::size_of::<NodeId>()
            + self.hashes.capacity() * std::mem::size_of::<ContentHash>()
            + self.owners.capacity() * 8
            + self.links.iter().map(|l| l.len() + 16).sum::<usize>()
    }

    // ----- building (used by analysis::merge) -----

    /// A new child of `parent` (linked first among its children until the tree is sealed).
    pub(crate) fn add_node(&mut self, parent: NodeId, name: NameId) -> NodeId {
        debug_assert!(!self.sealed);
        let id = NodeId::from_index(self.nodes.len());
        let next = std::mem::replace(&mut self.nodes[parent.index()].child_start, id.0);
        growth::push(
            &mut self.nodes,
            Node {
                name,
                parent,
                last: VersionId::NONE,
                child_start: NONE,
                child_count: next,
            },
        );
        id
    }

    /// The children of `id` in no particular order, before the tree is sealed.
    pub(crate) fn unsealed_children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        debug_assert!(!self.sealed);
        let first = self.nodes[id.index()].child_start;
        std::iter::successors((first != NONE).then_some(NodeId(first)), move |&c| {
            let next = self.nodes[c.index()].child_count;
            (next != NONE).then_some(NodeId(next))
        })
    }

    /// Record a content hash computed after the fact (for contents first skipped over).
    pub(crate) fn set_hash(&mut self, version: VersionId, hash: ContentHash) {
        let v = &self.versions[version.index()];
        debug_assert!(!v.is_link(), "links have no content to hash");
        if v.is_link() {
            return;
        }
        // Always a new slot: a removal record may share the old one (see `push_version_record`).
        let index = self.hashes.len() as u32;
        growth::push(&mut self.hashes, hash);
        self.versions[version.index()].extra = index;
    }

    /// Append a version of `node` to its chain.
    pub(crate) fn push_version(&mut self, node: NodeId, new: NewVersion<'_>) -> VersionId {
        let owner = self.owner_id(new.uid, new.gid);
        let is_link = matches!(new.kind, EntryKind::Symlink | EntryKind::Hardlink);
        let extra = if is_link {
            new.link.map_or(NONE, |target| {
                self.links.push(target.into());
                (self.links.len() - 1) as u32
            })
        } else {
            new.hash.map_or(NONE, |hash| {
                growth::push(&mut self.hashes, hash);
                (self.hashes.len() - 1) as u32
            })
        };
        self.push_version_record(
            node,
            Version {
                prev: VersionId::NONE,
                layer: new.layer,
                change: new.change,
                kind: new.kind,
                implicit: new.implicit,
                mode: new.mode,
                owner,
                extra,
                size: new.size,
                mtime: new.mtime,
            },
        )
    }

    /// Append a copy of an existing version (its owner, link and hash shared), e.g. the record
    /// of its removal; `prev` is set from the node.
    #[inline]
    pub(crate) fn push_version_record(&mut self, node: NodeId, mut version: Version) -> VersionId {
        let id = VersionId::from_index(self.versions.len());
        let node = &mut self.nodes[node.index()];
        version.prev = node.last;
        node.last = id;
        growth::push(&mut self.versions, version);
        id
    }

    /// Make room for `additional` more versions (a layer's entry count: each writes one).
    pub(crate) fn reserve_versions(&mut self, additional: usize) {
        growth::reserve(&mut self.versions, additional);
    }

    fn owner_id(&mut self, uid: u32, gid: u32) -> u32 {
        if let Some(&id) = self.owner_index.get(&(uid, gid)) {
            return id;
        }
        let id = self.owners.len() as u32;
        self.owners.push((uid, gid));
        self.owner_index.insert((uid, gid), id);
        id
    }

    /// Group children by parent and sort them by name. Called once, after the last layer.
    pub(crate) fn seal(&mut self) {
        let n = self.nodes.len();
        let mut counts = vec![0u32; n];
        for (_, parent) in self.parent_links() {
            counts[parent.index()] += 1;
        }
        let mut start = 0u32;
        for (i, c) in counts.iter().enumerate() {
            self.nodes[i].child_start = start;
            self.nodes[i].child_count = 0;
            start += c;
        }
        // Zeroed memory mapped in place (`vec![ROOT; _]` would allocate and then fill it).
        let mut children: Vec<NodeId> = vec![0u32; n.saturating_sub(1)]
            .into_iter()
            .map(NodeId)
            .collect();
        for id in 1..n {
            let p = self.nodes[id].parent.index();
            let slot = self.nodes[p].child_start + self.nodes[p].child_count;
            children[slot as usize] = NodeId::from_index(id);
            self.nodes[p].child_count += 1;
        }
        for i in 0..n {
            let (s, c) = (
                self.nodes[i].child_start as usize,
                self.nodes[i].child_count as usize,
            );
            let names = &self.names;
            let nodes = &self.nodes;
            children[s..s + c].sort_unstable_by(|a, b| {
                names
                    .get(nodes[a.index()].name)
                    .cmp(names.get(nodes[b.index()].name))
            });
        }
        self.children = children;
        self.versions.shrink_to_fit();
        self.nodes.shrink_to_fit();
        self.sealed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(layer: u16, change: Change) -> NewVersion<'static> {
        NewVersion {
            layer,
            change,
            kind: EntryKind::File,
            implicit: false,
            size: u64::from(layer) + 1,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            hash: None,
            link: None,
        }
    }

    #[test]
    fn no_parent_and_no_version_are_none_and_walks_stop_below_the_root() {
        let mut tree = FileTree::new();
        let (usr, lib, x) = (
            tree.names.intern("usr"),
            tree.names.intern("lib"),
            tree.names.intern("x"),
        );
        let usr = tree.add_node(ROOT, usr);
        let lib = tree.add_node(usr, lib);
        let x = tree.add_node(lib, x);
        let v0 = tree.push_version(x, file(0, Change::Added));
        let v1 = tree.push_version(x, file(1, Change::Modified));
        let v2 = tree.push_version(x, file(2, Change::Removed));
        tree.seal();

        assert_eq!(tree.node(ROOT).parent(), None);
        assert_eq!(tree.node(usr).parent(), Some(ROOT));
        assert!(tree.node(usr).is_child_of(ROOT) && !tree.node(ROOT).is_child_of(ROOT));
        assert_eq!(tree.node(ROOT).last(), None);
        assert_eq!(tree.node(lib).last(), None);
        assert_eq!(tree.node(x).last(), Some(v2));

        assert_eq!(tree.lineage(x).collect::<Vec<_>>(), [x, lib, usr]);
        assert_eq!(tree.ancestors(x).collect::<Vec<_>>(), [lib, usr]);
        assert_eq!(tree.ancestors(usr).count() + tree.lineage(ROOT).count(), 0);
        assert_eq!(
            (tree.path(x).as_str(), tree.path(ROOT).as_str()),
            ("/usr/lib/x", "/")
        );
        let links: Vec<_> = tree.parent_links().collect();
        assert_eq!(links, [(usr, ROOT), (lib, usr), (x, lib)]);
        assert_eq!(tree.non_root_ids().rev().collect::<Vec<_>>(), [x, lib, usr]);

        let chain: Vec<_> = tree.version_chain(x).map(|(id, _)| id).collect();
        assert_eq!(chain, [v2, v1, v0]);
        assert_eq!(tree.history(x), [v0, v1, v2]);
        assert_eq!(tree.version(v1).prev(), Some(v0));
        assert_eq!(tree.version(v0).prev(), None);
        assert_eq!(tree.version_at(x, 1).map(|(id, _)| id), Some(v1));
        assert!(tree.live_at(x, 2).is_none() && tree.live_final(x).is_none());
        assert_eq!(tree.version_chain(lib).count(), 0);
    }
}

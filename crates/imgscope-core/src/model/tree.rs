//! The file-tree arena: one node per path that any layer ever touched, and for each node the chain
//! of versions the layers wrote (added, modified, removed). The filesystem "as of layer L" is every
//! node's newest version at or below L, so one arena serves every layer without per-layer copies.
//!
//! Node ids are `u32`, names are interned, and a parent's id is always smaller than its children's
//! (nodes are created top-down), which lets sizes be summed bottom-up in one reverse pass.

use super::entry::{ContentHash, EntryKind};
use super::growth;
use super::names::{NameId, Names};

pub type NodeId = u32;
pub type VersionId = u32;
pub const ROOT: NodeId = 0;
pub const NONE: u32 = u32::MAX;

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
    pub prev: VersionId,
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
    pub parent: NodeId,
    pub last: VersionId,
    /// Before sealing: the first child (children are linked through `next`). After: where the
    /// node's children start in [`FileTree::children`].
    child_start: u32,
    /// Before sealing: the next sibling. After: how many children the node has.
    child_count: u32,
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
            parent: NONE,
            last: NONE,
            child_start: NONE,
            child_count: NONE,
        });
        tree
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn version_count(&self) -> usize {
        self.versions.len()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn version(&self, id: VersionId) -> &Version {
        &self.versions[id as usize]
    }

    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    pub fn name(&self, id: NodeId) -> &str {
        self.names.get(self.nodes[id as usize].name)
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

    /// The absolute path of a node (`/` for the root).
    pub fn path(&self, id: NodeId) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT && cur != NONE {
            parts.push(self.name(cur));
            cur = self.nodes[cur as usize].parent;
        }
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
    pub fn last_version(&self, id: NodeId) -> Option<&Version> {
        let last = self.nodes[id as usize].last;
        (last != NONE).then(|| &self.versions[last as usize])
    }

    /// The node's newest version written at or below `layer`.
    pub fn version_at(&self, id: NodeId, layer: usize) -> Option<(VersionId, &Version)> {
        let mut cur = self.nodes[id as usize].last;
        while cur != NONE {
            let v = &self.versions[cur as usize];
            if (v.layer as usize) <= layer {
                return Some((cur, v));
            }
            cur = v.prev;
        }
        None
    }

    /// The node's live version as of `layer` (None if absent or removed by then).
    pub fn live_at(&self, id: NodeId, layer: usize) -> Option<&Version> {
        self.version_at(id, layer)
            .map(|(_, v)| v)
            .filter(|v| v.is_live())
    }

    /// The node's live version in the final filesystem.
    pub fn live_final(&self, id: NodeId) -> Option<&Version> {
        self.last_version(id).filter(|v| v.is_live())
    }

    /// All versions of a node, oldest first.
    pub fn history(&self, id: NodeId) -> Vec<VersionId> {
        let mut out = Vec::new();
        let mut cur = self.nodes[id as usize].last;
        while cur != NONE {
            out.push(cur);
            cur = self.versions[cur as usize].prev;
        }
        out.reverse();
        out
    }

    /// Children sorted by name (the tree must be sealed).
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        debug_assert!(self.sealed, "children() on an unsealed tree");
        let n = &self.nodes[id as usize];
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
        for id in (1..self.nodes.len()).rev() {
            let live = match layer {
                Some(l) => self.live_at(id as NodeId, l),
                None => self.live_final(id as NodeId),
            };
            let Some(v) = live else { continue };
            if v.kind == EntryKind::File {
                sizes[id] += v.size;
            }
            let parent = self.nodes[id].parent as usize;
            sizes[parent] += sizes[id];
        }
        sizes
    }

    /// Memory held by the arena, for the benchmark's bytes-per-entry figure.
    pub fn heap_bytes(&self) -> usize {
        self.names.heap_bytes()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.versions.capacity() * std::mem::size_of::<Version>()
            + self.children.capacity() * 4
            + self.hashes.capacity() * std::mem::size_of::<ContentHash>()
            + self.owners.capacity() * 8
            + self.links.iter().map(|l| l.len() + 16).sum::<usize>()
    }

    // ----- building (used by analysis::merge) -----

    /// A new child of `parent` (linked first among its children until the tree is sealed).
    pub(crate) fn add_node(&mut self, parent: NodeId, name: NameId) -> NodeId {
        debug_assert!(!self.sealed);
        let id = self.nodes.len() as NodeId;
        let next = std::mem::replace(&mut self.nodes[parent as usize].child_start, id);
        growth::push(
            &mut self.nodes,
            Node {
                name,
                parent,
                last: NONE,
                child_start: NONE,
                child_count: next,
            },
        );
        id
    }

    /// The children of `id` in no particular order, before the tree is sealed.
    pub(crate) fn unsealed_children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        debug_assert!(!self.sealed);
        let first = self.nodes[id as usize].child_start;
        std::iter::successors((first != NONE).then_some(first), move |&c| {
            let next = self.nodes[c as usize].child_count;
            (next != NONE).then_some(next)
        })
    }

    /// Record a content hash computed after the fact (for contents first skipped over).
    pub(crate) fn set_hash(&mut self, version: VersionId, hash: ContentHash) {
        let v = &self.versions[version as usize];
        debug_assert!(!v.is_link(), "links have no content to hash");
        if v.is_link() {
            return;
        }
        // Always a new slot: a removal record may share the old one (see `push_version_record`).
        let index = self.hashes.len() as u32;
        growth::push(&mut self.hashes, hash);
        self.versions[version as usize].extra = index;
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
                prev: NONE,
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
    pub(crate) fn push_version_record(&mut self, node: NodeId, mut version: Version) -> VersionId {
        let id = self.versions.len() as VersionId;
        let node = &mut self.nodes[node as usize];
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
        for node in &self.nodes[1..] {
            counts[node.parent as usize] += 1;
        }
        let mut start = 0u32;
        for (i, c) in counts.iter().enumerate() {
            self.nodes[i].child_start = start;
            self.nodes[i].child_count = 0;
            start += c;
        }
        let mut children = vec![0u32; n.saturating_sub(1)];
        for id in 1..n {
            let p = self.nodes[id].parent as usize;
            let slot = self.nodes[p].child_start + self.nodes[p].child_count;
            children[slot as usize] = id as NodeId;
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
                    .get(nodes[*a as usize].name)
                    .cmp(names.get(nodes[*b as usize].name))
            });
        }
        self.children = children;
        self.versions.shrink_to_fit();
        self.nodes.shrink_to_fit();
        self.sealed = true;
    }
}

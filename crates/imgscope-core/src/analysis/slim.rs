//! The conservative slim image: what an image must keep to still do its job when rebuilt as one
//! layer, as opposed to the static closure ([`super::closure`]), which is only what the loader
//! provably maps and is the optimistic bound.
//!
//! Starting from the static closure of the command (and of `/bin/sh`, which `system()` and
//! `popen()` run), it keeps:
//! - every package that owns a closure file, and what those packages depend on (dpkg
//!   `Depends`/`Pre-Depends`, apk `D:`, rpm `REQUIRENAME`; the first installed alternative, a
//!   virtual name or capability through `Provides`/`p:`/`PROVIDENAME`), all their files but docs,
//!   man pages and locales — a service reads its own
//!   data files (postgres' `/usr/share/postgresql`), which no static view sees;
//! - the identity and name-service files (`/etc/passwd`, `/etc/group`, `/etc/nsswitch.conf`…), the
//!   loader's configuration, CA certificates and time-zone data, where the image has them;
//! - the application: the working directory's tree and the tree a command's own files sit in
//!   (`/app` for `python3 /app/main.py`, `/opt/NAME` for `/opt/NAME/bin/x`), and the directories
//!   the environment names as homes and search paths (`JAVA_HOME`, `PYTHONPATH`, `NODE_PATH`…);
//!   for an interpreter installed outside any package (`/usr/local/bin/python3`), its library
//!   trees under `/usr/local/lib`;
//! - every symbolic link that leads to a kept file or to a directory above one (`/lib` →
//!   `usr/lib`, `libssl.so.3` → `libssl.so.3.0.x`), and every directory holding no file at all
//!   (`/tmp`, `/var/run/postgresql`: free, and a service may expect them).
//!
//! Pure: reads the merged tree, the packages and the closure.

use hashbrown::{HashMap, HashSet};

use super::closure::Closure;
use super::role::Role;
use super::trim::{self, Category};
use crate::model::resolve::resolve;
use crate::model::{EntryKind, Image, NodeId};
use crate::packages::Packages;

const FINAL: usize = usize::MAX;

/// Identity, name-service and loader files kept when the image has them.
const SYSTEM_FILES: &[&str] = &[
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ld.so.conf",
    "/etc/ld.so.cache",
    "/etc/os-release",
    "/etc/mime.types",
];

/// Trees kept whole when the image has them: the loader's drop-ins, CA certificates, time zones.
const SYSTEM_TREES: &[&str] = &[
    "/etc/ld.so.conf.d",
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/usr/share/zoneinfo",
];

/// Top-level directories of the filesystem hierarchy: a command under any other (`/app`) is an
/// application's, and its tree is kept.
const SYSTEM_TOP: &[&str] = &[
    "bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "media", "mnt", "proc", "root",
    "run", "sbin", "sys", "tmp", "usr", "var",
];

/// Environment variables naming directories a program reads its code from.
const ENV_DIRS: &[&str] = &[
    "JAVA_HOME",
    "JRE_HOME",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "NODE_PATH",
    "GEM_HOME",
    "GEM_PATH",
    "BUNDLE_PATH",
    "RUBYLIB",
    "PERL5LIB",
    "CATALINA_HOME",
    "APP_HOME",
];

/// What the conservative slim image holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlimSet {
    /// Every kept entry of the final filesystem (regular files, links, directories), by id.
    pub keep: Vec<NodeId>,
    /// Regular files kept, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// The packages kept (names, in the order found: closure owners first, then dependencies).
    pub packages: Vec<String>,
    /// Dependencies named but not installed in the image (nothing to keep for them).
    pub missing_dependencies: Vec<String>,
    /// What was kept besides packages, in words, for reports and `slim --list`.
    pub kept_because: Vec<String>,
}

impl SlimSet {
    /// Whether `node` is kept.
    pub fn contains(&self, node: NodeId) -> bool {
        self.keep.binary_search(&node).is_ok()
    }
}

/// The conservative set for `image` (`closure` computed with `/bin/sh` among its roots), or `None`
/// for a `shell` image (it runs whatever the user runs: nothing to slim to).
pub fn conservative(
    image: &Image,
    packages: &Packages,
    closure: &Closure,
    role: Role,
) -> Option<SlimSet> {
    if role == Role::Shell {
        return None;
    }
    let tree = &image.tree;
    let n = tree.node_count();
    let mut kept = vec![false; n];
    let mut because: Vec<String> = Vec::new();
    for &(node, _) in &closure.files {
        kept[node.index()] = true;
    }

    // Packages: the closure's owners and their dependencies, all files but docs.
    let (names, missing) = package_closure(packages, closure);
    let chosen: HashSet<u32> = names.iter().map(|&(k, _)| k).collect();
    for &(node, k) in &packages.owner {
        if chosen.contains(&k) && !kept[node.index()] {
            let path = tree.path(node);
            if trim::categorize(&path) != Some(Category::Docs) {
                kept[node.index()] = true;
            }
        }
    }

    // System files and trees.
    let mut system = 0usize;
    for path in SYSTEM_FILES {
        if let Some(node) = resolve(tree, path, FINAL, true)
            && tree
                .live_final(node)
                .is_some_and(|v| v.kind != EntryKind::Dir)
            && !kept[node.index()]
        {
            kept[node.index()] = true;
            system += 1;
        }
    }
    for path in SYSTEM_TREES {
        system += keep_tree(image, path, &mut kept);
    }
    if system > 0 {
        because.push(format!(
            "{system} identity, name-service, loader, CA-certificate and time-zone files"
        ));
    }

    // The application.
    for dir in application_dirs(image, closure, role) {
        let added = keep_tree(image, &dir, &mut kept);
        if added > 0 {
            because.push(format!("{dir}: {added} files of the application"));
        }
    }

    let names: Vec<String> = names
        .iter()
        .map(|&(k, _)| packages.packages[k as usize].name.clone())
        .collect();
    Some(finish(image, kept, because, names, missing))
}

/// The static closure alone, with the links and directories that reach it: the optimistic bound,
/// written by `imgscope slim --static-closure` to show what it lacks.
pub fn static_only(image: &Image, closure: &Closure) -> SlimSet {
    let mut kept = vec![false; image.tree.node_count()];
    for &(node, _) in &closure.files {
        kept[node.index()] = true;
    }
    finish(
        image,
        kept,
        vec!["the static closure of the command only".into()],
        Vec::new(),
        Vec::new(),
    )
}

/// Add the links that lead to kept entries and the directories a service may expect, then list
/// what is kept.
fn finish(
    image: &Image,
    mut kept: Vec<bool>,
    mut because: Vec<String>,
    packages: Vec<String>,
    missing: Vec<String>,
) -> SlimSet {
    let tree = &image.tree;
    let n = tree.node_count();
    // Links to what is kept, or to a directory above it; a link may lead to another link's
    // directory (`/lib64` → `usr/lib64`, which holds the loader's link), so until nothing changes.
    let symlinks: Vec<(NodeId, Option<NodeId>)> = tree
        .non_root_ids()
        .filter(|&id| {
            tree.live_final(id)
                .is_some_and(|v| v.kind == EntryKind::Symlink)
        })
        .map(|id| (id, resolve(tree, &tree.path(id), FINAL, true)))
        .collect();
    let mut above: Vec<bool> = vec![false; n];
    let mut links = 0usize;
    for _round in 0..16 {
        mark_above(tree, &kept, &mut above);
        let mut added = 0;
        for &(id, target) in &symlinks {
            if kept[id.index()] {
                continue;
            }
            if let Some(t) = target
                && (kept[t.index()] || above[t.index()])
            {
                kept[id.index()] = true;
                added += 1;
            }
        }
        links += added;
        if added == 0 {
            break;
        }
    }
    mark_above(tree, &kept, &mut above);
    let empty = empty_dirs(image);
    let mut keep: Vec<NodeId> = Vec::new();
    let (mut files, mut bytes) = (0u64, 0u64);
    for id in tree.non_root_ids() {
        let i = id.index();
        let Some(v) = tree.live_final(id) else {
            continue;
        };
        if kept[i] || above[i] || (v.kind == EntryKind::Dir && empty[i]) {
            keep.push(id);
            if v.kind == EntryKind::File && kept[i] {
                files += 1;
                bytes += v.size;
            }
        }
    }
    if links > 0 {
        because.push(format!(
            "{links} symbolic links to kept files and directories"
        ));
    }
    SlimSet {
        keep,
        files,
        bytes,
        packages,
        missing_dependencies: missing,
        kept_because: because,
    }
}

/// Mark the directories above every kept entry.
fn mark_above(tree: &crate::model::FileTree, kept: &[bool], above: &mut [bool]) {
    for id in tree.non_root_ids() {
        if kept[id.index()] {
            for a in tree.ancestors(id) {
                if above[a.index()] {
                    break;
                }
                above[a.index()] = true;
            }
        }
    }
}

/// The packages to keep, as (index into `packages.packages`, depth), and the dependency names no
/// installed package satisfies.
fn package_closure(packages: &Packages, closure: &Closure) -> (Vec<(u32, usize)>, Vec<String>) {
    let mut by_name: HashMap<&str, Vec<u32>> = HashMap::new();
    for (k, p) in packages.packages.iter().enumerate() {
        // Language packages (pip, npm) are kept through their trees, not by name.
        if !matches!(p.manager, "dpkg" | "apk" | "rpm") {
            continue;
        }
        by_name.entry(p.name.as_str()).or_default().push(k as u32);
        for provided in &p.relations.provides {
            by_name.entry(provided.as_str()).or_default().push(k as u32);
        }
    }
    let mut order: Vec<(u32, usize)> = Vec::new();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut missing: Vec<String> = Vec::new();
    for &(node, _) in &closure.files {
        if let Ok(i) = packages.owner.binary_search_by_key(&node, |(n, _)| *n) {
            let k = packages.owner[i].1;
            if seen.insert(k) {
                order.push((k, 0));
            }
        }
    }
    let mut next = 0;
    while next < order.len() {
        let (k, depth) = order[next];
        next += 1;
        for group in &packages.packages[k as usize].relations.depends {
            // The first installed alternative, its first provider: linear in the group, however
            // many packages provide a name (a hostile database may have them all provide it).
            let pick = group
                .iter()
                .find_map(|name| by_name.get(name.as_str()).and_then(|l| l.first()))
                .copied();
            match pick {
                None => {
                    if missing.len() < 100 {
                        let shown = group.join(" | ");
                        if !missing.contains(&shown) {
                            missing.push(shown);
                        }
                    }
                }
                Some(pick) => {
                    if seen.insert(pick) {
                        order.push((pick, depth + 1));
                    }
                }
            }
        }
    }
    (order, missing)
}

/// Mark the visible entries below `path` (a directory, through its links) kept; the count of
/// regular files newly kept.
fn keep_tree(image: &Image, path: &str, kept: &mut [bool]) -> usize {
    let tree = &image.tree;
    let Some(root) = resolve(tree, path, FINAL, true) else {
        return 0;
    };
    if tree
        .live_final(root)
        .is_none_or(|v| v.kind != EntryKind::Dir)
    {
        return 0;
    }
    let mut added = 0;
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        let Some(v) = tree.live_final(id) else {
            continue;
        };
        if v.kind == EntryKind::Dir {
            stack.extend_from_slice(tree.children(id));
            continue;
        }
        if !kept[id.index()] {
            kept[id.index()] = true;
            if v.kind == EntryKind::File {
                added += 1;
            }
        }
    }
    added
}

/// The application's directories: the working directory, the trees a command's own files sit in,
/// the environment's code directories, and (for an interpreter outside any package) its library
/// trees.
fn application_dirs(image: &Image, closure: &Closure, role: Role) -> Vec<String> {
    let config = &image.config;
    let mut dirs: Vec<String> = Vec::new();
    let mut add = |d: String| {
        if !d.is_empty() && d != "/" && !dirs.contains(&d) {
            dirs.push(d);
        }
    };
    if let Some(w) = config.working_dir.as_deref()
        && let Some(root) = application_root(w)
    {
        add(root);
    }
    let workdir = config
        .working_dir
        .as_deref()
        .filter(|w| !w.is_empty())
        .unwrap_or("/");
    for word in config.entrypoint.iter().chain(config.cmd.iter()) {
        if word.starts_with('-') || word.contains('=') {
            continue;
        }
        let path = if word.starts_with('/') {
            word.clone()
        } else if word.contains('/') || role == Role::Interpreted {
            format!("{}/{word}", workdir.trim_end_matches('/'))
        } else {
            continue;
        };
        if resolve(&image.tree, &path, FINAL, true).is_some()
            && let Some(root) = application_root(&path)
        {
            add(root);
        }
    }
    for e in &config.env {
        let Some((key, value)) = e.split_once('=') else {
            continue;
        };
        if ENV_DIRS.contains(&key) {
            for d in value.split(':').filter(|d| d.starts_with('/')) {
                add(d.trim_end_matches('/').to_string());
            }
        }
    }
    if role == Role::Interpreted
        && let Some(exe) = closure.executable.as_deref()
        && exe.starts_with("/usr/local/")
    {
        let name = exe.rsplit('/').next().unwrap_or(exe);
        let family = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        let family = if family == "nodejs" { "node" } else { family };
        if let Some(lib) = resolve(&image.tree, "/usr/local/lib", FINAL, true) {
            for &c in image.tree.children(lib) {
                let child = image.tree.name(c);
                if !family.is_empty() && child.starts_with(family) {
                    add(format!("/usr/local/lib/{child}"));
                }
            }
        }
    }
    dirs
}

/// The tree an application's path belongs to: `/app/x/main.py` → `/app`, `/opt/NAME/bin/x` →
/// `/opt/NAME`, `/srv/NAME/…` → `/srv/NAME`, `/home/USER/…` → `/home/USER`, `/usr/src/app/…` →
/// `/usr/src/app`; a system path → `None`.
fn application_root(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => None,
        ["opt" | "srv" | "home", name, _, ..] => Some(format!("/{}/{name}", parts[0])),
        ["usr", "src", name, _, ..] => Some(format!("/usr/src/{name}")),
        [top, ..] if !SYSTEM_TOP.contains(top) && !matches!(*top, "opt" | "srv" | "home") => {
            // A file at the top (`/main.py`) is kept alone: the whole root is not an app.
            (parts.len() > 1 || !path.contains('.')).then(|| format!("/{top}"))
        }
        _ => None,
    }
}

/// Directories that hold no file, link or device at any depth.
fn empty_dirs(image: &Image) -> Vec<bool> {
    let tree = &image.tree;
    let n = tree.node_count();
    let mut has_entry = vec![false; n];
    // Children have larger ids than their parents: walk backwards to propagate upwards.
    for (id, parent) in tree.parent_links().rev() {
        let Some(v) = tree.live_final(id) else {
            continue;
        };
        if v.kind != EntryKind::Dir || has_entry[id.index()] {
            has_entry[parent.index()] = true;
        }
    }
    (0..n)
        .map(|i| {
            !has_entry[i]
                && i != 0
                && tree
                    .live_final(NodeId::from_index(i))
                    .is_some_and(|v| v.kind == EntryKind::Dir)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::Package;
    use crate::packages::Relations;

    fn package(name: &str, depends: &[&[&str]], provides: &[&str]) -> Package {
        Package {
            manager: "dpkg",
            name: name.into(),
            version: "1".into(),
            architecture: None,
            source: None,
            essential: false,
            installed_size: None,
            files: 1,
            bytes: 1,
            layer: Some(0),
            changed_in: Vec::new(),
            reclaimable_bytes: 0,
            trim_bytes: 0,
            relations: Relations {
                depends: depends
                    .iter()
                    .map(|g| g.iter().map(|s| s.to_string()).collect())
                    .collect(),
                provides: provides.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    fn closure_of(nodes: &[usize]) -> Closure {
        Closure {
            command: vec!["/usr/bin/app".into()],
            executable: Some("/usr/bin/app".into()),
            files: nodes.iter().map(|&n| (NodeId::from_index(n), 1)).collect(),
            bytes: nodes.len() as u64,
            packages: Vec::new(),
            unresolved: Vec::new(),
            unseen: Vec::new(),
            understood: true,
            exhausted: false,
            lookups: 0,
        }
    }

    #[test]
    fn dependencies_follow_alternatives_provides_and_stop_at_what_is_missing() {
        let packages = Packages {
            packages: vec![
                package(
                    "app",
                    &[&["libc6"], &["mawk", "awk"], &["not-installed"]],
                    &[],
                ),
                package("libc6", &[&["libgcc-s1"]], &[]),
                package("libgcc-s1", &[&["libc6"]], &[]),
                package("gawk", &[], &["awk"]),
                package("unrelated", &[], &[]),
            ],
            owner: vec![(NodeId::from_index(1), 0)],
            ..Packages::default()
        };
        let (kept, missing) = package_closure(&packages, &closure_of(&[1]));
        let names: Vec<&str> = kept
            .iter()
            .map(|&(k, _)| packages.packages[k as usize].name.as_str())
            .collect();
        // mawk is not installed: awk, which gawk provides, stands in; the cycle ends.
        assert_eq!(names, ["app", "libc6", "gawk", "libgcc-s1"]);
        assert_eq!(missing, ["not-installed"]);
    }

    #[test]
    fn a_name_every_package_provides_costs_one_lookup_a_group() {
        // A hostile database: 100,000 packages that all provide and need "x". Each group takes its
        // first provider, so the walk keeps two packages, not a scan of every provider a package.
        let mut all = vec![package("root", &[&["x"]], &[])];
        all.extend((0..100_000).map(|i| package(&format!("p{i}"), &[&["x"]], &["x"])));
        let packages = Packages {
            packages: all,
            owner: vec![(NodeId::from_index(1), 0)],
            ..Packages::default()
        };
        let (kept, missing) = package_closure(&packages, &closure_of(&[1]));
        assert_eq!(kept, [(0, 0), (1, 1)]);
        assert!(missing.is_empty());
    }

    #[test]
    fn application_roots() {
        assert_eq!(application_root("/app/main.py").as_deref(), Some("/app"));
        assert_eq!(application_root("/app").as_deref(), Some("/app"));
        assert_eq!(
            application_root("/opt/tool/bin/tool").as_deref(),
            Some("/opt/tool")
        );
        assert_eq!(application_root("/opt/tool"), None);
        assert_eq!(application_root("/usr/bin/redis-server"), None);
        assert_eq!(application_root("/main.py"), None);
        assert_eq!(
            application_root("/usr/src/app/index.js").as_deref(),
            Some("/usr/src/app")
        );
        assert_eq!(application_root("/"), None);
    }
}

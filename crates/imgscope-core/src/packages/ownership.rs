//! Who owns the bytes: the image's package databases (dpkg's status, `status.d/` and `info/*.list`,
//! apk's installed database, rpm's `rpmdb.sqlite`, Python's `RECORD`/`installed-files.txt`, npm's package directories —
//! files of the image, kept while its layers decoded), read as the final filesystem has them, and every visible regular file's real bytes (its tar header size,
//! not a package's declared Installed-Size) attributed to the package that lists it. What no
//! package lists is "unowned": the application, caches, files written by scripts.
//!
//! Paths in a database are the ones the package manager wrote, so their directories are resolved
//! through the image's symlinks (`/lib/x86_64-linux-gnu/libc.so.6` lives at `/usr/lib/…` on a
//! merged-/usr system); a listed path that is itself a symlink is the package's link (no bytes),
//! not the file it points to. A file two packages list (a shared `Multi-Arch: same` file) is counted once, for the
//! package listed first. A dpkg diversion gives the diverted package the file's new name. Per
//! package: its files and bytes, the layer that first wrote one of them (its install), the later
//! layers that wrote them again (upgrades, rebuilds), the bytes of its files' earlier copies that
//! later layers hide (reclaimable), and its trim candidates (docs, locales, headers…). A database
//! that does not parse is reported as a problem and left out; the rest of the analysis stands.

use hashbrown::HashMap;

use super::language::{self, RecordKind};
use super::limits::MAX_PATHS;
use super::record::{PackageRecord, Relations};
use super::{apk, dpkg, npm, python, rpm};
use crate::analysis::trim;
use crate::model::resolve::{resolve, resolve_entry};
use crate::model::{EntryKind, FileTree, Image, NodeId};

/// The final layer, for resolving paths in the final filesystem.
const FINAL: usize = usize::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// `dpkg`, `apk`, `rpm`, `python` or `npm`.
    pub manager: &'static str,
    pub name: String,
    pub version: String,
    pub architecture: Option<String>,
    pub source: Option<String>,
    pub essential: bool,
    /// What the database declares (bytes), for comparison; the real figure is `bytes`.
    pub installed_size: Option<u64>,
    /// Visible regular files it owns, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// The lowest layer that wrote one of its files, and the later layers that wrote them again.
    pub layer: Option<usize>,
    pub changed_in: Vec<usize>,
    /// Bytes of earlier copies of its files that later layers hide.
    pub reclaimable_bytes: u64,
    /// Its visible files that are trim candidates (docs, locales, headers, …).
    pub trim_bytes: u64,
    /// What it depends on and provides, as its database declares.
    pub relations: Relations,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packages {
    /// Biggest first (then by name).
    pub packages: Vec<Package>,
    /// The package managers whose database was found: `dpkg`, `apk`.
    pub managers: Vec<&'static str>,
    /// Visible regular files no package lists.
    pub unowned_files: u64,
    pub unowned_bytes: u64,
    /// Databases that could not be read, one line each (the rest of the report stands).
    pub problems: Vec<String>,
    /// The owning package of each owned visible regular file: (node, index into `packages`),
    /// sorted by node.
    pub owner: Vec<(NodeId, u32)>,
}

impl Packages {
    /// The package that owns `node`, if any.
    pub fn owner_of(&self, node: NodeId) -> Option<&Package> {
        let i = self.owner.binary_search_by_key(&node, |(n, _)| *n).ok()?;
        self.packages.get(self.owner[i].1 as usize)
    }
}

/// The captured text of the file the final filesystem shows at `path`.
fn final_text<'a>(image: &'a Image, path: &str) -> Option<&'a [u8]> {
    let node = resolve(&image.tree, path, FINAL, true)?;
    text_of(image, node)
}

fn text_of(image: &Image, node: NodeId) -> Option<&[u8]> {
    image.final_capture(node)?.text()
}

/// A database's records with the paths each owns.
struct Listed {
    manager: &'static str,
    record: PackageRecord,
    paths: Vec<String>,
}

fn dpkg(image: &Image, problems: &mut Vec<String>) -> Option<Vec<Listed>> {
    let mut records: Vec<PackageRecord> = Vec::new();
    let mut found = false;
    if let Some(text) = final_text(image, "/var/lib/dpkg/status") {
        found = true;
        match dpkg::parse_dpkg_status(text) {
            Ok(r) => records.extend(r),
            Err(e) => problems.push(format!("/var/lib/dpkg/status: {e}")),
        }
    }
    // Distroless images: one status file per package, files named by NAME.md5sums.
    let mut md5sums: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(dir) = resolve(&image.tree, "/var/lib/dpkg/status.d", FINAL, true)
        && image
            .tree
            .live_final(dir)
            .is_some_and(|v| v.kind == EntryKind::Dir)
    {
        for &child in image.tree.children(dir) {
            let name = image.tree.name(child).to_string();
            let Some(text) = text_of(image, child) else {
                continue;
            };
            found = true;
            if let Some(pkg) = name.strip_suffix(".md5sums") {
                md5sums.insert(pkg.to_string(), dpkg::parse_md5sums_paths(text));
                continue;
            }
            match dpkg::parse_dpkg_status(text) {
                Ok(r) => records.extend(r),
                Err(e) => problems.push(format!("/var/lib/dpkg/status.d/{name}: {e}")),
            }
        }
    }
    if !found {
        return None;
    }
    let diversions = final_text(image, "/var/lib/dpkg/diversions")
        .map(|text| match dpkg::parse_dpkg_diversions(text) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("/var/lib/dpkg/diversions: {e}"));
                Vec::new()
            }
        })
        .unwrap_or_default();
    // One record per (name, architecture): a status file that repeats a package would otherwise
    // read (and keep) its file list once a paragraph.
    let mut kept: hashbrown::HashSet<(String, Option<String>)> = hashbrown::HashSet::new();
    records.retain(|r| kept.insert((r.name.clone(), r.architecture.clone())));
    // Diverted paths by their original name: one lookup a listed path.
    let mut diverted: HashMap<&str, Vec<(&str, Option<&str>)>> = HashMap::new();
    for (from, to, by) in &diversions {
        diverted
            .entry(from.as_str())
            .or_default()
            .push((to.as_str(), by.as_deref()));
    }
    // The paths of every package together are capped as one database's are.
    let mut total_paths = 0usize;
    let mut capped = false;
    let listed = records
        .into_iter()
        .map(|record| {
            let qualified = record
                .architecture
                .as_deref()
                .map(|a| format!("/var/lib/dpkg/info/{}:{a}.list", record.name));
            let plain = format!("/var/lib/dpkg/info/{}.list", record.name);
            let mut paths = if capped {
                Vec::new()
            } else {
                qualified
                    .as_deref()
                    .and_then(|p| final_text(image, p))
                    .or_else(|| final_text(image, &plain))
                    .map(dpkg::parse_dpkg_list)
                    .or_else(|| md5sums.remove(&record.name))
                    .unwrap_or_default()
            };
            if total_paths + paths.len() > MAX_PATHS {
                paths.truncate(MAX_PATHS - total_paths);
                capped = true;
            }
            total_paths += paths.len();
            for path in &mut paths {
                // Diverted by another package: this package's copy lives at the new name.
                if let Some(to) = diverted.get(path.as_str()).and_then(|list| {
                    list.iter()
                        .find(|(_, by)| *by != Some(record.name.as_str()))
                        .map(|(to, _)| *to)
                }) {
                    *path = to.to_string();
                }
            }
            Listed {
                manager: "dpkg",
                record,
                paths,
            }
        })
        .collect();
    if capped {
        problems.push(format!(
            "/var/lib/dpkg/info: the packages list more than {} paths together (MAX_PATHS): the rest are not attributed",
            MAX_PATHS
        ));
    }
    Some(listed)
}

fn apk(image: &Image, problems: &mut Vec<String>) -> Option<Vec<Listed>> {
    let text = final_text(image, "/lib/apk/db/installed")?;
    match apk::parse_apk_installed(text) {
        Ok(records) => Some(
            records
                .into_iter()
                .map(|mut record| Listed {
                    manager: "apk",
                    paths: std::mem::take(&mut record.files),
                    record,
                })
                .collect(),
        ),
        Err(e) => {
            problems.push(format!("/lib/apk/db/installed: {e}"));
            None
        }
    }
}

/// rpm's database: SQLite, at `/var/lib/rpm` or `/usr/lib/sysimage/rpm`.
fn rpm(image: &Image, problems: &mut Vec<String>) -> Option<Vec<Listed>> {
    let (path, text) = [
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/var/lib/rpm/rpmdb.sqlite",
    ]
    .into_iter()
    .find_map(|p| final_text(image, p).map(|t| (p, t)))?;
    match rpm::parse_rpmdb_sqlite(text) {
        Ok(packages) => Some(
            packages
                .into_iter()
                .map(|p| Listed {
                    manager: "rpm",
                    record: PackageRecord {
                        name: p.name,
                        version: p.version,
                        architecture: p.architecture,
                        source: p.source_rpm,
                        essential: false,
                        priority: None,
                        installed_size: p.installed_size,
                        files: Vec::new(),
                        relations: Relations {
                            depends: p.requires.into_iter().map(|r| vec![r]).collect(),
                            provides: p.provides,
                        },
                    },
                    paths: p.files,
                })
                .collect(),
        ),
        Err(e) => {
            problems.push(format!("{path}: {e}"));
            None
        }
    }
}

/// Python's and npm's own records, found anywhere in the final filesystem. An npm package lists
/// its directory: it owns what is below that no deeper package owns.
fn language(image: &Image, problems: &mut Vec<String>) -> (Vec<Listed>, Vec<Listed>) {
    /// Unreadable Python/npm records reported one line each; the rest are counted.
    const SHOWN_UNREADABLE: usize = 5;
    let (mut python, mut npm) = (Vec::new(), Vec::new());
    let mut unreadable = 0usize;
    image.tree.walk_paths(|node, path| {
        let rel = path.trim_start_matches('/');
        let Some(kind) = language::record_kind(rel) else {
            return;
        };
        let Some(text) = text_of(image, node) else {
            return;
        };
        let parsed = match kind {
            RecordKind::PythonRecord => python::parse_python_record(rel, text),
            RecordKind::PythonInstalledFiles => python::parse_python_installed_files(rel, text),
            RecordKind::NpmPackageJson => npm::parse_npm_package_json(rel, text),
        };
        match parsed {
            Ok(p) => {
                let listed = Listed {
                    manager: p.manager,
                    record: PackageRecord {
                        name: p.name,
                        version: p.version,
                        architecture: None,
                        source: None,
                        essential: false,
                        priority: None,
                        installed_size: None,
                        files: Vec::new(),
                        relations: Default::default(),
                    },
                    paths: p.files,
                };
                if kind == RecordKind::NpmPackageJson {
                    npm.push(listed);
                } else {
                    python.push(listed);
                }
            }
            Err(e) => {
                unreadable += 1;
                if unreadable <= SHOWN_UNREADABLE {
                    problems.push(e.to_string());
                }
            }
        }
    });
    if unreadable > SHOWN_UNREADABLE {
        problems.push(format!(
            "… and {} more unreadable Python/npm records",
            unreadable - SHOWN_UNREADABLE
        ));
    }
    (python, npm)
}

/// Read the image's package databases and attribute its files.
pub fn analyze(image: &Image) -> Packages {
    let tree = &image.tree;
    let mut out = Packages::default();
    let mut listed: Vec<Listed> = Vec::new();
    for (name, found) in [
        ("dpkg", dpkg(image, &mut out.problems)),
        ("apk", apk(image, &mut out.problems)),
        ("rpm", rpm(image, &mut out.problems)),
    ] {
        if let Some(l) = found {
            out.managers.push(name);
            listed.extend(l);
        }
    }
    let (python, mut npm) = language(image, &mut out.problems);
    for (name, found) in [("python", &python), ("npm", &npm)] {
        if !found.is_empty() {
            out.managers.push(name);
        }
    }
    listed.extend(python);
    // Deepest package directories first: a nested package owns its own files.
    npm.sort_by_key(|l| std::cmp::Reverse(l.paths.first().map_or(0, |p| p.matches('/').count())));
    let first_npm = listed.len();
    listed.extend(npm);
    let mut owner: HashMap<NodeId, u32> = HashMap::new();
    let mut packages: Vec<Package> = Vec::with_capacity(listed.len());
    for (k, item) in listed.into_iter().enumerate() {
        let mut p = Package {
            manager: item.manager,
            name: item.record.name,
            version: item.record.version,
            architecture: item.record.architecture,
            source: item.record.source,
            essential: item.record.essential,
            installed_size: item.record.installed_size,
            files: 0,
            bytes: 0,
            layer: None,
            changed_in: Vec::new(),
            reclaimable_bytes: 0,
            trim_bytes: 0,
            relations: item.record.relations,
        };
        let mut layers: Vec<usize> = Vec::new();
        let files: Vec<(NodeId, u64)> = if k >= first_npm {
            item.paths
                .first()
                .and_then(|dir| resolve(tree, dir, FINAL, true))
                .map(|dir| files_below(tree, dir))
                .unwrap_or_default()
        } else {
            item.paths
                .iter()
                .filter_map(|path| resolve_entry(tree, path, FINAL).map(|(n, v)| (n, v.size)))
                .collect()
        };
        for (node, size) in files {
            if owner.contains_key(&node) {
                continue;
            }
            owner.insert(node, k as u32);
            p.files += 1;
            p.bytes += size;
            if trim::categorize(&tree.path(node)).is_some() {
                p.trim_bytes += size;
            }
            history(tree, node, &mut layers, &mut p.reclaimable_bytes);
        }
        layers.sort_unstable();
        layers.dedup();
        p.layer = layers.first().copied();
        p.changed_in = layers.into_iter().skip(1).collect();
        packages.push(p);
    }
    for node in tree.non_root_ids() {
        if let Some(v) = tree.live_final(node)
            && v.kind == EntryKind::File
            && !owner.contains_key(&node)
        {
            out.unowned_files += 1;
            out.unowned_bytes += v.size;
        }
    }
    // Biggest first; the owner map follows the new order.
    let mut order: Vec<u32> = (0..packages.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&packages[a as usize], &packages[b as usize]);
        pb.bytes
            .cmp(&pa.bytes)
            .then_with(|| pa.name.cmp(&pb.name))
            .then(a.cmp(&b))
    });
    let mut rank = vec![0u32; packages.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    let mut slots: Vec<Option<Package>> = packages.into_iter().map(Some).collect();
    out.packages = order
        .iter()
        .filter_map(|&old| slots[old as usize].take())
        .collect();
    out.owner = owner
        .into_iter()
        .map(|(node, old)| (node, rank[old as usize]))
        .collect();
    out.owner.sort_unstable();
    out
}

/// The visible regular files below the directory `dir`.
fn files_below(tree: &FileTree, dir: NodeId) -> Vec<(NodeId, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(n) = stack.pop() {
        match tree.live_final(n) {
            Some(v) if v.kind == EntryKind::File => out.push((n, v.size)),
            Some(v) if v.kind == EntryKind::Dir => stack.extend_from_slice(tree.children(n)),
            _ => {}
        }
    }
    out
}

/// The layers that wrote regular-file versions of `node`, and the bytes of those the final
/// filesystem does not show.
fn history(tree: &FileTree, node: NodeId, layers: &mut Vec<usize>, hidden: &mut u64) {
    for (i, (_, v)) in tree.version_chain(node).enumerate() {
        if v.is_live() && v.kind == EntryKind::File {
            layers.push(v.layer as usize);
            if i > 0 {
                *hidden += v.size;
            }
        }
    }
}

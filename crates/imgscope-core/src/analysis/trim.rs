//! Trim candidates: visible files that a runtime image rarely needs, by category — package
//! manager caches and indexes, docs and locales, headers and static libraries, build toolchains,
//! Python bytecode, VCS directories, test suites inside installed packages, debug symbols, temp
//! directories — each with its bytes, its largest paths, and the layers that hold them, so a
//! saving in a shared layer can be counted once.

use hashbrown::HashMap;

use crate::model::{EntryKind, FileTree, NodeId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    PackageCache,
    Docs,
    Headers,
    Toolchain,
    PythonBytecode,
    Vcs,
    Tests,
    DebugSymbols,
    Temp,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::PackageCache => "package-manager caches and indexes",
            Category::Docs => "docs, man pages, info, locales",
            Category::Headers => "headers and static libraries",
            Category::Toolchain => "compilers and build toolchains",
            Category::PythonBytecode => "__pycache__ and .pyc",
            Category::Vcs => "version-control directories",
            Category::Tests => "test suites inside installed packages",
            Category::DebugSymbols => "debug symbols",
            Category::Temp => "temporary directories",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Category::PackageCache => "package-cache",
            Category::Docs => "docs",
            Category::Headers => "headers",
            Category::Toolchain => "toolchain",
            Category::PythonBytecode => "python-bytecode",
            Category::Vcs => "vcs",
            Category::Tests => "tests",
            Category::DebugSymbols => "debug-symbols",
            Category::Temp => "temp",
        }
    }
}

const CACHE_PREFIXES: &[&str] = &[
    "/var/cache/apt/",
    "/var/lib/apt/lists/",
    "/var/cache/apk/",
    "/var/cache/dnf/",
    "/var/cache/yum/",
    "/var/cache/zypp/",
    "/var/cache/pacman/",
    "/root/.cache/",
    "/root/.npm/",
    "/root/.yarn/",
    "/usr/local/share/.cache/",
    "/root/.gem/",
    "/root/.cargo/registry/",
    "/usr/local/cargo/registry/",
    "/root/go/pkg/mod/",
    "/go/pkg/mod/",
    "/root/.m2/repository/",
    "/root/.gradle/caches/",
];

const DOC_PREFIXES: &[&str] = &[
    "/usr/share/doc/",
    "/usr/share/man/",
    "/usr/share/info/",
    "/usr/share/locale/",
    "/usr/share/i18n/",
    "/usr/local/share/man/",
    "/usr/local/share/doc/",
];

const TOOLCHAIN_PREFIXES: &[&str] = &[
    "/usr/lib/gcc/",
    "/usr/libexec/gcc/",
    "/usr/lib/llvm-",
    "/usr/local/go/pkg/tool/",
    "/usr/local/rustup/",
    "/root/.rustup/",
];

const TOOLCHAIN_BINARIES: &[&str] = &[
    "gcc", "g++", "cc", "c++", "cc1", "cc1plus", "clang", "clang++", "ld", "ld.bfd", "ld.gold",
    "as", "make", "cmake", "rustc", "cargo", "go", "javac",
];

/// The category of a visible file at `path`, if it is a trim candidate.
pub fn categorize(path: &str) -> Option<Category> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.contains("/.git/") || path.contains("/.svn/") || path.contains("/.hg/") {
        return Some(Category::Vcs);
    }
    if path.contains("/__pycache__/") || name.ends_with(".pyc") || name.ends_with(".pyo") {
        return Some(Category::PythonBytecode);
    }
    if CACHE_PREFIXES.iter().any(|p| path.starts_with(p))
        || path.contains("/node_modules/.cache/")
        || path.contains("/.cache/pip/")
        || path.contains("/.cache/go-build/")
    {
        return Some(Category::PackageCache);
    }
    if path.starts_with("/usr/lib/debug/") || name.ends_with(".debug") {
        return Some(Category::DebugSymbols);
    }
    if DOC_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return Some(Category::Docs);
    }
    if path.starts_with("/usr/include/")
        || path.starts_with("/usr/local/include/")
        || (name.ends_with(".a") && path.contains("/lib"))
    {
        return Some(Category::Headers);
    }
    if TOOLCHAIN_PREFIXES.iter().any(|p| path.starts_with(p))
        || ((path.starts_with("/usr/bin/") || path.starts_with("/usr/local/bin/"))
            && TOOLCHAIN_BINARIES.iter().any(|b| {
                name == *b
                    || name.strip_prefix(b).is_some_and(|rest| {
                        rest.starts_with('-')
                            && rest[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
                    })
                    || name.ends_with(&format!("-linux-gnu-{b}"))
            }))
    {
        return Some(Category::Toolchain);
    }
    if (path.contains("/site-packages/")
        || path.contains("/dist-packages/")
        || path.contains("/node_modules/"))
        && ["/tests/", "/test/", "/__tests__/"]
            .iter()
            .any(|t| path.contains(t))
    {
        return Some(Category::Tests);
    }
    if path.starts_with("/tmp/") || path.starts_with("/var/tmp/") {
        return Some(Category::Temp);
    }
    None
}

#[derive(Debug, Clone)]
pub struct CategoryTotal {
    pub category: Category,
    pub bytes: u64,
    pub files: u64,
    /// Bytes per layer index (the layer that wrote the visible version).
    pub by_layer: Vec<(usize, u64)>,
    /// Largest paths, biggest first (at most [`TOP_PATHS`]).
    pub top: Vec<(NodeId, u64)>,
}

pub const TOP_PATHS: usize = 10;

/// Trim candidates among the visible files of `tree`, biggest category first.
pub fn candidates(tree: &FileTree) -> Vec<CategoryTotal> {
    let mut totals: HashMap<Category, CategoryTotal> = HashMap::new();
    tree.walk_paths(|node, path| {
        let Some(v) = tree.live_final(node) else {
            return;
        };
        if v.kind != EntryKind::File || v.size == 0 {
            return;
        }
        let Some(category) = categorize(path) else {
            return;
        };
        let t = totals.entry(category).or_insert_with(|| CategoryTotal {
            category,
            bytes: 0,
            files: 0,
            by_layer: Vec::new(),
            top: Vec::new(),
        });
        t.bytes += v.size;
        t.files += 1;
        let layer = v.layer as usize;
        match t.by_layer.iter_mut().find(|(l, _)| *l == layer) {
            Some((_, b)) => *b += v.size,
            None => t.by_layer.push((layer, v.size)),
        }
        t.top.push((node, v.size));
        if t.top.len() > 4 * TOP_PATHS {
            t.top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            t.top.truncate(TOP_PATHS);
        }
    });
    let mut out: Vec<CategoryTotal> = totals
        .into_values()
        .map(|mut t| {
            t.top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            t.top.truncate(TOP_PATHS);
            t.by_layer.sort();
            t
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.category.cmp(&b.category)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        let cases = [
            (
                "/var/cache/apt/archives/curl.deb",
                Some(Category::PackageCache),
            ),
            (
                "/var/lib/apt/lists/deb.debian.org_dists",
                Some(Category::PackageCache),
            ),
            (
                "/root/.cache/pip/wheels/x.whl",
                Some(Category::PackageCache),
            ),
            ("/usr/share/doc/curl/copyright", Some(Category::Docs)),
            (
                "/usr/share/locale/de/LC_MESSAGES/x.mo",
                Some(Category::Docs),
            ),
            ("/usr/include/stdio.h", Some(Category::Headers)),
            ("/usr/lib/x86_64-linux-gnu/libc.a", Some(Category::Headers)),
            ("/usr/bin/gcc-12", Some(Category::Toolchain)),
            ("/usr/bin/x86_64-linux-gnu-gcc-12", None),
            ("/usr/bin/x86_64-linux-gnu-gcc", Some(Category::Toolchain)),
            (
                "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
                Some(Category::Toolchain),
            ),
            (
                "/app/__pycache__/main.cpython-311.pyc",
                Some(Category::PythonBytecode),
            ),
            ("/app/.git/objects/pack/x.pack", Some(Category::Vcs)),
            (
                "/usr/lib/python3/dist-packages/numpy/tests/test_x.py",
                Some(Category::Tests),
            ),
            (
                "/usr/lib/debug/.build-id/ab/cd.debug",
                Some(Category::DebugSymbols),
            ),
            ("/tmp/build.log", Some(Category::Temp)),
            ("/usr/bin/busybox", None),
            ("/app/server", None),
            ("/usr/bin/cargo-make", None),
        ];
        for (path, want) in cases {
            assert_eq!(categorize(path), want, "{path}");
        }
    }
}

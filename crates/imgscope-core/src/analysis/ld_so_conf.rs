//! The loader's configuration: the directories `/etc/ld.so.conf` names, following its `include`
//! globs. Apart from the closure so that it can be read over any file system — the image's merged
//! tree in the closure, a map of files in the fuzz target — and bounded the same way in both: the
//! file is an image's, so hostile (it may include itself, hold a million lines, or include a
//! directory of a million names on every line).

use hashbrown::{HashMap, HashSet};

/// `ld.so.conf` files read at most (each once).
pub const MAX_CONF_FILES: usize = 256;

/// Distinct directories kept, and the longest path a line or an `include` may name (Linux's
/// `PATH_MAX`).
pub const MAX_DIRS: usize = 1024;
pub const PATH_MAX: usize = 4096;

/// What reading `ld.so.conf` needs of a file system.
pub trait ConfFiles {
    /// The text of the regular file at `path` (links followed), with an identity that is the same
    /// for every path to that file; `None` when there is none or its text was not kept.
    fn file(&self, path: &str) -> Option<(u64, &[u8])>;
    /// The names in the directory at `dir` (links followed); `None` when it is not a directory.
    fn names(&self, dir: &str) -> Option<Vec<&str>>;
}

/// The directories `/etc/ld.so.conf` names, in order, following its `include` globs (in one
/// directory, as Debian's `include /etc/ld.so.conf.d/*.conf`): each file read once however often
/// it is included, at most [`MAX_CONF_FILES`] files and [`MAX_DIRS`] distinct directories; globs
/// match in linear time. Every file looked up, `include` line and name matched costs one of
/// `lookups`, and reading stops where they reach `budget`.
pub fn directories(files: &impl ConfFiles, lookups: &mut usize, budget: usize) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    let mut dir_seen: HashSet<String> = HashSet::new();
    let mut pending = vec!["/etc/ld.so.conf".to_string()];
    let mut read: HashSet<u64> = HashSet::new();
    let mut matchers = MatcherCache::default();
    while let Some(file) = pending.pop() {
        if read.len() >= MAX_CONF_FILES || *lookups >= budget {
            break;
        }
        *lookups += 1;
        let Some((id, text)) = files.file(&file) else {
            continue;
        };
        if !read.insert(id) {
            continue;
        }
        for line in String::from_utf8_lossy(text).lines() {
            if *lookups >= budget {
                break;
            }
            let line = line.split('#').next().unwrap_or("").trim();
            if let Some(pattern) = line.strip_prefix("include") {
                *lookups += 1;
                let pattern = pattern.trim();
                if pattern.len() > PATH_MAX || pending.len() >= MAX_CONF_FILES * 4 {
                    continue;
                }
                let (dir, glob) = pattern.rsplit_once('/').unwrap_or(("/etc", pattern));
                let Some(matcher) = matchers.get(glob) else {
                    continue;
                };
                let Some(all) = files.names(dir) else {
                    continue;
                };
                *lookups += all.len();
                let mut names: Vec<&str> = all
                    .into_iter()
                    .filter(|n| matcher.is_match(n))
                    .take(MAX_CONF_FILES)
                    .collect();
                names.sort_unstable();
                // Popped from the end: push in reverse to read them in order.
                pending.extend(names.into_iter().rev().map(|n| format!("{dir}/{n}")));
                pending.truncate(MAX_CONF_FILES * 4);
            } else if line.starts_with('/')
                && line.len() <= PATH_MAX
                && dirs.len() < MAX_DIRS
                && dir_seen.insert(line.to_string())
            {
                dirs.push(line.to_string());
            }
        }
    }
    dirs
}

/// An `include` glob of one directory's names (`*`, `?`, `[…]`), matched in linear time; `None`
/// for one that does not parse.
fn glob_matcher(glob: &str) -> Option<NameMatcher> {
    if !glob.contains(['*', '?', '[', '{', '\\']) {
        return Some(NameMatcher::Literal(glob.to_string()));
    }
    globset::GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .ok()
        .map(|g| NameMatcher::Glob(g.compile_matcher()))
}

/// A compiled `include` pattern: a plain name compares as a string, anything else is a glob.
#[derive(Clone)]
enum NameMatcher {
    Literal(String),
    Glob(globset::GlobMatcher),
}

impl NameMatcher {
    fn is_match(&self, name: &str) -> bool {
        match self {
            NameMatcher::Literal(literal) => literal == name,
            NameMatcher::Glob(glob) => glob.is_match(name),
        }
    }
}

/// Distinct `include` globs compiled in one reading, at most. A real configuration has one or
/// two (`include /etc/ld.so.conf.d/*.conf`); a hostile one of 100,000 different globs took 3 s to
/// compile (a regex each). Past it, a new glob is not followed, as one that does not parse.
pub const MAX_PATTERNS: usize = 64;

/// Compiled `include` patterns by their text, so that a repeated line costs a lookup rather than
/// a glob compilation, at most [`MAX_PATTERNS`] of them; a plain name needs no compilation.
#[derive(Default)]
struct MatcherCache {
    by_glob: HashMap<String, Option<NameMatcher>>,
}

impl MatcherCache {
    fn get(&mut self, glob: &str) -> Option<NameMatcher> {
        if let Some(found) = self.by_glob.get(glob) {
            return found.clone();
        }
        let plain = !glob.contains(['*', '?', '[', '{', '\\']);
        if !plain && self.by_glob.len() >= MAX_PATTERNS {
            return None;
        }
        let matcher = glob_matcher(glob);
        if !plain {
            self.by_glob.insert(glob.to_string(), matcher.clone());
        }
        matcher
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Files by path (an identity each: its index) and directories by their names.
    #[derive(Default)]
    struct Map {
        files: BTreeMap<String, Vec<u8>>,
    }

    impl ConfFiles for Map {
        fn file(&self, path: &str) -> Option<(u64, &[u8])> {
            let i = self.files.keys().position(|k| k == path)?;
            Some((i as u64, &self.files[path]))
        }
        fn names(&self, dir: &str) -> Option<Vec<&str>> {
            let prefix = format!("{dir}/");
            let names: Vec<&str> = self
                .files
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|n| !n.contains('/'))
                .collect();
            (!names.is_empty()).then_some(names)
        }
    }

    fn map(files: &[(&str, &str)]) -> Map {
        Map {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn globs_match_one_directory_s_names() {
        let m = |g: &str, n: &str| glob_matcher(g).is_some_and(|m| m.is_match(n));
        assert!(m("*.conf", "x86_64-linux-gnu.conf"));
        assert!(!m("*.conf", "x.conf.bak"));
        assert!(m("lib*.so*", "libc.so.6"));
        assert!(m("exact", "exact"));
        assert!(!m("exact", "exactly"));
        assert!(!m("exact", "Exact"));
        assert!(!m("*.conf", ".con"));
        // A cached pattern answers as a fresh one, a bad one stays refused.
        let mut cache = MatcherCache::default();
        for _ in 0..2 {
            assert!(cache.get("*.conf").is_some_and(|m| m.is_match("a.conf")));
            assert!(cache.get("[").is_none());
            assert!(
                cache
                    .get("plain.conf")
                    .is_some_and(|m| m.is_match("plain.conf"))
            );
        }
        // Globs are kept (a bad one too: it is not compiled twice); plain names need nothing.
        assert_eq!(cache.by_glob.len(), 2);
    }

    #[test]
    fn includes_are_read_in_name_order_and_directories_once() {
        let files = map(&[
            (
                "/etc/ld.so.conf",
                "include /etc/ld.so.conf.d/*.conf\n/opt/lib # end\n",
            ),
            ("/etc/ld.so.conf.d/b.conf", "/usr/local/lib\n/opt/lib\n"),
            ("/etc/ld.so.conf.d/a.conf", "/usr/lib/x86_64-linux-gnu\n"),
            ("/etc/ld.so.conf.d/c.txt", "/nope\n"),
        ]);
        let mut lookups = 0;
        let dirs = directories(&files, &mut lookups, usize::MAX);
        assert_eq!(
            dirs,
            ["/opt/lib", "/usr/lib/x86_64-linux-gnu", "/usr/local/lib"]
        );
    }

    #[test]
    fn every_include_line_and_name_it_matches_is_charged_to_the_budget() {
        // One file of 100,000 lines, each including a directory of 1,000 names the glob never
        // matches (so nothing is queued): without a charge per line and per name, 10^8 glob
        // matches for one lookup.
        let conf = "include /big/*.conf\n".repeat(100_000);
        let mut files = map(&[("/etc/ld.so.conf", &conf)]);
        for i in 0..1000 {
            files
                .files
                .insert(format!("/big/{i}"), b"/lib/x\n".to_vec());
        }
        let mut lookups = 0;
        let dirs = directories(&files, &mut lookups, 200_000);
        assert!((200_000..=201_001).contains(&lookups), "{lookups}");
        assert!(dirs.is_empty());
    }

    #[test]
    fn distinct_include_patterns_are_compiled_at_most_max_patterns_times() {
        // A hostile ld.so.conf of 100,000 lines, each a different glob: compiling each took 3 s
        // in a release build (globset builds a regex per glob). Only the first MAX_PATTERNS
        // distinct patterns are compiled; later new ones are not followed.
        let mut cache = MatcherCache::default();
        for i in 0..MAX_PATTERNS {
            assert!(cache.get(&format!("x{i}*[ab].conf")).is_some(), "{i}");
        }
        assert!(cache.get("past-the-cap*.conf").is_none());
        // Patterns already compiled, and plain names (no compilation), still answer.
        assert!(cache.get("x0*[ab].conf").is_some());
        assert!(cache.get("libc.conf").is_some());
        // Through `directories`: the include on the first line is followed, one after
        // MAX_PATTERNS other distinct patterns is not.
        let mut conf: String = "include /etc/ld.so.conf.d/first*.conf\n".into();
        for i in 0..MAX_PATTERNS {
            conf.push_str(&format!("include /etc/ld.so.conf.d/x{i}*[ab].conf\n"));
        }
        conf.push_str("include /etc/ld.so.conf.d/late*.conf\n");
        let files = map(&[
            ("/etc/ld.so.conf", &conf),
            ("/etc/ld.so.conf.d/first.conf", "/lib/first\n"),
            ("/etc/ld.so.conf.d/late.conf", "/lib/late\n"),
        ]);
        let mut lookups = 0;
        assert_eq!(directories(&files, &mut lookups, 200_000), ["/lib/first"]);
    }
}

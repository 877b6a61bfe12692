//! Bytes → `imgscope::analysis::ld_so_conf::directories`: `/etc/ld.so.conf` and the files it
//! includes, held in a map of files. The files are an image's, so hostile (self-includes, a
//! million lines, an `include` of a huge directory on every line): reading must not panic, what it
//! returns stays within the module's caps (at most `MAX_DIRS` distinct absolute directories, none
//! longer than `PATH_MAX`), and the work stays within the lookup budget, overshooting it by at most
//! one directory's names.
//!
//! The input is a list of documents separated by a line `---`. The first is `/etc/ld.so.conf`;
//! every other one is a file whose first line is its path (one not starting with `/` is in
//! `/etc/ld.so.conf.d/`, so `include /etc/ld.so.conf.d/*.conf` finds `x.conf`) and the rest its
//! text. A first line `PATH -> TARGET` makes PATH a link to the file TARGET (the same file:
//! the same identity). Directories are the parents of the files' paths.

#![no_main]

use std::collections::{BTreeSet, HashMap, HashSet};

use imgscope::analysis::ld_so_conf::{ConfFiles, MAX_DIRS, PATH_MAX, directories};
use libfuzzer_sys::fuzz_target;

const BUDGET: usize = 200_000;

/// Files by path (an identity each: the index of the document that holds its text) and
/// directories by their names.
#[derive(Default)]
struct Map {
    files: HashMap<String, (u64, Vec<u8>)>,
    dirs: HashMap<String, BTreeSet<String>>,
}

impl Map {
    fn add(&mut self, path: &str, id: u64, text: Vec<u8>) {
        if self.files.contains_key(path) {
            return;
        }
        self.files.insert(path.to_string(), (id, text));
        // Every parent is a directory naming the next component (`/x` is in the directory ``,
        // as `include /x` splits it).
        let mut child = path;
        while let Some((dir, name)) = child.rsplit_once('/') {
            let added = self
                .dirs
                .entry(dir.to_string())
                .or_default()
                .insert(name.to_string());
            if !added || dir.is_empty() {
                break;
            }
            child = dir;
        }
    }

    fn largest_dir(&self) -> usize {
        self.dirs.values().map(BTreeSet::len).max().unwrap_or(0)
    }
}

impl ConfFiles for Map {
    fn file(&self, path: &str) -> Option<(u64, &[u8])> {
        self.files
            .get(path)
            .map(|(id, text)| (*id, text.as_slice()))
    }
    fn names(&self, dir: &str) -> Option<Vec<&str>> {
        self.dirs
            .get(dir)
            .map(|names| names.iter().map(String::as_str).collect())
    }
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut docs = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(5).position(|w| w == b"\n---\n") {
        docs.push(&rest[..at]);
        rest = &rest[at + 5..];
    }
    docs.push(rest);
    docs
}

fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/etc/ld.so.conf.d/{path}")
    }
}

fuzz_target!(|data: &[u8]| {
    let docs = split(data);
    let mut map = Map::default();
    map.add("/etc/ld.so.conf", 0, docs[0].to_vec());
    let mut links: Vec<(String, String)> = Vec::new();
    for (i, doc) in docs.iter().enumerate().skip(1) {
        let (first, text) = match doc.iter().position(|&b| b == b'\n') {
            Some(at) => (&doc[..at], &doc[at + 1..]),
            None => (&doc[..], &[][..]),
        };
        let first = String::from_utf8_lossy(first);
        if let Some((path, target)) = first.split_once(" -> ") {
            links.push((absolute(path.trim()), absolute(target.trim())));
        } else {
            map.add(&absolute(first.trim()), i as u64, text.to_vec());
        }
    }
    // Links last, to files already there (a link to a link is followed once, in order).
    for (path, target) in links {
        if let Some((id, text)) = map.files.get(&target).cloned() {
            map.add(&path, id, text);
        }
    }

    let mut lookups = 0;
    let dirs = directories(&map, &mut lookups, BUDGET);
    assert!(dirs.len() <= MAX_DIRS, "{} directories", dirs.len());
    let mut seen = HashSet::new();
    for d in &dirs {
        assert!(d.starts_with('/'), "{d:?}");
        assert!(d.len() <= PATH_MAX, "{} bytes", d.len());
        assert!(seen.insert(d.as_str()), "{d:?} twice");
    }
    let largest = map.largest_dir();
    assert!(
        lookups <= BUDGET + largest + 1,
        "{lookups} lookups, largest directory {largest}"
    );
});

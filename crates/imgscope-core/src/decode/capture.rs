//! What a layer's decoding keeps of file contents, for the analyses that read files of the image
//! itself: the package databases and the loader's configuration, whole (dpkg's status,
//! `status.d/`, `info/*.list` and diversions; apk's installed database; rpm's `rpmdb.sqlite`; Python's `RECORD` and
//! `installed-files.txt`, npm's `node_modules/*/package.json`, as
//! [`crate::packages::language::record_kind`] names them; `/etc/ld.so.conf` and the files it
//! includes); of every executable or shared-object-named file that is ELF, its dynamic
//! linking facts ([`super::elf`]); of every executable script, its `#!` line. Everything else
//! streams past. Bounded: a kept text file is at most [`MAX_TEXT_BYTES`], a layer keeps at most
//! [`MAX_LAYER_TEXT_BYTES`] of text in all (a file over either bound is left out), an ELF summary
//! is bounded by [`super::elf`], a `#!` line by [`MAX_SHEBANG_BYTES`].

use super::elf::ElfCapture;
use crate::model::Captured;

/// The longest `#!` line kept.
pub const MAX_SHEBANG_BYTES: usize = 256;

/// The largest package-database file kept.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;
/// All package-database files of one layer together.
pub const MAX_LAYER_TEXT_BYTES: u64 = 256 << 20;

/// Whether the file at `path` (normalized: relative to `/`) is a text file to keep: a package
/// database's ([`crate::packages::is_database_file`]), or the loader's configuration.
pub fn wants_text(path: &str) -> bool {
    if path == "etc/ld.so.conf" {
        return true;
    }
    if let Some(name) = path.strip_prefix("etc/ld.so.conf.d/") {
        return !name.contains('/') && name.ends_with(".conf");
    }
    crate::packages::is_database_file(path)
}

/// The capture budget of one layer.
#[derive(Debug)]
pub struct Budget {
    text_left: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            text_left: MAX_LAYER_TEXT_BYTES,
        }
    }
}

/// Whether a file may be a program or a library the runtime closure follows: executable by
/// someone, or named like a shared object.
pub fn wants_program(path: &str, mode: u32) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    mode & 0o111 != 0 || name.contains(".so")
}

/// One file being kept as its bytes stream past.
#[derive(Debug)]
pub enum FileCapture {
    Text(Vec<u8>),
    /// A possible program: ELF facts, or the `#!` line of a script (the first bytes tell).
    Program {
        elf: ElfCapture,
        head: Vec<u8>,
    },
}

impl FileCapture {
    /// Start keeping the regular file at `path` (mode `mode`, `size` bytes), if it is wanted and
    /// fits.
    pub fn start(path: &str, mode: u32, size: u64, budget: &mut Budget) -> Option<FileCapture> {
        if wants_text(path) {
            if size > MAX_TEXT_BYTES || size > budget.text_left {
                return None;
            }
            budget.text_left -= size;
            return Some(FileCapture::Text(Vec::with_capacity(size as usize)));
        }
        (wants_program(path, mode) && size >= 4).then(|| FileCapture::Program {
            elf: ElfCapture::new(size),
            head: Vec::new(),
        })
    }

    /// The next bytes of the file, in order.
    pub fn feed(&mut self, chunk: &[u8]) {
        match self {
            FileCapture::Text(text) => text.extend_from_slice(chunk),
            FileCapture::Program { elf, head } => {
                if head.len() < MAX_SHEBANG_BYTES {
                    let take = (MAX_SHEBANG_BYTES - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                }
                if elf.wants_more() {
                    elf.feed(chunk);
                }
            }
        }
    }

    /// Whether more bytes can still change what is kept.
    pub fn wants_more(&self) -> bool {
        match self {
            FileCapture::Text(_) => true,
            FileCapture::Program { elf, head } => {
                let script_line_open = head.len() < 2
                    || (head.starts_with(b"#!")
                        && head.len() < MAX_SHEBANG_BYTES
                        && !head.contains(&b'\n'));
                elf.wants_more() || script_line_open
            }
        }
    }

    pub fn finish(self) -> Option<Captured> {
        match self {
            FileCapture::Text(text) => Some(Captured::Text(text.into_boxed_slice())),
            FileCapture::Program { elf, head } => {
                if let Some(info) = elf.finish() {
                    return Some(Captured::Elf(info));
                }
                shebang(&head).map(Captured::Shebang)
            }
        }
    }
}

/// The `#!` line of a file that starts with one (without `#!`, trimmed), if it ends within
/// [`MAX_SHEBANG_BYTES`].
pub fn shebang(head: &[u8]) -> Option<String> {
    let rest = head.strip_prefix(b"#!")?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    let line = String::from_utf8_lossy(&rest[..end]).trim().to_string();
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_databases_are_wanted_and_nothing_else() {
        for p in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/diversions",
            "var/lib/dpkg/info/libc6:amd64.list",
            "var/lib/dpkg/status.d/base-files",
            "lib/apk/db/installed",
            "etc/ld.so.conf",
            "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
            "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/RECORD",
            "app/node_modules/left-pad/package.json",
        ] {
            assert!(wants_text(p), "{p}");
        }
        for p in [
            "var/lib/dpkg/status-old",
            "var/lib/dpkg/info/libc6:amd64.md5sums",
            "var/lib/dpkg/info/x/y.list",
            "var/lib/dpkg/status.d/",
            "usr/bin/ls",
            "etc/dpkg/status",
            "app/package.json",
        ] {
            assert!(!wants_text(p), "{p}");
        }
    }

    #[test]
    fn the_budget_bounds_a_layer() {
        let mut budget = Budget { text_left: 100 };
        assert!(FileCapture::start("var/lib/dpkg/status", 0o644, 60, &mut budget).is_some());
        assert!(FileCapture::start("var/lib/dpkg/diversions", 0o644, 60, &mut budget).is_none());
        assert!(FileCapture::start("var/lib/dpkg/diversions", 0o644, 40, &mut budget).is_some());
        assert!(FileCapture::start("usr/share/doc/x", 0o644, 10, &mut budget).is_none());
        assert!(FileCapture::start("usr/bin/ls", 0o755, 10, &mut budget).is_some());
        assert!(FileCapture::start("usr/lib/libz.so.1", 0o644, 10, &mut budget).is_some());
    }

    #[test]
    fn scripts_keep_their_shebang_line() {
        let mut budget = Budget::default();
        let mut c = FileCapture::start("usr/bin/run", 0o755, 40, &mut budget).unwrap();
        c.feed(b"#!/usr/bin/env ");
        c.feed(b"python3 -u\nimport sys\n");
        assert!(!c.wants_more());
        assert_eq!(
            c.finish(),
            Some(Captured::Shebang("/usr/bin/env python3 -u".into()))
        );
        let mut c = FileCapture::start("usr/bin/data", 0o755, 40, &mut budget).unwrap();
        c.feed(b"plain text, not a program\n");
        assert!(!c.wants_more());
        assert_eq!(c.finish(), None);
        // A line that does not end within the bound is no shebang.
        assert_eq!(shebang(&[b"#!".as_slice(), &[b'x'; 300]].concat()), None);
    }
}

//! What every on-disk cache of imgscope's (the registry's blob cache, the analysed-layer cache)
//! does the same way, below both the sources and the pipeline that own them: emptying a cache
//! directory for `imgscope cache prune`, and partial files.
//!
//! An entry is written to a partial file (`.partial-…`) in its cache directory and renamed into
//! place once whole. While it is written, its writer holds an exclusive `flock` on it, so a dead
//! writer's partial file (killed, however) is told from a live one's: the lock is gone with the
//! process. [`remove_dead_partials`] removes the dead ones (each cache calls it before it writes),
//! and this process's own are removed on SIGTERM and SIGINT ([`remove_own_partials`], called by
//! the binary's signal handling).

use std::collections::HashSet;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The prefix of every partial file.
pub const PARTIAL_PREFIX: &str = ".partial-";

/// This process's partial files being written.
static OWN_PARTIALS: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn own(f: impl FnOnce(&mut HashSet<PathBuf>)) {
    let mut guard = OWN_PARTIALS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(guard.get_or_insert_with(HashSet::new));
}

/// Remove this process's partial files (on SIGTERM or SIGINT, before it dies of it). Returns how
/// many were removed.
pub fn remove_own_partials() -> usize {
    let mut removed = 0;
    own(|set| {
        for p in set.drain() {
            if std::fs::remove_file(&p).is_ok() {
                removed += 1;
            }
        }
    });
    removed
}

/// Take `how` (a non-blocking try) on `file`; whether it was granted.
#[allow(unsafe_code)] // flock(2): std has no advisory lock that goes with the process.
fn flock(file: &std::fs::File, how: libc::c_int) -> bool {
    // SAFETY: flock only reads a descriptor `file` keeps open for the call.
    unsafe { libc::flock(file.as_raw_fd(), how | libc::LOCK_NB) == 0 }
}

/// Whether `path` still names `file` (the same inode).
fn still_names(path: &Path, file: &std::fs::File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// A partial file being written, locked and known to this process until it is renamed into place
/// ([`Partial::persist`]) or dropped (removed).
pub struct Partial {
    /// Always `Some` until [`Partial::persist`] takes it.
    tmp: Option<tempfile::NamedTempFile>,
}

impl Partial {
    /// A new partial file in `dir` (which must exist), locked.
    pub fn new_in(dir: &Path) -> io::Result<Partial> {
        for _ in 0..8 {
            let tmp = tempfile::Builder::new()
                .prefix(PARTIAL_PREFIX)
                .tempfile_in(dir)?;
            // Between its creation and the lock, another process's sweep may have taken it for a
            // dead writer's and removed it: then another one.
            if flock(tmp.as_file(), libc::LOCK_EX) && still_names(tmp.path(), tmp.as_file()) {
                own(|set| {
                    set.insert(tmp.path().to_path_buf());
                });
                return Ok(Partial { tmp: Some(tmp) });
            }
        }
        Err(io::Error::other(format!(
            "could not hold a partial file in {}",
            dir.display()
        )))
    }

    /// The file, to write to (`None` only once persisted, which takes it).
    pub fn file(&mut self) -> Option<&mut std::fs::File> {
        self.tmp.as_mut().map(|t| t.as_file_mut())
    }

    /// Where it is.
    pub fn path(&self) -> Option<&Path> {
        self.tmp.as_ref().map(|t| t.path())
    }

    /// Rename it to `path`.
    pub fn persist(mut self, path: &Path) -> io::Result<()> {
        let Some(tmp) = self.tmp.take() else {
            return Err(io::Error::other("partial file already persisted"));
        };
        let temp = tmp.path().to_path_buf();
        let result = tmp.persist(path).map(|_| ()).map_err(|e| e.error);
        own(|set| {
            set.remove(&temp);
        });
        result
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(tmp) = &self.tmp {
            own(|set| {
                set.remove(tmp.path());
            });
        }
    }
}

/// Partial files in a directory: (live, dead), each (files, bytes). Live ones are held by a
/// writer now; dead ones were left by one that died.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Partials {
    pub live: (u64, u64),
    pub dead: (u64, u64),
}

/// Count the partial files of `dir`, removing the dead ones if `remove`.
fn sweep(dir: &Path, remove: bool) -> Partials {
    let mut out = Partials::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(PARTIAL_PREFIX)
        {
            continue;
        }
        let path = entry.path();
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        let Ok(meta) = file.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        if flock(&file, libc::LOCK_EX) {
            // No writer holds it: its writer is dead (the lock goes with the process).
            if remove && still_names(&path, &file) {
                let _ = std::fs::remove_file(&path);
            }
            out.dead.0 += 1;
            out.dead.1 += meta.len();
        } else {
            out.live.0 += 1;
            out.live.1 += meta.len();
        }
    }
    out
}

/// The partial files of `dir`, live and dead.
pub fn partials_in(dir: &Path) -> Partials {
    sweep(dir, false)
}

/// Remove the partial files of `dir` that no live writer holds; returns what was found (the dead
/// ones, removed, and the live ones, left).
pub fn remove_dead_partials(dir: &Path) -> Partials {
    sweep(dir, true)
}

static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Say once a run that a cache could not be written (a full disk, a read-only directory): the run
/// goes on without it, its report unchanged.
pub fn warn_unwritable(dir: &Path, err: &dyn std::fmt::Display) {
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "imgscope: warning: cannot write to the cache in {} ({err}): going on without it (`imgscope cache prune` empties it; `--no-cache` runs without it)",
            dir.display()
        );
    }
}

/// Whether a file name is a partial file's.
pub fn is_partial(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with(PARTIAL_PREFIX)
}

/// Remove every file in `dir` (a missing directory holds nothing) but partial files, which
/// [`remove_dead_partials`] removes when they are dead. Returns (files, bytes) removed.
pub fn remove_files_in(dir: &Path) -> std::io::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok((0, 0));
    };
    for entry in entries {
        let entry = entry?;
        if is_partial(&entry.file_name()) {
            continue;
        }
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        std::fs::remove_file(entry.path())?;
        files += 1;
        bytes += meta.len();
    }
    Ok((files, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_dead_writers_partial_is_removed_a_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut live = Partial::new_in(dir.path()).unwrap();
        live.file().unwrap().write_all(b"abc").unwrap();
        // A partial file no one holds: a dead writer's.
        std::fs::write(dir.path().join(".partial-dead"), b"12345").unwrap();
        assert_eq!(
            partials_in(dir.path()),
            Partials {
                live: (1, 3),
                dead: (1, 5)
            }
        );
        let found = remove_dead_partials(dir.path());
        assert_eq!(found.dead, (1, 5));
        assert!(!dir.path().join(".partial-dead").exists());
        assert_eq!(partials_in(dir.path()).live, (1, 3));
        // This process's own go on a signal.
        let path = live.path().unwrap().to_path_buf();
        assert!(path.exists());
        assert!(remove_own_partials() >= 1);
        assert!(!path.exists());
        drop(live);
        // Persisted: in place, no longer a partial.
        let p = Partial::new_in(dir.path()).unwrap();
        p.persist(&dir.path().join("entry")).unwrap();
        assert!(dir.path().join("entry").exists());
        assert_eq!(partials_in(dir.path()), Partials::default());
    }
}

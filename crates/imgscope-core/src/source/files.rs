//! Named files inside an image container — a tar archive (indexed once, then read by seeking) or
//! a directory — behind one trait, so the docker and OCI resolvers work the same on both.
//!
//! Every `open` gets its own file handle, so layers can be decoded in parallel. Paths given by
//! manifests are untrusted: they are normalized, and a path that would leave the archive or the
//! layout directory is refused.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::decode::Limits;
use crate::decode::guard::{HeaderBudget, LimitError};

/// The largest manifest, index or config file read into memory.
pub const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;
/// The most entries an image archive (the outer tar) may have.
pub const MAX_ARCHIVE_ENTRIES: usize = 1_000_000;
/// The most bytes a compressed image archive (`docker save | gzip`) may inflate to: it is
/// decompressed to a temporary file before it is read.
pub const MAX_ARCHIVE_BYTES: u64 = 256 << 30;
/// The most bytes of the entry names (and link targets) of an image archive kept in memory: a
/// real one has a few hundred short names; a crafted one of a million long names must not take
/// gigabytes.
pub const MAX_ARCHIVE_NAMES_BYTES: u64 = 64 << 20;

/// The file at `path`, read whole if it holds at most `cap` bytes (a store's records are
/// untrusted input: a file larger than any real one is refused, not read). Only a regular file is
/// read: it is checked before the open, opened non-blocking (a FIFO swapped in after the check does
/// not block the open), and checked again on the open file, so a FIFO, a device or a socket in
/// place of a record fails at once instead of blocking a read or never ending one.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let what = || path.display().to_string();
    must_be_regular(path)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(what)?;
    if !file.metadata().with_context(what)?.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    let mut out = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .with_context(what)?;
    if out.len() as u64 > cap {
        bail!("{} is more than {cap} bytes", path.display());
    }
    Ok(out)
}

/// Refuse anything but a regular file at `path` (following symlinks).
pub fn must_be_regular(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).with_context(|| path.display().to_string())?;
    if !meta.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    Ok(())
}

/// The bytes of an image archive's entry names kept so far, checked against
/// [`MAX_ARCHIVE_NAMES_BYTES`].
#[derive(Default)]
pub struct OuterNames(u64);

impl OuterNames {
    pub fn add(&mut self, name: &str) -> Result<()> {
        self.0 = self.0.saturating_add(name.len() as u64);
        if self.0 > MAX_ARCHIVE_NAMES_BYTES {
            bail!(
                "the archive's entry names add up to more than {MAX_ARCHIVE_NAMES_BYTES} bytes \
                 (the limit)"
            );
        }
        Ok(())
    }
}

/// Free space a spooled archive must leave on its file system.
pub const SPOOL_MIN_FREE_BYTES: u64 = 1 << 30;

/// A temporary copy of an archive (decompressed), kept while its image is: dropping it frees it.
pub struct Spool {
    pub file: File,
    /// Its name, where it has one (no `/proc`): removed on drop.
    _named: Option<tempfile::TempPath>,
}

/// A temporary file in `dir` for a decompressed archive that never has a name (`O_TMPFILE`): the
/// kernel frees it when this process ends, however it ends (an error, Ctrl-C, SIGTERM, even
/// SIGKILL), so nothing is ever left behind. It is reopened through `/proc/self/fd/N`, the path
/// returned with it. Where there is no `/proc`, it is a named file removed on drop (and on normal
/// exits only).
pub fn anonymous_spool(dir: &Path) -> io::Result<(Spool, PathBuf)> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(dir)?;
    if Path::new("/proc/self/fd").is_dir() {
        let file = tempfile::tempfile_in(dir)?;
        let by_fd = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        return Ok((Spool { file, _named: None }, by_fd));
    }
    let (file, named) = tempfile::Builder::new()
        .prefix("archive-")
        .tempfile_in(dir)?
        .into_parts();
    let path = named.to_path_buf();
    Ok((
        Spool {
            file,
            _named: Some(named),
        },
        path,
    ))
}

/// Writes into a spool file, checking every 64 MiB that its file system keeps
/// [`SPOOL_MIN_FREE_BYTES`] free: a decompressed archive may be large, it must not fill the disk.
pub struct SpoolWriter<'f> {
    pub file: &'f mut File,
    /// Where the spool lives, for the message.
    pub dir: &'f Path,
    pub unchecked: u64,
}

impl io::Write for SpoolWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.unchecked >= 64 << 20 {
            self.unchecked = 0;
            check_room(free_bytes(self.file), self.dir)?;
        }
        let n = self.file.write(buf)?;
        self.unchecked += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Free bytes (for unprivileged users) on the file system holding `file`; `None` if unknown.
#[allow(unsafe_code)] // fstatvfs(2): std does not say how much room a file system has.
fn free_bytes(file: &File) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: `statvfs` is plain integers; all zero is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatvfs fills `st` for a valid descriptor, which `file` holds.
    if unsafe { libc::fstatvfs(file.as_raw_fd(), &mut st) } != 0 {
        return None;
    }
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

fn check_room(free: Option<u64>, dir: &Path) -> io::Result<()> {
    match free {
        Some(free) if free < SPOOL_MIN_FREE_BYTES => Err(LimitError::io(format!(
            "decompressing the archive would leave less than {SPOOL_MIN_FREE_BYTES} bytes free in \
             {} (the limit; set TMPDIR, or XDG_CACHE_HOME, to a roomier place)",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// The most bytes of metadata-like files (JSON, files under 512 bytes) kept in memory from an
/// archive read as a stream.
pub const MAX_STREAMED_METADATA_BYTES: u64 = 256 << 20;

pub trait ImageFiles: Send + Sync {
    /// Whether a file exists at `path`.
    fn exists(&self, path: &str) -> bool;
    /// The size of the file at `path`.
    fn size(&self, path: &str) -> Result<u64>;
    /// Stream the file at `path`.
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>>;

    /// Open the file at `path` to release its bytes (`cat`, `export`, the viewer's content view),
    /// which may stop reading anywhere: where the source verifies its bytes against a digest only
    /// once they have all been read (a registry download), they are read and verified whole
    /// before any is returned. Elsewhere: [`ImageFiles::open`].
    fn open_verified(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        self.open(path)
    }

    /// Where the file at `path` lies in a plain file on disk: (file, offset, length). Sources that
    /// have one let uncompressed layers be walked by seeking, without reading file contents.
    fn locate(&self, _path: &str) -> Option<(PathBuf, u64, u64)> {
        None
    }

    /// A key naming the bytes at `path` for the layer-analysis cache, when the source can vouch
    /// for them (a verified digest, or a local file's identity); `None` disables caching.
    fn cache_key(&self, _path: &str) -> Option<String> {
        None
    }

    /// How many blobs are worth reading at once, when it is not the number of cores (a network
    /// source waits on the network more than on the CPU).
    fn preferred_parallelism(&self) -> Option<usize> {
        None
    }

    /// Whether the reader [`ImageFiles::open`] gives checks the bytes against their digest once
    /// read to the end (a registry download, a cached blob): after a decoding error, reading the
    /// rest tells whether the bytes were damaged, which is then the error to report.
    fn verifies_at_end(&self) -> bool {
        false
    }

    /// After a failed read: whether `path` came from a local copy that turned out corrupt and has
    /// been removed, so reading it again is worth a try.
    fn discard_if_corrupt(&self, _path: &str) -> bool {
        false
    }

    /// Read a small (metadata) file whole.
    fn read_small(&self, path: &str) -> Result<Vec<u8>> {
        let size = self.size(path)?;
        if size > MAX_METADATA_BYTES {
            bail!(
                "{path} is {size} bytes, more than the {MAX_METADATA_BYTES}-byte limit for metadata"
            );
        }
        let mut out = Vec::with_capacity(size as usize);
        self.open(path)?.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// Normalize an archive-relative path; `None` if it climbs out of the archive.
pub fn clean_path(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn clean_or_err(path: &str) -> Result<String> {
    clean_path(path).ok_or_else(|| anyhow!("path {path:?} points outside the image"))
}

/// A local file's identity for caching: device, inode, size and modification time. A file
/// rewritten in place gets a new modification time, so stale entries are never read.
fn file_identity(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(format!(
        "file:{}:{}:{}:{}.{}",
        m.dev(),
        m.ino(),
        m.len(),
        m.mtime(),
        m.mtime_nsec()
    ))
}

#[derive(Debug, Clone)]
enum TarItem {
    File { offset: u64, size: u64 },
    Link(String),
}

/// A tar archive indexed by entry name.
pub struct TarFiles {
    path: PathBuf,
    items: HashMap<String, TarItem>,
}

impl TarFiles {
    pub fn index(path: &Path) -> Result<TarFiles> {
        let file = File::open(path)?;
        // Contents are seeked over, never read: all the `tar` crate reads is headers (which it
        // keeps, long names and PAX records included), so the budget is always on.
        let max_header_bytes = Limits::default().max_header_bytes;
        let budget = Cell::new(None);
        let mut archive = tar::Archive::new(HeaderBudget {
            inner: BufReader::with_capacity(64 * 1024, file),
            left: &budget,
            limit: max_header_bytes,
        });
        let mut items = HashMap::new();
        let mut outer_names = OuterNames::default();
        let mut entries = archive
            .entries_with_seek()
            .map_err(|_| anyhow!("not a tar archive"))?;
        loop {
            budget.set(Some(max_header_bytes));
            let Some(entry) = entries.next() else {
                break;
            };
            let entry = entry.map_err(|e| {
                if let Some(limit) = LimitError::from_io(&e) {
                    anyhow!("{limit}")
                } else if e.kind() == io::ErrorKind::UnexpectedEof {
                    anyhow!("truncated archive")
                } else {
                    anyhow!("not a tar archive ({e})")
                }
            })?;
            if items.len() >= MAX_ARCHIVE_ENTRIES {
                bail!("archive has more than {MAX_ARCHIVE_ENTRIES} entries");
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = clean_path(&name) else {
                continue;
            };
            outer_names.add(&name)?;
            let kind = entry.header().entry_type();
            let item = if kind.is_file() || kind == tar::EntryType::Continuous {
                TarItem::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                }
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                // Symlinks are relative to their directory; hardlinks to the archive root.
                let target = if kind.is_symlink() && !target.starts_with('/') {
                    match name.rfind('/') {
                        Some(i) => format!("{}/{}", &name[..i], target),
                        None => target,
                    }
                } else {
                    target
                };
                match clean_path(&target) {
                    Some(t) => {
                        outer_names.add(&t)?;
                        TarItem::Link(t)
                    }
                    None => continue,
                }
            } else {
                continue;
            };
            items.insert(name, item);
        }
        let file_len = std::fs::metadata(path)?.len();
        for item in items.values() {
            if let TarItem::File { offset, size } = item
                && offset.saturating_add(*size) > file_len
            {
                bail!("truncated archive");
            }
        }
        if items.is_empty() {
            bail!("not a tar archive (no entries)");
        }
        Ok(TarFiles {
            path: path.to_path_buf(),
            items,
        })
    }

    fn find(&self, path: &str) -> Result<(u64, u64)> {
        let mut name = clean_or_err(path)?;
        for _ in 0..8 {
            match self.items.get(&name) {
                Some(TarItem::File { offset, size }) => return Ok((*offset, *size)),
                Some(TarItem::Link(target)) => name = target.clone(),
                None => bail!("missing file {path} in the archive"),
            }
        }
        bail!("too many links resolving {path} in the archive")
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(|s| s.as_str())
    }
}

impl ImageFiles for TarFiles {
    fn exists(&self, path: &str) -> bool {
        self.find(path).is_ok()
    }

    fn locate(&self, path: &str) -> Option<(PathBuf, u64, u64)> {
        let (offset, size) = self.find(path).ok()?;
        Some((self.path.clone(), offset, size))
    }

    fn cache_key(&self, path: &str) -> Option<String> {
        let (offset, size) = self.find(path).ok()?;
        Some(format!("{}:{offset}:{size}", file_identity(&self.path)?))
    }

    fn size(&self, path: &str) -> Result<u64> {
        Ok(self.find(path)?.1)
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        let (offset, size) = self.find(path)?;
        let mut file =
            File::open(&self.path).with_context(|| format!("reopening {}", self.path.display()))?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(file.take(size)))
    }
}

/// An OCI layout directory.
pub struct DirFiles {
    root: PathBuf,
    /// `root` with its symlinks resolved: what every file read must stay inside.
    real_root: PathBuf,
}

impl DirFiles {
    pub fn new(root: &Path) -> DirFiles {
        DirFiles {
            root: root.to_path_buf(),
            real_root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        }
    }

    fn joined(&self, path: &str) -> Result<PathBuf> {
        Ok(self.root.join(clean_or_err(path)?))
    }

    /// The file to read for `path`: refused when a symlink in the layout leads out of it.
    fn full(&self, path: &str) -> Result<PathBuf> {
        let joined = self.joined(path)?;
        match std::fs::canonicalize(&joined) {
            Ok(real) if !real.starts_with(&self.real_root) => {
                bail!("path {path:?} points outside the image (through a symlink)")
            }
            Ok(real) => Ok(real),
            // Missing: the caller says so.
            Err(_) => Ok(joined),
        }
    }
}

impl ImageFiles for DirFiles {
    /// Whether something is there; reading it may still be refused (see `full`).
    fn exists(&self, path: &str) -> bool {
        self.joined(path).map(|p| p.is_file()).unwrap_or(false)
    }

    fn locate(&self, path: &str) -> Option<(PathBuf, u64, u64)> {
        let full = self.full(path).ok()?;
        let len = std::fs::metadata(&full).ok()?.len();
        Some((full, 0, len))
    }

    fn cache_key(&self, path: &str) -> Option<String> {
        file_identity(&self.full(path).ok()?)
    }

    fn size(&self, path: &str) -> Result<u64> {
        let full = self.full(path)?;
        let meta = std::fs::metadata(&full).map_err(|_| anyhow!("missing file {path}"))?;
        if !meta.is_file() {
            bail!("{path} is not a file");
        }
        Ok(meta.len())
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        let full = self.full(path)?;
        let file = File::open(&full).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => anyhow!("missing file {path}"),
            _ => anyhow!("{}: {e}", full.display()),
        })?;
        Ok(Box::new(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_stops_before_the_disk_is_full() {
        let dir = Path::new("/tmp/x");
        assert!(check_room(Some(SPOOL_MIN_FREE_BYTES), dir).is_ok());
        assert!(check_room(None, dir).is_ok());
        let err = check_room(Some(SPOOL_MIN_FREE_BYTES - 1), dir).unwrap_err();
        assert!(
            LimitError::from_io(&err).unwrap().0.contains("/tmp/x"),
            "{err}"
        );
    }

    #[test]
    fn a_spool_has_no_name_and_reopens_by_descriptor() {
        use std::io::{Seek, Write};
        let dir = tempfile::tempdir().unwrap();
        let (mut spool, path) = anonymous_spool(dir.path()).unwrap();
        spool.file.write_all(b"spooled").unwrap();
        spool.file.rewind().unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(std::fs::read(&path).unwrap(), b"spooled");
    }

    #[test]
    fn clean_path_refuses_escapes() {
        assert_eq!(
            clean_path("./blobs/sha256/ab").as_deref(),
            Some("blobs/sha256/ab")
        );
        assert_eq!(clean_path("a/../b").as_deref(), Some("b"));
        assert_eq!(clean_path("../etc/passwd"), None);
        assert_eq!(clean_path("/abs").as_deref(), Some("abs"));
    }
}

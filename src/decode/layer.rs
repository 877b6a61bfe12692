//! Walking one layer's tar stream into [`LayerEntries`], streaming: entry contents are read once
//! (hashed when asked, else discarded) and never held. PAX and GNU long names and links come from
//! the `tar` crate; whiteouts, path normalization and the limits that keep a hostile layer bounded
//! are applied here.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use tar::EntryType;

use super::BlobReadError;
use super::compression::decompress;
use super::paths::{Whiteout, normalize, whiteout};
use crate::model::{Compression, EntryKind, LayerEntries, RawEntry};

/// Bounds on what one layer may hold, so a hostile layer ends in an error, not in exhausted memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_path_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 5_000_000,
            max_path_bytes: 16 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// Hash regular files' content (BLAKE3) for duplicate detection.
    pub hash_contents: bool,
    pub limits: Limits,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            hash_contents: true,
            limits: Limits::default(),
        }
    }
}

/// Counts bytes as they pass, into a shared counter (progress) and a local total.
struct Counting<'c, R> {
    inner: R,
    total: u64,
    shared: Option<&'c AtomicU64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if let Some(shared) = self.shared {
            shared.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// A byte range of a file, as a seekable stream of its own.
struct FileSlice {
    file: std::fs::File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Read for FileSlice {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let left = self.len.saturating_sub(self.pos);
        let want = (buf.len() as u64).min(left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.start + self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for FileSlice {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(p) => p as i128,
            io::SeekFrom::Current(d) => self.pos as i128 + d as i128,
            io::SeekFrom::End(d) => self.len as i128 + d as i128,
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = target as u64;
        Ok(self.pos)
    }
}

/// Decode an uncompressed layer stored in a plain file at `path[offset..offset + len]` without
/// reading file contents: headers are read and contents seeked over, and each entry's content
/// offset in `path` is recorded (in [`LayerEntries::data_offsets`]) so that the few files that need
/// hashing can be read later. Returns `None` when the layer is compressed (decode it as a stream).
pub fn decode_plain_layer_at(
    path: &std::path::Path,
    offset: u64,
    len: u64,
    options: &DecodeOptions,
    progress: Option<&AtomicU64>,
) -> Result<Option<LayerEntries>> {
    let file = std::fs::File::open(path)?;
    let mut slice = FileSlice {
        file,
        start: offset,
        len,
        pos: 0,
    };
    let mut head = vec![0u8; 512.min(len as usize)];
    io::Read::read_exact(&mut slice, &mut head)?;
    if super::compression::sniff(&head)? != Compression::None {
        return Ok(None);
    }
    slice.pos = 0;
    let mut layer = LayerEntries::new(Compression::None);
    let mut archive = tar::Archive::new(io::BufReader::with_capacity(16 * 1024, slice));
    let entries = archive.entries_with_seek().context("not a tar stream")?;
    walk_entries(
        entries,
        Content::Locate { base: offset, len },
        options,
        &mut layer,
    )
    .map_err(describe)?;
    layer.blob_bytes = len;
    layer.tar_bytes = len;
    if let Some(p) = progress {
        p.fetch_add(len, Ordering::Relaxed);
    }
    Ok(Some(layer))
}

/// Decode a layer blob (gzip, zstd or plain tar, by magic bytes). `progress` receives the blob
/// bytes read as they are read.
pub fn decode_layer(
    blob: impl Read + Send,
    options: &DecodeOptions,
    progress: Option<&AtomicU64>,
) -> Result<LayerEntries> {
    let mut counted_blob = Counting {
        inner: blob,
        total: 0,
        shared: progress,
    };
    let (compression, tar_stream) = decompress(&mut counted_blob)?;
    let mut counted_tar = Counting {
        inner: tar_stream,
        total: 0,
        shared: None,
    };
    let mut layer = LayerEntries::new(compression);
    walk_tar(&mut counted_tar, options, &mut layer).map_err(describe)?;
    // Drain what follows the end-of-archive blocks, so the byte counts cover the whole blob and a
    // truncated compressed stream is noticed.
    io::copy(&mut counted_tar, &mut io::sink()).map_err(|e| describe(e.into()))?;
    layer.tar_bytes = counted_tar.total;
    drop(counted_tar);
    io::copy(&mut counted_blob, &mut io::sink())?;
    layer.blob_bytes = counted_blob.total;
    Ok(layer)
}

/// Turn low-level I/O errors into what they mean for a layer.
fn describe(err: anyhow::Error) -> anyhow::Error {
    if let Some(io) = err.downcast_ref::<io::Error>() {
        if let Some(source) = BlobReadError::from_io(io) {
            return source.clone().into();
        }
        if io.kind() == io::ErrorKind::UnexpectedEof {
            return anyhow::anyhow!("truncated layer stream ({io})");
        }
    }
    err
}

fn walk_tar(stream: impl Read, options: &DecodeOptions, layer: &mut LayerEntries) -> Result<()> {
    let mut archive = tar::Archive::new(stream);
    let entries = archive.entries().context("not a tar stream")?;
    let content = if options.hash_contents {
        Content::Hash
    } else {
        Content::Skip
    };
    walk_entries(entries, content, options, layer)
}

/// What to do with regular files' contents while walking a layer.
#[derive(Clone, Copy)]
enum Content {
    /// Read and hash them (BLAKE3).
    Hash,
    /// Read past them.
    Skip,
    /// Do not read them: seek past, and record where each one starts in the file that holds the
    /// layer (`base` is the layer's offset there; `len` its length, for bounds).
    Locate { base: u64, len: u64 },
}

fn walk_entries<'a, R: Read + 'a>(
    entries: tar::Entries<'a, R>,
    content: Content,
    options: &DecodeOptions,
    layer: &mut LayerEntries,
) -> Result<()> {
    let mut path = String::new();
    let mut buf = vec![0u8; 64 * 1024];
    for entry in entries {
        let mut entry = entry.map_err(|e| {
            if let Some(source) = BlobReadError::from_io(&e) {
                anyhow::Error::new(source.clone())
            } else if e.kind() == io::ErrorKind::UnexpectedEof {
                anyhow::anyhow!("truncated layer stream")
            } else {
                anyhow::anyhow!("corrupt tar entry: {e}")
            }
        })?;
        if layer.entries.len() >= options.limits.max_entries {
            bail!(
                "layer has more than {} entries (the limit)",
                options.limits.max_entries
            );
        }
        let header = entry.header();
        let kind = match header.entry_type() {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
            EntryType::Directory => EntryKind::Dir,
            EntryType::Symlink => EntryKind::Symlink,
            EntryType::Link => EntryKind::Hardlink,
            EntryType::Char => EntryKind::CharDevice,
            EntryType::Block => EntryKind::BlockDevice,
            EntryType::Fifo => EntryKind::Fifo,
            // Global PAX headers and unknown types carry no filesystem entry.
            _ => continue,
        };
        let raw_path = entry.path_bytes();
        if raw_path.len() > options.limits.max_path_bytes {
            bail!(
                "entry path of {} bytes exceeds the limit of {} bytes",
                raw_path.len(),
                options.limits.max_path_bytes
            );
        }
        normalize(&String::from_utf8_lossy(&raw_path), &mut path);
        let (kind, path_str) = match whiteout(&path) {
            Whiteout::None => (kind, path.clone()),
            Whiteout::File(target) => (EntryKind::Whiteout, target),
            Whiteout::Opaque(dir) => (EntryKind::Opaque, dir.to_string()),
        };
        let link = match kind {
            EntryKind::Symlink | EntryKind::Hardlink => {
                let target = entry.link_name_bytes().unwrap_or_default();
                let target = String::from_utf8_lossy(&target).into_owned();
                let target = if kind == EntryKind::Hardlink {
                    let mut norm = String::new();
                    normalize(&target, &mut norm);
                    norm
                } else {
                    target
                };
                Some(layer.intern(&target))
            }
            _ => None,
        };
        let mode = header.mode().unwrap_or(0);
        let uid = header.uid().unwrap_or(0) as u32;
        let gid = header.gid().unwrap_or(0) as u32;
        let mtime = header.mtime().unwrap_or(0);
        let size = entry.size();
        let hash = if let Content::Locate { base, len } = content {
            let start = entry.raw_file_position();
            if start.saturating_add(size) > len {
                bail!(
                    "truncated layer stream (an entry declares {size} bytes past the layer's end)"
                );
            }
            layer.data_offsets.push(base + start);
            None
        } else if kind == EntryKind::File && size > 0 && matches!(content, Content::Hash) {
            let mut hasher = blake3::Hasher::new();
            let read = copy_counted(&mut entry, &mut buf, |chunk| {
                hasher.update(chunk);
            })?;
            check_complete(read, size)?;
            let digest = hasher.finalize();
            let mut short = [0u8; 16];
            short.copy_from_slice(&digest.as_bytes()[..16]);
            Some(short)
        } else {
            let read = copy_counted(&mut entry, &mut buf, |_| {})?;
            check_complete(read, size)?;
            None
        };
        let path_span = layer.intern(&path_str);
        layer.entries.push(RawEntry {
            path: path_span,
            link,
            kind,
            size: if kind == EntryKind::File { size } else { 0 },
            mode,
            uid,
            gid,
            mtime,
            hash,
        });
    }
    Ok(())
}

fn copy_counted(src: &mut impl Read, buf: &mut [u8], mut sink: impl FnMut(&[u8])) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let n = match src.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        sink(&buf[..n]);
        total += n as u64;
    }
}

fn check_complete(read: u64, size: u64) -> Result<()> {
    if read != size {
        bail!("truncated layer stream (an entry declares {size} bytes, {read} present)");
    }
    Ok(())
}

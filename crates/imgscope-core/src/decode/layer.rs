//! Walking one layer's tar stream into [`LayerEntries`], streaming: entry contents are read once
//! (hashed when asked, else discarded) and never held. PAX and GNU long names and links come from
//! the `tar` crate; whiteouts, path normalization and the limits that keep a hostile layer bounded
//! are applied here.

use std::cell::Cell;
use std::hash::BuildHasher;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use tar::EntryType;

use super::LayerError;
use super::compression::decompress;
use super::guard::{Counted, HeaderBudget, Inflated, LimitError, NamesBudget};
use super::hash_pipe::{Decoding, HashPipe, INLINE_MAX};
use super::paths::{Whiteout, normalize, whiteout};
use crate::model::{Compression, EntryKind, LayerEntries, RawEntry};

/// Bounds on what one layer may hold, so a hostile layer ends in an error, not in exhausted memory
/// or endless work. Documented in docs/limits.md: keep the two in step.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Entries (files, directories, links, whiteouts) in one layer; also the most distinct paths
    /// the layer's entries may name, counting the directories their paths imply (what the layer
    /// adds to the merged tree).
    pub max_entries: usize,
    /// Bytes of one entry's path, or of one link's target.
    pub max_path_bytes: usize,
    /// Directories one entry's path may nest.
    pub max_depth: usize,
    /// Bytes of all the paths and link targets of one layer together.
    pub max_names_bytes: usize,
    /// Bytes the tar walker may read to get from one entry to the next: the header, GNU long name
    /// and link, PAX records and sparse map, which the `tar` crate holds in memory.
    pub max_header_bytes: u64,
    /// Bytes of a layer's tar stream when it is read as a stream (decompressed), and of its
    /// entries' contents (sparse files' holes included).
    pub max_layer_bytes: u64,
    /// How many times its compressed size a layer may inflate to, once past `ratio_grace_bytes`.
    /// Above gzip's ceiling (about 1032:1), so only a zstd stream can reach it: a decompression
    /// bomb, or a layer that is almost only zeros.
    pub max_ratio: u64,
    /// Decompressed bytes a layer may reach before its ratio is checked.
    pub ratio_grace_bytes: u64,
    /// Entries all layers of one image may write together (versions in the merged tree: what
    /// its memory grows with), so that many layers each under `max_entries` cannot add up.
    pub max_image_entries: usize,
    /// Bytes of all layers' tar streams of one image together (decompressed), so that many layers
    /// each under `max_layer_bytes` cannot add up to hours of decompression.
    pub max_image_bytes: u64,
    /// Bytes of the paths and link targets of all layers of one image together (of all layers of
    /// a stream), counted while they decode in parallel: many layers each under
    /// `max_names_bytes` cannot add up in memory.
    pub max_image_names_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 5_000_000,
            // Linux's PATH_MAX: no runtime can create a longer path when it unpacks the layer.
            max_path_bytes: 4096,
            max_depth: 1024,
            // Sized from real images (a few million entries of under 100 bytes of path each), so
            // that absurd names are refused before their memory is spent: 180,000 names of 6,000
            // bytes (a 5 MB archive) held 1.08 GB before the old 1 GiB bound refused them.
            max_names_bytes: 384 << 20,
            max_header_bytes: 1 << 20,
            max_layer_bytes: 64 << 30,
            max_ratio: 2000,
            ratio_grace_bytes: 1 << 30,
            max_image_entries: 20_000_000,
            max_image_bytes: 256 << 30,
            max_image_names_bytes: 384 << 20,
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
    let names = NamesBudget::new(options.limits.max_image_names_bytes, "image");
    decode_plain_layer_within(path, offset, len, options, progress, &names)
}

/// [`decode_plain_layer_at`], the names it keeps taken from the image's `names`.
pub fn decode_plain_layer_within(
    path: &std::path::Path,
    offset: u64,
    len: u64,
    options: &DecodeOptions,
    progress: Option<&AtomicU64>,
    names: &NamesBudget,
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
    let budget = Cell::new(None);
    // No buffering: every header is one 512-byte positioned read, and skipping a file's content
    // is a seek that only moves a number (a buffer would re-read kilobytes after every seek).
    let mut archive = tar::Archive::new(HeaderBudget {
        inner: slice,
        left: &budget,
        limit: options.limits.max_header_bytes,
    });
    let entries = archive.entries_with_seek().context("not a tar stream")?;
    let walked = walk_entries(
        entries,
        &budget,
        Content::Locate { base: offset, len },
        options,
        &mut layer,
        names,
    );
    if let Err(e) = walked {
        names.give_back(layer.text.len() as u64);
        return Err(describe(e));
    }
    let file = archive.into_inner().inner.file;
    capture_located(&file, &mut layer)?;
    // Contents were seeked over: the diff_id needs the whole layer read once more, in large
    // sequential blocks (no tar walk, no inflate).
    // The progress counts the layer as it is hashed: on a layer of a gigabyte or more, this read
    // is the load's longest step, and a count that moved only at its end looked stuck.
    layer.tar_digest = Some(
        sha256_range(&file, offset, len, &mut |n| {
            if let Some(p) = progress {
                p.fetch_add(n, Ordering::Relaxed);
            }
        })
        .map_err(|e| anyhow::anyhow!("truncated layer ({e})"))?,
    );
    layer.blob_bytes = len;
    layer.tar_bytes = len;
    Ok(Some(layer))
}

/// Keep what [`super::capture`] wants of a layer decoded without reading contents, reading it
/// from the file that holds the layer (`layer.data_offsets` say where each entry's bytes are).
fn capture_located(file: &std::fs::File, layer: &mut LayerEntries) -> Result<()> {
    use super::capture::{FileCapture, MAX_SHEBANG_BYTES, shebang};
    use crate::model::Captured;
    use std::os::unix::fs::FileExt;
    let mut budget = super::capture::Budget::default();
    for (i, entry) in layer.entries.iter().enumerate() {
        if entry.kind != EntryKind::File {
            continue;
        }
        let Some(&offset) = layer.data_offsets.get(i).filter(|&&o| o != u64::MAX) else {
            continue;
        };
        let path = layer.path(entry);
        let kept = match FileCapture::start(path, entry.mode, entry.size, &mut budget) {
            None => None,
            Some(mut text @ FileCapture::Text(_)) => {
                let mut buf = vec![0u8; entry.size as usize];
                file.read_exact_at(&mut buf, offset)
                    .context("reading a package database of the layer")?;
                text.feed(&buf);
                text.finish()
            }
            // A program: a few positioned reads of its headers, not its whole content.
            Some(FileCapture::Program { .. }) => {
                let size = entry.size;
                let read_at = |at: u64, buf: &mut [u8]| {
                    let want = (buf.len() as u64).min(size.saturating_sub(at)) as usize;
                    file.read_at(&mut buf[..want], offset + at)
                };
                match super::elf::read_elf_info(size, read_at)
                    .context("reading a program's headers in the layer")?
                {
                    Some(info) => Some(Captured::Elf(info)),
                    None => {
                        let mut head = vec![0u8; MAX_SHEBANG_BYTES.min(size as usize)];
                        let n = file.read_at(&mut head, offset)?;
                        shebang(&head[..n]).map(Captured::Shebang)
                    }
                }
            }
        };
        if let Some(kept) = kept {
            layer.captured.push((i as u32, kept));
        }
    }
    Ok(())
}

/// Decode a layer blob (gzip, zstd or plain tar, by magic bytes). `progress` receives the blob
/// bytes read as they are read.
pub fn decode_layer(
    blob: impl Read + Send,
    options: &DecodeOptions,
    progress: Option<&AtomicU64>,
) -> Result<LayerEntries> {
    let names = NamesBudget::new(options.limits.max_image_names_bytes, "image");
    decode_layer_within(blob, options, progress, &names)
}

/// [`decode_layer`], the names it keeps taken from `names`, shared by the layers of one image
/// (or stream) as they decode; a failed decode gives its names back.
pub fn decode_layer_within(
    blob: impl Read + Send,
    options: &DecodeOptions,
    progress: Option<&AtomicU64>,
    names: &NamesBudget,
) -> Result<LayerEntries> {
    let mut layer = LayerEntries::new(Compression::None);
    let result = decode_into(blob, options, progress, names, &mut layer);
    if result.is_err() {
        names.give_back(layer.text.len() as u64);
    }
    result.map(|()| layer)
}

fn decode_into(
    blob: impl Read + Send,
    options: &DecodeOptions,
    progress: Option<&AtomicU64>,
    names: &NamesBudget,
    layer: &mut LayerEntries,
) -> Result<()> {
    let blob_bytes = AtomicU64::new(0);
    let mut counted_blob = Counted {
        inner: blob,
        total: &blob_bytes,
        progress,
    };
    let (compression, tar_stream) = decompress(&mut counted_blob)?;
    let limits = &options.limits;
    // Everything decompressed is hashed (SHA-256) as the buffer fills: the layer's true diff_id.
    let hashed = Sha256Read {
        inner: tar_stream,
        hasher: Sha256::new(),
    };
    let mut tar = Inflated {
        // The tar walk reads 512-byte headers and small files: serve those from a buffer so the
        // decompressor (and the hash) always runs on large blocks.
        inner: io::BufReader::with_capacity(256 * 1024, hashed),
        total: 0,
        compressed: &blob_bytes,
        what: "layer",
        max_bytes: limits.max_layer_bytes,
        max_ratio: if compression == Compression::None {
            0
        } else {
            limits.max_ratio
        },
        ratio_grace: limits.ratio_grace_bytes,
    };
    layer.compression = compression;
    walk_tar(&mut tar, options, layer, names).map_err(describe)?;
    // Drain what follows the end-of-archive blocks, so the byte counts cover the whole blob and a
    // truncated compressed stream is noticed.
    io::copy(&mut tar, &mut io::sink()).map_err(|e| describe(e.into()))?;
    layer.tar_bytes = tar.total;
    layer.tar_digest = Some(tar.inner.get_ref().hasher.clone().finalize().into());
    drop(tar);
    io::copy(&mut counted_blob, &mut io::sink())?;
    layer.blob_bytes = blob_bytes.load(Ordering::Relaxed);
    Ok(())
}

/// Hashes (SHA-256) what passes through it.
struct Sha256Read<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Sha256Read<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// SHA-256 of `file[offset..offset + len]`, read in large blocks.
/// The SHA-256 of `len` bytes of `file` from `offset`, read in 1 MiB blocks; `on_read` hears the
/// size of each block as it is read (the load's progress).
fn sha256_range(
    file: &std::fs::File,
    offset: u64,
    len: u64,
    on_read: &mut dyn FnMut(u64),
) -> io::Result<[u8; 32]> {
    use std::os::unix::fs::FileExt;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    while done < len {
        let want = (len - done).min(buf.len() as u64) as usize;
        let n = file.read_at(&mut buf[..want], offset + done)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the layer ends early",
            ));
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        on_read(n as u64);
    }
    Ok(hasher.finalize().into())
}

/// Turn low-level I/O errors into what they mean for a layer (a [`LayerError`]).
fn describe(err: anyhow::Error) -> anyhow::Error {
    if let Some(kind) = LayerError::of(&err) {
        return kind.into();
    }
    match err.downcast_ref::<io::Error>() {
        Some(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            LayerError::Truncated(Some(io.to_string())).into()
        }
        _ => err,
    }
}

fn walk_tar(
    stream: impl Read,
    options: &DecodeOptions,
    layer: &mut LayerEntries,
    names: &NamesBudget,
) -> Result<()> {
    let budget = Cell::new(None);
    let mut archive = tar::Archive::new(HeaderBudget {
        inner: stream,
        left: &budget,
        limit: options.limits.max_header_bytes,
    });
    let entries = archive.entries().context("not a tar stream")?;
    let content = if options.hash_contents {
        Content::Hash
    } else {
        Content::Skip
    };
    walk_entries(entries, &budget, content, options, layer, names)
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

/// Walk a layer's entries into `layer`. Hashing streamed contents, large files go to a hashing
/// thread of their own when the machine has a second core (see [`super::hash_pipe`]).
fn walk_entries<'a, R: Read + 'a>(
    entries: tar::Entries<'a, R>,
    header_budget: &Cell<Option<u64>>,
    content: Content,
    options: &DecodeOptions,
    layer: &mut LayerEntries,
    names: &NamesBudget,
) -> Result<()> {
    // The worker pool's size, as load.rs sizes its decoders by (read once, not per layer).
    let cores = rayon::current_num_threads();
    if !matches!(content, Content::Hash) || cores < 2 {
        return walk(entries, header_budget, content, options, layer, names, None);
    }
    let _decoding = Decoding::enter();
    std::thread::scope(|scope| {
        let (pipe, hashing) = HashPipe::start(scope, cores);
        let walked = walk(
            entries,
            header_budget,
            content,
            options,
            layer,
            names,
            Some(&pipe),
        );
        drop(pipe);
        let hashes = hashing
            .join()
            .map_err(|_| anyhow::anyhow!("the hashing thread panicked"))?;
        walked?;
        for (index, hash) in hashes {
            layer.entries[index as usize].hash = Some(hash);
        }
        Ok(())
    })
}

/// A tar error as what it means for the layer (see [`LayerError`]).
fn entry_error(e: io::Error) -> anyhow::Error {
    let kind = LayerError::carried_by(&e).unwrap_or_else(|| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            LayerError::Truncated(None)
        } else {
            LayerError::CorruptTar(e.to_string())
        }
    });
    anyhow::Error::new(kind)
}

/// The filesystem entry a tar entry type makes; `None` for those that make none (global PAX
/// headers, unknown types).
fn entry_kind(t: EntryType) -> Option<EntryKind> {
    Some(match t {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
        EntryType::Directory => EntryKind::Dir,
        EntryType::Symlink => EntryKind::Symlink,
        EntryType::Link => EntryKind::Hardlink,
        EntryType::Char => EntryKind::CharDevice,
        EntryType::Block => EntryKind::BlockDevice,
        EntryType::Fifo => EntryKind::Fifo,
        _ => return None,
    })
}

/// The entry's path, normalized into `path`, within the length and depth limits.
fn entry_path<R: Read>(
    entry: &tar::Entry<'_, R>,
    limits: &Limits,
    path: &mut String,
) -> Result<()> {
    let raw_path = entry.path_bytes();
    if raw_path.len() > limits.max_path_bytes {
        bail!(
            "entry path of {} bytes exceeds the limit of {} bytes",
            raw_path.len(),
            limits.max_path_bytes
        );
    }
    normalize(&String::from_utf8_lossy(&raw_path), path);
    let depth = if path.is_empty() {
        0
    } else {
        path.bytes().filter(|b| *b == b'/').count() + 1
    };
    if depth > limits.max_depth {
        bail!(
            "entry path nests {depth} levels deep, more than the limit of {}",
            limits.max_depth
        );
    }
    Ok(())
}

/// A link's target within the path limit: as written for a symlink, normalized for a hardlink
/// (a path in the layer); `None` for other entries.
fn link_target<R: Read>(
    entry: &tar::Entry<'_, R>,
    kind: EntryKind,
    limits: &Limits,
) -> Result<Option<String>> {
    if !matches!(kind, EntryKind::Symlink | EntryKind::Hardlink) {
        return Ok(None);
    }
    let target = entry.link_name_bytes().unwrap_or_default();
    if target.len() > limits.max_path_bytes {
        bail!(
            "link target of {} bytes exceeds the limit of {} bytes",
            target.len(),
            limits.max_path_bytes
        );
    }
    let target = String::from_utf8_lossy(&target).into_owned();
    Ok(Some(if kind == EntryKind::Hardlink {
        let mut norm = String::new();
        normalize(&target, &mut norm);
        norm
    } else {
        target
    }))
}

fn walk<'a, R: Read + 'a>(
    mut entries: tar::Entries<'a, R>,
    header_budget: &Cell<Option<u64>>,
    content: Content,
    options: &DecodeOptions,
    layer: &mut LayerEntries,
    image_names: &NamesBudget,
    pipe: Option<&HashPipe>,
) -> Result<()> {
    let limits = &options.limits;
    let streamed = !matches!(content, Content::Locate { .. });
    let mut path = String::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut paths = PathSet::default();
    let mut content_bytes = 0u64;
    let mut budget = super::capture::Budget::default();
    // The text buffer's spans are u32: never let it reach 4 GiB, whatever the limit says.
    let max_names = limits.max_names_bytes.min(u32::MAX as usize);
    loop {
        // What the `tar` crate reads to reach the next entry, it keeps: bound it.
        header_budget.set(Some(limits.max_header_bytes));
        let next = entries.next();
        header_budget.set(None);
        let Some(entry) = next else {
            break;
        };
        let mut entry = entry.map_err(entry_error)?;
        if layer.entries.len() >= limits.max_entries {
            return Err(LimitError(format!(
                "layer has more than {} entries (the limit)",
                limits.max_entries
            ))
            .into());
        }
        let header = entry.header();
        let Some(kind) = entry_kind(header.entry_type()) else {
            // Global PAX headers and unknown types carry no filesystem entry. Their content is
            // read past here (streamed), not by the `tar` crate (which counts it as headers).
            if streamed {
                skip_content(&mut entry, &mut buf, &mut content_bytes, limits)?;
            }
            continue;
        };
        entry_path(&entry, limits, &mut path)?;
        let (kind, path_str) = match whiteout(&path) {
            Whiteout::None => (kind, path.clone()),
            Whiteout::File(target) => (EntryKind::Whiteout, target),
            Whiteout::Opaque(dir) => (EntryKind::Opaque, dir.to_string()),
            Whiteout::Void => {
                if streamed {
                    skip_content(&mut entry, &mut buf, &mut content_bytes, limits)?;
                }
                continue;
            }
        };
        let link = link_target(&entry, kind, limits)?;
        let names = path_str.len() + link.as_ref().map_or(0, |l| l.len());
        if layer.text.len().saturating_add(names) > max_names {
            bail!(
                "layer's paths and link targets add up to more than {max_names} bytes (the limit)"
            );
        }
        image_names.take(names as u64)?;
        if paths.insert(&path_str) > limits.max_entries {
            bail!(
                "layer names more than {} distinct paths, counting the directories its paths \
                 imply (the limit)",
                limits.max_entries
            );
        }
        let link = link.map(|target| layer.intern(&target));
        let uid = header.uid().unwrap_or(0) as u32;
        let gid = header.gid().unwrap_or(0) as u32;
        let mtime = header.mtime().unwrap_or(0);
        let size = entry.size();
        // A GNU sparse file declares its apparent size; its holes are not in the input. They are
        // never materialized: not hashed, not read, only counted against the layer's limit.
        let sparse = header.entry_type() == EntryType::GNUSparse;
        // Package databases are kept as they stream past (located layers read them afterwards).
        let mode = header.mode().unwrap_or(0);
        let mut capture = if streamed && kind == EntryKind::File && !sparse {
            super::capture::FileCapture::start(&path_str, mode, size, &mut budget)
        } else {
            None
        };
        let mut observe = |chunk: &[u8]| {
            if let Some(c) = capture.as_mut().filter(|c| c.wants_more()) {
                c.feed(chunk);
            }
        };
        let hash = if sparse {
            count_content(&mut content_bytes, size, limits)?;
            if matches!(content, Content::Locate { .. }) {
                // No offset to read it from later (an offset past 48 bits is none).
                crate::model::growth::push(&mut layer.data_offsets, u64::MAX);
            }
            // The tar walker skips the stored bytes when it moves to the next entry.
            None
        } else if let Content::Locate { base, len } = content {
            let start = entry.raw_file_position();
            if start.saturating_add(size) > len {
                return Err(LayerError::Truncated(Some(format!(
                    "an entry declares {size} bytes past the layer's end"
                )))
                .into());
            }
            crate::model::growth::push(&mut layer.data_offsets, base + start);
            None
        } else if kind == EntryKind::File && size > 0 && matches!(content, Content::Hash) {
            count_content(&mut content_bytes, size, limits)?;
            if let Some(pipe) = pipe.filter(|p| size > INLINE_MAX && p.core_idle()) {
                // Hashed on the other thread; the hash joins the entry once the walk is over.
                let read = pipe.file(&mut entry, size, layer.entries.len() as u32, &mut observe)?;
                check_complete(read, size)?;
                None
            } else {
                let mut hasher = blake3::Hasher::new();
                let read = copy_filled(&mut entry, &mut buf, |chunk| {
                    hasher.update(chunk);
                    observe(chunk);
                })?;
                check_complete(read, size)?;
                let digest = hasher.finalize();
                let mut short = [0u8; 16];
                short.copy_from_slice(&digest.as_bytes()[..16]);
                Some(short)
            }
        } else {
            let size = entry.size();
            count_content(&mut content_bytes, size, limits)?;
            let read = copy_filled(&mut entry, &mut buf, observe)?;
            check_complete(read, size)?;
            None
        };
        if let Some(kept) = capture.and_then(super::capture::FileCapture::finish) {
            layer.captured.push((layer.entries.len() as u32, kept));
        }
        let path_span = layer.intern(&path_str);
        crate::model::growth::push(
            &mut layer.entries,
            RawEntry {
                path: path_span,
                link,
                kind,
                size: if kind == EntryKind::File { size } else { 0 },
                mode,
                uid,
                gid,
                mtime,
                hash,
            },
        );
    }
    Ok(())
}

/// The distinct paths a layer names, with every directory they imply, as keyed hashes: bounds what
/// the layer can add to the merged tree (a deep path implies one directory per component).
#[derive(Default)]
struct PathSet {
    seen: hashbrown::HashSet<u64>,
    hasher: hashbrown::DefaultHashBuilder,
    prefixes: Vec<u64>,
}

impl PathSet {
    /// Add `path` and its ancestors; returns how many distinct paths are known.
    fn insert(&mut self, path: &str) -> usize {
        self.prefixes.clear();
        let mut h = 0u64;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            h = self.hasher.hash_one((h, part));
            self.prefixes.push(h);
        }
        // An ancestor already known has all of its own ancestors known too.
        for &prefix in self.prefixes.iter().rev() {
            if !self.seen.insert(prefix) {
                break;
            }
        }
        self.seen.len()
    }
}

/// Count `size` more bytes of entry content against the layer's limit, before reading them (a
/// sparse entry's holes cost no input, only time).
fn count_content(total: &mut u64, size: u64, limits: &Limits) -> Result<()> {
    *total = total.saturating_add(size);
    if *total > limits.max_layer_bytes {
        bail!(
            "layer exceeds {} bytes uncompressed (the limit)",
            limits.max_layer_bytes
        );
    }
    Ok(())
}

/// Read past an entry's content, checking it is all there.
fn skip_content<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    buf: &mut [u8],
    total: &mut u64,
    limits: &Limits,
) -> Result<()> {
    let size = entry.size();
    count_content(total, size, limits)?;
    let read = copy_filled(entry, buf, |_| {})?;
    check_complete(read, size)
}

/// Copy `src` to its end through `buf` into `sink`, in whole buffers (all but the last: BLAKE3
/// hashes 16 KiB pieces side by side, which a short read would leave empty); returns the bytes.
fn copy_filled(src: &mut impl Read, buf: &mut [u8], mut sink: impl FnMut(&[u8])) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let filled = super::read_up_to(src, buf)?;
        if filled == 0 {
            return Ok(total);
        }
        sink(&buf[..filled]);
        total += filled as u64;
        if filled < buf.len() {
            return Ok(total);
        }
    }
}

fn check_complete(read: u64, size: u64) -> Result<()> {
    if read != size {
        return Err(LayerError::Truncated(Some(format!(
            "an entry declares {size} bytes, {read} present"
        )))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_a_plain_layer_reports_its_progress_block_by_block() {
        use std::io::Write;
        let mut file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..(3 << 20) + 5).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).unwrap();
        let mut heard = Vec::new();
        let digest = sha256_range(&file, 5, 3 << 20, &mut |n| heard.push(n)).unwrap();
        let want: [u8; 32] = Sha256::digest(&data[5..]).into();
        assert_eq!(digest, want);
        // One report per 1 MiB block, not one at the end.
        assert_eq!(heard, [1 << 20, 1 << 20, 1 << 20]);
    }

    /// Callers act on the kind of a layer error, not on its words.
    #[test]
    fn layer_errors_have_kinds() {
        let kind = |blob: Vec<u8>| {
            let err = decode_layer(&blob[..], &DecodeOptions::default(), None).unwrap_err();
            (crate::decode::LayerError::of(&err), format!("{err:#}"))
        };
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(4096);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "f", &[7u8; 4096][..]).unwrap();
        let whole = b.into_inner().unwrap();
        // A second header whose checksum is wrong.
        let mut bad = whole[..512 + 4096].to_vec();
        bad.extend([b'x'; 512]);
        bad.extend([0u8; 1024]);
        let (k, text) = kind(bad);
        assert!(matches!(k, Some(LayerError::CorruptTar(_))), "{text}");
        // A file cut in its middle.
        let (k, text) = kind(whole[..1024].to_vec());
        assert!(matches!(k, Some(LayerError::Truncated(_))), "{text}");
        assert!(text.contains("truncated layer stream"), "{text}");
        // A layer with more entries than allowed.
        let mut options = DecodeOptions::default();
        options.limits.max_entries = 0;
        let err = decode_layer(&whole[..], &options, None).unwrap_err();
        assert!(
            matches!(LayerError::of(&err), Some(LayerError::Limit(_))),
            "{err:#}"
        );
    }

    /// Hands out at most `step` bytes per read, as a decoder may.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn copy_filled_hands_over_whole_buffers_and_every_byte() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        for step in [1, 7, 4096, 1 << 20] {
            let mut src = Trickle { data: &data, step };
            let mut buf = vec![0u8; 16 * 1024];
            let mut seen = Vec::new();
            let mut pieces = Vec::new();
            let read = copy_filled(&mut src, &mut buf, |chunk| {
                pieces.push(chunk.len());
                seen.extend_from_slice(chunk);
            })
            .unwrap();
            assert_eq!(read, data.len() as u64);
            assert_eq!(seen, data, "step {step}");
            let (last, whole) = pieces.split_last().unwrap();
            assert!(whole.iter().all(|&n| n == buf.len()), "step {step}");
            assert_eq!(*last, data.len() % buf.len());
        }
    }
}

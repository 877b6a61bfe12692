//! Reading an image archive that arrives as a stream (stdin, an engine's export) without waiting
//! for it to end and without a temporary copy: the outer tar is walked as it comes; every entry
//! that looks like a layer (gzip, zstd or tar by its first bytes) is decoded on a worker thread
//! while the stream goes on, and small files (manifests, configs, indexes) are kept in memory.
//! When the stream ends, the usual docker and OCI resolvers run on what was kept, and the decoded
//! layers are handed over in manifest order.
//!
//! A legacy `docker save` puts `manifest.json` last, so which entries are layers is only known at
//! the end: decoding everything layer-shaped is what lets the work overlap the transfer.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use anyhow::{Result, anyhow, bail};

use super::files::{
    ImageFiles, MAX_ARCHIVE_ENTRIES, MAX_METADATA_BYTES, MAX_STREAMED_METADATA_BYTES, OuterNames,
    clean_path,
};
use crate::decode::compression::sniff;
use crate::decode::guard::HeaderBudget;
use crate::decode::{DecodeOptions, NamesBudget, decode_layer_within, read_up_to};
use crate::model::{Compression, LayerEntries};

/// Chunks of this size travel to a layer's decoder...
const CHUNK: usize = 256 * 1024;
/// ...at most this many at a time per layer (bounded memory: 16 MiB per layer in flight).
/// Layers of one stream decoded at once, at most (as many as cores, at least 2).
const MAX_STREAM_DECODERS: usize = 8;

const CHUNKS_IN_FLIGHT: usize = 64;

/// What the stream held.
pub struct StreamedArchive {
    pub files: MemFiles,
    layers: HashMap<String, Result<LayerEntries, String>>,
}

impl StreamedArchive {
    /// The archive member a layer path leads to (following archive symlinks), if any: two
    /// layers that name the same member share one decoded blob.
    pub fn member(&self, path: &str) -> Option<String> {
        self.files.resolve(path)
    }

    /// The decoded layer at `path` (following archive symlinks), or why it could not be. An image
    /// may list one blob for several layers (steps that wrote the same bytes, by the same name or
    /// through a symlink): `again` keeps it for a later layer, else it is handed over.
    pub fn take_layer(&mut self, path: &str, again: bool) -> Result<LayerEntries> {
        let path = self
            .files
            .resolve(path)
            .ok_or_else(|| anyhow!("missing blob {path}"))?;
        let taken = if again {
            self.layers.get(&path).cloned()
        } else {
            self.layers.remove(&path)
        };
        match taken {
            Some(Ok(entries)) => Ok(entries),
            Some(Err(why)) => Err(anyhow!("{why}")),
            None => Err(anyhow!(
                "{path}: layer is not a tar stream (nor gzip or zstd compressed)"
            )),
        }
    }
}

/// Small files of the archive, plus the sizes and links of everything, as [`ImageFiles`].
#[derive(Default, Clone)]
pub struct MemFiles {
    small: HashMap<String, Vec<u8>>,
    sizes: HashMap<String, u64>,
    links: HashMap<String, String>,
}

impl MemFiles {
    /// Files held in memory, by archive path (for tests and fuzzing the resolvers without an
    /// archive). Paths are normalized; one that leaves the archive is dropped.
    pub fn from_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> MemFiles {
        let mut out = MemFiles::default();
        for (name, bytes) in files {
            if let Some(name) = clean_path(&name) {
                out.sizes.insert(name.clone(), bytes.len() as u64);
                out.small.insert(name, bytes);
            }
        }
        out
    }

    fn resolve(&self, path: &str) -> Option<String> {
        let mut name = clean_path(path)?;
        for _ in 0..8 {
            if self.sizes.contains_key(&name) {
                return Some(name);
            }
            name = self.links.get(&name)?.clone();
        }
        None
    }
}

impl ImageFiles for MemFiles {
    fn exists(&self, path: &str) -> bool {
        self.resolve(path).is_some()
    }

    fn size(&self, path: &str) -> Result<u64> {
        let name = self
            .resolve(path)
            .ok_or_else(|| anyhow!("missing file {path}"))?;
        Ok(self.sizes[&name])
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        let name = self
            .resolve(path)
            .ok_or_else(|| anyhow!("missing file {path}"))?;
        match self.small.get(&name) {
            Some(bytes) => Ok(Box::new(&bytes[..])),
            None => bail!("{path} was streamed and not kept"),
        }
    }
}

/// Reads chunks from a channel: the decoder's end of a layer in flight.
struct ChunkRead {
    rx: Receiver<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChunkRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn stream_error(e: io::Error) -> anyhow::Error {
    // A source or limit error keeps its kind (and its words) for the callers that act on it.
    if let Some(kind) = crate::decode::LayerError::carried_by(&e) {
        return kind.into();
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => anyhow!("truncated archive"),
        _ => anyhow!("not a tar archive ({e})"),
    }
}

/// Walk `stream` to its end, decoding layer-shaped entries in parallel with the transfer.
/// `progress` counts the outer stream's bytes.
pub fn read(
    stream: impl Read + Send,
    options: &DecodeOptions,
    progress: &AtomicU64,
) -> Result<StreamedArchive> {
    let counted = CountingRead {
        inner: stream,
        progress,
    };
    // What the `tar` crate reads between entries (headers, long names, PAX records) it keeps.
    let max_header_bytes = options.limits.max_header_bytes;
    let budget = Cell::new(None);
    let mut archive = tar::Archive::new(HeaderBudget {
        inner: counted,
        left: &budget,
        limit: max_header_bytes,
    });
    let mut files = MemFiles::default();
    let mut kept_bytes = 0u64;
    // The names of the archive's own entries that are kept, and those its layers keep.
    let mut outer_names = OuterNames::default();
    let names = NamesBudget::new(options.limits.max_image_names_bytes, "stream");
    let names = &names;
    let max_decoders = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, MAX_STREAM_DECODERS);
    std::thread::scope(|scope| {
        let mut workers: Vec<(
            String,
            std::thread::ScopedJoinHandle<'_, Result<LayerEntries>>,
        )> = Vec::new();
        let mut layers = HashMap::new();
        let mut totals = Totals::default();
        let mut rejected: HashMap<String, String> = HashMap::new();
        let mut entries = archive.entries().map_err(stream_error)?;
        let mut count = 0;
        loop {
            budget.set(Some(max_header_bytes));
            let next = entries.next();
            budget.set(None);
            let Some(entry) = next else {
                break;
            };
            if count >= MAX_ARCHIVE_ENTRIES {
                bail!("archive has more than {MAX_ARCHIVE_ENTRIES} entries");
            }
            count += 1;
            let mut entry = entry.map_err(stream_error)?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            let Some(name) = clean_path(&name) else {
                io::copy(&mut entry, &mut io::sink()).map_err(stream_error)?;
                continue;
            };
            outer_names.add(&name)?;
            if kind.is_symlink() || kind.is_hard_link() {
                if let Some(target) = entry.link_name_bytes() {
                    let target = String::from_utf8_lossy(&target).into_owned();
                    let joined = if kind.is_symlink() && !target.starts_with('/') {
                        match name.rfind('/') {
                            Some(i) => format!("{}/{}", &name[..i], target),
                            None => target,
                        }
                    } else {
                        target
                    };
                    if let Some(t) = clean_path(&joined) {
                        outer_names.add(&t)?;
                        files.links.insert(name, t);
                    }
                }
                io::copy(&mut entry, &mut io::sink()).map_err(stream_error)?;
                continue;
            }
            if !kind.is_file() && kind != tar::EntryType::Continuous {
                // Read past it here: the `tar` crate would count it as headers.
                io::copy(&mut entry, &mut io::sink()).map_err(stream_error)?;
                continue;
            }
            let size = entry.size();
            files.sizes.insert(name.clone(), size);
            let mut head = vec![0u8; 512.min(size as usize)];
            let got = read_up_to(&mut entry, &mut head).map_err(stream_error)?;
            if got < head.len() {
                bail!("truncated archive");
            }
            let compressed = matches!(sniff(&head), Ok(Compression::Gzip | Compression::Zstd));
            let looks_like_json = head.first().is_some_and(|b| *b == b'{' || *b == b'[');
            if !compressed && (looks_like_json || size < 512) {
                if size > MAX_METADATA_BYTES {
                    rejected.insert(name, "file too large to be metadata".into());
                    io::copy(&mut entry, &mut io::sink()).map_err(stream_error)?;
                    continue;
                }
                kept_bytes += size;
                if kept_bytes > MAX_STREAMED_METADATA_BYTES {
                    bail!(
                        "the archive's metadata files add up to more than \
                         {MAX_STREAMED_METADATA_BYTES} bytes (the limit)"
                    );
                }
                let mut bytes = head;
                entry.read_to_end(&mut bytes).map_err(stream_error)?;
                if bytes.len() as u64 != size {
                    bail!("truncated archive");
                }
                files.small.insert(name, bytes);
                continue;
            }
            if let Err(why) = sniff(&head) {
                rejected.insert(name, format!("{why:#}"));
                io::copy(&mut entry, &mut io::sink()).map_err(stream_error)?;
                continue;
            }
            // A layer: decode it on its own thread while this one keeps reading — at most
            // `max_decoders` at once: past that, the oldest is waited for (a crafted stream of
            // thousands of layer-shaped entries must not start thousands of threads).
            while workers.len() >= max_decoders {
                let (name, handle) = workers.remove(0);
                totals.collect(name, handle, &mut layers, &options.limits)?;
            }
            let (tx, rx): (SyncSender<Vec<u8>>, Receiver<Vec<u8>>) = sync_channel(CHUNKS_IN_FLIGHT);
            let opts = *options;
            let handle = scope.spawn(move || {
                decode_layer_within(
                    ChunkRead {
                        rx,
                        current: Vec::new(),
                        pos: 0,
                    },
                    &opts,
                    None,
                    names,
                )
            });
            let mut sent = head.len() as u64;
            let _ = tx.send(head);
            loop {
                let mut chunk = vec![0u8; CHUNK];
                let n = read_up_to(&mut entry, &mut chunk).map_err(stream_error)?;
                if n == 0 {
                    break;
                }
                chunk.truncate(n);
                sent += n as u64;
                if tx.send(chunk).is_err() {
                    // The decoder stopped early (a broken layer): drain the rest of the entry.
                    io::copy(&mut entry, &mut io::sink()).map_err(stream_error)?;
                    break;
                }
            }
            drop(tx);
            if sent < size {
                bail!("truncated archive");
            }
            workers.push((name, handle));
            // Collect the layers decoded so far, so that the image-wide limits stop a stream of
            // many layers, each under its own limits, while it flows.
            let (done, running): (Vec<_>, Vec<_>) =
                workers.drain(..).partition(|(_, h)| h.is_finished());
            workers = running;
            for (name, handle) in done {
                totals.collect(name, handle, &mut layers, &options.limits)?;
            }
        }
        for (name, handle) in workers {
            totals.collect(name, handle, &mut layers, &options.limits)?;
        }
        for (name, why) in rejected {
            layers.insert(name, Err(why));
        }
        if files.sizes.is_empty() {
            bail!("not an image: the stream holds no files");
        }
        Ok(StreamedArchive { files, layers })
    })
}

/// What the layers decoded from one stream add up to, against the image-wide limits.
#[derive(Default)]
struct Totals {
    entries: usize,
    tar_bytes: u64,
}

impl Totals {
    /// Wait for a layer's decoder, keep its result under `name`, and check the totals.
    fn collect(
        &mut self,
        name: String,
        handle: std::thread::ScopedJoinHandle<'_, Result<LayerEntries>>,
        layers: &mut HashMap<String, Result<LayerEntries, String>>,
        limits: &crate::decode::Limits,
    ) -> Result<()> {
        let result = handle
            .join()
            .map_err(|_| anyhow!("a layer decoder panicked"))?
            .map_err(|e| format!("{e:#}"));
        if let Ok(entries) = &result {
            self.entries = self.entries.saturating_add(entries.entries.len());
            self.tar_bytes = self.tar_bytes.saturating_add(entries.tar_bytes);
        }
        layers.insert(name, result);
        if self.entries > limits.max_image_entries {
            bail!(
                "the stream's layers hold more than {} entries together (the limit)",
                limits.max_image_entries
            );
        }
        if self.tar_bytes > limits.max_image_bytes {
            bail!(
                "the stream's layers decompress to more than {} bytes together (the limit)",
                limits.max_image_bytes
            );
        }
        Ok(())
    }
}

struct CountingRead<'p, R> {
    inner: R,
    progress: &'p AtomicU64,
}

impl<R: Read> Read for CountingRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

//! The one pipeline every source goes through: resolve the input, decode its layers in parallel
//! (rayon, one layer per task, each streaming from its own file handle), merge them in order into
//! the file tree, and analyze. Progress is published through atomics that a UI polls at its own
//! pace, so the hot loops never wait on a display.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};

use crate::analysis::{self, Analysis, Merger};
use crate::decode::layer::decode_plain_layer_within;
use crate::decode::{DecodeOptions, LayerError, Limits, NamesBudget, decode_layer_within};
use crate::model::{Compression, FileTree, Image, Layer, LayerEntries, history_for_layers};
use crate::pipeline::deferred_hash;
use crate::pipeline::layer_cache::{LayerCache, Lookup};
use crate::source::{
    self, Access, ImageBlobs, ResolvedImage, SourceOptions, StreamSource, stream_archive,
};
use std::path::PathBuf;

/// The most layers an image may have (Docker itself stops at 127).
pub const MAX_LAYERS: usize = 4096;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub source: SourceOptions,
    pub decode: DecodeOptions,
    /// Hash every visible file, not only those duplicate detection needs (to compare content
    /// across images).
    pub hash_all_files: bool,
    /// Read manifests and configs only; decode no layer (`--layers-only`). Sources that stream
    /// the whole image (stdin, an engine's export) are decoded anyway; a Docker image whose
    /// store can be read in place is read from its records instead.
    pub layers_only: bool,
    /// Decoded layers kept by key, to skip decoding them next time; `None` with `--no-cache`.
    pub layer_cache: Option<LayerCache>,
    /// Paths the user knows the entrypoint needs (`--keep`), added to its runtime closure.
    pub keep: Vec<String>,
    /// Paths set aside (`--ignore-path`): not reclaimable, not duplicates, not in the plan.
    pub ignore: crate::analysis::ignore::Ignore,
    /// Roles the user gives (`--role IMAGE=ROLE`): an image whose input, name or displayed name
    /// is IMAGE (or any image, for `*`) takes ROLE instead of the one its command suggests.
    pub roles: Vec<(String, crate::analysis::role::Role)>,
    /// The image may be put together from caches that keep no layer bytes (an engine's image
    /// seen before, see [`crate::pipeline::engine_cache`]): reports and gates need none; `cat`, `export`
    /// and the viewer's content view do.
    pub without_bytes: bool,
    /// Where the image's base is looked for (`--base`, annotations); `None`: not looked for.
    pub base: Option<std::sync::Arc<crate::pipeline::base_lookup::BaseLookup>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            source: SourceOptions {
                temp_dir: std::env::temp_dir(),
                ..SourceOptions::default()
            },
            decode: DecodeOptions::default(),
            hash_all_files: false,
            layers_only: false,
            layer_cache: None,
            keep: Vec::new(),
            ignore: Default::default(),
            roles: Vec::new(),
            without_bytes: false,
            base: None,
        }
    }
}

/// Live counters of a load in progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub layers_total: AtomicUsize,
    pub layers_done: AtomicUsize,
    /// Compressed bytes of all layer blobs.
    pub bytes_total: AtomicU64,
    /// Compressed bytes read so far.
    pub bytes_read: AtomicU64,
    /// Set once decoding is over and the tree is being merged and analyzed.
    pub analyzing: std::sync::atomic::AtomicBool,
    /// What the engine said of the image, set before its export starts (engines only).
    pub preview: std::sync::OnceLock<crate::model::EnginePreview>,
    /// How the image was reached, when it is worth saying (read in place from an engine's store,
    /// or why not).
    pub route: std::sync::Mutex<Option<String>>,
    /// What went wrong on the way but was mended (a damaged cache entry removed and rebuilt),
    /// for `-v`.
    pub notes: std::sync::Mutex<Vec<String>>,
}

impl Progress {
    fn set_route(&self, route: String) {
        if let Ok(mut r) = self.route.lock() {
            *r = Some(route);
        }
    }

    pub fn route(&self) -> Option<String> {
        self.route.lock().ok().and_then(|r| r.clone())
    }

    fn note(&self, note: String) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(note);
        }
    }

    /// The notes so far (see [`Progress::notes`]).
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// Back to nothing read, for reading the image again another way.
    fn restart(&self) {
        self.bytes_read.store(0, Ordering::Relaxed);
        self.layers_done.store(0, Ordering::Relaxed);
        self.analyzing.store(false, Ordering::Relaxed);
    }
}

pub struct Loaded {
    pub image: Image,
    pub analysis: Analysis,
    /// The layer blobs, for reading file contents later.
    pub blobs: ImageBlobs,
}

/// Load and analyze one image.
pub fn load(input: &str, options: &LoadOptions, progress: &Progress) -> Result<Loaded> {
    remove_dead_partials(options);
    let mut loaded = load_image(input, options, progress)?;
    if let Some(lookup) = &options.base {
        loaded.analysis.base = lookup.find(&loaded.image, options)?;
    }
    Ok(loaded)
}

/// Once a process: remove the partial files writers that died left in the caches (a run that
/// writes nothing to a cache would otherwise leave them there).
fn remove_dead_partials(options: &LoadOptions) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Some(blobs) = &options.source.registry.cache {
            crate::cache_dir::remove_dead_partials(&blobs.dir());
        }
        if let Some(layers) = &options.layer_cache {
            crate::cache_dir::remove_dead_partials(layers.dir());
        }
    });
}

/// [`load`] without looking for the image's base.
fn load_image(input: &str, options: &LoadOptions, progress: &Progress) -> Result<Loaded> {
    match source::access(input, &options.source, options.layers_only)? {
        Access::Files(resolved) if resolved.route.is_some() => {
            // Read in place from an engine's store: if the store holds something unexpected,
            // the engine's export is what the user gets, as without the store.
            match load_resolved(*resolved, options, progress) {
                Err(e) if from_where_bytes_come(&e) => {
                    let mut export = options.clone();
                    export.source.engine_export = true;
                    progress.restart();
                    let loaded = load_image(input, &export, progress).with_context(|| {
                        format!("reading the engine's store in place failed ({e:#}); its export")
                    })?;
                    progress.set_route(format!(
                        "through its export: reading the engine's store in place failed ({e:#})"
                    ));
                    Ok(loaded)
                }
                other => other,
            }
        }
        Access::Files(resolved) => load_resolved(*resolved, options, progress),
        Access::Stream(stream) => load_stream(*stream, options, progress),
    }
}

fn check_layer_count(resolved: &ResolvedImage) -> Result<usize> {
    let layer_count = resolved.blobs.layers.len();
    if layer_count > MAX_LAYERS {
        bail!("the image has {layer_count} layers, more than the limit of {MAX_LAYERS}");
    }
    let diff_ids = &resolved.config.diff_ids;
    if diff_ids.len() != layer_count {
        bail!(
            "the config lists {} layer diff_ids but the manifest {} layers",
            diff_ids.len(),
            layer_count
        );
    }
    Ok(layer_count)
}

/// Whether `e` came from where a blob's bytes are read ([`LayerError::Source`]), not from the bytes:
/// another way to the same image may not meet it.
fn from_where_bytes_come(e: &anyhow::Error) -> bool {
    LayerError::of(e).is_some_and(|k| k.is_source())
}

/// After a layer failed to decode from a reader that checks a digest at its end: read the rest,
/// and if the bytes do not match their digest, that is the error (the decoder's comes second) —
/// a flipped byte is a damaged blob, not a "corrupt tar entry".
fn damaged_first(blob: &mut dyn std::io::Read, decoding: anyhow::Error) -> anyhow::Error {
    match std::io::copy(blob, &mut std::io::sink()) {
        Err(io) => match crate::decode::BlobReadError::from_io(&io) {
            Some(b) => anyhow::Error::new(crate::decode::BlobReadError {
                message: format!("{} (decoding it had failed: {decoding:#})", b.message),
                corrupt_cache: b.corrupt_cache,
            }),
            None => decoding,
        },
        Ok(_) => decoding,
    }
}

/// Load an image whose archive arrives as a stream: layers are decoded while it flows.
pub fn load_stream(
    mut source: StreamSource,
    options: &LoadOptions,
    progress: &Progress,
) -> Result<Loaded> {
    if let Some(total) = source.expected_bytes {
        progress.bytes_total.store(total, Ordering::Relaxed);
    }
    if let Some(preview) = source.preview.take() {
        let _ = progress.preview.set(*preview);
    }
    // Seen before: put together from the caches, and the export never starts.
    let caches = options
        .source
        .registry
        .cache
        .as_ref()
        .zip(options.layer_cache.as_ref());
    if let Some((blobs, layers)) = caches.filter(|_| options.without_bytes)
        && let Some(resolved) =
            crate::pipeline::engine_cache::from_caches(&source, blobs, layers, &options.decode)
    {
        // Every layer is decoded in the cache already: with --layers-only too, the whole
        // analysis costs nothing more (the cached layers name no blob sizes to list alone).
        let mut cached = options.clone();
        cached.layers_only = false;
        match load_resolved(resolved, &cached, progress) {
            // A cache entry gone bad: the export it is.
            Err(e) if from_where_bytes_come(&e) => progress.restart(),
            other => return other,
        }
    }
    if let Some(route) = source.route.take() {
        progress.set_route(route);
    }
    let reader = std::mem::replace(&mut source.reader, Box::new(std::io::empty()));
    let mut streamed = stream_archive::read(reader, &options.decode, &progress.bytes_read)?;
    let resolved = source::describe_stream(&source, streamed.files.clone())?;
    let layer_count = check_layer_count(&resolved)?;
    progress.layers_total.store(layer_count, Ordering::Relaxed);
    progress.layers_done.store(layer_count, Ordering::Relaxed);
    // What the engine vouched for, kept only when the export agrees with it.
    let engine_identity = source
        .engine_identity
        .take()
        .filter(|id| resolved.config_digest.as_deref() == Some(id.id.as_str()))
        .filter(|id| id.diff_ids == resolved.config.diff_ids);
    drop(source);
    progress.analyzing.store(true, Ordering::Relaxed);
    // Layers are merged one by one as they are taken, so that the image-wide limits stop a
    // manifest that lists one large blob many times before it is copied many times.
    let members: Vec<Option<String>> = resolved
        .blobs
        .layers
        .iter()
        .map(|l| streamed.member(&l.path))
        .collect();
    let mut assembly = Assembly::new(&resolved, &options.decode.limits);
    for (i, layer) in resolved.blobs.layers.iter().enumerate() {
        let name = layer.digest.as_deref().unwrap_or(&layer.path);
        let again = members[i].is_some() && members[i + 1..].contains(&members[i]);
        let entries = streamed
            .take_layer(&layer.path, again)
            .with_context(|| format!("layer {i} ({name})"))?;
        if let (Some(identity), Some((blobs, layers)), Some(diff_id)) =
            (&engine_identity, caches, resolved.config.diff_ids.get(i))
        {
            crate::pipeline::engine_cache::remember(
                identity,
                resolved.blobs.files.as_ref(),
                &[(diff_id.clone(), &entries)],
                blobs,
                layers,
                &options.decode,
            );
        }
        assembly.add(&resolved, entries)?;
    }
    assembly.finish(resolved, &[], &[], options)
}

/// Load an image whose blobs can be opened at will: layers are decoded in parallel.
pub fn load_resolved(
    resolved: ResolvedImage,
    options: &LoadOptions,
    progress: &Progress,
) -> Result<Loaded> {
    let layer_count = check_layer_count(&resolved)?;
    progress.layers_total.store(layer_count, Ordering::Relaxed);
    if let Some(route) = &resolved.route {
        progress.set_route(route.clone());
    }
    if options.layers_only {
        return Ok(layers_only(resolved));
    }
    let sizes: Vec<u64> = resolved
        .blobs
        .layers
        .iter()
        .map(|l| resolved.blobs.files.size(&l.path).unwrap_or(0))
        .collect();
    progress
        .bytes_total
        .store(sizes.iter().sum(), Ordering::Relaxed);

    // The names all layers of the image keep, shared by the decoders while they run.
    let names = NamesBudget::new(options.decode.limits.max_image_names_bytes, "image");
    let decode_one = |i: usize| -> Result<LayerEntries> {
        let layer = &resolved.blobs.layers[i];
        let name = layer.digest.as_deref().unwrap_or(&layer.path);
        let files = &resolved.blobs.files;
        let located = files.locate(&layer.path);
        let base = located.as_ref().map_or(0, |(_, offset, _)| *offset);
        let cache_key = options
            .layer_cache
            .as_ref()
            .and_then(|_| files.cache_key(&layer.path));
        let cached = match (&options.layer_cache, &cache_key) {
            (Some(cache), Some(key)) => match cache.lookup(key, &options.decode, base) {
                Lookup::Hit(entries) => Some(entries),
                Lookup::Miss => None,
                Lookup::Damaged(why) => {
                    progress.note(format!("layer {i} ({name}): {why}"));
                    None
                }
            },
            _ => None,
        };
        if let Some(entries) = cached
                // Unread contents can be hashed later only from a file we can read.
                && (entries.data_offsets.is_empty() || located.is_some())
        {
            names
                .take(entries.text.len() as u64)
                .with_context(|| format!("layer {i} ({name})"))?;
            progress
                .bytes_read
                .fetch_add(entries.blob_bytes, Ordering::Relaxed);
            progress.layers_done.fetch_add(1, Ordering::Relaxed);
            return Ok(entries);
        }
        let decode = || {
            // An uncompressed layer in a plain file is walked by seeking, contents unread.
            if let Some((file, offset, len)) = &located
                && let Some(entries) = decode_plain_layer_within(
                    file,
                    *offset,
                    *len,
                    &options.decode,
                    Some(&progress.bytes_read),
                    &names,
                )?
            {
                return Ok(entries);
            }
            let mut blob = files.open(&layer.path)?;
            match decode_layer_within(
                &mut blob,
                &options.decode,
                Some(&progress.bytes_read),
                &names,
            ) {
                Err(e) if files.verifies_at_end() && !from_where_bytes_come(&e) => {
                    Err(damaged_first(&mut blob, e))
                }
                other => other,
            }
        };
        // A cached blob found corrupt is removed: the second read fetches it anew.
        let entries = match decode() {
            Err(e)
                if LayerError::of(&e).is_some_and(|k| k.is_corrupt_cache())
                    || resolved.blobs.files.discard_if_corrupt(&layer.path) =>
            {
                progress.note(format!(
                    "layer {i} ({name}): its cached blob was damaged ({e:#}): removed, read again"
                ));
                decode()
            }
            other => other,
        }
        .with_context(|| format!("layer {i} ({name})"))?;
        if let (Some(cache), Some(key)) = (&options.layer_cache, &cache_key) {
            // A cache that cannot be written only costs the next run its speed.
            if let Err(e) = cache.put(key, &options.decode, &entries, base) {
                crate::cache_dir::warn_unwritable(cache.dir(), &e);
            }
        }
        progress.layers_done.fetch_add(1, Ordering::Relaxed);
        Ok(entries)
    };
    // Decode on worker threads, merge here in layer order as soon as each next layer is ready,
    // and let the workers run at most a few layers ahead: decoded entries wait in memory only
    // until their turn, not until the whole image is decoded.
    let threads = resolved
        .blobs
        .files
        .preferred_parallelism()
        .unwrap_or_else(rayon::current_num_threads)
        .clamp(1, layer_count.max(1));
    let window = threads + 2;
    let next = AtomicUsize::new(0);
    let merged = AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut assembly = Assembly::new(&resolved, &options.decode.limits);
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<LayerEntries>)>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, merged, stop, decode_one) = (&next, &merged, &stop, &decode_one);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= layer_count {
                        break;
                    }
                    while i >= merged.load(Ordering::SeqCst) + window
                        && !stop.load(Ordering::SeqCst)
                    {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    if stop.load(Ordering::SeqCst) || tx.send((i, decode_one(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let result = (|| {
            for (i, entries) in &rx {
                pending.insert(i, entries);
                while let Some(entries) = pending.remove(&assembly.len()) {
                    assembly.add(&resolved, entries?)?;
                    merged.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(())
        })();
        if result.is_err() {
            stop.store(true, Ordering::SeqCst);
        }
        result
    })?;
    let (layer_files, layer_bases): (Vec<Option<PathBuf>>, Vec<u64>) = resolved
        .blobs
        .layers
        .iter()
        .map(|l| match resolved.blobs.files.locate(&l.path) {
            Some((file, offset, _)) => (Some(file), offset),
            None => (None, 0),
        })
        .unzip();
    assembly.finish(resolved, &layer_files, &layer_bases, options)
}

/// An image described from its manifest and config alone: layer digests, diff_ids, compressed
/// sizes and history; no file tree.
fn layers_only(resolved: ResolvedImage) -> Loaded {
    let histories = history_for_layers(&resolved.config.history, resolved.blobs.layers.len());
    let layers = resolved
        .blobs
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| Layer {
            index: i,
            digest: l.digest.clone(),
            diff_id: resolved.config.diff_ids.get(i).cloned(),
            // Layers only: no content read, nothing verified.
            content_diff_id: None,
            media_type: l.media_type.clone(),
            compression: Compression::None,
            compressed_size: l
                .declared_size
                .or_else(|| resolved.blobs.files.size(&l.path).ok())
                .unwrap_or(0),
            size: 0,
            tar_size: 0,
            entry_count: 0,
            file_count: 0,
            history: histories[i].clone(),
            changes: Default::default(),
        })
        .collect();
    let (tree, _) = Merger::new().finish();
    let (image, blobs) = into_image(resolved, layers, tree, Vec::new());
    let analysis = crate::analysis::Analysis::layers_only(&image);
    Loaded {
        image,
        analysis,
        blobs,
    }
}

/// The image a resolved source describes, with its layers and merged tree; and its blobs, kept
/// for reading file contents later.
fn into_image(
    resolved: ResolvedImage,
    layers: Vec<Layer>,
    tree: FileTree,
    captured: Vec<(crate::model::VersionId, crate::model::Captured)>,
) -> (Image, ImageBlobs) {
    let config = resolved.config;
    let image = Image {
        input: resolved.input,
        name: resolved.name,
        source: resolved.kind,
        manifest_digest: resolved.manifest_digest,
        config_digest: resolved.config_digest,
        platform: config.platform,
        created: config.created,
        config: config.runtime,
        history: config.history,
        layers,
        tree,
        captured,
        annotations: resolved.annotations,
    };
    (image, resolved.blobs)
}

/// Merging decoded layers in order, one at a time, then analyzing the result.
struct Assembly {
    merger: Merger,
    layers: Vec<Layer>,
    histories: Vec<Option<crate::model::HistoryEntry>>,
    limits: Limits,
    /// Decompressed tar bytes of the layers merged so far.
    tar_bytes: u64,
    /// What decoding kept of file contents, by tree version: only the newest capture of each
    /// node (a later layer's version hides the earlier one, whose capture is dropped at once),
    /// within [`MAX_IMAGE_CAPTURE_TEXT_BYTES`] of text for the whole image.
    captured: Vec<(crate::model::VersionId, crate::model::Captured)>,
    /// Where each node's capture is in `captured`, and which entries a later one replaced.
    captured_at: hashbrown::HashMap<crate::model::NodeId, usize>,
    captured_dead: Vec<bool>,
    /// Text bytes held in `captured`.
    captured_text_bytes: u64,
}

/// Most text one image's captures may hold together (512 MiB): each layer has its own budget
/// ([`crate::decode::capture::MAX_LAYER_TEXT_BYTES`]), and without this sixteen layers of
/// package lists would hold sixteen budgets. A capture past it is not kept, as a file over a
/// layer's budget is not.
pub const MAX_IMAGE_CAPTURE_TEXT_BYTES: u64 = 512 << 20;

impl Assembly {
    fn new(resolved: &ResolvedImage, limits: &Limits) -> Assembly {
        let count = resolved.blobs.layers.len();
        Assembly {
            merger: Merger::new(),
            layers: Vec::with_capacity(count),
            histories: history_for_layers(&resolved.config.history, count),
            limits: *limits,
            tar_bytes: 0,
            captured: Vec::new(),
            captured_at: hashbrown::HashMap::new(),
            captured_dead: Vec::new(),
            captured_text_bytes: 0,
        }
    }

    /// Keep `captured`, the capture of `node`'s new `version`: the node's earlier capture is
    /// hidden by it and dropped; a text past the image's budget is not kept.
    fn keep_capture(
        &mut self,
        node: crate::model::NodeId,
        version: crate::model::VersionId,
        captured: crate::model::Captured,
    ) {
        let text_len = |c: &crate::model::Captured| c.text().map_or(0, |t| t.len() as u64);
        if let Some(&k) = self.captured_at.get(&node)
            && !self.captured_dead[k]
        {
            self.captured_text_bytes -= text_len(&self.captured[k].1);
            self.captured[k].1 = crate::model::Captured::Shebang(String::new());
            self.captured_dead[k] = true;
            self.captured_at.remove(&node);
        }
        let len = text_len(&captured);
        if self.captured_text_bytes + len > MAX_IMAGE_CAPTURE_TEXT_BYTES {
            return;
        }
        self.captured_text_bytes += len;
        self.captured_at.insert(node, self.captured.len());
        self.captured.push((version, captured));
        self.captured_dead.push(false);
    }

    /// The image-wide limits: each layer within its own limits must not add up to more.
    fn check_image_limits(&self, pending: usize) -> Result<()> {
        // Versions, or paths: a whiteout of a path that never existed makes a node and no version.
        let written = self.merger.version_count().max(self.merger.node_count());
        if written.saturating_add(pending) > self.limits.max_image_entries {
            bail!(
                "the image's layers write more than {} entries together (the limit)",
                self.limits.max_image_entries
            );
        }
        if self.tar_bytes > self.limits.max_image_bytes {
            bail!(
                "the image's layers decompress to more than {} bytes together (the limit)",
                self.limits.max_image_bytes
            );
        }
        Ok(())
    }

    /// Layers merged so far: the index of the next one.
    fn len(&self) -> usize {
        self.layers.len()
    }

    /// Merge the next layer; its entries are dropped once merged. Fails when the image as a
    /// whole goes past its limits (checked before the merge, and after it: removing a large
    /// directory writes a version per path below it).
    fn add(&mut self, resolved: &ResolvedImage, mut entries: LayerEntries) -> Result<()> {
        let i = self.layers.len();
        let layer_ref = &resolved.blobs.layers[i];
        let name = layer_ref.digest.as_deref().unwrap_or(&layer_ref.path);
        let context = || format!("layer {i} ({name})");
        self.tar_bytes = self.tar_bytes.saturating_add(entries.tar_bytes);
        self.check_image_limits(entries.entries.len())
            .with_context(context)?;
        let changes = self.merger.apply(&entries);
        self.check_image_limits(0).with_context(context)?;
        let mut kept = std::mem::take(&mut entries.captured).into_iter().peekable();
        let versions: Vec<_> = self.merger.captured_versions().to_vec();
        for (entry, version, node) in versions {
            while kept.next_if(|(e, _)| *e < entry).is_some() {}
            if let Some((_, captured)) = kept.next_if(|(e, _)| *e == entry) {
                self.keep_capture(node, version, captured);
            }
        }
        let diff_id = resolved.config.diff_ids.get(i).cloned();
        let content_diff_id = entries
            .tar_digest
            .map(|d| format!("sha256:{}", crate::model::hex(&d)));
        // An uncompressed blob's digest is its diff_id: the one its content has, not the claim.
        let digest = layer_ref.digest.clone().or_else(|| {
            (entries.compression == Compression::None)
                .then(|| content_diff_id.clone())
                .flatten()
        });
        self.layers.push(Layer {
            index: i,
            digest,
            diff_id,
            content_diff_id,
            media_type: layer_ref.media_type.clone(),
            compression: entries.compression,
            compressed_size: entries.blob_bytes,
            size: entries.content_bytes(),
            tar_size: entries.tar_bytes,
            entry_count: entries.entries.len() as u64,
            file_count: entries
                .entries
                .iter()
                .filter(|e| e.kind == crate::model::EntryKind::File)
                .count() as u64,
            history: self.histories[i].clone(),
            changes,
        });
        Ok(())
    }

    fn finish(
        mut self,
        resolved: ResolvedImage,
        layer_files: &[Option<PathBuf>],
        layer_bases: &[u64],
        options: &LoadOptions,
    ) -> Result<Loaded> {
        let unread = self.merger.take_unread();
        let (mut tree, ledger) = self.merger.finish();
        if options.decode.hash_contents {
            // Each layer's content as read, and where its tar starts in its file: the same
            // layer in another file (another release's archive) is hashed once per process.
            let identities: Vec<Option<(String, u64)>> = (0..layer_files.len())
                .map(|i| {
                    let id = self.layers.get(i)?.content_diff_id.clone()?;
                    Some((id, layer_bases.get(i).copied().unwrap_or(0)))
                })
                .collect();
            deferred_hash::hash_unread(
                &mut tree,
                &unread,
                layer_files,
                options.hash_all_files,
                &identities,
            )
            .context("hashing file contents")?;
        }
        // Only the captures still standing (a node's newest), in version order as decoded.
        let dead = self.captured_dead;
        let captured: Vec<_> = self
            .captured
            .into_iter()
            .zip(dead)
            .filter(|(_, dead)| !dead)
            .map(|(c, _)| c)
            .collect();
        let (image, blobs) = into_image(resolved, self.layers, tree, captured);
        let role = role_for(&image, &options.roles);
        let analysis = analysis::analyze_keeping(
            &image,
            ledger.result(),
            &options.keep,
            &options.ignore,
            role,
        );
        Ok(Loaded {
            image,
            analysis,
            blobs,
        })
    }
}

/// The role the user gave `image`, if any: the first `--role` whose IMAGE is its input, its name,
/// its displayed name, or `*`.
pub fn role_for(
    image: &Image,
    roles: &[(String, crate::analysis::role::Role)],
) -> Option<crate::analysis::role::Role> {
    roles
        .iter()
        .find(|(key, _)| {
            key == "*"
                || *key == image.input
                || image.name.as_deref() == Some(key.as_str())
                || image.display_name() == key
        })
        .map(|(_, r)| *r)
}

/// The loaded images analysed as one set (one image is a set of one): sharing and the trim plan.
/// Layers-only images take part by their manifests.
pub fn set_analysis(
    loaded: &[Loaded],
    worth: crate::analysis::plan::Worth,
) -> crate::analysis::set::SetAnalysis {
    let images: Vec<_> = loaded
        .iter()
        .map(|l| (&l.image, (!l.analysis.layers_only).then_some(&l.analysis)))
        .collect();
    crate::analysis::set::analyze(&images, worth)
}

//! Where images come from. Every source resolves to the same [`ResolvedImage`]: identity, parsed
//! config, the ordered layer blobs, and a [`files::ImageFiles`] to stream them from. The load
//! pipeline does the rest the same way for all of them.

pub mod container_storage;
pub mod containerd;
pub mod docker;
pub mod docker_store;
pub mod engine;
pub mod files;
pub mod image_config;
pub mod oci;
pub mod platform;
pub mod reference;
pub mod registry;
pub mod stream_archive;
pub mod tar_split;

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::decode::guard::{Counted, Inflated, LimitError};
use crate::model::{Platform, SourceKind};
use files::{DirFiles, ImageFiles, TarFiles};
use image_config::ParsedConfig;
use reference::ImageRef;

/// At most this many names in an error message's list (tags, ref names, platforms): the list
/// comes from the image and may be as long as a manifest can be.
const LISTED: usize = 20;

/// `a, b, c` for an error message, "none" when empty, cut after [`LISTED`] items.
pub(crate) fn short_list(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    let mut out = items[..items.len().min(LISTED)].join(", ");
    if items.len() > LISTED {
        out.push_str(&format!(", and {} more", items.len() - LISTED));
    }
    out
}

/// Which image to take from a source that holds several.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `name:tag` (docker archives) or ref name (OCI layouts).
    pub name: Option<String>,
    pub platform: Option<Platform>,
}

/// One layer blob, as the manifest describes it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// Where the blob is inside the image files.
    pub path: String,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    /// Size the manifest declares, if it declares one.
    pub declared_size: Option<u64>,
}

pub struct ResolvedImage {
    pub input: String,
    pub name: Option<String>,
    pub kind: SourceKind,
    pub manifest_digest: Option<String>,
    pub config_digest: Option<String>,
    pub config: ParsedConfig,
    pub blobs: ImageBlobs,
    /// How the image was reached, when it is worth saying (`-v`): read in place from an engine's
    /// store.
    pub route: Option<String>,
    /// The image manifest's annotations (sorted by key), where the source has a manifest.
    pub annotations: Vec<(String, String)>,
}

/// The image's layer blobs and where to read them, kept after loading so file contents can be
/// read later (`cat`, `export`, the viewer).
pub struct ImageBlobs {
    pub layers: Vec<LayerRef>,
    pub files: Box<dyn ImageFiles>,
    /// A spooled copy of stdin or of a compressed archive, deleted when the image is dropped.
    _spool: Option<files::Spool>,
}

impl ImageBlobs {
    pub fn new(
        layers: Vec<LayerRef>,
        files: Box<dyn ImageFiles>,
        spool: Option<files::Spool>,
    ) -> ImageBlobs {
        ImageBlobs {
            layers,
            files,
            _spool: spool,
        }
    }

    /// Stream layer `index`'s blob as stored, verified whole first where the source can only
    /// verify it at its end (see [`ImageFiles::open_verified`]).
    pub fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>> {
        let layer = self
            .layers
            .get(index)
            .ok_or_else(|| anyhow!("no layer {index}"))?;
        self.files.open_verified(&layer.path)
    }
}

/// How to reach and choose images, from every kind of source.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    pub platform: Option<Platform>,
    /// Where stdin or a compressed archive is spooled while it is read.
    pub temp_dir: PathBuf,
    pub registry: registry::RegistryOptions,
    /// Where a bare image reference is looked for.
    pub preference: SourcePreference,
    /// Read engine images through the engine's export, never from its store in place (Podman's,
    /// or Docker's for `--layers-only`; containerd's content store, which has no export, over its
    /// API).
    pub engine_export: bool,
}

/// `--source`: where a bare reference (`app:1`) is looked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SourcePreference {
    /// A local engine (Docker, then Podman, then containerd) if it has the image, else the
    /// registry.
    #[default]
    Auto,
    Docker,
    Podman,
    Containerd,
    Registry,
    /// Files only: a reference that is no file is an error.
    Archive,
}

/// An image whose archive arrives as a stream (stdin, an engine's export).
pub struct StreamSource {
    pub input: String,
    pub reader: Box<dyn Read + Send>,
    /// The source to report, when it is not the archive format itself (an engine).
    pub kind: Option<SourceKind>,
    pub name: Option<String>,
    pub selection: Selection,
    /// Bytes the stream will carry, when known (for progress).
    pub expected_bytes: Option<u64>,
    /// Whatever must stay alive while the stream is read (an engine connection).
    pub keepalive: Option<Box<dyn std::any::Any + Send>>,
    /// What the engine said of the image before the export (shown while it arrives).
    pub preview: Option<Box<crate::model::EnginePreview>>,
    /// Why an engine's image comes through its export when its store could have been read in
    /// place (`-v`).
    pub route: Option<String>,
    /// What the engine vouches for before the export: the image ID (its config's digest) and
    /// the layers' diff_ids, which it computed itself. With both, an image seen before is put
    /// together from imgscope's caches without exporting it again.
    pub engine_identity: Option<EngineIdentity>,
}

/// An engine image's identity, as the engine computed it (see [`StreamSource::engine_identity`]).
#[derive(Debug, Clone)]
pub struct EngineIdentity {
    /// `sha256:…` of the image config.
    pub id: String,
    pub diff_ids: Vec<String>,
}

/// How an input will be read: from files that can be opened at will, or as one stream.
pub enum Access {
    Files(Box<ResolvedImage>),
    Stream(Box<StreamSource>),
}

/// Decide how to read what the user typed.
/// `layers_only`: only manifests and configs will be read (`--layers-only`), which lets a Docker
/// image be read from the engine's store in place.
pub fn access(input: &str, options: &SourceOptions, layers_only: bool) -> Result<Access> {
    if input == "-" {
        let stdin = io::stdin();
        if stdin.is_terminal() {
            bail!("stdin is a terminal; pipe an image into it, e.g. docker save app | imgscope -");
        }
        return Ok(Access::Stream(Box::new(StreamSource {
            input: input.to_string(),
            reader: Box::new(stdin),
            kind: None,
            name: None,
            selection: Selection {
                name: None,
                platform: options.platform.clone(),
            },
            expected_bytes: None,
            keepalive: None,
            preview: None,
            route: None,
            engine_identity: None,
        })));
    }
    let reference = match reference::parse(input) {
        ImageRef::Engine { kind, reference } => {
            return engine_stream(input, &reference, Some(kind), options, layers_only);
        }
        ImageRef::Containerd(reference) => {
            return containerd_required(input, &reference, options);
        }
        ImageRef::Remote(name) if !reference::looks_like_path(&name) => name,
        _ => return resolve(input, options).map(|r| Access::Files(Box::new(r))),
    };
    let selection = Selection {
        name: None,
        platform: options.platform.clone(),
    };
    match options.preference {
        SourcePreference::Docker | SourcePreference::Podman => {
            let kind = if options.preference == SourcePreference::Docker {
                engine::EngineKind::Docker
            } else {
                engine::EngineKind::Podman
            };
            engine_stream(input, &reference, Some(kind), options, layers_only)
        }
        SourcePreference::Containerd => containerd_required(input, &reference, options),
        SourcePreference::Registry => resolve(input, options).map(|r| Access::Files(Box::new(r))),
        SourcePreference::Archive => bail!("no such file or directory"),
        SourcePreference::Auto => {
            if let Some(found) = engine::find(
                input,
                &reference,
                None,
                &selection,
                options.engine_export,
                layers_only,
            )? {
                return Ok(found.into_access());
            }
            match containerd_find(input, &reference, options, false)? {
                Some(found) => Ok(Access::Files(Box::new(found))),
                None => resolve(input, options).map(|r| Access::Files(Box::new(r))),
            }
        }
    }
}

/// `reference` in containerd, asked for by name: not finding it is an error.
fn containerd_required(input: &str, reference: &str, options: &SourceOptions) -> Result<Access> {
    containerd_find(input, reference, options, true)?
        .map(|r| Access::Files(Box::new(r)))
        .ok_or_else(|| anyhow!("{reference} not found in containerd"))
}

/// `reference` in containerd: `Ok(None)` when it is not there and was not asked for by name
/// (`explicit`), where that is an error instead.
fn containerd_find(
    input: &str,
    reference: &str,
    options: &SourceOptions,
    explicit: bool,
) -> Result<Option<ResolvedImage>> {
    let selection = Selection {
        name: None,
        platform: options.platform.clone(),
    };
    let found = containerd::find(
        input,
        reference,
        &selection,
        explicit,
        !options.engine_export,
    )?;
    Ok(found)
}

fn engine_stream(
    input: &str,
    reference: &str,
    kind: Option<engine::EngineKind>,
    options: &SourceOptions,
    layers_only: bool,
) -> Result<Access> {
    let selection = Selection {
        name: None,
        platform: options.platform.clone(),
    };
    match engine::find(
        input,
        reference,
        kind,
        &selection,
        options.engine_export,
        layers_only,
    )? {
        Some(found) => Ok(found.into_access()),
        None => bail!("{reference} not found in the engine"),
    }
}

/// Describe a streamed archive once it has been read: the same resolvers as for files.
pub fn describe_stream(
    source: &StreamSource,
    files: stream_archive::MemFiles,
) -> Result<ResolvedImage> {
    let files: Box<dyn ImageFiles> = Box::new(files);
    let mut resolved = describe(&source.input, files, None, &source.selection, None)?;
    if let Some(kind) = source.kind {
        resolved.kind = kind;
    }
    if source.name.is_some() {
        resolved.name = source.name.clone();
    }
    Ok(resolved)
}

/// Resolve what the user typed into an image ready to decode.
pub fn resolve(input: &str, options: &SourceOptions) -> Result<ResolvedImage> {
    let platform = options.platform.as_ref();
    let temp_dir = options.temp_dir.as_path();
    let mut selection = Selection {
        name: None,
        platform: platform.cloned(),
    };
    let (path, spool, forced) = match reference::parse(input) {
        ImageRef::Stdin => bail!("stdin is read as a stream (see plan), not resolved as files"),
        ImageRef::DockerArchive { path, name } => {
            selection.name = name;
            (path, None, Some(SourceKind::DockerArchive))
        }
        ImageRef::OciArchive { path, name } => {
            selection.name = name;
            (path, None, Some(SourceKind::OciArchive))
        }
        ImageRef::OciLayout { path, name } => {
            selection.name = name;
            (path, None, Some(SourceKind::OciLayout))
        }
        ImageRef::Path(path) => (path, None, None),
        ImageRef::Remote(name) | ImageRef::Registry(name) => {
            if reference::looks_like_path(&name) {
                bail!("no such file or directory");
            }
            return registry::resolve(input, &name, platform, &options.registry);
        }
        ImageRef::Engine { .. } => bail!("engine images are read as a stream (see plan)"),
        ImageRef::Containerd(_) => bail!("containerd images are found by plan, not resolved"),
    };
    open_path(input, &path, spool, forced, &selection, temp_dir)
}

/// A `docker save | gzip` archive is decompressed into a temporary file first: the archive must
/// be seekable to read its layers in parallel. The file has no name (see
/// [`files::anonymous_spool`]): the spool and the path to reopen it by.
fn decompress_archive(path: &Path, temp_dir: &Path) -> Result<Option<(files::Spool, PathBuf)>> {
    let mut head = [0u8; 4];
    let mut file = File::open(path)?;
    let n = file.read(&mut head)?;
    let compressed = matches!(&head[..n], [0x1f, 0x8b, ..] | [0x28, 0xb5, 0x2f, 0xfd]);
    if !compressed {
        return Ok(None);
    }
    let (mut spool, spool_path) = files::anonymous_spool(temp_dir)?;
    let compressed = std::sync::atomic::AtomicU64::new(0);
    let counted = Counted {
        inner: File::open(path)?,
        total: &compressed,
        progress: None,
    };
    let (_, stream) = crate::decode::compression::decompress(counted)?;
    let limits = crate::decode::Limits::default();
    let mut stream = Inflated {
        inner: stream,
        total: 0,
        compressed: &compressed,
        what: "the archive",
        max_bytes: files::MAX_ARCHIVE_BYTES,
        max_ratio: limits.max_ratio,
        ratio_grace: limits.ratio_grace_bytes,
    };
    let mut out = files::SpoolWriter {
        file: &mut spool.file,
        dir: temp_dir,
        unchecked: 0,
    };
    io::copy(&mut stream, &mut out).map_err(|e| {
        if let Some(limit) = LimitError::from_io(&e) {
            anyhow!("{limit}")
        } else if e.kind() == io::ErrorKind::UnexpectedEof {
            anyhow!("truncated compressed archive")
        } else {
            anyhow!("decompressing the archive: {e}")
        }
    })?;
    Ok(Some((spool, spool_path)))
}

fn open_path(
    input: &str,
    path: &Path,
    mut spool: Option<files::Spool>,
    forced: Option<SourceKind>,
    selection: &Selection,
    temp_dir: &Path,
) -> Result<ResolvedImage> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => anyhow!("no such file or directory"),
        io::ErrorKind::PermissionDenied => anyhow!("permission denied"),
        _ => anyhow!("{e}"),
    })?;
    if meta.is_dir() {
        if forced.is_some_and(|k| k != SourceKind::OciLayout) {
            bail!("is a directory, not an archive");
        }
        let files = DirFiles::new(path);
        if !files.exists("index.json") {
            bail!("not an image: the directory has no index.json (not an OCI image layout)");
        }
        return from_oci(
            input,
            Box::new(files),
            SourceKind::OciLayout,
            selection,
            spool,
        );
    }
    if forced == Some(SourceKind::OciLayout) {
        bail!("not a directory (oci: takes an OCI layout directory; use oci-archive: for a tar)");
    }
    if meta.len() == 0 {
        bail!("not an image: the file is empty");
    }
    let mut archive_path: PathBuf = path.to_path_buf();
    if spool.is_none()
        && let Some((decompressed, decompressed_path)) = decompress_archive(path, temp_dir)?
    {
        archive_path = decompressed_path;
        spool = Some(decompressed);
    }
    let files = TarFiles::index(&archive_path).map_err(|e| {
        if e.to_string().starts_with("not a tar") {
            anyhow!("not an image: not a tar archive")
        } else {
            e
        }
    })?;
    describe(input, Box::new(files), forced, selection, spool)
}

/// Resolve the image an archive's files describe: `manifest.json` (docker) or `index.json` (OCI).
fn describe(
    input: &str,
    files: Box<dyn ImageFiles>,
    forced: Option<SourceKind>,
    selection: &Selection,
    spool: Option<files::Spool>,
) -> Result<ResolvedImage> {
    let has_manifest = files.exists("manifest.json");
    let has_index = files.exists("index.json");
    match forced {
        Some(SourceKind::DockerArchive) if !has_manifest => {
            bail!("not a docker archive: no manifest.json")
        }
        Some(SourceKind::OciArchive) if !has_index => bail!("not an OCI archive: no index.json"),
        _ => {}
    }
    if has_manifest && forced != Some(SourceKind::OciArchive) {
        from_docker(input, files, selection, spool)
    } else if has_index {
        from_oci(input, files, SourceKind::OciArchive, selection, spool)
    } else {
        bail!("not an image: the archive has no manifest.json or index.json")
    }
}

/// Read and parse the image config, checked against its digest (and declared size) when known.
fn read_config(
    files: &dyn ImageFiles,
    path: &str,
    digest: Option<&str>,
    size: Option<u64>,
) -> Result<ParsedConfig> {
    let bytes = files
        .read_small(path)
        .map_err(|e| anyhow!("image config: {e}"))?;
    let config = image_config::parse(&bytes)?;
    if let Some(digest) = digest {
        oci::verify_blob("image config", &bytes, digest, size)?;
    }
    Ok(config)
}

fn from_docker(
    input: &str,
    files: Box<dyn ImageFiles>,
    selection: &Selection,
    spool: Option<files::Spool>,
) -> Result<ResolvedImage> {
    let image = docker::resolve(files.as_ref(), selection)?;
    let config = read_config(
        files.as_ref(),
        &image.config_path,
        image.config_digest.as_deref(),
        None,
    )?;
    check_layers(files.as_ref(), &image.layers)?;
    Ok(ResolvedImage {
        input: input.to_string(),
        name: image.name,
        kind: SourceKind::DockerArchive,
        manifest_digest: None,
        config_digest: image.config_digest,
        config,
        blobs: ImageBlobs {
            layers: image.layers,
            files,
            _spool: spool,
        },
        route: None,
        annotations: Vec::new(),
    })
}

fn from_oci(
    input: &str,
    files: Box<dyn ImageFiles>,
    kind: SourceKind,
    selection: &Selection,
    spool: Option<files::Spool>,
) -> Result<ResolvedImage> {
    let image = oci::resolve(files.as_ref(), selection)?;
    let config = read_config(
        files.as_ref(),
        &image.config_path,
        Some(&image.config_digest),
        Some(image.config_size),
    )?;
    check_layers(files.as_ref(), &image.layers)?;
    Ok(ResolvedImage {
        input: input.to_string(),
        name: image.name,
        kind,
        manifest_digest: Some(image.manifest_digest),
        config_digest: Some(image.config_digest),
        config,
        blobs: ImageBlobs {
            layers: image.layers,
            files,
            _spool: spool,
        },
        route: None,
        annotations: image.annotations,
    })
}

/// Every layer blob must be present (and as large as declared) before decoding starts, so a
/// broken image fails at once with the blob named.
fn check_layers(files: &dyn ImageFiles, layers: &[LayerRef]) -> Result<()> {
    for (i, layer) in layers.iter().enumerate() {
        let name = layer.digest.as_deref().unwrap_or(&layer.path);
        if files::clean_path(&layer.path).is_none() {
            bail!("layer {i}: path {:?} points outside the image", layer.path);
        }
        let size = match files.size(&layer.path) {
            Ok(size) => size,
            Err(e) if files.exists(&layer.path) => bail!("layer {i}: {e:#}"),
            Err(_) => bail!("layer {i}: missing blob {name}"),
        };
        if let Some(declared) = layer.declared_size
            && declared != size
        {
            bail!("layer {i}: blob {name} is {size} bytes but the manifest declares {declared}");
        }
    }
    Ok(())
}

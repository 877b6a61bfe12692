//! Podman's image store (containers/storage, as Podman, Buildah and CRI-O keep it) read in place.
//! Podman's API writes an image's whole export to a temporary file before it sends the first
//! byte (8 of the 9 seconds a 1.66 GB image takes); the store already holds what that export is
//! made of. Each layer is reassembled byte for byte from the store's tar-split record (every tar
//! header and padding as the layer's tar carried them, gzip-compressed JSON lines) and the
//! contents of the layer's files in its directory — what `podman save` itself does. The image is
//! presented as the docker archive Podman would export (`manifest.json`, `<config>.json`, one
//! `<diff_id>.tar` per layer), so it goes through the same pipeline as every other source.
//!
//! Files are opened beneath the layer's directory with symlinks refused (`openat2`), each checked
//! to be a regular file of the size its header declares and, as it is read, against the CRC-64
//! the record keeps of it (as tar-split's own reassembly does); a layer must come out at the size
//! the store recorded. Anything the store does not hold as expected (another storage driver, a
//! layer without tar-split, a changed file) is an error the caller can tell apart
//! ([`crate::decode::BlobReadError`]), and then asks the engine for its export instead.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use sha2::Digest;

use super::files::ImageFiles;
use crate::decode::BlobReadError;

/// tar-split's checksum of a file's content: CRC-64 with the ISO polynomial, as Go computes it.
const CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_GO_ISO);

/// Longer record lines are refused (real ones hold a header or 1 MiB of padding at most).
const MAX_LINE: u64 = 8 << 20;

#[derive(Deserialize)]
struct StoredImage {
    id: String,
    #[serde(default)]
    names: Vec<String>,
    /// The top layer's id (none for an image without layers).
    layer: Option<String>,
}

#[derive(Deserialize)]
struct StoredLayer {
    id: String,
    parent: Option<String>,
    #[serde(rename = "diff-digest")]
    diff_digest: Option<String>,
    #[serde(rename = "diff-size")]
    diff_size: Option<u64>,
}

/// One line of a tar-split record.
#[derive(Deserialize)]
struct SplitEntry {
    /// 1: a file's content, read from the layer's directory; 2: raw tar bytes.
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    /// The name's bytes when they are not UTF-8 (base64).
    #[serde(default)]
    name_raw: Option<String>,
    #[serde(default)]
    size: u64,
    /// Type 2: the raw bytes; type 1: the content's CRC-64 (big-endian); both base64.
    #[serde(default)]
    payload: Option<String>,
}

/// A layer as the store keeps it.
#[derive(Debug, Clone)]
struct LayerInStore {
    id: String,
    diff_digest: String,
    size: u64,
    tar_split: PathBuf,
    dir: PathBuf,
}

/// An image in the store, as the files of a docker archive.
pub struct StoreFiles {
    manifest: Vec<u8>,
    config_name: String,
    config: Vec<u8>,
    layers: HashMap<String, LayerInStore>,
}

/// The store's name for a piece of an image's "big data": plain when it is a safe file name,
/// else `=` and its base64.
fn big_data_file_names(key: &str) -> [String; 2] {
    [key.to_string(), format!("={}", BASE64.encode(key))]
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}", path.display()))
}

/// Open image `image_id` (`sha256:<hex>` or `<hex>`) of the store at `root`, kept by storage
/// driver `driver`.
pub fn open_image(root: &Path, driver: &str, image_id: &str) -> Result<StoreFiles> {
    let layer_dir = |id: &str| -> Result<PathBuf> {
        Ok(match driver {
            "vfs" => root.join("vfs/dir").join(id),
            "overlay" | "overlay2" => root.join("overlay").join(id).join("diff"),
            other => bail!("storage driver {other} is not read in place"),
        })
    };
    let hex = image_id.strip_prefix("sha256:").unwrap_or(image_id);
    let images_dir = root.join(format!("{driver}-images"));
    let images: Vec<StoredImage> = read_json(&images_dir.join("images.json"))?;
    let image = images
        .into_iter()
        .find(|i| i.id == hex)
        .ok_or_else(|| anyhow!("image {hex} is not in the store at {}", root.display()))?;

    // The config is the image's "big data" named by its digest, which is the image's id.
    let config_key = format!("sha256:{hex}");
    let config = big_data_file_names(&config_key)
        .iter()
        .find_map(|name| std::fs::read(images_dir.join(&image.id).join(name)).ok())
        .ok_or_else(|| anyhow!("the store holds no config for image {hex}"))?;
    let digest: String = sha2::Sha256::digest(&config)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != hex {
        bail!("the stored config of image {hex} has digest {digest}");
    }
    let config_json: serde_json::Value =
        serde_json::from_slice(&config).context("the stored image config")?;
    let diff_ids: Vec<&str> = config_json["rootfs"]["diff_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|d| d.as_str()).collect())
        .unwrap_or_default();

    let layers_dir = root.join(format!("{driver}-layers"));
    let mut known: HashMap<String, StoredLayer> = HashMap::new();
    for list in ["layers.json", "volatile-layers.json"] {
        let path = layers_dir.join(list);
        if list == "layers.json" || path.exists() {
            let layers: Vec<StoredLayer> = read_json(&path)?;
            known.extend(layers.into_iter().map(|l| (l.id.clone(), l)));
        }
    }
    // From the top layer down its parents, then base first.
    let mut chain = Vec::new();
    let mut next = image.layer.clone();
    while let Some(id) = next {
        if chain.len() > diff_ids.len() {
            bail!("image {hex}: the store's layer chain is longer than the config's diff_ids");
        }
        let layer = known
            .remove(&id)
            .ok_or_else(|| anyhow!("layer {id} of image {hex} is not in the store"))?;
        next = layer.parent.clone();
        chain.push(layer);
    }
    chain.reverse();
    let chain_ids: Vec<&str> = chain
        .iter()
        .map(|l| l.diff_digest.as_deref().unwrap_or(""))
        .collect();
    if chain_ids != diff_ids {
        bail!("image {hex}: the store's layers are not the config's diff_ids");
    }

    let mut layers = HashMap::new();
    let mut names = Vec::new();
    for stored in chain {
        let diff_digest = stored.diff_digest.clone().unwrap_or_default();
        let size = stored
            .diff_size
            .ok_or_else(|| anyhow!("layer {} has no recorded size", stored.id))?;
        let tar_split = layers_dir.join(format!("{}.tar-split.gz", stored.id));
        if !tar_split.is_file() {
            bail!("layer {} has no tar-split record", stored.id);
        }
        let dir = layer_dir(&stored.id)?;
        if !dir.is_dir() {
            bail!("layer {} has no directory at {}", stored.id, dir.display());
        }
        let name = format!(
            "{}.tar",
            diff_digest.strip_prefix("sha256:").unwrap_or(&diff_digest)
        );
        names.push(name.clone());
        layers.insert(
            name,
            LayerInStore {
                id: stored.id,
                diff_digest,
                size,
                tar_split,
                dir,
            },
        );
    }
    let config_name = format!("{hex}.json");
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": config_name,
        "RepoTags": image.names,
        "Layers": names,
    }]))?;
    Ok(StoreFiles {
        manifest,
        config_name,
        config,
        layers,
    })
}

impl ImageFiles for StoreFiles {
    fn exists(&self, path: &str) -> bool {
        path == "manifest.json" || path == self.config_name || self.layers.contains_key(path)
    }

    fn size(&self, path: &str) -> Result<u64> {
        if path == "manifest.json" {
            Ok(self.manifest.len() as u64)
        } else if path == self.config_name {
            Ok(self.config.len() as u64)
        } else {
            Ok(self.layer(path)?.size)
        }
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        if path == "manifest.json" {
            return Ok(Box::new(&self.manifest[..]));
        }
        if path == self.config_name {
            return Ok(Box::new(&self.config[..]));
        }
        let layer = self.layer(path)?;
        let reader = Reassembly::open(layer).map_err(|e| {
            BlobReadError::io(format!("layer {} in the store: {e:#}", layer.id), false)
        })?;
        Ok(Box::new(reader))
    }

    /// A layer's content is named by its diff_id, whichever store or archive holds it.
    fn cache_key(&self, path: &str) -> Option<String> {
        self.layers
            .get(path)
            .map(|l| format!("diff-id:{}", l.diff_digest))
    }
}

impl StoreFiles {
    fn layer(&self, path: &str) -> Result<&LayerInStore> {
        self.layers
            .get(path)
            .ok_or_else(|| anyhow!("missing file {path}"))
    }
}

/// A layer's tar stream, put back together from its tar-split record and its directory.
struct Reassembly {
    layer: LayerInStore,
    lines: BufReader<flate2::read::MultiGzDecoder<File>>,
    line: String,
    dir: File,
    /// Raw tar bytes of the current segment, and how many were handed out.
    segment: Vec<u8>,
    handed: usize,
    /// The file whose content comes next.
    file: Option<Pending>,
    total: u64,
}

/// A file whose content is being handed out.
struct Pending {
    file: File,
    due: u64,
    name: String,
    crc: crc::Digest<'static, u64, crc::Table<16>>,
    want_crc: u64,
}

impl Reassembly {
    fn open(layer: &LayerInStore) -> Result<Reassembly> {
        let split = File::open(&layer.tar_split)
            .with_context(|| format!("{}", layer.tar_split.display()))?;
        let dir = File::open(&layer.dir).with_context(|| format!("{}", layer.dir.display()))?;
        Ok(Reassembly {
            layer: layer.clone(),
            lines: BufReader::with_capacity(64 * 1024, flate2::read::MultiGzDecoder::new(split)),
            line: String::new(),
            dir,
            segment: Vec::new(),
            handed: 0,
            file: None,
            total: 0,
        })
    }

    fn error(&self, what: String) -> io::Error {
        BlobReadError::io(
            format!("layer {} in the store: {what}", self.layer.id),
            false,
        )
    }

    /// Read the next record line; false at the end of the record.
    fn next_entry(&mut self) -> io::Result<bool> {
        self.line.clear();
        let n = (&mut self.lines)
            .take(MAX_LINE)
            .read_line(&mut self.line)
            .map_err(|e| self.error(format!("unreadable tar-split record: {e}")))?;
        if n == 0 {
            return Ok(false);
        }
        if n as u64 == MAX_LINE && !self.line.ends_with('\n') {
            return Err(self.error(format!("a tar-split line longer than {MAX_LINE} bytes")));
        }
        let entry: SplitEntry = serde_json::from_str(self.line.trim_end())
            .map_err(|e| self.error(format!("corrupt tar-split record: {e}")))?;
        match entry.kind {
            2 => {
                let payload = entry.payload.unwrap_or_default();
                self.segment = BASE64
                    .decode(payload)
                    .map_err(|e| self.error(format!("corrupt tar-split segment: {e}")))?;
                self.handed = 0;
            }
            1 if entry.size > 0 => {
                let name = match (entry.name_raw, entry.name) {
                    (Some(raw), _) => BASE64
                        .decode(raw)
                        .map_err(|e| self.error(format!("corrupt tar-split name: {e}")))?,
                    (None, Some(name)) => name.into_bytes(),
                    (None, None) => return Err(self.error("a file entry without a name".into())),
                };
                let shown = String::from_utf8_lossy(&name).into_owned();
                let file = open_beneath(&self.dir, Path::new(OsStr::from_bytes(&name)))
                    .map_err(|e| self.error(format!("{shown}: {e}")))?;
                let meta = file
                    .metadata()
                    .map_err(|e| self.error(format!("{shown}: {e}")))?;
                if !meta.is_file() || meta.len() != entry.size {
                    return Err(self.error(format!(
                        "{shown} is {} bytes in the layer's directory, {} in its tar header",
                        meta.len(),
                        entry.size
                    )));
                }
                let want_crc = entry
                    .payload
                    .and_then(|p| BASE64.decode(p).ok())
                    .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| self.error(format!("{shown}: no checksum in the record")))?;
                self.file = Some(Pending {
                    file,
                    due: entry.size,
                    name: shown,
                    crc: CRC64.digest(),
                    want_crc,
                });
            }
            1 => {}
            other => return Err(self.error(format!("unknown tar-split entry type {other}"))),
        }
        Ok(true)
    }
}

impl Read for Reassembly {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(p) = self.file.as_mut() {
                let want = buf.len().min(usize::try_from(p.due).unwrap_or(usize::MAX));
                let n = match p.file.read(&mut buf[..want]) {
                    Ok(0) => {
                        let name = p.name.clone();
                        return Err(self.error(format!("{name} ended early")));
                    }
                    Ok(n) => n,
                    Err(e) => {
                        let name = p.name.clone();
                        return Err(self.error(format!("{name}: {e}")));
                    }
                };
                p.crc.update(&buf[..n]);
                p.due -= n as u64;
                if p.due == 0 {
                    let done = self.file.take().expect("a pending file");
                    if done.crc.finalize() != done.want_crc {
                        return Err(self.error(format!(
                            "{} is not the file its tar-split record describes (checksum)",
                            done.name
                        )));
                    }
                }
                return self.count(n);
            }
            if self.handed < self.segment.len() {
                let n = buf.len().min(self.segment.len() - self.handed);
                buf[..n].copy_from_slice(&self.segment[self.handed..self.handed + n]);
                self.handed += n;
                return self.count(n);
            }
            if !self.next_entry()? {
                if self.total != self.layer.size {
                    return Err(self.error(format!(
                        "reassembled to {} bytes, the store recorded {}",
                        self.total, self.layer.size
                    )));
                }
                return Ok(0);
            }
        }
    }
}

impl Reassembly {
    /// Count `n` bytes handed out; more than the store recorded is an error at once.
    fn count(&mut self, n: usize) -> io::Result<usize> {
        self.total += n as u64;
        if self.total > self.layer.size {
            return Err(self.error(format!(
                "reassembles to more than the {} bytes the store recorded",
                self.layer.size
            )));
        }
        Ok(n)
    }
}

/// Open `name` (relative) beneath `dir`, refusing `..` out of it and any symlink on the way
/// (a layer's directory is a root filesystem: its absolute symlinks point at the host's).
fn open_beneath(dir: &File, name: &Path) -> io::Result<File> {
    let mut relative = name.as_os_str().as_bytes();
    while let Some(rest) = relative
        .strip_prefix(b"./")
        .or_else(|| relative.strip_prefix(b"/"))
    {
        relative = rest;
    }
    let path =
        std::ffi::CString::new(relative).map_err(|_| io::Error::other("a name with a NUL byte"))?;
    // SAFETY: `open_how` is plain integers; all zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: `path` is a NUL-terminated string and `how` a valid `open_how` that both outlive
    // the call; the size passed is that of `how`. A non-negative result is a new descriptor that
    // nothing else owns.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            path.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened above and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A store of `driver` holding one image whose one layer is `entries` (path, content; a
    /// path ending in `/` is a directory), written as containers/storage writes it. Returns the
    /// image id and the layer's tar as `tar` built it.
    fn store(root: &Path, driver: &str, entries: &[(&str, &[u8])]) -> (String, Vec<u8>) {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, content) in entries {
            let mut h = tar::Header::new_ustar();
            if path.ends_with('/') {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
            } else {
                h.set_mode(0o644);
                h.set_size(content.len() as u64);
            }
            h.set_path(path).unwrap();
            h.set_cksum();
            builder.append(&h, *content).unwrap();
        }
        let layer_tar = builder.into_inner().unwrap();
        let sha = |b: &[u8]| -> String {
            sha2::Sha256::digest(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect()
        };
        let diff = sha(&layer_tar);
        let layer_id = diff.clone();

        // tar-split: header blocks (with the padding before them) as segments, contents as
        // file entries, the tail as a last segment.
        let mut lines = Vec::new();
        let mut pos = 0usize;
        let mut archive = tar::Archive::new(&layer_tar[..]);
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let start = entry.raw_file_position() as usize;
            lines.push(
                serde_json::json!({"type": 2, "payload": BASE64.encode(&layer_tar[pos..start])}),
            );
            let size = entry.size();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let content = &layer_tar[start..start + size as usize];
            let crc = (size > 0).then(|| BASE64.encode(CRC64.checksum(content).to_be_bytes()));
            lines.push(serde_json::json!({"type": 1, "name": name, "size": size, "payload": crc}));
            pos = start + size as usize;
        }
        lines.push(serde_json::json!({"type": 2, "payload": BASE64.encode(&layer_tar[pos..])}));
        let layers_dir = root.join(format!("{driver}-layers"));
        std::fs::create_dir_all(&layers_dir).unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            File::create(layers_dir.join(format!("{layer_id}.tar-split.gz"))).unwrap(),
            flate2::Compression::default(),
        );
        for line in &lines {
            writeln!(gz, "{line}").unwrap();
        }
        gz.finish().unwrap();
        std::fs::write(
            layers_dir.join("layers.json"),
            serde_json::to_vec(&serde_json::json!([{
                "id": layer_id, "diff-digest": format!("sha256:{diff}"),
                "diff-size": layer_tar.len()
            }]))
            .unwrap(),
        )
        .unwrap();
        // The layer's directory.
        let dir = match driver {
            "vfs" => root.join("vfs/dir").join(&layer_id),
            _ => root.join("overlay").join(&layer_id).join("diff"),
        };
        std::fs::create_dir_all(&dir).unwrap();
        for (path, content) in entries {
            if path.ends_with('/') {
                std::fs::create_dir_all(dir.join(path)).unwrap();
            } else {
                std::fs::write(dir.join(path), content).unwrap();
            }
        }
        // The image and its config.
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff}")]},
        }))
        .unwrap();
        let id = sha(&config);
        let images_dir = root.join(format!("{driver}-images"));
        std::fs::create_dir_all(images_dir.join(&id)).unwrap();
        std::fs::write(
            images_dir
                .join(&id)
                .join(format!("={}", BASE64.encode(format!("sha256:{id}")))),
            &config,
        )
        .unwrap();
        std::fs::write(
            images_dir.join("images.json"),
            serde_json::to_vec(&serde_json::json!([{
                "id": id, "names": ["localhost/test/app:1"], "layer": layer_id,
            }]))
            .unwrap(),
        )
        .unwrap();
        (id, layer_tar)
    }

    fn layer_bytes(files: &StoreFiles) -> io::Result<Vec<u8>> {
        let (name, _) = files.layers.iter().next().unwrap();
        let mut out = Vec::new();
        files.open(name).unwrap().read_to_end(&mut out)?;
        Ok(out)
    }

    const ENTRIES: &[(&str, &[u8])] = &[
        ("etc/", b""),
        ("etc/hostname", b"box\n"),
        ("usr/", b""),
        ("usr/big.bin", &[7u8; 5000]),
        ("empty", b""),
    ];

    #[test]
    fn a_layer_is_reassembled_byte_for_byte() {
        for driver in ["vfs", "overlay"] {
            let root = tempfile::tempdir().unwrap();
            let (id, tar) = store(root.path(), driver, ENTRIES);
            let files = open_image(root.path(), driver, &format!("sha256:{id}")).unwrap();
            assert_eq!(layer_bytes(&files).unwrap(), tar, "{driver}");
            let manifest: serde_json::Value =
                serde_json::from_slice(&files.read_small("manifest.json").unwrap()).unwrap();
            assert_eq!(manifest[0]["Config"], format!("{id}.json"));
            assert_eq!(manifest[0]["RepoTags"][0], "localhost/test/app:1");
            assert!(files.exists(&format!("{id}.json")));
        }
    }

    #[test]
    fn checksums_are_go_crc64_iso() {
        // The catalogue's check value of CRC-64/GO-ISO.
        assert_eq!(CRC64.checksum(b"123456789"), 0xb909_56c7_75a4_1001);
    }

    #[test]
    fn a_changed_or_escaping_file_is_an_error_not_other_bytes() {
        let root = tempfile::tempdir().unwrap();
        let (id, _) = store(root.path(), "vfs", ENTRIES);
        let files = open_image(root.path(), "vfs", &id).unwrap();
        let dir = &files.layers.values().next().unwrap().dir;
        // Same size, other bytes: the record's checksum tells.
        std::fs::write(dir.join("etc/hostname"), b"bux\n").unwrap();
        let err = layer_bytes(&files).unwrap_err();
        assert!(BlobReadError::from_io(&err).is_some());
        assert!(
            err.to_string().contains("etc/hostname is not the file"),
            "{err}"
        );
        // A file of another size than its header says.
        std::fs::write(dir.join("etc/hostname"), b"longer name\n").unwrap();
        let err = layer_bytes(&files).unwrap_err().to_string();
        assert!(err.contains("etc/hostname is 12 bytes"), "{err}");
        // A symlink where the layer has a directory: never followed out of the layer.
        std::fs::write(dir.join("etc/hostname"), b"box\n").unwrap();
        std::fs::rename(dir.join("usr"), dir.join("usr.real")).unwrap();
        std::os::unix::fs::symlink(dir.join("usr.real"), dir.join("usr")).unwrap();
        let err = layer_bytes(&files).unwrap_err().to_string();
        assert!(err.contains("usr/big.bin"), "{err}");
    }

    #[test]
    fn what_the_store_does_not_hold_as_expected_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let (id, _) = store(root.path(), "vfs", ENTRIES);
        let err = open_image(root.path(), "btrfs", &id).err().unwrap();
        assert!(format!("{err:#}").contains("images.json"), "{err:#}");
        let err = open_image(root.path(), "vfs", &"0".repeat(64))
            .err()
            .unwrap();
        assert!(err.to_string().contains("not in the store"), "{err}");
        // No tar-split record: the layer cannot be put back together.
        let layers = root.path().join("vfs-layers");
        for f in std::fs::read_dir(&layers).unwrap() {
            let f = f.unwrap().path();
            if f.to_string_lossy().ends_with(".tar-split.gz") {
                std::fs::remove_file(f).unwrap();
            }
        }
        let err = open_image(root.path(), "vfs", &id).err().unwrap();
        assert!(err.to_string().contains("no tar-split record"), "{err}");
    }
}

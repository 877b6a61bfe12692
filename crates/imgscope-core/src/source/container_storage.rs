//! Podman's image store (containers/storage, as Podman, Buildah and CRI-O keep it) read in place.
//! Podman's API writes an image's whole export to a temporary file before it sends the first
//! byte (8 of the 9 seconds a 1.66 GB image takes); the store already holds what that export is
//! made of. Each layer is reassembled byte for byte from the store's tar-split record (every tar
//! header and padding as the layer's tar carried them, gzip-compressed JSON lines) and the
//! contents of the layer's files in its directory — what `podman save` itself does. The image is
//! presented as the docker archive Podman would export (`manifest.json`, `<config>.json`, one
//! `<diff_id>.tar` per layer), so it goes through the same pipeline as every other source.
//!
//! This module reads the store's records (images, layers, configs); [`super::tar_split`] puts a
//! layer back together. Anything the store does not hold as expected is an error, and the image
//! then comes through the engine's export instead: when opening the image (another storage
//! driver, a layer without tar-split), or while reading a layer (a changed file), where the error
//! is a [`crate::decode::BlobReadError`] that the loader tells apart from errors in the bytes.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::files::ImageFiles;
use super::tar_split::{Reassembly, SplitLayer};

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

/// A layer as the store keeps it.
#[derive(Debug, Clone)]
struct LayerInStore {
    diff_digest: String,
    split: SplitLayer,
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
    let bytes = super::files::read_capped(path, super::files::MAX_METADATA_BYTES)?;
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

    // The config is the image's "big data" named by its digest, which is the image's id. It is
    // served as `<id>.json`, so the pipeline checks it against that digest as it reads it.
    let config_key = format!("sha256:{hex}");
    let config = big_data_file_names(&config_key)
        .iter()
        .find_map(|name| {
            super::files::read_capped(
                &images_dir.join(&image.id).join(name),
                super::files::MAX_METADATA_BYTES,
            )
            .ok()
        })
        .ok_or_else(|| anyhow!("the store holds no config for image {hex}"))?;
    let diff_ids = super::image_config::parse(&config)
        .context("the stored image config")?
        .diff_ids;

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
    if chain_ids != diff_ids.iter().map(String::as_str).collect::<Vec<_>>() {
        bail!("image {hex}: the store's layers are not the config's diff_ids");
    }

    let mut layers = Vec::new();
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
        layers.push((
            diff_digest,
            SplitLayer {
                id: stored.id,
                size,
                tar_split,
                dir,
            },
        ));
    }
    StoreFiles::new(hex, config, image.names, layers)
}

impl StoreFiles {
    /// The docker archive an engine would export of image `hex` (its config's digest, hex):
    /// `manifest.json`, `<hex>.json` and one `<diff_id hex>.tar` per layer (diff_id, where the
    /// store keeps it), base first.
    pub fn new(
        hex: &str,
        config: Vec<u8>,
        tags: Vec<String>,
        chain: Vec<(String, SplitLayer)>,
    ) -> Result<StoreFiles> {
        let mut layers = HashMap::new();
        let mut names = Vec::new();
        for (diff_digest, split) in chain {
            let name = format!(
                "{}.tar",
                diff_digest.strip_prefix("sha256:").unwrap_or(&diff_digest)
            );
            names.push(name.clone());
            layers.insert(name, LayerInStore { diff_digest, split });
        }
        let config_name = format!("{hex}.json");
        let manifest = serde_json::to_vec(&serde_json::json!([{
            "Config": config_name,
            "RepoTags": tags,
            "Layers": names,
        }]))?;
        Ok(StoreFiles {
            manifest,
            config_name,
            config,
            layers,
        })
    }
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
            Ok(self.layer(path)?.split.size)
        }
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        if path == "manifest.json" {
            return Ok(Box::new(&self.manifest[..]));
        }
        if path == self.config_name {
            return Ok(Box::new(&self.config[..]));
        }
        let layer = &self.layer(path)?.split;
        Ok(Box::new(Reassembly::open(layer)?))
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

#[cfg(test)]
mod tests {
    use super::super::tar_split::{CRC64, MAX_LINE};
    use super::*;
    use crate::decode::BlobReadError;
    use sha2::Digest;
    use std::fs::File;
    use std::io::{self, Write};

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
        let sha = |b: &[u8]| crate::model::hex(&sha2::Sha256::digest(b));
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
            // The record alone gives the tar's length (what Docker's store is read for).
            let split = &files.layers.values().next().unwrap().split;
            assert_eq!(
                super::super::tar_split::tar_length(&split.tar_split),
                Ok(tar.len() as u64)
            );
            let manifest: serde_json::Value =
                serde_json::from_slice(&files.read_small("manifest.json").unwrap()).unwrap();
            assert_eq!(manifest[0]["Config"], format!("{id}.json"));
            assert_eq!(manifest[0]["RepoTags"][0], "localhost/test/app:1");
            assert!(files.exists(&format!("{id}.json")));
        }
    }

    #[test]
    fn a_changed_or_escaping_file_is_an_error_not_other_bytes() {
        let root = tempfile::tempdir().unwrap();
        let (id, _) = store(root.path(), "vfs", ENTRIES);
        let files = open_image(root.path(), "vfs", &id).unwrap();
        let dir = &files.layers.values().next().unwrap().split.dir;
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
        // The layer's directory gone once the image was opened: the layer cannot be opened.
        std::fs::remove_dir_all(dir).unwrap();
        let (name, _) = files.layers.iter().next().unwrap();
        let err = files.open(name).err().unwrap();
        assert!(
            matches!(crate::decode::LayerError::of(&err),
                Some(crate::decode::LayerError::Source(s)) if s.message.contains("in the store")),
            "{err:#}"
        );
    }

    #[test]
    fn a_config_that_is_not_the_images_is_refused_by_the_pipeline() {
        let root = tempfile::tempdir().unwrap();
        let (id, _) = store(root.path(), "vfs", ENTRIES);
        let resolve = || {
            let files = open_image(root.path(), "vfs", &id).unwrap();
            super::super::describe("t", Box::new(files), None, &Default::default(), None)
        };
        assert!(resolve().is_ok());
        let config = root
            .path()
            .join("vfs-images")
            .join(&id)
            .join(format!("={}", BASE64.encode(format!("sha256:{id}"))));
        let changed = std::fs::read_to_string(&config)
            .unwrap()
            .replace("amd64", "arm64");
        std::fs::write(&config, changed).unwrap();
        let err = format!("{:#}", resolve().err().unwrap());
        assert!(err.contains(&format!("sha256:{id}")), "{err}");
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

    /// Replace the one layer's tar-split record with `lines`.
    fn rewrite_record(root: &Path, lines: &[String]) {
        let layers = root.join("vfs-layers");
        for f in std::fs::read_dir(&layers).unwrap() {
            let f = f.unwrap().path();
            if f.to_string_lossy().ends_with(".tar-split.gz") {
                let mut gz = flate2::write::GzEncoder::new(
                    File::create(&f).unwrap(),
                    flate2::Compression::fast(),
                );
                for line in lines {
                    writeln!(gz, "{line}").unwrap();
                }
                gz.finish().unwrap();
            }
        }
    }

    #[test]
    fn a_record_that_does_not_describe_the_layer_is_an_error_from_the_store() {
        let root = tempfile::tempdir().unwrap();
        let (id, _) = store(root.path(), "vfs", ENTRIES);
        let files = open_image(root.path(), "vfs", &id).unwrap();
        let segment =
            |bytes: &[u8]| format!(r#"{{"type":2,"payload":"{}"}}"#, BASE64.encode(bytes));
        let cases: Vec<(Vec<String>, &str)> = vec![
            (
                vec![r#"{"type":7}"#.into()],
                "unknown tar-split entry type 7",
            ),
            (vec!["not json".into()], "corrupt tar-split record"),
            (
                vec![r#"{"type":1,"name":"etc/hostname","size":4}"#.into()],
                "etc/hostname: no checksum in the record",
            ),
            (
                vec!["x".repeat(MAX_LINE as usize + 1)],
                "a tar-split line longer than",
            ),
            // More bytes than the store recorded: stopped as they pass, not at the end.
            (
                vec![segment(&vec![0u8; 1 << 20]), segment(&vec![0u8; 1 << 20])],
                "reassembles to more than the",
            ),
            // Fewer.
            (vec![segment(&[0u8; 512])], "reassembled to 512 bytes"),
        ];
        for (lines, want) in cases {
            rewrite_record(root.path(), &lines);
            let err = layer_bytes(&files).unwrap_err();
            assert!(BlobReadError::from_io(&err).is_some(), "{err}");
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
    }

    #[test]
    fn a_layer_chain_that_is_not_the_configs_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let (id, _) = store(root.path(), "vfs", ENTRIES);
        let layers = root.path().join("vfs-layers/layers.json");
        let text = std::fs::read_to_string(&layers).unwrap();
        let changed = text.replacen("\"diff-digest\":\"sha256:", "\"diff-digest\":\"sha256:0", 1);
        assert_ne!(text, changed);
        std::fs::write(&layers, changed).unwrap();
        let err = open_image(root.path(), "vfs", &id).err().unwrap();
        assert!(
            err.to_string().contains("not the config's diff_ids"),
            "{err}"
        );
    }
}

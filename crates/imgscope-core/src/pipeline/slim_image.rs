//! Writing the conservative slim image ([`crate::analysis::slim`]) as an OCI image layout: one
//! gzip layer of the kept entries, a config that keeps the original's entrypoint, command,
//! environment, user, working directory, ports and labels, a manifest, and the layout's
//! `index.json` naming it by tag — what `imgscope slim IMAGE -o oci:DIR[:TAG]` does, so that a user
//! can run (and test) the image the plan prices instead of trusting an estimate.
//!
//! Directories and links are written from the merged tree; regular files are streamed out of the
//! layer that wrote their final version, each layer read once, never unpacked to disk. The layer's
//! digests are computed while it is written. Blobs are content-addressed and written through
//! temporary files; `index.json` is replaced last, atomically, so a failure leaves the layout as it
//! was (and a directory this run created is removed).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use hashbrown::HashMap;
use sha2::{Digest as _, Sha256};

use crate::analysis::slim::SlimSet;
use crate::decode::compression::decompress;
use crate::decode::paths::normalize;
use crate::model::{EntryKind, Image, NodeId, hex};
use crate::pipeline::content::{FileLocation, locate};
use crate::source::ImageBlobs;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub manifest_digest: String,
    pub layer_diff_id: String,
    /// The layer's tar (uncompressed) and gzip (compressed) sizes.
    pub layer_size: u64,
    pub compressed_size: u64,
    /// Regular files written, and their bytes.
    pub files: u64,
    pub bytes: u64,
    pub tag: String,
}

/// Write `set` of `image` to the OCI layout `dir` under `tag`.
pub fn write_layout(
    image: &Image,
    blobs: &ImageBlobs,
    set: &SlimSet,
    dir: &Path,
    tag: &str,
) -> Result<Written> {
    check_tag(tag)?;
    let created = !dir.exists();
    let result = write_layout_inner(image, blobs, set, dir, tag);
    if result.is_err() && created {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

/// OCI ref names: `[A-Za-z0-9._:@/+-]`, not empty, at most 128 characters here.
fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty()
        || tag.len() > 128
        || !tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:@/+".contains(c))
    {
        bail!("tag {tag:?}: expected letters, digits and ._-:@/+ (at most 128)");
    }
    Ok(())
}

fn write_layout_inner(
    image: &Image,
    blobs: &ImageBlobs,
    set: &SlimSet,
    dir: &Path,
    tag: &str,
) -> Result<Written> {
    let layout = dir.join("oci-layout");
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty && !layout.is_file() {
            bail!(
                "{} is neither empty nor an OCI layout (no oci-layout file): refusing to write into it",
                dir.display()
            );
        }
    }
    let blob_dir = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blob_dir)
        .with_context(|| format!("creating {}", blob_dir.display()))?;
    if !layout.is_file() {
        crate::atomic_write::write(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    }

    // The layer: tar → (sha256 of the tar) → gzip → (sha256 of the gzip) → a temporary blob.
    let mut tmp = tempfile::Builder::new()
        .prefix(".imgscope-")
        .tempfile_in(&blob_dir)?;
    let gz_out = Hashing::new(tmp.as_file_mut());
    let gz = flate2::write::GzEncoder::new(gz_out, flate2::Compression::default());
    let tar_out = Hashing::new(gz);
    let mut builder = tar::Builder::new(tar_out);
    builder.mode(tar::HeaderMode::Complete);
    let (files, bytes) = write_entries(image, blobs, set, &mut builder)?;
    let tar_out = builder.into_inner()?;
    let (gz, diff_id, layer_size) = tar_out.finish();
    let gz_out = gz.finish()?;
    let (_, layer_digest, compressed_size) = gz_out.finish();
    tmp.as_file().sync_all()?;
    tmp.persist(blob_dir.join(&layer_digest))
        .map_err(|e| anyhow!("writing the layer blob: {}", e.error))?;

    let config = config_json(image, set, &diff_id)?;
    let config_digest = put_blob(&blob_dir, &config)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{config_digest}"),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": format!("sha256:{layer_digest}"),
            "size": compressed_size,
        }],
    });
    let manifest = serde_json::to_vec(&manifest)?;
    let manifest_digest = put_blob(&blob_dir, &manifest)?;
    write_index(dir, &manifest_digest, manifest.len() as u64, tag)?;
    Ok(Written {
        manifest_digest: format!("sha256:{manifest_digest}"),
        layer_diff_id: format!("sha256:{diff_id}"),
        layer_size,
        compressed_size,
        files,
        bytes,
        tag: tag.to_string(),
    })
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            len: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hash.finalize()), self.len)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A content-addressed blob, written through a temporary file; its hex digest.
fn put_blob(blob_dir: &Path, bytes: &[u8]) -> Result<String> {
    let digest = hex(&Sha256::digest(bytes));
    let path = blob_dir.join(&digest);
    if !path.is_file() {
        crate::atomic_write::write(&path, bytes)?;
    }
    Ok(digest)
}

/// A header for `node` as the final filesystem has it (path relative, as layers write them).
fn header_for(image: &Image, node: NodeId, kind: tar::EntryType, size: u64) -> tar::Header {
    let tree = &image.tree;
    let v = tree.live_final(node).expect("kept entries are live");
    let (uid, gid) = tree.owner(v);
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(v.mode & 0o7777);
    h.set_uid(u64::from(uid));
    h.set_gid(u64::from(gid));
    h.set_mtime(v.mtime);
    h.set_size(size);
    h
}

/// Write every kept entry: directories and links first (parents before children), then regular
/// files streamed out of their layers, one pass a layer. Returns (files, bytes).
fn write_entries<W: Write>(
    image: &Image,
    blobs: &ImageBlobs,
    set: &SlimSet,
    out: &mut tar::Builder<W>,
) -> Result<(u64, u64)> {
    let tree = &image.tree;
    // Kept ids ascend, and a parent's id is below its children's: directories come out first.
    let mut wanted: BTreeMap<usize, Vec<(FileLocation, NodeId)>> = BTreeMap::new();
    for &node in &set.keep {
        let Some(v) = tree.live_final(node) else {
            continue;
        };
        let rel = tree.path(node).trim_start_matches('/').to_string();
        match v.kind {
            EntryKind::Dir => {
                let mut h = header_for(image, node, tar::EntryType::Directory, 0);
                out.append_data(&mut h, format!("{rel}/"), io::empty())?;
            }
            EntryKind::Symlink => {
                let target = tree.link_target(v).unwrap_or("");
                let mut h = header_for(image, node, tar::EntryType::Symlink, 0);
                out.append_link(&mut h, &rel, target)?;
            }
            EntryKind::File | EntryKind::Hardlink => {
                let at = locate(tree, &format!("/{rel}"), None)
                    .with_context(|| format!("locating /{rel}"))?;
                wanted.entry(at.layer).or_default().push((at, node));
            }
            // Devices and FIFOs are the runtime's to make.
            _ => {}
        }
    }
    let (mut files, mut bytes) = (0u64, 0u64);
    for (layer, items) in wanted {
        // (entry path, occurrence) → the nodes whose content it is.
        let mut by_entry: HashMap<(String, usize), Vec<NodeId>> = HashMap::new();
        for (at, node) in &items {
            by_entry
                .entry((at.entry_path.clone(), at.occurrence))
                .or_default()
                .push(*node);
        }
        let blob = blobs
            .open_layer(layer)
            .with_context(|| format!("opening layer {layer}"))?;
        let (_, stream) = decompress(blob)?;
        let mut archive = tar::Archive::new(stream);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut path = String::new();
        let mut left = by_entry.len();
        for entry in archive.entries()? {
            if left == 0 {
                break;
            }
            let mut entry = entry?;
            normalize(&String::from_utf8_lossy(&entry.path_bytes()), &mut path);
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let count = seen.entry(path.clone()).or_insert(0);
            *count += 1;
            let Some(nodes) = by_entry.remove(&(path.clone(), *count)) else {
                continue;
            };
            left -= 1;
            let size = entry.header().size()?;
            // The first node gets the bytes; the others (hardlinks) link to it.
            let first = nodes[0];
            let first_rel = tree.path(first).trim_start_matches('/').to_string();
            let mut h = header_for(image, first, tar::EntryType::Regular, size);
            let mut counted = Counted {
                inner: &mut entry,
                len: 0,
            };
            out.append_data(&mut h, &first_rel, &mut counted)?;
            if counted.len != size {
                bail!("truncated layer {layer} reading /{path}");
            }
            files += 1;
            bytes += size;
            for &other in &nodes[1..] {
                let rel = tree.path(other).trim_start_matches('/').to_string();
                let mut h = header_for(image, other, tar::EntryType::Link, 0);
                out.append_link(&mut h, &rel, &first_rel)?;
                files += 1;
            }
        }
        if left > 0 {
            bail!("{left} kept files were not found in layer {layer}");
        }
    }
    out.finish()?;
    Ok((files, bytes))
}

struct Counted<R> {
    inner: R,
    len: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.len += n as u64;
        Ok(n)
    }
}

/// The slim image's config: the original's runtime settings, one layer, one history entry.
fn config_json(image: &Image, set: &SlimSet, diff_id: &str) -> Result<Vec<u8>> {
    let c = &image.config;
    let mut config = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        config.insert(k.to_string(), v);
    };
    if let Some(u) = c.user.as_deref().filter(|u| !u.is_empty()) {
        put("User", u.into());
    }
    if !c.exposed_ports.is_empty() {
        put(
            "ExposedPorts",
            c.exposed_ports
                .iter()
                .map(|p| (p.clone(), serde_json::json!({})))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
    }
    if !c.env.is_empty() {
        put("Env", c.env.clone().into());
    }
    if !c.entrypoint.is_empty() {
        put("Entrypoint", c.entrypoint.clone().into());
    }
    if !c.cmd.is_empty() {
        put("Cmd", c.cmd.clone().into());
    }
    if let Some(w) = c.working_dir.as_deref().filter(|w| !w.is_empty()) {
        put("WorkingDir", w.into());
    }
    if !c.labels.is_empty() {
        put(
            "Labels",
            c.labels
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
    }
    let mut doc = serde_json::json!({
        "architecture": image.platform.architecture,
        "os": image.platform.os,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
        "history": [{
            "created_by": format!(
                "imgscope slim {}: {} packages and their dependencies, {} files",
                image.display_name(),
                set.packages.len(),
                set.files
            ),
        }],
    });
    if let Some(v) = &image.platform.variant {
        doc["variant"] = v.clone().into();
    }
    if let Some(created) = &image.created {
        doc["created"] = created.clone().into();
    }
    // Parsed back as the OCI type: what is written is a valid image configuration.
    let bytes = serde_json::to_vec(&doc)?;
    oci_spec::image::ImageConfiguration::from_reader(&bytes[..])
        .map_err(|e| anyhow!("the slim image's config does not parse as OCI: {e}"))?;
    Ok(bytes)
}

/// Add (or replace) the manifest named `tag` in the layout's `index.json`, atomically.
fn write_index(dir: &Path, digest: &str, size: u64, tag: &str) -> Result<()> {
    let path: PathBuf = dir.join("index.json");
    let mut manifests: Vec<serde_json::Value> = match std::fs::read(&path) {
        Ok(bytes) => {
            let index: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} does not parse", path.display()))?;
            index
                .get("manifests")
                .and_then(|m| m.as_array())
                .cloned()
                .unwrap_or_default()
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(anyhow!(e).context(format!("reading {}", path.display()))),
    };
    manifests.retain(|m| {
        m.pointer("/annotations/org.opencontainers.image.ref.name")
            .and_then(|v| v.as_str())
            != Some(tag)
    });
    manifests.push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": format!("sha256:{digest}"),
        "size": size,
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }));
    let index = serde_json::json!({"schemaVersion": 2, "manifests": manifests});
    crate::atomic_write::write(&path, &serde_json::to_vec(&index)?)?;
    Ok(())
}

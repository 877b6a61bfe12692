//! Docker's own image store (a graphdriver store: `vfs`, `overlay2`) read in place, for
//! `--layers-only`: what `docker save` would export of an image — its config and each layer's
//! diff_id and tar length — without exporting it. Docker's containerd image store (Docker 24+
//! with `containerd-snapshotter`) has no such layout; there the export is read.
//!
//! The store at `<root>/image/<driver>/` keeps the config at `imagedb/content/sha256/<image ID
//! hex>` and each layer at `layerdb/sha256/<chain ID hex>/`: its `diff` (the diff_id), its
//! `cache-id` (the driver's directory) and its `tar-split.json.gz` (every tar header and padding
//! of the layer's tar, and each file's size). Every file of the store is untrusted: the config
//! must hash to the image ID, each layer's `diff` must be the config's diff_id (the chain ID
//! names the directory from the config's diff_ids, so a layer of another chain is never taken),
//! and each read is capped. The layer's tar length — what the export reports as its blob size —
//! is that of the tar its tar-split record puts back together. Anything else is an error, and the
//! image comes through the engine's export instead.
//!
//! The image is presented as the docker archive the export would be ([`StoreFiles`]): its layers
//! can be read too, reassembled from the record and the driver's directory as Podman's are.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use sha2::Digest;

use super::container_storage::StoreFiles;
use super::files::MAX_METADATA_BYTES;
use super::files::{must_be_regular, read_capped as read_store_file};
use super::tar_split::SplitLayer;

/// A layer record's small files (`diff`, `cache-id`) are a digest or an id: never longer.
const MAX_RECORD_FIELD: u64 = 256;

/// The chain IDs of a stack of layers (the OCI image spec, as Docker computes them):
/// `ChainID(L0) = DiffID(L0)`, `ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))`,
/// each a `sha256:<hex>` string.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let chain = match out.last() {
            None => diff_id.clone(),
            Some(parent) => format!(
                "sha256:{}",
                crate::model::hex(&sha2::Sha256::digest(format!("{parent} {diff_id}")))
            ),
        };
        out.push(chain);
    }
    out
}

/// `sha256:<64 hex>`'s hex, lowercase; `None` for anything else.
fn sha256_hex(digest: &str) -> Option<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A layer record's one-line field (`diff`, `cache-id`).
fn read_field(path: &Path) -> Result<String> {
    let bytes = read_store_file(path, MAX_RECORD_FIELD)?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{} is not text", path.display()))?;
    Ok(text.trim().to_string())
}

/// Open image `image_id` (`sha256:<hex>`) of the Docker store at `root` (`DockerRootDir`), kept
/// by storage driver `driver`. (Its tags are the engine's to say: the archive names none.)
pub fn open_image(root: &Path, driver: &str, image_id: &str) -> Result<StoreFiles> {
    let layer_dir = |cache_id: &str| -> Result<std::path::PathBuf> {
        Ok(match driver {
            "vfs" => root.join("vfs/dir").join(cache_id),
            "overlay2" => root.join("overlay2").join(cache_id).join("diff"),
            other => bail!("storage driver {other} is not read in place"),
        })
    };
    // Before anything is read: another driver is refused whatever the store holds.
    layer_dir("")?;
    let hex = sha256_hex(image_id)
        .ok_or_else(|| anyhow!("image ID {image_id:?} is not a sha256 digest"))?;
    let store = root.join("image").join(driver);
    if !store.is_dir() {
        bail!(
            "no graphdriver image store at {} (Docker's containerd image store is not read in place)",
            store.display()
        );
    }
    let config = read_store_file(
        &store.join("imagedb/content/sha256").join(hex),
        MAX_METADATA_BYTES,
    )
    .context("the stored image config")?;
    super::oci::verify_blob("the stored image config", &config, image_id, None)?;
    let diff_ids = super::image_config::parse(&config)
        .context("the stored image config")?
        .diff_ids;
    if let Some(bad) = diff_ids.iter().find(|d| sha256_hex(d).is_none()) {
        bail!("image {hex}: the config names a diff_id {bad:?} that is not a sha256 digest");
    }
    let mut layers = Vec::with_capacity(diff_ids.len());
    for (diff_id, chain_id) in diff_ids.iter().zip(chain_ids(&diff_ids)) {
        let chain_hex = sha256_hex(&chain_id).unwrap_or_default();
        let record = store.join("layerdb/sha256").join(chain_hex);
        let stored = read_field(&record.join("diff"))
            .with_context(|| format!("layer {chain_id} is not in the store"))?;
        if stored != *diff_id {
            bail!("layer {chain_id}: the store's diff_id {stored:?} is not the config's {diff_id}");
        }
        let cache_id = read_field(&record.join("cache-id"))?;
        if cache_id.is_empty() || !cache_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            bail!("layer {chain_id}: its cache-id {cache_id:?} is not a directory name");
        }
        let tar_split = record.join("tar-split.json.gz");
        must_be_regular(&tar_split).map_err(|e| anyhow!("layer {chain_id}: {e:#}"))?;
        let size = super::tar_split::tar_length(&tar_split)
            .map_err(|e| anyhow!("layer {chain_id}: {e}"))?;
        layers.push((
            diff_id.clone(),
            SplitLayer {
                id: chain_id.clone(),
                size,
                tar_split,
                dir: layer_dir(&cache_id)?,
            },
        ));
    }
    StoreFiles::new(hex, config, Vec::new(), layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use std::io::Write;

    /// The busybox sample image's diff_ids and the chain IDs Docker 20.10 gave them (the names
    /// of its `layerdb/sha256/` directories after `docker load`).
    #[test]
    fn chain_ids_are_dockers() {
        let diff_ids: Vec<String> = [
            "1b0dee3e8988108ec73efa463406b12b2168901133b8ef52d6e3889753f3fd36",
            "c56ca65fc3a47502ab682c18dbacf3e0113056a1757d1d810c2e87f8d15b4a90",
            "4dc2b210087bb254ea986a0542e476d825df77d854ea5cf965d8ac5e09f4596b",
            "6e4ef398c8965e3c67948fe2fa7b635c0619d2a26ef8a27dc26964a6af44b22d",
        ]
        .iter()
        .map(|h| format!("sha256:{h}"))
        .collect();
        let want: Vec<String> = [
            "1b0dee3e8988108ec73efa463406b12b2168901133b8ef52d6e3889753f3fd36",
            "56cc523dbee6341b5fe31b2206069caed7c68409908bfc0f637b3d2a31c2a998",
            "fbf242c06cccebb0119ccfe58ed4f792cc0961a6cb9a6b2cc0fbe3c3cdece4ff",
            "fa873fed8cf8c4b5fa3a3f8c5304574ae14ac5ac8713931e36c037ed0e157c66",
        ]
        .iter()
        .map(|h| format!("sha256:{h}"))
        .collect();
        assert_eq!(chain_ids(&diff_ids), want);
        assert!(chain_ids(&[]).is_empty());
    }

    const SEGMENT: &[u8] = &[b'h'; 512];
    const FILE_SIZE: u64 = 700;

    /// A Docker store (`vfs`) holding one image of two layers, each one 512-byte segment, one
    /// 700-byte file and a 1024-byte tail in its tar-split record. Returns the image ID.
    fn store(root: &Path) -> String {
        let sha = |b: &[u8]| format!("sha256:{}", crate::model::hex(&sha2::Sha256::digest(b)));
        let diff_ids = vec![sha(b"layer one"), sha(b"layer two")];
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap();
        let id = sha(&config);
        let store = root.join("image/vfs");
        let content = store.join("imagedb/content/sha256");
        std::fs::create_dir_all(&content).unwrap();
        std::fs::write(content.join(sha256_hex(&id).unwrap()), &config).unwrap();
        for (i, (diff_id, chain)) in diff_ids.iter().zip(chain_ids(&diff_ids)).enumerate() {
            let record = store
                .join("layerdb/sha256")
                .join(sha256_hex(&chain).unwrap());
            std::fs::create_dir_all(&record).unwrap();
            std::fs::write(record.join("diff"), diff_id).unwrap();
            std::fs::write(record.join("cache-id"), format!("cache{i}")).unwrap();
            let mut gz = flate2::write::GzEncoder::new(
                std::fs::File::create(record.join("tar-split.json.gz")).unwrap(),
                flate2::Compression::fast(),
            );
            for line in [
                serde_json::json!({"type": 2, "payload": BASE64.encode(SEGMENT)}),
                serde_json::json!({"type": 1, "name": "f", "size": FILE_SIZE, "payload": "AAAAAAAAAAA="}),
                serde_json::json!({"type": 2, "payload": BASE64.encode([0u8; 1024])}),
            ] {
                writeln!(gz, "{line}").unwrap();
            }
            gz.finish().unwrap();
        }
        id
    }

    /// Why opening image `id` of the store at `root` (by `driver`) fails.
    fn refusal(root: &Path, driver: &str, id: &str) -> String {
        format!("{:#}", open_image(root, driver, id).err().unwrap())
    }

    fn config_path(root: &Path, id: &str) -> std::path::PathBuf {
        root.join("image/vfs/imagedb/content/sha256")
            .join(sha256_hex(id).unwrap())
    }

    #[test]
    fn a_layers_tar_length_is_its_records() {
        let root = tempfile::tempdir().unwrap();
        let id = store(root.path());
        let files = open_image(root.path(), "vfs", &id).unwrap();
        let resolved =
            super::super::describe("t", Box::new(files), None, &Default::default(), None).unwrap();
        assert_eq!(resolved.config_digest.as_deref(), Some(id.as_str()));
        let diff_ids = &resolved.config.diff_ids;
        for (layer, diff_id) in resolved.blobs.layers.iter().zip(diff_ids) {
            // Named by its diff_id, as an uncompressed layer of an export is.
            assert_eq!(layer.digest.as_ref(), Some(diff_id));
            assert_eq!(layer.media_type, None);
            assert_eq!(
                resolved.blobs.files.size(&layer.path).unwrap(),
                512 + FILE_SIZE + 1024
            );
        }
    }

    /// A config that does not hash to the image ID, or a layer record whose diff_id is not the
    /// config's, is refused: the image then comes through the export.
    #[test]
    fn a_config_or_layer_that_does_not_verify_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let id = store(root.path());
        let layerdb = root.path().join("image/vfs/layerdb/sha256");
        let record = std::fs::read_dir(&layerdb)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| std::fs::read_to_string(p.join("cache-id")).unwrap() == "cache1")
            .unwrap();
        let diff = std::fs::read(record.join("diff")).unwrap();
        std::fs::write(record.join("diff"), format!("sha256:{}", "0".repeat(64))).unwrap();
        let err = refusal(root.path(), "vfs", &id);
        assert!(err.contains("is not the config's"), "{err}");
        std::fs::write(record.join("diff"), diff).unwrap();
        assert!(open_image(root.path(), "vfs", &id).is_ok());

        let path = config_path(root.path(), &id);
        let changed = std::fs::read_to_string(&path)
            .unwrap()
            .replace("amd64", "arm64");
        std::fs::write(&path, changed).unwrap();
        let err = refusal(root.path(), "vfs", &id);
        assert!(err.contains("does not match its digest"), "{err}");
    }

    #[test]
    fn what_the_store_does_not_hold_as_expected_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let id = store(root.path());
        let open = |driver: &str, id: &str| refusal(root.path(), driver, id);
        assert!(open("btrfs", &id).contains("not read in place"));
        assert!(open("overlay2", &id).contains("no graphdriver image store"));
        assert!(open("vfs", "sha256:../../etc").contains("not a sha256 digest"));
        let absent = format!("sha256:{}", "a".repeat(64));
        assert!(open("vfs", &absent).contains("the stored image config"));
        // A config larger than any real one is not read.
        let path = config_path(root.path(), &id);
        std::fs::write(&path, vec![b' '; MAX_METADATA_BYTES as usize + 1]).unwrap();
        assert!(open("vfs", &id).contains("more than"));
    }

    /// A FIFO in place of a store file (the config, a record's `diff`, its tar-split record) is
    /// refused at once, before any read could block on it.
    #[test]
    fn a_fifo_in_place_of_a_store_file_is_refused_without_blocking() {
        #[allow(unsafe_code)] // mkfifo(3): std has no way to make a FIFO.
        fn mkfifo(path: &Path) {
            std::fs::remove_file(path).unwrap();
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            for which in ["config", "diff", "tar-split.json.gz"] {
                let root = tempfile::tempdir().unwrap();
                let id = store(root.path());
                let record = std::fs::read_dir(root.path().join("image/vfs/layerdb/sha256"))
                    .unwrap()
                    .next()
                    .unwrap()
                    .unwrap()
                    .path();
                let path = match which {
                    "config" => config_path(root.path(), &id),
                    file => record.join(file),
                };
                mkfifo(&path);
                errors.push(refusal(root.path(), "vfs", &id));
            }
            done.send(errors).unwrap();
        });
        let errors = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("opening a store with a FIFO in it hung");
        for err in errors {
            assert!(err.contains("is not a regular file"), "{err}");
        }
    }

    #[test]
    fn a_record_that_is_not_a_tar_split_record_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let id = store(root.path());
        let layerdb = root.path().join("image/vfs/layerdb/sha256");
        for record in std::fs::read_dir(&layerdb).unwrap() {
            let path = record.unwrap().path().join("tar-split.json.gz");
            let mut gz = flate2::write::GzEncoder::new(
                std::fs::File::create(&path).unwrap(),
                flate2::Compression::fast(),
            );
            writeln!(gz, r#"{{"type":9}}"#).unwrap();
            gz.finish().unwrap();
        }
        let err = refusal(root.path(), "vfs", &id);
        assert!(err.contains("unknown tar-split entry type 9"), "{err}");
    }
}

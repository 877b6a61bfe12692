//! A second look at an engine's image without exporting it again. Docker's (and Podman's) export
//! is the only way to their layers' bytes, and it costs the whole image every time — `node` over
//! a store of 22 images streamed 9 GB for each look. But the engine vouches for the image before
//! the export: its ID is its config's digest and the diff_ids are the layers' own, computed by
//! the engine. So after a first look, the config goes into the content-addressed blob cache
//! (verified against the ID on the way in and on the way out) and each decoded layer into the
//! layer cache under its diff_id; the next look at any image of those layers is put together from
//! the caches, and the export is never started. A layer is kept only under the diff_id its
//! content hashed to while it was decoded.

use std::io::Read;

use anyhow::{Result, anyhow};

use crate::decode::{BlobReadError, DecodeOptions};
use crate::model::LayerEntries;
use crate::pipeline::layer_cache::LayerCache;
use crate::source::files::ImageFiles;
use crate::source::registry::BlobCache;
use crate::source::{EngineIdentity, ImageBlobs, LayerRef, ResolvedImage, StreamSource};

/// The layer cache's key for an engine layer: the diff_id the engine computed (a namespace of its
/// own: archives and registries key their layers otherwise).
fn layer_key(diff_id: &str) -> String {
    format!("engine-layer:{diff_id}")
}

/// The image as the caches hold it, when they hold all of it: its config (by the image ID) and
/// every layer (by diff_id).
pub fn from_caches(
    source: &StreamSource,
    blobs: &BlobCache,
    layers: &LayerCache,
    decode: &DecodeOptions,
) -> Option<ResolvedImage> {
    let identity = source.engine_identity.as_ref()?;
    if !identity
        .diff_ids
        .iter()
        .all(|d| layers.holds_intact(&layer_key(d), decode))
    {
        return None;
    }
    let bytes = std::fs::read(blobs.path_of(&identity.id)?).ok()?;
    crate::source::oci::verify_blob("cached image config", &bytes, &identity.id, None).ok()?;
    let config = crate::source::image_config::parse(&bytes).ok()?;
    if config.diff_ids != identity.diff_ids {
        return None;
    }
    let layer_refs = identity
        .diff_ids
        .iter()
        .map(|d| LayerRef {
            path: d.clone(),
            digest: None,
            media_type: None,
            declared_size: None,
        })
        .collect();
    Some(ResolvedImage {
        input: source.input.clone(),
        name: source.name.clone(),
        kind: source
            .kind
            .unwrap_or(crate::model::SourceKind::DockerEngine),
        manifest_digest: None,
        config_digest: Some(identity.id.clone()),
        config,
        blobs: ImageBlobs::new(layer_refs, Box::new(CachedLayers), None),
        route: Some(format!(
            "from imgscope's caches (image {}, seen before): the engine's export was not needed",
            short(&identity.id)
        )),
        annotations: Vec::new(),
    })
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

/// After a first look through the export: keep what a second look needs. Failures cost only the
/// next look its speed.
pub fn remember(
    identity: &EngineIdentity,
    files: &dyn ImageFiles,
    layers: &[(String, &LayerEntries)],
    blob_cache: &BlobCache,
    layer_cache: &LayerCache,
    decode: &DecodeOptions,
) {
    let hex = identity.id.trim_start_matches("sha256:");
    // `docker save` names the config HEX.json; Docker 25 and Podman's OCI-style saves keep it
    // as a blob.
    let config = [format!("{hex}.json"), format!("blobs/sha256/{hex}")]
        .iter()
        .find_map(|p| files.read_small(p).ok());
    let Some(config) = config else {
        return;
    };
    // Held already (verified when it went in), or written now and verified on commit.
    let held = blob_cache
        .path_of(&identity.id)
        .is_some_and(|p| p.is_file());
    if !held
        && let Ok(mut writer) = blob_cache.writer(&identity.id)
        && writer.write(&config).is_ok()
    {
        let _ = writer.commit();
    }
    for (diff_id, entries) in layers {
        // Kept only under the diff_id the content really has.
        let content = entries
            .tar_digest
            .map(|d| format!("sha256:{}", crate::model::hex(&d)));
        if identity.diff_ids.contains(diff_id) && content.as_ref() == Some(diff_id) {
            let _ = layer_cache.put(&layer_key(diff_id), decode, entries, 0);
        }
    }
}

/// The layers of an image put together from the caches: each is found there by its key; their
/// bytes are not kept.
struct CachedLayers;

impl ImageFiles for CachedLayers {
    fn exists(&self, _path: &str) -> bool {
        true
    }

    fn size(&self, _path: &str) -> Result<u64> {
        Ok(0)
    }

    fn cache_key(&self, diff_id: &str) -> Option<String> {
        Some(layer_key(diff_id))
    }

    fn open(&self, diff_id: &str) -> Result<Box<dyn Read + Send + '_>> {
        Err(anyhow!(BlobReadError {
            message: format!(
                "layer {diff_id} was read from imgscope's cache and its bytes are not kept: \
                 --no-cache reads them through the engine's export"
            ),
            corrupt_cache: false,
        }))
    }
}

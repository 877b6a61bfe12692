//! Images straight from a registry (OCI distribution API), no daemon: references normalized as
//! docker does, manifests and indexes (Docker v2 and OCI) read with a byte cap and a time budget,
//! platform chosen by the shared resolver, and layer blobs streamed into the decoder while they
//! download, verified against their digest and kept in the content-addressed cache.

pub mod auth;
pub mod cache;
pub mod catalog;
mod client;
mod digest;
mod stream;

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use oci_spec::image::{ImageIndex, ImageManifest};

use super::image_config;
use super::{ImageBlobs, LayerRef, ResolvedImage};
use crate::model::{Platform, SourceKind};
pub use cache::BlobCache;
pub use client::{MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, RegistryClient};

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub username: Option<String>,
    pub password: Option<String>,
    /// Plain HTTP for every registry (loopback registries always may use it).
    pub plain_http: bool,
    /// The blob cache; `None` with `--no-cache`.
    pub cache: Option<BlobCache>,
    /// The time budget of one metadata request (manifest, config, tag page, token), retries
    /// included; `None` for the default ([`client::DEFAULT_REQUEST_BUDGET`]).
    pub request_budget: Option<std::time::Duration>,
    /// How long a blob download may go without receiving a byte before it fails ("no data for
    /// N s"); `None` for the default ([`client::DEFAULT_STALL`]).
    pub stall: Option<std::time::Duration>,
    /// Say where credentials are sent (`-v`).
    pub verbose: bool,
}

const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// The most tags (and catalog repositories) listed.
pub(crate) const MAX_TAGS: usize = 100_000;

/// The most nested indexes followed.
const MAX_INDEX_DEPTH: usize = 4;

fn is_index(media_type: &str, bytes: &[u8]) -> bool {
    if media_type.contains("index") || media_type.contains("manifest.list") {
        return true;
    }
    // Some registries answer with a generic type: look at the document itself.
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .is_some_and(|v| v.get("manifests").is_some() && v.get("layers").is_none())
}

/// Every tag of `reference`'s repository, as full references (`registry/repo:tag`).
pub fn all_tags(reference: &str, options: &RegistryOptions) -> Result<Vec<String>> {
    let client = RegistryClient::new(reference, options)?;
    let repo = client.repository_name();
    Ok(client
        .tags()?
        .into_iter()
        .map(|t| format!("{repo}:{t}"))
        .collect())
}

/// Resolve `reference` (`name[:tag][@digest]`, optionally `docker://`-prefixed) on its registry.
pub fn resolve(
    input: &str,
    reference: &str,
    platform: Option<&Platform>,
    options: &RegistryOptions,
) -> Result<ResolvedImage> {
    let client = Arc::new(RegistryClient::new(reference, options)?);
    let (mut bytes, mut media_type, mut digest) = client.manifest(None)?;
    let mut depth = 0;
    while is_index(&media_type, &bytes) {
        depth += 1;
        if depth > MAX_INDEX_DEPTH {
            bail!("indexes nest more than {MAX_INDEX_DEPTH} deep");
        }
        let index = ImageIndex::from_reader(&bytes[..]).context("invalid image index")?;
        let candidates = index
            .manifests()
            .iter()
            .map(|d| {
                let p = d.platform().as_ref().map(|p| Platform {
                    os: p.os().to_string(),
                    architecture: super::platform::normalize_arch(&p.architecture().to_string())
                        .to_string(),
                    variant: p.variant().clone(),
                });
                (p, d.digest().to_string())
            })
            .collect();
        let (_, chosen) = super::platform::choose(candidates, platform)?;
        (bytes, media_type, digest) = client.manifest(Some(&chosen))?;
        if digest != chosen {
            bail!("manifest {chosen} does not match its digest (got {digest})");
        }
    }
    let manifest = ImageManifest::from_reader(&bytes[..]).context("invalid image manifest")?;
    let config_digest = manifest.config().digest().to_string();
    let config_bytes = client.small_blob(&config_digest, manifest.config().size())?;
    let config = image_config::parse(&config_bytes)?;
    let layers: Vec<LayerRef> = manifest
        .layers()
        .iter()
        .map(|l| LayerRef {
            path: l.digest().to_string(),
            digest: Some(l.digest().to_string()),
            media_type: Some(l.media_type().to_string()),
            declared_size: Some(l.size()),
        })
        .collect();
    let sizes = layers
        .iter()
        .map(|l| (l.path.clone(), l.declared_size.unwrap_or(0)))
        .collect();
    Ok(ResolvedImage {
        input: input.to_string(),
        name: Some(client.display_name()),
        kind: SourceKind::Registry,
        manifest_digest: Some(digest),
        config_digest: Some(config_digest),
        config,
        blobs: ImageBlobs::new(
            layers,
            Box::new(stream::RegistryFiles::new(client.clone(), sizes)),
            None,
        ),
        route: None,
        annotations: crate::source::oci::sorted_annotations(&manifest),
    })
}

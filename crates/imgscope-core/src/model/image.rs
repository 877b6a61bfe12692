//! An image as imgscope understands it: identity, configuration, layers with their history, and
//! the merged file tree. Built once by the load pipeline; read by analysis, reports and the TUI.

use super::entry::Compression;
use super::tree::FileTree;

/// Where an image was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    DockerArchive,
    OciArchive,
    OciLayout,
    Registry,
    DockerEngine,
    PodmanEngine,
    Containerd,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::DockerArchive => "docker-archive",
            SourceKind::OciArchive => "oci-archive",
            SourceKind::OciLayout => "oci-layout",
            SourceKind::Registry => "registry",
            SourceKind::DockerEngine => "docker-engine",
            SourceKind::PodmanEngine => "podman-engine",
            SourceKind::Containerd => "containerd",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The runtime configuration recorded in the image config.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub labels: Vec<(String, String)>,
    pub exposed_ports: Vec<String>,
}

/// One entry of the config's history.
#[derive(Debug, Clone, Default)]
pub struct HistoryEntry {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
}

/// What a layer changed, in non-directory entries (files, links, devices).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    pub added: u64,
    pub added_bytes: u64,
    pub modified: u64,
    pub modified_bytes: u64,
    pub removed: u64,
    pub removed_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub index: usize,
    /// Digest of the blob as stored, when the source names it.
    pub digest: Option<String>,
    /// Digest of the uncompressed tar, as the config's rootfs claims it.
    pub diff_id: Option<String>,
    /// Digest of the uncompressed tar as it was read (`sha256:…`); `None` when the layer was not
    /// read (layers only). What tells two layers' contents apart, whatever their configs claim.
    pub content_diff_id: Option<String>,
    pub media_type: Option<String>,
    pub compression: Compression,
    /// Bytes of the blob as stored.
    pub compressed_size: u64,
    /// Sum of the tar-header sizes of regular files.
    pub size: u64,
    /// Bytes of the decompressed tar stream (headers and padding included).
    pub tar_size: u64,
    /// Tar entries in the layer, whiteouts included.
    pub entry_count: u64,
    /// Regular files in the layer.
    pub file_count: u64,
    /// The history entry that made this layer.
    pub history: Option<HistoryEntry>,
    pub changes: ChangeCounts,
}

impl Layer {
    /// Whether the config's diff_id is the layer's content's: `None` when either is unknown.
    pub fn diff_id_verified(&self) -> Option<bool> {
        Some(self.diff_id.as_ref()? == self.content_diff_id.as_ref()?)
    }

    /// The claimed diff_id when the content is known to differ from it.
    pub fn false_diff_id(&self) -> Option<&str> {
        (self.diff_id_verified() == Some(false))
            .then_some(self.diff_id.as_deref())
            .flatten()
    }

    pub fn command(&self) -> &str {
        self.history
            .as_ref()
            .and_then(|h| h.created_by.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug)]
pub struct Image {
    /// What the user asked for (path, `oci:dir:ref`, …).
    pub input: String,
    /// The image's name if the source records one (`repo:tag`).
    pub name: Option<String>,
    pub source: SourceKind,
    /// Digest of the image manifest, where the source has one.
    pub manifest_digest: Option<String>,
    pub config_digest: Option<String>,
    pub platform: Platform,
    pub created: Option<String>,
    pub config: RuntimeConfig,
    /// Every history entry, empty layers included.
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    pub tree: FileTree,
    /// File contents kept while decoding (package databases, ELF facts), by the version of the
    /// tree they belong to, ascending.
    pub captured: Vec<(super::VersionId, super::Captured)>,
    /// The image manifest's annotations (OCI sources and registries; empty otherwise).
    pub annotations: Vec<(String, String)>,
}

/// The OCI annotations (and labels) that name the image a build started from.
pub const BASE_NAME_KEY: &str = "org.opencontainers.image.base.name";
pub const BASE_DIGEST_KEY: &str = "org.opencontainers.image.base.digest";

impl Image {
    /// The base image the build declared: `org.opencontainers.image.base.name` (and `.digest`)
    /// from the manifest's annotations, else from the config's labels.
    pub fn declared_base(&self) -> Option<(String, Option<String>)> {
        let find = |pairs: &[(String, String)], key: &str| {
            pairs
                .iter()
                .find(|(k, v)| k == key && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        };
        [&self.annotations, &self.config.labels]
            .into_iter()
            .find_map(|pairs| {
                find(pairs, BASE_NAME_KEY).map(|name| (name, find(pairs, BASE_DIGEST_KEY)))
            })
    }

    /// What was kept of the version of `node` the final filesystem shows, if anything.
    pub fn final_capture(&self, node: super::NodeId) -> Option<&super::Captured> {
        let last = self.tree.node(node).last()?;
        if !self.tree.version(last).is_live() {
            return None;
        }
        self.captured(last)
    }

    /// What was kept of the file version `version`, if anything.
    pub fn captured(&self, version: super::VersionId) -> Option<&super::Captured> {
        self.captured
            .binary_search_by_key(&version, |(v, _)| *v)
            .ok()
            .map(|i| &self.captured[i].1)
    }

    /// Σ layer blob sizes, saturating: sizes a registry declares are not to be trusted.
    pub fn compressed_size(&self) -> u64 {
        self.layers
            .iter()
            .fold(0u64, |a, l| a.saturating_add(l.compressed_size))
    }

    pub fn size(&self) -> u64 {
        self.layers
            .iter()
            .fold(0u64, |a, l| a.saturating_add(l.size))
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.input)
    }
}

/// Map the config's history onto the layers: entries marked `empty_layer` made no layer; the
/// others are matched to layers in order. Extra entries are dropped, missing ones left `None`.
pub fn history_for_layers(
    history: &[HistoryEntry],
    layer_count: usize,
) -> Vec<Option<HistoryEntry>> {
    let mut out: Vec<Option<HistoryEntry>> = history
        .iter()
        .filter(|h| !h.empty_layer)
        .take(layer_count)
        .cloned()
        .map(Some)
        .collect();
    out.resize(layer_count, None);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cmd: &str, empty: bool) -> HistoryEntry {
        HistoryEntry {
            created_by: Some(cmd.into()),
            empty_layer: empty,
            ..Default::default()
        }
    }

    #[test]
    fn declared_sizes_saturate_instead_of_wrapping() {
        let layer = |compressed_size| Layer {
            index: 0,
            digest: None,
            diff_id: None,
            content_diff_id: None,
            media_type: None,
            compression: super::super::Compression::Gzip,
            compressed_size,
            size: u64::MAX / 2 + 1,
            tar_size: 0,
            entry_count: 0,
            file_count: 0,
            history: None,
            changes: ChangeCounts::default(),
        };
        // Two layers a hostile registry declares at 2^63 bytes each: not 0 B.
        let image = Image {
            input: "x".into(),
            name: None,
            source: SourceKind::Registry,
            manifest_digest: None,
            config_digest: None,
            platform: Platform::default(),
            created: None,
            config: RuntimeConfig::default(),
            history: Vec::new(),
            layers: vec![layer(1 << 63), layer(1 << 63)],
            tree: super::super::FileTree::new(),
            captured: Vec::new(),
            annotations: Vec::new(),
        };
        assert_eq!(image.compressed_size(), u64::MAX);
        assert_eq!(image.size(), u64::MAX);
    }

    #[test]
    fn empty_layer_history_entries_are_skipped() {
        let hist = vec![
            h("ADD base", false),
            h("ENV A=1", true),
            h("RUN x", false),
            h("CMD y", true),
        ];
        let mapped = history_for_layers(&hist, 3);
        assert_eq!(
            mapped[0].as_ref().unwrap().created_by.as_deref(),
            Some("ADD base")
        );
        assert_eq!(
            mapped[1].as_ref().unwrap().created_by.as_deref(),
            Some("RUN x")
        );
        assert!(mapped[2].is_none());
    }
}

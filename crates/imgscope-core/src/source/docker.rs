//! `docker save` archives: `manifest.json` names each image's config and layer files. Covers the
//! legacy layout (`<id>/layer.tar`), Docker 25+ (`blobs/sha256/<hex>`, gzip layers from the
//! containerd store) and kaniko (`<digest>.tar.gz`). Archives with several images are chosen from
//! by `name:tag`.

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::files::ImageFiles;
use super::{LayerRef, Selection};

#[derive(Debug, Deserialize)]
struct ManifestItem {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

pub struct DockerImage {
    pub name: Option<String>,
    pub config_path: String,
    pub config_digest: Option<String>,
    pub layers: Vec<LayerRef>,
}

/// A digest named by a file path, as Docker 25+ (`blobs/sha256/<hex>`) and kaniko
/// (`sha256:<hex>.tar.gz`, `<hex>.tar.gz`) write them.
fn digest_from_path(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = name
        .trim_end_matches(".tar.gz")
        .trim_end_matches(".tgz")
        .trim_end_matches(".tar")
        .trim_end_matches(".json");
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("sha256:{hex}"))
}

fn tag_matches(tag: &str, wanted: &str) -> bool {
    tag == wanted
        || tag.strip_prefix("docker.io/library/") == Some(wanted)
        || tag.strip_prefix("docker.io/") == Some(wanted)
        || format!("{wanted}:latest") == tag
}

pub fn resolve(files: &dyn ImageFiles, selection: &Selection) -> Result<DockerImage> {
    let bytes = files.read_small("manifest.json")?;
    let items: Vec<ManifestItem> =
        serde_json::from_slice(&bytes).context("invalid manifest.json")?;
    if items.is_empty() {
        bail!("manifest.json lists no image");
    }
    let tags = |item: &ManifestItem| item.repo_tags.clone().unwrap_or_default();
    let chosen = match &selection.name {
        Some(wanted) => items
            .iter()
            .find(|i| tags(i).iter().any(|t| tag_matches(t, wanted)))
            .with_context(|| {
                let all: Vec<String> = items.iter().flat_map(tags).collect();
                format!(
                    "no image tagged {wanted:?} in the archive (tags: {})",
                    list(&all)
                )
            })?,
        None if items.len() == 1 => &items[0],
        None => {
            let all: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    tags(item)
                        .first()
                        .cloned()
                        .unwrap_or(format!("<untagged #{i}>"))
                })
                .collect();
            bail!(
                "the archive holds {} images; name one (docker-archive:PATH:NAME:TAG): {}",
                items.len(),
                list(&all)
            );
        }
    };
    let layers = chosen
        .layers
        .iter()
        .map(|path| LayerRef {
            path: path.clone(),
            digest: digest_from_path(path),
            media_type: None,
            declared_size: None,
        })
        .collect();
    Ok(DockerImage {
        name: tags(chosen).first().cloned(),
        config_digest: digest_from_path(&chosen.config),
        config_path: chosen.config.clone(),
        layers,
    })
}

fn list(items: &[String]) -> String {
    super::short_list(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_from_paths() {
        let hex = "ab".repeat(32);
        assert_eq!(
            digest_from_path(&format!("blobs/sha256/{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            digest_from_path(&format!("sha256:{hex}.tar.gz")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_from_path(&format!("{hex}/layer.tar")), None);
    }

    #[test]
    fn tags_match_short_names() {
        assert!(tag_matches("busybox:latest", "busybox"));
        assert!(tag_matches("docker.io/library/busybox:1", "busybox:1"));
        assert!(!tag_matches("busybox:1", "busybox:2"));
    }
}

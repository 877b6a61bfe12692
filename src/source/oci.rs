//! OCI image layouts (a directory, or a tar of one): `index.json` → (nested indexes) → image
//! manifest → config and layers. Chooses the image by ref-name annotation, else the only image,
//! else by platform.

use anyhow::{Context, Result, anyhow, bail};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use super::files::ImageFiles;
use super::{LayerRef, Selection};
use crate::model::Platform;

/// How deep indexes may nest before we call the layout recursive.
const MAX_INDEX_DEPTH: usize = 8;
const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

pub struct OciImage {
    pub name: Option<String>,
    pub manifest_digest: String,
    pub config_path: String,
    pub config_digest: String,
    pub layers: Vec<LayerRef>,
}

/// The path of a blob in a layout, from its digest (validated: the digest is untrusted input).
pub fn blob_path(digest: &str) -> Result<String> {
    let (algo, hex) = digest
        .split_once(':')
        .ok_or_else(|| anyhow!("invalid digest {digest:?}"))?;
    let len_ok = match algo {
        "sha256" => hex.len() == 64,
        "sha512" => hex.len() == 128,
        _ => bail!("unsupported digest algorithm in {digest:?}"),
    };
    if !len_ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("invalid digest {digest:?}");
    }
    Ok(format!("blobs/{algo}/{hex}"))
}

fn is_index(media_type: &str) -> bool {
    media_type.contains("image.index") || media_type.contains("manifest.list")
}

fn descriptor_platform(d: &Descriptor) -> Option<Platform> {
    d.platform().as_ref().map(|p| Platform {
        os: p.os().to_string(),
        architecture: super::platform::normalize_arch(&p.architecture().to_string()).to_string(),
        variant: p.variant().clone(),
    })
}

fn ref_names(d: &Descriptor) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = d.annotations() {
        for key in [CONTAINERD_NAME, REF_NAME] {
            if let Some(v) = a.get(key) {
                out.push(v.clone());
            }
        }
    }
    out
}

/// Whether a descriptor's names match what the user asked for (`tag`, `name:tag`, or a full
/// `registry/name:tag`).
fn names_match(names: &[String], wanted: &str) -> bool {
    names.iter().any(|n| {
        n == wanted
            || n.rsplit_once(':').is_some_and(|(_, tag)| tag == wanted)
            || n.ends_with(&format!("/{wanted}"))
            || n.ends_with(&format!("/library/{wanted}"))
    })
}

struct Candidate {
    descriptor: Descriptor,
    platform: Option<Platform>,
    names: Vec<String>,
}

fn collect(
    files: &dyn ImageFiles,
    index: &ImageIndex,
    inherited: &[String],
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<()> {
    if depth > MAX_INDEX_DEPTH {
        bail!("indexes nest more than {MAX_INDEX_DEPTH} deep (recursive index?)");
    }
    for d in index.manifests() {
        let mut names = ref_names(d);
        if names.is_empty() {
            names = inherited.to_vec();
        }
        let media = d.media_type().to_string();
        if is_index(&media) {
            let path = blob_path(d.digest().as_ref())?;
            if !files.exists(&path) {
                continue; // containerd exports omit other platforms' content
            }
            let nested = ImageIndex::from_reader(&files.read_small(&path)?[..])
                .with_context(|| format!("invalid image index {}", d.digest()))?;
            collect(files, &nested, &names, depth + 1, out)?;
        } else {
            out.push(Candidate {
                platform: descriptor_platform(d),
                descriptor: d.clone(),
                names,
            });
        }
    }
    Ok(())
}

pub fn resolve(files: &dyn ImageFiles, selection: &Selection) -> Result<OciImage> {
    let index = ImageIndex::from_reader(&files.read_small("index.json")?[..])
        .context("invalid index.json")?;
    let mut candidates = Vec::new();
    collect(files, &index, &[], 0, &mut candidates)?;
    if let Some(wanted) = &selection.name {
        candidates.retain(|c| names_match(&c.names, wanted));
        if candidates.is_empty() {
            let mut all = Vec::new();
            let mut every = Vec::new();
            collect(files, &index, &[], 0, &mut every)?;
            for c in every {
                all.extend(c.names);
            }
            all.sort();
            all.dedup();
            bail!(
                "no image named {wanted:?} in the layout (names: {})",
                if all.is_empty() {
                    "none".to_string()
                } else {
                    all.join(", ")
                }
            );
        }
    }
    // Skip manifests whose blob is absent (a partial export holds one platform's content).
    let present: Vec<(Option<Platform>, Candidate)> = candidates
        .into_iter()
        .filter(|c| blob_path(c.descriptor.digest().as_ref()).is_ok_and(|p| files.exists(&p)))
        .map(|c| (c.platform.clone(), c))
        .collect();
    if present.is_empty() {
        bail!("the index names no image manifest present in the layout");
    }
    let (_, chosen) = super::platform::choose(present, selection.platform.as_ref())?;
    let manifest_digest = chosen.descriptor.digest().to_string();
    let manifest_bytes = files.read_small(&blob_path(&manifest_digest)?)?;
    let manifest = ImageManifest::from_reader(&manifest_bytes[..])
        .with_context(|| format!("invalid image manifest {manifest_digest}"))?;
    let config_digest = manifest.config().digest().to_string();
    let layers = manifest
        .layers()
        .iter()
        .map(|l| {
            let digest = l.digest().to_string();
            Ok(LayerRef {
                path: blob_path(&digest)?,
                digest: Some(digest),
                media_type: Some(l.media_type().to_string()),
                declared_size: Some(l.size()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(OciImage {
        name: chosen.names.first().cloned(),
        config_path: blob_path(&config_digest)?,
        config_digest,
        manifest_digest,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_paths_are_validated() {
        let hex = "a".repeat(64);
        assert_eq!(
            blob_path(&format!("sha256:{hex}")).unwrap(),
            format!("blobs/sha256/{hex}")
        );
        assert!(blob_path("sha256:../../etc/passwd").is_err());
        assert!(blob_path("md5:abcd").is_err());
        assert!(blob_path("nocolon").is_err());
    }

    #[test]
    fn names_match_tags_and_full_names() {
        let names = vec!["docker.io/library/redis:7.2".to_string()];
        assert!(names_match(&names, "7.2"));
        assert!(names_match(&names, "redis:7.2"));
        assert!(names_match(&names, "docker.io/library/redis:7.2"));
        assert!(!names_match(&names, "redis:7.4"));
    }
}

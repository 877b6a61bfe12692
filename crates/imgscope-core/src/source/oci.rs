//! OCI image layouts (a directory, or a tar of one): `index.json` → (nested indexes) → image
//! manifest → config and layers. Chooses the image by ref-name annotation, else the only image,
//! else by platform.

use anyhow::{Context, Result, anyhow, bail};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use sha2::Digest;

use super::files::ImageFiles;
use super::{LayerRef, Selection};
use crate::model::{Platform, hex};

/// How deep indexes may nest before we call the layout recursive.
pub const MAX_INDEX_DEPTH: usize = 8;
/// The most nested indexes read while resolving one layout (an index may name the same nested
/// index many times over, at every level).
pub const MAX_INDEXES: usize = 1024;
/// The most image manifests the indexes of one layout may list.
pub const MAX_MANIFESTS: usize = 100_000;
const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

pub struct OciImage {
    pub name: Option<String>,
    pub manifest_digest: String,
    /// The manifest's annotations, sorted by key.
    pub annotations: Vec<(String, String)>,
    pub config_path: String,
    pub config_digest: String,
    /// The config's size as the manifest declares it.
    pub config_size: u64,
    pub layers: Vec<LayerRef>,
}

/// Check a metadata blob (index, manifest, config) against what names it: the size its descriptor
/// declares, if any, and its digest. A blob that is not what its digest says is not used.
pub fn verify_blob(what: &str, bytes: &[u8], digest: &str, size: Option<u64>) -> Result<()> {
    if let Some(size) = size
        && size != bytes.len() as u64
    {
        bail!(
            "{what} {digest} is {} bytes but its descriptor declares {size}",
            bytes.len()
        );
    }
    let actual = match digest.split_once(':') {
        Some(("sha256", _)) => format!("sha256:{}", hex(&sha2::Sha256::digest(bytes))),
        Some(("sha512", _)) => format!("sha512:{}", hex(&sha2::Sha512::digest(bytes))),
        _ => bail!("unsupported digest algorithm in {digest:?}"),
    };
    if !actual.eq_ignore_ascii_case(digest) {
        bail!("{what} does not match its digest {digest} (its content is {actual})");
    }
    Ok(())
}

/// Read a blob that a descriptor names, checked against it.
fn read_blob(files: &dyn ImageFiles, what: &str, d: &Descriptor) -> Result<Vec<u8>> {
    let digest = d.digest().to_string();
    let bytes = files.read_small(&blob_path(&digest)?)?;
    verify_blob(what, &bytes, &digest, Some(d.size()))?;
    Ok(bytes)
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
    indexes_read: &mut usize,
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
            *indexes_read += 1;
            if *indexes_read > MAX_INDEXES {
                bail!(
                    "the layout's indexes name more than {MAX_INDEXES} nested indexes (the limit)"
                );
            }
            let nested = ImageIndex::from_reader(&read_blob(files, "image index", d)?[..])
                .with_context(|| format!("invalid image index {}", d.digest()))?;
            collect(files, &nested, &names, depth + 1, out, indexes_read)?;
        } else {
            if out.len() >= MAX_MANIFESTS {
                bail!("the layout's indexes list more than {MAX_MANIFESTS} manifests (the limit)");
            }
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
    collect(files, &index, &[], 0, &mut candidates, &mut 0)?;
    if let Some(wanted) = &selection.name {
        candidates.retain(|c| names_match(&c.names, wanted));
        if candidates.is_empty() {
            let mut all = Vec::new();
            let mut every = Vec::new();
            collect(files, &index, &[], 0, &mut every, &mut 0)?;
            for c in every {
                all.extend(c.names);
            }
            all.sort();
            all.dedup();
            bail!(
                "no image named {wanted:?} in the layout (names: {})",
                super::short_list(&all)
            );
        }
    }
    // Skip manifests whose blob is absent (a partial export holds one platform's content).
    let (present, absent): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| blob_path(c.descriptor.digest().as_ref()).is_ok_and(|p| files.exists(&p)));
    let absent: Vec<String> = absent
        .iter()
        .map(|c| {
            c.platform
                .as_ref()
                .map_or("unknown".into(), |p| p.to_string())
        })
        .collect();
    if present.is_empty() {
        bail!("the index names no image manifest present in the layout");
    }
    let present = present
        .into_iter()
        .map(|c| (c.platform.clone(), c))
        .collect();
    let (_, chosen) =
        super::platform::choose(present, selection.platform.as_ref()).map_err(|e| {
            if absent.is_empty() {
                e
            } else {
                anyhow::anyhow!(
                    "{e:#}; listed without their content: {} (an engine's export holds only the \
                 platforms it has locally)",
                    super::short_list(&absent)
                )
            }
        })?;
    let manifest_digest = chosen.descriptor.digest().to_string();
    let manifest_bytes = read_blob(files, "image manifest", &chosen.descriptor)?;
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
        config_size: manifest.config().size(),
        config_digest,
        manifest_digest,
        layers,
        annotations: sorted_annotations(&manifest),
    })
}

/// A manifest's annotations as sorted pairs.
pub fn sorted_annotations(manifest: &ImageManifest) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = manifest
        .annotations()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    pairs.sort();
    pairs
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

//! Reading one file's bytes out of an image: find the version visible at a layer (following
//! symlinks inside the image and hardlinks to their target), then stream that entry out of its
//! layer blob. Used by `imgscope cat`, `imgscope export` and the viewer.

use std::io::{self, Read, Write};

use anyhow::{Result, anyhow, bail};

use crate::decode::compression::decompress;
use crate::decode::paths::normalize;
use crate::model::{EntryKind, FileTree, NodeId, VersionId};
use crate::source::ImageBlobs;

/// Where a file's bytes live: the layer, the path inside that layer's tar, which occurrence of
/// that path in the layer (a tar may repeat a path; the last one wins), and the size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocation {
    pub node: NodeId,
    pub layer: usize,
    pub entry_path: String,
    pub occurrence: usize,
    pub size: u64,
}

/// Which occurrence of its path, in its layer's tar, version `vid` of `node` is (1-based).
fn occurrence(tree: &FileTree, node: NodeId, vid: VersionId) -> usize {
    let layer = tree.version(vid).layer;
    tree.history(node)
        .into_iter()
        .take_while(|v| *v <= vid)
        .filter(|v| tree.version(*v).layer == layer && tree.version(*v).is_live())
        .count()
}

/// Locate the regular file at `path` as of `layer` (`None`: the final filesystem), following
/// symlinks wherever they stand in the path (`/dirlink/file` too) and a hardlink to its target.
pub fn locate(tree: &FileTree, path: &str, layer: Option<usize>) -> Result<FileLocation> {
    let last_layer = layer.unwrap_or(usize::MAX);
    let mut wanted = String::new();
    normalize(path, &mut wanted);
    let node =
        crate::model::resolve::resolve(tree, &wanted, last_layer, true).ok_or_else(|| {
            anyhow!(
                "no such file in the image: /{wanted} (or its symbolic links go nowhere or loop)"
            )
        })?;
    let (vid, version) = tree
        .version_at(node, last_layer)
        .filter(|(_, v)| v.is_live())
        .ok_or_else(|| anyhow!("no such file in the image: /{wanted}"))?;
    let real = tree.path(node).trim_start_matches('/').to_string();
    match version.kind {
        EntryKind::File => Ok(FileLocation {
            occurrence: occurrence(tree, node, vid),
            node,
            layer: version.layer as usize,
            entry_path: real,
            size: version.size,
        }),
        EntryKind::Hardlink => {
            // A hardlink's content is its target's, as written in the same layer.
            let target = tree.link_target(version).unwrap_or("").to_string();
            let node = tree
                .lookup(&target)
                .ok_or_else(|| anyhow!("hardlink /{real} points to a missing /{target}"))?;
            let (tvid, t) = tree
                .version_at(node, version.layer as usize)
                .ok_or_else(|| anyhow!("hardlink /{real} points to a missing /{target}"))?;
            if t.kind != EntryKind::File {
                bail!("hardlink /{real} points to /{target}, which is not a regular file");
            }
            Ok(FileLocation {
                occurrence: occurrence(tree, node, tvid),
                node,
                layer: t.layer as usize,
                entry_path: target,
                size: t.size,
            })
        }
        EntryKind::Dir => bail!("/{wanted} is a directory"),
        other => bail!("/{wanted} is a {}, not a regular file", other.label()),
    }
}

/// Stream the located file's bytes into `out`, at most `limit` bytes. Returns the bytes written.
pub fn copy_to(
    blobs: &ImageBlobs,
    at: &FileLocation,
    out: &mut dyn Write,
    limit: Option<u64>,
) -> Result<u64> {
    let blob = blobs.open_layer(at.layer)?;
    let (_, stream) = decompress(blob)?;
    let mut archive = tar::Archive::new(stream);
    let mut seen = 0;
    let mut path = String::new();
    for entry in archive.entries()? {
        let entry = entry?;
        normalize(&String::from_utf8_lossy(&entry.path_bytes()), &mut path);
        if path != at.entry_path || !entry.header().entry_type().is_file() {
            continue;
        }
        seen += 1;
        if seen < at.occurrence {
            continue;
        }
        let cap = limit.unwrap_or(u64::MAX);
        let copied = io::copy(&mut entry.take(cap), out)?;
        if copied != at.size.min(cap) {
            bail!("truncated layer stream reading /{}", at.entry_path);
        }
        return Ok(copied);
    }
    bail!("/{} not found in layer {}", at.entry_path, at.layer)
}

/// The permission bits an exported copy of the version at `at` gets: the image's, without
/// setuid, setgid and sticky (0644 when the path has no version there).
pub fn export_mode(tree: &FileTree, at: &FileLocation) -> u32 {
    tree.version_at(at.node, at.layer)
        .map_or(0o644, |(_, v)| v.mode & 0o777)
}

/// This process's umask, read from `/proc/self/status` (no race with other threads, unlike
/// setting it to read it back); 022 where the kernel does not say.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Write the file at `at` to `target` with `mode` (less the umask), through a temporary file beside it renamed
/// into place once complete and synced: never a half-written file. Returns the bytes written.
pub fn export_to_file(
    blobs: &ImageBlobs,
    at: &FileLocation,
    mode: u32,
    target: &std::path::Path,
) -> Result<u64> {
    use anyhow::Context;
    let mut tmp = crate::atomic_write::temp_file_beside(target)
        .with_context(|| format!("creating a temporary file beside {}", target.display()))?;
    let n = copy_to(blobs, at, tmp.as_file_mut(), None)?;
    // The image's bits, less what the user's umask takes away (as creating the file would).
    tmp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(
            mode & 0o777 & !umask(),
        ))?;
    tmp.as_file().sync_all()?;
    tmp.persist(target)
        .map_err(|e| anyhow!("{}: {}", target.display(), e.error))?;
    Ok(n)
}

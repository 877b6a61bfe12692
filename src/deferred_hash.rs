//! Hashing, after the merge, the file contents that decoding skipped over. An uncompressed layer
//! in a file on disk is walked by seeking from header to header (see
//! `decode::decode_plain_layer_at`); duplicate detection then needs the content hash only of
//! visible files whose size another visible file shares, so only those are read — in parallel,
//! straight from their offsets.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::analysis::merge::UnreadContent;
use crate::model::{ContentHash, EntryKind, FileTree, NodeId};

/// Hash the unread contents that need it (all of them when `all`, e.g. to compare across
/// images). `layer_files[i]` is the file holding layer `i`.
pub fn hash_unread(
    tree: &mut FileTree,
    unread: &[UnreadContent],
    layer_files: &[Option<PathBuf>],
    all: bool,
) -> Result<()> {
    if unread.is_empty() {
        return Ok(());
    }
    let mut sizes: HashMap<u64, u32> = HashMap::new();
    for node in 1..tree.node_count() as NodeId {
        if let Some(v) = tree.live_final(node)
            && v.kind == EntryKind::File
            && v.size > 0
        {
            *sizes.entry(v.size).or_default() += 1;
        }
    }
    let mut wanted: Vec<(u32, usize, u64, u64)> = unread
        .iter()
        .filter_map(|u| {
            let v = tree.version(u.version);
            let visible = tree.node(u.node).last == u.version;
            let needed = all || sizes.get(&v.size).copied().unwrap_or(0) >= 2;
            (visible && needed && tree.hash(v).is_none()).then_some((
                u.version,
                u.layer(),
                u.offset(),
                v.size,
            ))
        })
        .collect();
    if !all {
        // Two files of one size differ most often in their first bytes: hash those first, and
        // read whole only the files whose first bytes another file shares. Sizes that a file
        // hashed while decoding also has are compared by full hash directly.
        let mut hashed_sizes: hashbrown::HashSet<u64> = hashbrown::HashSet::new();
        for node in 1..tree.node_count() as NodeId {
            if let Some(v) = tree.live_final(node)
                && v.kind == EntryKind::File
                && tree.hash(v).is_some()
            {
                hashed_sizes.insert(v.size);
            }
        }
        let (probe, direct): (Vec<_>, Vec<_>) = wanted
            .into_iter()
            .partition(|w| w.3 > PREFIX && !hashed_sizes.contains(&w.3));
        let prefixes: Vec<ContentHash> = hash_all(&probe, layer_files, Some(PREFIX))?
            .into_iter()
            .map(|(_, h)| h)
            .collect();
        let mut groups: HashMap<(u64, ContentHash), u32> = HashMap::new();
        for (w, p) in probe.iter().zip(&prefixes) {
            *groups.entry((w.3, *p)).or_default() += 1;
        }
        wanted = direct;
        wanted.extend(
            probe
                .iter()
                .zip(&prefixes)
                .filter(|(w, p)| groups[&(w.3, **p)] >= 2)
                .map(|(w, _)| *w),
        );
    }
    let hashes = hash_all(&wanted, layer_files, None)?;
    for (vid, hash) in hashes {
        tree.set_hash(vid, hash);
    }
    Ok(())
}

/// Bytes read first from files of a shared size.
const PREFIX: u64 = 4096;

/// BLAKE3 (128-bit) of each item's content, or of its first `limit` bytes; in parallel, one
/// file handle per layer file per worker. Items: (version, layer, offset, size).
fn hash_all(
    items: &[(u32, usize, u64, u64)],
    layer_files: &[Option<PathBuf>],
    limit: Option<u64>,
) -> Result<Vec<(u32, ContentHash)>> {
    items
        .par_iter()
        .map_init(
            || (HashMap::<usize, File>::new(), vec![0u8; 256 * 1024]),
            |(files, buf), &(vid, layer, offset, size)| {
                let path = layer_files
                    .get(layer)
                    .and_then(|p| p.as_ref())
                    .context("layer file unknown")?;
                if !files.contains_key(&layer) {
                    files.insert(layer, File::open(path)?);
                }
                let file = &files[&layer];
                let size = limit.map_or(size, |l| size.min(l));
                let mut hasher = blake3::Hasher::new();
                let mut done = 0u64;
                while done < size {
                    let want = ((size - done) as usize).min(buf.len());
                    let n = file.read_at(&mut buf[..want], offset + done)?;
                    if n == 0 {
                        anyhow::bail!("truncated layer (a file's content ends early)");
                    }
                    hasher.update(&buf[..n]);
                    done += n as u64;
                }
                let mut short = [0u8; 16];
                short.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
                Ok((vid, short))
            },
        )
        .collect()
}

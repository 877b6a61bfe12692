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
    let wanted: Vec<(u32, usize, u64, u64)> = unread
        .iter()
        .filter_map(|u| {
            let v = tree.version(u.version);
            let visible = tree.node(v.node).last == u.version;
            let needed = all || sizes.get(&v.size).copied().unwrap_or(0) >= 2;
            (visible && needed && v.hash.is_none())
                .then_some((u.version, u.layer, u.offset, v.size))
        })
        .collect();
    let hashes: Vec<(u32, ContentHash)> = wanted
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
        .collect::<Result<_>>()?;
    for (vid, hash) in hashes {
        tree.set_hash(vid, hash);
    }
    Ok(())
}

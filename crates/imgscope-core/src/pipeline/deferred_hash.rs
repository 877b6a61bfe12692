//! Hashing, after the merge, the file contents that decoding skipped over. An uncompressed layer
//! in a file on disk is walked by seeking from header to header (see
//! `decode::decode_plain_layer_at`); duplicate detection then needs the content hash only of
//! visible files whose size another visible file shares, so only those are read — in parallel,
//! straight from their offsets.

use std::fs::File;
use std::hash::BuildHasher;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::analysis::merge::UnreadContent;
use crate::model::{ContentHash, EntryKind, FileTree};

/// Hashes of unread contents already taken in this process, by (layer, offset in the layer's tar,
/// size): a series of releases (or any set) whose images hold the same layer in different files
/// hashes its contents once. The layer is its content's digest as read (SHA-256 of the tar
/// stream, never a claim), numbered in `ids`.
struct Memo {
    ids: HashMap<String, u32>,
    hashes: HashMap<(u32, u64, u64), ContentHash>,
}

/// Entries kept at most (about 40 MB): past it the memo starts again.
const MEMO_MAX: usize = 1 << 20;

fn memo() -> &'static std::sync::Mutex<Memo> {
    static MEMO: std::sync::OnceLock<std::sync::Mutex<Memo>> = std::sync::OnceLock::new();
    MEMO.get_or_init(|| {
        std::sync::Mutex::new(Memo {
            ids: HashMap::new(),
            hashes: HashMap::new(),
        })
    })
}

/// Hash the unread contents that need it (all of them when `all`, hidden versions included, e.g.
/// to compare across images). `layer_files[i]` is the file holding layer `i`; `identities[i]`,
/// when known, layer `i`'s content digest and where its tar starts in that file (see [`Memo`]).
pub fn hash_unread(
    tree: &mut FileTree,
    unread: &[UnreadContent],
    layer_files: &[Option<PathBuf>],
    all: bool,
    identities: &[Option<(String, u64)>],
) -> Result<()> {
    if unread.is_empty() {
        return Ok(());
    }
    let mut sizes: HashMap<u64, u32> = HashMap::new();
    for node in tree.non_root_ids() {
        if let Some(v) = tree.live_final(node)
            && v.kind == EntryKind::File
            && v.size > 0
        {
            *sizes.entry(v.size).or_default() += 1;
        }
    }
    // Candidates are indices into `unread` (4 bytes each: a million files need little memory).
    let mut wanted: Vec<u32> = (0..unread.len() as u32)
        .filter(|&i| {
            let u = &unread[i as usize];
            let v = tree.version(u.version);
            // Comparing across images (`all`) also compares what layers hold but later layers
            // hide: the trim plan matches whole layers by content.
            let visible = tree.node(u.node).last() == Some(u.version);
            let needed = all || sizes.get(&v.size).copied().unwrap_or(0) >= 2;
            (visible || all) && needed && tree.hash(v).is_none()
        })
        .collect();
    drop(sizes);
    let size_of = |tree: &FileTree, i: u32| tree.version(unread[i as usize].version).size;
    if !all {
        // Two files of one size differ most often in their first bytes: fingerprint those first,
        // and BLAKE3 only the files whose first bytes another file shares. Sizes that a file
        // hashed while decoding also has are compared by full hash directly.
        let mut hashed_sizes: hashbrown::HashSet<u64> = hashbrown::HashSet::new();
        for node in tree.non_root_ids() {
            if let Some(v) = tree.live_final(node)
                && v.kind == EntryKind::File
                && tree.hash(v).is_some()
            {
                hashed_sizes.insert(v.size);
            }
        }
        let (probe, direct): (Vec<u32>, Vec<u32>) = wanted
            .into_iter()
            .partition(|&i| !hashed_sizes.contains(&size_of(tree, i)));
        // In two rounds: the first bytes of every candidate, then more of those whose first
        // bytes matched (most files of one size differ early: little is copied for them).
        let mut survivors = probe;
        for prefix in PREFIXES {
            survivors = same_prefix(tree, unread, layer_files, &survivors, prefix)?;
        }
        wanted = direct;
        wanted.extend(survivors);
    }
    // What this process hashed before, from the same layer content.
    let key_of = |memo: &mut Memo, i: u32| -> Option<(u32, u64, u64)> {
        let u = &unread[i as usize];
        let (id, base) = identities.get(u.layer())?.as_ref()?;
        let next = memo.ids.len() as u32;
        let n = *memo.ids.entry(id.clone()).or_insert(next);
        Some((n, u.offset().checked_sub(*base)?, size_of(tree, i)))
    };
    let (known, wanted): (Vec<(u32, ContentHash)>, Vec<u32>) = {
        let mut memo = memo()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut known = Vec::new();
        let mut rest = Vec::new();
        for i in wanted {
            match key_of(&mut memo, i).and_then(|k| memo.hashes.get(&k).copied()) {
                Some(h) => known.push((i, h)),
                None => rest.push(i),
            }
        }
        (known, rest)
    };
    let hashes: Vec<ContentHash> = wanted
        .par_iter()
        .map_init(
            || LayerReader::new(layer_files),
            |reader, &i| {
                let u = &unread[i as usize];
                reader.blake3(u.layer(), u.offset(), size_of(tree, i))
            },
        )
        .collect::<Result<_>>()?;
    {
        let mut memo = memo()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if memo.hashes.len() + wanted.len() > MEMO_MAX {
            memo.hashes.clear();
            memo.ids.clear();
        }
        for (&i, hash) in wanted.iter().zip(&hashes) {
            if let Some(k) = key_of(&mut memo, i) {
                memo.hashes.insert(k, *hash);
            }
        }
    }
    for (&i, hash) in wanted.iter().zip(hashes) {
        tree.set_hash(unread[i as usize].version, hash);
    }
    for (i, hash) in known {
        tree.set_hash(unread[i as usize].version, hash);
    }
    Ok(())
}

/// Bytes read first from files of a shared size, round by round.
const PREFIXES: [u64; 2] = [512, 4096];

/// Of `candidates`, those whose size and first `prefix` bytes another candidate shares (by a
/// fast non-cryptographic fingerprint: a filter only, a false match costs one more full hash).
fn same_prefix(
    tree: &FileTree,
    unread: &[UnreadContent],
    layer_files: &[Option<PathBuf>],
    candidates: &[u32],
    prefix: u64,
) -> Result<Vec<u32>> {
    let filter = hashbrown::DefaultHashBuilder::default();
    // (size, fingerprint of the first bytes, candidate): 24 bytes each, sorted in place.
    let mut keyed: Vec<(u64, u64, u32)> = candidates
        .par_iter()
        .map_init(
            || LayerReader::new(layer_files),
            |reader, &i| {
                let u = &unread[i as usize];
                let size = tree.version(u.version).size;
                let head = reader.read_at(u.layer(), u.offset(), size.min(prefix) as usize)?;
                Ok((size, filter.hash_one(head), i))
            },
        )
        .collect::<Result<_>>()?;
    keyed.sort_unstable();
    let mut out = Vec::new();
    for run in keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        if run.len() > 1 {
            out.extend(run.iter().map(|k| k.2));
        }
    }
    Ok(out)
}

/// Reads contents out of the layer files, one open handle per layer file (per worker).
struct LayerReader<'a> {
    layer_files: &'a [Option<PathBuf>],
    open: HashMap<usize, File>,
    buf: Vec<u8>,
}

impl<'a> LayerReader<'a> {
    fn new(layer_files: &'a [Option<PathBuf>]) -> Self {
        LayerReader {
            layer_files,
            open: HashMap::new(),
            buf: vec![0u8; 256 * 1024],
        }
    }

    /// The open file holding `layer`, and the read buffer.
    fn file(&mut self, layer: usize) -> Result<(&File, &mut Vec<u8>)> {
        if !self.open.contains_key(&layer) {
            let path = self
                .layer_files
                .get(layer)
                .and_then(|p| p.as_ref())
                .context("layer file unknown")?;
            self.open.insert(layer, File::open(path)?);
        }
        Ok((&self.open[&layer], &mut self.buf))
    }

    /// The `len` bytes at `offset` in layer `layer`'s file (`len` ≤ the buffer).
    fn read_at(&mut self, layer: usize, offset: u64, len: usize) -> Result<&[u8]> {
        let (file, buf) = self.file(layer)?;
        let head = &mut buf[..len];
        file.read_exact_at(head, offset)
            .context("truncated layer (a file's content ends early)")?;
        Ok(head)
    }

    /// BLAKE3 (128-bit) of `size` bytes at `offset` in layer `layer`'s file.
    fn blake3(&mut self, layer: usize, offset: u64, size: u64) -> Result<ContentHash> {
        let (file, buf) = self.file(layer)?;
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
        Ok(short)
    }
}

//! The layer-analysis cache: a decoded layer's entries stored in a compact, versioned binary file
//! under `<cache>/layers/`, so reopening an image — or another image pulled with the same layer
//! blobs — skips decoding those layers. Files are written whole to a temporary file and renamed;
//! a file that fails to parse is ignored and replaced.
//!
//! Keys come from the source ([`crate::source::files::ImageFiles::cache_key`]): a registry blob's
//! digest (verified while it downloaded), or a local file's identity (device, inode, size,
//! modification time, offset) — never a digest an archive merely claims, so a hostile archive
//! cannot plant entries for another image. The key also covers the decode options.
//!
//! Every file ends with a BLAKE3 hash of all the bytes before it, checked on every read: a file
//! damaged on disk (one flipped bit would otherwise parse into a wrong report) is removed, said
//! so ([`Lookup::Damaged`], which `-v` prints), and the layer is decoded again.
//!
//! The cache is bounded: after each write, the least recently used files (by modification time,
//! which a read renews) are removed until the total is under the cap ([`DEFAULT_MAX_BYTES`], or
//! `IMGSCOPE_LAYER_CACHE_MAX`, read by the CLI's settings) — a crafted image with gigabytes of names per
//! layer must not fill the disk run after run.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

use crate::decode::DecodeOptions;
use crate::model::{Captured, Compression, ElfInfo, EntryKind, LayerEntries, RawEntry, Span};

/// The format, and what decoding keeps (`decode::capture`): a change to either bumps it, so no
/// entry written by another version is ever read.
const MAGIC: &[u8; 8] = b"IMGSLC05";
/// The BLAKE3 hash that ends every file.
const CHECKSUM_BYTES: usize = 32;
const NO_LINK: u32 = u32::MAX;
const KINDS: [EntryKind; 9] = [
    EntryKind::File,
    EntryKind::Dir,
    EntryKind::Symlink,
    EntryKind::Hardlink,
    EntryKind::CharDevice,
    EntryKind::BlockDevice,
    EntryKind::Fifo,
    EntryKind::Whiteout,
    EntryKind::Opaque,
];

/// The cap on the layer cache's total size when none is configured.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// What the cache holds for a key.
#[derive(Debug)]
pub enum Lookup {
    Hit(LayerEntries),
    /// Nothing (or nothing this version can read).
    Miss,
    /// A file whose checksum or structure did not verify: it has been removed.
    Damaged(String),
}

#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

fn file_name(key: &str, options: &DecodeOptions) -> String {
    let mut h = Sha256::new();
    h.update(MAGIC);
    h.update(key.as_bytes());
    h.update([options.hash_contents as u8]);
    h.update((options.limits.max_entries as u64).to_le_bytes());
    h.update((options.limits.max_path_bytes as u64).to_le_bytes());
    crate::model::hex(&h.finalize())
}

impl LayerCache {
    pub fn new(cache_root: &Path) -> LayerCache {
        LayerCache {
            dir: cache_root.join("layers"),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The same cache with another cap on its total size (0: nothing new is kept).
    pub fn with_max_bytes(self, max_bytes: u64) -> LayerCache {
        LayerCache { max_bytes, ..self }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Where the analyzed layers are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Remove every cached layer and every partial file no live writer holds. Returns (files,
    /// bytes) of layers removed, and the partial files found (the dead ones removed).
    pub fn prune(&self) -> Result<((u64, u64), crate::cache_dir::Partials)> {
        let partials = crate::cache_dir::remove_dead_partials(&self.dir);
        Ok((crate::cache_dir::remove_files_in(&self.dir)?, partials))
    }

    /// (files, bytes) held, partial files aside.
    pub fn usage(&self) -> (u64, u64) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return (0, 0);
        };
        dir.filter_map(|e| e.ok())
            .filter(|e| !crate::cache_dir::is_partial(&e.file_name()))
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .fold((0, 0), |(n, b), m| (n + 1, b + m.len()))
    }

    /// Partial files (layers being written, or left by a writer that died).
    pub fn partials(&self) -> crate::cache_dir::Partials {
        crate::cache_dir::partials_in(&self.dir)
    }

    /// The cached entries for `key`, with data offsets moved to `base` (the layer's offset in its
    /// file now); `None` for a miss or a damaged file (removed).
    pub fn get(&self, key: &str, options: &DecodeOptions, base: u64) -> Option<LayerEntries> {
        match self.lookup(key, options, base) {
            Lookup::Hit(layer) => Some(layer),
            Lookup::Miss | Lookup::Damaged(_) => None,
        }
    }

    /// As [`Self::get`], saying whether a file was there but damaged (and is now removed).
    pub fn lookup(&self, key: &str, options: &DecodeOptions, base: u64) -> Lookup {
        let path = self.dir.join(file_name(key, options));
        let Ok(bytes) = std::fs::read(&path) else {
            return Lookup::Miss;
        };
        let mut layer = match checked(&bytes).and_then(decode) {
            Ok(layer) => layer,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Lookup::Damaged(format!(
                    "layer cache file {} was damaged ({e}): removed, the layer is decoded again",
                    path.display()
                ));
            }
        };
        // Used now: the last to be evicted.
        let _ = std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        // u64::MAX marks an entry with no readable content (a sparse file): kept as it is.
        for o in layer.data_offsets.iter_mut().filter(|o| **o != u64::MAX) {
            *o = o.saturating_add(base);
        }
        Lookup::Hit(layer)
    }

    /// Whether an entry for `key` is held and its checksum verifies (a damaged one is removed).
    pub fn holds_intact(&self, key: &str, options: &DecodeOptions) -> bool {
        let path = self.dir.join(file_name(key, options));
        let Ok(bytes) = std::fs::read(&path) else {
            return false;
        };
        if checked(&bytes).is_ok() {
            return true;
        }
        let _ = std::fs::remove_file(&path);
        false
    }

    /// Store `layer` (whose data offsets are relative to `base`) under `key`. Errors are not fatal
    /// to the caller: a cache that cannot be written is a slower run, not a failed one.
    pub fn put(
        &self,
        key: &str,
        options: &DecodeOptions,
        layer: &LayerEntries,
        base: u64,
    ) -> Result<()> {
        let bytes = encode(layer, base);
        if bytes.len() as u64 > self.max_bytes {
            // Larger than the whole cache may be: not kept.
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = crate::cache_dir::Partial::new_in(&self.dir)?;
        if let Some(f) = tmp.file() {
            f.write_all(&bytes)?;
        }
        let path = self.dir.join(file_name(key, options));
        tmp.persist(&path)?;
        self.evict(&path)
    }

    /// Remove the least recently used files until the cache is within its cap, never `keep`
    /// (the file just written); also partial files a dead writer left behind.
    fn evict(&self, keep: &Path) -> Result<()> {
        crate::cache_dir::remove_dead_partials(&self.dir);
        let mut files = Vec::new();
        let mut total = 0u64;
        for entry in std::fs::read_dir(&self.dir)? {
            let Ok(entry) = entry else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            total = total.saturating_add(meta.len());
            files.push((modified, meta.len(), entry.path()));
        }
        if total <= self.max_bytes {
            return Ok(());
        }
        files.sort();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            // Another process may have removed it already: either way it is gone.
            if path != keep && std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
        Ok(())
    }
}

fn encode(layer: &LayerEntries, base: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + layer.text.len() + layer.entries.len() * 72);
    out.extend_from_slice(MAGIC);
    out.push(match layer.compression {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Zstd => 2,
    });
    for v in [
        layer.blob_bytes,
        layer.tar_bytes,
        layer.text.len() as u64,
        layer.entries.len() as u64,
        layer.data_offsets.len() as u64,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    match layer.tar_digest {
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d);
        }
        None => {
            out.push(0);
            out.extend_from_slice(&[0u8; 32]);
        }
    }
    out.extend_from_slice(layer.text.as_bytes());
    for e in &layer.entries {
        out.extend_from_slice(&e.path.start.to_le_bytes());
        out.extend_from_slice(&e.path.len.to_le_bytes());
        let (ls, ll) = e.link.map_or((NO_LINK, 0), |l| (l.start, l.len));
        out.extend_from_slice(&ls.to_le_bytes());
        out.extend_from_slice(&ll.to_le_bytes());
        out.push(KINDS.iter().position(|k| *k == e.kind).unwrap_or(0) as u8);
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&e.mode.to_le_bytes());
        out.extend_from_slice(&e.uid.to_le_bytes());
        out.extend_from_slice(&e.gid.to_le_bytes());
        out.extend_from_slice(&e.mtime.to_le_bytes());
        match e.hash {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(&h);
            }
            None => {
                out.push(0);
                out.extend_from_slice(&[0u8; 16]);
            }
        }
    }
    for &o in &layer.data_offsets {
        let relative = if o == u64::MAX {
            o
        } else {
            o.saturating_sub(base)
        };
        out.extend_from_slice(&relative.to_le_bytes());
    }
    out.extend_from_slice(&(layer.captured.len() as u64).to_le_bytes());
    for (index, captured) in &layer.captured {
        out.extend_from_slice(&index.to_le_bytes());
        match captured {
            Captured::Text(bytes) => {
                out.push(0);
                out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
                out.extend_from_slice(bytes);
            }
            Captured::Elf(elf) => {
                out.push(1);
                let put = |out: &mut Vec<u8>, s: &str| {
                    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                };
                let put_opt = |out: &mut Vec<u8>, s: &Option<String>| {
                    out.push(s.is_some() as u8);
                    put(out, s.as_deref().unwrap_or(""));
                };
                let put_list = |out: &mut Vec<u8>, list: &[String]| {
                    out.extend_from_slice(&(list.len() as u32).to_le_bytes());
                    for s in list {
                        put(out, s);
                    }
                };
                put_opt(&mut out, &elf.interp);
                put_list(&mut out, &elf.needed);
                put_list(&mut out, &elf.runpath);
                put_list(&mut out, &elf.rpath);
                put_opt(&mut out, &elf.soname);
                out.push(elf.class64 as u8);
                out.extend_from_slice(&elf.machine.to_le_bytes());
                out.push(elf.executable as u8);
                out.push(elf.complete as u8);
            }
            Captured::Shebang(line) => {
                out.push(2);
                out.extend_from_slice(&(line.len() as u32).to_le_bytes());
                out.extend_from_slice(line.as_bytes());
            }
        }
    }
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// The bytes of a file before its checksum, if the checksum matches them.
fn checked(bytes: &[u8]) -> Result<&[u8]> {
    let Some(split) = bytes.len().checked_sub(CHECKSUM_BYTES) else {
        bail!("shorter than its checksum");
    };
    let (body, sum) = bytes.split_at(split);
    if blake3::hash(body).as_bytes()[..] != sum[..] {
        bail!("checksum mismatch");
    }
    Ok(body)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.pos + n > self.bytes.len() {
            bail!("cache file truncated");
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
    fn string(&mut self) -> Result<String> {
        let len = self.u32()? as usize;
        Ok(String::from_utf8(self.take(len)?.to_vec())?)
    }
    fn opt_string(&mut self) -> Result<Option<String>> {
        let some = self.u8()? == 1;
        let s = self.string()?;
        Ok(some.then_some(s))
    }
    fn strings(&mut self) -> Result<Vec<String>> {
        let n = self.u32()? as usize;
        // Each string takes at least its 4-byte length: bound the count before allocating.
        if n > (self.bytes.len() - self.pos) / 4 {
            bail!("cache file counts exceed its size");
        }
        (0..n).map(|_| self.string()).collect()
    }
    fn captured(&mut self) -> Result<Captured> {
        Ok(match self.u8()? {
            0 => {
                let len = self.u64()? as usize;
                Captured::Text(self.take(len)?.into())
            }
            1 => Captured::Elf(ElfInfo {
                interp: self.opt_string()?,
                needed: self.strings()?,
                runpath: self.strings()?,
                rpath: self.strings()?,
                soname: self.opt_string()?,
                class64: self.u8()? == 1,
                machine: u16::from_le_bytes(self.take(2)?.try_into()?),
                executable: self.u8()? == 1,
                complete: self.u8()? == 1,
            }),
            2 => Captured::Shebang(self.string()?),
            _ => bail!("bad captured kind"),
        })
    }
}

fn decode(bytes: &[u8]) -> Result<LayerEntries> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(8)? != MAGIC {
        bail!("not a layer cache file");
    }
    let compression = match r.u8()? {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Zstd,
        _ => bail!("bad compression"),
    };
    let blob_bytes = r.u64()?;
    let tar_bytes = r.u64()?;
    let text_len = r.u64()? as usize;
    let count = r.u64()? as usize;
    let offsets = r.u64()? as usize;
    let has_digest = r.u8()? == 1;
    let digest: [u8; 32] = r.take(32)?.try_into()?;
    let tar_digest = has_digest.then_some(digest);
    let text = String::from_utf8(r.take(text_len)?.to_vec())?;
    // Each record is 62 bytes: bound the count by what the file can hold before allocating.
    if count > bytes.len() / 62 || offsets > bytes.len() / 8 {
        bail!("cache file counts exceed its size");
    }
    let mut entries = Vec::with_capacity(count);
    let span_ok = |s: Span| (s.start as usize).saturating_add(s.len as usize) <= text.len();
    for _ in 0..count {
        let path = Span {
            start: r.u32()?,
            len: r.u32()?,
        };
        let (ls, ll) = (r.u32()?, r.u32()?);
        let link = (ls != NO_LINK).then_some(Span { start: ls, len: ll });
        let kind = *KINDS
            .get(r.u8()? as usize)
            .ok_or_else(|| anyhow::anyhow!("bad kind"))?;
        let size = r.u64()?;
        let mode = r.u32()?;
        let uid = r.u32()?;
        let gid = r.u32()?;
        let mtime = r.u64()?;
        let has_hash = r.u8()? == 1;
        let mut hash = [0u8; 16];
        hash.copy_from_slice(r.take(16)?);
        if !span_ok(path) || link.is_some_and(|l| !span_ok(l)) {
            bail!("cache file span out of range");
        }
        entries.push(RawEntry {
            path,
            link,
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
            hash: has_hash.then_some(hash),
        });
    }
    let mut data_offsets = Vec::with_capacity(offsets);
    for _ in 0..offsets {
        data_offsets.push(r.u64()?);
    }
    let captures = r.u64()? as usize;
    // Each record takes at least 5 bytes.
    if captures > (bytes.len() - r.pos) / 5 {
        bail!("cache file counts exceed its size");
    }
    let mut captured = Vec::with_capacity(captures);
    for _ in 0..captures {
        let index = r.u32()?;
        if index as usize >= entries.len() {
            bail!("cache file capture out of range");
        }
        captured.push((index, r.captured()?));
    }
    if r.pos != bytes.len() {
        bail!("trailing bytes in cache file");
    }
    Ok(LayerEntries {
        text,
        entries,
        compression,
        blob_bytes,
        tar_bytes,
        tar_digest,
        data_offsets,
        captured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LayerEntries {
        let mut l = LayerEntries::new(Compression::None);
        let p = l.intern("usr/bin/tool");
        let t = l.intern("tool");
        l.entries.push(RawEntry {
            path: p,
            link: None,
            kind: EntryKind::File,
            size: 42,
            mode: 0o755,
            uid: 1,
            gid: 2,
            mtime: 3,
            hash: Some([7; 16]),
        });
        l.entries.push(RawEntry {
            path: p,
            link: Some(t),
            kind: EntryKind::Symlink,
            size: 0,
            mode: 0o777,
            uid: 0,
            gid: 0,
            mtime: 0,
            hash: None,
        });
        l.blob_bytes = 2048;
        l.tar_bytes = 2048;
        l.tar_digest = Some([9; 32]);
        l.data_offsets = vec![1000 + 512, 1000 + 1536];
        l.captured = vec![
            (0, Captured::Text(b"Package: tool\n".to_vec().into())),
            (0, Captured::Shebang("/bin/sh -e".into())),
            (
                1,
                Captured::Elf(ElfInfo {
                    interp: Some("/lib64/ld-linux-x86-64.so.2".into()),
                    needed: vec!["libc.so.6".into(), "libz.so.1".into()],
                    runpath: vec!["$ORIGIN/../lib".into()],
                    rpath: vec![],
                    soname: None,
                    class64: true,
                    machine: 62,
                    executable: true,
                    complete: true,
                }),
            ),
        ];
        l
    }

    #[test]
    fn round_trips_and_rebases_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let opts = DecodeOptions::default();
        cache.put("file:1:2:3", &opts, &sample(), 1000).unwrap();
        let back = cache.get("file:1:2:3", &opts, 5000).unwrap();
        assert_eq!(back.text, sample().text);
        assert_eq!(back.entries.len(), 2);
        assert_eq!(back.entries[0].hash, Some([7; 16]));
        assert_eq!(back.entries[1].link, sample().entries[1].link);
        assert_eq!(back.data_offsets, vec![5512, 6536]);
        assert_eq!(back.captured, sample().captured);
        assert_eq!(back.tar_digest, Some([9; 32]));
        // Other options, other entry.
        let no_hash = DecodeOptions {
            hash_contents: false,
            ..DecodeOptions::default()
        };
        assert!(cache.get("file:1:2:3", &no_hash, 0).is_none());
    }

    #[test]
    fn least_recently_used_files_go_first_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let opts = DecodeOptions::default();
        let size = encode(&sample(), 0).len() as u64;
        // Room for two entries, not three.
        let cache = LayerCache::new(dir.path()).with_max_bytes(size * 2 + size / 2);
        let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        let touch = |key: &str, t| {
            std::fs::File::options()
                .write(true)
                .open(cache.dir.join(file_name(key, &opts)))
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        cache.put("a", &opts, &sample(), 0).unwrap();
        touch("a", at(1000));
        cache.put("b", &opts, &sample(), 0).unwrap();
        touch("b", at(2000));
        // Reading `a` makes it the most recently used: `b` goes when `c` comes.
        assert!(cache.get("a", &opts, 0).is_some());
        cache.put("c", &opts, &sample(), 0).unwrap();
        assert!(cache.get("b", &opts, 0).is_none());
        assert!(cache.get("a", &opts, 0).is_some());
        assert!(cache.get("c", &opts, 0).is_some());
        assert_eq!(cache.usage(), (2, size * 2));
        // An entry larger than the whole cache is not kept; a cap of 0 keeps nothing new.
        let tiny = LayerCache::new(dir.path()).with_max_bytes(size - 1);
        tiny.put("d", &opts, &sample(), 0).unwrap();
        assert!(tiny.get("d", &opts, 0).is_none());
    }

    #[test]
    fn damaged_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let opts = DecodeOptions::default();
        cache.put("k", &opts, &sample(), 1000).unwrap();
        let path = cache.dir.join(file_name("k", &opts));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(cache.get("k", &opts, 0).is_none());
        let mut bad = bytes.clone();
        bad[8 + 1 + 16 + 8] = 0xff; // entry count
        std::fs::write(&path, &bad).unwrap();
        assert!(cache.get("k", &opts, 0).is_none());
    }
}

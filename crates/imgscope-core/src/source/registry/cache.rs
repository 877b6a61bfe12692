//! The content-addressed blob cache: `<cache>/blobs/sha256/<hex>`. A blob enters only whole and
//! verified — written to a temporary file in the same directory while it streams, hashed, and
//! renamed into place only when its SHA-256 matches — so a crash, a cut connection or a lying
//! registry never leaves a bad entry, and two processes filling the cache at once at worst both
//! rename the same bytes. Entries are verified again as they are read.
//!
//! The cache is bounded like the layer cache: after each blob is kept, the least recently used
//! (by modification time, which a read renews) are removed until the total is under the cap
//! ([`DEFAULT_MAX_BYTES`], or `IMGSCOPE_BLOB_CACHE_MAX`, read by the CLI's settings). A blob that
//! cannot be kept (a full disk) is [`NotKept`]: its download goes on without the cache.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::decode::BlobReadError;
use crate::model::hex;

/// The cap on the blob cache's total size when none is configured.
pub const DEFAULT_MAX_BYTES: u64 = 10 << 30;

#[derive(Debug, Clone)]
pub struct BlobCache {
    root: PathBuf,
    max_bytes: u64,
}

/// A blob that matched its digest but could not be written into the cache (a full disk, a
/// read-only directory): nothing is wrong with the blob, only the cache missed it.
#[derive(Debug, thiserror::Error)]
#[error("keeping blob {digest} in the cache: {source}")]
pub struct NotKept {
    pub digest: String,
    pub dir: PathBuf,
    pub source: io::Error,
}

/// A cached blob turned out not to match its digest (altered or truncated on disk). The entry has
/// been removed; reading the blob again fetches it anew.
#[derive(Debug, thiserror::Error)]
#[error("cached blob {digest} was corrupt and has been removed")]
pub struct CorruptCacheEntry {
    pub digest: String,
}

impl BlobCache {
    pub fn new(root: &Path) -> BlobCache {
        BlobCache {
            root: root.to_path_buf(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The same cache with another cap on its total size.
    pub fn with_max_bytes(self, max_bytes: u64) -> BlobCache {
        BlobCache { max_bytes, ..self }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Where the blobs are.
    pub fn dir(&self) -> PathBuf {
        self.blobs_dir()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// The path a verified blob lives at (sha256 digests only).
    pub fn path_of(&self, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.blobs_dir().join(hex))
    }

    /// Open a cached blob whose size is as expected, as a reader that verifies its digest at the
    /// end. A wrong-sized entry is removed and treated as absent.
    pub fn open(&self, digest: &str, size: u64) -> Option<Box<dyn Read + Send>> {
        let path = self.path_of(digest)?;
        let file = File::open(&path).ok()?;
        if file.metadata().ok()?.len() != size {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        // Used now: the last to be evicted.
        let _ = File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        Some(Box::new(VerifyingRead {
            inner: file,
            hasher: Sha256::new(),
            digest: digest.to_string(),
            path,
            done: false,
        }))
    }

    /// Hash a cached blob; if it does not match its digest, remove it and say so.
    pub fn discard_if_corrupt(&self, digest: &str) -> bool {
        let Some(path) = self.path_of(digest) else {
            return false;
        };
        let Ok(mut file) = File::open(&path) else {
            return false;
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut failed = false;
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed || format!("sha256:{}", hex(&hasher.finalize())) != digest {
            let _ = std::fs::remove_file(&path);
            return true;
        }
        false
    }

    /// Start writing a blob: bytes go to a temporary file that [`BlobWriter::commit`] moves into
    /// place once they match `digest`.
    pub fn writer(&self, digest: &str) -> Result<BlobWriter> {
        let dir = self.blobs_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let final_path = self
            .path_of(digest)
            .with_context(|| format!("unsupported digest {digest}"))?;
        // What a dead writer left (killed mid-download) goes; a live writer's partial stays.
        crate::cache_dir::remove_dead_partials(&dir);
        let tmp = crate::cache_dir::Partial::new_in(&dir)
            .with_context(|| format!("creating a file in {}", dir.display()))?;
        Ok(BlobWriter {
            tmp,
            hasher: Sha256::new(),
            digest: digest.to_string(),
            final_path,
            cache: self.clone(),
        })
    }

    /// Remove the least recently used blobs until the cache is within its cap, never `keep` (the
    /// blob just kept).
    fn evict(&self, keep: &Path) {
        let Ok(dir) = std::fs::read_dir(self.blobs_dir()) else {
            return;
        };
        let mut files = Vec::new();
        let mut total = 0u64;
        for entry in dir.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            total = total.saturating_add(meta.len());
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            files.push((modified, meta.len(), entry.path()));
        }
        if total <= self.max_bytes {
            return;
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
    }

    /// Every cached blob with its size.
    pub fn entries(&self) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir(self.blobs_dir()) else {
            return Ok(out);
        };
        for entry in dir {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.file_type()?.is_file() {
                continue;
            }
            out.push((format!("sha256:{name}"), entry.metadata()?.len()));
        }
        out.sort();
        Ok(out)
    }

    /// Partial files (blobs being written, or left by a writer that died).
    pub fn partials(&self) -> crate::cache_dir::Partials {
        crate::cache_dir::partials_in(&self.blobs_dir())
    }

    /// Remove every cached blob and every partial file no live writer holds. Returns (files,
    /// bytes) of blobs removed, and the partial files found (the dead ones removed).
    pub fn prune(&self) -> Result<((u64, u64), crate::cache_dir::Partials)> {
        let partials = crate::cache_dir::remove_dead_partials(&self.blobs_dir());
        Ok((
            crate::cache_dir::remove_files_in(&self.blobs_dir())?,
            partials,
        ))
    }
}

pub struct BlobWriter {
    tmp: crate::cache_dir::Partial,
    hasher: Sha256,
    digest: String,
    final_path: PathBuf,
    cache: BlobCache,
}

impl BlobWriter {
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.hasher.update(chunk);
        match self.tmp.file() {
            Some(f) => f.write_all(chunk),
            None => Err(io::Error::other("partial file already persisted")),
        }
    }

    /// Give up writing: the partial file goes, and the hash of what was written so far is
    /// handed back to go on verifying without the cache.
    pub fn abandon(self) -> Sha256 {
        self.hasher
    }

    /// Move the blob into place if its bytes match the digest; otherwise drop it and fail. A blob
    /// that matches but cannot be moved into place fails with [`NotKept`].
    pub fn commit(self) -> Result<()> {
        let got = format!("sha256:{}", hex(&self.hasher.finalize()));
        if got != self.digest {
            bail!("blob {} does not match its digest (got {got})", self.digest);
        }
        self.tmp
            .persist(&self.final_path)
            .map_err(|source| NotKept {
                digest: self.digest.clone(),
                dir: self.cache.blobs_dir(),
                source,
            })?;
        self.cache.evict(&self.final_path);
        Ok(())
    }
}

struct VerifyingRead {
    inner: File,
    hasher: Sha256,
    digest: String,
    path: PathBuf,
    done: bool,
}

impl Read for VerifyingRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        if n == 0 && !buf.is_empty() && !self.done {
            self.done = true;
            let got = format!("sha256:{}", hex(&self.hasher.clone().finalize()));
            if got != self.digest {
                let _ = std::fs::remove_file(&self.path);
                return Err(BlobReadError::io(
                    CorruptCacheEntry {
                        digest: self.digest.clone(),
                    }
                    .to_string(),
                    true,
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(bytes: &[u8]) -> String {
        format!("sha256:{}", hex(&Sha256::digest(bytes)))
    }

    #[test]
    fn only_verified_blobs_enter() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(dir.path());
        let d = digest_of(b"hello");
        let mut w = cache.writer(&d).unwrap();
        w.write(b"hellx").unwrap();
        assert!(w.commit().is_err());
        assert!(cache.entries().unwrap().is_empty());
        let mut w = cache.writer(&d).unwrap();
        w.write(b"hello").unwrap();
        w.commit().unwrap();
        let mut s = String::new();
        cache.open(&d, 5).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
        assert_eq!(cache.entries().unwrap(), vec![(d, 5)]);
    }

    #[test]
    fn altered_entries_are_detected_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(dir.path());
        let d = digest_of(b"hello");
        let mut w = cache.writer(&d).unwrap();
        w.write(b"hello").unwrap();
        w.commit().unwrap();
        std::fs::write(cache.path_of(&d).unwrap(), b"jello").unwrap();
        let mut s = String::new();
        let err = cache
            .open(&d, 5)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap_err();
        assert!(err.to_string().contains("corrupt"));
        assert!(!cache.path_of(&d).unwrap().exists());
        // Truncated: wrong size means absent.
        let mut w = cache.writer(&d).unwrap();
        w.write(b"hello").unwrap();
        w.commit().unwrap();
        std::fs::write(cache.path_of(&d).unwrap(), b"hel").unwrap();
        assert!(cache.open(&d, 5).is_none());
    }

    #[test]
    fn least_recently_used_blobs_go_first_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(dir.path()).with_max_bytes(10);
        let put = |bytes: &[u8]| {
            let d = digest_of(bytes);
            let mut w = cache.writer(&d).unwrap();
            w.write(bytes).unwrap();
            w.commit().unwrap();
            d
        };
        let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        let touch = |d: &str, t| {
            File::options()
                .write(true)
                .open(cache.path_of(d).unwrap())
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        let a = put(b"aaaa");
        touch(&a, at(1000));
        let b = put(b"bbbb");
        touch(&b, at(2000));
        // Reading `a` makes it the most recently used: `b` goes when `c` comes.
        assert!(cache.open(&a, 4).is_some());
        let c = put(b"cccc");
        let held: Vec<String> = cache.entries().unwrap().into_iter().map(|e| e.0).collect();
        assert!(
            held.contains(&a) && held.contains(&c) && !held.contains(&b),
            "{held:?}"
        );
        // A blob larger than the cap is still kept while it is the one just written.
        let big = put(b"0123456789abcdef");
        assert_eq!(cache.entries().unwrap(), vec![(big, 16)]);
    }
}

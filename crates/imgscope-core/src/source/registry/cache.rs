//! The content-addressed blob cache: `<cache>/blobs/sha256/<hex>`. A blob enters only whole and
//! verified — written to a temporary file in the same directory while it streams, hashed, and
//! renamed into place only when its SHA-256 matches — so a crash, a cut connection or a lying
//! registry never leaves a bad entry, and two processes filling the cache at once at worst both
//! rename the same bytes. Entries are verified again as they are read.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::decode::BlobReadError;
use crate::model::hex;

#[derive(Debug, Clone)]
pub struct BlobCache {
    root: PathBuf,
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
        }
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
        let tmp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(&dir)
            .with_context(|| format!("creating a file in {}", dir.display()))?;
        Ok(BlobWriter {
            tmp,
            hasher: Sha256::new(),
            digest: digest.to_string(),
            final_path,
        })
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
            if name.starts_with('.') {
                continue;
            }
            out.push((format!("sha256:{name}"), entry.metadata()?.len()));
        }
        out.sort();
        Ok(out)
    }

    /// Remove every cached blob (and leftover partial files). Returns (files, bytes) removed.
    pub fn prune(&self) -> Result<(u64, u64)> {
        Ok(crate::cache_dir::remove_files_in(&self.blobs_dir())?)
    }
}

pub struct BlobWriter {
    tmp: tempfile::NamedTempFile,
    hasher: Sha256,
    digest: String,
    final_path: PathBuf,
}

impl BlobWriter {
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.hasher.update(chunk);
        self.tmp.write_all(chunk)
    }

    /// Move the blob into place if its bytes match the digest; otherwise drop it and fail.
    pub fn commit(self) -> Result<()> {
        let got = format!("sha256:{}", hex(&self.hasher.finalize()));
        if got != self.digest {
            bail!("blob {} does not match its digest (got {got})", self.digest);
        }
        self.tmp
            .persist(&self.final_path)
            .map_err(|e| anyhow::anyhow!("{}: {}", self.final_path.display(), e.error))?;
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
}

//! Registry blobs as [`ImageFiles`]: a cached blob is read (and verified) from disk; otherwise its
//! download runs as a task on the client's runtime and hands chunks over a bounded channel to the
//! synchronous decoder, which writes them into the cache as they pass. So the download and the
//! analysis overlap, memory stays bounded by the channel, and the cache entry appears only once
//! the whole blob has matched its digest.
//!
//! Bytes released as they are (`cat`, `export`, the viewer) must not come from a download whose
//! digest has not been checked yet: [`ImageFiles::open_verified`] reads the blob whole — into the
//! cache, or without one into an anonymous temporary file kept for the rest of the run — and only
//! then hands it out.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow};
use bytes::Bytes;

use super::cache::BlobWriter;
use super::client::RegistryClient;
use super::digest::Verifier;
use crate::decode::BlobReadError;
use crate::source::files::ImageFiles;

/// Chunks in flight between the download task and the decoder.
const CHANNEL_CHUNKS: usize = 32;
/// Layers downloaded (and decoded) at once.
const DOWNLOADS_AT_ONCE: usize = 4;

pub struct RegistryFiles {
    client: Arc<RegistryClient>,
    sizes: HashMap<String, u64>,
    /// Without a cache: blobs downloaded and verified whole for release, by digest, each in an
    /// anonymous temporary file (gone when the process is, however it ends).
    verified: Mutex<HashMap<String, Arc<File>>>,
}

impl RegistryFiles {
    pub fn new(client: Arc<RegistryClient>, sizes: HashMap<String, u64>) -> RegistryFiles {
        RegistryFiles {
            client,
            sizes,
            verified: Mutex::new(HashMap::new()),
        }
    }
}

/// A reader of a shared file from its start, by positioned reads (each its own position).
struct SharedFileRead {
    file: Arc<File>,
    pos: u64,
}

impl Read for SharedFileRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl ImageFiles for RegistryFiles {
    fn exists(&self, path: &str) -> bool {
        self.sizes.contains_key(path)
    }

    fn size(&self, path: &str) -> Result<u64> {
        self.sizes
            .get(path)
            .copied()
            .ok_or_else(|| anyhow!("blob {path} is not part of the image"))
    }

    fn cache_key(&self, digest: &str) -> Option<String> {
        // Blobs are verified against their digest as they download: the digest names the bytes.
        self.exists(digest).then(|| format!("blob:{digest}"))
    }

    fn preferred_parallelism(&self) -> Option<usize> {
        Some(DOWNLOADS_AT_ONCE.max(rayon::current_num_threads()))
    }

    fn discard_if_corrupt(&self, digest: &str) -> bool {
        self.client
            .cache
            .as_ref()
            .is_some_and(|c| c.discard_if_corrupt(digest))
    }

    fn open_verified(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>> {
        let size = self.size(digest)?;
        let read_whole = |out: &mut dyn io::Write| -> Result<()> {
            // The download's reader checks the digest at the end: an error here is a mismatch
            // (or a cut), and nothing of it has been released.
            io::copy(&mut self.open(digest)?, out).map_err(|e| anyhow!("{e}"))?;
            Ok(())
        };
        if let Some(cache) = &self.client.cache {
            if let Some(reader) = cache.open(digest, size) {
                return Ok(reader);
            }
            // Downloaded whole into the cache, which keeps it only once it matches its digest.
            read_whole(&mut io::sink())?;
            return cache
                .open(digest, size)
                .ok_or_else(|| anyhow!("blob {digest} could not be kept in the cache"));
        }
        let mut verified = self.verified.lock().expect("not poisoned");
        let file = match verified.get(digest) {
            Some(file) => file.clone(),
            None => {
                let mut spool = tempfile::tempfile()
                    .map_err(|e| anyhow!("creating a temporary file for blob {digest}: {e}"))?;
                read_whole(&mut spool)?;
                let file = Arc::new(spool);
                verified.insert(digest.to_string(), file.clone());
                file
            }
        };
        Ok(Box::new(SharedFileRead { file, pos: 0 }))
    }

    fn open(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>> {
        let size = self.size(digest)?;
        if let Some(cache) = &self.client.cache
            && let Some(reader) = cache.open(digest, size)
        {
            return Ok(reader);
        }
        let writer = match &self.client.cache {
            Some(cache) => Some(cache.writer(digest)?),
            None => None,
        };
        // The cache writer verifies what it keeps; without it, the reader verifies.
        let verifier = match writer {
            Some(_) => None,
            None => Some(Verifier::new(digest)?),
        };
        let mut response = self.client.blob_response(digest)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(CHANNEL_CHUNKS);
        self.client.runtime.spawn(async move {
            loop {
                let chunk = match response.chunk().await {
                    Ok(Some(chunk)) => Ok(chunk),
                    Ok(None) => break,
                    Err(e) => Err(io::Error::other(e.without_url())),
                };
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    break; // the reader is gone, or the download failed
                }
            }
        });
        Ok(Box::new(DownloadRead {
            rx,
            current: Bytes::new(),
            writer,
            verifier,
            digest: digest.to_string(),
            expected: size,
            received: 0,
            finished: false,
        }))
    }
}

struct DownloadRead {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    writer: Option<BlobWriter>,
    verifier: Option<Verifier>,
    digest: String,
    expected: u64,
    received: u64,
    finished: bool,
}

impl DownloadRead {
    fn finish(&mut self) -> io::Result<()> {
        self.finished = true;
        if self.received != self.expected {
            return Err(BlobReadError::io(
                format!(
                    "download of blob {} ended after {} of {} bytes",
                    self.digest, self.received, self.expected
                ),
                false,
            ));
        }
        if let Some(w) = self.writer.take() {
            w.commit()
                .map_err(|e| BlobReadError::io(format!("{e:#}"), false))?;
        }
        if let Some(v) = self.verifier.take() {
            let got = v.finish();
            if got != self.digest {
                return Err(BlobReadError::io(
                    format!("blob {} does not match its digest (got {got})", self.digest),
                    false,
                ));
            }
        }
        Ok(())
    }
}

impl Read for DownloadRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.finished {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    if self.received > self.expected {
                        return Err(BlobReadError::io(
                            format!(
                                "blob {} is larger than the {} bytes its manifest declares",
                                self.digest, self.expected
                            ),
                            false,
                        ));
                    }
                    if let Some(w) = &mut self.writer {
                        w.write(&chunk)?;
                    }
                    if let Some(v) = &mut self.verifier {
                        v.update(&chunk);
                    }
                    self.current = chunk;
                }
                Some(Err(e)) => {
                    self.finished = true;
                    self.writer = None;
                    return Err(BlobReadError::io(
                        format!("downloading blob {}: {e}", self.digest),
                        false,
                    ));
                }
                None => {
                    self.finish()?;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

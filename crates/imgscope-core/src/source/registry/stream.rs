//! Registry blobs as [`ImageFiles`]: a cached blob is read (and verified) from disk; otherwise its
//! download runs as a task on the client's runtime and hands chunks over a bounded channel to the
//! synchronous decoder, which writes them into the cache as they pass. So the download and the
//! analysis overlap, memory stays bounded by the channel, and the cache entry appears only once
//! the whole blob has matched its digest.
//!
//! A download cut short is resumed where it stopped — with a `Range` request, or, from a registry
//! that sends the whole blob again, by skipping what was already passed on — within the client's
//! bounded attempts (the first request's retries included); a download that receives nothing for
//! the stall bound (`IMGSCOPE_REGISTRY_STALL_SECS`) fails, saying so.
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

use super::cache::{BlobWriter, NotKept};
use super::client::{ATTEMPTS, RegistryClient, Tries};
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

    fn verifies_at_end(&self) -> bool {
        true
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
            if let Some(reader) = cache.open(digest, size) {
                return Ok(reader);
            }
            // Not kept (the cache cannot be written): verified whole into a temporary file.
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
            Some(cache) => match cache.writer(digest) {
                Ok(w) => Some(w),
                Err(e) => {
                    crate::cache_dir::warn_unwritable(&cache.dir(), &format!("{e:#}"));
                    None
                }
            },
            None => None,
        };
        // The cache writer verifies what it keeps; without it, the reader verifies.
        let verifier = match writer {
            Some(_) => None,
            None => Some(Verifier::new(digest)?),
        };
        let mut tries = Tries::new();
        let (response, skip) = self.client.blob_response(digest, 0, &mut tries)?;
        let rx = pump(&self.client, response);
        Ok(Box::new(DownloadRead {
            client: &self.client,
            tries,
            rx,
            skip,
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

/// Why a download's body stopped before its end.
enum Broken {
    /// The connection failed (cut, reset): worth resuming.
    Cut(String),
    /// Nothing arrived for the stall bound.
    Stalled,
}

/// Read `response`'s body on the client's runtime, passing chunks over a bounded channel; a
/// chunk that does not come within the stall bound ends it with [`Broken::Stalled`].
fn pump(
    client: &RegistryClient,
    mut response: reqwest::Response,
) -> tokio::sync::mpsc::Receiver<Result<Bytes, Broken>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Broken>>(CHANNEL_CHUNKS);
    let stall = client.stall;
    client.runtime.spawn(async move {
        loop {
            let chunk = match tokio::time::timeout(stall, response.chunk()).await {
                Ok(Ok(Some(chunk))) => Ok(chunk),
                Ok(Ok(None)) => break,
                Ok(Err(e)) => Err(Broken::Cut(e.without_url().to_string())),
                Err(_) => Err(Broken::Stalled),
            };
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                break; // the reader is gone, or the download failed
            }
        }
    });
    rx
}

struct DownloadRead<'a> {
    client: &'a RegistryClient,
    /// Attempts at this blob so far (the first request's retries, then each resumption).
    tries: Tries,
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, Broken>>,
    /// Bytes of the current response to drop: already passed on before a cut.
    skip: u64,
    current: Bytes,
    writer: Option<BlobWriter>,
    verifier: Option<Verifier>,
    digest: String,
    expected: u64,
    received: u64,
    finished: bool,
}

impl DownloadRead<'_> {
    /// After a cut: wait, and ask for the rest of the blob (a fault after the last attempt is
    /// the error).
    fn resume(&mut self, cause: &str) -> io::Result<()> {
        let fail = |message: String| BlobReadError::io(message, false);
        if self.tries.attempts >= ATTEMPTS {
            return Err(fail(format!(
                "downloading blob {}: the connection failed after {} of {} bytes ({cause}); retried: {}",
                self.digest,
                self.received,
                self.expected,
                self.tries.text()
            )));
        }
        let delay = self.tries.delay(None);
        if self.client.verbose {
            eprintln!(
                "imgscope: blob {}: the connection failed after {} of {} bytes ({cause}); resuming in {:.2} s (attempt {} of {ATTEMPTS})",
                self.digest,
                self.received,
                self.expected,
                delay.as_secs_f64(),
                self.tries.attempts + 1
            );
        }
        std::thread::sleep(delay);
        let (response, skip) = self
            .client
            .blob_response(&self.digest, self.received, &mut self.tries)
            .map_err(|e| {
                fail(format!(
                    "downloading blob {}: the connection failed after {} of {} bytes ({cause}), and resuming failed: {e:#}",
                    self.digest, self.received, self.expected
                ))
            })?;
        self.skip = skip;
        self.rx = pump(self.client, response);
        Ok(())
    }

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
            match w.commit() {
                Ok(()) => {}
                // The blob is right; only the cache missed it.
                Err(e) if e.downcast_ref::<NotKept>().is_some() => {
                    if let Some(n) = e.downcast_ref::<NotKept>() {
                        crate::cache_dir::warn_unwritable(&n.dir, &n.source);
                    }
                }
                Err(e) => return Err(BlobReadError::io(format!("{e:#}"), false)),
            }
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

impl Read for DownloadRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.finished {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(mut chunk)) => {
                    if self.skip > 0 {
                        let n = (self.skip.min(chunk.len() as u64)) as usize;
                        let _ = chunk.split_to(n);
                        self.skip -= n as u64;
                        if chunk.is_empty() {
                            continue;
                        }
                    }
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
                        if let Err(e) = w.write(&chunk) {
                            // A cache that cannot be written (a full disk): go on verifying
                            // without it, from the hash of what was written (this chunk in it).
                            if let Some(cache) = &self.client.cache {
                                crate::cache_dir::warn_unwritable(&cache.dir(), &e);
                            }
                            if let Some(w) = self.writer.take() {
                                self.verifier = Some(Verifier::Sha256(w.abandon()));
                            }
                        }
                    } else if let Some(v) = &mut self.verifier {
                        v.update(&chunk);
                    }
                    self.current = chunk;
                }
                Some(Err(Broken::Cut(cause))) => {
                    if let Err(e) = self.resume(&cause) {
                        self.finished = true;
                        self.writer = None;
                        return Err(e);
                    }
                }
                Some(Err(Broken::Stalled)) => {
                    self.finished = true;
                    self.writer = None;
                    return Err(BlobReadError::io(
                        format!(
                            "downloading blob {}: no data for {} s after {} of {} bytes (IMGSCOPE_REGISTRY_STALL_SECS sets this bound)",
                            self.digest,
                            self.client.stall.as_secs_f64(),
                            self.received,
                            self.expected
                        ),
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

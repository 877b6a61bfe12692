//! One containerd image as [`ImageFiles`] laid out like an OCI image layout: `index.json` is made
//! here from the image record's target descriptor, and `blobs/ALG/HEX` are the content store's
//! blobs — read in place from its directory when this process can, else streamed over the
//! content API and checked against their digest before the last byte is released.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Result, anyhow, bail};
use sha2::Digest;
use tonic::Code;

use super::Connection;
use super::api::{
    self, Descriptor, InfoRequest, InfoResponse, ReadContentRequest, ReadContentResponse,
};
use crate::decode::BlobReadError;
use crate::model::hex;
use crate::source::files::{DirFiles, ImageFiles};

/// Chunks in flight between the gRPC stream and the decoder.
const CHANNEL_CHUNKS: usize = 16;

pub struct ContainerdFiles {
    conn: Connection,
    namespace: String,
    index_json: Vec<u8>,
    /// The content store's directory, when its blobs can be read in place.
    disk: Option<(PathBuf, DirFiles)>,
    /// Blob sizes containerd reported (None: it has no such blob).
    sizes: Mutex<HashMap<String, Option<u64>>>,
}

/// `blobs/sha256/HEX` → `sha256:HEX`.
fn digest_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("blobs/")?;
    let (algo, hex) = rest.split_once('/')?;
    (!hex.contains('/') && !hex.is_empty()).then(|| format!("{algo}:{hex}"))
}

impl ContainerdFiles {
    pub(super) fn new(
        conn: Connection,
        namespace: &str,
        name: &str,
        target: &Descriptor,
        content_root: Option<PathBuf>,
    ) -> Result<ContainerdFiles> {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": target.media_type,
                "digest": target.digest,
                "size": target.size,
                "annotations": { "io.containerd.image.name": name },
            }],
        });
        // In place only when the directory really is readable here (a rootful containerd's
        // store is root's alone).
        let disk = content_root.and_then(|root| {
            let path = crate::source::oci::blob_path(&target.digest).ok()?;
            std::fs::File::open(root.join(&path)).ok()?;
            Some((root.clone(), DirFiles::new(&root)))
        });
        Ok(ContainerdFiles {
            conn,
            namespace: namespace.to_string(),
            index_json: serde_json::to_vec(&index)?,
            disk,
            sizes: Mutex::new(HashMap::new()),
        })
    }

    /// How the blobs are read, for `-v`.
    pub(super) fn route(&self) -> String {
        match &self.disk {
            Some((root, _)) => format!(
                "read in place from containerd's content store {} (namespace {})",
                root.display(),
                self.namespace
            ),
            None => format!(
                "through containerd's content API at {} (namespace {})",
                self.conn.address.display(),
                self.namespace
            ),
        }
    }

    fn info(&self, digest: &str) -> Result<Option<u64>> {
        if let Some(known) = self
            .sizes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(digest)
        {
            return Ok(*known);
        }
        let request = InfoRequest {
            digest: digest.to_string(),
        };
        let size = match self.conn.call(Some(&self.namespace), request, |ch, req| {
            api::unary::<_, InfoResponse>(ch, api::CONTENT_INFO, req)
        })? {
            Ok(response) => response
                .into_inner()
                .info
                .map(|i| u64::try_from(i.size).unwrap_or(0)),
            Err(status) if status.code() == Code::NotFound => None,
            Err(status) => return Err(self.conn.explain(&status)),
        };
        self.sizes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(digest.to_string(), size);
        Ok(size)
    }

    fn on_disk(&self, path: &str) -> Option<&DirFiles> {
        self.disk
            .as_ref()
            .map(|(_, files)| files)
            .filter(|files| files.exists(path))
    }
}

impl ImageFiles for ContainerdFiles {
    fn exists(&self, path: &str) -> bool {
        if path == "index.json" || self.on_disk(path).is_some() {
            return true;
        }
        digest_of(path).is_some_and(|d| matches!(self.info(&d), Ok(Some(_))))
    }

    fn size(&self, path: &str) -> Result<u64> {
        if path == "index.json" {
            return Ok(self.index_json.len() as u64);
        }
        if let Some(files) = self.on_disk(path) {
            return files.size(path);
        }
        let digest = digest_of(path).ok_or_else(|| anyhow!("no file {path} in containerd"))?;
        self.info(&digest)?
            .ok_or_else(|| anyhow!("containerd's content store has no blob {digest}"))
    }

    fn locate(&self, path: &str) -> Option<(PathBuf, u64, u64)> {
        self.on_disk(path)?.locate(path)
    }

    fn cache_key(&self, path: &str) -> Option<String> {
        // The store names blobs by digest; a streamed blob is verified as it is read, and a blob
        // in place is keyed by the file's identity like any layout's.
        match self.on_disk(path) {
            Some(files) => files.cache_key(path),
            None => digest_of(path).map(|d| format!("blob:{d}")),
        }
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        if path == "index.json" {
            return Ok(Box::new(io::Cursor::new(self.index_json.clone())));
        }
        if let Some(files) = self.on_disk(path) {
            return files.open(path);
        }
        let digest = digest_of(path).ok_or_else(|| anyhow!("no file {path} in containerd"))?;
        let expected = self.size(path)?;
        let hasher = match digest.split_once(':') {
            Some(("sha256", _)) => Hasher::Sha256(sha2::Sha256::new()),
            Some(("sha512", _)) => Hasher::Sha512(sha2::Sha512::new()),
            _ => bail!("unsupported digest algorithm in {digest:?}"),
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, String>>(CHANNEL_CHUNKS);
        let request = ReadContentRequest {
            digest: digest.clone(),
            offset: 0,
            size: 0,
        };
        let grpc = tonic_request(&self.namespace, request)?;
        let channel = self.conn.channel.clone();
        let address = self.conn.address.display().to_string();
        self.conn.runtime.spawn(async move {
            let read =
                api::server_streaming::<_, ReadContentResponse>(channel, api::CONTENT_READ, grpc);
            let mut stream = match read.await {
                Ok(response) => response.into_inner(),
                Err(status) => {
                    let _ = tx
                        .send(Err(format!(
                            "containerd at {address}: {}",
                            status.message()
                        )))
                        .await;
                    return;
                }
            };
            loop {
                let item = match stream.message().await {
                    Ok(Some(chunk)) => Ok(chunk.data),
                    Ok(None) => break,
                    Err(status) => Err(format!("containerd at {address}: {}", status.message())),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Box::new(StreamedBlob {
            rx,
            current: Vec::new(),
            at: 0,
            hasher: Some(hasher),
            digest,
            expected,
            received: 0,
        }))
    }
}

/// A request carrying the namespace, for the streaming read (the unary calls go through
/// [`Connection::call`]).
fn tonic_request<T>(namespace: &str, message: T) -> Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    let value = namespace
        .parse()
        .map_err(|_| anyhow!("invalid containerd namespace {namespace:?}"))?;
    request
        .metadata_mut()
        .insert(super::NAMESPACE_HEADER, value);
    Ok(request)
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex(&h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex(&h.finalize())),
        }
    }
}

/// A blob arriving over the content API: bytes are handed on as they come, and the end of the
/// stream is reported only once size and digest match (so a decoder never completes on bytes that
/// are not the blob's).
struct StreamedBlob {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    current: Vec<u8>,
    at: usize,
    hasher: Option<Hasher>,
    digest: String,
    expected: u64,
    received: u64,
}

impl StreamedBlob {
    fn fail(&mut self, message: String) -> io::Error {
        self.hasher = None;
        BlobReadError::io(message, false)
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(());
        };
        if self.received != self.expected {
            return Err(self.fail(format!(
                "containerd's blob {} ended after {} of {} bytes",
                self.digest, self.received, self.expected
            )));
        }
        let actual = hasher.finish();
        if !actual.eq_ignore_ascii_case(&self.digest) {
            return Err(self.fail(format!(
                "containerd's blob {} does not match its digest (its content is {actual})",
                self.digest
            )));
        }
        Ok(())
    }
}

impl Read for StreamedBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.current.len() {
            if self.hasher.is_none() {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    if self.received > self.expected {
                        let message = format!(
                            "containerd's blob {} is larger than the {} bytes it declares",
                            self.digest, self.expected
                        );
                        return Err(self.fail(message));
                    }
                    if let Some(h) = &mut self.hasher {
                        h.update(&chunk);
                    }
                    self.current = chunk;
                    self.at = 0;
                }
                Some(Err(message)) => return Err(self.fail(message)),
                None => {
                    self.finish()?;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_paths_name_digests() {
        assert_eq!(digest_of("blobs/sha256/abc").as_deref(), Some("sha256:abc"));
        assert_eq!(digest_of("index.json"), None);
        assert_eq!(digest_of("blobs/sha256/a/b"), None);
    }
}

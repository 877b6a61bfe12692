//! Layer blob → tar entries: compression detected by magic bytes, tar walked as a stream,
//! whiteouts and paths normalized, limits enforced. Produces [`crate::model::LayerEntries`].

pub mod capture;
pub mod compression;
pub mod elf;
pub mod guard;
pub mod hash_pipe;
pub mod layer;
pub mod paths;

pub use guard::NamesBudget;
pub use layer::{DecodeOptions, Limits, decode_layer, decode_layer_within};

use std::io::{self, Read};

/// Read into `buf` until it is full or the stream ends; returns how much was read.
pub fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// An error from where a blob's bytes come from (a download, the cache), as opposed to an error in
/// the bytes themselves. Sources return it inside `io::Error`; the decoder passes it on unchanged so
/// the message names the real cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct BlobReadError {
    pub message: String,
    /// A cached copy was found corrupt (and removed): reading again fetches a fresh one.
    pub corrupt_cache: bool,
}

impl BlobReadError {
    pub fn io(message: String, corrupt_cache: bool) -> std::io::Error {
        std::io::Error::other(BlobReadError {
            message,
            corrupt_cache,
        })
    }

    /// The source error carried by an I/O error, if it carries one.
    pub fn from_io(err: &std::io::Error) -> Option<&BlobReadError> {
        err.get_ref()
            .and_then(|e| e.downcast_ref::<BlobReadError>())
    }
}

/// Why a layer could not be read, for the callers that act on it: a source error can be met again
/// another way (the engine's export, a fresh download of a corrupt cached copy), a limit is the
/// image's fault, a truncated stream the blob's. Everything else stays an `anyhow` chain with its
/// context.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LayerError {
    /// Where the bytes come from failed (a download, an engine's store, the cache).
    #[error(transparent)]
    Source(#[from] BlobReadError),
    /// A limit was exceeded (a decompression bomb, too many names, …).
    #[error(transparent)]
    Limit(#[from] guard::LimitError),
    /// The stream ended before the layer did (with what the reader said, when it said more).
    #[error("truncated layer stream{}", .0.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Truncated(Option<String>),
    /// A tar header that does not parse.
    #[error("corrupt tar entry: {0}")]
    CorruptTar(String),
}

impl LayerError {
    /// What `err` is, looking through its causes and the I/O errors that carry a source or limit
    /// error; `None` for any other error.
    pub fn of(err: &anyhow::Error) -> Option<LayerError> {
        err.chain().find_map(|cause| {
            if let Some(e) = cause.downcast_ref::<LayerError>() {
                return Some(e.clone());
            }
            if let Some(b) = cause.downcast_ref::<BlobReadError>() {
                return Some(LayerError::Source(b.clone()));
            }
            if let Some(l) = cause.downcast_ref::<guard::LimitError>() {
                return Some(LayerError::Limit(l.clone()));
            }
            LayerError::carried_by(cause.downcast_ref::<io::Error>()?)
        })
    }

    /// The source or limit error an I/O error carries (readers can only fail with `io::Error`).
    pub fn carried_by(io: &io::Error) -> Option<LayerError> {
        BlobReadError::from_io(io)
            .map(|b| LayerError::Source(b.clone()))
            .or_else(|| guard::LimitError::from_io(io).map(|l| LayerError::Limit(l.clone())))
    }

    /// Whether it came from where the bytes are read, not from the bytes.
    pub fn is_source(&self) -> bool {
        matches!(self, LayerError::Source(_))
    }

    /// A cached copy was found corrupt (and removed): reading again fetches a fresh one.
    pub fn is_corrupt_cache(&self) -> bool {
        matches!(self, LayerError::Source(b) if b.corrupt_cache)
    }
}

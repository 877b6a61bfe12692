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

//! Layer blob → tar entries: compression detected by magic bytes, tar walked as a stream,
//! whiteouts and paths normalized, limits enforced. Produces [`crate::model::LayerEntries`].

pub mod compression;
pub mod layer;
pub mod paths;

pub use layer::{DecodeOptions, Limits, decode_layer};

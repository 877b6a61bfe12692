//! The domain model: images, layers, decoded tar entries and the file-tree arena. Pure data with
//! accessors; no I/O, no terminal. Decoders produce [`entry::LayerEntries`]; `analysis::merge`
//! turns them into an [`image::Image`]'s [`tree::FileTree`].

pub mod captured;
pub mod entry;
pub(crate) mod growth;
pub mod image;
pub mod names;
pub mod preview;
pub mod resolve;
pub mod tree;

pub use captured::{Captured, ElfInfo};
pub use entry::{Compression, ContentHash, EntryKind, LayerEntries, RawEntry, Span};
pub use image::{
    ChangeCounts, HistoryEntry, Image, Layer, Platform, RuntimeConfig, SourceKind,
    history_for_layers,
};
pub use preview::{EnginePreview, PreviewStep};
pub use tree::{Change, FileTree, NewVersion, NodeId, ROOT, Version, VersionId};

/// Lower-case hexadecimal of `bytes` (digests, content hashes).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

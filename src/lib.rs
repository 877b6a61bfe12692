//! imgscope: where the bytes of container images go, and whether trimming them is worth it.
//!
//! Data flows one way: [`source`] (archives, layouts) → [`decode`] (layer blobs to tar entries) →
//! [`model`] (images and the file-tree arena) → [`analysis`] (merge, waste, efficiency,
//! duplicates) → [`report`] (JSON, text). [`load`] runs that pipeline; [`config`] turns command-line
//! flags into validated settings once; `tui` is the interactive viewer.

pub mod allocator;
pub mod analysis;
pub mod app;
pub mod atomic_write;
pub mod base_lookup;
pub mod cli;
pub mod config;
pub mod content;
pub mod decode;
pub mod deferred_hash;
pub mod diff;
pub mod engine_cache;
pub mod gate;
pub mod history;
pub mod layer_cache;
pub mod load;
pub mod model;
pub mod progress_bar;
pub mod project_file;
pub mod report;
pub mod source;
pub mod text;
pub mod tui;

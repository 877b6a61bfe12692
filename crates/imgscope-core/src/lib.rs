//! The core of imgscope: where the bytes of container images go, and whether trimming them is
//! worth it — everything but the command line and the terminal. No clap, ratatui, crossterm or
//! indicatif here: a back-edge from the core to the CLI or the viewer is a compile error.
//!
//! Data flows one way: [`source`] (archives, layouts, engines, registries) → [`decode`] (layer
//! blobs to tar entries) → [`model`] (images and the file-tree arena) → [`analysis`] (merge, waste,
//! efficiency, duplicates, sharing, packages, the trim plan) → [`report`] (JSON, text, Markdown,
//! HTML) and [`gate`] (CI rules). [`pipeline`] runs that way; [`text`] words everything people
//! read; [`history`] keeps reports over time.

pub mod allocator;
pub mod analysis;
pub mod atomic_write;
pub mod cache_dir;
pub mod decode;
pub mod diff;
pub mod gate;
pub mod history;
pub mod model;
pub mod packages;
pub mod pipeline;
pub mod project_file;
pub mod report;
pub mod source;
pub mod text;
pub mod untrusted_sqlite;

#[cfg(test)]
mod test_rng;

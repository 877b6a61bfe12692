//! imgscope: where the bytes of container images go, and whether trimming them is worth it.
//!
//! The command line and the viewer over the core crate (`imgscope-core`, re-exported here):
//! [`cli`] (the flags as clap parses them), [`settings`] (the flags resolved once into a validated
//! mode), [`commands`] (one module a command), [`tui`] (the interactive viewer) and
//! [`progress_bar`].

pub use imgscope_core::{
    allocator, analysis, atomic_write, cache_dir, decode, diff, gate, history, model, packages,
    pipeline, project_file, report, source, text,
};

pub mod cli;
pub mod commands;
pub mod progress_bar;
pub mod settings;
pub mod tui;

//! imgscope: where the bytes of container images go, and whether trimming them is worth it.
//!
//! The command line and the viewer over the core crate (`imgscope-core`, re-exported here):
//! [`cli`] (the flags), [`settings`] (flags turned into validated settings once), [`app`] (one run of
//! a command line), [`tui`] (the interactive viewer) and [`progress_bar`].

pub use imgscope_core::{
    allocator, analysis, atomic_write, decode, diff, gate, history, model, pipeline, project_file,
    report, source, text,
};

pub mod app;
pub mod cli;
pub mod history_command;
pub mod progress_bar;
pub mod settings;
pub mod tui;

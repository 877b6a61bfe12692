//! The JSON documents imgscope writes: versioned wire types, serialize-only, built from the same
//! analysis the viewer shows. Field names are part of the contract; bump [`SCHEMA_VERSION`] on any
//! breaking change. Sizes are raw bytes (`*_bytes`); digests are `algo:hex` strings.
//!
//! One file a document — [`image`] (`--json`: the images, the plan, the sharing section),
//! [`gates`] (each image's gate evaluation, `--ci --json`) and [`diff`] (`imgscope diff --json`) —
//! and one [`writer`] that turns any of them (and `history --json`'s series) into the text printed.
//! The wire types of the plan, packages and sharing sections are in `report::plan`,
//! `report::packages` and `report::sharing`.
//!
//! docs/json.md documents the schema; the snapshot test shows a whole document.

pub mod diff;
pub mod gates;
pub mod image;
pub mod releases;
pub mod writer;

use serde::Serialize;

// The documents' items at `report::json::…`, where they were when this was one file.
pub use self::diff::*;
pub use self::gates::*;
pub use self::image::*;
pub use self::writer::to_printable_string;

/// The version of the report and diff documents.
pub const SCHEMA_VERSION: u32 = 3;

/// Which program wrote a document: every document names it.
#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    /// This imgscope.
    pub fn imgscope() -> Tool {
        Tool {
            name: "imgscope",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

//! Reports read from the analysis: the versioned JSON document and the plain-text summary, plus
//! the escaping every printed image string goes through.

pub mod diff_text;
pub mod escape;
pub mod gate_output;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sharing;
pub mod text;

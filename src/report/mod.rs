//! Reports read from the analysis: the versioned JSON document and the plain-text summary, plus
//! the escaping every printed image string goes through.

pub mod escape;
pub mod json;
pub mod text;

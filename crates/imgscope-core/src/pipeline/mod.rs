//! From an input to an analyzed image, in the order it happens: [`load`] resolves the input
//! through a source, decodes the layers in parallel (reusing [`layer_cache`], or for an engine's
//! image seen before [`engine_cache`]), merges and analyzes them, hashing afterwards what a
//! seek-walk skipped ([`deferred_hash`]) and reading the image's base ([`base_lookup`]). Later,
//! [`content`] reads one file's bytes out of its layer (`cat`, `export`, the viewer), and
//! [`slim_image`] writes the conservative slim image as an OCI layout (`slim`).

pub mod base_lookup;
pub mod content;
pub mod deferred_hash;
pub mod engine_cache;
pub mod layer_cache;
pub mod load;
pub mod slim_image;

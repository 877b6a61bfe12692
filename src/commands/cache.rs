//! `imgscope cache show|prune`: what the blob and layer caches hold, and emptying them.

use anyhow::Result;

use crate::cli::CacheAction;
use crate::source::registry::BlobCache;

/// `cache show` and `cache prune`.
pub fn run(action: CacheAction) -> Result<u8> {
    let dir = crate::settings::cache_dir()?;
    let cache = BlobCache::new(&dir);
    let layer_cache = crate::settings::layer_cache(&dir)?;
    match action {
        CacheAction::Show => {
            let entries = cache.entries()?;
            let total: u64 = entries.iter().map(|(_, s)| s).sum();
            for (digest, size) in &entries {
                println!("{:>10}  {digest}", crate::text::human_size(*size));
            }
            println!(
                "{} blobs, {} in {}",
                entries.len(),
                crate::text::human_size(total),
                cache.root().display()
            );
            let (layers, layer_bytes) = layer_cache.usage();
            println!(
                "{layers} analyzed layers, {} (at most {}, least recently used removed first; set {})",
                crate::text::human_size(layer_bytes),
                crate::text::human_size(layer_cache.max_bytes()),
                crate::settings::LAYER_CACHE_MAX_VAR
            );
        }
        CacheAction::Prune => {
            let (files, bytes) = cache.prune()?;
            let (layers, layer_bytes) = layer_cache.prune()?;
            println!(
                "removed {layers} analyzed layers, {}",
                crate::text::human_size(layer_bytes)
            );
            println!(
                "removed {files} blobs, {} from {}",
                crate::text::human_size(bytes),
                cache.root().display()
            );
        }
    }
    Ok(0)
}

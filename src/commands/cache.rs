//! `imgscope cache show|prune`: what the blob and layer caches hold, and emptying them.

use anyhow::Result;

use crate::cli::CacheAction;

/// `cache show` and `cache prune`.
pub fn run(action: CacheAction) -> Result<u8> {
    let dir = crate::settings::cache_dir()?;
    let cache = crate::settings::blob_cache(&dir)?;
    let layer_cache = crate::settings::layer_cache(&dir)?;
    match action {
        CacheAction::Show => {
            let entries = cache.entries()?;
            let total: u64 = entries.iter().map(|(_, s)| s).sum();
            for (digest, size) in &entries {
                println!("{:>10}  {digest}", crate::text::human_size(*size));
            }
            println!(
                "{} blobs, {} in {} (at most {}, least recently used removed first; set {})",
                entries.len(),
                crate::text::human_size(total),
                cache.root().display(),
                crate::text::human_size(cache.max_bytes()),
                crate::settings::BLOB_CACHE_MAX_VAR
            );
            let (layers, layer_bytes) = layer_cache.usage();
            println!(
                "{layers} analyzed layers, {} (at most {}, least recently used removed first; set {})",
                crate::text::human_size(layer_bytes),
                crate::text::human_size(layer_cache.max_bytes()),
                crate::settings::LAYER_CACHE_MAX_VAR
            );
            println!(
                "{}",
                partials_line(cache.partials(), layer_cache.partials(), "")
            );
        }
        CacheAction::Prune => {
            let ((files, bytes), blob_partials) = cache.prune()?;
            let ((layers, layer_bytes), layer_partials) = layer_cache.prune()?;
            println!(
                "removed {layers} analyzed layers, {}",
                crate::text::human_size(layer_bytes)
            );
            println!(
                "removed {files} blobs, {} from {}",
                crate::text::human_size(bytes),
                cache.root().display()
            );
            println!(
                "{}",
                partials_line(blob_partials, layer_partials, "removed ")
            );
        }
    }
    Ok(0)
}

/// One line for the partial files of both caches: those left by runs that died (which `prune`
/// removes, and the next run writing to the cache too), and those being written now.
fn partials_line(
    blobs: crate::cache_dir::Partials,
    layers: crate::cache_dir::Partials,
    removed: &str,
) -> String {
    let dead = (blobs.dead.0 + layers.dead.0, blobs.dead.1 + layers.dead.1);
    let live = (blobs.live.0 + layers.live.0, blobs.live.1 + layers.live.1);
    format!(
        "{removed}{} partial files, {} left by interrupted runs; {} being written now, {}",
        dead.0,
        crate::text::human_size(dead.1),
        live.0,
        crate::text::human_size(live.1)
    )
}

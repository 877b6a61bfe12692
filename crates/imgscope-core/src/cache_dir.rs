//! What every on-disk cache of imgscope's (the registry's blob cache, the analysed-layer cache)
//! does the same way, below both the sources and the pipeline that own them: emptying a cache
//! directory for `imgscope cache clear`.

use std::path::Path;

/// Remove every file in `dir` (a missing directory holds nothing). Returns (files, bytes).
pub fn remove_files_in(dir: &Path) -> std::io::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok((0, 0));
    };
    for entry in entries {
        let entry = entry?;
        bytes += entry.metadata()?.len();
        std::fs::remove_file(entry.path())?;
        files += 1;
    }
    Ok((files, bytes))
}

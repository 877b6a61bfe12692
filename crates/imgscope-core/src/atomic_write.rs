//! Files written whole or not at all: a temporary file beside the destination, renamed over it
//! once complete, so that a failure never leaves a half-written report or export behind.

use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// A temporary file in the directory that will hold `path` (hidden, `.imgscope-…`).
pub fn temp_file_beside(path: &Path) -> io::Result<NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".imgscope-")
        .tempfile_in(dir)
}

/// Write `bytes` to `path` through a temporary file beside it, synced, then renamed.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_file_beside(path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

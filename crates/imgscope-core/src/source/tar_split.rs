//! A layer's tar stream put back together, byte for byte, from a tar-split record — gzip-compressed
//! JSON lines holding every tar header and padding as the layer's tar carried them ("segments")
//! and, for each file, its name, size and CRC-64 — and the files of a directory holding the
//! layer's contents: what containers/storage does when Podman exports a layer.
//!
//! Files are opened beneath that directory with symlinks refused (`openat2`: it is a root
//! filesystem, whose absolute symlinks point at the host's), each checked to be a regular file of
//! the size its header declares and, as it is read, against the record's CRC-64 (as tar-split's
//! own reassembly does); the stream must come out at the size the store recorded. Every failure
//! is a [`BlobReadError`]: the bytes' source, not the bytes, is at fault.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use crate::decode::BlobReadError;

/// tar-split's checksum of a file's content: CRC-64 with the ISO polynomial, as Go computes it.
pub const CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_GO_ISO);

/// Longer record lines are refused (real ones hold a header or 1 MiB of padding at most).
pub const MAX_LINE: u64 = 8 << 20;

/// Where a layer's record and contents are.
#[derive(Debug, Clone)]
pub struct SplitLayer {
    /// The store's id of the layer (for messages).
    pub id: String,
    /// The layer's tar size, as the store recorded it.
    pub size: u64,
    pub tar_split: PathBuf,
    /// The directory holding the layer's files.
    pub dir: PathBuf,
}

/// One line of a tar-split record.
#[derive(Deserialize)]
struct SplitEntry {
    /// 1: a file's content, read from the layer's directory; 2: raw tar bytes.
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    /// The name's bytes when they are not UTF-8 (base64).
    #[serde(default)]
    name_raw: Option<String>,
    #[serde(default)]
    size: u64,
    /// Type 2: the raw bytes; type 1: the content's CRC-64 (big-endian); both base64.
    #[serde(default)]
    payload: Option<String>,
}

/// The most bytes a tar-split record may inflate to. A real one holds about 1 KiB a file (its
/// header, base64-encoded, and a line naming it): this is a layer of a million files; a larger
/// record is refused (the engine's export is read instead).
pub const MAX_RECORD_BYTES: u64 = 1 << 30;

/// A tar-split record's lines, one [`SplitEntry`] at a time, each line and the whole record
/// capped ([`MAX_LINE`], [`MAX_RECORD_BYTES`]).
struct RecordLines {
    lines: BufReader<flate2::read::MultiGzDecoder<File>>,
    line: String,
    read: u64,
}

impl RecordLines {
    fn new(record: File) -> RecordLines {
        RecordLines {
            lines: BufReader::with_capacity(64 * 1024, flate2::read::MultiGzDecoder::new(record)),
            line: String::new(),
            read: 0,
        }
    }

    /// The next entry; `None` at the end of the record. An error says what is wrong with the
    /// record.
    fn next(&mut self) -> Result<Option<SplitEntry>, String> {
        self.line.clear();
        let n = (&mut self.lines)
            .take(MAX_LINE)
            .read_line(&mut self.line)
            .map_err(|e| format!("unreadable tar-split record: {e}"))?;
        if n == 0 {
            return Ok(None);
        }
        if n as u64 == MAX_LINE && !self.line.ends_with('\n') {
            return Err(format!("a tar-split line longer than {MAX_LINE} bytes"));
        }
        self.read += n as u64;
        if self.read > MAX_RECORD_BYTES {
            return Err(format!(
                "a tar-split record of more than {MAX_RECORD_BYTES} bytes"
            ));
        }
        serde_json::from_str(self.line.trim_end())
            .map(Some)
            .map_err(|e| format!("corrupt tar-split record: {e}"))
    }
}

/// The length of the tar stream the record at `path` puts back together: its segments' bytes
/// and its files' sizes. Reads the record alone, not the layer's files: what `docker save` would
/// export as the layer's `layer.tar`, without exporting it.
pub fn tar_length(path: &Path) -> Result<u64, String> {
    let record = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = RecordLines::new(record);
    let mut total: u64 = 0;
    while let Some(entry) = lines.next()? {
        let n = match entry.kind {
            2 => decoded_segment(entry.payload)?.len() as u64,
            1 => entry.size,
            other => return Err(format!("unknown tar-split entry type {other}")),
        };
        total = total
            .checked_add(n)
            .ok_or_else(|| "a tar-split record of more bytes than a u64 counts".to_string())?;
    }
    Ok(total)
}

/// A segment's raw tar bytes.
fn decoded_segment(payload: Option<String>) -> Result<Vec<u8>, String> {
    BASE64
        .decode(payload.unwrap_or_default())
        .map_err(|e| format!("corrupt tar-split segment: {e}"))
}

/// A layer's tar stream, put back together from its tar-split record and its directory.
pub struct Reassembly {
    layer: SplitLayer,
    lines: RecordLines,
    dir: File,
    /// Raw tar bytes of the current segment, and how many were handed out.
    segment: Vec<u8>,
    handed: usize,
    /// The file whose content comes next.
    file: Option<Pending>,
    total: u64,
}

/// A file whose content is being handed out.
struct Pending {
    file: File,
    due: u64,
    name: String,
    crc: crc::Digest<'static, u64, crc::Table<16>>,
    want_crc: u64,
}

impl Reassembly {
    pub fn open(layer: &SplitLayer) -> io::Result<Reassembly> {
        let open = |path: &Path| {
            File::open(path).map_err(|e| store_error(layer, format!("{}: {e}", path.display())))
        };
        let split = open(&layer.tar_split)?;
        let dir = open(&layer.dir)?;
        Ok(Reassembly {
            layer: layer.clone(),
            lines: RecordLines::new(split),
            dir,
            segment: Vec::new(),
            handed: 0,
            file: None,
            total: 0,
        })
    }

    fn error(&self, what: String) -> io::Error {
        store_error(&self.layer, what)
    }

    /// Read the next record line; false at the end of the record.
    fn next_entry(&mut self) -> io::Result<bool> {
        let entry = match self.lines.next() {
            Ok(Some(entry)) => entry,
            Ok(None) => return Ok(false),
            Err(what) => return Err(self.error(what)),
        };
        match entry.kind {
            2 => {
                self.segment = decoded_segment(entry.payload).map_err(|e| self.error(e))?;
                self.handed = 0;
            }
            1 if entry.size > 0 => {
                let name = match (entry.name_raw, entry.name) {
                    (Some(raw), _) => BASE64
                        .decode(raw)
                        .map_err(|e| self.error(format!("corrupt tar-split name: {e}")))?,
                    (None, Some(name)) => name.into_bytes(),
                    (None, None) => return Err(self.error("a file entry without a name".into())),
                };
                let shown = String::from_utf8_lossy(&name).into_owned();
                let file = open_beneath(&self.dir, Path::new(OsStr::from_bytes(&name)))
                    .map_err(|e| self.error(format!("{shown}: {e}")))?;
                let meta = file
                    .metadata()
                    .map_err(|e| self.error(format!("{shown}: {e}")))?;
                if !meta.is_file() || meta.len() != entry.size {
                    return Err(self.error(format!(
                        "{shown} is {} bytes in the layer's directory, {} in its tar header",
                        meta.len(),
                        entry.size
                    )));
                }
                let want_crc = entry
                    .payload
                    .and_then(|p| BASE64.decode(p).ok())
                    .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| self.error(format!("{shown}: no checksum in the record")))?;
                self.file = Some(Pending {
                    file,
                    due: entry.size,
                    name: shown,
                    crc: CRC64.digest(),
                    want_crc,
                });
            }
            1 => {}
            other => return Err(self.error(format!("unknown tar-split entry type {other}"))),
        }
        Ok(true)
    }

    /// Count `n` bytes handed out; more than the store recorded is an error at once.
    fn count(&mut self, n: usize) -> io::Result<usize> {
        self.total += n as u64;
        if self.total > self.layer.size {
            return Err(self.error(format!(
                "reassembles to more than the {} bytes the store recorded",
                self.layer.size
            )));
        }
        Ok(n)
    }
}

impl Read for Reassembly {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(p) = self.file.as_mut() {
                let want = buf.len().min(usize::try_from(p.due).unwrap_or(usize::MAX));
                let n = match p.file.read(&mut buf[..want]) {
                    Ok(0) => {
                        let name = p.name.clone();
                        return Err(self.error(format!("{name} ended early")));
                    }
                    Ok(n) => n,
                    Err(e) => {
                        let name = p.name.clone();
                        return Err(self.error(format!("{name}: {e}")));
                    }
                };
                p.crc.update(&buf[..n]);
                p.due -= n as u64;
                if p.due == 0 {
                    let done = self.file.take().expect("a pending file");
                    if done.crc.finalize() != done.want_crc {
                        return Err(self.error(format!(
                            "{} is not the file its tar-split record describes (checksum)",
                            done.name
                        )));
                    }
                }
                return self.count(n);
            }
            if self.handed < self.segment.len() {
                let n = buf.len().min(self.segment.len() - self.handed);
                buf[..n].copy_from_slice(&self.segment[self.handed..self.handed + n]);
                self.handed += n;
                return self.count(n);
            }
            if !self.next_entry()? {
                if self.total != self.layer.size {
                    return Err(self.error(format!(
                        "reassembled to {} bytes, the store recorded {}",
                        self.total, self.layer.size
                    )));
                }
                return Ok(0);
            }
        }
    }
}

/// What went wrong reading `layer` from the store, as the error of a blob's source.
fn store_error(layer: &SplitLayer, what: String) -> io::Error {
    BlobReadError::io(format!("layer {} in the store: {what}", layer.id), false)
}

/// Open `name` (relative) beneath `dir`, refusing `..` out of it and any symlink on the way
/// (a layer's directory is a root filesystem: its absolute symlinks point at the host's).
#[allow(unsafe_code)] // openat2(2) with RESOLVE_BENEATH: std cannot open a path confined to a directory.
fn open_beneath(dir: &File, name: &Path) -> io::Result<File> {
    let mut relative = name.as_os_str().as_bytes();
    while let Some(rest) = relative
        .strip_prefix(b"./")
        .or_else(|| relative.strip_prefix(b"/"))
    {
        relative = rest;
    }
    let path =
        std::ffi::CString::new(relative).map_err(|_| io::Error::other("a name with a NUL byte"))?;
    // SAFETY: `open_how` is plain integers; all zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: `path` is a NUL-terminated string and `how` a valid `open_how` that both outlive
    // the call; the size passed is that of `how`. A non-negative result is a new descriptor that
    // nothing else owns.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            path.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened above and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_go_crc64_iso() {
        // The catalogue's check value of CRC-64/GO-ISO.
        assert_eq!(CRC64.checksum(b"123456789"), 0xb909_56c7_75a4_1001);
    }
}

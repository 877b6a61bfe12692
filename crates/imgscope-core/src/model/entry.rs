//! One layer's tar entries as the decoder saw them, before merging: a flat list with paths kept in
//! one shared text buffer, so a layer of a million entries costs one allocation for its names.

/// What a tar entry is, after whiteout names have been recognized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// `.wh.NAME`: the path (already stripped of the prefix) is deleted from lower layers.
    Whiteout,
    /// `.wh..wh..opq` inside a directory: the directory's lower-layer contents are hidden.
    Opaque,
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::CharDevice => "char-device",
            EntryKind::BlockDevice => "block-device",
            EntryKind::Fifo => "fifo",
            EntryKind::Whiteout => "whiteout",
            EntryKind::Opaque => "opaque",
        }
    }

    /// Whether this entry occupies a path in the filesystem (whiteouts and opaque markers do not).
    pub fn is_marker(self) -> bool {
        matches!(self, EntryKind::Whiteout | EntryKind::Opaque)
    }
}

/// A 128-bit BLAKE3 digest of a regular file's content.
pub type ContentHash = [u8; 16];

/// A byte range in a [`LayerEntries::text`] buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

/// One tar entry. `path` is normalized: relative to `/`, no `./`, no trailing `/`, `..` resolved
/// (never above the root); the empty path is the root itself.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub path: Span,
    /// Link target for symlinks and hardlinks (hardlink targets normalized like paths).
    pub link: Option<Span>,
    pub kind: EntryKind,
    /// Size from the tar header (0 for everything but regular files in well-formed layers).
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub hash: Option<ContentHash>,
}

/// Compression detected from a layer blob's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn label(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Everything decoded from one layer blob.
#[derive(Debug, Clone)]
pub struct LayerEntries {
    pub text: String,
    pub entries: Vec<RawEntry>,
    pub compression: Compression,
    /// Bytes of the blob as stored (compressed).
    pub blob_bytes: u64,
    /// Bytes of the decompressed tar stream.
    pub tar_bytes: u64,
    /// SHA-256 of the decompressed tar stream as it was read: the layer's true diff_id, to check
    /// the one its config claims against.
    pub tar_digest: Option<[u8; 32]>,
    /// For a layer decoded without reading contents: where each entry's content starts in the
    /// file holding the layer (parallel to `entries`); empty otherwise.
    pub data_offsets: Vec<u64>,
    /// File contents kept for later analyses (see `decode::capture`), by entry index, ascending.
    pub captured: Vec<(u32, super::Captured)>,
}

impl LayerEntries {
    pub fn new(compression: Compression) -> Self {
        LayerEntries {
            text: String::new(),
            entries: Vec::new(),
            compression,
            blob_bytes: 0,
            tar_bytes: 0,
            tar_digest: None,
            data_offsets: Vec::new(),
            captured: Vec::new(),
        }
    }

    pub fn str(&self, span: Span) -> &str {
        &self.text[span.start as usize..(span.start + span.len) as usize]
    }

    pub fn path(&self, entry: &RawEntry) -> &str {
        self.str(entry.path)
    }

    /// Append `s` to the text buffer and return its span.
    pub fn intern(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        if self.text.capacity() - self.text.len() < s.len() {
            // Grow by a quarter, not double: a million paths make tens of megabytes of text.
            self.text
                .reserve_exact((self.text.capacity() / 4).max(s.len()).max(4096));
        }
        self.text.push_str(s);
        Span {
            start,
            len: s.len() as u32,
        }
    }

    /// Sum of the tar-header sizes of regular files: the layer's uncompressed content size.
    pub fn content_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| e.size)
            .sum()
    }
}

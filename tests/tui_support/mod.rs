//! Support for the viewer's tests, screenshots and benchmark: images built in memory through
//! `analysis::Merger` from synthetic layer entries (no files, exact control), the dive fixture when
//! it is there, and a buffer dump that shows styles as well as text, for snapshots.

#![allow(dead_code)]

use std::path::PathBuf;

use imgscope::analysis::{self, Merger};
use imgscope::load::{self, LoadOptions, Loaded, Progress};
use imgscope::model::{
    Compression, EntryKind, HistoryEntry, Image, Layer, LayerEntries, Platform, RawEntry,
    SourceKind,
};
use imgscope::source::ImageBlobs;
use imgscope::source::stream_archive::MemFiles;
use ratatui::buffer::Buffer;

/// One layer being described.
pub struct LayerSpec {
    command: String,
    entries: LayerEntries,
}

pub fn layer(command: &str) -> LayerSpec {
    LayerSpec {
        command: command.to_string(),
        entries: LayerEntries::new(Compression::Gzip),
    }
}

impl LayerSpec {
    fn push(
        mut self,
        path: &str,
        kind: EntryKind,
        size: u64,
        link: Option<&str>,
        hash: Option<u8>,
    ) -> Self {
        let span = self.entries.intern(path);
        let link = link.map(|l| self.entries.intern(l));
        let mode = match kind {
            EntryKind::Dir => 0o755,
            EntryKind::Symlink => 0o777,
            _ => 0o644,
        };
        self.entries.entries.push(RawEntry {
            path: span,
            link,
            kind,
            size,
            mode,
            uid: 0,
            gid: 0,
            mtime: 1_704_067_200,
            hash: hash.map(|h| [h; 16]),
        });
        self.entries.tar_bytes += 512 + size.div_ceil(512) * 512;
        self
    }

    /// A regular file whose content is identified by `content` (same value, same bytes).
    pub fn file(self, path: &str, size: u64, content: u8) -> Self {
        self.push(path, EntryKind::File, size, None, Some(content))
    }

    pub fn dir(self, path: &str) -> Self {
        self.push(path, EntryKind::Dir, 0, None, None)
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.push(path, EntryKind::Symlink, 0, Some(target), None)
    }

    pub fn hardlink(self, path: &str, target: &str) -> Self {
        self.push(path, EntryKind::Hardlink, 0, Some(target), None)
    }

    /// Delete `path` from the layers below (a `.wh.` entry).
    pub fn whiteout(self, path: &str) -> Self {
        self.push(path, EntryKind::Whiteout, 0, None, None)
    }

    /// Hide what the layers below have in directory `path`.
    pub fn opaque(self, path: &str) -> Self {
        self.push(path, EntryKind::Opaque, 0, None, None)
    }

    /// How many entries so far.
    pub fn len(&self) -> usize {
        self.entries.entries.len()
    }
}

/// Merge and analyze layers as the load pipeline does, without any file.
pub fn build(name: &str, layers: Vec<LayerSpec>) -> Loaded {
    let mut merger = Merger::new();
    let mut out = Vec::with_capacity(layers.len());
    for (index, mut spec) in layers.into_iter().enumerate() {
        spec.entries.blob_bytes = spec.entries.tar_bytes / 2 + 100;
        let changes = merger.apply(&spec.entries);
        let e = &spec.entries;
        out.push(Layer {
            index,
            digest: Some(format!("sha256:{:064x}", index + 0xa000)),
            diff_id: Some(format!("sha256:{:064x}", index + 0xd000)),
            media_type: Some("application/vnd.oci.image.layer.v1.tar+gzip".into()),
            compression: e.compression,
            compressed_size: e.blob_bytes,
            size: e.content_bytes(),
            tar_size: e.tar_bytes,
            entry_count: e.entries.len() as u64,
            file_count: e
                .entries
                .iter()
                .filter(|x| x.kind == EntryKind::File)
                .count() as u64,
            history: Some(HistoryEntry {
                created: Some("2024-01-01T00:00:00Z".into()),
                created_by: Some(spec.command),
                comment: None,
                empty_layer: false,
            }),
            changes,
        });
    }
    let (tree, ledger) = merger.finish();
    let image = Image {
        input: format!("{name}.tar"),
        name: Some(name.to_string()),
        source: SourceKind::OciArchive,
        manifest_digest: Some(format!("sha256:{:064x}", 0xbeef)),
        config_digest: Some(format!("sha256:{:064x}", 0xc0f)),
        platform: Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        },
        created: Some("2024-01-01T00:00:00Z".into()),
        config: Default::default(),
        history: out.iter().filter_map(|l| l.history.clone()).collect(),
        layers: out,
        tree,
    };
    let analysis = analysis::analyze(&image, ledger.result());
    // No blobs behind it: the viewer never reads file contents.
    let blobs = ImageBlobs::new(Vec::new(), Box::new(MemFiles::default()), None);
    Loaded {
        image,
        analysis,
        blobs,
    }
}

/// A small image with every kind of change: a base, an overwrite (chmod), a copy, a deletion by
/// whiteout, an opaque directory, links, and a name with control characters.
pub fn sample() -> Loaded {
    build(
        "example/app:1",
        vec![
            layer("/bin/sh -c #(nop) ADD file:base in / ")
                .dir("bin")
                .file("bin/busybox", 900_000, 1)
                .symlink("bin/sh", "busybox")
                .dir("etc")
                .file("etc/passwd", 1200, 2)
                .file("etc/group", 600, 3)
                .file("etc/group-", 600, 3)
                .dir("usr/lib")
                .file("usr/lib/libc.so.6", 2_000_000, 4)
                .hardlink("usr/lib/libc.so", "usr/lib/libc.so.6")
                .file("usr/lib/big.dat", 300_000, 5)
                .dir("tmp"),
            layer("/bin/sh -c apt-get install -y tools &&\n\trm -rf /var/cache/apt")
                .dir("opt/tools")
                .file("opt/tools/tool", 400_000, 6)
                .file("opt/tools/tool.bak", 400_000, 6)
                .file("var/cache/apt/pkgcache.bin", 250_000, 7)
                .file("tmp/evil\x1b[31mname\x07.txt", 10, 8),
            layer("/bin/sh -c chmod 600 /usr/lib/big.dat && rm /var/cache/apt/pkgcache.bin")
                .file("usr/lib/big.dat", 300_000, 5)
                .whiteout("var/cache/apt/pkgcache.bin"),
            layer("/bin/sh -c rm -rf /opt/tools/* && echo done > /opt/tools/README")
                .opaque("opt/tools")
                .file("opt/tools/README", 5, 9),
        ],
    )
}

/// An image with no layers at all.
pub fn empty() -> Loaded {
    build("empty:latest", vec![])
}

/// The dive project's test image, if the shared fixtures are there. Absent, a test skips loudly,
/// except under CI, where the fixtures are always present, so a miss is a failure.
pub fn dive_fixture() -> Option<Loaded> {
    let path = fixture_path("test-docker-image.tar");
    if !path.exists() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{} is missing under CI", path.display());
        }
        eprintln!(
            "SKIPPED: {} not found (the shared dive fixtures are not here)",
            path.display()
        );
        return None;
    }
    let loaded = load::load(
        path.to_str().expect("utf-8 path"),
        &LoadOptions::default(),
        &Progress::default(),
    )
    .expect("the dive fixture loads");
    Some(loaded)
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/dive")
        .join(name)
}

/// `n` files in a tree of directories, for scale tests: `d{i}/s{j}/f{k}` with 100 files per
/// directory, spread over three layers (base, a layer overwriting 1%, one deleting a directory).
pub fn synthetic(n: usize) -> Loaded {
    let mut base = layer("ADD rootfs.tar / # synthetic");
    let per_dir = 100;
    let dirs = n.div_ceil(per_dir);
    let tops = (dirs as f64).sqrt().ceil() as usize;
    for d in 0..dirs {
        let dir = format!("d{:04}/s{:04}", d / tops, d % tops);
        for f in 0..per_dir.min(n - d * per_dir) {
            let size = 100 + ((d * 7919 + f * 104_729) % 50_000) as u64;
            base = base.file(&format!("{dir}/file{f:03}.dat"), size, (f % 251) as u8);
        }
    }
    let mut update = layer("RUN update some files");
    for d in (0..dirs).step_by(100) {
        let dir = format!("d{:04}/s{:04}", d / tops, d % tops);
        update = update.file(&format!("{dir}/file000.dat"), 4242, 252);
    }
    let cleanup = layer("RUN rm -rf /d0000").whiteout("d0000");
    build("synthetic:scale", vec![base, update, cleanup])
}

/// The buffer as text, then a grid of one letter per cell naming its style (`.` for the default),
/// then what each letter means: a snapshot that catches changes of colour and emphasis too.
pub fn styled_dump(buf: &Buffer) -> String {
    let area = buf.area;
    let mut text = String::new();
    let mut grid = String::new();
    let mut styles: Vec<String> = Vec::new();
    for y in area.top()..area.bottom() {
        let mut skip = 0;
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
            if skip == 0 {
                text.push_str(cell.symbol());
                skip = unicode_width(cell.symbol()).max(1);
            }
            skip -= 1;
            let key = format!("fg={:?} bg={:?} mod={:?}", cell.fg, cell.bg, cell.modifier);
            let letter = if key == "fg=Reset bg=Reset mod=NONE" {
                '.'
            } else {
                let i = match styles.iter().position(|s| *s == key) {
                    Some(i) => i,
                    None => {
                        styles.push(key);
                        styles.len() - 1
                    }
                };
                letter_for(i)
            };
            grid.push(letter);
        }
        text.push('\n');
        grid.push('\n');
    }
    let legend: Vec<String> = styles
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}: {s}", letter_for(i)))
        .collect();
    format!("{text}\n{grid}\n{}\n", legend.join("\n"))
}

fn letter_for(i: usize) -> char {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    LETTERS.get(i).map_or('#', |b| *b as char)
}

fn unicode_width(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    s.width()
}

/// The buffer as plain text, one line per row.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut skip = 0;
        for x in area.left()..area.right() {
            let sym = buf[(x, y)].symbol();
            if skip == 0 {
                out.push_str(sym);
                skip = unicode_width(sym).max(1);
            }
            skip -= 1;
        }
        out.push('\n');
    }
    out
}

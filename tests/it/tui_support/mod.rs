//! Support for the viewer's tests, screenshots and benchmark: images built in memory through
//! `analysis::Merger` from synthetic layer entries (no files, exact control) — optionally with real
//! layer tars behind them, so file contents can be read — the dive fixture when it is there, and a
//! buffer dump that shows styles as well as text, for snapshots; the JSON report of an image, to
//! check the viewer against; and waiting out the viewer's background jobs.

use std::path::PathBuf;

use imgscope::analysis::{self, Merger};
use imgscope::model::{
    Compression, EntryKind, HistoryEntry, Image, Layer, LayerEntries, Platform, RawEntry,
    SourceKind,
};
use imgscope::pipeline::load::{self, LoadOptions, Loaded, Progress};
use imgscope::source::files::ImageFiles;
use imgscope::source::stream_archive::MemFiles;
use imgscope::source::{ImageBlobs, LayerRef};
use imgscope::tui::action::Action;
use imgscope::tui::app::App;
use ratatui::buffer::Buffer;

/// One layer being described.
pub struct LayerSpec {
    command: String,
    entries: LayerEntries,
    /// Its diff_id and digest seed; by default its position in the image.
    id: Option<String>,
    /// The regular files in order, with their bytes (written only by [`build_with_blobs`]).
    files: Vec<(String, FileData)>,
}

enum FileData {
    /// `size` bytes of the content byte.
    Fill(u8, u64),
    Bytes(Vec<u8>),
}

pub fn layer(command: &str) -> LayerSpec {
    LayerSpec {
        command: command.to_string(),
        entries: LayerEntries::new(Compression::Gzip),
        id: None,
        files: Vec::new(),
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
    pub fn file(mut self, path: &str, size: u64, content: u8) -> Self {
        self.files
            .push((path.to_string(), FileData::Fill(content, size)));
        self.push(path, EntryKind::File, size, None, Some(content))
    }

    /// A regular file with these bytes (in the layer's tar with [`build_with_blobs`]).
    pub fn bytes(mut self, path: &str, data: &[u8]) -> Self {
        let id = data
            .iter()
            .fold(data.len() as u8, |h, b| h.wrapping_mul(31).wrapping_add(*b));
        self.files
            .push((path.to_string(), FileData::Bytes(data.to_vec())));
        self.push(path, EntryKind::File, data.len() as u64, None, Some(id))
    }

    /// Give the layer an identity (its diff_id and digest) of its own: layers of different
    /// images with the same id are the same layer, as far as sharing goes.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_string());
        self
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
}

/// Merge and analyze layers as the load pipeline does, without any file.
pub fn build(name: &str, layers: Vec<LayerSpec>) -> Loaded {
    build_inner(name, layers, false)
}

/// [`build`], with each layer's regular files written to a tar blob the image's `blobs` serve, so
/// the viewer can read and export their contents.
pub fn build_with_blobs(name: &str, layers: Vec<LayerSpec>) -> Loaded {
    build_inner(name, layers, true)
}

fn layer_tar(files: &[(String, FileData)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let bytes = match data {
            FileData::Fill(c, n) => vec![*c; *n as usize],
            FileData::Bytes(v) => v.clone(),
        };
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_704_067_200);
        b.append_data(&mut h, path, &bytes[..])
            .expect("a tar in memory");
    }
    b.into_inner().expect("a tar in memory")
}

fn build_inner(name: &str, layers: Vec<LayerSpec>, with_blobs: bool) -> Loaded {
    let mut merger = Merger::new();
    let mut out = Vec::with_capacity(layers.len());
    let mut blobs = Vec::new();
    for (index, mut spec) in layers.into_iter().enumerate() {
        if with_blobs {
            blobs.push((format!("blobs/{index}.tar"), layer_tar(&spec.files)));
        }
        spec.entries.blob_bytes = spec.entries.tar_bytes / 2 + 100;
        let changes = merger.apply(&spec.entries);
        let e = &spec.entries;
        let (digest, diff_id) = match &spec.id {
            Some(id) => (format!("sha256:b{id:0>63}"), format!("sha256:d{id:0>63}")),
            None => (
                format!("sha256:{:064x}", index + 0xa000),
                format!("sha256:{:064x}", index + 0xd000),
            ),
        };
        out.push(Layer {
            index,
            digest: Some(digest),
            // Synthetic layers: their content is what their diff_id says.
            content_diff_id: Some(diff_id.clone()),
            diff_id: Some(diff_id),
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
        captured: Vec::new(),
        annotations: Vec::new(),
    };
    let analysis = analysis::analyze(&image, ledger.result());
    // Without blobs, a content read fails (there is no layer to open).
    let refs = blobs
        .iter()
        .map(|(path, _)| LayerRef {
            path: path.clone(),
            digest: None,
            media_type: None,
            declared_size: None,
        })
        .collect();
    let blobs = ImageBlobs::new(refs, Box::new(MemFiles::from_files(blobs)), None);
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

/// An image whose files have contents to read: text (one with control characters, one with a
/// long line), a binary, a file over the viewer's 1 MiB read cap, a symlink and a hardlink, and a
/// second layer that rewrites one file and removes another.
pub fn contents() -> Loaded {
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend((0..=255u8).cycle().take(600));
    build_with_blobs(
        "example/contents:1",
        vec![
            layer("/bin/sh -c #(nop) ADD file:rootfs in / ")
                .dir("etc")
                .bytes(
                    "etc/passwd",
                    b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
                )
                .bytes(
                    "etc/motd",
                    b"Welcome\x1b[31m red\x07\r\n\ttabbed\tline\n\xc2\x9b csi\n",
                )
                .dir("bin")
                .bytes("bin/tool", &elf)
                .symlink("bin/sh", "tool")
                .hardlink("bin/passwd-copy", "etc/passwd")
                .dir("data")
                .file("data/big.bin", 1_572_864, b'z')
                .bytes(
                    "data/long.txt",
                    format!("{}\nshort\n", "0123456789".repeat(30)).as_bytes(),
                ),
            layer("/bin/sh -c echo 'admin:x:1000:1000::/home/admin:/bin/sh' >> /etc/passwd && rm /etc/motd")
                .bytes(
                    "etc/passwd",
                    b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nadmin:x:1000:1000::/home/admin:/bin/sh\n",
                )
                .whiteout("etc/motd"),
        ],
    )
}

/// The image with its layers unreadable, as after reading it from a stream (stdin, an engine):
/// the blobs were decoded on the fly and not kept.
pub fn streamed(mut loaded: Loaded) -> Loaded {
    struct Streamed;
    impl ImageFiles for Streamed {
        fn exists(&self, _path: &str) -> bool {
            true
        }
        fn size(&self, _path: &str) -> anyhow::Result<u64> {
            Ok(0)
        }
        fn open(&self, path: &str) -> anyhow::Result<Box<dyn std::io::Read + Send + '_>> {
            anyhow::bail!("{path} was streamed and not kept")
        }
    }
    let refs = (0..loaded.image.layers.len())
        .map(|i| LayerRef {
            path: format!("{i}/layer.tar"),
            digest: None,
            media_type: None,
            declared_size: None,
        })
        .collect();
    loaded.blobs = ImageBlobs::new(refs, Box::new(Streamed), None);
    loaded
}

/// A set for the sharing view: two apps on one base (two shared layers; an apk cache in the
/// shared one that both apps delete), a database on a base of its own whose files are the same content as the first app's,
/// and a name with control characters.
pub fn sharing_set() -> Vec<(String, Loaded)> {
    let base = || {
        vec![
            layer("/bin/sh -c #(nop) ADD file:base in / ")
                .id("base0")
                .file("bin/busybox", 900_000, 1)
                .file("etc/passwd", 1200, 2),
            layer("/bin/sh -c apk add curl && rm -rf /var/cache/apk/*")
                .id("base1")
                .file("usr/bin/curl", 200_000, 3)
                .file("var/cache/apk/index", 50_000, 4),
        ]
    };
    let mut a = base();
    a.push(
        layer("COPY app-a/ /app/ # buildkit")
            .id("a0")
            .file("app/a.bin", 120_000, 10)
            .file("app/lib.so", 300_000, 11)
            .whiteout("var/cache/apk/index"),
    );
    let mut b = base();
    b.push(
        layer("COPY app-b/ /app/ # buildkit")
            .id("b0")
            .file("app/b.bin", 40_000, 20)
            .whiteout("var/cache/apk/index"),
    );
    let db = vec![
        layer("/bin/sh -c #(nop) ADD file:fat-base in / ")
            .id("fat0")
            .file("bin/busybox", 950_000, 30)
            .file("usr/lib/lib.so", 300_000, 11),
        layer("RUN install db # buildkit")
            .id("db0")
            .file("opt/db/server", 600_000, 31),
    ];
    vec![
        ("a.tar".into(), build("example/app-a:1", a)),
        ("b.tar".into(), build("example/app-b:1\x1b[2J", b)),
        ("db.tar".into(), build("example/db:1", db)),
    ]
}

/// A pair for `imgscope diff`, OLD then NEW, with one change of each kind and exact deltas:
///
/// - layer 0 `ADD base` is the same layer in both (unchanged): /bin/busybox, /etc/passwd,
///   /etc/group;
/// - OLD's layer 1 `RUN install docs` (/usr/share/doc/readme, 300 B) is gone from NEW (removed);
/// - `COPY app /app` (OLD's layer 2, NEW's layer 1, matched by command) grows by 980 B:
///   /app/server 4000 → 5000 B (grown by exactly 1000 B), /app/config.json 200 B with other
///   content (modified, same size), /app/new.txt 50 B (added), /app/old.txt 70 B (removed);
/// - NEW's layers 2 `RUN pip install` (/usr/lib/python3/site.py, 2048 B) and 3 `RUN touch`
///   (/tmp/stamp, 10 B) are new (added).
pub fn diff_pair() -> (Loaded, Loaded) {
    let base = || {
        layer("/bin/sh -c #(nop) ADD file:base in / ")
            .id("base")
            .dir("bin")
            .file("bin/busybox", 900_000, 1)
            .dir("etc")
            .file("etc/passwd", 1200, 2)
            .file("etc/group", 600, 3)
    };
    let old = build(
        "example/app:1",
        vec![
            base(),
            layer("RUN install docs")
                .id("docs")
                .file("usr/share/doc/readme", 300, 7),
            layer("COPY app /app")
                .id("app1")
                .dir("app")
                .file("app/server", 4000, 4)
                .file("app/config.json", 200, 5)
                .file("app/old.txt", 70, 6),
        ],
    );
    let new = build(
        "example/app:2",
        vec![
            base(),
            layer("COPY app /app")
                .id("app2")
                .dir("app")
                .file("app/server", 5000, 4)
                .file("app/config.json", 200, 8)
                .file("app/new.txt", 50, 9),
            layer("RUN pip install")
                .id("pip")
                .file("usr/lib/python3/site.py", 2048, 10),
            layer("RUN touch /tmp/stamp")
                .id("stamp")
                .file("tmp/stamp", 10, 11),
        ],
    );
    (old, new)
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

/// The JSON report of `loaded`, analysed as one set with the default plan thresholds: the
/// document `imgscope --json` prints, which the viewer must never contradict.
pub fn json_report(loaded: &[Loaded]) -> String {
    let set = load::set_analysis(loaded, analysis::plan::Worth::default());
    let images: Vec<_> = loaded.iter().map(|l| (&l.image, &l.analysis)).collect();
    imgscope::report::json::to_string(&images, &set).expect("the report serializes")
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

/// Tick until no read, export or load is in flight.
pub fn settle(app: &mut App) {
    let start = std::time::Instant::now();
    while app.is_busy() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "a job never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
        app.update(Action::Tick(std::time::Instant::now()));
    }
}

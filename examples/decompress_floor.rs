//! decompress_floor: the decompression floor for imgscope benchmarks.
//!
//! Owns nothing in the imgscope crate: it is a standalone measurement tool used by
//! `scripts/bench`. Given a docker-archive / docker25 / oci-archive tar (or an OCI
//! layout directory) it finds the layer blobs (manifest.json `Layers`, else
//! index.json -> manifest -> layers), then decompresses every blob to `io::sink()`:
//! gzip (1f 8b) with flate2's MultiGzDecoder (zlib-rs backend), zstd (28 b5 2f fd,
//! or a skippable frame first) with zstd::Decoder, anything else read as-is. All
//! layers run in parallel (rayon, one layer per task; each task opens its own File,
//! seeks to the blob's offset in the outer tar and reads `take(size)`), then the
//! largest layer is timed alone as a single stream. No analysis is done: this is the least work any tool must do.
//!
//! Usage: cargo run --release --example decompress_floor -- [--json] [--parallel-only] FILE|DIR
//! (`--parallel-only` skips the single-stream rerun, so the process time is the floor.)
//!        cargo run --release --example decompress_floor -- --blob BLOB
//! (`--blob` decodes one bare layer blob — gzip, zstd or plain, by magic bytes — as a single
//! stream on this thread and nothing else, so /usr/bin/time of the process measures exactly the
//! single-stream floor; used by `scripts/bench-decompress`.)
//! MB = 10^6 bytes.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const BUF: usize = 256 * 1024;

/// Where a blob's bytes live: a byte range of a file.
#[derive(Clone, Debug)]
struct Loc {
    file: PathBuf,
    offset: u64,
    size: u64,
}

/// A docker/OCI archive or layout: named members we can open.
enum Source {
    Tar {
        path: PathBuf,
        members: HashMap<String, Loc>,
    },
    Dir {
        root: PathBuf,
    },
}

fn clean(name: &str) -> String {
    let mut s = name
        .trim_start_matches("./")
        .trim_start_matches('/')
        .to_string();
    while s.ends_with('/') {
        s.pop();
    }
    s
}

/// Resolve `target` of a link found at `at` (both archive paths).
fn join_link(at: &str, target: &str, hard: bool) -> String {
    if hard || target.starts_with('/') {
        return clean(target);
    }
    let mut parts: Vec<&str> = at.split('/').collect();
    parts.pop();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

impl Source {
    fn open(path: &Path) -> Result<Source> {
        if path.is_dir() {
            return Ok(Source::Dir {
                root: path.to_path_buf(),
            });
        }
        let mut ar = tar::Archive::new(BufReader::with_capacity(BUF, File::open(path)?));
        let mut members = HashMap::new();
        let mut links = Vec::new();
        for entry in ar.entries_with_seek()? {
            let entry = entry?;
            let name = clean(&entry.path()?.to_string_lossy());
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                if let Some(t) = entry.link_name()? {
                    links.push((
                        name.clone(),
                        join_link(&name, &t.to_string_lossy(), kind.is_hard_link()),
                    ));
                }
                continue;
            }
            if kind.is_file() {
                let loc = Loc {
                    file: path.to_path_buf(),
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                };
                members.insert(name, loc);
            }
        }
        // docker save (legacy) may store a repeated layer as a link to the first copy
        for _ in 0..8 {
            let mut changed = false;
            for (name, target) in &links {
                if !members.contains_key(name)
                    && let Some(loc) = members.get(target).cloned()
                {
                    members.insert(name.clone(), loc);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Ok(Source::Tar {
            path: path.to_path_buf(),
            members,
        })
    }

    fn loc(&self, name: &str) -> Option<Loc> {
        let name = clean(name);
        match self {
            Source::Tar { members, .. } => members.get(&name).cloned(),
            Source::Dir { root } => {
                let p = root.join(&name);
                let md = std::fs::metadata(&p).ok()?;
                md.is_file().then_some(Loc {
                    file: p,
                    offset: 0,
                    size: md.len(),
                })
            }
        }
    }

    fn read(&self, name: &str) -> Result<Vec<u8>> {
        let loc = self
            .loc(name)
            .ok_or_else(|| format!("{name}: not found in {}", self.display()))?;
        let mut buf = Vec::with_capacity(loc.size as usize);
        loc.open()?.read_to_end(&mut buf)?;
        Ok(buf)
    }

    fn display(&self) -> String {
        match self {
            Source::Tar { path, .. } => path.display().to_string(),
            Source::Dir { root } => root.display().to_string(),
        }
    }

    /// Layer blob names, deduplicated, in image order.
    fn layers(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut push = |n: String, out: &mut Vec<String>| {
            if seen.insert(n.clone()) {
                out.push(n);
            }
        };
        if self.loc("manifest.json").is_some() {
            let m: Value = serde_json::from_slice(&self.read("manifest.json")?)?;
            for img in m.as_array().ok_or("manifest.json: not an array")? {
                for l in img["Layers"].as_array().ok_or("manifest.json: no Layers")? {
                    push(
                        clean(l.as_str().ok_or("manifest.json: bad layer")?),
                        &mut out,
                    );
                }
            }
            return Ok(out);
        }
        if self.loc("index.json").is_none() {
            return Err(format!(
                "{}: neither manifest.json nor index.json found",
                self.display()
            )
            .into());
        }
        let index: Value = serde_json::from_slice(&self.read("index.json")?)?;
        let mut stack = vec![index];
        while let Some(doc) = stack.pop() {
            if let Some(ms) = doc["manifests"].as_array() {
                for d in ms.iter().rev() {
                    let name = blob_name(d)?;
                    stack.push(serde_json::from_slice(&self.read(&name)?)?);
                }
            }
            if let Some(ls) = doc["layers"].as_array() {
                for d in ls {
                    push(blob_name(d)?, &mut out);
                }
            }
        }
        Ok(out)
    }
}

fn blob_name(desc: &Value) -> Result<String> {
    let digest = desc["digest"].as_str().ok_or("descriptor without digest")?;
    let (alg, hex) = digest.split_once(':').ok_or("bad digest")?;
    Ok(format!("blobs/{alg}/{hex}"))
}

impl Loc {
    fn open(&self) -> Result<io::Take<File>> {
        let mut f = File::open(&self.file)?;
        f.seek(SeekFrom::Start(self.offset))?;
        Ok(f.take(self.size))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Codec {
    Gzip,
    Zstd,
    Plain,
}

fn drain<R: Read>(mut r: R) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Decompress one blob to a sink; returns (codec, uncompressed bytes).
fn decompress(loc: &Loc) -> Result<(Codec, u64)> {
    let mut r = BufReader::with_capacity(BUF, loc.open()?);
    let head = r.fill_buf()?;
    let codec = if head.starts_with(&[0x1f, 0x8b]) {
        Codec::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        // a zstd skippable frame (0x184D2A50..=0x184D2A5F, little endian), as pzstd and
        // zstd:chunked write first; imgscope's decode::compression::sniff accepts it too
        || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
    {
        Codec::Zstd
    } else {
        Codec::Plain
    };
    let n = match codec {
        Codec::Gzip => drain(flate2::bufread::MultiGzDecoder::new(r))?,
        Codec::Zstd => drain(zstd::Decoder::with_buffer(r)?)?,
        Codec::Plain => drain(r)?,
    };
    Ok((codec, n))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// `--blob FILE`: one bare blob, one stream, this thread only.
fn blob_mode(path: &Path, json: bool) -> Result<()> {
    let loc = Loc {
        file: path.to_path_buf(),
        offset: 0,
        size: std::fs::metadata(path)?.len(),
    };
    let t = Instant::now();
    let (codec, n) = decompress(&loc)?;
    let s = t.elapsed().as_secs_f64();
    if json {
        let v = serde_json::json!({
            "file": path.display().to_string(),
            "codec": format!("{codec:?}").to_lowercase(),
            "compressed_bytes": loc.size,
            "uncompressed_bytes": n,
            "seconds": s,
            "uncompressed_mb_per_s": mb(n) / s,
        });
        println!("{v}");
    } else {
        println!(
            "blob: {} {codec:?}: {} -> {n} bytes in {s:.3} s ({:.1} MB/s uncompressed)",
            path.display(),
            loc.size,
            mb(n) / s
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut json = false;
    let mut parallel_only = false;
    let mut blob = false;
    let mut file = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--json" => json = true,
            "--parallel-only" => parallel_only = true,
            "--blob" => blob = true,
            "-h" | "--help" => {
                println!(
                    "usage: decompress_floor [--json] [--parallel-only] IMAGE.tar|OCI-LAYOUT-DIR\n       decompress_floor [--json] --blob BLOB"
                );
                return Ok(());
            }
            _ => file = Some(PathBuf::from(a)),
        }
    }
    if blob {
        let f = file.ok_or("usage: decompress_floor [--json] --blob BLOB")?;
        return blob_mode(&f, json);
    }
    let file =
        file.ok_or("usage: decompress_floor [--json] [--parallel-only] IMAGE.tar|OCI-LAYOUT-DIR")?;

    let t_index = Instant::now();
    let src = Source::open(&file)?;
    let names = src.layers()?;
    let locs: Vec<(String, Loc)> = names
        .iter()
        .map(|n| {
            src.loc(n)
                .map(|l| (n.clone(), l))
                .ok_or_else(|| format!("layer {n} not found").into())
        })
        .collect::<Result<_>>()?;
    let index_s = t_index.elapsed().as_secs_f64();

    let t_par = Instant::now();
    let results: Vec<(Codec, u64)> = locs
        .par_iter()
        .map(|(_, l)| decompress(l))
        .collect::<Result<_>>()?;
    let par_s = t_par.elapsed().as_secs_f64();

    let compressed: u64 = locs.iter().map(|(_, l)| l.size).sum();
    let uncompressed: u64 = results.iter().map(|r| r.1).sum();
    let mut codecs: HashMap<Codec, usize> = HashMap::new();
    for r in &results {
        *codecs.entry(r.0).or_default() += 1;
    }

    let (big_i, (big_name, big_loc)) = locs
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, l))| (l.size, std::cmp::Reverse(*i)))
        .ok_or("image has no layers")?;
    let (big_unc, one_s) = if parallel_only {
        (results[big_i].1, f64::NAN)
    } else {
        let t_one = Instant::now();
        let (_, n) = decompress(big_loc)?;
        (n, t_one.elapsed().as_secs_f64())
    };
    let threads = rayon::current_num_threads();

    if json {
        let v = serde_json::json!({
            "file": file.display().to_string(),
            "layers": locs.len(),
            "gzip_layers": codecs.get(&Codec::Gzip).copied().unwrap_or(0),
            "zstd_layers": codecs.get(&Codec::Zstd).copied().unwrap_or(0),
            "plain_layers": codecs.get(&Codec::Plain).copied().unwrap_or(0),
            "compressed_bytes": compressed,
            "uncompressed_bytes": uncompressed,
            "threads": threads,
            "index_seconds": index_s,
            "parallel_seconds": par_s,
            "parallel_uncompressed_mb_per_s": mb(uncompressed) / par_s,
            "largest_layer": big_name,
            "largest_layer_index": big_i,
            "largest_layer_compressed_bytes": big_loc.size,
            "largest_layer_uncompressed_bytes": big_unc,
            "largest_layer_seconds": (!parallel_only).then_some(one_s),
            "largest_layer_uncompressed_mb_per_s": (!parallel_only).then(|| mb(big_unc) / one_s),
        });
        println!("{v}");
        return Ok(());
    }
    println!("file:                 {}", file.display());
    println!(
        "layers:               {} (gzip {}, zstd {}, plain {}); index scan {:.3} s",
        locs.len(),
        codecs.get(&Codec::Gzip).copied().unwrap_or(0),
        codecs.get(&Codec::Zstd).copied().unwrap_or(0),
        codecs.get(&Codec::Plain).copied().unwrap_or(0),
        index_s
    );
    println!(
        "compressed bytes:     {compressed} ({:.1} MB)",
        mb(compressed)
    );
    println!(
        "uncompressed bytes:   {uncompressed} ({:.1} MB)",
        mb(uncompressed)
    );
    println!(
        "parallel ({threads} threads): {par_s:.3} s wall, {:.1} MB/s uncompressed, {:.1} MB/s compressed",
        mb(uncompressed) / par_s,
        mb(compressed) / par_s
    );
    if parallel_only {
        return Ok(());
    }
    println!(
        "largest layer alone:  #{big_i} {big_name}: {} -> {} bytes in {one_s:.3} s ({:.1} MB/s uncompressed)",
        big_loc.size,
        big_unc,
        mb(big_unc) / one_s
    );
    Ok(())
}

//! Hostile images: every byte of an archive, manifest, layer and file name is untrusted. Each case
//! here builds its input (small: limits are set low through the library where the real default
//! would take gigabytes) and checks that it ends in one clean error line naming the input and the
//! cause, or in a correct, bounded analysis with exact numbers — never a panic, a hang, or a
//! control character reaching the terminal. Also: every crash the fuzz targets found.
//!
//! One submodule per kind of attack; here, what more than one of them uses: raw, possibly
//! malformed, tar streams and the archives holding them, and the checks of an outcome.

mod bombs;
mod captures;
mod closure;
mod entries;
mod headers;
mod image_limits;
mod links;
mod manifests;
mod package_dbs;
mod streams;
mod terminal;

use crate::common::*;

use std::io::Write;
use std::path::{Path, PathBuf};

use imgscope::decode::{DecodeOptions, Limits, decode_layer};
use serde_json::Value;

/// A 512-byte tar header: GNU magic, `name` written raw into the name field (at most 100 bytes),
/// `size` in octal, and a correct checksum (see `with_cksum`).
fn header(name: &[u8], kind: u8, size: u64) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"14524022400\0");
    h[156] = kind;
    h[257..265].copy_from_slice(b"ustar  \0");
    with_cksum(h)
}

fn with_cksum(mut h: [u8; 512]) -> [u8; 512] {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A header followed by its data, padded to a block.
fn entry(h: [u8; 512], data: &[u8]) -> Vec<u8> {
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body_len = 1 + key.len() + 1 + value.len() + 1;
    let mut len = body_len + 1;
    while format!("{len}").len() + body_len != len {
        len += 1;
    }
    let mut out = format!("{len} {key}=").into_bytes();
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

/// A PAX extended header carrying `records`, then a regular file with `data`.
fn pax_file(records: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = entry(header(b"PaxHeaders/f", b'x', records.len() as u64), records);
    out.extend(entry(header(b"placeholder", b'0', data.len() as u64), data));
    out
}

fn end(mut tar: Vec<u8>) -> Vec<u8> {
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}

/// A layer from a raw tar stream.
fn raw_layer(tar: Vec<u8>, comp: Comp, created_by: &str) -> BuiltLayer {
    BuiltLayer {
        diff_id: sha256(&tar),
        blob: compress(&tar, comp),
        created_by: created_by.to_string(),
    }
}

/// A zstd bomb as a layer: 1.25 GiB of zeros in 40 KiB.
fn zstd_bomb() -> BuiltLayer {
    BuiltLayer {
        blob: zstd_rle(&[0u8; 1024], 10_240),
        diff_id: sha256(b"bomb"),
        created_by: "bomb".into(),
    }
}

/// An image archive that starts with a 2 MiB GNU long name in the outer tar.
fn outer_long_name() -> Vec<u8> {
    let huge = vec![b'n'; 2 << 20];
    let mut outer = entry(header(b"././@LongLink", b'L', huge.len() as u64), &huge);
    outer.extend(entry(header(b"manifest.json", b'0', 2), b"[]"));
    end(outer)
}

/// A docker archive holding one image made of `layers`.
fn archive(dir: &Path, name: &str, layers: &[BuiltLayer]) -> PathBuf {
    docker_archive(dir, name, "hostile:1", layers)
}

/// A docker archive holding one image of one layer: the raw `tar`, compressed with `comp`.
fn raw_archive(dir: &Path, name: &str, tar: Vec<u8>, comp: Comp, created_by: &str) -> PathBuf {
    archive(dir, name, &[raw_layer(tar, comp, created_by)])
}

/// The archive `name` in `dir` holding `files`.
fn tar_of(dir: &Path, name: &str, files: &Files) -> PathBuf {
    let p = dir.join(name);
    write_tar(&p, files);
    p
}

/// One line on stderr naming the input and the cause, exit status 2, nothing on stdout.
fn expect_error(args: &[&str], input_name: &str, cause: &str) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("imgscope: "), "{err}");
    assert!(err.contains(input_name), "input not named: {err}");
    assert!(err.contains(cause), "expected {cause:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_no_raw_controls(err.trim_end_matches('\n'));
    err
}

/// [`expect_error`] for `--json` on `p`.
fn expect_json_error(p: &Path, input_name: &str, cause: &str) -> String {
    expect_error(&["--json", p.to_str().unwrap()], input_name, cause)
}

/// Exit status 2, and the stderr.
fn expect_status_2(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

fn image_json(path: &Path) -> Value {
    json_of(&run(&["--json", path.to_str().unwrap()]))["images"][0].clone()
}

/// Regular files of the final filesystem: path → size (the report lists up to 100).
fn files_of(img: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = img["largest_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["size_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Terminal-safe text: no C0 control but the newline, no DEL, no C1.
fn assert_no_raw_controls(text: &str) {
    for (i, c) in text.char_indices() {
        assert!(
            c == '\n' || !c.is_control(),
            "raw control {c:?} at byte {i} in {:?}",
            &text[i.saturating_sub(40)..(i + 40).min(text.len())]
        );
    }
}

fn decode_with(blob: &[u8], limits: Limits) -> anyhow::Result<imgscope::model::LayerEntries> {
    decode_layer(
        blob,
        &DecodeOptions {
            hash_contents: true,
            limits,
        },
        None,
    )
}

/// The error decoding `blob` under [`small_limits`].
fn decode_error(blob: &[u8]) -> String {
    decode_with(blob, small_limits()).unwrap_err().to_string()
}

fn small_limits() -> Limits {
    Limits {
        max_entries: 1000,
        max_path_bytes: 1024,
        max_depth: 64,
        max_names_bytes: 64 * 1024,
        max_header_bytes: 16 * 1024,
        max_layer_bytes: 1 << 20,
        max_ratio: 2000,
        ratio_grace_bytes: 64 * 1024,
        max_image_entries: 1_000_000,
        max_image_bytes: 1 << 30,
        max_image_names_bytes: 1 << 30,
    }
}

fn gzip_of(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A zstd frame of `blocks` RLE blocks of 128 KiB of zeros each, after `prefix` in a raw block:
/// a few bytes per 128 KiB, the way a zstd bomb is made.
fn zstd_rle(prefix: &[u8], blocks: usize) -> Vec<u8> {
    // Frame header: no checksum, no content size, window 128 KiB.
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
    let block = |last: bool, kind: u32, size: u32| {
        let v = last as u32 | (kind << 1) | (size << 3);
        [v as u8, (v >> 8) as u8, (v >> 16) as u8]
    };
    if !prefix.is_empty() {
        out.extend(block(blocks == 0, 0, prefix.len() as u32));
        out.extend_from_slice(prefix);
    }
    for i in 0..blocks {
        out.extend(block(i + 1 == blocks, 1, 128 * 1024));
        out.push(0);
    }
    out
}

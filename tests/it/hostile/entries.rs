//! Entries, paths, nesting: the per-layer limits on entries (and the documented default, end to
//! end), on the paths deep paths imply, on nesting and path length, on a file name of 64 KiB, on
//! headers (long names, PAX records, the outer archive's) and on a layer's names.

use super::*;

/// A docker archive holding one image of one gzip layer: a 1-byte file whose path, `path`, is
/// given in a PAX record.
fn pax_path_archive(dir: &Path, name: &str, path: &str, created_by: &str) -> PathBuf {
    let tar = end(pax_file(&pax_record("path", path.as_bytes()), b"x"));
    raw_archive(dir, name, tar, Comp::Gzip, created_by)
}

#[test]
fn entry_count_limit() {
    let entries: Vec<E> = (0..1001).map(|i| file(&format!("f{i}"), 0, 0)).collect();
    let tar = layer_tar(&entries);
    let err = decode_error(&tar);
    assert_eq!(err, "layer has more than 1000 entries (the limit)");
    let ok = decode_with(&layer_tar(&entries[..1000]), small_limits()).unwrap();
    assert_eq!(ok.entries.len(), 1000);
}

/// The documented default, end to end: a plain layer of 5,000,001 entries streamed on stdin (2.5
/// GB, generated as it is written). Ignored by default: a debug build needs ~25 s of CPU for it;
/// run it with `cargo test --release --test it -- --ignored entry_count_default_limit` (a few
/// seconds).
#[test]
#[ignore = "5,000,001 tar entries: ~25 s of CPU in a debug build"]
fn entry_count_default_limit_end_to_end() {
    use std::process::{Command, Stdio};
    const N: usize = 5_000_001;
    let one = header(b"f", b'0', 0);
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#;
    let manifest = br#"[{"Config":"config.json","RepoTags":["many:1"],"Layers":["layer.tar"]}]"#;
    let mut child = Command::new(bin())
        .args(["--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        stdin.write_all(&header(b"layer.tar", b'0', (N * 512 + 1024) as u64))?;
        let chunk = one.repeat(10_000);
        for _ in 0..N / 10_000 {
            stdin.write_all(&chunk)?;
        }
        stdin.write_all(&one.repeat(N % 10_000))?;
        stdin.write_all(&[0u8; 1024])?;
        stdin.write_all(&entry(
            header(b"config.json", b'0', config.len() as u64),
            config,
        ))?;
        stdin.write_all(&entry(
            header(b"manifest.json", b'0', manifest.len() as u64),
            manifest,
        ))?;
        stdin.write_all(&[0u8; 1024])
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        "imgscope: -: layer 0 (layer.tar): layer has more than 5000000 entries (the limit)"
    );
}

#[test]
fn deep_paths_count_the_directories_they_imply() {
    // 20 entries 60 directories deep, each under its own top directory: 20 × 61 = 1220 paths in
    // the merged tree from 20 entries, past a limit of 1000.
    let deep = "d/".repeat(59);
    let entries: Vec<E> = (0..20)
        .map(|i| file(&format!("top{i}/{deep}f"), 1, 1))
        .collect();
    let err = decode_error(&layer_tar(&entries));
    assert!(
        err.starts_with("layer names more than 1000 distinct paths"),
        "{err}"
    );
    // Repeating one deep path adds nothing new: 16 entries, 61 paths.
    let same: Vec<E> = (0..16)
        .map(|_| file(&format!("top/{deep}f"), 1, 1))
        .collect();
    assert_eq!(
        decode_with(&layer_tar(&same), small_limits())
            .unwrap()
            .entries
            .len(),
        16
    );
}

#[test]
fn nesting_limit_and_path_length_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 1024 directories deep (the limit): analyzed, every level counted.
    let at_limit = format!("{}f", "d/".repeat(1023));
    let p = pax_path_archive(dir.path(), "deep-1024.tar", &at_limit, "deep");
    let img = image_json(&p);
    assert_eq!(img["directory_count"], 1023);
    assert_eq!(img["file_count"], 1);
    assert_eq!(files_of(&img), vec![(format!("/{at_limit}"), 1)]);
    // One more level: refused, naming the limit.
    let over = format!("{}f", "d/".repeat(1024));
    let p = pax_path_archive(dir.path(), "deep-1025.tar", &over, "deeper");
    expect_json_error(
        &p,
        "deep-1025.tar",
        "entry path nests 1025 levels deep, more than the limit of 1024",
    );
    // 10,000 deep: the path alone is past the 4 KiB limit (PATH_MAX).
    let ten_k = format!("{}f", "d/".repeat(10_000));
    let p = pax_path_archive(dir.path(), "deep-10000.tar", &ten_k, "deepest");
    expect_json_error(
        &p,
        "deep-10000.tar",
        "entry path of 20001 bytes exceeds the limit of 4096 bytes",
    );
}

#[test]
fn file_name_of_64_kib() {
    let dir = tempfile::tempdir().unwrap();
    let name = "n".repeat(64 * 1024);
    let p = pax_path_archive(dir.path(), "long-name.tar", &name, "long");
    expect_json_error(
        &p,
        "long-name.tar",
        "entry path of 65536 bytes exceeds the limit of 4096 bytes",
    );
    // A GNU long name ('L' entry) is held whole by the tar reader: past 1 MiB it is refused before
    // it is read.
    let huge = vec![b'n'; 2 << 20];
    let mut tar = entry(header(b"././@LongLink", b'L', huge.len() as u64), &huge);
    tar.extend(entry(header(b"short", b'0', 1), b"x"));
    let p = raw_archive(
        dir.path(),
        "gnu-long-name.tar",
        end(tar),
        Comp::Gzip,
        "longlink",
    );
    expect_json_error(
        &p,
        "gnu-long-name.tar",
        "a tar entry's headers (long names, PAX records, sparse map) exceed 1048576 bytes",
    );
}

#[test]
fn header_budget_covers_pax_records_and_the_outer_archive() {
    let records = pax_record("comment", &vec![b'c'; 64 * 1024]);
    let tar = end(pax_file(&records, b"x"));
    let err = decode_error(&tar);
    assert!(err.contains("exceed 16384 bytes"), "{err}");
    // Under the budget the same layer is fine.
    let ok = decode_with(&tar, Limits::default()).unwrap();
    assert_eq!(ok.entries.len(), 1);
    assert_eq!(ok.path(&ok.entries[0]), "placeholder");
    // The image archive itself: a 2 MiB GNU long name in the outer tar.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("outer-long-name.tar");
    std::fs::write(&p, outer_long_name()).unwrap();
    expect_json_error(&p, "outer-long-name.tar", "exceed 1048576 bytes");
}

#[test]
fn names_budget_per_layer() {
    let entries: Vec<E> = (0..100)
        .map(|i| file(&format!("{i:03}-{}", "p".repeat(900)), 0, 0))
        .collect();
    let err = decode_error(&layer_tar(&entries));
    assert_eq!(
        err,
        "layer's paths and link targets add up to more than 65536 bytes (the limit)"
    );
}

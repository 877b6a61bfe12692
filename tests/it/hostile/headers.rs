//! Tar headers that lie: absurd, base-256 and negative sizes, a bad checksum, a truncated entry,
//! PAX records whose size or length is wrong, and GNU sparse entries whose holes must never be
//! materialized.

use super::*;

#[test]
fn absurd_and_negative_sizes() {
    let dir = tempfile::tempdir().unwrap();
    // An octal size of 8 GiB on a 1-byte file, in a gzip layer (read as a stream).
    let tar = end(entry(header(b"big", b'0', 0o77777777777), b"x"));
    let p = raw_archive(
        dir.path(),
        "absurd-size.tar",
        tar.clone(),
        Comp::Gzip,
        "big",
    );
    expect_json_error(&p, "absurd-size.tar", "truncated layer stream");
    // The same as a plain layer (walked by seeking).
    let p = raw_archive(dir.path(), "absurd-size-plain.tar", tar, Comp::None, "big");
    expect_json_error(
        &p,
        "absurd-size-plain.tar",
        "truncated layer stream (an entry declares 8589934591 bytes past the layer's end)",
    );
    // Base-256 sizes: 2^62 bytes, and -1 (all ones).
    for (name, field, cause) in [
        (
            "huge-size.tar",
            {
                let mut f = [0u8; 12];
                f[0] = 0x80;
                f[4] = 0x40;
                f
            },
            "layer exceeds 68719476736 bytes uncompressed (the limit)",
        ),
        (
            "negative-size.tar",
            [0xffu8; 12],
            "corrupt tar entry: size overflow",
        ),
    ] {
        let mut h = header(b"neg", b'0', 0);
        h[124..136].copy_from_slice(&field);
        let tar = end(entry(with_cksum(h), b"x"));
        let p = raw_archive(dir.path(), name, tar, Comp::Gzip, "n");
        let err = expect_json_error(&p, name, cause);
        assert!(err.contains(": layer 0 (sha256:"), "{err}");
    }
}

#[test]
fn bad_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = header(b"a", b'0', 1);
    h[148..156].copy_from_slice(b"0000001\0");
    let mut tar = entry(header(b"ok", b'0', 2), b"ok");
    tar.extend(entry(h, b"x"));
    let p = raw_archive(dir.path(), "bad-cksum.tar", end(tar), Comp::Gzip, "c");
    expect_json_error(&p, "bad-cksum.tar", "layer 0 (sha256:");
    expect_json_error(
        &p,
        "bad-cksum.tar",
        "corrupt tar entry: archive header checksum mismatch",
    );
}

#[test]
fn truncated_entry_in_a_plain_layer_and_in_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = entry(header(b"a", b'0', 4096), &[7u8; 4096]);
    tar.truncate(512 + 1000);
    let p = raw_archive(dir.path(), "cut-plain.tar", tar.clone(), Comp::None, "cut");
    expect_json_error(&p, "cut-plain.tar", "truncated layer stream");
    let p = raw_archive(dir.path(), "cut-zstd.tar", tar, Comp::Zstd, "cut");
    expect_json_error(
        &p,
        "cut-zstd.tar",
        "truncated layer stream (an entry declares 4096 bytes, 1000 present)",
    );
}

#[test]
fn pax_records_that_lie() {
    let dir = tempfile::tempdir().unwrap();
    // A PAX size larger than the data that follows: truncated.
    let lying_size = end(pax_file(&pax_record("size", b"100000"), &[1u8; 10]));
    let p = raw_archive(dir.path(), "pax-size-long.tar", lying_size, Comp::Gzip, "p");
    expect_json_error(&p, "pax-size-long.tar", "truncated layer stream");
    // A PAX size smaller than the data: the rest is read as a header, which is not one.
    let mut short = pax_file(&pax_record("size", b"10"), &[1u8; 2048]);
    short.extend(entry(header(b"after", b'0', 1), b"z"));
    let p = raw_archive(
        dir.path(),
        "pax-size-short.tar",
        end(short),
        Comp::Gzip,
        "p",
    );
    expect_json_error(&p, "pax-size-short.tar", "corrupt tar entry");
    // Records whose length field lies, or whose size is no number: ignored, the header's name and
    // size stand.
    let mut records = b"999 path=liar\n".to_vec();
    records.extend(b"12 size=abc\n");
    let garbled = end(pax_file(&records, b"hello"));
    let p = raw_archive(dir.path(), "pax-garbled.tar", garbled, Comp::Gzip, "p");
    let img = image_json(&p);
    assert_eq!(files_of(&img), vec![("/placeholder".to_string(), 5)]);
    assert_eq!(img["size_bytes"], 5);
}

/// A GNU sparse entry ('S'): `data` stored at offset 0, `apparent` bytes declared (the rest holes).
fn gnu_sparse_tar(entries: &[(&str, &[u8], u64)]) -> Vec<u8> {
    fn octal(dst: &mut [u8], v: u64) {
        let s = format!("{v:0width$o}", width = dst.len() - 1);
        dst[..s.len()].copy_from_slice(s.as_bytes());
        dst[s.len()] = 0;
    }
    let mut out = Vec::new();
    for (path, data, apparent) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_path(path).unwrap();
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::GNUSparse);
        let g = h.as_gnu_mut().unwrap();
        octal(&mut g.sparse[0].offset, 0);
        octal(&mut g.sparse[0].numbytes, data.len() as u64);
        // As GNU tar ends a file in a hole: an empty chunk at its end.
        octal(&mut g.sparse[1].offset, *apparent);
        octal(&mut g.sparse[1].numbytes, 0);
        octal(&mut g.realsize, *apparent);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

#[test]
fn sparse_holes_are_never_materialized() {
    // Two files of 256 MiB declared, 512 bytes stored each (the same bytes): were the holes read,
    // both would be hashed (half a GiB of zeros) and found to be duplicates.
    let data = [7u8; 512];
    let tar = gnu_sparse_tar(&[("big/a", &data, 256 << 20), ("big/b", &data, 256 << 20)]);
    for comp in [Comp::None, Comp::Gzip] {
        let dir = tempfile::tempdir().unwrap();
        let l = BuiltLayer {
            diff_id: sha256(&tar),
            blob: compress(&tar, comp),
            created_by: "ADD sparse /".into(),
        };
        let archive = docker_archive(dir.path(), "img.tar", "sparse/x:1", &[l]);
        let out = run(&["--json", "--no-cache", archive.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{comp:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        let img = &v["images"][0];
        // The apparent size counts (it is what a container sees)…
        assert_eq!(img["size_bytes"], 2u64 * (256 << 20), "{comp:?}");
        // …but no content was read for it: nothing to compare, no duplicate.
        assert_eq!(img["duplicates"]["group_count"], 0, "{comp:?}");
    }
}

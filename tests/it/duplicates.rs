//! Duplicate content, decided the same way whether the contents were hashed while streaming
//! (compressed layers) or read afterwards from their offsets (uncompressed layers walked by
//! seeking, where only same-size files are read: a fast fingerprint of their first 512 bytes,
//! then of their first 4 KiB, BLAKE3 of the whole only where first bytes match).

use crate::common::*;
use serde_json::Value;

/// `len` bytes: `head` repeated for the first 4 KiB, then `tail`.
fn content(len: usize, head: u8, tail: u8) -> Vec<u8> {
    (0..len)
        .map(|i| if i < 4096 { head } else { tail })
        .collect()
}

fn image_layers(comp: Comp, streamed_twin: bool) -> Vec<BuiltLayer> {
    let mut first = vec![
        E::File("big/a".into(), content(40_000, 1, 2)),
        E::File("big/b".into(), content(40_000, 1, 2)),
        // Same size and same first 4 KiB as a and b, other bytes after: not a duplicate.
        E::File("big/c".into(), content(40_000, 1, 3)),
        // Same size, other first bytes.
        E::File("big/d".into(), content(40_000, 4, 2)),
        // Same size and first 512 bytes as a and b, other bytes up to 4 KiB.
        E::File(
            "big/i".into(),
            (0..40_000)
                .map(|i| match i {
                    0..512 => 1,
                    512..4096 => 9,
                    _ => 2,
                })
                .collect(),
        ),
        E::File("small/e".into(), vec![5; 100]),
        E::File("small/f".into(), vec![5; 100]),
        E::File("small/g".into(), vec![6; 100]),
        // A size nobody else has.
        E::File("lonely".into(), vec![7; 333]),
    ];
    if !streamed_twin {
        first.push(E::File("big/h".into(), content(40_000, 1, 2)));
    }
    let mut layers = vec![layer(&first, comp, "COPY files /")];
    if streamed_twin {
        // The twin of a and b in a gzip layer: hashed while decoding, compared by full hash.
        layers.push(layer(
            &[E::File("big/h".into(), content(40_000, 1, 2))],
            Comp::Gzip,
            "COPY h /big/",
        ));
    }
    layers
}

fn groups(img: &Value) -> Vec<(u64, Vec<String>)> {
    let d = &img["duplicates"];
    assert_eq!(d["hashed"], true);
    d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let paths = g["paths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            (g["size_bytes"].as_u64().unwrap(), paths)
        })
        .collect()
}

#[test]
fn duplicates_are_the_same_from_seeked_and_streamed_layers() {
    let expected = vec![
        (
            40_000,
            vec!["/big/a".to_string(), "/big/b".into(), "/big/h".into()],
        ),
        (100, vec!["/small/e".to_string(), "/small/f".into()]),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (comp, twin) in [
        (Comp::None, false),
        (Comp::None, true),
        (Comp::Gzip, false),
        (Comp::Zstd, true),
    ] {
        let path = dir.path().join("dups.tar");
        let layers = image_layers(comp, twin);
        write_tar(&path, &docker_archive_files(&[("test/dups:1", &layers)]));
        let img = json_of(&run(&["--json", "--no-cache", path.to_str().unwrap()]));
        let img = &img["images"][0];
        assert_eq!(groups(img), expected, "{comp:?} twin {twin}");
        assert_eq!(
            img["duplicates"]["savings_bytes"],
            2 * 40_000 + 100,
            "{comp:?} twin {twin}"
        );
    }
}

//! Limits on a whole image: layers each under their own limits (entries, bytes, names) must not
//! add up past the image's — whiteouts counted, in parallel, from the layer cache, and from a
//! stream while it flows — and the names of an image archive's own entries are bounded too.

use super::*;

/// Loads `layers` (as a docker archive) under `limits` with the library, as the CLI does; the
/// error's full chain.
fn load_error_under(layers: &[BuiltLayer], limits: Limits) -> String {
    match load_under(layers, limits) {
        Ok(_) => panic!("loaded past the image limits"),
        Err(e) => format!("{e:#}"),
    }
}

/// The error loading `layers` under an image limit of 1,500 entries, checked to name that limit.
fn error_over_1500_image_entries(layers: &[BuiltLayer]) -> String {
    let limits = Limits {
        max_image_entries: 1500,
        ..small_limits()
    };
    let err = load_error_under(layers, limits);
    assert!(
        err.contains("the image's layers write more than 1500 entries together (the limit)"),
        "{err}"
    );
    err
}

/// Loads `layers` (as a docker archive) under `limits` with the library.
fn load_under(
    layers: &[BuiltLayer],
    limits: Limits,
) -> anyhow::Result<imgscope::pipeline::load::Loaded> {
    let dir = tempfile::tempdir().unwrap();
    let path = docker_archive(dir.path(), "img.tar", "t:1", layers);
    let mut options = imgscope::pipeline::load::LoadOptions::default();
    options.decode.limits = limits;
    imgscope::pipeline::load::load(
        path.to_str().unwrap(),
        &options,
        &imgscope::pipeline::load::Progress::default(),
    )
}

fn files_in(dir: &str, count: usize, fill: u8) -> Vec<E> {
    (0..count)
        .map(|i| file(&format!("{dir}/f{i}"), 10, fill))
        .collect()
}

/// Three gzip layers of 600 files each: 1,800 entries, each layer under `small_limits`.
fn three_layers_of_600_files() -> Vec<BuiltLayer> {
    (0..3)
        .map(|i| {
            layer(
                &files_in(&format!("l{i}"), 600, i as u8),
                Comp::Gzip,
                "RUN x",
            )
        })
        .collect()
}

/// Three gzip layers of one 400 KiB file each: 1.2 MiB, each layer under `small_limits`.
fn three_layers_of_400_kib() -> Vec<BuiltLayer> {
    (0..3)
        .map(|i| {
            layer(
                &[file(&format!("blob{i}"), 400 * 1024, i as u8)],
                Comp::Gzip,
                "RUN fetch",
            )
        })
        .collect()
}

/// Layers each under the per-layer entry limit must not add up past the image's.
#[test]
fn many_layers_under_the_layer_limit_add_up_to_the_image_limit() {
    let layers = three_layers_of_600_files();
    error_over_1500_image_entries(&layers);
    // Under a higher image limit the same image loads.
    let higher = Limits {
        max_image_entries: 2000,
        ..small_limits()
    };
    assert_eq!(load_under(&layers, higher).unwrap().image.layers.len(), 3);
}

/// A one-entry whiteout of a large directory writes a removal per path below it: counted too.
#[test]
fn removing_a_large_directory_counts_towards_the_image_limit() {
    let layers = vec![
        layer(&files_in("d", 900, 1), Comp::None, "ADD d /d"),
        layer(&[E::Marker(".wh.d")], Comp::None, "RUN rm -rf /d"),
    ];
    let err = error_over_1500_image_entries(&layers);
    assert!(err.contains("layer 1"), "{err}");
}

/// Layers each under the per-layer byte limit must not add up past the image's.
#[test]
fn many_layers_under_the_layer_byte_limit_add_up_to_the_image_limit() {
    let layers = three_layers_of_400_kib();
    let limits = Limits {
        max_image_bytes: 1 << 20,
        ..small_limits()
    };
    let err = load_error_under(&layers, limits);
    assert!(
        err.contains(
            "the image's layers decompress to more than 1048576 bytes together (the limit)"
        ),
        "{err}"
    );
}

/// Whiteouts of paths that never existed make nodes and no versions: counted too.
#[test]
fn whiteouts_of_nothing_count_towards_the_image_limit() {
    let layers: Vec<BuiltLayer> = (0..5)
        .map(|l| {
            let names: Vec<&'static str> = (0..900)
                .map(|i| &*Box::leak(format!("l{l}/.wh.x{i}").into_boxed_str()))
                .collect();
            let entries: Vec<E> = names.into_iter().map(E::Marker).collect();
            layer(&entries, Comp::Gzip, "RUN x")
        })
        .collect();
    error_over_1500_image_entries(&layers);
}

/// A stream (stdin, an engine's export) of layers each under its own limits stops at the
/// image-wide limits while it flows, not after holding every layer.
#[test]
fn a_stream_of_layers_stops_at_the_image_limits() {
    let cases = [
        (
            three_layers_of_400_kib(),
            Limits {
                max_image_bytes: 1 << 20,
                ..small_limits()
            },
            "the stream's layers decompress to more than 1048576 bytes together (the limit)",
        ),
        (
            three_layers_of_600_files(),
            Limits {
                max_image_entries: 1500,
                ..small_limits()
            },
            "the stream's layers hold more than 1500 entries together (the limit)",
        ),
    ];
    for (layers, limits, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = docker_archive(dir.path(), "img.tar", "t:1", &layers);
        let bytes = std::fs::read(&path).unwrap();
        let options = DecodeOptions {
            hash_contents: true,
            limits,
        };
        let progress = std::sync::atomic::AtomicU64::new(0);
        let err = match imgscope::source::stream_archive::read(&bytes[..], &options, &progress) {
            Ok(_) => panic!("read past the image limits"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(expected), "{err}");
    }
}

/// Three gzip layers of 100 files with 500-byte names each: about 50 KB of names per layer, each
/// under the per-layer names limit of `small_limits`.
fn three_layers_of_long_names() -> Vec<BuiltLayer> {
    (0..3)
        .map(|l| {
            let entries: Vec<E> = (0..100)
                .map(|i| file(&format!("l{l}/{i:03}-{}", "n".repeat(496)), 1, l as u8))
                .collect();
            layer(&entries, Comp::Gzip, "RUN names")
        })
        .collect()
}

/// Layers each under the per-layer names limit must not add up past the image's — also while
/// they decode in parallel, and from the layer cache.
#[test]
fn names_budget_per_image() {
    let layers = three_layers_of_long_names();
    let limits = Limits {
        max_image_names_bytes: 120 * 1024,
        ..small_limits()
    };
    let err = load_error_under(&layers, limits);
    assert!(
        err.contains(
            "the image's layers' paths and link targets add up to more than 122880 bytes together (the limit)"
        ),
        "{err}"
    );
    // Under a higher image limit the same image loads.
    let higher = Limits {
        max_image_names_bytes: 200 * 1024,
        ..small_limits()
    };
    assert_eq!(load_under(&layers, higher).unwrap().image.layers.len(), 3);

    // Layers served by the layer cache count as well.
    let dir = tempfile::tempdir().unwrap();
    let path = docker_archive(dir.path(), "img.tar", "t:1", &layers);
    let mut options = imgscope::pipeline::load::LoadOptions {
        layer_cache: Some(imgscope::pipeline::layer_cache::LayerCache::new(dir.path())),
        ..Default::default()
    };
    options.decode.limits = higher;
    let load = |options: &imgscope::pipeline::load::LoadOptions| {
        imgscope::pipeline::load::load(
            path.to_str().unwrap(),
            options,
            &imgscope::pipeline::load::Progress::default(),
        )
    };
    load(&options).unwrap();
    options.decode.limits = limits;
    let err = match load(&options) {
        Ok(_) => panic!("cached layers escaped the image's names limit"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("more than 122880 bytes together"), "{err}");

    // A stream's layers share one budget too.
    let bytes = std::fs::read(&path).unwrap();
    let progress = std::sync::atomic::AtomicU64::new(0);
    let mut streamed = imgscope::source::stream_archive::read(
        &bytes[..],
        &DecodeOptions {
            hash_contents: true,
            limits,
        },
        &progress,
    )
    .unwrap();
    let errors: Vec<String> = layers
        .iter()
        .filter_map(|l| {
            let path = format!("blobs/sha256/{}", hex_of(&sha256(&l.blob)));
            streamed
                .take_layer(&path, false)
                .err()
                .map(|e| format!("{e:#}"))
        })
        .collect();
    assert!(
        !errors.is_empty(),
        "the stream's layers escaped the names limit"
    );
    assert!(
        errors.iter().all(|e| e.contains(
            "the stream's layers' paths and link targets add up to more than 122880 bytes together"
        )),
        "{errors:?}"
    );
}

/// An image archive of 130 entries with 512 KiB GNU long names (each within the header budget):
/// 65 MiB of names the index would keep.
fn outer_names_archive() -> Vec<u8> {
    let long = vec![b'n'; 512 * 1024];
    let mut outer = Vec::new();
    for i in 0..130u32 {
        let mut name = long.clone();
        name.extend(format!("{i}").bytes());
        outer.extend(entry(
            header(b"././@LongLink", b'L', name.len() as u64),
            &name,
        ));
        outer.extend(entry(header(b"placeholder", b'0', 1), b"x"));
    }
    outer.extend(entry(header(b"manifest.json", b'0', 2), b"[]"));
    end(outer)
}

#[test]
fn names_budget_per_outer_archive() {
    let dir = tempfile::tempdir().unwrap();
    let tar = outer_names_archive();
    let cause = "the archive's entry names add up to more than 67108864 bytes (the limit)";
    let p = dir.path().join("names.tar");
    std::fs::write(&p, &tar).unwrap();
    expect_json_error(&p, "names.tar", cause);
    // Compressed (unpacked to a temporary file, then indexed), and as a stream on stdin.
    let gz = dir.path().join("names.tar.gz");
    std::fs::write(&gz, gzip_of(&tar)).unwrap();
    expect_json_error(&gz, "names.tar.gz", cause);
    // imgscope stops reading stdin at the limit: write from a thread that may find it closed.
    let mut child = command_in(&test_cache_home(), &["--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&tar);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let err = expect_status_2(&out);
    assert!(err.contains(cause), "{err}");
}

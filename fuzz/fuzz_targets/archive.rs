//! Archive bytes → a file → `imgscope::pipeline::load::load`, the whole pipeline: archive detection (docker
//! archive, OCI archive, compressed archives), manifest and index resolution, layer decoding,
//! merging and analysis. The same bytes also go through the streaming reader (stdin, engines).
//!
//! Limits are lowered so that a bomb costs milliseconds: the guards are the same code.

#![no_main]

use std::io::Write;
use std::sync::atomic::AtomicU64;

use imgscope::decode::{DecodeOptions, Limits};
use imgscope::analysis::plan::Worth;
use imgscope::pipeline::load::{LoadOptions, Progress, load, set_analysis};
use imgscope::source::stream_archive;
use imgscope::source::{Selection, StreamSource, describe_stream};
use libfuzzer_sys::fuzz_target;

fn options(temp_dir: &std::path::Path) -> LoadOptions {
    let mut options = LoadOptions::default();
    options.source.temp_dir = temp_dir.to_path_buf();
    options.decode = DecodeOptions {
        hash_contents: true,
        limits: Limits {
            max_entries: 20_000,
            max_layer_bytes: 64 << 20,
            ratio_grace_bytes: 1 << 20,
            ..Limits::default()
        },
    };
    options
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(data)
        .unwrap();
    let options = options(dir.path());
    if let Ok(loaded) = load(path.to_str().unwrap(), &options, &Progress::default()) {
        let set = set_analysis(std::slice::from_ref(&loaded), Worth::default());
        let _ = imgscope::report::json::to_string(&[(&loaded.image, &loaded.analysis)], &set);
        let _ = imgscope::report::text::summary(&loaded.image, &loaded.analysis);
    }
    // As a stream.
    let progress = AtomicU64::new(0);
    if let Ok(mut streamed) = stream_archive::read(data, &options.decode, &progress) {
        let source = StreamSource {
            input: "-".into(),
            reader: Box::new(std::io::empty()),
            kind: None,
            name: None,
            selection: Selection::default(),
            expected_bytes: None,
            keepalive: None,
            preview: None,
            route: None,
            engine_identity: None,
        };
        if let Ok(resolved) = describe_stream(&source, streamed.files.clone()) {
            for layer in &resolved.blobs.layers {
                let _ = streamed.take_layer(&layer.path, true);
            }
        }
    }
});

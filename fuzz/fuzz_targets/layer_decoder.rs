//! Layer blob bytes → the layer decoder (compression by magic bytes, tar walk, whiteouts, limits),
//! streamed and, for a plain tar, walked by seeking in a file; then the decoded entries merged as
//! two layers (the second over the first), as the load pipeline does.
//!
//! Limits are lowered so that a bomb costs milliseconds, not seconds: the guards are the same code.

#![no_main]

use std::io::Write;

use imgscope::analysis::Merger;
use imgscope::decode::layer::decode_plain_layer_at;
use imgscope::decode::{DecodeOptions, Limits, decode_layer};
use libfuzzer_sys::fuzz_target;

fn options() -> DecodeOptions {
    DecodeOptions {
        hash_contents: true,
        limits: Limits {
            max_entries: 20_000,
            max_layer_bytes: 64 << 20,
            ratio_grace_bytes: 1 << 20,
            ..Limits::default()
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let options = options();
    let streamed = decode_layer(data, &options, None);
    if let Ok(layer) = &streamed {
        assert!(layer.entries.len() <= options.limits.max_entries);
        assert_eq!(layer.blob_bytes, data.len() as u64);
        let mut merger = Merger::new();
        merger.apply(layer);
        merger.apply(layer);
        let (tree, _) = merger.finish();
        for node in 0..tree.node_count() {
            let _ = tree.path(imgscope::model::NodeId::from_index(node));
        }
    }
    // A plain tar is also walked by seeking, contents unread: it must agree with the stream.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    let seeked = decode_plain_layer_at(file.path(), 0, data.len() as u64, &options, None);
    if let (Ok(Some(seeked)), Ok(streamed)) = (&seeked, &streamed) {
        assert_eq!(seeked.entries.len(), streamed.entries.len());
        for (a, b) in seeked.entries.iter().zip(&streamed.entries) {
            assert_eq!(seeked.path(a), streamed.path(b));
            assert_eq!((a.kind, a.size), (b.kind, b.size));
        }
    }
});

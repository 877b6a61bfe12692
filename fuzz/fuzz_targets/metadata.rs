//! Manifest, index and config bytes → the docker and OCI resolvers and the config parser, as
//! imgscope runs them on an archive's files (here held in memory).
//!
//! The input is a list of documents separated by a line `---`. The first is both `index.json` and
//! `manifest.json`; every other one is a blob stored under its own digest. Since blobs are named
//! and checked by digest, a document may write `@N`, `#N` and `$N` to mean the digest, the size and
//! the digest's hex of document N, filled in by the harness (documents are completed last to
//! first, so N must come later), which lets the fuzzer build whole layouts: index → nested indexes
//! → manifest → config and layers, or a docker `manifest.json` naming `$N.json`.

#![no_main]

use imgscope::source::stream_archive::MemFiles;
use imgscope::source::{Selection, StreamSource, describe_stream, image_config};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Replace `@N` / `#N` / `$N` (one digit) by document N's digest / size / digest hex.
fn fill(doc: &[u8], done: &[Option<Vec<u8>>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(doc.len());
    let mut i = 0;
    while i < doc.len() {
        let c = doc[i];
        if matches!(c, b'@' | b'#' | b'$') && i + 1 < doc.len() && doc[i + 1].is_ascii_digit() {
            let n = (doc[i + 1] - b'0') as usize;
            if let Some(Some(target)) = done.get(n) {
                match c {
                    b'@' => out.extend(digest(target).into_bytes()),
                    b'#' => out.extend(target.len().to_string().into_bytes()),
                    _ => out.extend(digest(target)["sha256:".len()..].as_bytes()),
                }
                i += 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut docs = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(5).position(|w| w == b"\n---\n") {
        docs.push(&rest[..at]);
        rest = &rest[at + 5..];
    }
    docs.push(rest);
    docs.truncate(10);
    docs
}

fuzz_target!(|data: &[u8]| {
    let _ = image_config::parse(data);
    let docs = split(data);
    let mut done: Vec<Option<Vec<u8>>> = vec![None; docs.len()];
    for i in (0..docs.len()).rev() {
        done[i] = Some(fill(docs[i], &done));
    }
    let docs: Vec<Vec<u8>> = done.into_iter().map(Option::unwrap).collect();
    let mut files = vec![
        ("index.json".to_string(), docs[0].clone()),
        ("manifest.json".to_string(), docs[0].clone()),
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
    ];
    for doc in &docs[1..] {
        let d = digest(doc);
        let hex = d.trim_start_matches("sha256:");
        files.push((format!("blobs/sha256/{hex}"), doc.clone()));
        // Docker archives name configs `<hex>.json`.
        files.push((format!("{hex}.json"), doc.clone()));
    }
    let files = MemFiles::from_files(files);
    for (name, platform) in [
        (None, None),
        (Some("latest".to_string()), None),
        (
            None,
            Some(imgscope::source::platform::parse("linux/arm64").unwrap()),
        ),
    ] {
        let source = StreamSource {
            input: "fuzz".into(),
            reader: Box::new(std::io::empty()),
            kind: None,
            name: None,
            selection: Selection { name, platform },
            expected_bytes: None,
            keepalive: None,
            preview: None,
            route: None,
            engine_identity: None,
        };
        if let Ok(resolved) = describe_stream(&source, files.clone()) {
            for layer in &resolved.blobs.layers {
                assert!(resolved.blobs.files.exists(&layer.path));
            }
        }
    }
});

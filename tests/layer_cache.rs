//! The layer-analysis cache: a second look at the same archive reads the decoded layers from the
//! cache and reports exactly the same; damaged cache files are ignored; `--no-cache` neither
//! reads nor writes it.

mod common;
use common::*;

fn layer_files(cache: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(cache.join("imgscope/layers"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn warm_runs_match_cold_runs_and_damage_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let l = vec![
        layer(
            &[
                file("a/one", 3000, 1),
                file("a/two", 3000, 1),
                file("b", 10, 2),
            ],
            Comp::None,
            "ADD / plain",
        ),
        layer(
            &[
                file("c", 5000, 3),
                file("d", 5000, 3),
                E::Marker("a/.wh.one"),
            ],
            Comp::Gzip,
            "RUN gzip layer",
        ),
    ];
    let path = docker_archive(dir.path(), "img.tar", "cache/test:1", &l);
    let p = path.to_str().unwrap();
    let cold = run_in(cache.path(), &["--json", p]);
    assert!(cold.status.success());
    assert_eq!(layer_files(cache.path()).len(), 2);
    let warm = run_in(cache.path(), &["--json", p]);
    assert_eq!(cold.stdout, warm.stdout);
    let v: serde_json::Value = serde_json::from_slice(&warm.stdout).unwrap();
    // Duplicates still found on the warm run: c/d in the gzip layer (hashed while decoding), none
    // visible twice in the plain layer after a/one's removal.
    assert_eq!(v["images"][0]["duplicates"]["savings_bytes"], 5000);
    for f in layer_files(cache.path()) {
        let bytes = std::fs::read(&f).unwrap();
        std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    }
    let damaged = run_in(cache.path(), &["--json", p]);
    assert_eq!(cold.stdout, damaged.stdout);
    // --no-cache writes nothing.
    let other = tempfile::tempdir().unwrap();
    let out = run_in(other.path(), &["--json", "--no-cache", p]);
    assert_eq!(out.stdout, cold.stdout);
    assert!(layer_files(other.path()).is_empty());
    // `cache prune` empties it.
    let out = run_in(cache.path(), &["cache", "prune"]);
    assert!(out.status.success());
    assert!(layer_files(cache.path()).is_empty());
}

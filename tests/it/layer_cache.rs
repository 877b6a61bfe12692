//! The layer-analysis cache: a second look at the same archive reads the decoded layers from the
//! cache and reports exactly the same; damaged cache files are ignored; `--no-cache` neither
//! reads nor writes it.

use crate::common::*;

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

/// The layer files now in `cache`.
fn layer_set(cache: &std::path::Path) -> std::collections::BTreeSet<std::path::PathBuf> {
    layer_files(cache).into_iter().collect()
}

#[test]
fn the_cache_is_capped_and_evicts_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    // Three one-layer images, each layer with many names (what a layer cache file holds).
    let archives: Vec<String> = (0..3u8)
        .map(|i| {
            let entries: Vec<E> = (0..400)
                .map(|f| file(&format!("img{i}/dir/{f:04}-{}", "x".repeat(100)), 1, i))
                .collect();
            let l = vec![layer(&entries, Comp::Gzip, "RUN names")];
            docker_archive(dir.path(), &format!("img{i}.tar"), "capped/x:1", &l)
                .display()
                .to_string()
        })
        .collect();
    let with_cap = |cache: &std::path::Path, cap: &str, args: &[&str]| {
        command_in(cache, args)
            .env("IMGSCOPE_LAYER_CACHE_MAX", cap)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    // Their cache files' sizes, uncapped.
    let scratch = tempfile::tempdir().unwrap();
    for a in &archives {
        assert!(
            with_cap(scratch.path(), "1GiB", &["--json", a])
                .status
                .success()
        );
    }
    let sizes: Vec<u64> = layer_files(scratch.path())
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .collect();
    assert_eq!(sizes.len(), 3);
    // Room for two, not three.
    let cap = sizes.iter().sum::<u64>() - sizes.iter().min().unwrap() / 2;
    let cap_text = cap.to_string();
    let cache = tempfile::tempdir().unwrap();
    let run = |a: &str| {
        let out = with_cap(cache.path(), &cap_text, &["--json", a]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Modification times must differ between runs for the order to be seen.
        std::thread::sleep(std::time::Duration::from_millis(50));
        layer_set(cache.path())
    };
    let after_0 = run(&archives[0]);
    let after_1 = run(&archives[1]);
    let f0 = after_0.iter().next().unwrap().clone();
    let f1 = after_1.difference(&after_0).next().unwrap().clone();
    // A warm run over image 0 makes its layer the most recently used…
    assert_eq!(run(&archives[0]), after_1);
    // …so image 2's layer evicts image 1's.
    let after_2 = run(&archives[2]);
    assert_eq!(after_2.len(), 2, "{after_2:?}");
    assert!(
        after_2.contains(&f0) && !after_2.contains(&f1),
        "{after_2:?}"
    );
    let total: u64 = after_2
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(total <= cap, "{total} > {cap}");

    // `cache show` says how large it may grow and how to change it.
    let out = with_cap(cache.path(), "3MiB", &["cache", "show"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 analyzed layers")
            && text.contains("at most 3.0 MiB")
            && text.contains("IMGSCOPE_LAYER_CACHE_MAX"),
        "{text}"
    );
    // A setting that is not a size is one clear error.
    let out = with_cap(cache.path(), "lots", &["--json", &archives[0]]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("IMGSCOPE_LAYER_CACHE_MAX") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

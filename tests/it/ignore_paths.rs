//! `--ignore-path GLOB`: paths a team lives with leave the reclaimable bytes, the duplicates and
//! the trim plan, and are reported apart — exact numbers on an image built here.

use crate::common::*;

fn image(dir: &std::path::Path) -> String {
    let base = layer(
        &[
            file("var/cache/apt/pkgcache.bin", 9_000, 2),
            file("app/a.bin", 5_000, 3),
            file("app/keep.bin", 40_000, 4),
        ],
        Comp::Gzip,
        "ADD rootfs /",
    );
    let app = layer(
        &[
            E::Marker("var/cache/apt/.wh.pkgcache.bin"),
            file("app/copy.bin", 5_000, 3),
        ],
        Comp::Gzip,
        "COPY app /app",
    );
    docker_archive(dir, "app.tar", "built/app:1", &[base, app])
        .display()
        .to_string()
}

#[test]
fn ignored_paths_leave_waste_duplicates_and_the_plan_and_are_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let input = image(dir.path());
    let plain = json_of(&run(&["--json", "--worth", "0", &input]));
    let w = &plain["images"][0]["waste"];
    assert_eq!(w["reclaimable_bytes"], 9_000);
    assert!(w.get("ignored").is_none());
    assert_eq!(plain["images"][0]["duplicates"]["savings_bytes"], 5_000);
    let trims = |v: &serde_json::Value| {
        v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "trim")
            .count()
    };
    assert!(trims(&plain) > 0, "{:#}", plain["plan"]);

    let v = json_of(&run(&[
        "--json",
        "--worth",
        "0",
        "--ignore-path",
        "/var/cache/**",
        "--ignore-path",
        "app/copy.bin",
        &input,
    ]));
    let i = &v["images"][0];
    assert_eq!(i["waste"]["reclaimable_bytes"], 0);
    assert_eq!(i["duplicates"]["savings_bytes"], 0);
    let ignored = &i["waste"]["ignored"];
    assert_eq!(
        ignored["patterns"],
        serde_json::json!(["/var/cache/**", "app/copy.bin"])
    );
    assert_eq!(ignored["reclaimable_bytes"], 9_000);
    assert_eq!(ignored["duplicate_savings_bytes"], 5_000);
    // Visible files set aside: app/copy.bin only (the cache file was removed).
    assert_eq!(ignored["file_count"], 1);
    assert_eq!(ignored["bytes"], 5_000);
    // The package cache is no longer a trim, nor the copy a dedup.
    assert_eq!(trims(&v), 0, "{:#}", v["plan"]);
    assert!(
        v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "dedup"),
        "{:#}",
        v["plan"]
    );
    // The sizes themselves do not change.
    assert_eq!(i["size_bytes"], plain["images"][0]["size_bytes"]);

    let out = run(&["--text", "--ignore-path", "/var/cache/**", &input]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Ignored     0 files, 0 B (/var/cache/**): 8.8 KiB reclaimable"),
        "{text}"
    );
}

#[test]
fn a_bad_glob_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = image(dir.path());
    let out = run(&["--json", "--ignore-path", "/app/[", &input]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--ignore-path \"/app/[\""), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

/// `imgscope` run with `dir` as its working directory, where it looks for `.imgscope.toml`.
fn run_at(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let cache = test_cache_home();
    let mut cmd = command_in(&cache, args);
    // The file has rules: under CI=true they would gate instead of report.
    cmd.current_dir(dir).env_remove("CI");
    cmd.output().unwrap()
}

#[test]
fn the_project_file_ignores_what_the_flags_would() {
    let dir = tempfile::tempdir().unwrap();
    let input = image(dir.path());
    let by_flags = json_of(&run(&[
        "--json",
        "--worth",
        "0",
        "--ignore-path",
        "/var/cache/**",
        "--ignore-path",
        "app/copy.bin",
        &input,
    ]));
    std::fs::write(
        dir.path().join(".imgscope.toml"),
        "ignore = [\"/var/cache/**\"]\n\n[gates]\nmax-size = \"1GB\"\n",
    )
    .unwrap();
    // The file's globs and the flags' add up; a glob given twice is listed once.
    let v = json_of(&run_at(
        dir.path(),
        &[
            "--json",
            "--worth",
            "0",
            "--ignore-path",
            "app/copy.bin",
            "--ignore-path",
            "/var/cache/**",
            &input,
        ],
    ));
    assert_eq!(v["images"][0]["waste"], by_flags["images"][0]["waste"]);
    assert_eq!(
        v["images"][0]["duplicates"],
        by_flags["images"][0]["duplicates"]
    );
    assert_eq!(v["plan"], by_flags["plan"]);

    // Alone, the file sets aside the cache, and the text report says so.
    let out = run_at(dir.path(), &["--text", &input]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Ignored     0 files, 0 B (/var/cache/**): 8.8 KiB reclaimable"),
        "{text}"
    );
    // --config FILE.toml is read instead of the working directory's file.
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "ignore = [\"/app/copy.bin\"]\n").unwrap();
    let v = json_of(&run_at(
        dir.path(),
        &["--json", "--config", other.to_str().unwrap(), &input],
    ));
    assert_eq!(
        v["images"][0]["waste"]["ignored"]["patterns"],
        serde_json::json!(["/app/copy.bin"])
    );
}

#[test]
fn a_bad_ignore_list_in_the_project_file_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = image(dir.path());
    for (text, says) in [
        (
            "ignore = [\"/app/[\"]\n",
            ".imgscope.toml ignore[0] \"/app/[\"",
        ),
        (
            "ignore = \"/app\"\n",
            ".imgscope.toml: ignore: expected a list of globs",
        ),
        ("ignore = [\"/a\", 7]\n", "ignore[1]: expected a string"),
        ("ignore = [\n", ".imgscope.toml: line 1, column"),
    ] {
        std::fs::write(dir.path().join(".imgscope.toml"), text).unwrap();
        let out = run_at(dir.path(), &["--json", &input]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{text}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

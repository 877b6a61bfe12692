//! The JSON report's shape is a contract: a snapshot of the whole document for a small image built
//! here (the temp-dir input path is replaced by a placeholder).

use crate::common::*;

#[test]
fn json_report_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![
        layer(
            &[
                E::Dir("app/"),
                file("app/server", 4096, 1),
                file("app/static/logo.png", 1024, 2),
                file("tmp/cache.bin", 2048, 3),
                file("app/copy", 1024, 2),
            ],
            Comp::Gzip,
            "COPY app /app",
        ),
        layer(
            &[
                E::Marker("tmp/.wh.cache.bin"),
                E::FileMode("app/server".into(), vec![1; 4096], 0o755),
            ],
            Comp::None,
            "RUN rm /tmp/cache.bin && chmod +x /app/server",
        ),
    ];
    let path = dir.path().join("snap.tar");
    write_tar(&path, &docker_archive_files(&[("snap/app:1", &l)]));
    let out = run(&["--json", path.to_str().unwrap()]);
    let mut v = json_of(&out);
    v["images"][0]["input"] = "[input]".into();
    v["tool"]["version"] = "[version]".into();
    insta::assert_json_snapshot!(v);
}

/// `--all-files`: every live entry of the final filesystem, with the layer and version that made
/// it — a removed file absent, a rewritten one at its new layer, links with their targets — and
/// nothing without the flag.
#[test]
fn all_files_lists_the_final_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![
        layer(
            &[
                E::Dir("app/"),
                file("app/server", 4096, 1),
                file("app/copy", 4096, 1),
                file("tmp/cache.bin", 2048, 3),
                E::Symlink("app/run", "server"),
            ],
            Comp::Gzip,
            "COPY app /app",
        ),
        layer(
            &[
                E::Marker("tmp/.wh.cache.bin"),
                E::FileMode("app/server".into(), vec![2; 5000], 0o755),
            ],
            Comp::None,
            "RUN rm /tmp/cache.bin && rebuild",
        ),
    ];
    let path = docker_archive(dir.path(), "img.tar", "app:1", &l);
    let path = path.to_str().unwrap();
    let plain = json_of(&run(&["--json", path]));
    assert!(plain["images"][0].get("files").is_none());
    let v = json_of(&run(&["--json", "--all-files", path]));
    let files = v["images"][0]["files"].as_array().unwrap();
    let summary: Vec<(String, String, u64, u64, String)> = files
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
                f["layer"].as_u64().unwrap(),
                f["size_bytes"].as_u64().unwrap(),
                f["mode"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |p: &str, k: &str, l: u64, s: u64, m: &str| {
        (p.to_string(), k.to_string(), l, s, m.to_string())
    };
    assert_eq!(
        summary,
        vec![
            row("/app", "dir", 0, 0, "0755"),
            row("/app/copy", "file", 0, 4096, "0644"),
            row("/app/run", "symlink", 0, 0, "0777"),
            row("/app/server", "file", 1, 5000, "0755"),
            row("/tmp", "dir", 0, 0, "0755"),
        ],
        "{files:#?}"
    );
    assert_eq!(files[2]["link_target"], "server");
    assert_eq!(files[3]["change"], "modified");
    // Without --json there is no report to list them in: one line, exit 2.
    let out = run(&["--all-files", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--all-files"));
}

//! The JSON report's shape is a contract: a snapshot of the whole document for a small image built
//! here (the temp-dir input path is replaced by a placeholder).

mod common;
use common::*;

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
